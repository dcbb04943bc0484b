// Package docker is berth's offline replacement for the pulumi-resource-docker
// plugin. It serves the requests of the official @pulumi/docker 5.2.0 SDK
// for the resources berth uses (Container, RemoteImage, Volume, Network)
// with the official provider's semantics, and rejects inputs it does not
// implement instead of ignoring them.
package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/berth-deploy/berth/plugins/internal/providerkit"
)

// dockerSession is what resource operations need to talk to the daemon.
type dockerSession struct {
	client              client.APIClient
	registryCredentials []registryCredential
}

// resourceHandler implements one resource type. Inputs given to create,
// update and diff have been through check.
type resourceHandler interface {
	check(request *pulumirpc.CheckRequest, olds, news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure)
	// diff gets the recorded state too: the official provider plans from it.
	diff(state, oldInputs, newInputs resource.PropertyMap) *pulumirpc.DiffResponse
	// create returns the new resource's ID and outputs; on preview it must
	// not call Docker.
	create(ctx context.Context, session *dockerSession, inputs resource.PropertyMap, preview bool) (string, resource.PropertyMap, error)
	// read returns an empty ID when the resource no longer exists.
	read(ctx context.Context, session *dockerSession, id string, state, inputs resource.PropertyMap) (string, resource.PropertyMap, resource.PropertyMap, error)
	update(ctx context.Context, session *dockerSession, id string, state, oldInputs, newInputs resource.PropertyMap, preview bool) (resource.PropertyMap, error)
	delete(ctx context.Context, session *dockerSession, id string, state resource.PropertyMap) error
}

// initializationFailure reports a resource that was created but did not
// finish initializing (for example a container that never became healthy).
// The engine records it in the state, marked with the reasons.
type initializationFailure struct {
	id      string
	outputs resource.PropertyMap
	reason  error
}

func (failure *initializationFailure) Error() string { return failure.reason.Error() }

// Provider is the gRPC resource provider server.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	version   string
	resources map[string]resourceHandler

	mutex   sync.Mutex
	config  providerConfig
	session *dockerSession

	// canceled ends every running operation when the engine calls Cancel.
	canceled context.Context
	cancel   context.CancelFunc
}

// NewProvider makes a provider reporting the given plugin version.
func NewProvider(version string) *Provider {
	canceled, cancel := context.WithCancel(context.Background())
	return &Provider{
		version: version,
		resources: map[string]resourceHandler{
			containerType:   containerResource{},
			remoteImageType: remoteImageResource{},
			volumeType:      volumeResource{},
			networkType:     networkResource{},
		},
		config:   providerConfig{host: defaultDockerHost},
		canceled: canceled,
		cancel:   cancel,
	}
}

// Close releases the Docker client and its connections (ssh processes).
func (provider *Provider) Close() error {
	provider.mutex.Lock()
	defer provider.mutex.Unlock()
	if provider.session == nil {
		return nil
	}
	err := provider.session.client.Close()
	provider.session = nil
	return err
}

func (provider *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: provider.version}, nil
}

// GetSchema returns a minimal schema: the SDK is generated already, the
// engine only needs the package identity.
func (provider *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	schema, err := json.Marshal(map[string]any{
		"name":        "docker",
		"version":     provider.version,
		"description": "berth's offline docker provider (Container, RemoteImage, Volume, Network)",
	})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: string(schema)}, nil
}

