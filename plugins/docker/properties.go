package docker

import (
	"fmt"
	"math"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// propertyBag reads typed values out of a Pulumi property map. Secrets are
// unwrapped transparently: the provider must send the real values to Docker,
// while the outputs it returns keep the original (secret) property values.
type propertyBag struct {
	values resource.PropertyMap
}

func newPropertyBag(values resource.PropertyMap) propertyBag {
	if values == nil {
		values = resource.PropertyMap{}
	}
	return propertyBag{values: values}
}

// plainValue strips secret and known-output wrappers so that the value
// underneath can be inspected.
func plainValue(value resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case value.IsSecret():
			value = value.SecretValue().Element
		case value.IsOutput() && value.OutputValue().Known:
			value = value.OutputValue().Element
		default:
			return value
		}
	}
}

func isUnknown(value resource.PropertyValue) bool {
	value = plainValue(value)
	return value.IsComputed() || (value.IsOutput() && !value.OutputValue().Known)
}

func (bag propertyBag) lookup(key string) (resource.PropertyValue, bool) {
	value, ok := bag.values[resource.PropertyKey(key)]
	if !ok {
		return resource.PropertyValue{}, false
	}
	value = plainValue(value)
	if value.IsNull() {
		return resource.PropertyValue{}, false
	}
	return value, true
}

// has reports whether key holds a value that is set to something other than
// its zero value (Terraform-based providers treat both the same way).
func (bag propertyBag) has(key string) bool {
	value, ok := bag.lookup(key)
	return ok && !isZeroValue(value)
}

func (bag propertyBag) stringValue(key string) string {
	value, ok := bag.lookup(key)
	if !ok || !value.IsString() {
		return ""
	}
	return value.StringValue()
}

func (bag propertyBag) boolValue(key string, fallback bool) bool {
	value, ok := bag.lookup(key)
	if !ok || !value.IsBool() {
		return fallback
	}
	return value.BoolValue()
}

func (bag propertyBag) intValue(key string, fallback int64) int64 {
	value, ok := bag.lookup(key)
	if !ok || !value.IsNumber() {
		return fallback
	}
	return int64(math.Round(value.NumberValue()))
}

func (bag propertyBag) stringList(key string) []string {
	value, ok := bag.lookup(key)
	if !ok || !value.IsArray() {
		return nil
	}
	var result []string
	for _, element := range value.ArrayValue() {
		element = plainValue(element)
		if element.IsString() {
			result = append(result, element.StringValue())
		}
	}
	return result
}

func (bag propertyBag) stringMap(key string) map[string]string {
	value, ok := bag.lookup(key)
	if !ok || !value.IsObject() {
		return nil
	}
	result := map[string]string{}
	for mapKey, element := range value.ObjectValue() {
		element = plainValue(element)
		if element.IsString() {
			result[string(mapKey)] = element.StringValue()
		}
	}
	return result
}

func (bag propertyBag) object(key string) (propertyBag, bool) {
	value, ok := bag.lookup(key)
	if !ok || !value.IsObject() {
		return propertyBag{}, false
	}
	return newPropertyBag(value.ObjectValue()), true
}

func (bag propertyBag) objectList(key string) []propertyBag {
	value, ok := bag.lookup(key)
	if !ok || !value.IsArray() {
		return nil
	}
	var result []propertyBag
	for _, element := range value.ArrayValue() {
		element = plainValue(element)
		if element.IsObject() {
			result = append(result, newPropertyBag(element.ObjectValue()))
		}
	}
	return result
}

// containsUnknowns reports whether any value, however deeply nested, is not
// known yet (only possible during previews).
func containsUnknowns(values resource.PropertyMap) bool {
	for _, value := range values {
		if valueContainsUnknowns(value) {
			return true
		}
	}
	return false
}

func valueContainsUnknowns(value resource.PropertyValue) bool {
	if isUnknown(value) {
		return true
	}
	value = plainValue(value)
	switch {
	case value.IsArray():
		for _, element := range value.ArrayValue() {
			if valueContainsUnknowns(element) {
				return true
			}
		}
	case value.IsObject():
		return containsUnknowns(value.ObjectValue())
	}
	return false
}

func isZeroValue(value resource.PropertyValue) bool {
	value = plainValue(value)
	switch {
	case value.IsNull():
		return true
	case value.IsString():
		return value.StringValue() == ""
	case value.IsBool():
		return !value.BoolValue()
	case value.IsNumber():
		return value.NumberValue() == 0
	case value.IsArray():
		return len(value.ArrayValue()) == 0
	case value.IsObject():
		return len(value.ObjectValue()) == 0
	}
	return false
}

// canonicalText renders a value as stable text, used to sort the elements of
// inputs that have set semantics in the official provider.
func canonicalText(value resource.PropertyValue) string {
	value = plainValue(value)
	switch {
	case value.IsComputed() || value.IsOutput():
		return "<unknown>"
	case value.IsArray():
		text := "["
		for _, element := range value.ArrayValue() {
			text += canonicalText(element) + ","
		}
		return text + "]"
	case value.IsObject():
		object := value.ObjectValue()
		text := "{"
		for _, key := range object.StableKeys() {
			text += fmt.Sprintf("%q:%s,", key, canonicalText(object[key]))
		}
		return text + "}"
	case value.IsString():
		return fmt.Sprintf("%q", value.StringValue())
	}
	return fmt.Sprintf("%v", value.V)
}

// withoutSecrets returns a deep copy with every secret wrapper removed, for
// comparisons where only the plain values matter.
func withoutSecrets(value resource.PropertyValue) resource.PropertyValue {
	value = plainValue(value)
	switch {
	case value.IsArray():
		elements := make([]resource.PropertyValue, 0, len(value.ArrayValue()))
		for _, element := range value.ArrayValue() {
			elements = append(elements, withoutSecrets(element))
		}
		return resource.NewArrayProperty(elements)
	case value.IsObject():
		object := resource.PropertyMap{}
		for key, element := range value.ObjectValue() {
			object[key] = withoutSecrets(element)
		}
		return resource.NewObjectProperty(object)
	}
	return value
}

// withoutZeroValues drops zero values (false, 0, "", empty lists and maps)
// recursively from objects, because the official Terraform-based provider
// does not distinguish them from absent values.
func withoutZeroValues(value resource.PropertyValue) resource.PropertyValue {
	switch {
	case value.IsArray():
		elements := make([]resource.PropertyValue, 0, len(value.ArrayValue()))
		for _, element := range value.ArrayValue() {
			elements = append(elements, withoutZeroValues(element))
		}
		return resource.NewArrayProperty(elements)
	case value.IsObject():
		object := resource.PropertyMap{}
		for key, element := range value.ObjectValue() {
			if isZeroValue(element) && !isUnknown(element) {
				continue
			}
			object[key] = withoutZeroValues(element)
		}
		return resource.NewObjectProperty(object)
	}
	return value
}

// sortedElements orders the elements of a list by their canonical text, so
// that two lists holding the same set compare equal.
func sortedElements(value resource.PropertyValue) resource.PropertyValue {
	if !value.IsArray() {
		return value
	}
	elements := append([]resource.PropertyValue(nil), value.ArrayValue()...)
	sort.SliceStable(elements, func(i, j int) bool {
		return canonicalText(elements[i]) < canonicalText(elements[j])
	})
	return resource.NewArrayProperty(elements)
}

// copyPropertyMap returns a shallow copy (property values are immutable).
func copyPropertyMap(values resource.PropertyMap) resource.PropertyMap {
	result := resource.PropertyMap{}
	for key, value := range values {
		result[key] = value
	}
	return result
}

func unknownValue() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}
