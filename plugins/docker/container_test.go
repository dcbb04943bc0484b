package docker

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestContainerWithFixedNameIsCreatedReadAndDeleted(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	name := run.name("web")
	inputs := check(t, provider, containerType, "web", nil, run.containerInputs("sleep 1000", resource.PropertyMap{
		"name": stringProperty(name),
		"envs": arrayProperty(stringProperty("PLAIN=1"), resource.MakeSecret(stringProperty("TOKEN=hunter2"))),
		"ports": arrayProperty(objectProperty(resource.PropertyMap{
			"internal": numberProperty(8000),
			"ip":       stringProperty("127.0.0.1"),
		})),
		"hosts": arrayProperty(objectProperty(resource.PropertyMap{
			"host": stringProperty("db.internal"), "ip": stringProperty("10.1.2.3"),
		})),
		"workingDir": stringProperty("/tmp"),
	}))
	if got := inputs["restart"]; got.StringValue() != "no" {
		t.Errorf("restart default = %v, want \"no\"", got)
	}

	id, outputs := mustCreate(t, provider, containerType, "web", inputs)
	inspection, exists := run.inspectContainer(id)
	if !exists || !inspection.State.Running {
		t.Fatalf("container %s should be running", id)
	}
	if inspection.Name != "/"+name {
		t.Errorf("name = %s, want %s", inspection.Name, name)
	}
	if !containsString(inspection.Config.Env, "TOKEN=hunter2") || !containsString(inspection.Config.Env, "PLAIN=1") {
		t.Errorf("environment %v lacks the inputs", inspection.Config.Env)
	}
	if inspection.HostConfig.Init == nil || *inspection.HostConfig.Init {
		t.Errorf("init should be sent as false, got %v", inspection.HostConfig.Init)
	}
	if !containsString(inspection.HostConfig.ExtraHosts, "db.internal:10.1.2.3") {
		t.Errorf("extra hosts = %v", inspection.HostConfig.ExtraHosts)
	}
	if bindings := inspection.HostConfig.PortBindings["8000/tcp"]; len(bindings) != 1 || bindings[0].HostIP != "127.0.0.1" {
		t.Errorf("port bindings = %v", inspection.HostConfig.PortBindings)
	}
	if envs := outputs["envs"].ArrayValue(); !envs[1].IsSecret() {
		t.Errorf("the secret env must stay secret in the outputs, got %v", envs)
	}
	networks := outputs["networkDatas"].ArrayValue()
	if len(networks) != 1 || networks[0].ObjectValue()["networkName"].StringValue() != "bridge" ||
		networks[0].ObjectValue()["ipAddress"].StringValue() == "" {
		t.Errorf("networkDatas = %v", networks)
	}
	if _, stopped := outputs["exitCode"]; stopped {
		t.Errorf("a running container has no exitCode output")
	}

	response := read(t, provider, containerType, "web", id, outputs, inputs)
	if response.GetId() != id {
		t.Errorf("Read returned ID %q, want %q", response.GetId(), id)
	}

	mustDelete(t, provider, containerType, "web", id, outputs)
	if _, exists := run.inspectContainer(id); exists {
		t.Fatalf("container %s still exists after Delete", id)
	}
	// Deleting or reading a container that is already gone is not an error.
	mustDelete(t, provider, containerType, "web", id, outputs)
	if response := read(t, provider, containerType, "web", id, outputs, inputs); response.GetId() != "" {
		t.Errorf("Read of a deleted container returned ID %q", response.GetId())
	}
}

