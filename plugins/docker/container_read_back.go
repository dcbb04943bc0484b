package docker

import (
	"github.com/docker/docker/api/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// containerInputsReadBack are the inputs the official provider's Read
// (resourceDockerContainerRead) overwrites with what the daemon reports,
// although its schema marks them Optional but not Computed. Read runs after
// every create and refresh; an update records its plan and reads nothing.
// The daemon does not always report what it was given:
//
//   - memorySwap: with only memory set, the daemon makes it 2 × memory (or
//     -1 on hosts without swap accounting, when memorySwap is set too).
//   - logOpts: the daemon adds its own default log-opts (daemon.json) when
//     the container uses the default log driver.
//
// Terraform plans from the state, and a value the program leaves out of an
// Optional, not Computed input is planned as removed: the next preview
// after a create or refresh shows an update (`- memorySwap: 1024`), or a
// replacement for logOpts (ForceNew). Recording the same values makes this
// provider show the same diffs. memory is read back too: Docker reports it
// as given, so it only shows a change made outside Pulumi (after a refresh).
var containerInputsReadBack = []string{"memory", "memorySwap", "logOpts"}

// recordInputsAsDockerReports writes containerInputsReadBack into outputs
// as the official Read does. Zero values (no limit, no options) are left
// out: Terraform treats them like an absent input. A value recorded for an
// input that held a secret is secret too, as the engine marks it for the
// official provider (which does not accept secrets).
func recordInputsAsDockerReports(outputs, inputs resource.PropertyMap, inspection types.ContainerJSON) {
	hostConfig := inspection.HostConfig
	if hostConfig == nil {
		return
	}
	reported := map[string]resource.PropertyValue{
		"memory":     resource.NewNumberProperty(float64(hostConfig.Memory / megabyte)),
		"memorySwap": resource.NewNumberProperty(float64(memorySwapInMegabytes(hostConfig.MemorySwap))),
		"logOpts":    stringMapProperty(hostConfig.LogConfig.Config),
	}
	for _, key := range containerInputsReadBack {
		propertyKey := resource.PropertyKey(key)
		value := reported[key]
		if isZeroValue(value) {
			delete(outputs, propertyKey)
			continue
		}
		outputs[propertyKey] = withSecretnessOf(value, inputs[propertyKey])
	}
}

// memorySwapInMegabytes converts as the official Read does: a limit is in
// megabytes, while 0 (none) and -1 (unlimited) are kept as they are.
func memorySwapInMegabytes(bytes int64) int64 {
	if bytes > 0 {
		return bytes / megabyte
	}
	return bytes
}

// withSecretnessOf marks value secret where input held a secret, the way
// the engine annotates the outputs of a provider that does not accept
// secrets: objects field by field, anything else as a whole.
func withSecretnessOf(value, input resource.PropertyValue) resource.PropertyValue {
	if !input.ContainsSecrets() {
		return value
	}
	plainInput := plainValue(input)
	if input.IsSecret() || !value.IsObject() || !plainInput.IsObject() {
		return resource.MakeSecret(value)
	}
	object := copyPropertyMap(value.ObjectValue())
	for key, field := range object {
		object[key] = withSecretnessOf(field, plainInput.ObjectValue()[key])
	}
	return resource.NewObjectProperty(object)
}
