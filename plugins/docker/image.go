package docker

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const remoteImageType = "docker:index/remoteImage:RemoteImage"

// remoteImageInputs: `build` is rejected (berth builds images elsewhere).
var remoteImageInputs = inputSchema{
	label: "docker.RemoteImage",
	fields: map[string]propertyShape{
		"name":         aRequiredStr,
		"keepLocally":  aBool,
		"forceRemove":  aBool,
		"platform":     aString,
		"pullTriggers": aStringList,
		"triggers":     aStringMap,
	},
}

// Everything but keepLocally and forceRemove is ForceNew in the official
// provider; pullTriggers is a set.
var remoteImageDiffPolicy = diffPolicy{
	replaceKeys: keySet("name", "platform", "pullTriggers", "triggers"),
	setKeys:     keySet("pullTriggers"),
}

// remoteImageResource is docker.RemoteImage: an image pulled onto the host.
// Its ID is "<image id><name>", as the official provider makes it.
type remoteImageResource struct{}

func (remoteImageResource) check(_ *pulumirpc.CheckRequest, _, news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	return news, remoteImageInputs.validate(news)
}

func (remoteImageResource) diff(state, oldInputs, newInputs resource.PropertyMap) *pulumirpc.DiffResponse {
	return remoteImageDiffPolicy.diff(state, oldInputs, newInputs)
}

func (remoteImageResource) create(ctx context.Context, session *dockerSession, inputs resource.PropertyMap, preview bool) (string, resource.PropertyMap, error) {
	if preview {
		outputs := copyPropertyMap(inputs)
		outputs["imageId"] = unknownValue()
		outputs["repoDigest"] = unknownValue()
		return "", outputs, nil
	}
	bag := newPropertyBag(inputs)
	name := bag.stringValue("name")
	inspection, err := ensureImagePresent(ctx, session, name, bag.stringValue("platform"))
	if err != nil {
		return "", nil, fmt.Errorf("unable to read Docker image into resource: %w", err)
	}
	outputs := copyPropertyMap(inputs)
	outputs["imageId"] = resource.NewStringProperty(inspection.ID)
	outputs["repoDigest"] = resource.NewStringProperty(repositoryDigest(name, inspection))
	return inspection.ID + name, outputs, nil
}

func (remoteImageResource) read(ctx context.Context, session *dockerSession, id string, state, inputs resource.PropertyMap) (string, resource.PropertyMap, resource.PropertyMap, error) {
	name := newPropertyBag(state).stringValue("name")
	if name == "" {
		// An import: the ID is "<image id><name>", the image ID being
		// "sha256:" and 64 hexadecimal digits.
		const imageIDLength = len("sha256:") + 64
		if strings.HasPrefix(id, "sha256:") && len(id) > imageIDLength {
			name = id[imageIDLength:]
		}
	}
	inspection, _, err := session.client.ImageInspectWithRaw(ctx, name)
	if client.IsErrNotFound(err) {
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("unable to inspect image %s: %w", name, err)
	}
	if len(state) == 0 {
		state = resource.PropertyMap{"name": resource.NewStringProperty(name)}
		inputs = copyPropertyMap(state)
	}
	outputs := copyPropertyMap(state)
	outputs["imageId"] = resource.NewStringProperty(inspection.ID)
	outputs["repoDigest"] = resource.NewStringProperty(repositoryDigest(name, inspection))
	return inspection.ID + name, outputs, inputs, nil
}

// update only happens for keepLocally / forceRemove, which matter at delete
// time; the image is made present again as the official provider does.
func (handler remoteImageResource) update(ctx context.Context, session *dockerSession, id string, state, _, newInputs resource.PropertyMap, preview bool) (resource.PropertyMap, error) {
	outputs := copyPropertyMap(newInputs)
	outputs["imageId"] = state["imageId"]
	outputs["repoDigest"] = state["repoDigest"]
	if preview {
		return outputs, nil
	}
	name := newPropertyBag(newInputs).stringValue("name")
	inspection, err := ensureImagePresent(ctx, session, name, newPropertyBag(newInputs).stringValue("platform"))
	if err != nil {
		return nil, err
	}
	outputs["imageId"] = resource.NewStringProperty(inspection.ID)
	outputs["repoDigest"] = resource.NewStringProperty(repositoryDigest(name, inspection))
	return outputs, nil
}

func (remoteImageResource) delete(ctx context.Context, session *dockerSession, _ string, state resource.PropertyMap) error {
	bag := newPropertyBag(state)
	if bag.boolValue("keepLocally", false) {
		return nil
	}
	name := bag.stringValue("name")
	if name == "" {
		return fmt.Errorf("empty image name is not allowed")
	}
	_, err := session.client.ImageRemove(ctx, name, image.RemoveOptions{Force: bag.boolValue("forceRemove", false)})
	if err != nil && !client.IsErrNotFound(err) {
		return fmt.Errorf("unable to remove Docker image %s: %w", name, err)
	}
	return nil
}
