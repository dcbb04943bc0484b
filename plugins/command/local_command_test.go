package command

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestLocalCreateCapturesOutputWithoutTrailingNewline(t *testing.T) {
	h := newHarness(t)
	inputs := h.check(localCommandToken, resource.PropertyMap{"create": text("echo hello; echo warning >&2")})

	outputs := h.mustCreate(localCommandToken, inputs)

	if got := plainString(t, outputs, "stdout"); got != "hello" {
		t.Errorf("stdout = %q, want %q", got, "hello")
	}
	if got := plainString(t, outputs, "stderr"); got != "warning" {
		t.Errorf("stderr = %q, want %q", got, "warning")
	}
	if got := plainString(t, outputs, "create"); got != "echo hello; echo warning >&2" {
		t.Errorf("outputs must repeat the inputs, create = %q", got)
	}
	if !outputs["addPreviousOutputInEnv"].IsBool() || !outputs["addPreviousOutputInEnv"].BoolValue() {
		t.Errorf("addPreviousOutputInEnv should default to true, got %v", outputs["addPreviousOutputInEnv"])
	}
}

func TestLocalCreateWithoutCreateCommandRunsNothing(t *testing.T) {
	h := newHarness(t)
	outputs := h.mustCreate(localCommandToken, h.check(localCommandToken, resource.PropertyMap{"delete": text("true")}))
	if plainString(t, outputs, "stdout") != "" || plainString(t, outputs, "stderr") != "" {
		t.Errorf("expected empty stdout/stderr, got %v", outputs)
	}
}

func TestLocalEnvironmentDirectoryInterpreterAndStdin(t *testing.T) {
	h := newHarness(t)
	directory := t.TempDir()
	inputs := h.check(localCommandToken, resource.PropertyMap{
		"create":      text(`printf '%s|%s|' "$GREETING" "$(pwd)"; cat; [[ -n "$BASH_VERSION" ]] && printf '|bash'`),
		"environment": stringMap("GREETING", "hi there"),
		"dir":         text(directory),
		"interpreter": list(text("/bin/bash"), text("-c")),
		"stdin":       text("from stdin"),
	})

	outputs := h.mustCreate(localCommandToken, inputs)

	want := "hi there|" + directory + "|from stdin|bash"
	if got := plainString(t, outputs, "stdout"); got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

func TestLocalUpdateRunsUpdateWithPreviousOutputInEnvironment(t *testing.T) {
	h := newHarness(t)
	created := h.mustCreate(localCommandToken, h.check(localCommandToken, resource.PropertyMap{
		"create": text("echo first; echo first-error >&2"),
	}))
	news := h.check(localCommandToken, resource.PropertyMap{
		"create": text("echo first; echo first-error >&2"),
		"update": text(`echo "updated after $PULUMI_COMMAND_STDOUT/$PULUMI_COMMAND_STDERR"`),
	})

	updated := h.mustUpdate(localCommandToken, created, news)

	if got := plainString(t, updated, "stdout"); got != "updated after first/first-error" {
		t.Errorf("stdout = %q", got)
	}
	if got := plainString(t, updated, "update"); !strings.HasPrefix(got, "echo") {
		t.Errorf("update output should be the new input, got %q", got)
	}
}

func TestLocalUpdateWithoutUpdateCommandRerunsCreate(t *testing.T) {
	h := newHarness(t)
	created := h.mustCreate(localCommandToken, h.check(localCommandToken, resource.PropertyMap{"create": text("echo one")}))
	news := h.check(localCommandToken, resource.PropertyMap{"create": text("echo two")})

	updated := h.mustUpdate(localCommandToken, created, news)

	if got := plainString(t, updated, "stdout"); got != "two" {
		t.Errorf("stdout = %q, want the new create command's output", got)
	}
}

func TestLocalUpdateWithNoCommandKeepsPreviousOutput(t *testing.T) {
	h := newHarness(t)
	oldState := h.mustCreate(localCommandToken, h.check(localCommandToken, resource.PropertyMap{"create": text("echo kept")}))
	news := h.check(localCommandToken, resource.PropertyMap{"delete": text("true")})

	updated := h.mustUpdate(localCommandToken, oldState, news)

	if got := plainString(t, updated, "stdout"); got != "kept" {
		t.Errorf("stdout = %q, want the previous output", got)
	}
}

func TestLocalAddPreviousOutputInEnvFalseHidesPreviousOutput(t *testing.T) {
	h := newHarness(t)
	created := h.mustCreate(localCommandToken, h.check(localCommandToken, resource.PropertyMap{"create": text("echo first")}))
	news := h.check(localCommandToken, resource.PropertyMap{
		"create":                 text("echo first"),
		"update":                 text(`echo "[${PULUMI_COMMAND_STDOUT-unset}]"`),
		"addPreviousOutputInEnv": resource.NewBoolProperty(false),
	})

	updated := h.mustUpdate(localCommandToken, created, news)

	if got := plainString(t, updated, "stdout"); got != "[unset]" {
		t.Errorf("stdout = %q, want [unset]", got)
	}
}

func TestLocalDeleteRunsOldDeleteWithOldInputs(t *testing.T) {
	h := newHarness(t)
	record := filepath.Join(t.TempDir(), "deleted")
	oldState := h.mustCreate(localCommandToken, h.check(localCommandToken, resource.PropertyMap{
		"create":      text("echo created-output"),
		"delete":      text(`echo "$NAME saw $PULUMI_COMMAND_STDOUT" > "$RECORD"`),
		"environment": stringMap("NAME", "old-delete", "RECORD", record),
	}))

	if err := h.delete(localCommandToken, oldState); err != nil {
		t.Fatal(err)
	}

	content, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("delete command did not run: %v", err)
	}
	if got := strings.TrimSpace(string(content)); got != "old-delete saw created-output" {
		t.Errorf("delete wrote %q", got)
	}
}

