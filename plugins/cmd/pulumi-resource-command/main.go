// Command pulumi-resource-command is berth's offline build of the Pulumi
// "command" resource provider plugin (see package command for what it
// implements). The engine starts it with its own address as argument.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/berth-deploy/berth/plugins/command"
)

// version is what GetPluginInfo reports; set it to the npm SDK's version at
// build time: go build -ldflags "-X main.version=1.2.1".
var version = "1.2.1"

func main() {
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		// A nil *HostClient inside the interface would not compare equal to
		// nil, so only pass a host that exists (it is nil in attach mode).
		var engine command.EngineLogger
		if host != nil {
			engine = host
		}
		return command.New(engine, version), nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
