package docker

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/berth-deploy/berth/plugins/internal/providerkit"
)

// diffPolicy says how the official provider compares a resource's inputs:
// which changes force a replacement (Terraform's ForceNew), which lists are
// sets (order does not matter), which inputs are "optional and computed"
// (removing them from the program keeps the previous value instead of
// counting as a change), and which inputs the official provider reads back
// from Docker into the state (Terraform plans from the state, so for these
// the recorded value, not the old input, is what the new input is compared
// with).
type diffPolicy struct {
	replaceKeys         map[string]bool
	setKeys             map[string]bool
	keptWhenOmitted     map[string]bool
	readBackKeys        map[string]bool
	deleteBeforeReplace bool
}

func keySet(keys ...string) map[string]bool {
	set := make(map[string]bool, len(keys))
	for _, key := range keys {
		set[key] = true
	}
	return set
}

// diff compares checked new inputs with what the resource was deployed
// with: its checked old inputs, and for readBackKeys its recorded state.
func (policy diffPolicy) diff(state, olds, news resource.PropertyMap) *pulumirpc.DiffResponse {
	oldComparable := policy.plannedFrom(state, olds)
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
	// These changes are relative to the state, so the CLI shows the recorded
	// value (`- memorySwap: 1024`), as it does for the bridged provider.
	for key := range policy.readBackKeys {
		if change, ok := response.DetailedDiff[key]; ok {
			change.InputDiff = false
		}
	}
	return response
}

// plannedFrom is the comparable "old" side of a diff: the old inputs, with
// each readBackKey as the state records it (absent there means Docker
// reported its zero value). A state without properties (none recorded yet)
// leaves the old inputs as they are.
func (policy diffPolicy) plannedFrom(state, olds resource.PropertyMap) resource.PropertyMap {
	planned := policy.comparable(olds)
	if len(state) == 0 {
		return planned
	}
	recorded := policy.comparable(state)
	for key := range policy.readBackKeys {
		propertyKey := resource.PropertyKey(key)
		if value, ok := recorded[propertyKey]; ok {
			planned[propertyKey] = value
		} else {
			delete(planned, propertyKey)
		}
	}
	return planned
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