func TestLocalFailureReportsExitCodeCommandAndOutput(t *testing.T) {
	h := newHarness(t)
	inputs := h.check(localCommandToken, resource.PropertyMap{
		"create": text("echo progress; echo 'disk full' >&2; exit 3"),
	})

	_, err := h.create(localCommandToken, inputs, false)

	if err == nil {
		t.Fatal("expected the failing command to fail Create")
	}
	assertContains(t, err.Error(), "exit code 3", "disk full", "progress", `"echo progress; echo 'disk full' >&2; exit 3"`)
}

func TestLocalFailureOfSecretCommandDoesNotShowTheCommand(t *testing.T) {
	h := newHarness(t)
	inputs := h.check(localCommandToken, resource.PropertyMap{"create": secretText("echo token-1234 >/dev/null; exit 1")})

	_, err := h.create(localCommandToken, inputs, false)

	if err == nil {
		t.Fatal("expected failure")
	}
	if strings.Contains(err.Error(), "token-1234") {
		t.Errorf("error shows the secret command: %v", err)
	}
	assertContains(t, err.Error(), "exit code 1", "[secret]")
}

func TestLocalMissingDirectoryFails(t *testing.T) {
	h := newHarness(t)
	inputs := h.check(localCommandToken, resource.PropertyMap{
		"create": text("true"),
		"dir":    text(filepath.Join(t.TempDir(), "missing")),
	})
	if _, err := h.create(localCommandToken, inputs, false); err == nil {
		t.Fatal("a missing dir must fail the command, as documented")
	}
}

func TestSecretInputsStaySecretInOutputs(t *testing.T) {
	h := newHarness(t)
	inputs := h.check(localCommandToken, resource.PropertyMap{
		"create": secretText("echo $TOKEN"),
		"environment": resource.NewObjectProperty(resource.PropertyMap{
			"TOKEN": secretText("s3cret"),
			"PLAIN": text("visible"),
		}),
	})

	outputs := h.mustCreate(localCommandToken, inputs)

	if !outputs["create"].IsSecret() {
		t.Errorf("secret input create is not secret in outputs: %v", outputs["create"])
	}
	environment := outputs["environment"].ObjectValue()
	if !environment["TOKEN"].IsSecret() || environment["PLAIN"].IsSecret() {
		t.Errorf("environment secrets not preserved value by value: %v", environment)
	}
	// Like the official provider, stdout is not made secret by secret
	// inputs (only additionalSecretOutputs does that, in the engine).
	if got := plainString(t, outputs, "stdout"); got != "s3cret" {
		t.Errorf("stdout = %q", got)
	}
}

