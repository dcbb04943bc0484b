package docker

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestVolumeAndNetworkServeAContainer(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	ctx := context.Background()
	label := arrayProperty(objectProperty(resource.PropertyMap{"label": stringProperty(testLabel), "value": stringProperty(run.prefix)}))

	// Both are auto-named from the resource name, which carries the prefix.
	volumeInputs := check(t, provider, volumeType, run.name("code"), nil, resource.PropertyMap{"labels": label})
	volumeID, volumeState := mustCreate(t, provider, volumeType, run.name("code"), volumeInputs)
	if !strings.HasPrefix(volumeID, run.name("code")+"-") || volumeState["mountpoint"].StringValue() == "" {
		t.Errorf("volume %q state %v", volumeID, volumeState)
	}

	networkInputs := check(t, provider, networkType, run.name("backend"), nil, resource.PropertyMap{
		"labels":      label,
		"ipamConfigs": arrayProperty(objectProperty(resource.PropertyMap{"subnet": stringProperty("172.31.250.0/24")})),
	})
	networkID, networkState := mustCreate(t, provider, networkType, run.name("backend"), networkInputs)
	networkName := networkState["name"].StringValue()

	containerInputs := check(t, provider, containerType, "app", nil, run.containerInputs("echo data > /code/file; sleep 1000", resource.PropertyMap{
		"name": stringProperty(run.name("app")),
		"mounts": arrayProperty(objectProperty(resource.PropertyMap{
			"type": stringProperty("volume"), "source": stringProperty(volumeID), "target": stringProperty("/code"),
		})),
		"networksAdvanced": arrayProperty(objectProperty(resource.PropertyMap{
			"name":        stringProperty(networkName),
			"aliases":     stringListProperty([]string{"app"}),
			"ipv4Address": stringProperty("172.31.250.10"),
		})),
	}))
	containerID, containerState := mustCreate(t, provider, containerType, "app", containerInputs)
	networks := containerState["networkDatas"].ArrayValue()
	if len(networks) != 1 || networks[0].ObjectValue()["networkName"].StringValue() != networkName ||
		networks[0].ObjectValue()["ipAddress"].StringValue() != "172.31.250.10" {
		t.Errorf("the container must be only on %s with its fixed address: %v", networkName, networks)
	}
	details, err := run.docker.NetworkInspect(ctx, networkID, network.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if endpoint, ok := details.Containers[containerID]; !ok || endpoint.IPv4Address != "172.31.250.10/24" {
		t.Errorf("network endpoints = %v", details.Containers)
	}

	mustDelete(t, provider, containerType, "app", containerID, containerState)
	mustDelete(t, provider, networkType, run.name("backend"), networkID, networkState)
	mustDelete(t, provider, volumeType, run.name("code"), volumeID, volumeState)
	if _, err := run.docker.NetworkInspect(ctx, networkID, network.InspectOptions{}); !client.IsErrNotFound(err) {
		t.Errorf("network still exists: %v", err)
	}
	if _, err := run.docker.VolumeInspect(ctx, volumeID); !client.IsErrNotFound(err) {
		t.Errorf("volume still exists: %v", err)
	}

	relabeled := diff(t, provider, volumeType, run.name("code"), volumeInputs, check(t, provider, volumeType, run.name("code"), volumeInputs,
		resource.PropertyMap{"labels": arrayProperty()}))
	if !equalStrings(relabeled.GetReplaces(), []string{"labels"}) {
		t.Errorf("a volume label change replaces: %v", relabeled.GetReplaces())
	}
}
