package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
)

// ensureImagePresent returns the local image called name, pulling it only
// when it is absent: like the official provider, a name already present is
// never pulled again (so mutable tags are not refreshed).
func ensureImagePresent(ctx context.Context, session *dockerSession, name, platform string) (types.ImageInspect, error) {
	if name == "" {
		return types.ImageInspect{}, fmt.Errorf("empty image name is not allowed")
	}
	inspection, _, err := session.client.ImageInspectWithRaw(ctx, name)
	if err == nil {
		return inspection, nil
	}
	if !client.IsErrNotFound(err) {
		return types.ImageInspect{}, fmt.Errorf("unable to inspect image %s: %w", name, err)
	}
	if err := pullImage(ctx, session, name, platform); err != nil {
		return types.ImageInspect{}, err
	}
	inspection, _, err = session.client.ImageInspectWithRaw(ctx, name)
	if err != nil {
		return types.ImageInspect{}, fmt.Errorf("unable to find or pull image %s: %w", name, err)
	}
	return inspection, nil
}

// pullMessage is one line of the daemon's pull progress stream; a failed
// pull is reported in the stream, not by the HTTP status.
type pullMessage struct {
	Error       string `json:"error"`
	ErrorDetail struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

func pullImage(ctx context.Context, session *dockerSession, name, platform string) error {
	options := image.PullOptions{Platform: platform}
	if credential, found := credentialFor(session.registryCredentials, name); found && !credential.authDisabled {
		encoded, err := registry.EncodeAuthConfig(registry.AuthConfig{
			Username:      credential.username,
			Password:      credential.password,
			ServerAddress: credential.address,
		})
		if err != nil {
			return fmt.Errorf("error creating auth config: %w", err)
		}
		options.RegistryAuth = encoded
	}
	stream, err := session.client.ImagePull(ctx, name, options)
	if err != nil {
		return fmt.Errorf("unable to pull image %s: %w", name, err)
	}
	defer stream.Close()
	decoder := json.NewDecoder(stream)
	for {
		var message pullMessage
		if err := decoder.Decode(&message); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("unable to pull image %s: %w", name, err)
		}
		if message.Error != "" {
			return fmt.Errorf("unable to pull image %s: %s", name, message.Error)
		}
	}
}

// credentialFor finds the registryAuth entry for the registry an image
// name points to (Docker Hub when the name has no registry part).
func credentialFor(credentials []registryCredential, imageName string) (registryCredential, bool) {
	named, err := reference.ParseNormalizedNamed(imageName)
	if err != nil {
		return registryCredential{}, false
	}
	domain := canonicalRegistry(reference.Domain(named))
	for _, credential := range credentials {
		if canonicalRegistry(credential.address) == domain {
			return credential, true
		}
	}
	return registryCredential{}, false
}

// canonicalRegistry reduces the many spellings of a registry address
// ("https://host:5000/v2/", "host:5000") and of Docker Hub to one form.
func canonicalRegistry(address string) string {
	address = strings.TrimPrefix(strings.TrimPrefix(address, "https://"), "http://")
	address = strings.SplitN(address, "/", 2)[0]
	switch address {
	case "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "docker.io"
	}
	return address
}

// repositoryDigest picks the image's "repo@sha256:..." for the repository
// the name refers to; images built or imported locally have none.
func repositoryDigest(name string, inspection types.ImageInspect) string {
	if strings.Contains(name, "@sha256:") {
		return name
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err == nil {
		for _, digest := range inspection.RepoDigests {
			digestNamed, err := reference.ParseNormalizedNamed(digest)
			if err == nil && digestNamed.Name() == named.Name() {
				return digest
			}
		}
	}
	if len(inspection.RepoDigests) > 0 {
		return inspection.RepoDigests[0]
	}
	return ""
}
