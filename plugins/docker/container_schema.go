package docker

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const containerType = "docker:index/container:Container"

// Shorthands for the schema tables below.
var (
	aString      = propertyShape{kind: kindString}
	aNumber      = propertyShape{kind: kindNumber}
	aBool        = propertyShape{kind: kindBool}
	aStringList  = propertyShape{kind: kindStringList}
	aStringMap   = propertyShape{kind: kindStringMap}
	aRequiredStr = propertyShape{kind: kindString, required: true}
	aRequiredNum = propertyShape{kind: kindNumber, required: true}
)

func objectOf(fields map[string]propertyShape) propertyShape {
	return propertyShape{kind: kindObject, fields: fields}
}

func listOf(fields map[string]propertyShape) propertyShape {
	return propertyShape{kind: kindObjectList, fields: fields}
}

var labelShape = listOf(map[string]propertyShape{"label": aRequiredStr, "value": aRequiredStr})

// containerInputs lists the docker.Container inputs this provider
// implements. Everything else the official SDK accepts (gpus, devices,
// deviceRequests, platform, storageOpts, cgroupParent, memoryReservation,
// ...) fails Check with a message naming the input.
var containerInputs = inputSchema{
	label: "docker.Container",
	fields: map[string]propertyShape{
		"name":        aString,
		"image":       aRequiredStr,
		"command":     aStringList,
		"entrypoints": aStringList,
		"envs":        aStringList,
		"user":        aString,
		"workingDir":  aString,
		"hostname":    aString,
		"domainname":  aString,
		"labels":      labelShape,
		"ports": listOf(map[string]propertyShape{
			"internal": aRequiredNum,
			"external": aNumber,
			"ip":       aString,
			"protocol": aString,
		}),
		"publishAllPorts": aBool,
		"volumes": listOf(map[string]propertyShape{
			"containerPath": aString,
			"hostPath":      aString,
			"volumeName":    aString,
			"fromContainer": aString,
			"readOnly":      aBool,
		}),
		"mounts": listOf(map[string]propertyShape{
			"target":      aRequiredStr,
			"type":        aRequiredStr,
			"source":      aString,
			"readOnly":    aBool,
			"bindOptions": objectOf(map[string]propertyShape{"propagation": aString}),
			"volumeOptions": objectOf(map[string]propertyShape{
				"noCopy":        aBool,
				"labels":        labelShape,
				"driverName":    aString,
				"driverOptions": aStringMap,
			}),
			"tmpfsOptions": objectOf(map[string]propertyShape{"sizeBytes": aNumber, "mode": aNumber}),
		}),
		"tmpfs": aStringMap,
		"uploads": listOf(map[string]propertyShape{
			"file":          aRequiredStr,
			"content":       aString,
			"contentBase64": aString,
			"source":        aString,
			"sourceHash":    aString,
			"executable":    aBool,
			"permissions":   aString,
		}),
		"restart":       aString,
		"maxRetryCount": aNumber,
		"healthcheck": objectOf(map[string]propertyShape{
			"tests":         aStringList,
			"interval":      aString,
			"timeout":       aString,
			"startPeriod":   aString,
			"startInterval": aString,
			"retries":       aNumber,
		}),
		"wait":                aBool,
		"waitTimeout":         aNumber,
		"start":               aBool,
		"attach":              aBool,
		"logs":                aBool,
		"mustRun":             aBool,
		"rm":                  aBool,
		"removeVolumes":       aBool,
		"destroyGraceSeconds": aNumber,
		"stopSignal":          aString,
		"stopTimeout":         aNumber,
		"containerReadRefreshTimeoutMilliseconds": aNumber,
		"logDriver":   aString,
		"logOpts":     aStringMap,
		"memory":      aNumber,
		"memorySwap":  aNumber,
		"shmSize":     aNumber,
		"cpuShares":   aNumber,
		"cpus":        aString,
		"cpuSet":      aString,
		"cpuPeriod":   aNumber,
		"cpuQuota":    aNumber,
		"networkMode": aString,
		"networksAdvanced": listOf(map[string]propertyShape{
			"name":        aRequiredStr,
			"aliases":     aStringList,
			"ipv4Address": aString,
			"ipv6Address": aString,
		}),
		"hosts":        listOf(map[string]propertyShape{"host": aRequiredStr, "ip": aRequiredStr}),
		"dns":          aStringList,
		"dnsOpts":      aStringList,
		"dnsSearches":  aStringList,
		"init":         aBool,
		"privileged":   aBool,
		"readOnly":     aBool,
		"capabilities": objectOf(map[string]propertyShape{"adds": aStringList, "drops": aStringList}),
		"securityOpts": aStringList,
		"groupAdds":    aStringList,
		"ulimits": listOf(map[string]propertyShape{
			"name": aRequiredStr,
			"soft": aRequiredNum,
			"hard": aRequiredNum,
		}),
		"sysctls":      aStringMap,
		"ipcMode":      aString,
		"pidMode":      aString,
		"usernsMode":   aString,
		"cgroupnsMode": aString,
		"runtime":      aString,
		"tty":          aBool,
		"stdinOpen":    aBool,
	},
}

