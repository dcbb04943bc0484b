package docker

import (
	"sort"

	"github.com/docker/docker/api/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// containerOutputs is the state recorded for a container: its inputs (kept
// as given, secrets included) plus what Docker reports about it.
func containerOutputs(inputs resource.PropertyMap, inspection types.ContainerJSON) resource.PropertyMap {
	outputs := copyPropertyMap(inputs)
	for _, key := range containerComputedOutputs {
		if key != "containerLogs" {
			delete(outputs, resource.PropertyKey(key))
		}
	}

	if settings := inspection.NetworkSettings; settings != nil {
		outputs["bridge"] = resource.NewStringProperty(settings.Bridge)
		outputs["networkDatas"] = networkDataOutputs(settings)
	}
	if inspection.State != nil && !inspection.State.Running {
		outputs["exitCode"] = resource.NewNumberProperty(float64(inspection.State.ExitCode))
	}

	// Optional inputs the program left out are reported as Docker chose them
	// (from the image or the daemon's defaults), as the official provider does.
	setIfAbsent := func(key string, value resource.PropertyValue) {
		if existing, ok := outputs[resource.PropertyKey(key)]; ok && !plainValue(existing).IsNull() {
			return
		}
		if isZeroValue(value) {
			return
		}
		outputs[resource.PropertyKey(key)] = value
	}
	if config := inspection.Config; config != nil {
		setIfAbsent("hostname", resource.NewStringProperty(config.Hostname))
		setIfAbsent("command", stringListProperty(config.Cmd))
		setIfAbsent("entrypoints", stringListProperty(config.Entrypoint))
		setIfAbsent("stopSignal", resource.NewStringProperty(config.StopSignal))
		if health := config.Healthcheck; health != nil && len(health.Test) > 0 {
			setIfAbsent("healthcheck", resource.NewObjectProperty(resource.PropertyMap{
				"tests":         stringListProperty(health.Test),
				"interval":      resource.NewStringProperty(health.Interval.String()),
				"timeout":       resource.NewStringProperty(health.Timeout.String()),
				"startPeriod":   resource.NewStringProperty(health.StartPeriod.String()),
				"startInterval": resource.NewStringProperty(health.StartInterval.String()),
				"retries":       resource.NewNumberProperty(float64(health.Retries)),
			}))
		}
	}
	if hostConfig := inspection.HostConfig; hostConfig != nil {
		setIfAbsent("logDriver", resource.NewStringProperty(hostConfig.LogConfig.Type))
		setIfAbsent("ipcMode", resource.NewStringProperty(string(hostConfig.IpcMode)))
		setIfAbsent("shmSize", resource.NewNumberProperty(float64(hostConfig.ShmSize/megabyte)))
		setIfAbsent("runtime", resource.NewStringProperty(hostConfig.Runtime))
		setIfAbsent("securityOpts", stringListProperty(hostConfig.SecurityOpt))
		if hostConfig.Init != nil {
			if _, ok := outputs["init"]; !ok {
				outputs["init"] = resource.NewBoolProperty(*hostConfig.Init)
			}
		}
	}
	return outputs
}

// containerReportedWhenOmitted are the optional inputs containerOutputs
// fills from Docker when the program does not set them.
var containerReportedWhenOmitted = []string{
	"hostname", "command", "entrypoints", "stopSignal", "healthcheck",
	"logDriver", "ipcMode", "shmSize", "runtime", "securityOpts", "init",
}

func networkDataOutputs(settings *types.NetworkSettings) resource.PropertyValue {
	names := make([]string, 0, len(settings.Networks))
	for name := range settings.Networks {
		names = append(names, name)
	}
	sort.Strings(names)
	entries := []resource.PropertyValue{}
	for _, name := range names {
		endpoint := settings.Networks[name]
		if endpoint == nil {
			continue
		}
		entries = append(entries, resource.NewObjectProperty(resource.PropertyMap{
			"networkName":            resource.NewStringProperty(name),
			"ipAddress":              resource.NewStringProperty(endpoint.IPAddress),
			"ipPrefixLength":         resource.NewNumberProperty(float64(endpoint.IPPrefixLen)),
			"gateway":                resource.NewStringProperty(endpoint.Gateway),
			"globalIpv6Address":      resource.NewStringProperty(endpoint.GlobalIPv6Address),
			"globalIpv6PrefixLength": resource.NewNumberProperty(float64(endpoint.GlobalIPv6PrefixLen)),
			"ipv6Gateway":            resource.NewStringProperty(endpoint.IPv6Gateway),
			"macAddress":             resource.NewStringProperty(endpoint.MacAddress),
		}))
	}
	return resource.NewArrayProperty(entries)
}

func stringListProperty(values []string) resource.PropertyValue {
	elements := make([]resource.PropertyValue, 0, len(values))
	for _, value := range values {
		elements = append(elements, resource.NewStringProperty(value))
	}
	return resource.NewArrayProperty(elements)
}

// containerPreviewOutputs are the outputs shown before a container exists:
// its inputs, with everything Docker will decide marked unknown.
func containerPreviewOutputs(inputs resource.PropertyMap) resource.PropertyMap {
	outputs := copyPropertyMap(inputs)
	for _, key := range containerComputedOutputs {
		outputs[resource.PropertyKey(key)] = unknownValue()
	}
	for _, key := range containerReportedWhenOmitted {
		if _, given := outputs[resource.PropertyKey(key)]; !given {
			outputs[resource.PropertyKey(key)] = unknownValue()
		}
	}
	return outputs
}
