package command

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-deploy/berth/plugins/internal/sshdtest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"
)

// connectionTo is the connection input the npm SDK would send for server:
// a secret object (the SDK wraps it with pulumi.secret).
func connectionTo(server *sshdtest.Server, extra ...string) resource.PropertyValue {
	properties := resource.PropertyMap{
		"host":       text("127.0.0.1"),
		"port":       resource.NewNumberProperty(float64(server.Port)),
		"user":       text(server.User),
		"privateKey": text(server.ClientKeyPEM),
	}
	for index := 0; index+1 < len(extra); index += 2 {
		properties[resource.PropertyKey(extra[index])] = text(extra[index+1])
	}
	return resource.MakeSecret(resource.NewObjectProperty(properties))
}

func withNumber(connection resource.PropertyValue, key string, number float64) resource.PropertyValue {
	properties := revealed(connection).ObjectValue().Copy()
	properties[resource.PropertyKey(key)] = resource.NewNumberProperty(number)
	return resource.MakeSecret(resource.NewObjectProperty(properties))
}

func TestRemoteCreateUpdateDeleteOverRealSSH(t *testing.T) {
	server := startSSHServer(t)
	h := newHarness(t)
	record := filepath.Join(t.TempDir(), "deleted")
	inputs := h.check(remoteCommandToken, resource.PropertyMap{
		"connection": connectionTo(server),
		"create":     text("echo created by $(id -un); echo to-stderr >&2"),
		"update":     text(`echo "updated after [$PULUMI_COMMAND_STDOUT]"`),
		"delete":     text(`echo "deleted after [$PULUMI_COMMAND_STDOUT]" > ` + shellQuote(record)),
	})

	created := h.mustCreate(remoteCommandToken, inputs)
	if got := plainString(t, created, "stdout"); got != "created by "+server.User {
		t.Errorf("create stdout = %q", got)
	}
	if got := plainString(t, created, "stderr"); got != "to-stderr" {
		t.Errorf("create stderr = %q", got)
	}
	if !created["connection"].IsSecret() {
		t.Error("the connection output must stay secret (it holds credentials)")
	}

	news := inputs.Copy()
	news["stdin"] = text("unused")
	updated := h.mustUpdate(remoteCommandToken, created, news)
	if got := plainString(t, updated, "stdout"); got != "updated after [created by "+server.User+"]" {
		t.Errorf("update stdout = %q", got)
	}

	if err := h.delete(remoteCommandToken, updated); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("remote delete did not run: %v", err)
	}
	if got := strings.TrimSpace(string(content)); got != "deleted after [updated after [created by "+server.User+"]]" {
		t.Errorf("delete wrote %q", got)
	}
}

func TestRemoteEnvironmentUsesSetenvAndExportsWhatTheServerRefuses(t *testing.T) {
	server := startSSHServer(t)
	h := newHarness(t)
	inputs := h.check(remoteCommandToken, resource.PropertyMap{
		"connection": connectionTo(server),
		"environment": resource.NewObjectProperty(resource.PropertyMap{
			"ACCEPTED_GREETING": text("hello world"),
			"REFUSED_QUOTE":     secretText(`it's "quoted" $HOME`),
		}),
		"create": text(`printf '%s|%s' "$ACCEPTED_GREETING" "$REFUSED_QUOTE"`),
	})

	outputs := h.mustCreate(remoteCommandToken, inputs)

	if got := plainString(t, outputs, "stdout"); got != `hello world|it's "quoted" $HOME` {
		t.Errorf("stdout = %q", got)
	}
	warnings := h.engine.recordedLogs()
	assertContains(t, warnings, "REFUSED_QUOTE", "AcceptEnv")
	if strings.Contains(warnings, "ACCEPTED_GREETING") {
		t.Errorf("a variable the server accepted was reported as refused: %s", warnings)
	}
	if strings.Contains(warnings, "quoted") {
		t.Errorf("a warning shows a variable's value: %s", warnings)
	}
}

func TestRemoteStdinAndFailureMessage(t *testing.T) {
	server := startSSHServer(t)
	h := newHarness(t)
	piped := h.mustCreate(remoteCommandToken, h.check(remoteCommandToken, resource.PropertyMap{
		"connection": connectionTo(server),
		"create":     text("tr a-z A-Z"),
		"stdin":      text("shout"),
	}))
	if got := plainString(t, piped, "stdout"); got != "SHOUT" {
		t.Errorf("stdin: stdout = %q", got)
	}

	_, err := h.create(remoteCommandToken, h.check(remoteCommandToken, resource.PropertyMap{
		"connection": connectionTo(server),
		"create":     text("echo starting; echo 'no such unit' >&2; exit 4"),
	}), false)
	if err == nil {
		t.Fatal("expected a failing remote command to fail Create")
	}
	assertContains(t, err.Error(), "exit code 4", "no such unit", "starting")
}

