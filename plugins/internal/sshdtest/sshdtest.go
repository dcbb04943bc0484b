// Package sshdtest runs a real OpenSSH server on 127.0.0.1 for the plugins'
// tests: its own host key, one authorized client key and one key it refuses,
// all in the test's temporary directory.
package sshdtest

import (
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

	"github.com/berth-deploy/berth/plugins/internal/syncbuffer"
	"golang.org/x/crypto/ssh"
)

const sshdBinary = "/usr/sbin/sshd"

// Server is one throwaway sshd and the keys to reach it.
type Server struct {
	Port int
	// User is the current user, whom the server lets in with the client key.
	User      string
	Directory string
	// HostPublicKey is the server's host key in authorized_keys format.
	HostPublicKey string
	// ClientKeyPEM and ClientKeyPath are the authorized OpenSSH private key,
	// as text (for @pulumi/command's privateKey) and as a file (for `ssh -i`).
	ClientKeyPEM  string
	ClientKeyPath string
	ClientSigner  ssh.Signer
	// StrangerKeyPath is a private key the server does not accept.
	StrangerKeyPath string

	log   *syncbuffer.Buffer
	mutex sync.Mutex
	stop  func() // kills sshd; nil until launched
}

// Start starts sshd now and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	server := Prepare(t)
	if err := server.Launch(); err != nil {
		t.Fatal(err)
	}
	return server
}

// Prepare writes keys and configuration on a free port without starting
// sshd, so a test can play a host that is still booting; Launch starts it.
func Prepare(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(sshdBinary); err != nil {
		t.Fatalf("these tests need a real OpenSSH server at %s: run `apt-get install openssh-server` (%v)", sshdBinary, err)
	}
	current, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	server := &Server{Port: freePort(t), User: current.Username, Directory: t.TempDir(), log: &syncbuffer.Buffer{}}
	t.Cleanup(func() { server.shutdown(t) })

	hostKey, _ := server.writeNewKey(t, "host_key")
	server.HostPublicKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hostKey)))
	clientKey, clientSigner := server.writeNewKey(t, "client_key")
	server.ClientSigner = clientSigner
	server.ClientKeyPath = filepath.Join(server.Directory, "client_key")
	server.ClientKeyPEM = server.readFile(t, "client_key")
	server.writeNewKey(t, "stranger_key")
	server.StrangerKeyPath = filepath.Join(server.Directory, "stranger_key")

	server.writeFile(t, "authorized_keys", string(ssh.MarshalAuthorizedKey(clientKey)))
	server.writeFile(t, "sshd_config", strings.Join([]string{
		"Port " + strconv.Itoa(server.Port),
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(server.Directory, "host_key"),
		"PidFile " + filepath.Join(server.Directory, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(server.Directory, "authorized_keys"),
		// The temp dir lives under the world-writable /tmp, which StrictModes refuses.
		"StrictModes no",
		"PubkeyAuthentication yes",
		"PermitRootLogin prohibit-password",
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

// Launch starts sshd and waits until it listens. It reports instead of
// failing the test so that it may run on another goroutine; the cleanup
// registered by Prepare stops it.
func (server *Server) Launch() error {
	// sshd refuses to start without its privilege separation directory,
	// which a fresh container does not have until the service first ran.
	if os.Geteuid() == 0 {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return err
		}
	}
	process := exec.Command(sshdBinary, "-D", "-e", "-f", filepath.Join(server.Directory, "sshd_config"))
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
		if conn, err := net.DialTimeout("tcp", server.Address(), 200*time.Millisecond); err == nil {
			_ = conn.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("sshd did not listen on %s:\n%s", server.Address(), server.log.String())
}

// Address is host:port of the server.
func (server *Server) Address() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(server.Port))
}

// shutdown stops sshd if it was started, and shows its log if the test failed.
func (server *Server) shutdown(t testing.TB) {
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

// writeNewKey writes a new ed25519 private key in OpenSSH format (mode 0600).
func (server *Server) writeNewKey(t testing.TB, name string) (ssh.PublicKey, ssh.Signer) {
	t.Helper()
	public, private, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(private, "")
	if err != nil {
		t.Fatal(err)
	}
	server.writeFile(t, name, string(pem.EncodeToMemory(block)))
	publicKey, err := ssh.NewPublicKey(public)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(private)
	if err != nil {
		t.Fatal(err)
	}
	return publicKey, signer
}

func (server *Server) writeFile(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(server.Directory, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (server *Server) readFile(t testing.TB, name string) string {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(server.Directory, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(content)
}

func freePort(t testing.TB) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = listener.Close() }()
	return listener.Addr().(*net.TCPAddr).Port
}
