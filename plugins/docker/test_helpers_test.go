package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/berth-deploy/berth/plugins/internal/providerkit"
)

// The local daemon and the base image every test container runs: a Debian
// minbase root file system with sh, sleep, test and coreutils.
const (
	localDockerHost = "unix:///var/run/docker.sock"
	baseImage       = "berth/base:bookworm"
	// testLabel marks every container the tests create, for cleanup.
	testLabel = "berth.test"
)

// testRun gives the names of one test's Docker objects a unique prefix.
type testRun struct {
	t      *testing.T
	prefix string
	docker *client.Client
}

func newTestRun(t *testing.T) *testRun {
	t.Helper()
	random := make([]byte, 4)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	docker, err := client.NewClientWithOpts(client.WithHost(localDockerHost), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	run := &testRun{t: t, prefix: "berth-provider-test-" + hex.EncodeToString(random), docker: docker}
	t.Cleanup(run.removeLeftovers)
	return run
}

func (run *testRun) name(suffix string) string { return run.prefix + "-" + suffix }

// removeLeftovers removes every container, network and volume whose name or
// label carries this run's prefix, whatever the test did.
func (run *testRun) removeLeftovers() {
	ctx := context.Background()
	containers, err := run.docker.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", testLabel+"="+run.prefix))})
	if err == nil {
		for _, leftover := range containers {
			_ = run.docker.ContainerRemove(ctx, leftover.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
	byName, err := run.docker.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("name", run.prefix))})
	if err == nil {
		for _, leftover := range byName {
			_ = run.docker.ContainerRemove(ctx, leftover.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
	networks, err := run.docker.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", run.prefix))})
	if err == nil {
		for _, leftover := range networks {
			_ = run.docker.NetworkRemove(ctx, leftover.ID)
		}
	}
	volumes, err := run.docker.VolumeList(ctx, volume.ListOptions{Filters: filters.NewArgs(filters.Arg("name", run.prefix))})
	if err == nil {
		for _, leftover := range volumes.Volumes {
			_ = run.docker.VolumeRemove(ctx, leftover.Name, true)
		}
	}
	images, err := run.docker.ImageList(ctx, image.ListOptions{})
	if err == nil {
		for _, leftover := range images {
			for _, tag := range leftover.RepoTags {
				if strings.HasPrefix(tag, run.prefix) {
					_, _ = run.docker.ImageRemove(ctx, tag, image.RemoveOptions{})
				}
			}
		}
	}
	run.docker.Close()
}

// newConfiguredProvider returns a provider configured with the given
// configuration inputs (the "docker:*" keys without prefix).
func newConfiguredProvider(t *testing.T, config resource.PropertyMap) *Provider {
	t.Helper()
	provider := NewProvider("5.2.0")
	t.Cleanup(func() { provider.Close() })
	args, err := providerkit.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: args}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return provider
}

func newLocalProvider(t *testing.T) *Provider {
	return newConfiguredProvider(t, resource.PropertyMap{"host": resource.NewStringProperty(localDockerHost)})
}

func testURN(typeToken, name string) string {
	return string(resource.NewURN("test", "docker-provider", "", tokens.Type(typeToken), name))
}

func mustMarshal(t *testing.T, values resource.PropertyMap) *structpb.Struct {
	t.Helper()
	marshaled, err := providerkit.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	return marshaled
}

func mustUnmarshal(t *testing.T, values *structpb.Struct) resource.PropertyMap {
	t.Helper()
	unmarshaled, err := providerkit.Unmarshal(values)
	if err != nil {
		t.Fatal(err)
	}
	return unmarshaled
}

// check runs Check and fails the test on failures.
func check(t *testing.T, provider *Provider, typeToken, name string, olds, news resource.PropertyMap) resource.PropertyMap {
	t.Helper()
	checked, failures := checkWithFailures(t, provider, typeToken, name, olds, news)
	if len(failures) > 0 {
		t.Fatalf("Check failed: %v", failures)
	}
	return checked
}

func checkWithFailures(t *testing.T, provider *Provider, typeToken, name string, olds, news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	t.Helper()
	response, err := provider.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn:        testURN(typeToken, name),
		Name:       name,
		Type:       typeToken,
		Olds:       mustMarshal(t, olds),
		News:       mustMarshal(t, news),
		RandomSeed: []byte(name),
	})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return mustUnmarshal(t, response.GetInputs()), response.GetFailures()
}

func diff(t *testing.T, provider *Provider, typeToken, name string, oldInputs, newInputs resource.PropertyMap) *pulumirpc.DiffResponse {
	t.Helper()
	return diffAgainstState(t, provider, typeToken, name, oldInputs, oldInputs, newInputs)
}

// diffAgainstState runs Diff as the engine does for a deployed resource:
// the recorded state as Olds and the inputs it was deployed with as
// OldInputs (diff sends the old inputs as both).
func diffAgainstState(t *testing.T, provider *Provider, typeToken, name string, state, oldInputs, newInputs resource.PropertyMap) *pulumirpc.DiffResponse {
	t.Helper()
	response, err := provider.Diff(context.Background(), &pulumirpc.DiffRequest{
		Id:        "some-id",
		Urn:       testURN(typeToken, name),
		Type:      typeToken,
		Olds:      mustMarshal(t, state),
		OldInputs: mustMarshal(t, oldInputs),
		News:      mustMarshal(t, newInputs),
	})
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	return response
}

// mustUpdate runs a real (not preview) Update and returns the new state.
func mustUpdate(t *testing.T, provider *Provider, typeToken, name, id string, state, oldInputs, newInputs resource.PropertyMap) resource.PropertyMap {
	t.Helper()
	response, err := provider.Update(context.Background(), &pulumirpc.UpdateRequest{
		Id:        id,
		Urn:       testURN(typeToken, name),
		Type:      typeToken,
		Olds:      mustMarshal(t, state),
		OldInputs: mustMarshal(t, oldInputs),
		News:      mustMarshal(t, newInputs),
	})
	if err != nil {
		t.Fatalf("Update %s: %v", name, err)
	}
	return mustUnmarshal(t, response.GetProperties())
}

// create runs Create; the error (if any) is returned for tests that expect one.
func create(t *testing.T, provider *Provider, typeToken, name string, inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	t.Helper()
	response, err := provider.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn:        testURN(typeToken, name),
		Type:       typeToken,
		Properties: mustMarshal(t, inputs),
	})
	if err != nil {
		return "", nil, err
	}
	return response.GetId(), mustUnmarshal(t, response.GetProperties()), nil
}

