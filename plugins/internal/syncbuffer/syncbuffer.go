// Package syncbuffer is a byte buffer several goroutines may write at once:
// a child process's stdout and stderr copied by the exec package, a log
// stream demultiplexed into one text.
package syncbuffer

import (
	"bytes"
	"sync"
)

// Buffer collects writes under a lock. With Limit > 0 it keeps only the first
// Limit bytes (enough to explain a failure, bounded in size) and still
// reports every write as complete, so the writer is never blocked or failed.
type Buffer struct {
	Limit int

	mutex  sync.Mutex
	buffer bytes.Buffer
}

func (buffer *Buffer) Write(data []byte) (int, error) {
	buffer.mutex.Lock()
	defer buffer.mutex.Unlock()
	if buffer.Limit <= 0 {
		return buffer.buffer.Write(data)
	}
	written := len(data)
	if room := buffer.Limit - buffer.buffer.Len(); room > 0 {
		if len(data) > room {
			data = data[:room]
		}
		buffer.buffer.Write(data)
	}
	return written, nil
}

func (buffer *Buffer) String() string {
	buffer.mutex.Lock()
	defer buffer.mutex.Unlock()
	return buffer.buffer.String()
}
