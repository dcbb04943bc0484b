package docker

import (
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/berth-deploy/berth/plugins/internal/syncbuffer"
)

// commandConnection is a net.Conn whose bytes travel through a child
// process: writes go to its stdin, reads come from its stdout. It carries
// Docker API traffic over `ssh host docker system dial-stdio`.
type commandConnection struct {
	command     *exec.Cmd
	description string
	stdin       io.WriteCloser
	stdout      *io.PipeReader
	// The child's stderr, bounded: read when reporting its errors.
	stderr    *syncbuffer.Buffer
	closeOnce sync.Once
	closing   chan struct{}
}

func startCommandConnection(program string, arguments []string) (*commandConnection, error) {
	command := exec.Command(program, arguments...)
	stdin, err := command.StdinPipe()
	if err != nil {
		return nil, err
	}
	// stdout goes through an io.Pipe rather than StdoutPipe: exec then copies
	// the child's output into it, and Wait returns only after every byte was
	// handed to the reader, so no data is lost when the child exits.
	stdoutReader, stdoutWriter := io.Pipe()
	command.Stdout = stdoutWriter
	stderr := &syncbuffer.Buffer{Limit: 16 * 1024}
	command.Stderr = stderr

	description := program + " " + strings.Join(arguments, " ")
	if err := command.Start(); err != nil {
		return nil, fmt.Errorf("cannot start %q: %w", description, err)
	}
	connection := &commandConnection{
		command:     command,
		description: description,
		stdin:       stdin,
		stdout:      stdoutReader,
		stderr:      stderr,
		closing:     make(chan struct{}),
	}
	go connection.reapWhenExited(stdoutWriter)
	return connection, nil
}

// reapWhenExited waits for the child and ends the read side: with EOF if the
// child finished cleanly or we closed it, else with an error that carries
// what it printed on stderr (for ssh: host key or authentication problems).
func (connection *commandConnection) reapWhenExited(stdoutWriter *io.PipeWriter) {
	exitError := connection.command.Wait()
	select {
	case <-connection.closing:
		stdoutWriter.Close()
		return
	default:
	}
	if exitError != nil {
		stdoutWriter.CloseWithError(fmt.Errorf("%q failed: %v: %s", connection.description, exitError, strings.TrimSpace(connection.stderr.String())))
		return
	}
	stdoutWriter.Close()
}

func (connection *commandConnection) Read(data []byte) (int, error) {
	return connection.stdout.Read(data)
}

func (connection *commandConnection) Write(data []byte) (int, error) {
	written, err := connection.stdin.Write(data)
	if err != nil {
		if details := strings.TrimSpace(connection.stderr.String()); details != "" {
			return written, fmt.Errorf("%q: %w: %s", connection.description, err, details)
		}
	}
	return written, err
}

// CloseWrite tells the remote side that no more data follows, like a TCP
// half-close; the Docker client uses it for hijacked (attach) streams.
func (connection *commandConnection) CloseWrite() error {
	return connection.stdin.Close()
}

// Close ends the connection and the child process we started.
func (connection *commandConnection) Close() error {
	connection.closeOnce.Do(func() {
		close(connection.closing)
		connection.stdin.Close()
		if connection.command.Process != nil {
			// The child may have exited already; then Kill just reports that.
			_ = connection.command.Process.Kill()
		}
		connection.stdout.Close()
	})
	return nil
}

type commandAddress struct{ description string }

func (address commandAddress) Network() string { return "command" }
func (address commandAddress) String() string  { return address.description }

func (connection *commandConnection) LocalAddr() net.Addr {
	return commandAddress{description: "local"}
}

func (connection *commandConnection) RemoteAddr() net.Addr {
	return commandAddress{description: connection.description}
}

// Deadlines are not supported by pipes to a process; the Docker client
// bounds its calls with contexts instead, so these are accepted and ignored.
func (connection *commandConnection) SetDeadline(time.Time) error      { return nil }
func (connection *commandConnection) SetReadDeadline(time.Time) error  { return nil }
func (connection *commandConnection) SetWriteDeadline(time.Time) error { return nil }