func TestContainerDiffFollowsTheOfficialReplacementRules(t *testing.T) {
	provider := NewProvider("5.2.0")
	base := resource.PropertyMap{
		"name":    stringProperty("web-1"),
		"image":   stringProperty("app:1"),
		"command": stringListProperty([]string{"uwsgi", "--ini", "app.ini"}),
		"envs":    arrayProperty(stringProperty("A=1"), stringProperty("B=2")),
		"ports":   arrayProperty(objectProperty(resource.PropertyMap{"internal": numberProperty(8000)})),
	}
	olds := check(t, provider, containerType, "web", nil, base)

	changed := func(change func(resource.PropertyMap)) resource.PropertyMap {
		news := copyPropertyMap(base)
		change(news)
		return check(t, provider, containerType, "web", olds, news)
	}

	imageChange := diff(t, provider, containerType, "web", olds, changed(func(news resource.PropertyMap) {
		news["image"] = stringProperty("app:2")
	}))
	if imageChange.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || !equalStrings(imageChange.GetReplaces(), []string{"image"}) ||
		!imageChange.GetDeleteBeforeReplace() {
		t.Errorf("image change: changes=%v replaces=%v deleteBeforeReplace=%v",
			imageChange.GetChanges(), imageChange.GetReplaces(), imageChange.GetDeleteBeforeReplace())
	}

	graceChange := diff(t, provider, containerType, "web", olds, changed(func(news resource.PropertyMap) {
		news["destroyGraceSeconds"] = numberProperty(30)
		news["waitTimeout"] = numberProperty(120)
		news["restart"] = stringProperty("unless-stopped")
	}))
	if graceChange.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || len(graceChange.GetReplaces()) != 0 {
		t.Errorf("destroyGraceSeconds/waitTimeout/restart must update in place: %v", graceChange)
	}

	for description, change := range map[string]func(resource.PropertyMap){
		"env order": func(news resource.PropertyMap) {
			news["envs"] = arrayProperty(stringProperty("B=2"), stringProperty("A=1"))
		},
		"explicit port default": func(news resource.PropertyMap) {
			news["ports"] = arrayProperty(objectProperty(resource.PropertyMap{"internal": numberProperty(8000), "ip": stringProperty("0.0.0.0"), "protocol": stringProperty("tcp")}))
		},
		"command left out": func(news resource.PropertyMap) { delete(news, "command") },
		"explicit zero values": func(news resource.PropertyMap) {
			news["privileged"] = boolProperty(false)
			news["memory"] = numberProperty(0)
		},
		"env made secret": func(news resource.PropertyMap) { news["envs"] = resource.MakeSecret(base["envs"]) },
	} {
		if response := diff(t, provider, containerType, "web", olds, changed(change)); response.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
			t.Errorf("%s must not be a change: %v", description, response.GetDiffs())
		}
	}

	envChange := diff(t, provider, containerType, "web", olds, changed(func(news resource.PropertyMap) {
		news["envs"] = arrayProperty(stringProperty("A=1"), resource.MakeSecret(stringProperty("B=3")))
	}))
	if !equalStrings(envChange.GetReplaces(), []string{"envs"}) {
		t.Errorf("an env change must replace, got %v", envChange.GetReplaces())
	}

	// Auto-named containers: "<name>-<7 hex>", kept on update, and still
	// delete-before-replace as the official provider declares.
	unnamed := copyPropertyMap(base)
	delete(unnamed, "name")
	autoNamed := check(t, provider, containerType, "worker", nil, unnamed)
	name := autoNamed["name"].StringValue()
	if !regexp.MustCompile(`^worker-[0-9a-f]{7}$`).MatchString(name) {
		t.Errorf("auto name %q is not worker-<7 hex>", name)
	}
	again := check(t, provider, containerType, "worker", autoNamed, unnamed)
	if again["name"].StringValue() != name {
		t.Errorf("auto name changed on update: %q then %q", name, again["name"].StringValue())
	}
	replaced := copyPropertyMap(unnamed)
	replaced["image"] = stringProperty("app:2")
	autoDiff := diff(t, provider, containerType, "worker", autoNamed, check(t, provider, containerType, "worker", autoNamed, replaced))
	if !autoDiff.GetDeleteBeforeReplace() {
		t.Errorf("auto-named container replacement must be delete-before-replace too")
	}
}

func TestContainerWaitSucceedsWhenTheHealthCheckPasses(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	inputs := check(t, provider, containerType, "healthy", nil, run.containerInputs("sleep 2; touch /tmp/ok; sleep 1000", resource.PropertyMap{
		"name": stringProperty(run.name("healthy")),
		"healthcheck": objectProperty(resource.PropertyMap{
			"tests":    stringListProperty([]string{"CMD", "test", "-f", "/tmp/ok"}),
			"interval": stringProperty("1s"),
			"timeout":  stringProperty("1s"),
			"retries":  numberProperty(30),
		}),
		"wait":        boolProperty(true),
		"waitTimeout": numberProperty(30),
	}))
	started := time.Now()
	id, outputs := mustCreate(t, provider, containerType, "healthy", inputs)
	if elapsed := time.Since(started); elapsed < 2*time.Second {
		t.Errorf("Create returned after %s, before the container could be healthy", elapsed)
	}
	inspection, _ := run.inspectContainer(id)
	if inspection.State.Health == nil || inspection.State.Health.Status != "healthy" {
		t.Errorf("container health = %+v, want healthy", inspection.State.Health)
	}
	mustDelete(t, provider, containerType, "healthy", id, outputs)
}

