package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/berth-deploy/berth/plugins/internal/providerkit"
)

// copyToRemoteResource is command:remote:CopyToRemote: it copies a
// FileAsset, a StringAsset or a FileArchive (a file or a directory, copied
// as is, never unpacked) to remotePath over SFTP.
//
// Like the official provider it copies on create, copies again on update
// when the source's content or remotePath changed, and leaves the remote
// files in place on delete. A `triggers` change replaces it.
type copyToRemoteResource struct{}

var copyToRemoteSpec = propertySpec{supported: map[string]valueKind{
	"connection": objectValue,
	"source":     assetOrArchiveValue,
	"remotePath": stringValue,
	"triggers":   anyListValue,
}}

var copyToRemoteReplaceKeys = map[string]bool{"triggers": true}

func (copyToRemoteResource) check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	owner := string(copyToRemoteToken)
	validator := &inputValidator{}
	validator.checkProperties(owner, "", news, copyToRemoteSpec)
	for _, key := range []string{"connection", "source", "remotePath"} {
		validator.requireProperty(owner, key, news, key)
	}
	checkConnection(validator, owner, "connection.", news["connection"], true)
	checkCopySource(validator, revealed(news["source"]))

	checked := news.Copy()
	normalizeCopyInputs(checked)
	return checked, validator.failures
}

// checkCopySource accepts what the official provider copies: a file or text
// asset, or an archive that is a path (a directory or an archive file).
func checkCopySource(validator *inputValidator, source resource.PropertyValue) {
	switch {
	case source.IsAsset():
		if source.AssetValue().IsURI() {
			validator.fail("property \"source\": remote (URI) assets are not supported; use a FileAsset or a StringAsset")
		}
	case source.IsArchive():
		if !source.ArchiveValue().IsPath() {
			validator.fail("property \"source\": only FileArchive (a local file or directory) is supported, not AssetArchive or RemoteArchive")
		}
	}
}

func normalizeCopyInputs(inputs resource.PropertyMap) {
	if isSet(inputs, "connection") {
		inputs["connection"] = asSecret(withConnectionDefaults(inputs["connection"]))
	}
}

func (copyToRemoteResource) diff(oldState, news resource.PropertyMap) *pulumirpc.DiffResponse {
	return providerkit.InputDiff(oldState, news, copyToRemoteReplaceKeys)
}

func (copyToRemoteResource) create(ctx context.Context, step resourceStep, inputs resource.PropertyMap) (resource.PropertyMap, error) {
	outputs := inputs.Copy()
	normalizeCopyInputs(outputs)
	if step.preview {
		return outputs, nil
	}
	if err := copyToRemote(ctx, step, inputs); err != nil {
		return nil, err
	}
	outputs["source"] = withContentHash(outputs["source"])
	return outputs, nil
}

func (copyToRemoteResource) update(ctx context.Context, step resourceStep, oldState, news resource.PropertyMap) (resource.PropertyMap, error) {
	outputs := news.Copy()
	normalizeCopyInputs(outputs)
	if step.preview {
		return outputs, nil
	}
	// Assets compare by content hash, so an edited file counts as a change.
	sourceChanged := !revealed(oldState["source"]).DeepEquals(revealed(news["source"]))
	remotePathChanged := !revealed(oldState["remotePath"]).DeepEquals(revealed(news["remotePath"]))
	if sourceChanged || remotePathChanged {
		if err := copyToRemote(ctx, step, news); err != nil {
			return nil, err
		}
	}
	outputs["source"] = withContentHash(outputs["source"])
	return outputs, nil
}

// withContentHash records the hash of what was copied in the state. An asset
// that only names a path would otherwise compare equal to itself after the
// file changed, and the change would never be copied.
func withContentHash(source resource.PropertyValue) resource.PropertyValue {
	switch {
	case source.IsSecret():
		return resource.MakeSecret(withContentHash(source.SecretValue().Element))
	case source.IsAsset():
		hashed := *source.AssetValue()
		if hashed.EnsureHash() == nil {
			return resource.NewAssetProperty(&hashed)
		}
	case source.IsArchive():
		hashed := *source.ArchiveValue()
		if hashed.EnsureHash() == nil {
			return resource.NewArchiveProperty(&hashed)
		}
	}
	return source
}

// delete leaves the copied files on the host, as the official provider does.
func (copyToRemoteResource) delete(context.Context, resourceStep, resource.PropertyMap) error {
	return nil
}

func copyToRemote(ctx context.Context, step resourceStep, inputs resource.PropertyMap) error {
	connection, err := parseConnection(inputs["connection"])
	if err != nil {
		return err
	}
	remotePath, _ := stringInput(inputs, "remotePath")
	if remotePath == "" {
		return errors.New("property \"remotePath\" is empty")
	}
	client, err := connection.dial(ctx, step)
	if err != nil {
		return err
	}
	defer func() { _ = client.Close() }()
	stopWatching := context.AfterFunc(ctx, func() { _ = client.Close() })
	defer stopWatching()

	copier, err := newRemoteCopier(client)
	if err != nil {
		return fmt.Errorf("starting SFTP on %s: %w", connection.address(), err)
	}
	defer copier.close()

	source := revealed(inputs["source"])
	switch {
	case source.IsAsset() && source.AssetValue().IsPath():
		err = copier.copyLocalFile(source.AssetValue().Path, remotePath)
	case source.IsAsset():
		text, _ := source.AssetValue().GetText()
		err = copier.writeText(text, remotePath)
	case source.IsArchive() && source.ArchiveValue().IsPath():
		err = copier.copyLocalPath(source.ArchiveValue().Path, remotePath)
	default:
		err = errors.New("property \"source\" must be a FileAsset, a StringAsset or a FileArchive")
	}
	if err != nil {
		return fmt.Errorf("copying to %s:%s: %w", connection.address(), remotePath, err)
	}
	return nil
}
