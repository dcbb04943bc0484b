package docker

import (
	"context"
	"testing"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// berth's app containers set memory and leave memorySwap out. The daemon
// makes the swap limit 2 × memory and the official provider records that,
// so the next preview plans to remove it: an update of every container
// after each replacement, quiet again once that update has run.
func TestContainerCreatedWithMemoryOnlyRecordsDockersMemorySwapAndDiffsIt(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	inputs := check(t, provider, containerType, "memory-only", nil, run.containerInputs("sleep 1000", resource.PropertyMap{
		"name":   stringProperty(run.name("memory-only")),
		"memory": numberProperty(64),
	}))
	id, state := mustCreate(t, provider, containerType, "memory-only", inputs)
	if swap := state["memorySwap"]; !swap.IsNumber() || swap.NumberValue() != 128 {
		t.Fatalf("recorded memorySwap = %v, want 128 (Docker's 2 × memory)", swap)
	}
	if memory := state["memory"]; !memory.IsNumber() || memory.NumberValue() != 64 {
		t.Errorf("recorded memory = %v, want 64", memory)
	}

	response := diffAgainstState(t, provider, containerType, "memory-only", state, inputs, inputs)
	if response.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || !equalStrings(response.GetDiffs(), []string{"memorySwap"}) ||
		len(response.GetReplaces()) != 0 {
		t.Fatalf("the same inputs again: changes=%v diffs=%v replaces=%v, want an update of memorySwap only",
			response.GetChanges(), response.GetDiffs(), response.GetReplaces())
	}
	change := response.GetDetailedDiff()["memorySwap"]
	if change.GetKind() != pulumirpc.PropertyDiff_DELETE || change.GetInputDiff() {
		t.Errorf("memorySwap diff = %v, want a removal of the recorded value (`- memorySwap: 128`)", change)
	}

	// The official Update records its plan without reading Docker back.
	updated := mustUpdate(t, provider, containerType, "memory-only", id, state, inputs, inputs)
	if swap, recorded := updated["memorySwap"]; recorded {
		t.Errorf("after the update memorySwap = %v, want it left out as the inputs leave it out", swap)
	}
	if response := diffAgainstState(t, provider, containerType, "memory-only", updated, inputs, inputs); response.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("after the update the same inputs must not diff: %v", response.GetDiffs())
	}
	if inspection, _ := run.inspectContainer(id); inspection.HostConfig.MemorySwap != 128*megabyte {
		t.Errorf("the update changed the container's swap limit to %d", inspection.HostConfig.MemorySwap)
	}

	// A refresh reads Docker's value back, and with it the diff.
	refreshed := mustUnmarshal(t, read(t, provider, containerType, "memory-only", id, updated, inputs).GetProperties())
	if swap := refreshed["memorySwap"]; !swap.IsNumber() || swap.NumberValue() != 128 {
		t.Errorf("refreshed memorySwap = %v, want 128", swap)
	}
	if response := diffAgainstState(t, provider, containerType, "memory-only", refreshed, inputs, inputs); !equalStrings(response.GetDiffs(), []string{"memorySwap"}) {
		t.Errorf("after a refresh the diff must be back: %v", response.GetDiffs())
	}
	mustDelete(t, provider, containerType, "memory-only", id, refreshed)
}

// A program that sets memorySwap to what Docker reports sees no diff.
func TestContainerWithMemorySwapSetAsDockerReportsItHasNoDiff(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	info, err := run.docker.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Without swap accounting the daemon replaces a given swap limit with -1
	// (unlimited): that host shows the official provider's diff forever.
	noSwapRecorded := float64(64)
	if !info.SwapLimit {
		noSwapRecorded = -1
	}
	for _, testCase := range []struct {
		name     string
		swap     float64
		recorded float64
	}{
		{"swap-default", 128, 128},
		{"swap-off", 64, noSwapRecorded},
	} {
		inputs := check(t, provider, containerType, testCase.name, nil, run.containerInputs("sleep 1000", resource.PropertyMap{
			"name":       stringProperty(run.name(testCase.name)),
			"memory":     numberProperty(64),
			"memorySwap": numberProperty(testCase.swap),
		}))
		id, state := mustCreate(t, provider, containerType, testCase.name, inputs)
		if swap := state["memorySwap"]; !swap.IsNumber() || swap.NumberValue() != testCase.recorded {
			t.Errorf("%s: recorded memorySwap = %v, want %v", testCase.name, swap, testCase.recorded)
		}
		response := diffAgainstState(t, provider, containerType, testCase.name, state, inputs, inputs)
		wantChanges := pulumirpc.DiffResponse_DIFF_NONE
		if testCase.recorded != testCase.swap {
			wantChanges = pulumirpc.DiffResponse_DIFF_SOME
		}
		if response.GetChanges() != wantChanges {
			t.Errorf("%s: changes = %v (%v), want %v", testCase.name, response.GetChanges(), response.GetDiffs(), wantChanges)
		}
		mustDelete(t, provider, containerType, testCase.name, id, state)
	}
}

// The daemon adds its default log options (daemon.json "log-opts") to a
// container using the default driver; logOpts is ForceNew in the official
// schema, so such a host replaces the container on every `pulumi up`.
func TestLogOptionsTheDaemonAddsReplaceTheContainer(t *testing.T) {
	provider := NewProvider("5.2.0")
	inputs := check(t, provider, containerType, "nginx", nil, resource.PropertyMap{
		"image":     stringProperty(baseImage),
		"name":      stringProperty("nginx"),
		"logDriver": stringProperty("json-file"),
		"logOpts": objectProperty(resource.PropertyMap{
			"max-size": resource.MakeSecret(stringProperty("10m")),
			"max-file": stringProperty("5"),
		}),
	})
	inspection := types.ContainerJSON{ContainerJSONBase: &types.ContainerJSONBase{HostConfig: &container.HostConfig{
		LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "5", "compress": "true"}},
	}}}
	state := containerOutputs(inputs, inspection)
	recordInputsAsDockerReports(state, inputs, inspection)

	recorded := state["logOpts"].ObjectValue()
	if !recorded["max-size"].IsSecret() || recorded["max-file"].IsSecret() || recorded["compress"].StringValue() != "true" {
		t.Errorf("recorded logOpts = %v, want Docker's options with the secret input option still secret", recorded)
	}
	if response := diffAgainstState(t, provider, containerType, "nginx", state, inputs, inputs); !equalStrings(response.GetReplaces(), []string{"logOpts"}) {
		t.Errorf("replaces = %v, want logOpts", response.GetReplaces())
	}

	// Where the daemon keeps the options as given, nothing changes.
	inspection.HostConfig.LogConfig.Config = map[string]string{"max-size": "10m", "max-file": "5"}
	state = containerOutputs(inputs, inspection)
	recordInputsAsDockerReports(state, inputs, inspection)
	if response := diffAgainstState(t, provider, containerType, "nginx", state, inputs, inputs); response.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("options as given must not diff: %v", response.GetDiffs())
	}
}
