package command

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// resourceType is one resource token's behaviour. The gRPC layer
// (provider.go) unmarshals, dispatches on the token and marshals; the
// resource types only see property maps.
type resourceType interface {
	// check validates new inputs and returns them with the defaults the
	// official provider fills in.
	check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure)
	// diff compares the old state with checked new inputs.
	diff(oldState, news resource.PropertyMap) *pulumirpc.DiffResponse
	create(ctx context.Context, step resourceStep, inputs resource.PropertyMap) (resource.PropertyMap, error)
	update(ctx context.Context, step resourceStep, oldState, news resource.PropertyMap) (resource.PropertyMap, error)
	delete(ctx context.Context, step resourceStep, oldState resource.PropertyMap) error
}

const (
	localCommandToken  tokens.Type = "command:local:Command"
	remoteCommandToken tokens.Type = "command:remote:Command"
	copyToRemoteToken  tokens.Type = "command:remote:CopyToRemote"
	copyFileToken      tokens.Type = "command:remote:CopyFile"
)

// resourceTypes maps every token this provider serves to its behaviour.
var resourceTypes = map[tokens.Type]resourceType{
	localCommandToken:  commandResource{kind: localCommandKind{}},
	remoteCommandToken: commandResource{kind: remoteCommandKind{}},
	copyToRemoteToken:  copyToRemoteResource{},
}

// unsupportedResourceTypes are tokens of the official schema berth's
// provider refuses, with the reason shown to the user.
var unsupportedResourceTypes = map[tokens.Type]string{
	copyFileToken: "remote.CopyFile is deprecated upstream and not implemented by berth's offline command provider; use remote.CopyToRemote",
}
