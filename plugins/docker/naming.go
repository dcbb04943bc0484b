package docker

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// The official provider auto-names resources like every bridged provider:
// "<resource name>-<7 random hex characters>", at most 255 characters.
const (
	autoNameRandomLength = 7
	autoNameMaximum      = 255
)

// resourceName is the Pulumi name of the resource being checked.
func resourceName(request *pulumirpc.CheckRequest) string {
	if request.GetName() != "" {
		return request.GetName()
	}
	return resource.URN(request.GetUrn()).Name()
}

// fillAutoName sets news["name"] when the program did not give one: it keeps
// the name chosen earlier (so an update does not rename, which would force a
// replacement), else follows the engine's autonaming options, else makes a
// fresh random one. When the stack disables autonaming, a resource whose
// name Docker can choose (nameRequired false) is left without one.
func fillAutoName(request *pulumirpc.CheckRequest, olds, news resource.PropertyMap, nameRequired bool) error {
	if value, ok := news["name"]; ok && !plainValue(value).IsNull() {
		return nil
	}
	if value, ok := olds["name"]; ok && !plainValue(value).IsNull() {
		news["name"] = value
		return nil
	}
	if options := request.GetAutonaming(); options != nil {
		switch options.GetMode() {
		case pulumirpc.CheckRequest_AutonamingOptions_DISABLE:
			if !nameRequired {
				return nil
			}
			return fmt.Errorf("autonaming is disabled for this stack: set `name` explicitly")
		case pulumirpc.CheckRequest_AutonamingOptions_ENFORCE, pulumirpc.CheckRequest_AutonamingOptions_PROPOSE:
			if options.GetProposedName() != "" {
				news["name"] = resource.NewStringProperty(options.GetProposedName())
				return nil
			}
		}
	}
	name, err := resource.NewUniqueName(request.GetRandomSeed(), resourceName(request)+"-",
		autoNameRandomLength, autoNameMaximum, nil)
	if err != nil {
		return err
	}
	news["name"] = resource.NewStringProperty(name)
	return nil
}
