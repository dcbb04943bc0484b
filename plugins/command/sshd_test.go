package command

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

const sshdBinary = "/usr/sbin/sshd"

// testSSHServer is a real OpenSSH server on 127.0.0.1 for the remote tests,
// with its own host key and one authorized client key, all in a temp dir.
type testSSHServer struct {
	port          int
	user          string
	directory     string
	hostPublicKey string // authorized_keys format, for connection.hostKey
	clientKeyPEM  string // OpenSSH private key for connection.privateKey
	clientSigner  ssh.Signer

	log   *lockedBuffer
	mutex sync.Mutex
	stop  func() // kills sshd; nil until launched
}

// startSSHServer starts sshd now; see prepareSSHServer for a delayed start.
func startSSHServer(t *testing.T) *testSSHServer {
	t.Helper()
	server := prepareSSHServer(t)
	server.start(t)
	return server
}

// prepareSSHServer writes keys and configuration on a free port without
// starting sshd, so a test can play a host that is still booting.
func prepareSSHServer(t *testing.T) *testSSHServer {
	t.Helper()
	if _, err := os.Stat(sshdBinary); err != nil {
		t.Fatalf("the remote tests need a real OpenSSH server at %s: run `apt-get install openssh-server` (%v)", sshdBinary, err)
	}
	current, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	server := &testSSHServer{port: freePort(t), user: current.Username, directory: t.TempDir(), log: &lockedBuffer{}}
	t.Cleanup(func() { server.shutdown(t) })

	hostPublic, hostPrivate, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	server.writePrivateKey(t, "host_key", hostPrivate)
	hostKey, err := ssh.NewPublicKey(hostPublic)
	if err != nil {
		t.Fatal(err)
	}
	server.hostPublicKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hostKey)))

	clientPublic, clientPrivate, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	server.clientKeyPEM = server.writePrivateKey(t, "client_key", clientPrivate)
	server.clientSigner, err = ssh.NewSignerFromKey(clientPrivate)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, err := ssh.NewPublicKey(clientPublic)
	if err != nil {
		t.Fatal(err)
	}
	server.writeFile(t, "authorized_keys", string(ssh.MarshalAuthorizedKey(clientKey)))
	server.writeFile(t, "sshd_config", strings.Join([]string{
		"Port " + strconv.Itoa(server.port),
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(server.directory, "host_key"),
		"PidFile " + filepath.Join(server.directory, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(server.directory, "authorized_keys"),
		// The temp dir lives under the world-writable /tmp, which StrictModes refuses.
		"StrictModes no",
		"PermitRootLogin yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		// Like a stock Debian server, plus one pattern so both ways of
		// passing environment variables get exercised.
		"AcceptEnv LANG LC_* ACCEPTED_*",
		"AllowTcpForwarding yes",
		"Subsystem sftp internal-sftp",
		"LogLevel VERBOSE",
		"",
	}, "\n"))
	return server
}

func (server *testSSHServer) start(t *testing.T) {
	t.Helper()
	if err := server.launch(); err != nil {
		t.Fatal(err)
	}
}

// launch starts sshd and waits until it listens. It reports instead of
// failing the test so that it may run on another goroutine; the cleanup
// registered by prepareSSHServer stops it.
func (server *testSSHServer) launch() error {
	// sshd refuses to start without its privilege separation directory,
	// which a fresh container does not have until the service first ran.
	if os.Geteuid() == 0 {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return err
		}
	}
	process := exec.Command(sshdBinary, "-D", "-e", "-f", filepath.Join(server.directory, "sshd_config"))
	process.Stdout = server.log
	process.Stderr = server.log
	if err := process.Start(); err != nil {
		return fmt.Errorf("starting sshd: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = process.Wait()
		close(exited)
	}()
	server.mutex.Lock()
	server.stop = func() {
		_ = process.Process.Kill()
		<-exited
	}
	server.mutex.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("sshd exited at start:\n%s", server.log.String())
		default:
		}
		if conn, err := net.DialTimeout("tcp", server.address(), 200*time.Millisecond); err == nil {
			_ = conn.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("sshd did not listen on %s:\n%s", server.address(), server.log.String())
}

// shutdown stops sshd if it was started; registered as a test cleanup.
func (server *testSSHServer) shutdown(t *testing.T) {
	server.mutex.Lock()
	stop := server.stop
	server.mutex.Unlock()
	if stop != nil {
		stop()
	}
	if t.Failed() {
		t.Logf("sshd log:\n%s", server.log.String())
	}
}

func (server *testSSHServer) address() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(server.port))
}

func (server *testSSHServer) writePrivateKey(t *testing.T, name string, key ed25519.PrivateKey) string {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	text := string(pem.EncodeToMemory(block))
	server.writeFile(t, name, text)
	return text
}

func (server *testSSHServer) writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(server.directory, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = listener.Close() }()
	return listener.Addr().(*net.TCPAddr).Port
}

// lockedBuffer collects sshd's log from its output goroutines.
type lockedBuffer struct {
	mutex  sync.Mutex
	buffer bytes.Buffer
}

func (buffer *lockedBuffer) Write(data []byte) (int, error) {
	buffer.mutex.Lock()
	defer buffer.mutex.Unlock()
	return buffer.buffer.Write(data)
}

func (buffer *lockedBuffer) String() string {
	buffer.mutex.Lock()
	defer buffer.mutex.Unlock()
	return buffer.buffer.String()
}
