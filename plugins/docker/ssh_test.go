package docker

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-deploy/berth/plugins/internal/sshdtest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// sshServer is a throwaway sshd on 127.0.0.1 that accepts one key for the
// current user, who can run `docker system dial-stdio` on the local daemon.
type sshServer struct{ *sshdtest.Server }

func startSSHServer(t *testing.T) sshServer {
	t.Helper()
	return sshServer{sshdtest.Start(t)}
}

// providerConfig is what a berth stack would set: host and sshOpts, the
// latter JSON-encoded as the SDK's Provider resource sends it.
func (server sshServer) providerConfig(t *testing.T, key string) resource.PropertyMap {
	options, err := json.Marshal([]string{
		"-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
	})
	if err != nil {
		t.Fatal(err)
	}
	return resource.PropertyMap{
		"host":    stringProperty(fmt.Sprintf("ssh://%s@127.0.0.1:%d", server.User, server.Port)),
		"sshOpts": stringProperty(string(options)),
	}
}

func TestContainersOverSSH(t *testing.T) {
	server := startSSHServer(t)
	run := newTestRun(t)
	provider := newConfiguredProvider(t, server.providerConfig(t, server.ClientKeyPath))

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
	stranger := newConfiguredProvider(t, server.providerConfig(t, server.StrangerKeyPath))
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
