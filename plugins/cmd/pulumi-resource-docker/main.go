// Command pulumi-resource-docker is berth's offline docker provider plugin:
// it serves the official @pulumi/docker SDK for the resources berth uses.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/berth-deploy/berth/plugins/docker"
)

// version is set at build time: -ldflags "-X main.version=5.2.0".
var version = "5.2.0"

func main() {
	err := provider.Main("docker", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return docker.NewProvider(version), nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-docker: %v\n", err)
		os.Exit(1)
	}
}