func TestContainerWaitTimeoutLeavesTheContainerWithAnInitializationError(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	inputs := check(t, provider, containerType, "unhealthy", nil, run.containerInputs("sleep 1000", resource.PropertyMap{
		"name": stringProperty(run.name("unhealthy")),
		"healthcheck": objectProperty(resource.PropertyMap{
			"tests":    stringListProperty([]string{"CMD-SHELL", "echo still-not-ready; test -f /tmp/ok"}),
			"interval": stringProperty("1s"),
			"retries":  numberProperty(1),
		}),
		"wait":        boolProperty(true),
		"waitTimeout": numberProperty(3),
	}))
	started := time.Now()
	_, _, err := create(t, provider, containerType, "unhealthy", inputs)
	elapsed := time.Since(started)
	if err == nil {
		t.Fatal("Create must fail when the container never becomes healthy")
	}
	if elapsed < 3*time.Second {
		t.Errorf("Create gave up after %s, before waitTimeout (3s), although the status was unhealthy", elapsed)
	}
	if !strings.Contains(err.Error(), "still-not-ready") {
		t.Errorf("the error should include the last health check output: %v", err)
	}
	converted, ok := rpcerror.FromError(err)
	if !ok {
		t.Fatalf("error is not an RPC error: %v", err)
	}
	var failure *pulumirpc.ErrorResourceInitFailed
	for _, detail := range converted.Details() {
		if initFailed, isInitFailure := detail.(*pulumirpc.ErrorResourceInitFailed); isInitFailure {
			failure = initFailed
		}
	}
	if failure == nil || failure.GetId() == "" || len(failure.GetReasons()) == 0 {
		t.Fatalf("error has no ErrorResourceInitFailed with an ID and reasons: %v", converted.Details())
	}
	inspection, exists := run.inspectContainer(failure.GetId())
	if !exists || !inspection.State.Running {
		t.Errorf("the unhealthy container must stay (running) for the state to record it")
	}
	state := mustUnmarshal(t, failure.GetProperties())
	if state["name"].StringValue() != run.name("unhealthy") {
		t.Errorf("init failure state lacks the inputs: %v", state)
	}
	mustDelete(t, provider, containerType, "unhealthy", failure.GetId(), state)
}

func TestContainerDeleteGivesDestroyGraceSecondsToStop(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	markers := t.TempDir()
	trapTerm := `trap "echo graceful > /out/$MARKER; exit 0" TERM; while true; do sleep 0.2; done`
	graceful := func(suffix string, extra resource.PropertyMap) resource.PropertyMap {
		inputs := run.containerInputs(trapTerm, extra)
		inputs["name"] = stringProperty(run.name(suffix))
		inputs["envs"] = arrayProperty(stringProperty("MARKER=" + suffix))
		inputs["volumes"] = arrayProperty(objectProperty(resource.PropertyMap{
			"hostPath": stringProperty(markers), "containerPath": stringProperty("/out"),
		}))
		return check(t, provider, containerType, suffix, nil, inputs)
	}

	withGrace := graceful("with-grace", resource.PropertyMap{"destroyGraceSeconds": numberProperty(20)})
	id, outputs := mustCreate(t, provider, containerType, "with-grace", withGrace)
	elapsed := mustDelete(t, provider, containerType, "with-grace", id, outputs)
	if _, err := os.Stat(filepath.Join(markers, "with-grace")); err != nil {
		t.Errorf("the container did not get SIGTERM and time to handle it: %v", err)
	}
	if elapsed > 15*time.Second {
		t.Errorf("Delete took %s although the container stopped at once", elapsed)
	}

	// The official default (0) is no grace at all: the container is killed.
	withoutGrace := graceful("without-grace", nil)
	id, outputs = mustCreate(t, provider, containerType, "without-grace", withoutGrace)
	mustDelete(t, provider, containerType, "without-grace", id, outputs)
	if _, err := os.Stat(filepath.Join(markers, "without-grace")); err == nil {
		t.Errorf("without destroyGraceSeconds the container must be killed, not stopped gracefully")
	}
}

