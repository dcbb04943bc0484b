package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-deploy/berth/plugins/internal/syncbuffer"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
)

// connectNetworks attaches the container to networksAdvanced. Like the
// official provider it first leaves the default bridge network, so the
// container is reachable only on the networks the program names.
func connectNetworks(ctx context.Context, docker client.APIClient, containerID string, attachments []networkAttachment) error {
	if len(attachments) == 0 {
		return nil
	}
	if err := docker.NetworkDisconnect(ctx, "bridge", containerID, false); err != nil &&
		!strings.Contains(err.Error(), "is not connected to the network") && !client.IsErrNotFound(err) {
		return fmt.Errorf("unable to disconnect the default network: %w", err)
	}
	for _, attachment := range attachments {
		if err := docker.NetworkConnect(ctx, attachment.name, containerID, attachment.endpoint); err != nil {
			return fmt.Errorf("unable to connect to network %q: %w", attachment.name, err)
		}
	}
	return nil
}

// uploadFiles copies the `uploads` into the created (not yet started)
// container, one tar archive per file extracted at "/".
func uploadFiles(ctx context.Context, docker client.APIClient, containerID string, uploads []propertyBag) error {
	for _, upload := range uploads {
		content, err := uploadContent(upload)
		if err != nil {
			return err
		}
		mode := int64(0o644)
		if upload.boolValue("executable", false) {
			mode = 0o744
		}
		if permissions := upload.stringValue("permissions"); permissions != "" {
			parsed, err := strconv.ParseInt(permissions, 8, 32)
			if err != nil {
				return fmt.Errorf("docker.Container input `uploads.permissions` %q is not an octal mode like \"0644\"", permissions)
			}
			mode = parsed
		}
		var archive bytes.Buffer
		writer := tar.NewWriter(&archive)
		header := &tar.Header{Name: upload.stringValue("file"), Mode: mode, Size: int64(len(content))}
		if err := writer.WriteHeader(header); err != nil {
			return fmt.Errorf("error creating tar archive: %w", err)
		}
		if _, err := writer.Write(content); err != nil {
			return fmt.Errorf("error creating tar archive: %w", err)
		}
		if err := writer.Close(); err != nil {
			return fmt.Errorf("error creating tar archive: %w", err)
		}
		if err := docker.CopyToContainer(ctx, containerID, "/", &archive, container.CopyToContainerOptions{}); err != nil {
			return fmt.Errorf("unable to upload %s: %w", upload.stringValue("file"), err)
		}
	}
	return nil
}

// uploadContent returns the bytes of one upload: exactly one of content,
// contentBase64 or source (a file read on the machine running Pulumi).
func uploadContent(upload propertyBag) ([]byte, error) {
	sources := 0
	for _, key := range []string{"content", "contentBase64", "source"} {
		if upload.has(key) {
			sources++
		}
	}
	if sources != 1 {
		return nil, fmt.Errorf("docker.Container upload %s: exactly one of `content`, `contentBase64` or `source` must be set",
			upload.stringValue("file"))
	}
	switch {
	case upload.has("content"):
		return []byte(upload.stringValue("content")), nil
	case upload.has("contentBase64"):
		decoded, err := base64.StdEncoding.DecodeString(upload.stringValue("contentBase64"))
		if err != nil {
			return nil, fmt.Errorf("docker.Container upload %s: `contentBase64` is not valid base64: %w", upload.stringValue("file"), err)
		}
		return decoded, nil
	}
	data, err := os.ReadFile(upload.stringValue("source"))
	if err != nil {
		return nil, fmt.Errorf("docker.Container upload %s: could not read file: %w", upload.stringValue("file"), err)
	}
	return data, nil
}

// runAttached implements `attach: true`: block until the container stops.
// With `logs: true` it also returns everything the container wrote to
// stdout and stderr. The exit code is not judged here: like the official
// provider, a failing one-shot container is not an error (read `exitCode`).
func runAttached(ctx context.Context, docker client.APIClient, containerID string, collectLogs, tty bool) (string, error) {
	// stdout and stderr are demultiplexed into one text.
	var logs syncbuffer.Buffer
	var logsDone sync.WaitGroup
	var logsError error
	if collectLogs {
		stream, err := docker.ContainerLogs(ctx, containerID, container.LogsOptions{
			ShowStdout: true,
			ShowStderr: true,
			Follow:     true,
		})
		if err != nil {
			return "", fmt.Errorf("unable to read the container logs: %w", err)
		}
		logsDone.Add(1)
		go func() {
			defer logsDone.Done()
			defer stream.Close()
			if tty {
				// A terminal's output is one raw stream, not multiplexed.
				_, logsError = io.Copy(&logs, stream)
			} else {
				_, logsError = stdcopy.StdCopy(&logs, &logs, stream)
			}
		}()
	}

	waitResults, waitErrors := docker.ContainerWait(ctx, containerID, container.WaitConditionNotRunning)
	select {
	case err := <-waitErrors:
		if err != nil {
			return "", fmt.Errorf("unable to wait for the end of the container's execution: %w", err)
		}
	case <-waitResults:
	}
	// The log stream ends when the container stops; wait for every byte.
	logsDone.Wait()
	if logsError != nil && ctx.Err() == nil {
		return logs.String(), fmt.Errorf("unable to read the container logs: %w", logsError)
	}
	return logs.String(), nil
}
