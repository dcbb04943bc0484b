package docker

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
)

// containerSpec is everything ContainerCreate needs, built from the inputs.
type containerSpec struct {
	name       string
	config     *container.Config
	hostConfig *container.HostConfig
	// networks are connected after creation, as the official provider does
	// (it first disconnects the default bridge network).
	networks []networkAttachment
}

type networkAttachment struct {
	name     string
	endpoint *network.EndpointSettings
}

const megabyte = 1024 * 1024

// buildContainerSpec translates checked inputs into Docker API structures.
func buildContainerSpec(inputs propertyBag) (containerSpec, error) {
	spec := containerSpec{name: inputs.stringValue("name")}

	config := &container.Config{
		Image:      inputs.stringValue("image"),
		Hostname:   inputs.stringValue("hostname"),
		Domainname: inputs.stringValue("domainname"),
		User:       inputs.stringValue("user"),
		WorkingDir: inputs.stringValue("workingDir"),
		Env:        inputs.stringList("envs"),
		Cmd:        inputs.stringList("command"),
		Entrypoint: inputs.stringList("entrypoints"),
		Tty:        inputs.boolValue("tty", false),
		OpenStdin:  inputs.boolValue("stdinOpen", false),
		StopSignal: inputs.stringValue("stopSignal"),
	}
	for _, argument := range config.Cmd {
		if argument == "" {
			return spec, fmt.Errorf("values for command may not be empty")
		}
	}
	if inputs.has("stopTimeout") {
		stopTimeout := int(inputs.intValue("stopTimeout", 0))
		config.StopTimeout = &stopTimeout
	}
	if labels := labelMap(inputs.objectList("labels")); len(labels) > 0 {
		config.Labels = labels
	}
	if healthcheck, ok := inputs.object("healthcheck"); ok {
		healthConfig, err := buildHealthConfig(healthcheck)
		if err != nil {
			return spec, err
		}
		config.Healthcheck = healthConfig
	}

	init := inputs.boolValue("init", false)
	hostConfig := &container.HostConfig{
		Privileged:      inputs.boolValue("privileged", false),
		PublishAllPorts: inputs.boolValue("publishAllPorts", false),
		ReadonlyRootfs:  inputs.boolValue("readOnly", false),
		AutoRemove:      inputs.boolValue("rm", false),
		RestartPolicy: container.RestartPolicy{
			Name:              container.RestartPolicyMode(inputs.stringValue("restart")),
			MaximumRetryCount: int(inputs.intValue("maxRetryCount", 0)),
		},
		LogConfig: container.LogConfig{
			Type:   inputs.stringValue("logDriver"),
			Config: inputs.stringMap("logOpts"),
		},
		NetworkMode:  container.NetworkMode(inputs.stringValue("networkMode")),
		DNS:          inputs.stringList("dns"),
		DNSOptions:   inputs.stringList("dnsOpts"),
		DNSSearch:    inputs.stringList("dnsSearches"),
		SecurityOpt:  inputs.stringList("securityOpts"),
		GroupAdd:     inputs.stringList("groupAdds"),
		Tmpfs:        inputs.stringMap("tmpfs"),
		Sysctls:      inputs.stringMap("sysctls"),
		IpcMode:      container.IpcMode(inputs.stringValue("ipcMode")),
		PidMode:      container.PidMode(inputs.stringValue("pidMode")),
		UsernsMode:   container.UsernsMode(inputs.stringValue("usernsMode")),
		CgroupnsMode: container.CgroupnsMode(inputs.stringValue("cgroupnsMode")),
		Runtime:      inputs.stringValue("runtime"),
		ShmSize:      inputs.intValue("shmSize", 0) * megabyte,
		// The official provider always sends init, so the daemon's default
		// does not apply.
		Init: &init,
	}
	hostConfig.Resources = containerResources(inputs)
	if inputs.has("cpus") {
		cpus, err := strconv.ParseFloat(inputs.stringValue("cpus"), 64)
		if err != nil {
			return spec, fmt.Errorf("docker.Container input `cpus` %q is not a number", inputs.stringValue("cpus"))
		}
		hostConfig.NanoCPUs = int64(cpus * 1e9)
	}
	if capabilities, ok := inputs.object("capabilities"); ok {
		hostConfig.CapAdd = capabilities.stringList("adds")
		hostConfig.CapDrop = capabilities.stringList("drops")
	}
	for _, host := range inputs.objectList("hosts") {
		hostConfig.ExtraHosts = append(hostConfig.ExtraHosts, host.stringValue("host")+":"+host.stringValue("ip"))
	}
	for _, limit := range inputs.objectList("ulimits") {
		hostConfig.Ulimits = append(hostConfig.Ulimits, &container.Ulimit{
			Name: limit.stringValue("name"),
			Soft: limit.intValue("soft", 0),
			Hard: limit.intValue("hard", 0),
		})
	}

	exposedPorts, portBindings, err := portMappings(inputs.objectList("ports"))
	if err != nil {
		return spec, err
	}
	if len(exposedPorts) > 0 {
		config.ExposedPorts = exposedPorts
		hostConfig.PortBindings = portBindings
	}

	anonymousVolumes, binds, volumesFrom := volumeMappings(inputs.objectList("volumes"))
	if len(anonymousVolumes) > 0 {
		config.Volumes = anonymousVolumes
	}
	hostConfig.Binds = binds
	hostConfig.VolumesFrom = volumesFrom

	mounts, err := mountSpecs(inputs.objectList("mounts"))
	if err != nil {
		return spec, err
	}
	hostConfig.Mounts = mounts

	for _, attachment := range inputs.objectList("networksAdvanced") {
		endpoint := &network.EndpointSettings{Aliases: attachment.stringList("aliases")}
		if attachment.has("ipv4Address") || attachment.has("ipv6Address") {
			endpoint.IPAMConfig = &network.EndpointIPAMConfig{
				IPv4Address: attachment.stringValue("ipv4Address"),
				IPv6Address: attachment.stringValue("ipv6Address"),
			}
		}
		spec.networks = append(spec.networks, networkAttachment{name: attachment.stringValue("name"), endpoint: endpoint})
	}

	spec.config = config
	spec.hostConfig = hostConfig
	return spec, nil
}