func (provider *Provider) CheckConfig(_ context.Context, request *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := providerkit.Unmarshal(request.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	if _, err := parseProviderConfig(news); err != nil {
		failures = append(failures, &pulumirpc.CheckFailure{Reason: err.Error()})
	}
	return &pulumirpc.CheckResponse{Inputs: request.GetNews(), Failures: failures}, nil
}

// DiffConfig: changing the provider configuration (say, a host address)
// never replaces resources, as with the official provider.
func (provider *Provider) DiffConfig(_ context.Context, request *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := providerkit.UnmarshalOldInputs(request.GetOldInputs(), request.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := providerkit.Unmarshal(request.GetNews())
	if err != nil {
		return nil, err
	}
	return providerkit.InputDiff(olds, news, nil), nil
}

func (provider *Provider) Configure(_ context.Context, request *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	args, err := providerkit.Unmarshal(request.GetArgs())
	if err != nil {
		return nil, err
	}
	config, err := parseProviderConfig(configValues(args, request.GetVariables()))
	if err != nil {
		return nil, rpcerror.New(codes.InvalidArgument, err.Error())
	}
	provider.mutex.Lock()
	defer provider.mutex.Unlock()
	provider.config = config
	if provider.session != nil {
		provider.session.client.Close()
		provider.session = nil
	}
	// Like the official (bridged) provider, which does not accept secrets:
	// the engine strips them before each call and marks the results itself,
	// a whole property secret when any part of it was. berth's state then has
	// the shape a user's machine writes (inputs.labels one secret value, when
	// a label is derived from secrets), so code reading state is tested on it.
	return &pulumirpc.ConfigureResponse{AcceptSecrets: false, SupportsPreview: true}, nil
}

// connect makes the Docker session on first use: previews never need the
// daemon, and the host may not be known then.
// connectUnlessPreview connects for a real step; a preview changes nothing
// and must not need the host, so it gets no session.
func (provider *Provider) connectUnlessPreview(preview bool) (*dockerSession, error) {
	if preview {
		return nil, nil
	}
	return provider.connect()
}

func (provider *Provider) connect() (*dockerSession, error) {
	provider.mutex.Lock()
	defer provider.mutex.Unlock()
	if provider.session != nil {
		return provider.session, nil
	}
	if provider.config.hostUnknown {
		return nil, fmt.Errorf("the docker host is not known yet (it depends on resources not created)")
	}
	dockerClient, err := newDockerClient(provider.config)
	if err != nil {
		return nil, err
	}
	provider.session = &dockerSession{client: dockerClient, registryCredentials: provider.config.registryCredentials}
	return provider.session, nil
}

func (provider *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	provider.cancel()
	return &emptypb.Empty{}, nil
}

func (provider *Provider) handler(typeToken, urn string) (resourceHandler, error) {
	if typeToken == "" {
		typeToken = string(resource.URN(urn).Type())
	}
	handler, ok := provider.resources[typeToken]
	if !ok {
		return nil, rpcerror.Newf(codes.Unimplemented,
			"resource type %q is not supported by berth's offline docker provider (supported: %s)",
			typeToken, strings.Join([]string{containerType, remoteImageType, volumeType, networkType}, ", "))
	}
	return handler, nil
}

// operationContext ends when the request ends, when the engine cancels, or
// when the resource's custom timeout (seconds, 0 = none) is over.
func (provider *Provider) operationContext(requestContext context.Context, timeoutSeconds float64) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(requestContext)
	stopOnCancel := context.AfterFunc(provider.canceled, cancel)
	if timeoutSeconds > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, time.Duration(timeoutSeconds*float64(time.Second)))
		return ctx, func() { cancelTimeout(); stopOnCancel(); cancel() }
	}
	return ctx, func() { stopOnCancel(); cancel() }
}