func mustCreate(t *testing.T, provider *Provider, typeToken, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	t.Helper()
	id, outputs, err := create(t, provider, typeToken, name, inputs)
	if err != nil {
		t.Fatalf("Create %s: %v", name, err)
	}
	if id == "" {
		t.Fatalf("Create %s returned no ID", name)
	}
	return id, outputs
}

func read(t *testing.T, provider *Provider, typeToken, name, id string, state, inputs resource.PropertyMap) *pulumirpc.ReadResponse {
	t.Helper()
	response, err := provider.Read(context.Background(), &pulumirpc.ReadRequest{
		Id:         id,
		Urn:        testURN(typeToken, name),
		Type:       typeToken,
		Properties: mustMarshal(t, state),
		Inputs:     mustMarshal(t, inputs),
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return response
}

func mustDelete(t *testing.T, provider *Provider, typeToken, name, id string, state resource.PropertyMap) time.Duration {
	t.Helper()
	started := time.Now()
	_, err := provider.Delete(context.Background(), &pulumirpc.DeleteRequest{
		Id:         id,
		Urn:        testURN(typeToken, name),
		Type:       typeToken,
		Properties: mustMarshal(t, state),
	})
	if err != nil {
		t.Fatalf("Delete %s: %v", name, err)
	}
	return time.Since(started)
}

// containerInputs are the inputs of a test container: the base image, a
// command, and the label cleanup looks for.
func (run *testRun) containerInputs(command string, extra resource.PropertyMap) resource.PropertyMap {
	inputs := resource.PropertyMap{
		"image":   resource.NewStringProperty(baseImage),
		"command": stringListProperty([]string{"sh", "-c", command}),
		"labels": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"label": resource.NewStringProperty(testLabel),
			"value": resource.NewStringProperty(run.prefix),
		})}),
	}
	for key, value := range extra {
		inputs[key] = value
	}
	return inputs
}

func (run *testRun) inspectContainer(id string) (types.ContainerJSON, bool) {
	inspection, err := run.docker.ContainerInspect(context.Background(), id)
	if client.IsErrNotFound(err) {
		return inspection, false
	}
	if err != nil {
		run.t.Fatalf("inspect %s: %v", id, err)
	}
	return inspection, true
}

func stringProperty(value string) resource.PropertyValue  { return resource.NewStringProperty(value) }
func numberProperty(value float64) resource.PropertyValue { return resource.NewNumberProperty(value) }
func boolProperty(value bool) resource.PropertyValue      { return resource.NewBoolProperty(value) }
func objectProperty(values resource.PropertyMap) resource.PropertyValue {
	return resource.NewObjectProperty(values)
}
func arrayProperty(values ...resource.PropertyValue) resource.PropertyValue {
	return resource.NewArrayProperty(values)
}
