// Package providerkit holds the gRPC plumbing shared by berth's offline
// provider plugins: property (un)marshalling and input diffing.
package providerkit

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

// Unmarshal decodes a property struct sent by the engine, keeping secrets
// and unknowns so the provider can honour both.
func Unmarshal(props *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(props, plugin.MarshalOptions{
		KeepUnknowns:  true,
		KeepSecrets:   true,
		SkipNulls:     true,
		KeepResources: true,
	})
}

// Marshal encodes properties for the engine, keeping secrets and unknowns.
func Marshal(props resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(props, plugin.MarshalOptions{
		KeepUnknowns: true,
		KeepSecrets:  true,
	})
}

// InputDiff compares old and new inputs key by key. Keys listed in
// replaceKeys force a replacement when they change; every other change is an
// in-place update.
func InputDiff(olds, news resource.PropertyMap, replaceKeys map[string]bool) *pulumirpc.DiffResponse {
	changed := map[string]bool{}
	for key, newValue := range news {
		oldValue, ok := olds[key]
		if !ok || !oldValue.DeepEquals(newValue) {
			changed[string(key)] = true
		}
	}
	for key := range olds {
		if _, ok := news[key]; !ok {
			changed[string(key)] = true
		}
	}
	keys := make([]string, 0, len(changed))
	for key := range changed {
		keys = append(keys, key)
	}
	sort.Strings(keys)

	response := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		HasDetailedDiff: true,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
	}
	for _, key := range keys {
		kind := pulumirpc.PropertyDiff_UPDATE
		if replaceKeys[key] {
			kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
			response.Replaces = append(response.Replaces, key)
		}
		if _, inOld := olds[resource.PropertyKey(key)]; !inOld {
			kind = addKind(replaceKeys[key])
		} else if _, inNew := news[resource.PropertyKey(key)]; !inNew {
			kind = deleteKind(replaceKeys[key])
		}
		response.DetailedDiff[key] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		response.Diffs = append(response.Diffs, key)
	}
	if len(keys) > 0 {
		response.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return response
}

func addKind(replace bool) pulumirpc.PropertyDiff_Kind {
	if replace {
		return pulumirpc.PropertyDiff_ADD_REPLACE
	}
	return pulumirpc.PropertyDiff_ADD
}

func deleteKind(replace bool) pulumirpc.PropertyDiff_Kind {
	if replace {
		return pulumirpc.PropertyDiff_DELETE_REPLACE
	}
	return pulumirpc.PropertyDiff_DELETE
}

// UnmarshalOldInputs decodes the inputs a resource was last deployed with.
// Diffs compare inputs with inputs: old outputs hold values the provider
// computed, which are not changes the program made. States written before
// the engine recorded old inputs fall back to the old outputs.
func UnmarshalOldInputs(oldInputs, oldOutputs *structpb.Struct) (resource.PropertyMap, error) {
	if oldInputs == nil {
		oldInputs = oldOutputs
	}
	return Unmarshal(oldInputs)
}