func TestRemoteHostKeyIsVerifiedWhenGiven(t *testing.T) {
	server := startSSHServer(t)
	h := newHarness(t)
	matching := h.check(remoteCommandToken, resource.PropertyMap{
		"connection": connectionTo(server, "hostKey", server.HostPublicKey),
		"create":     text("echo trusted"),
	})
	if got := plainString(t, h.mustCreate(remoteCommandToken, matching), "stdout"); got != "trusted" {
		t.Errorf("stdout = %q", got)
	}

	otherPublic, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := ssh.NewPublicKey(otherPublic)
	wrong := h.check(remoteCommandToken, resource.PropertyMap{
		"connection": withNumber(connectionTo(server, "hostKey", string(ssh.MarshalAuthorizedKey(otherKey))), "dialErrorLimit", 0),
		"create":     text("echo should not run"),
	})
	_, err = h.create(remoteCommandToken, wrong, false)
	if err == nil {
		t.Fatal("a host presenting another key must be refused")
	}
	assertContains(t, err.Error(), "host key")
}

func TestRemoteDialRetriesUntilTheHostIsUp(t *testing.T) {
	server := prepareSSHServer(t)
	h := newHarness(t)
	inputs := h.check(remoteCommandToken, resource.PropertyMap{
		"connection": connectionTo(server),
		"create":     text("echo finally"),
	})
	launched := make(chan error, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		launched <- server.Launch()
	}()

	outputs := h.mustCreate(remoteCommandToken, inputs)
	if err := <-launched; err != nil {
		t.Fatal(err)
	}

	if got := plainString(t, outputs, "stdout"); got != "finally" {
		t.Errorf("stdout = %q", got)
	}
	assertContains(t, strings.Join(h.engine.recordedStatuses(), "\n"), "failed (1/10)", "retrying")
}

func TestRemoteDialGivesUpAfterDialErrorLimit(t *testing.T) {
	server := prepareSSHServer(t) // never started: the port refuses connections
	h := newHarness(t)
	inputs := h.check(remoteCommandToken, resource.PropertyMap{
		"connection": withNumber(connectionTo(server), "dialErrorLimit", 2),
		"create":     text("true"),
	})

	_, err := h.create(remoteCommandToken, inputs, false)

	if err == nil {
		t.Fatal("expected dialing a closed port to fail")
	}
	assertContains(t, err.Error(), "giving up after 3 failed attempts (dialErrorLimit 2)", "connection refused")
}

func TestRemoteThroughProxy(t *testing.T) {
	server := startSSHServer(t)
	h := newHarness(t)
	// The bastion is the same sshd: it forwards to itself on 127.0.0.1.
	connection := revealed(connectionTo(server)).ObjectValue().Copy()
	connection["proxy"] = revealed(connectionTo(server))
	inputs := h.check(remoteCommandToken, resource.PropertyMap{
		"connection": resource.MakeSecret(resource.NewObjectProperty(connection)),
		"create":     text("echo via bastion"),
	})

	outputs := h.mustCreate(remoteCommandToken, inputs)

	if got := plainString(t, outputs, "stdout"); got != "via bastion" {
		t.Errorf("stdout = %q", got)
	}
}

func TestRemoteEncryptedPrivateKey(t *testing.T) {
	server := startSSHServer(t)
	h := newHarness(t)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(clientPrivateKey(t, server), "", []byte("key passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	inputs := h.check(remoteCommandToken, resource.PropertyMap{
		"connection": connectionTo(server, "privateKey", string(pem.EncodeToMemory(block)), "privateKeyPassword", "key passphrase"),
		"create":     text("echo unlocked"),
	})

	if got := plainString(t, h.mustCreate(remoteCommandToken, inputs), "stdout"); got != "unlocked" {
		t.Errorf("stdout = %q", got)
	}
}

func TestRemoteCheckAppliesConnectionDefaultsAndSecrecy(t *testing.T) {
	h := newHarness(t)
	checked := h.check(remoteCommandToken, resource.PropertyMap{
		"connection": resource.NewObjectProperty(resource.PropertyMap{"host": text("lab-1")}),
		"create":     text("true"),
	})
	if !checked["connection"].IsSecret() {
		t.Fatal("Check must mark the connection secret")
	}
	connection := revealed(checked["connection"]).ObjectValue()
	if connection["user"].StringValue() != "root" || connection["port"].NumberValue() != 22 ||
		connection["dialErrorLimit"].NumberValue() != 10 || connection["perDialTimeout"].NumberValue() != 15 {
		t.Errorf("defaults not applied: %v", connection)
	}

	_, failures := h.checkWithFailures(remoteCommandToken, resource.PropertyMap{
		"connection": resource.NewObjectProperty(resource.PropertyMap{
			"port":    resource.NewNumberProperty(22),
			"hostKey": text("not a key"),
			"bastion": text("x"),
			"proxy":   resource.NewObjectProperty(resource.PropertyMap{"host": text("b"), "proxy": text("nested")}),
		}),
		"dir": text("/tmp"),
	})
	assertContains(t, strings.Join(failures, "\n"),
		`requires property "connection.host"`,
		`property "connection.hostKey" must be a public key`,
		`unknown property "connection.bastion"`,
		`unknown property "connection.proxy.proxy"`,
		`unknown property "dir"`)

	_, failures = h.checkWithFailures(remoteCommandToken, resource.PropertyMap{"create": text("true")})
	assertContains(t, strings.Join(failures, "\n"), `requires property "connection"`)
}

// clientPrivateKey reads back the server's authorized client key.
func clientPrivateKey(t *testing.T, server *sshdtest.Server) ed25519.PrivateKey {
	t.Helper()
	key, err := ssh.ParseRawPrivateKey([]byte(server.ClientKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	return *key.(*ed25519.PrivateKey)
}
