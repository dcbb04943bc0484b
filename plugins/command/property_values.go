package command

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Property values arrive from the engine with their secret markers kept, so
// a secret stays secret when we echo inputs back as outputs. To *use* a value
// (run a command, dial a host) we need it without those markers.

// revealed returns value with every secret marker removed, recursively.
func revealed(value resource.PropertyValue) resource.PropertyValue {
	switch {
	case value.IsSecret():
		return revealed(value.SecretValue().Element)
	case value.IsArray():
		elements := make([]resource.PropertyValue, len(value.ArrayValue()))
		for index, element := range value.ArrayValue() {
			elements[index] = revealed(element)
		}
		return resource.NewArrayProperty(elements)
	case value.IsObject():
		return resource.NewObjectProperty(revealedMap(value.ObjectValue()))
	default:
		return value
	}
}

func revealedMap(properties resource.PropertyMap) resource.PropertyMap {
	result := resource.PropertyMap{}
	for key, value := range properties {
		result[key] = revealed(value)
	}
	return result
}

// isSet reports whether key holds a value (null counts as absent, as in the SDK).
func isSet(properties resource.PropertyMap, key string) bool {
	value, ok := properties[resource.PropertyKey(key)]
	return ok && !value.IsNull()
}

// stringInput returns the plain string under key, or ok=false when the key
// is absent or not a known string.
func stringInput(properties resource.PropertyMap, key string) (text string, ok bool) {
	value := revealed(properties[resource.PropertyKey(key)])
	if !value.IsString() {
		return "", false
	}
	return value.StringValue(), true
}

// boolInput returns the plain bool under key, or fallback when it is absent.
func boolInput(properties resource.PropertyMap, key string, fallback bool) bool {
	value := revealed(properties[resource.PropertyKey(key)])
	if !value.IsBool() {
		return fallback
	}
	return value.BoolValue()
}

// numberInput returns the number under key, or fallback when it is absent.
func numberInput(properties resource.PropertyMap, key string, fallback float64) float64 {
	value := revealed(properties[resource.PropertyKey(key)])
	if !value.IsNumber() {
		return fallback
	}
	return value.NumberValue()
}

// stringListInput returns the strings of the list under key (nil if absent).
func stringListInput(properties resource.PropertyMap, key string) []string {
	value := revealed(properties[resource.PropertyKey(key)])
	if !value.IsArray() {
		return nil
	}
	var result []string
	for _, element := range value.ArrayValue() {
		if element.IsString() {
			result = append(result, element.StringValue())
		}
	}
	return result
}

// environmentVariable is one NAME=value pair; a slice of them keeps a stable
// order, which makes command environments reproducible.
type environmentVariable struct {
	name  string
	value string
}

// environmentInput returns the string map under key as name-sorted pairs.
func environmentInput(properties resource.PropertyMap, key string) []environmentVariable {
	value := revealed(properties[resource.PropertyKey(key)])
	if !value.IsObject() {
		return nil
	}
	var result []environmentVariable
	for name, element := range value.ObjectValue() {
		if element.IsString() {
			result = append(result, environmentVariable{name: string(name), value: element.StringValue()})
		}
	}
	sort.Slice(result, func(left, right int) bool { return result[left].name < result[right].name })
	return result
}

// asSecret wraps value in a secret marker unless it already is one (or is
// unknown: the engine carries the secret marker once the value is known).
func asSecret(value resource.PropertyValue) resource.PropertyValue {
	if value.IsSecret() || value.IsNull() || value.IsComputed() {
		return value
	}
	return resource.MakeSecret(value)
}

// unknownString is the value of an output that will only be known once the
// command has really run (what preview shows as "output<string>").
func unknownString() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}