func TestOneShotContainerReportsLogsAndExitCode(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	inputs := check(t, provider, containerType, "migrate", nil, run.containerInputs("echo migrating; echo warning >&2; exit 3", resource.PropertyMap{
		"name":    stringProperty(run.name("migrate")),
		"attach":  boolProperty(true),
		"logs":    boolProperty(true),
		"mustRun": boolProperty(false),
	}))
	id, outputs := mustCreate(t, provider, containerType, "migrate", inputs)
	if code := outputs["exitCode"]; !code.IsNumber() || code.NumberValue() != 3 {
		t.Errorf("exitCode = %v, want 3 (and no failure: the code is not judged)", code)
	}
	logs := outputs["containerLogs"].StringValue()
	if !strings.Contains(logs, "migrating\n") || !strings.Contains(logs, "warning\n") {
		t.Errorf("containerLogs = %q, want stdout and stderr", logs)
	}
	inspection, _ := run.inspectContainer(id)
	if inspection.State.Running {
		t.Errorf("Create returned before the one-shot container finished")
	}
	mustDelete(t, provider, containerType, "migrate", id, outputs)

	// With the default mustRun (true), a container that stops at once is an
	// error and is removed, as in the official provider. The provider looks
	// 100 ms after the start; a busy machine may take longer than that to run
	// `exit 0`, so this test looks later: it tests the verdict, not the speed.
	defer func(delay time.Duration) { firstRunningCheckDelay = delay }(firstRunningCheckDelay)
	firstRunningCheckDelay = 5 * time.Second
	mustRunInputs := check(t, provider, containerType, "must-run", nil, run.containerInputs("exit 0", resource.PropertyMap{
		"name": stringProperty(run.name("must-run")),
	}))
	if _, _, err := create(t, provider, containerType, "must-run", mustRunInputs); err == nil ||
		!strings.Contains(err.Error(), "exited immediately") {
		t.Errorf("a mustRun container that exits must fail with \"exited immediately\", got %v", err)
	}
	if _, exists := run.inspectContainer(run.name("must-run")); exists {
		t.Errorf("the container that exited immediately must be removed")
	}
}

func TestContainerUploadsFilesBeforeStart(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	script := "#!/bin/sh\necho greetings from the script\n"
	inputs := check(t, provider, containerType, "uploads", nil, run.containerInputs(
		"cat /etc/berth/hello.txt; /usr/local/bin/greet; stat -c %a /usr/local/bin/greet /etc/berth/hello.txt /etc/berth/private",
		resource.PropertyMap{
			"name":    stringProperty(run.name("uploads")),
			"attach":  boolProperty(true),
			"logs":    boolProperty(true),
			"mustRun": boolProperty(false),
			"uploads": arrayProperty(
				objectProperty(resource.PropertyMap{"file": stringProperty("/etc/berth/hello.txt"), "content": stringProperty("hello upload\n")}),
				objectProperty(resource.PropertyMap{
					"file":          stringProperty("/usr/local/bin/greet"),
					"contentBase64": stringProperty(base64.StdEncoding.EncodeToString([]byte(script))),
					"executable":    boolProperty(true),
				}),
				objectProperty(resource.PropertyMap{
					"file":        stringProperty("/etc/berth/private"),
					"content":     resource.MakeSecret(stringProperty("secret")),
					"permissions": stringProperty("0600"),
				}),
			),
		}))
	id, outputs := mustCreate(t, provider, containerType, "uploads", inputs)
	logs := outputs["containerLogs"].StringValue()
	for _, expected := range []string{"hello upload\n", "greetings from the script\n", "744\n644\n600\n"} {
		if !strings.Contains(logs, expected) {
			t.Errorf("containerLogs %q lacks %q", logs, expected)
		}
	}
	if code := outputs["exitCode"].NumberValue(); code != 0 {
		t.Errorf("exitCode = %v", code)
	}
	mustDelete(t, provider, containerType, "uploads", id, outputs)
}