// containerResources holds the limits that `docker update` can also change.
// Memory inputs are in megabytes; a memorySwap of -1 means unlimited swap.
func containerResources(inputs propertyBag) container.Resources {
	resources := container.Resources{
		Memory:     inputs.intValue("memory", 0) * megabyte,
		CPUShares:  inputs.intValue("cpuShares", 0),
		CpusetCpus: inputs.stringValue("cpuSet"),
		CPUPeriod:  inputs.intValue("cpuPeriod", 0),
		CPUQuota:   inputs.intValue("cpuQuota", 0),
	}
	if swap := inputs.intValue("memorySwap", 0); swap > 0 {
		resources.MemorySwap = swap * megabyte
	} else {
		resources.MemorySwap = swap
	}
	return resources
}

func labelMap(labels []propertyBag) map[string]string {
	result := map[string]string{}
	for _, label := range labels {
		result[label.stringValue("label")] = label.stringValue("value")
	}
	return result
}

// parseDuration reads healthcheck durations such as "5s" or "1m30s".
func parseDuration(field, text string) (time.Duration, error) {
	if text == "" {
		return 0, nil
	}
	duration, err := time.ParseDuration(text)
	if err != nil || duration < 0 {
		return 0, fmt.Errorf("docker.Container input `healthcheck.%s` %q is not a duration like \"5s\"", field, text)
	}
	return duration, nil
}

