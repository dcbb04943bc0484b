package docker

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/docker/docker/client"
)

// sshPlaceholderHost is the HTTP host the Docker client puts in requests
// sent over an ssh tunnel; the daemon ignores it.
const sshPlaceholderHost = "http://docker.example"

// newDockerClient connects to the daemon named by config.host. The client
// negotiates the API version, because lab and production hosts may run
// Docker 20.10 (API 1.41).
func newDockerClient(config providerConfig) (*client.Client, error) {
	address, err := url.Parse(config.host)
	if err != nil {
		return nil, fmt.Errorf("docker provider configuration `host` %q is not a valid address: %w", config.host, err)
	}
	switch address.Scheme {
	case "unix", "tcp", "http":
		return client.NewClientWithOpts(client.WithHost(config.host), client.WithAPIVersionNegotiation())
	case "ssh":
		dialer, err := newSSHDialer(address, config.sshOptions)
		if err != nil {
			return nil, err
		}
		return client.NewClientWithOpts(
			client.WithHost(sshPlaceholderHost),
			client.WithDialContext(dialer.dial),
			client.WithAPIVersionNegotiation(),
		)
	}
	return nil, fmt.Errorf("docker provider configuration `host` %q: scheme %q is not supported (use unix://, tcp:// or ssh://)",
		config.host, address.Scheme)
}

// sshDialer opens connections to a remote daemon the way the docker CLI
// does: each connection is an `ssh ... docker system dial-stdio` process
// whose stdin and stdout carry the HTTP traffic.
type sshDialer struct {
	arguments []string
}

func newSSHDialer(address *url.URL, sshOptions []string) (*sshDialer, error) {
	if address.Hostname() == "" {
		return nil, fmt.Errorf("docker provider configuration `host` %q has no host name", address.String())
	}
	if address.Path != "" && address.Path != "/" {
		return nil, fmt.Errorf("docker provider configuration `host` %q: ssh addresses cannot have a path", address.String())
	}
	arguments := append([]string{}, sshOptions...)
	if address.User != nil && address.User.Username() != "" {
		arguments = append(arguments, "-l", address.User.Username())
	}
	if address.Port() != "" {
		arguments = append(arguments, "-p", address.Port())
	}
	// "--" ends the options so a host name cannot be read as a flag; what
	// follows the host is the remote command.
	arguments = append(arguments, "--", address.Hostname(), "docker", "system", "dial-stdio")
	return &sshDialer{arguments: arguments}, nil
}

func (dialer *sshDialer) dial(ctx context.Context, network, address string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return startCommandConnection("ssh", dialer.arguments)
}
