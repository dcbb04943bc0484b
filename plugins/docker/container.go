package docker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// containerResource is docker.Container. Its ID is the Docker container ID.
type containerResource struct{}

func (containerResource) check(request *pulumirpc.CheckRequest, olds, news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	failures := containerInputs.validate(news)
	if len(failures) > 0 {
		return news, failures
	}
	checked := copyPropertyMap(news)
	if err := fillAutoName(request, olds, checked, true); err != nil {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "name", Reason: err.Error()})
	}
	applyTopLevelDefaults(checked, containerDefaults)
	nestedDefaults := map[resource.PropertyKey]resource.PropertyMap{
		"ports":       portDefaults,
		"uploads":     uploadDefaults,
		"healthcheck": healthcheckDefaults,
	}
	for key, defaults := range nestedDefaults {
		if value, ok := checked[key]; ok {
			checked[key] = objectDefaults(value, defaults)
		}
	}
	failures = append(failures, containerValueProblems(newPropertyBag(checked))...)
	return checked, failures
}

var (
	restartPolicies = keySet("no", "on-failure", "always", "unless-stopped")
	portProtocols   = keySet("tcp", "udp", "sctp")
)

// containerValueProblems checks the values the official schema validates,
// so mistakes fail in preview rather than half-way through an update.
// Unknown values read as empty and are not judged.
func containerValueProblems(inputs propertyBag) []*pulumirpc.CheckFailure {
	var failures []*pulumirpc.CheckFailure
	fail := func(property, format string, arguments ...any) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: property, Reason: fmt.Sprintf(format, arguments...)})
	}
	if restart := inputs.stringValue("restart"); restart != "" && !restartPolicies[restart] {
		fail("restart", "docker.Container input `restart` must be one of no, on-failure, always, unless-stopped (got %q)", restart)
	}
	for index, port := range inputs.objectList("ports") {
		if protocol := port.stringValue("protocol"); protocol != "" && !portProtocols[protocol] {
			fail(fmt.Sprintf("ports[%d].protocol", index), "docker.Container input `ports[%d].protocol` must be tcp, udp or sctp (got %q)", index, protocol)
		}
	}
	for index, entry := range inputs.objectList("mounts") {
		if kind := entry.stringValue("type"); kind != "" && kind != "bind" && kind != "volume" && kind != "tmpfs" {
			fail(fmt.Sprintf("mounts[%d].type", index), "docker.Container input `mounts[%d].type` must be bind, volume or tmpfs (got %q)", index, kind)
		}
	}
	for index, upload := range inputs.objectList("uploads") {
		sources := 0
		for _, key := range []string{"content", "contentBase64", "source"} {
			if upload.has(key) {
				sources++
			}
		}
		if sources != 1 {
			fail(fmt.Sprintf("uploads[%d]", index), "docker.Container input `uploads[%d]` must set exactly one of `content`, `contentBase64` or `source`", index)
		}
		if permissions := upload.stringValue("permissions"); permissions != "" {
			if _, err := strconv.ParseUint(permissions, 8, 32); err != nil || len(permissions) != 4 || permissions[0] != '0' {
				fail(fmt.Sprintf("uploads[%d].permissions", index), "docker.Container input `uploads[%d].permissions` must be an octal mode like \"0644\" (got %q)", index, permissions)
			}
		}
	}
	if healthcheck, ok := inputs.object("healthcheck"); ok {
		if _, err := buildHealthConfig(healthcheck); err != nil {
			fail("healthcheck", "%s", err.Error())
		}
	}
	if cpus := inputs.stringValue("cpus"); cpus != "" {
		if _, err := strconv.ParseFloat(cpus, 64); err != nil {
			fail("cpus", "docker.Container input `cpus` must be a number such as \"1.5\" (got %q)", cpus)
		}
	}
	return failures
}

func (containerResource) diff(state, oldInputs, newInputs resource.PropertyMap) *pulumirpc.DiffResponse {
	return containerDiffPolicy.diff(state, oldInputs, newInputs)
}