func (provider *Provider) Check(_ context.Context, request *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	handler, err := provider.handler(request.GetType(), request.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := providerkit.Unmarshal(request.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := providerkit.Unmarshal(request.GetNews())
	if err != nil {
		return nil, err
	}
	checked, failures := handler.check(request, olds, news)
	inputs, err := providerkit.Marshal(checked)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

func (provider *Provider) Diff(_ context.Context, request *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	handler, err := provider.handler(request.GetType(), request.GetUrn())
	if err != nil {
		return nil, err
	}
	state, err := providerkit.Unmarshal(request.GetOlds())
	if err != nil {
		return nil, err
	}
	oldInputs, err := providerkit.UnmarshalOldInputs(request.GetOldInputs(), request.GetOlds())
	if err != nil {
		return nil, err
	}
	newInputs, err := providerkit.Unmarshal(request.GetNews())
	if err != nil {
		return nil, err
	}
	return handler.diff(state, oldInputs, newInputs), nil
}

func (provider *Provider) Create(requestContext context.Context, request *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	handler, err := provider.handler(request.GetType(), request.GetUrn())
	if err != nil {
		return nil, err
	}
	inputs, err := providerkit.Unmarshal(request.GetProperties())
	if err != nil {
		return nil, err
	}
	session, err := provider.connectUnlessPreview(request.GetPreview())
	if err != nil {
		return nil, err
	}
	ctx, cancel := provider.operationContext(requestContext, request.GetTimeout())
	defer cancel()
	id, outputs, err := handler.create(ctx, session, inputs, request.GetPreview())
	if err != nil {
		return nil, initializationError(err)
	}
	properties, err := providerkit.Marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: properties}, nil
}

func (provider *Provider) Read(requestContext context.Context, request *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	handler, err := provider.handler(request.GetType(), request.GetUrn())
	if err != nil {
		return nil, err
	}
	state, err := providerkit.Unmarshal(request.GetProperties())
	if err != nil {
		return nil, err
	}
	inputs, err := providerkit.Unmarshal(request.GetInputs())
	if err != nil {
		return nil, err
	}
	session, err := provider.connect()
	if err != nil {
		return nil, err
	}
	ctx, cancel := provider.operationContext(requestContext, 0)
	defer cancel()
	id, outputs, newInputs, err := handler.read(ctx, session, request.GetId(), state, inputs)
	if err != nil {
		return nil, err
	}
	if id == "" {
		// An empty ID tells the engine the resource is gone.
		return &pulumirpc.ReadResponse{}, nil
	}
	properties, err := providerkit.Marshal(outputs)
	if err != nil {
		return nil, err
	}
	inputStruct, err := providerkit.Marshal(newInputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: id, Properties: properties, Inputs: inputStruct}, nil
}

func (provider *Provider) Update(requestContext context.Context, request *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	handler, err := provider.handler(request.GetType(), request.GetUrn())
	if err != nil {
		return nil, err
	}
	state, err := providerkit.Unmarshal(request.GetOlds())
	if err != nil {
		return nil, err
	}
	oldInputs, err := providerkit.UnmarshalOldInputs(request.GetOldInputs(), request.GetOlds())
	if err != nil {
		return nil, err
	}
	newInputs, err := providerkit.Unmarshal(request.GetNews())
	if err != nil {
		return nil, err
	}
	session, err := provider.connectUnlessPreview(request.GetPreview())
	if err != nil {
		return nil, err
	}
	ctx, cancel := provider.operationContext(requestContext, request.GetTimeout())
	defer cancel()
	outputs, err := handler.update(ctx, session, request.GetId(), state, oldInputs, newInputs, request.GetPreview())
	if err != nil {
		return nil, initializationError(err)
	}
	properties, err := providerkit.Marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: properties}, nil
}

func (provider *Provider) Delete(requestContext context.Context, request *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	handler, err := provider.handler(request.GetType(), request.GetUrn())
	if err != nil {
		return nil, err
	}
	state, err := providerkit.Unmarshal(request.GetProperties())
	if err != nil {
		return nil, err
	}
	session, err := provider.connect()
	if err != nil {
		return nil, err
	}
	ctx, cancel := provider.operationContext(requestContext, request.GetTimeout())
	defer cancel()
	if err := handler.delete(ctx, session, request.GetId(), state); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// initializationError turns an initializationFailure into the error shape
// the engine understands as "created, but failed to initialize": the
// resource is kept in the state with its outputs and the reasons.
func initializationError(err error) error {
	failure, ok := err.(*initializationFailure)
	if !ok {
		return err
	}
	properties, marshalError := providerkit.Marshal(failure.outputs)
	if marshalError != nil {
		return err
	}
	return rpcerror.WithDetails(
		rpcerror.New(codes.Unknown, failure.reason.Error()),
		&pulumirpc.ErrorResourceInitFailed{
			Id:         failure.id,
			Properties: properties,
			Reasons:    []string{failure.reason.Error()},
		},
	)
}
