package docker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/client"
)

// healthPollInterval is how often the health status is read while waiting.
const healthPollInterval = 500 * time.Millisecond

// waitUntilHealthy implements `wait: true`: poll the container until Docker
// reports it healthy. Like the official provider it does not give up early
// when the status is "unhealthy" (a later check may still pass): it fails
// only when the timeout is over, and then says what the last checks printed.
func waitUntilHealthy(ctx context.Context, docker client.APIClient, containerID string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		inspection, err := docker.ContainerInspect(ctx, containerID)
		if err != nil {
			return fmt.Errorf("error inspecting container state: %w", err)
		}
		if inspection.State == nil || inspection.State.Health == nil {
			return fmt.Errorf("container %s has no health check, so `wait` cannot tell when it is healthy: "+
				"set `healthcheck` or use an image with a HEALTHCHECK", containerID)
		}
		if inspection.State.Health.Status == types.Healthy {
			return nil
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return fmt.Errorf("timeout after %s waiting for container %s to become healthy (health status %q, container %s)%s",
				timeout, containerID, inspection.State.Health.Status, inspection.State.Status,
				lastHealthOutput(inspection.State.Health))
		}
		pause := healthPollInterval
		if remaining < pause {
			pause = remaining
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// lastHealthOutput describes the most recent health check result.
func lastHealthOutput(health *types.Health) string {
	if health == nil || len(health.Log) == 0 {
		return "; no health check has completed yet"
	}
	last := health.Log[len(health.Log)-1]
	return fmt.Sprintf("; last health check exited %d with output: %s", last.ExitCode, strings.TrimSpace(last.Output))
}

// errContainerExitedImmediately is the official provider's complaint about a
// container that must run (mustRun) but stopped right after it started.
var errContainerExitedImmediately = errors.New("container exited immediately")

// errContainerNotRunning is returned when a container that must run never
// reached the running state within containerReadRefreshTimeoutMilliseconds.
var errContainerNotRunning = errors.New("container failed to be in running state")

// firstRunningCheckDelay is the official provider's delay before its first
// look at a freshly started container.
var firstRunningCheckDelay = 100 * time.Millisecond

// awaitRunningAfterCreate reproduces the official provider's read right
// after creation: when mustRun is set, the container has to be running;
// if it already stopped after being started, creation failed.
func awaitRunningAfterCreate(ctx context.Context, docker client.APIClient, containerID string,
	mustRun bool, startedAt time.Time, timeout time.Duration,
) (types.ContainerJSON, error) {
	deadline := time.Now().Add(timeout)
	if mustRun && !startedAt.IsZero() {
		// The official provider looks only after a short delay, so a
		// container that stops at once is seen stopped, not still running.
		select {
		case <-ctx.Done():
			return types.ContainerJSON{}, ctx.Err()
		case <-time.After(firstRunningCheckDelay):
		}
	}
	for {
		inspection, err := docker.ContainerInspect(ctx, containerID)
		if err != nil {
			return inspection, err
		}
		if !mustRun || inspection.State.Running {
			return inspection, nil
		}
		if finished, err := time.Parse(time.RFC3339Nano, inspection.State.FinishedAt); err == nil &&
			!startedAt.IsZero() && finished.After(startedAt) {
			return inspection, fmt.Errorf("%w (exit code %d)", errContainerExitedImmediately, inspection.State.ExitCode)
		}
		if time.Now().After(deadline) {
			return inspection, fmt.Errorf("%w (state %q after %s)", errContainerNotRunning, inspection.State.Status, timeout)
		}
		select {
		case <-ctx.Done():
			return inspection, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