func (handler containerResource) create(ctx context.Context, session *dockerSession, inputs resource.PropertyMap, preview bool) (string, resource.PropertyMap, error) {
	if preview {
		return "", containerPreviewOutputs(inputs), nil
	}
	bag := newPropertyBag(inputs)
	spec, err := buildContainerSpec(bag)
	if err != nil {
		return "", nil, err
	}
	docker := session.client

	// As in the official provider, a container pulls its image if absent.
	if _, err := ensureImagePresent(ctx, session, spec.config.Image, ""); err != nil {
		return "", nil, fmt.Errorf("unable to create container with image %s: %w", spec.config.Image, err)
	}
	created, err := docker.ContainerCreate(ctx, spec.config, spec.hostConfig, &network.NetworkingConfig{}, nil, spec.name)
	if err != nil {
		return "", nil, fmt.Errorf("unable to create container: %w", err)
	}
	containerID := created.ID

	// From here on the container exists: a failure leaves it in the state
	// with an initialization error, as the official provider does.
	initializationFailed := func(reason error) (string, resource.PropertyMap, error) {
		outputs := copyPropertyMap(inputs)
		if inspection, inspectError := docker.ContainerInspect(context.WithoutCancel(ctx), containerID); inspectError == nil {
			outputs = containerOutputs(inputs, inspection)
		}
		return "", nil, &initializationFailure{id: containerID, outputs: outputs, reason: reason}
	}

	if err := connectNetworks(ctx, docker, containerID, spec.networks); err != nil {
		return initializationFailed(err)
	}
	if err := uploadFiles(ctx, docker, containerID, bag.objectList("uploads")); err != nil {
		return initializationFailed(err)
	}

	var startedAt time.Time
	if bag.boolValue("start", true) {
		startedAt = time.Now()
		if err := docker.ContainerStart(ctx, containerID, container.StartOptions{}); err != nil {
			return initializationFailed(fmt.Errorf("unable to start container: %w", err))
		}
		if bag.boolValue("wait", false) {
			timeout := time.Duration(bag.intValue("waitTimeout", 60)) * time.Second
			if err := waitUntilHealthy(ctx, docker, containerID, timeout); err != nil {
				return initializationFailed(err)
			}
		}
	}

	var logs string
	collectedLogs := false
	if bag.boolValue("attach", false) {
		logs, err = runAttached(ctx, docker, containerID, bag.boolValue("logs", false), bag.boolValue("tty", false))
		if err != nil {
			return initializationFailed(err)
		}
		collectedLogs = bag.boolValue("logs", false)
	}

	readTimeout := time.Duration(bag.intValue("containerReadRefreshTimeoutMilliseconds", 15000)) * time.Millisecond
	inspection, err := awaitRunningAfterCreate(ctx, docker, containerID, bag.boolValue("mustRun", true), startedAt, readTimeout)
	if errors.Is(err, errContainerExitedImmediately) {
		// The official provider removes such a container and fails the
		// create, so nothing is recorded.
		if deleteError := deleteContainer(ctx, docker, containerID, inputs); deleteError != nil {
			return "", nil, fmt.Errorf("%w; removing the container failed too: %v", err, deleteError)
		}
		return "", nil, fmt.Errorf("container %s: %w", containerID, err)
	}
	if err != nil {
		return initializationFailed(err)
	}
	outputs := containerOutputs(inputs, inspection)
	// The official Create ends with its Read: the state holds what Docker
	// reports, not only what was asked for.
	recordInputsAsDockerReports(outputs, inputs, inspection)
	if collectedLogs {
		outputs["containerLogs"] = resource.NewStringProperty(logs)
	}
	return containerID, outputs, nil
}

func (containerResource) read(ctx context.Context, session *dockerSession, id string, state, inputs resource.PropertyMap) (string, resource.PropertyMap, resource.PropertyMap, error) {
	docker := session.client
	inspection, err := docker.ContainerInspect(ctx, id)
	if client.IsErrNotFound(err) {
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("unable to inspect container %s: %w", id, err)
	}
	if len(state) == 0 {
		// An import: only what identifies the container is known.
		state = resource.PropertyMap{
			"name":  resource.NewStringProperty(strings.TrimPrefix(inspection.Name, "/")),
			"image": resource.NewStringProperty(inspection.Config.Image),
		}
		applyTopLevelDefaults(state, containerDefaults)
		inputs = copyPropertyMap(state)
	}
	// The official provider treats a stopped container that must run as
	// failed: it removes it during refresh, and the next update creates it
	// again.
	if newPropertyBag(state).boolValue("mustRun", true) && inspection.State != nil && !inspection.State.Running {
		if err := deleteContainer(ctx, docker, id, state); err != nil {
			return "", nil, nil, err
		}
		return "", nil, nil, nil
	}
	outputs := containerOutputs(state, inspection)
	recordInputsAsDockerReports(outputs, inputs, inspection)
	return inspection.ID, outputs, inputs, nil
}