func TestPreviewRunsNothingAndReturnsUnknownOutputs(t *testing.T) {
	h := newHarness(t)
	marker := filepath.Join(t.TempDir(), "ran")
	inputs := h.check(localCommandToken, resource.PropertyMap{
		"create": text("touch " + shellQuote(marker) + "; echo created"),
		"update": text("touch " + shellQuote(marker)),
	})

	previewed, err := h.create(localCommandToken, inputs, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []resource.PropertyKey{"stdout", "stderr"} {
		if !previewed[key].IsComputed() {
			t.Errorf("preview %s = %v, want unknown", key, previewed[key])
		}
	}
	if plainString(t, previewed, "create") == "" {
		t.Error("preview outputs must still carry the inputs")
	}

	oldState := resource.PropertyMap{"create": text("echo old"), "stdout": text("old"), "stderr": text("")}
	updatePreview, err := h.update(localCommandToken, oldState, inputs, true)
	if err != nil {
		t.Fatal(err)
	}
	if !updatePreview["stdout"].IsComputed() {
		t.Errorf("update preview stdout = %v, want unknown", updatePreview["stdout"])
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("preview ran a command (marker: %v)", err)
	}
}

func TestLoggingStreamsChosenOutputToEngine(t *testing.T) {
	for _, scenario := range []struct {
		logging        string
		want, unwanted []string
	}{
		{logging: "", want: []string{"out line", "err line", "no newline at end"}},
		{logging: "stdout", want: []string{"out line", "no newline at end"}, unwanted: []string{"err line"}},
		{logging: "stderr", want: []string{"err line"}, unwanted: []string{"out line"}},
		{logging: "none", unwanted: []string{"out line", "err line"}},
	} {
		t.Run("logging="+scenario.logging, func(t *testing.T) {
			h := newHarness(t)
			inputs := resource.PropertyMap{"create": text("echo 'out line'; echo 'err line' >&2; printf 'no newline at end'")}
			if scenario.logging != "" {
				inputs["logging"] = text(scenario.logging)
			}
			h.mustCreate(localCommandToken, h.check(localCommandToken, inputs))

			logged := strings.Join(h.engine.recordedStatuses(), "\n")
			for _, line := range scenario.want {
				assertContains(t, logged, line)
			}
			for _, line := range scenario.unwanted {
				if strings.Contains(logged, line) {
					t.Errorf("%q was logged with logging=%q", line, scenario.logging)
				}
			}
		})
	}
}

func TestCancelStopsRunningCommands(t *testing.T) {
	h := newHarness(t)
	inputs := h.check(localCommandToken, resource.PropertyMap{"create": text("sleep 30 & sleep 30; wait")})
	result := make(chan error, 1)
	started := time.Now()
	go func() {
		_, err := h.create(localCommandToken, inputs, false)
		result <- err
	}()
	time.Sleep(300 * time.Millisecond)

	if _, err := h.provider.Cancel(context.Background(), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}

	select {
	case err := <-result:
		if err == nil {
			t.Fatal("a cancelled command must fail its step")
		}
		assertContains(t, err.Error(), "cancellation")
		if elapsed := time.Since(started); elapsed > 10*time.Second {
			t.Errorf("cancellation took %s", elapsed)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Cancel did not stop the command (is its background child keeping the pipes open?)")
	}
}

func TestTriggersChangeReplacesOtherChangesUpdate(t *testing.T) {
	h := newHarness(t)
	oldInputs := h.check(localCommandToken, resource.PropertyMap{
		"create":   text("echo a"),
		"triggers": list(text("image-1"), resource.NewNumberProperty(1)),
	})
	oldState := oldInputs.Copy()
	oldState["stdout"], oldState["stderr"] = text("a"), text("")

	unchanged := h.diff(localCommandToken, oldState, oldInputs)
	if unchanged.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("same inputs: changes = %v (stdout/stderr must not count as removed inputs)", unchanged.GetChanges())
	}

	newTriggers := oldInputs.Copy()
	newTriggers["triggers"] = list(text("image-2"), resource.NewNumberProperty(1))
	replaced := h.diff(localCommandToken, oldState, newTriggers)
	if replaced.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || len(replaced.GetReplaces()) != 1 || replaced.GetReplaces()[0] != "triggers" {
		t.Errorf("triggers change: changes=%v replaces=%v, want a replacement on triggers", replaced.GetChanges(), replaced.GetReplaces())
	}
	if replaced.GetDetailedDiff()["triggers"].GetKind() != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Errorf("detailed diff for triggers = %v", replaced.GetDetailedDiff()["triggers"])
	}
	if replaced.GetDeleteBeforeReplace() {
		t.Error("replacement must create the new command before deleting the old one")
	}

	for _, key := range []resource.PropertyKey{"create", "environment", "stdin", "update", "delete"} {
		changed := oldInputs.Copy()
		changed[key] = stringMapOrText(key)
		response := h.diff(localCommandToken, oldState, changed)
		if response.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || len(response.GetReplaces()) != 0 {
			t.Errorf("%s change: changes=%v replaces=%v, want an in-place update", key, response.GetChanges(), response.GetReplaces())
		}
	}
}

