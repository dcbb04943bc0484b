package docker

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// propertyKind is the JSON shape an input must have.
type propertyKind int

const (
	kindString propertyKind = iota
	kindNumber
	kindBool
	kindStringList
	kindStringMap
	kindObject
	kindObjectList
)

func (kind propertyKind) describe() string {
	switch kind {
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	case kindStringList:
		return "a list of strings"
	case kindStringMap:
		return "a map of strings"
	case kindObject:
		return "an object"
	case kindObjectList:
		return "a list of objects"
	}
	return "a value"
}

// propertyShape describes one supported input. Objects list the fields they
// support; any other field is rejected rather than silently ignored.
type propertyShape struct {
	kind     propertyKind
	required bool
	fields   map[string]propertyShape
}

// inputSchema is the set of inputs a resource type supports, with the
// label used in error messages ("docker.Container").
type inputSchema struct {
	label  string
	fields map[string]propertyShape
}

func (schema inputSchema) unsupportedMessage(path string) string {
	return fmt.Sprintf("%s input `%s` is not supported by berth's offline docker provider", schema.label, path)
}

// validate checks news against the schema and returns one failure per
// problem. Unknown values (previews) are accepted as they are.
func (schema inputSchema) validate(news resource.PropertyMap) []*pulumirpc.CheckFailure {
	var failures []*pulumirpc.CheckFailure
	schema.validateObject("", schema.fields, news, &failures)
	sort.SliceStable(failures, func(i, j int) bool { return failures[i].Property < failures[j].Property })
	return failures
}

func (schema inputSchema) validateObject(prefix string, fields map[string]propertyShape, values resource.PropertyMap, failures *[]*pulumirpc.CheckFailure) {
	for _, key := range values.StableKeys() {
		path := prefix + string(key)
		shape, supported := fields[string(key)]
		if !supported {
			*failures = append(*failures, &pulumirpc.CheckFailure{Property: path, Reason: schema.unsupportedMessage(path)})
			continue
		}
		schema.validateValue(path, shape, values[key], failures)
	}
	for name, shape := range fields {
		if !shape.required {
			continue
		}
		if value, ok := values[resource.PropertyKey(name)]; !ok || plainValue(value).IsNull() {
			path := prefix + name
			*failures = append(*failures, &pulumirpc.CheckFailure{
				Property: path,
				Reason:   fmt.Sprintf("%s input `%s` is required", schema.label, path),
			})
		}
	}
}

func (schema inputSchema) validateValue(path string, shape propertyShape, value resource.PropertyValue, failures *[]*pulumirpc.CheckFailure) {
	if isUnknown(value) {
		return
	}
	value = plainValue(value)
	if value.IsNull() {
		return
	}
	wrongKind := func() {
		*failures = append(*failures, &pulumirpc.CheckFailure{
			Property: path,
			Reason:   fmt.Sprintf("%s input `%s` must be %s", schema.label, path, shape.kind.describe()),
		})
	}
	switch shape.kind {
	case kindString:
		if !value.IsString() {
			wrongKind()
		}
	case kindNumber:
		if !value.IsNumber() {
			wrongKind()
		}
	case kindBool:
		if !value.IsBool() {
			wrongKind()
		}
	case kindStringList:
		if !value.IsArray() {
			wrongKind()
			return
		}
		for _, element := range value.ArrayValue() {
			element = plainValue(element)
			if !isUnknown(element) && !element.IsString() {
				wrongKind()
				return
			}
		}
	case kindStringMap:
		if !value.IsObject() {
			wrongKind()
			return
		}
		for _, element := range value.ObjectValue() {
			element = plainValue(element)
			if !isUnknown(element) && !element.IsString() {
				wrongKind()
				return
			}
		}
	case kindObject:
		if !value.IsObject() {
			wrongKind()
			return
		}
		schema.validateObject(path+".", shape.fields, value.ObjectValue(), failures)
	case kindObjectList:
		if !value.IsArray() {
			wrongKind()
			return
		}
		for index, element := range value.ArrayValue() {
			if isUnknown(element) {
				continue
			}
			element = plainValue(element)
			if !element.IsObject() {
				wrongKind()
				return
			}
			schema.validateObject(fmt.Sprintf("%s[%d].", path, index), shape.fields, element.ObjectValue(), failures)
		}
	}
}

// objectDefaults fills defaults into the fields of an object (or of every
// object in a list), the way the official provider's schema defaults do, so
// that spelling out a default value is not seen as a change.
func objectDefaults(value resource.PropertyValue, defaults resource.PropertyMap) resource.PropertyValue {
	if isUnknown(value) {
		return value
	}
	if value.IsSecret() {
		return resource.MakeSecret(objectDefaults(value.SecretValue().Element, defaults))
	}
	switch {
	case value.IsArray():
		elements := make([]resource.PropertyValue, 0, len(value.ArrayValue()))
		for _, element := range value.ArrayValue() {
			elements = append(elements, objectDefaults(element, defaults))
		}
		return resource.NewArrayProperty(elements)
	case value.IsObject():
		object := copyPropertyMap(value.ObjectValue())
		for key, defaultValue := range defaults {
			if existing, ok := object[key]; !ok || plainValue(existing).IsNull() {
				object[key] = defaultValue
			}
		}
		return resource.NewObjectProperty(object)
	}
	return value
}

// applyTopLevelDefaults sets defaults for absent (or null) top-level inputs.
func applyTopLevelDefaults(inputs resource.PropertyMap, defaults resource.PropertyMap) {
	for key, defaultValue := range defaults {
		if existing, ok := inputs[key]; !ok || plainValue(existing).IsNull() {
			inputs[key] = defaultValue
		}
	}
}