func buildHealthConfig(healthcheck propertyBag) (*container.HealthConfig, error) {
	healthConfig := &container.HealthConfig{
		Test:    healthcheck.stringList("tests"),
		Retries: int(healthcheck.intValue("retries", 0)),
	}
	durations := []struct {
		field  string
		target *time.Duration
	}{
		{"interval", &healthConfig.Interval},
		{"timeout", &healthConfig.Timeout},
		{"startPeriod", &healthConfig.StartPeriod},
		{"startInterval", &healthConfig.StartInterval},
	}
	for _, duration := range durations {
		value, err := parseDuration(duration.field, healthcheck.stringValue(duration.field))
		if err != nil {
			return nil, err
		}
		*duration.target = value
	}
	return healthConfig, nil
}

func portMappings(ports []propertyBag) (nat.PortSet, nat.PortMap, error) {
	exposed := nat.PortSet{}
	bindings := nat.PortMap{}
	for _, port := range ports {
		protocol := port.stringValue("protocol")
		if protocol == "" {
			protocol = "tcp"
		}
		containerPort, err := nat.NewPort(protocol, strconv.FormatInt(port.intValue("internal", 0), 10))
		if err != nil {
			return nil, nil, fmt.Errorf("docker.Container input `ports`: %w", err)
		}
		exposed[containerPort] = struct{}{}
		binding := nat.PortBinding{HostIP: port.stringValue("ip")}
		if external := port.intValue("external", 0); external > 0 {
			binding.HostPort = strconv.FormatInt(external, 10)
		}
		bindings[containerPort] = append(bindings[containerPort], binding)
	}
	return exposed, bindings, nil
}

// volumeMappings follows the official provider: fromContainer becomes
// --volumes-from, a hostPath (which wins over volumeName) or volumeName a
// bind, and a bare containerPath an anonymous volume.
func volumeMappings(volumes []propertyBag) (map[string]struct{}, []string, []string) {
	anonymous := map[string]struct{}{}
	var binds, volumesFrom []string
	for _, volume := range volumes {
		if from := volume.stringValue("fromContainer"); from != "" {
			volumesFrom = append(volumesFrom, from)
			continue
		}
		containerPath := volume.stringValue("containerPath")
		if containerPath == "" {
			continue
		}
		source := volume.stringValue("hostPath")
		if source == "" {
			source = volume.stringValue("volumeName")
		}
		if source == "" {
			anonymous[containerPath] = struct{}{}
			continue
		}
		bind := source + ":" + containerPath
		if volume.boolValue("readOnly", false) {
			bind += ":ro"
		}
		binds = append(binds, bind)
	}
	return anonymous, binds, volumesFrom
}

func mountSpecs(mounts []propertyBag) ([]mount.Mount, error) {
	var result []mount.Mount
	for _, entry := range mounts {
		specification := mount.Mount{
			Type:     mount.Type(entry.stringValue("type")),
			Target:   entry.stringValue("target"),
			Source:   entry.stringValue("source"),
			ReadOnly: entry.boolValue("readOnly", false),
		}
		switch specification.Type {
		case mount.TypeBind:
			if options, ok := entry.object("bindOptions"); ok && options.has("propagation") {
				specification.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(options.stringValue("propagation"))}
			}
		case mount.TypeVolume:
			if options, ok := entry.object("volumeOptions"); ok {
				specification.VolumeOptions = &mount.VolumeOptions{
					NoCopy: options.boolValue("noCopy", false),
					Labels: labelMap(options.objectList("labels")),
				}
				if options.has("driverName") || options.has("driverOptions") {
					specification.VolumeOptions.DriverConfig = &mount.Driver{
						Name:    options.stringValue("driverName"),
						Options: options.stringMap("driverOptions"),
					}
				}
			}
		case mount.TypeTmpfs:
			if options, ok := entry.object("tmpfsOptions"); ok {
				specification.TmpfsOptions = &mount.TmpfsOptions{
					SizeBytes: options.intValue("sizeBytes", 0),
					Mode:      os.FileMode(options.intValue("mode", 0)),
				}
			}
		default:
			return nil, fmt.Errorf("docker.Container input `mounts`: type %q is not one of bind, volume, tmpfs", specification.Type)
		}
		result = append(result, specification)
	}
	return result, nil
}