func (containerResource) update(ctx context.Context, session *dockerSession, id string, state, oldInputs, newInputs resource.PropertyMap, preview bool) (resource.PropertyMap, error) {
	outputs := copyPropertyMap(newInputs)
	keepFromState := append([]string{}, containerComputedOutputs...)
	keepFromState = append(keepFromState, containerReportedWhenOmitted...)
	for _, key := range keepFromState {
		propertyKey := resource.PropertyKey(key)
		if _, given := outputs[propertyKey]; given {
			continue
		}
		if value, ok := state[propertyKey]; ok {
			outputs[propertyKey] = value
		}
	}
	if preview {
		return outputs, nil
	}

	docker := session.client
	if liveUpdateNeeded(state, oldInputs, newInputs) {
		bag := newPropertyBag(newInputs)
		resources := containerResources(bag)
		update := container.UpdateConfig{
			RestartPolicy: container.RestartPolicy{
				Name:              container.RestartPolicyMode(bag.stringValue("restart")),
				MaximumRetryCount: int(bag.intValue("maxRetryCount", 0)),
			},
			Resources: container.Resources{
				CPUShares:  resources.CPUShares,
				Memory:     resources.Memory,
				MemorySwap: resources.MemorySwap,
				CpusetCpus: resources.CpusetCpus,
			},
		}
		if _, err := docker.ContainerUpdate(ctx, id, update); err != nil {
			return nil, fmt.Errorf("unable to update container %s: %w", id, err)
		}
	}
	inspection, err := docker.ContainerInspect(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("unable to inspect container %s: %w", id, err)
	}
	// Unlike create and refresh, the official Update records its plan and
	// reads nothing back: containerInputsReadBack stay as the inputs give
	// them, so a diff they showed is gone until the next create or refresh.
	updated := containerOutputs(newInputs, inspection)
	if logs, ok := state["containerLogs"]; ok {
		updated["containerLogs"] = logs
	}
	return updated, nil
}

// liveUpdateNeeded reports whether an input `docker update` applies changed,
// judged as the diff judges it: memory changed outside Pulumi and seen by a
// refresh is set back, as the official provider does.
func liveUpdateNeeded(state, oldInputs, newInputs resource.PropertyMap) bool {
	olds := containerDiffPolicy.plannedFrom(state, oldInputs)
	news := containerDiffPolicy.comparable(newInputs)
	for key := range containerLiveUpdateInputs {
		oldValue, inOld := olds[resource.PropertyKey(key)]
		newValue, inNew := news[resource.PropertyKey(key)]
		if inOld != inNew || (inOld && !oldValue.DeepEquals(newValue)) {
			return true
		}
	}
	return false
}

func (containerResource) delete(ctx context.Context, session *dockerSession, id string, state resource.PropertyMap) error {
	return deleteContainer(ctx, session.client, id, state)
}

// deleteContainer follows the official provider: a container started with
// `rm` removes itself; otherwise it is stopped with destroyGraceSeconds of
// grace (only if set: the default 0 means no stop at all) and then
// force-removed, which kills whatever still runs. A container that is
// already gone is not an error.
func deleteContainer(ctx context.Context, docker client.APIClient, id string, state resource.PropertyMap) error {
	bag := newPropertyBag(state)
	if bag.boolValue("rm", false) {
		return nil
	}
	if !bag.boolValue("attach", false) {
		if grace := int(bag.intValue("destroyGraceSeconds", 0)); grace > 0 {
			err := docker.ContainerStop(ctx, id, container.StopOptions{Timeout: &grace})
			if client.IsErrNotFound(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("error stopping container %s: %w", id, err)
			}
		}
	}
	err := docker.ContainerRemove(ctx, id, container.RemoveOptions{
		RemoveVolumes: bag.boolValue("removeVolumes", true),
		Force:         true,
	})
	if client.IsErrNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("error deleting container %s: %w", id, err)
	}
	waitResults, waitErrors := docker.ContainerWait(ctx, id, container.WaitConditionRemoved)
	select {
	case <-waitResults:
	case err := <-waitErrors:
		if err != nil && !client.IsErrNotFound(err) && !strings.Contains(err.Error(), "is already in progress") {
			return fmt.Errorf("error waiting for container removal %s: %w", id, err)
		}
	}
	return nil
}

// Interface checks: every handler implements every operation.
var (
	_ resourceHandler = containerResource{}
	_ resourceHandler = remoteImageResource{}
	_ resourceHandler = volumeResource{}
	_ resourceHandler = networkResource{}
)
