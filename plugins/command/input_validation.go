package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// inputValidator collects Check failures. Every message names the property
// in its text; the failure's Property field stays empty on purpose, because
// the engine would then print the property's value next to the message, and
// that value may be a private key.
//
// Unknown values (preview, before an upstream resource exists) pass every
// check: they are checked again in the real run, when they are known.
type inputValidator struct {
	failures []*pulumirpc.CheckFailure
}

func (validator *inputValidator) fail(format string, arguments ...any) {
	validator.failures = append(validator.failures, &pulumirpc.CheckFailure{Reason: fmt.Sprintf(format, arguments...)})
}

// propertySpec lists the properties a resource type (or nested object)
// understands; anything else is refused.
type propertySpec struct {
	// supported maps each implemented property to its kind of value.
	supported map[string]valueKind
	// unsupported maps properties of the official schema that berth's
	// provider does not implement to the reason shown to the user.
	unsupported map[string]string
}

type valueKind int

const (
	stringValue valueKind = iota
	boolValue
	numberValue
	stringListValue
	stringMapValue
	anyListValue
	objectValue
	assetOrArchiveValue
)

// checkProperties refuses unknown and unimplemented properties and checks the
// kind of every known value. path prefixes property names in messages
// ("connection.proxy"), owner names what is being checked.
func (validator *inputValidator) checkProperties(owner, path string, properties resource.PropertyMap, spec propertySpec) {
	for _, key := range sortedKeys(properties) {
		name := path + key
		value := properties[resource.PropertyKey(key)]
		if value.IsNull() {
			continue
		}
		if reason, refused := spec.unsupported[key]; refused {
			validator.fail("property %q is not supported by berth's offline command provider: %s", name, reason)
			continue
		}
		kind, known := spec.supported[key]
		if !known {
			validator.fail("unknown property %q for %s", name, owner)
			continue
		}
		validator.checkKind(name, revealed(value), kind)
	}
}

func (validator *inputValidator) checkKind(name string, value resource.PropertyValue, kind valueKind) {
	if value.ContainsUnknowns() {
		return
	}
	switch kind {
	case stringValue:
		if !value.IsString() {
			validator.fail("property %q must be a string", name)
		}
	case boolValue:
		if !value.IsBool() {
			validator.fail("property %q must be a boolean", name)
		}
	case numberValue:
		if !value.IsNumber() {
			validator.fail("property %q must be a number", name)
		}
	case anyListValue:
		if !value.IsArray() {
			validator.fail("property %q must be a list", name)
		}
	case stringListValue:
		if !value.IsArray() || !allElements(value.ArrayValue(), resource.PropertyValue.IsString) {
			validator.fail("property %q must be a list of strings", name)
		}
	case stringMapValue:
		if !value.IsObject() || !allElements(mapValues(value.ObjectValue()), resource.PropertyValue.IsString) {
			validator.fail("property %q must be a map of strings", name)
		}
	case objectValue:
		if !value.IsObject() {
			validator.fail("property %q must be an object", name)
		}
	case assetOrArchiveValue:
		if !value.IsAsset() && !value.IsArchive() {
			validator.fail("property %q must be an asset or an archive", name)
		}
	}
}

// requireProperty fails when a mandatory property is missing.
func (validator *inputValidator) requireProperty(owner, name string, properties resource.PropertyMap, key string) {
	if !isSet(properties, key) {
		validator.fail("%s requires property %q", owner, name)
	}
}

// checkOneOf fails when a known string property is outside allowed.
func (validator *inputValidator) checkOneOf(name string, properties resource.PropertyMap, key string, allowed []string) {
	value := revealed(properties[resource.PropertyKey(key)])
	if !value.IsString() {
		return
	}
	for _, candidate := range allowed {
		if value.StringValue() == candidate {
			return
		}
	}
	validator.fail("property %q must be one of %s, not %q", name, strings.Join(allowed, ", "), value.StringValue())
}

func allElements(values []resource.PropertyValue, predicate func(resource.PropertyValue) bool) bool {
	for _, value := range values {
		if !value.ContainsUnknowns() && !predicate(value) {
			return false
		}
	}
	return true
}

func mapValues(properties resource.PropertyMap) []resource.PropertyValue {
	values := make([]resource.PropertyValue, 0, len(properties))
	for _, value := range properties {
		values = append(values, value)
	}
	return values
}

func sortedKeys(properties resource.PropertyMap) []string {
	keys := make([]string, 0, len(properties))
	for key := range properties {
		keys = append(keys, string(key))
	}
	sort.Strings(keys)
	return keys
}