func stringMapOrText(key resource.PropertyKey) resource.PropertyValue {
	if key == "environment" {
		return stringMap("A", "b")
	}
	return text("echo changed")
}

func TestCheckRefusesWhatItDoesNotImplement(t *testing.T) {
	h := newHarness(t)
	for _, scenario := range []struct {
		name   string
		inputs resource.PropertyMap
		want   string
	}{
		{"assetPaths", resource.PropertyMap{"create": text("true"), "assetPaths": list(text("*.txt"))}, `property "assetPaths" is not supported`},
		{"archivePaths", resource.PropertyMap{"archivePaths": list(text("*.txt"))}, `property "archivePaths" is not supported`},
		{"unknown property", resource.PropertyMap{"creat": text("true")}, `unknown property "creat"`},
		{"wrong type", resource.PropertyMap{"create": resource.NewNumberProperty(3)}, `property "create" must be a string`},
		{"bad logging", resource.PropertyMap{"logging": text("everything")}, `property "logging" must be one of`},
		{"bad environment", resource.PropertyMap{"environment": stringMap("A=B", "c")}, `invalid variable name "A=B"`},
		{"interpreter not strings", resource.PropertyMap{"interpreter": list(resource.NewNumberProperty(1))}, `property "interpreter" must be a list of strings`},
	} {
		t.Run(scenario.name, func(t *testing.T) {
			_, failures := h.checkWithFailures(localCommandToken, scenario.inputs)
			assertContains(t, strings.Join(failures, "\n"), scenario.want)
		})
	}

	_, failures := h.checkWithFailures(copyFileToken, resource.PropertyMap{})
	assertContains(t, strings.Join(failures, "\n"), "CopyFile", "not implemented")

	_, err := h.provider.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urnOf("command:local:Nope", "x")})
	if err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("unknown token: %v", err)
	}
}

func TestCheckAcceptsUnknownValuesDuringPreview(t *testing.T) {
	h := newHarness(t)
	_, failures := h.checkWithFailures(localCommandToken, resource.PropertyMap{
		"create":      resource.MakeComputed(text("")),
		"environment": resource.NewObjectProperty(resource.PropertyMap{"A": resource.MakeComputed(text(""))}),
		"triggers":    resource.MakeComputed(text("")),
	})
	if len(failures) > 0 {
		t.Errorf("unknown values must pass Check: %v", failures)
	}
}

func TestPluginLevelMethods(t *testing.T) {
	h := newHarness(t)
	info, err := h.provider.GetPluginInfo(context.Background(), &emptypb.Empty{})
	if err != nil || info.GetVersion() != "1.2.1" {
		t.Errorf("GetPluginInfo = %v, %v", info, err)
	}
	configured, err := h.provider.Configure(context.Background(), &pulumirpc.ConfigureRequest{})
	if err != nil || !configured.GetAcceptSecrets() || !configured.GetSupportsPreview() {
		t.Errorf("Configure = %v, %v", configured, err)
	}
	schema, err := h.provider.GetSchema(context.Background(), &pulumirpc.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	assertContains(t, schema.GetSchema(), `"name":"command"`, `"version":"1.2.1"`)
	_, err = h.provider.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "command:local:run"})
	if err == nil || !strings.Contains(err.Error(), "command:local:run") {
		t.Errorf("Invoke must refuse clearly, got %v", err)
	}
}
