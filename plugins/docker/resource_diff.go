package docker

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/berth-deploy/berth/plugins/internal/providerkit"
)

// diffPolicy says how the official provider compares a resource's inputs:
// which changes force a replacement (Terraform's ForceNew), which lists are
// sets (order does not matter), and which inputs are "optional and
// computed" (removing them from the program keeps the previous value
// instead of counting as a change).
type diffPolicy struct {
	replaceKeys         map[string]bool
	setKeys             map[string]bool
	keptWhenOmitted     map[string]bool
	deleteBeforeReplace bool
}

func keySet(keys ...string) map[string]bool {
	set := make(map[string]bool, len(keys))
	for _, key := range keys {
		set[key] = true
	}
	return set
}

// diff compares checked old inputs with checked new inputs.
func (policy diffPolicy) diff(olds, news resource.PropertyMap) *pulumirpc.DiffResponse {
	oldComparable := policy.comparable(olds)
	newComparable := policy.comparable(news)
	for key := range policy.keptWhenOmitted {
		propertyKey := resource.PropertyKey(key)
		if _, inNew := newComparable[propertyKey]; inNew {
			continue
		}
		if oldValue, inOld := oldComparable[propertyKey]; inOld {
			newComparable[propertyKey] = oldValue
		}
	}
	response := providerkit.InputDiff(oldComparable, newComparable, policy.replaceKeys)
	if len(response.Replaces) > 0 && policy.deleteBeforeReplace {
		response.DeleteBeforeReplace = true
	}
	return response
}

// comparable strips what the official provider ignores when diffing:
// secretness, zero values, and the order of set elements.
func (policy diffPolicy) comparable(values resource.PropertyMap) resource.PropertyMap {
	normalized := withoutZeroValues(withoutSecrets(resource.NewObjectProperty(values))).ObjectValue()
	for key := range policy.setKeys {
		propertyKey := resource.PropertyKey(key)
		if value, ok := normalized[propertyKey]; ok {
			normalized[propertyKey] = sortedElements(value)
		}
	}
	return normalized
}
