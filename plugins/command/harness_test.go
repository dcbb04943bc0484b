package command

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/berth-deploy/berth/plugins/internal/providerkit"
)

// The tests drive the provider through its gRPC methods, with properties
// marshalled exactly as the engine sends them.

type harness struct {
	t        *testing.T
	provider *Provider
	engine   *recordingEngine
}

func newHarness(t *testing.T) harness {
	engine := &recordingEngine{}
	return harness{t: t, provider: New(engine, "1.2.1"), engine: engine}
}

func urnOf(token tokens.Type, name string) string {
	return string(resource.NewURN("test", "berth", "", token, name))
}

func (h harness) marshal(properties resource.PropertyMap) *structpb.Struct {
	h.t.Helper()
	marshalled, err := providerkit.Marshal(properties)
	if err != nil {
		h.t.Fatal(err)
	}
	return marshalled
}

func (h harness) unmarshal(marshalled *structpb.Struct) resource.PropertyMap {
	h.t.Helper()
	properties, err := providerkit.Unmarshal(marshalled)
	if err != nil {
		h.t.Fatal(err)
	}
	return properties
}

// check runs Check and fails the test on Check failures.
func (h harness) check(token tokens.Type, news resource.PropertyMap) resource.PropertyMap {
	h.t.Helper()
	checked, failures := h.checkWithFailures(token, news)
	if len(failures) > 0 {
		h.t.Fatalf("unexpected check failures: %v", failures)
	}
	return checked
}

func (h harness) checkWithFailures(token tokens.Type, news resource.PropertyMap) (resource.PropertyMap, []string) {
	h.t.Helper()
	response, err := h.provider.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: urnOf(token, "subject"), News: h.marshal(news),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	var reasons []string
	for _, failure := range response.GetFailures() {
		reasons = append(reasons, failure.GetReason())
	}
	return h.unmarshal(response.GetInputs()), reasons
}

func (h harness) create(token tokens.Type, inputs resource.PropertyMap, preview bool) (resource.PropertyMap, error) {
	h.t.Helper()
	response, err := h.provider.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: urnOf(token, "subject"), Properties: h.marshal(inputs), Preview: preview,
	})
	if err != nil {
		return nil, err
	}
	if response.GetId() == "" {
		h.t.Fatal("Create returned no id")
	}
	return h.unmarshal(response.GetProperties()), nil
}

func (h harness) mustCreate(token tokens.Type, inputs resource.PropertyMap) resource.PropertyMap {
	h.t.Helper()
	outputs, err := h.create(token, inputs, false)
	if err != nil {
		h.t.Fatalf("create: %v", err)
	}
	return outputs
}

func (h harness) update(token tokens.Type, oldState, news resource.PropertyMap, preview bool) (resource.PropertyMap, error) {
	h.t.Helper()
	response, err := h.provider.Update(context.Background(), &pulumirpc.UpdateRequest{
		Urn: urnOf(token, "subject"), Id: "subject-1234", Olds: h.marshal(oldState), News: h.marshal(news), Preview: preview,
	})
	if err != nil {
		return nil, err
	}
	return h.unmarshal(response.GetProperties()), nil
}

func (h harness) mustUpdate(token tokens.Type, oldState, news resource.PropertyMap) resource.PropertyMap {
	h.t.Helper()
	outputs, err := h.update(token, oldState, news, false)
	if err != nil {
		h.t.Fatalf("update: %v", err)
	}
	return outputs
}

func (h harness) delete(token tokens.Type, oldState resource.PropertyMap) error {
	h.t.Helper()
	_, err := h.provider.Delete(context.Background(), &pulumirpc.DeleteRequest{
		Urn: urnOf(token, "subject"), Id: "subject-1234", Properties: h.marshal(oldState),
	})
	return err
}

func (h harness) diff(token tokens.Type, oldState, news resource.PropertyMap) *pulumirpc.DiffResponse {
	h.t.Helper()
	response, err := h.provider.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: urnOf(token, "subject"), Id: "subject-1234", Olds: h.marshal(oldState), News: h.marshal(news),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return response
}

// recordingEngine stands in for the Pulumi engine's log service.
type recordingEngine struct {
	mutex    sync.Mutex
	statuses []string
	logs     []string
}

func (engine *recordingEngine) Log(_ context.Context, severity diag.Severity, _ resource.URN, message string) error {
	engine.mutex.Lock()
	defer engine.mutex.Unlock()
	engine.logs = append(engine.logs, string(severity)+": "+message)
	return nil
}

func (engine *recordingEngine) LogStatus(_ context.Context, _ diag.Severity, _ resource.URN, message string) error {
	engine.mutex.Lock()
	defer engine.mutex.Unlock()
	engine.statuses = append(engine.statuses, message)
	return nil
}

func (engine *recordingEngine) recordedStatuses() []string {
	engine.mutex.Lock()
	defer engine.mutex.Unlock()
	return append([]string{}, engine.statuses...)
}

func (engine *recordingEngine) recordedLogs() string {
	engine.mutex.Lock()
	defer engine.mutex.Unlock()
	return strings.Join(engine.logs, "\n")
}

// Property construction shorthands.

func text(value string) resource.PropertyValue { return resource.NewStringProperty(value) }

func secretText(value string) resource.PropertyValue { return resource.MakeSecret(text(value)) }

func stringMap(pairs ...string) resource.PropertyValue {
	properties := resource.PropertyMap{}
	for index := 0; index+1 < len(pairs); index += 2 {
		properties[resource.PropertyKey(pairs[index])] = text(pairs[index+1])
	}
	return resource.NewObjectProperty(properties)
}

func list(values ...resource.PropertyValue) resource.PropertyValue {
	return resource.NewArrayProperty(values)
}

// plainString reads an output string, failing if it is secret or unknown.
func plainString(t *testing.T, outputs resource.PropertyMap, key string) string {
	t.Helper()
	value := outputs[resource.PropertyKey(key)]
	if !value.IsString() {
		t.Fatalf("output %q is %v, want a plain string", key, value)
	}
	return value.StringValue()
}

func assertContains(t *testing.T, haystack string, needles ...string) {
	t.Helper()
	for _, needle := range needles {
		if !strings.Contains(haystack, needle) {
			t.Errorf("%q does not contain %q", haystack, needle)
		}
	}
}
