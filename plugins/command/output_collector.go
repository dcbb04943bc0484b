package command

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
)

// failureTailBytes bounds how much of a failing command's output goes into
// the error message: enough to see why it failed, not a whole build log.
const failureTailBytes = 8 * 1024

// outputCollector captures a command's stdout and stderr separately (they
// become outputs), keeps the tail of both interleaved (for failure messages)
// and streams complete lines to the engine as status messages when the
// resource's `logging` input asks for it.
//
// The process writes stdout and stderr from two goroutines, hence the mutex.
type outputCollector struct {
	mutex       sync.Mutex
	stdout      bytes.Buffer
	stderr      bytes.Buffer
	combined    []byte // tail of stdout+stderr in arrival order
	logStdout   bool
	logStderr   bool
	partialLine map[string]string // per stream: text after the last newline
	lines       chan string       // complete lines waiting to be sent
	sent        chan struct{}     // closed when every line has been sent
	finished    bool              // set by finish; later writes are not logged
}

// newOutputCollector starts the goroutine that forwards lines to the engine;
// call finish once the command has ended.
func newOutputCollector(ctx context.Context, step resourceStep, choice loggingChoice) *outputCollector {
	collector := &outputCollector{
		logStdout:   choice.logsStdout(),
		logStderr:   choice.logsStderr(),
		partialLine: map[string]string{},
		lines:       make(chan string, 256),
		sent:        make(chan struct{}),
	}
	go func() {
		defer close(collector.sent)
		for line := range collector.lines {
			step.status(ctx, line)
		}
	}()
	return collector
}

func (collector *outputCollector) stdoutWriter() io.Writer {
	return streamWriter{collector: collector, stream: "stdout"}
}

func (collector *outputCollector) stderrWriter() io.Writer {
	return streamWriter{collector: collector, stream: "stderr"}
}

type streamWriter struct {
	collector *outputCollector
	stream    string
}

func (writer streamWriter) Write(data []byte) (int, error) {
	collector := writer.collector
	collector.mutex.Lock()
	defer collector.mutex.Unlock()

	logged := collector.logStdout
	if writer.stream == "stdout" {
		collector.stdout.Write(data)
	} else {
		collector.stderr.Write(data)
		logged = collector.logStderr
	}
	collector.combined = append(collector.combined, data...)
	if overflow := len(collector.combined) - failureTailBytes; overflow > 0 {
		collector.combined = collector.combined[overflow:]
	}
	if logged && !collector.finished {
		text := collector.partialLine[writer.stream] + string(data)
		lines := strings.Split(text, "\n")
		for _, line := range lines[:len(lines)-1] {
			collector.lines <- line
		}
		collector.partialLine[writer.stream] = lines[len(lines)-1]
	}
	return len(data), nil
}

// finish sends unterminated last lines and waits until the engine has them.
func (collector *outputCollector) finish() {
	collector.mutex.Lock()
	for _, stream := range []string{"stdout", "stderr"} {
		if rest := collector.partialLine[stream]; rest != "" {
			collector.lines <- rest
		}
	}
	close(collector.lines)
	collector.finished = true
	collector.mutex.Unlock()
	<-collector.sent
}

// result returns stdout and stderr with one trailing newline removed, as the
// official provider does (so `echo hi` gives "hi").
func (collector *outputCollector) result() commandResult {
	collector.mutex.Lock()
	defer collector.mutex.Unlock()
	return commandResult{
		stdout: strings.TrimSuffix(collector.stdout.String(), "\n"),
		stderr: strings.TrimSuffix(collector.stderr.String(), "\n"),
	}
}

// outputTail is the interleaved end of both streams, for failure messages.
func (collector *outputCollector) outputTail() string {
	collector.mutex.Lock()
	defer collector.mutex.Unlock()
	return string(collector.combined)
}

// commandResult is what a successful command produced.
type commandResult struct {
	stdout string
	stderr string
}

// loggingChoice is the `logging` input: which streams go to the engine log.
type loggingChoice string

const (
	logStdoutOnly      loggingChoice = "stdout"
	logStderrOnly      loggingChoice = "stderr"
	logStdoutAndStderr loggingChoice = "stdoutAndStderr"
	logNothing         loggingChoice = "none"
)

var loggingChoices = []string{string(logStdoutOnly), string(logStderrOnly), string(logStdoutAndStderr), string(logNothing)}

// The official default (input absent) logs both streams.
func (choice loggingChoice) logsStdout() bool {
	return choice == "" || choice == logStdoutOnly || choice == logStdoutAndStderr
}

func (choice loggingChoice) logsStderr() bool {
	return choice == "" || choice == logStderrOnly || choice == logStdoutAndStderr
}
