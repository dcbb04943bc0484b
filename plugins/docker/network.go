package docker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const networkType = "docker:index/network:Network"

// networkInputs: `ingress` (swarm routing mesh) is rejected.
var networkInputs = inputSchema{
	label: "docker.Network",
	fields: map[string]propertyShape{
		"name":        aString,
		"driver":      aString,
		"internal":    aBool,
		"attachable":  aBool,
		"ipv6":        aBool,
		"labels":      labelShape,
		"options":     aStringMap,
		"ipamDriver":  aString,
		"ipamOptions": aStringMap,
		"ipamConfigs": listOf(map[string]propertyShape{
			"subnet":     aString,
			"ipRange":    aString,
			"gateway":    aString,
			"auxAddress": aStringMap,
		}),
	},
}

// Every network input is ForceNew in the official provider.
var networkDiffPolicy = diffPolicy{
	replaceKeys: keySet("name", "driver", "internal", "attachable", "ipv6", "labels", "options",
		"ipamDriver", "ipamOptions", "ipamConfigs"),
	setKeys:         keySet("labels", "ipamConfigs"),
	keptWhenOmitted: keySet("driver", "internal", "ipamConfigs", "options"),
}

// networkResource is docker.Network; its ID is the Docker network ID.
type networkResource struct{}

func (networkResource) check(request *pulumirpc.CheckRequest, olds, news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	failures := networkInputs.validate(news)
	if len(failures) > 0 {
		return news, failures
	}
	checked := copyPropertyMap(news)
	if err := fillAutoName(request, olds, checked, true); err != nil {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "name", Reason: err.Error()})
	}
	return checked, failures
}

func (networkResource) diff(state, oldInputs, newInputs resource.PropertyMap) *pulumirpc.DiffResponse {
	return networkDiffPolicy.diff(state, oldInputs, newInputs)
}

func networkOutputs(inputs resource.PropertyMap, details network.Inspect) resource.PropertyMap {
	outputs := copyPropertyMap(inputs)
	outputs["name"] = resource.NewStringProperty(details.Name)
	outputs["driver"] = resource.NewStringProperty(details.Driver)
	outputs["scope"] = resource.NewStringProperty(details.Scope)
	outputs["internal"] = resource.NewBoolProperty(details.Internal)
	if _, given := outputs["ipamConfigs"]; !given {
		configs := []resource.PropertyValue{}
		for _, config := range details.IPAM.Config {
			configs = append(configs, resource.NewObjectProperty(resource.PropertyMap{
				"subnet":     resource.NewStringProperty(config.Subnet),
				"ipRange":    resource.NewStringProperty(config.IPRange),
				"gateway":    resource.NewStringProperty(config.Gateway),
				"auxAddress": stringMapProperty(config.AuxAddress),
			}))
		}
		outputs["ipamConfigs"] = resource.NewArrayProperty(configs)
	}
	return outputs
}

func (networkResource) create(ctx context.Context, session *dockerSession, inputs resource.PropertyMap, preview bool) (string, resource.PropertyMap, error) {
	if preview {
		outputs := copyPropertyMap(inputs)
		for _, key := range []resource.PropertyKey{"driver", "scope", "internal", "ipamConfigs"} {
			if _, given := outputs[key]; !given {
				outputs[key] = unknownValue()
			}
		}
		return "", outputs, nil
	}
	bag := newPropertyBag(inputs)
	ipv6 := bag.boolValue("ipv6", false)
	options := network.CreateOptions{
		Driver:     bag.stringValue("driver"),
		Internal:   bag.boolValue("internal", false),
		Attachable: bag.boolValue("attachable", false),
		EnableIPv6: &ipv6,
		Labels:     labelMap(bag.objectList("labels")),
		Options:    bag.stringMap("options"),
		IPAM: &network.IPAM{
			Driver:  bag.stringValue("ipamDriver"),
			Options: bag.stringMap("ipamOptions"),
		},
	}
	for _, config := range bag.objectList("ipamConfigs") {
		options.IPAM.Config = append(options.IPAM.Config, network.IPAMConfig{
			Subnet:     config.stringValue("subnet"),
			IPRange:    config.stringValue("ipRange"),
			Gateway:    config.stringValue("gateway"),
			AuxAddress: config.stringMap("auxAddress"),
		})
	}
	created, err := session.client.NetworkCreate(ctx, bag.stringValue("name"), options)
	if err != nil {
		return "", nil, fmt.Errorf("unable to create network: %w", err)
	}
	details, err := session.client.NetworkInspect(ctx, created.ID, network.InspectOptions{})
	if err != nil {
		return "", nil, &initializationFailure{id: created.ID, outputs: copyPropertyMap(inputs), reason: err}
	}
	return created.ID, networkOutputs(inputs, details), nil
}

func (networkResource) read(ctx context.Context, session *dockerSession, id string, state, inputs resource.PropertyMap) (string, resource.PropertyMap, resource.PropertyMap, error) {
	details, err := session.client.NetworkInspect(ctx, id, network.InspectOptions{})
	if client.IsErrNotFound(err) {
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("unable to inspect network %s: %w", id, err)
	}
	if len(state) == 0 {
		state = resource.PropertyMap{"name": resource.NewStringProperty(details.Name)}
		inputs = copyPropertyMap(state)
	}
	return details.ID, networkOutputs(state, details), inputs, nil
}

// update is never needed: every input change replaces the network.
func (networkResource) update(_ context.Context, _ *dockerSession, _ string, state, _, newInputs resource.PropertyMap, _ bool) (resource.PropertyMap, error) {
	outputs := copyPropertyMap(newInputs)
	for _, key := range []resource.PropertyKey{"driver", "scope", "internal", "ipamConfigs"} {
		if _, given := outputs[key]; !given {
			outputs[key] = state[key]
		}
	}
	return outputs, nil
}

// delete retries for a while when endpoints are still attached: containers
// deleted just before may take a moment to leave the network.
func (networkResource) delete(ctx context.Context, session *dockerSession, id string, _ resource.PropertyMap) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := session.client.NetworkRemove(ctx, id)
		if err == nil || client.IsErrNotFound(err) {
			return nil
		}
		if !strings.Contains(err.Error(), "active endpoints") || time.Now().After(deadline) {
			return fmt.Errorf("unable to remove network %s: %w", id, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