// containerUpdatableInputs are the inputs the official provider does not
// mark ForceNew. Of these, restart, maxRetryCount, cpuShares, cpuSet,
// memory and memorySwap are applied to the running container (docker
// update); the rest only change what is recorded (and how the container is
// waited for or deleted later). Every other input forces a replacement.
var containerUpdatableInputs = keySet(
	"rm", "start", "attach", "logs", "mustRun", "wait", "waitTimeout",
	"restart", "maxRetryCount", "removeVolumes", "tmpfs", "destroyGraceSeconds",
	"memory", "memorySwap", "cpuShares", "cpuSet", "cpuPeriod", "cpuQuota",
	"healthcheck", "init", "containerReadRefreshTimeoutMilliseconds",
)

// containerLiveUpdateInputs are applied with `docker update`.
var containerLiveUpdateInputs = keySet("restart", "maxRetryCount", "cpuShares", "cpuSet", "memory", "memorySwap")

func containerReplaceKeys() map[string]bool {
	keys := map[string]bool{}
	for name := range containerInputs.fields {
		if !containerUpdatableInputs[name] {
			keys[name] = true
		}
	}
	return keys
}

// containerDiffPolicy mirrors the official schema: sets are Terraform
// TypeSet inputs; keptWhenOmitted are "Optional + Computed" inputs;
// readBackKeys are compared with the state (see containerInputsReadBack).
// DeleteBeforeReplace is always on: the official provider declares it for
// docker.Container whatever the name.
var containerDiffPolicy = diffPolicy{
	replaceKeys: containerReplaceKeys(),
	setKeys: keySet("envs", "labels", "volumes", "mounts", "hosts", "networksAdvanced", "uploads",
		"dns", "dnsOpts", "dnsSearches", "securityOpts", "groupAdds", "ulimits"),
	keptWhenOmitted: keySet("command", "entrypoints", "envs", "labels", "hostname", "securityOpts",
		"logDriver", "healthcheck", "init", "stopSignal", "stopTimeout", "shmSize", "ipcMode", "runtime"),
	readBackKeys:        keySet(containerInputsReadBack...),
	deleteBeforeReplace: true,
}

// containerDefaults are the official schema's defaults.
var containerDefaults = resource.PropertyMap{
	"attach":        resource.NewBoolProperty(false),
	"logs":          resource.NewBoolProperty(false),
	"mustRun":       resource.NewBoolProperty(true),
	"start":         resource.NewBoolProperty(true),
	"rm":            resource.NewBoolProperty(false),
	"readOnly":      resource.NewBoolProperty(false),
	"wait":          resource.NewBoolProperty(false),
	"waitTimeout":   resource.NewNumberProperty(60),
	"restart":       resource.NewStringProperty("no"),
	"removeVolumes": resource.NewBoolProperty(true),
	"tty":           resource.NewBoolProperty(false),
	"stdinOpen":     resource.NewBoolProperty(false),
	"containerReadRefreshTimeoutMilliseconds": resource.NewNumberProperty(15000),
}

var (
	portDefaults = resource.PropertyMap{
		"ip":       resource.NewStringProperty("0.0.0.0"),
		"protocol": resource.NewStringProperty("tcp"),
	}
	uploadDefaults      = resource.PropertyMap{"executable": resource.NewBoolProperty(false)}
	healthcheckDefaults = resource.PropertyMap{
		"interval":      resource.NewStringProperty("0s"),
		"timeout":       resource.NewStringProperty("0s"),
		"startPeriod":   resource.NewStringProperty("0s"),
		"startInterval": resource.NewStringProperty("0s"),
		"retries":       resource.NewNumberProperty(0),
	}
)

// containerComputedOutputs are outputs read from Docker, unknown during a
// preview of a create.
var containerComputedOutputs = []string{"bridge", "networkDatas", "exitCode", "containerLogs"}
