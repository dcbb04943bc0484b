package docker

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// sshServer is a throwaway sshd on 127.0.0.1 that accepts one key for the
// current user, who can run `docker system dial-stdio` on the local daemon.
type sshServer struct {
	port          int
	user          string
	clientKey     string
	strangerKey   string
	configuration string
}

func startSSHServer(t *testing.T) *sshServer {
	t.Helper()
	directory := t.TempDir()
	generateKey := func(name string) string {
		path := filepath.Join(directory, name)
		if output, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, output)
		}
		return path
	}
	hostKey := generateKey("host_key")
	clientKey := generateKey("client_key")
	strangerKey := generateKey("stranger_key")
	publicKey, err := os.ReadFile(clientKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	authorizedKeys := filepath.Join(directory, "authorized_keys")
	if err := os.WriteFile(authorizedKeys, publicKey, 0o600); err != nil {
		t.Fatal(err)
	}
	current, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	listener.Close()

	configuration := filepath.Join(directory, "sshd_config")
	settings := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PidFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
`, port, hostKey, authorizedKeys, filepath.Join(directory, "sshd.pid"))
	if err := os.WriteFile(configuration, []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd refuses to start without its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	daemon := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", configuration)
	daemonLog := &lockedBuffer{}
	daemon.Stdout = daemonLog
	daemon.Stderr = daemonLog
	if err := daemon.Start(); err != nil {
		t.Fatalf("start sshd (install openssh-server): %v", err)
	}
	t.Cleanup(func() {
		_ = daemon.Process.Kill()
		_ = daemon.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		connection, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			connection.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen on %d: %s", port, daemonLog.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &sshServer{port: port, user: current.Username, clientKey: clientKey, strangerKey: strangerKey, configuration: configuration}
}

// providerConfig is what a berth stack would set: host and sshOpts, the
// latter JSON-encoded as the SDK's Provider resource sends it.
func (server *sshServer) providerConfig(t *testing.T, key string) resource.PropertyMap {
	options, err := json.Marshal([]string{
		"-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
	})
	if err != nil {
		t.Fatal(err)
	}
	return resource.PropertyMap{
		"host":    stringProperty(fmt.Sprintf("ssh://%s@127.0.0.1:%d", server.user, server.port)),
		"sshOpts": stringProperty(string(options)),
	}
}

func TestContainersOverSSH(t *testing.T) {
	server := startSSHServer(t)
	run := newTestRun(t)
	provider := newConfiguredProvider(t, server.providerConfig(t, server.clientKey))

	inputs := check(t, provider, containerType, "remote", nil, run.containerInputs("touch /tmp/ok; sleep 1000", resource.PropertyMap{
		"name": stringProperty(run.name("remote")),
		"healthcheck": objectProperty(resource.PropertyMap{
			"tests": stringListProperty([]string{"CMD", "test", "-f", "/tmp/ok"}), "interval": stringProperty("1s"),
		}),
		"wait":                boolProperty(true),
		"destroyGraceSeconds": numberProperty(2),
	}))
	id, outputs := mustCreate(t, provider, containerType, "remote", inputs)
	inspection, exists := run.inspectContainer(id)
	if !exists || inspection.State.Health == nil || inspection.State.Health.Status != "healthy" {
		t.Fatalf("the container created over ssh must be running and healthy")
	}
	if response := read(t, provider, containerType, "remote", id, outputs, inputs); response.GetId() != id {
		t.Errorf("Read over ssh returned %q", response.GetId())
	}

	// Streams (logs, wait) work through dial-stdio too.
	oneShot := check(t, provider, containerType, "remote-task", nil, run.containerInputs("echo over ssh", resource.PropertyMap{
		"name": stringProperty(run.name("remote-task")), "attach": boolProperty(true), "logs": boolProperty(true), "mustRun": boolProperty(false),
	}))
	taskID, taskOutputs := mustCreate(t, provider, containerType, "remote-task", oneShot)
	if logs := taskOutputs["containerLogs"].StringValue(); logs != "over ssh\n" {
		t.Errorf("containerLogs over ssh = %q", logs)
	}

	mustDelete(t, provider, containerType, "remote", id, outputs)
	mustDelete(t, provider, containerType, "remote-task", taskID, taskOutputs)
	if _, exists := run.inspectContainer(id); exists {
		t.Errorf("the container deleted over ssh still exists")
	}

	// A key the server does not accept fails with ssh's own explanation.
	stranger := newConfiguredProvider(t, server.providerConfig(t, server.strangerKey))
	_, _, err := create(t, stranger, containerType, "denied", check(t, stranger, containerType, "denied", nil,
		run.containerInputs("sleep 1", resource.PropertyMap{"name": stringProperty(run.name("denied"))})))
	if err == nil || !strings.Contains(err.Error(), "Permission denied") {
		t.Errorf("an unauthorized key must fail with ssh's message, got %v", err)
	}

	// Closing the provider ends every ssh process it started.
	provider.Close()
	stranger.Close()
	deadline := time.Now().Add(5 * time.Second)
	for childSSHProcesses(t) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d ssh processes are left after Close", childSSHProcesses(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// childSSHProcesses counts live ssh processes whose parent is this test.
func childSSHProcesses(t *testing.T) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, entry := range entries {
		if _, err := strconv.Atoi(entry.Name()); err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "status"))
		if err != nil {
			continue
		}
		fields := map[string]string{}
		for _, line := range strings.Split(string(status), "\n") {
			if name, value, found := strings.Cut(line, ":"); found {
				fields[name] = strings.TrimSpace(value)
			}
		}
		if fields["Name"] == "ssh" && fields["PPid"] == strconv.Itoa(os.Getpid()) && !strings.HasPrefix(fields["State"], "Z") {
			count++
		}
	}
	return count
}

func mustParseURL(t *testing.T, text string) *url.URL {
	t.Helper()
	parsed, err := url.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}
