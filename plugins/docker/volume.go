package docker

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const volumeType = "docker:index/volume:Volume"

// volumeInputs: `cluster` (swarm cluster volumes) is rejected.
var volumeInputs = inputSchema{
	label: "docker.Volume",
	fields: map[string]propertyShape{
		"name":       aString,
		"driver":     aString,
		"driverOpts": aStringMap,
		"labels":     labelShape,
	},
}

// Every volume input is ForceNew in the official provider.
var volumeDiffPolicy = diffPolicy{
	replaceKeys:     keySet("name", "driver", "driverOpts", "labels"),
	setKeys:         keySet("labels"),
	keptWhenOmitted: keySet("driver", "driverOpts"),
}

// volumeResource is docker.Volume; its ID is the volume name.
type volumeResource struct{}

func (volumeResource) check(request *pulumirpc.CheckRequest, olds, news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	failures := volumeInputs.validate(news)
	if len(failures) > 0 {
		return news, failures
	}
	checked := copyPropertyMap(news)
	if err := fillAutoName(request, olds, checked, false); err != nil {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "name", Reason: err.Error()})
	}
	return checked, failures
}

func (volumeResource) diff(state, oldInputs, newInputs resource.PropertyMap) *pulumirpc.DiffResponse {
	return volumeDiffPolicy.diff(state, oldInputs, newInputs)
}

func volumeOutputs(inputs resource.PropertyMap, details volume.Volume) resource.PropertyMap {
	outputs := copyPropertyMap(inputs)
	outputs["name"] = resource.NewStringProperty(details.Name)
	outputs["driver"] = resource.NewStringProperty(details.Driver)
	outputs["mountpoint"] = resource.NewStringProperty(details.Mountpoint)
	if _, given := outputs["driverOpts"]; !given && len(details.Options) > 0 {
		outputs["driverOpts"] = stringMapProperty(details.Options)
	}
	return outputs
}

func stringMapProperty(values map[string]string) resource.PropertyValue {
	object := resource.PropertyMap{}
	for key, value := range values {
		object[resource.PropertyKey(key)] = resource.NewStringProperty(value)
	}
	return resource.NewObjectProperty(object)
}

func (volumeResource) create(ctx context.Context, session *dockerSession, inputs resource.PropertyMap, preview bool) (string, resource.PropertyMap, error) {
	if preview {
		outputs := copyPropertyMap(inputs)
		outputs["mountpoint"] = unknownValue()
		if _, given := outputs["driver"]; !given {
			outputs["driver"] = unknownValue()
		}
		return "", outputs, nil
	}
	bag := newPropertyBag(inputs)
	created, err := session.client.VolumeCreate(ctx, volume.CreateOptions{
		Name:       bag.stringValue("name"),
		Driver:     bag.stringValue("driver"),
		DriverOpts: bag.stringMap("driverOpts"),
		Labels:     labelMap(bag.objectList("labels")),
	})
	if err != nil {
		return "", nil, fmt.Errorf("unable to create volume: %w", err)
	}
	return created.Name, volumeOutputs(inputs, created), nil
}

func (volumeResource) read(ctx context.Context, session *dockerSession, id string, state, inputs resource.PropertyMap) (string, resource.PropertyMap, resource.PropertyMap, error) {
	details, err := session.client.VolumeInspect(ctx, id)
	if client.IsErrNotFound(err) {
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("unable to inspect volume %s: %w", id, err)
	}
	if len(state) == 0 {
		state = resource.PropertyMap{"name": resource.NewStringProperty(details.Name)}
		inputs = copyPropertyMap(state)
	}
	return details.Name, volumeOutputs(state, details), inputs, nil
}

// update is never needed: every input change replaces the volume.
func (volumeResource) update(_ context.Context, _ *dockerSession, _ string, state, _, newInputs resource.PropertyMap, _ bool) (resource.PropertyMap, error) {
	outputs := copyPropertyMap(newInputs)
	for _, key := range []resource.PropertyKey{"mountpoint", "driver"} {
		if _, given := outputs[key]; !given {
			outputs[key] = state[key]
		}
	}
	return outputs, nil
}

func (volumeResource) delete(ctx context.Context, session *dockerSession, id string, _ resource.PropertyMap) error {
	err := session.client.VolumeRemove(ctx, id, true)
	if err != nil && !client.IsErrNotFound(err) {
		return fmt.Errorf("unable to remove volume %s: %w", id, err)
	}
	return nil
}
