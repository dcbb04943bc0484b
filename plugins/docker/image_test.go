package docker

import (
	"context"
	"testing"

	"github.com/docker/docker/client"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestRemoteImageUsesAPresentImageWithoutPulling(t *testing.T) {
	run := newTestRun(t)
	provider := newLocalProvider(t)
	ctx := context.Background()
	base, _, err := run.docker.ImageInspectWithRaw(ctx, baseImage)
	if err != nil {
		t.Fatalf("the base image %s must exist: %v", baseImage, err)
	}
	// These names exist in no registry: a pull attempt would fail the test.
	kept := run.prefix + "/kept:v1"
	removed := run.prefix + "/removed:v1"
	for _, tag := range []string{kept, removed} {
		if err := run.docker.ImageTag(ctx, baseImage, tag); err != nil {
			t.Fatal(err)
		}
	}

	keptInputs := check(t, provider, remoteImageType, "kept", nil, resource.PropertyMap{
		"name": stringProperty(kept), "keepLocally": boolProperty(true),
	})
	id, outputs := mustCreate(t, provider, remoteImageType, "kept", keptInputs)
	if outputs["imageId"].StringValue() != base.ID {
		t.Errorf("imageId = %v, want %s", outputs["imageId"], base.ID)
	}
	if id != base.ID+kept {
		t.Errorf("ID = %q, want <image id><name>", id)
	}
	if digest := outputs["repoDigest"].StringValue(); digest != "" {
		t.Errorf("an imported image has no repo digest, got %q", digest)
	}
	if response := read(t, provider, remoteImageType, "kept", id, outputs, keptInputs); response.GetId() != id {
		t.Errorf("Read returned ID %q", response.GetId())
	}
	mustDelete(t, provider, remoteImageType, "kept", id, outputs)
	if _, _, err := run.docker.ImageInspectWithRaw(ctx, kept); err != nil {
		t.Errorf("keepLocally must keep the image: %v", err)
	}

	removedInputs := check(t, provider, remoteImageType, "removed", nil, resource.PropertyMap{"name": stringProperty(removed)})
	id, outputs = mustCreate(t, provider, remoteImageType, "removed", removedInputs)
	mustDelete(t, provider, remoteImageType, "removed", id, outputs)
	if _, _, err := run.docker.ImageInspectWithRaw(ctx, removed); !client.IsErrNotFound(err) {
		t.Errorf("without keepLocally the image name must be removed, inspect says %v", err)
	}
	if _, _, err := run.docker.ImageInspectWithRaw(ctx, baseImage); err != nil {
		t.Errorf("removing one tag must not remove the base image: %v", err)
	}

	nameChange := diff(t, provider, remoteImageType, "kept", keptInputs, check(t, provider, remoteImageType, "kept", keptInputs,
		resource.PropertyMap{"name": stringProperty(run.prefix + "/kept:v2"), "keepLocally": boolProperty(true)}))
	if !equalStrings(nameChange.GetReplaces(), []string{"name"}) || nameChange.GetDeleteBeforeReplace() {
		t.Errorf("a name change replaces (create before delete): %v", nameChange)
	}
	keepChange := diff(t, provider, remoteImageType, "kept", keptInputs, resource.PropertyMap{"name": stringProperty(kept)})
	if len(keepChange.GetReplaces()) != 0 || len(keepChange.GetDiffs()) == 0 {
		t.Errorf("a keepLocally change updates in place: %v", keepChange)
	}
}