func TestContainerInPlaceUpdateAppliesRestartAndMemory(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	olds := check(t, provider, containerType, "update", nil, run.containerInputs("sleep 1000", resource.PropertyMap{
		"name": stringProperty(run.name("update")),
	}))
	id, state := mustCreate(t, provider, containerType, "update", olds)
	news := copyPropertyMap(olds)
	news["restart"] = stringProperty("unless-stopped")
	news["memory"] = numberProperty(64)
	news["memorySwap"] = numberProperty(128)
	news["destroyGraceSeconds"] = numberProperty(1)
	news = check(t, provider, containerType, "update", olds, news)
	if response := diff(t, provider, containerType, "update", olds, news); len(response.GetReplaces()) != 0 {
		t.Fatalf("restart/memory changes must not replace: %v", response.GetReplaces())
	}
	response, err := provider.Update(context.Background(), &pulumirpc.UpdateRequest{
		Id: id, Urn: testURN(containerType, "update"), Type: containerType,
		Olds: mustMarshal(t, state), OldInputs: mustMarshal(t, olds), News: mustMarshal(t, news),
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	inspection, _ := run.inspectContainer(id)
	if inspection.HostConfig.RestartPolicy.Name != "unless-stopped" || inspection.HostConfig.Memory != 64*megabyte {
		t.Errorf("restart policy %q / memory %d were not applied", inspection.HostConfig.RestartPolicy.Name, inspection.HostConfig.Memory)
	}
	updated := mustUnmarshal(t, response.GetProperties())
	if updated["destroyGraceSeconds"].NumberValue() != 1 {
		t.Errorf("outputs must record destroyGraceSeconds: %v", updated["destroyGraceSeconds"])
	}
	mustDelete(t, provider, containerType, "update", id, updated)
}

func TestRefreshRemovesAStoppedContainerThatMustRun(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	inputs := check(t, provider, containerType, "stopped", nil, run.containerInputs("sleep 1000", resource.PropertyMap{
		"name": stringProperty(run.name("stopped")),
	}))
	id, outputs := mustCreate(t, provider, containerType, "stopped", inputs)
	noGrace := 0
	if err := run.docker.ContainerStop(context.Background(), id, container.StopOptions{Timeout: &noGrace}); err != nil {
		t.Fatal(err)
	}
	if response := read(t, provider, containerType, "stopped", id, outputs, inputs); response.GetId() != "" {
		t.Errorf("Read of a stopped mustRun container returned ID %q, want it gone", response.GetId())
	}
	if _, exists := run.inspectContainer(id); exists {
		t.Errorf("the official provider removes a stopped mustRun container on refresh")
	}
}

func TestPreviewNeedsNoDockerHost(t *testing.T) {
	provider := newConfiguredProvider(t, resource.PropertyMap{"host": resource.MakeComputed(stringProperty(""))})
	inputs := check(t, provider, containerType, "web", nil, resource.PropertyMap{
		"image": resource.MakeComputed(stringProperty("")),
		"name":  stringProperty("web-preview"),
	})
	response, err := provider.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: testURN(containerType, "web"), Type: containerType, Properties: mustMarshal(t, inputs), Preview: true,
	})
	if err != nil {
		t.Fatalf("preview Create: %v", err)
	}
	outputs := mustUnmarshal(t, response.GetProperties())
	for _, key := range []resource.PropertyKey{"exitCode", "networkDatas", "containerLogs"} {
		if !outputs[key].IsComputed() {
			t.Errorf("preview output %s = %v, want unknown", key, outputs[key])
		}
	}
	if _, _, err := create(t, provider, containerType, "web", check(t, provider, containerType, "web", nil, resource.PropertyMap{
		"image": stringProperty(baseImage), "name": stringProperty("web-preview"),
	})); err == nil || !strings.Contains(err.Error(), "not known yet") {
		t.Errorf("a real Create with an unknown host must explain itself, got %v", err)
	}
}

func containsString(values []string, wanted string) bool {
	for _, value := range values {
		if value == wanted {
			return true
		}
	}
	return false
}

func equalStrings(left, right []string) bool {
	if len(left) != len(right) {
		return false
	}
	for index := range left {
		if left[index] != right[index] {
			return false
		}
	}
	return true
}
