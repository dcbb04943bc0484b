package command

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/berth-deploy/berth/plugins/internal/providerkit"
)

// Provider serves the resource provider gRPC protocol for the "command"
// package. It keeps no state between calls except the cancellation context:
// the engine calls it concurrently for independent resources.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	version string
	engine  EngineLogger

	// cancelled ends every running command when the engine calls Cancel
	// (Ctrl-C, or the deployment is being torn down).
	cancelled context.Context
	cancel    context.CancelFunc
	once      sync.Once
}

// New makes a provider reporting version; engine may be nil (no logging).
func New(engine EngineLogger, version string) *Provider {
	cancelled, cancel := context.WithCancel(context.Background())
	return &Provider{version: version, engine: engine, cancelled: cancelled, cancel: cancel}
}

func (provider *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: provider.version}, nil
}

// GetSchema returns a minimal schema: the engine does not need the resource
// schemas to run a program, and the SDK comes from npm with its own.
func (provider *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	schema, err := json.Marshal(map[string]string{"name": "command", "version": provider.version})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: string(schema)}, nil
}

// Handshake states up front what Configure states again, for engines that
// ask this way first.
func (provider *Provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

// The command package has no provider configuration.

func (provider *Provider) CheckConfig(_ context.Context, request *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: request.GetNews()}, nil
}

func (provider *Provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Configure: secrets arrive marked (so they stay secret in outputs), and
// Create/Update are called during preview too (to report unknown outputs).
func (provider *Provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (provider *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	provider.once.Do(provider.cancel)
	return &emptypb.Empty{}, nil
}

func (provider *Provider) Invoke(_ context.Context, request *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	return nil, fmt.Errorf("function %s is not supported by berth's offline command provider", request.GetTok())
}

func (provider *Provider) Check(_ context.Context, request *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	urn := resource.URN(request.GetUrn())
	if reason, refused := unsupportedResourceTypes[urn.Type()]; refused {
		return &pulumirpc.CheckResponse{
			Inputs:   request.GetNews(),
			Failures: []*pulumirpc.CheckFailure{{Reason: reason}},
		}, nil
	}
	kind, err := resourceTypeOf(urn)
	if err != nil {
		return nil, err
	}
	news, err := providerkit.Unmarshal(request.GetNews())
	if err != nil {
		return nil, err
	}
	checked, failures := kind.check(news)
	inputs, err := providerkit.Marshal(checked)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

func (provider *Provider) Diff(_ context.Context, request *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	kind, err := resourceTypeOf(resource.URN(request.GetUrn()))
	if err != nil {
		return nil, err
	}
	oldState, err := providerkit.Unmarshal(request.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := providerkit.Unmarshal(request.GetNews())
	if err != nil {
		return nil, err
	}
	// DeleteBeforeReplace stays false: on a triggers change the new command
	// runs first and the old resource's delete runs afterwards.
	return kind.diff(oldState, news), nil
}

func (provider *Provider) Create(ctx context.Context, request *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(request.GetUrn())
	kind, err := resourceTypeOf(urn)
	if err != nil {
		return nil, err
	}
	inputs, err := providerkit.Unmarshal(request.GetProperties())
	if err != nil {
		return nil, err
	}
	ctx, stop := provider.withCancellation(ctx)
	defer stop()
	outputs, err := kind.create(ctx, provider.stepFor(urn, request.GetPreview()), inputs)
	if err != nil {
		return nil, err
	}
	id, err := resource.NewUniqueHex(urn.Name(), 8, 0)
	if err != nil {
		return nil, err
	}
	properties, err := providerkit.Marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: properties}, nil
}

// Read (refresh, import) returns the state as it is: a command's effects
// cannot be read back, the official provider does the same.
func (provider *Provider) Read(_ context.Context, request *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if _, err := resourceTypeOf(resource.URN(request.GetUrn())); err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: request.GetId(), Properties: request.GetProperties(), Inputs: request.GetInputs()}, nil
}

func (provider *Provider) Update(ctx context.Context, request *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	urn := resource.URN(request.GetUrn())
	kind, err := resourceTypeOf(urn)
	if err != nil {
		return nil, err
	}
	oldState, err := providerkit.Unmarshal(request.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := providerkit.Unmarshal(request.GetNews())
	if err != nil {
		return nil, err
	}
	ctx, stop := provider.withCancellation(ctx)
	defer stop()
	outputs, err := kind.update(ctx, provider.stepFor(urn, request.GetPreview()), oldState, news)
	if err != nil {
		return nil, err
	}
	properties, err := providerkit.Marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: properties}, nil
}

func (provider *Provider) Delete(ctx context.Context, request *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	urn := resource.URN(request.GetUrn())
	kind, err := resourceTypeOf(urn)
	if err != nil {
		return nil, err
	}
	oldState, err := providerkit.Unmarshal(request.GetProperties())
	if err != nil {
		return nil, err
	}
	ctx, stop := provider.withCancellation(ctx)
	defer stop()
	if err := kind.delete(ctx, provider.stepFor(urn, false), oldState); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (provider *Provider) stepFor(urn resource.URN, preview bool) resourceStep {
	return resourceStep{urn: urn, preview: preview, engine: provider.engine}
}

// withCancellation ends ctx when the engine calls Cancel as well as when the
// request itself ends.
func (provider *Provider) withCancellation(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stopWatching := context.AfterFunc(provider.cancelled, cancel)
	return ctx, func() {
		stopWatching()
		cancel()
	}
}

func resourceTypeOf(urn resource.URN) (resourceType, error) {
	token := urn.Type()
	kind, ok := resourceTypes[token]
	if !ok {
		return nil, fmt.Errorf("resource type %s is not supported by berth's offline command provider (it serves %s, %s and %s)",
			token, localCommandToken, remoteCommandToken, copyToRemoteToken)
	}
	return kind, nil
}
