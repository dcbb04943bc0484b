package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
)

// The SSH server runs on this machine, so the tests read the "remote" files
// directly.

// fileAsset is what the engine forwards for pulumi.asset.FileAsset: a path,
// no hash.
func fileAsset(path string) resource.PropertyValue {
	return resource.NewAssetProperty(&asset.Asset{Sig: asset.AssetSig, Path: path})
}

func fileArchive(path string) resource.PropertyValue {
	return resource.NewArchiveProperty(&archive.Archive{Sig: archive.ArchiveSig, Path: path})
}

func writeLocalFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("expected %s to exist: %v", path, err)
	}
	return string(content)
}

func TestCopyToRemoteFileAssetCreatesParentsAndRecopiesOnChange(t *testing.T) {
	server := startSSHServer(t)
	h := newHarness(t)
	local := filepath.Join(t.TempDir(), "nginx.conf")
	writeLocalFile(t, local, "worker_processes 1;\n")
	remote := filepath.Join(t.TempDir(), "etc", "nginx", "nginx.conf")
	inputs := h.check(copyToRemoteToken, resource.PropertyMap{
		"connection": connectionTo(server),
		"source":     fileAsset(local),
		"remotePath": text(remote),
	})

	created := h.mustCreate(copyToRemoteToken, inputs)
	if got := readFile(t, remote); got != "worker_processes 1;\n" {
		t.Errorf("remote content = %q", got)
	}
	if !created["connection"].IsSecret() {
		t.Error("the connection output must stay secret")
	}

	// Same content: no copy (a remote edit survives).
	writeLocalFile(t, remote, "edited on the host\n")
	unchanged := h.mustUpdate(copyToRemoteToken, created, inputs)
	if got := readFile(t, remote); got != "edited on the host\n" {
		t.Errorf("an update with an unchanged source copied again: %q", got)
	}

	// New content under the same path: the state's hash tells them apart.
	writeLocalFile(t, local, "worker_processes 4;\n")
	news := inputs.Copy()
	news["source"] = fileAsset(local)
	if diff := h.diff(copyToRemoteToken, unchanged, news); len(diff.GetDiffs()) != 1 || diff.GetDiffs()[0] != "source" || len(diff.GetReplaces()) != 0 {
		t.Errorf("changed file: diffs=%v replaces=%v, want an in-place update of source", diff.GetDiffs(), diff.GetReplaces())
	}
	h.mustUpdate(copyToRemoteToken, unchanged, news)
	if got := readFile(t, remote); got != "worker_processes 4;\n" {
		t.Errorf("remote content after update = %q", got)
	}

	if err := h.delete(copyToRemoteToken, created); err != nil {
		t.Fatal(err)
	}
	readFile(t, remote) // delete leaves the file, like the official provider
}

func TestCopyToRemoteFileIntoExistingDirectoryAndStringAsset(t *testing.T) {
	server := startSSHServer(t)
	h := newHarness(t)
	local := filepath.Join(t.TempDir(), "app.ini")
	writeLocalFile(t, local, "[uwsgi]\n")
	remoteDirectory := t.TempDir()

	h.mustCreate(copyToRemoteToken, h.check(copyToRemoteToken, resource.PropertyMap{
		"connection": connectionTo(server), "source": fileAsset(local), "remotePath": text(remoteDirectory),
	}))
	if got := readFile(t, filepath.Join(remoteDirectory, "app.ini")); got != "[uwsgi]\n" {
		t.Errorf("file copied into a directory: %q", got)
	}

	textAsset, err := asset.FromText("RELEASE=42\n")
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(remoteDirectory, "release.env")
	h.mustCreate(copyToRemoteToken, h.check(copyToRemoteToken, resource.PropertyMap{
		"connection": connectionTo(server), "source": resource.NewAssetProperty(textAsset), "remotePath": text(target),
	}))
	if got := readFile(t, target); got != "RELEASE=42\n" {
		t.Errorf("string asset content = %q", got)
	}
}

func TestCopyToRemoteDirectoryArchive(t *testing.T) {
	server := startSSHServer(t)
	h := newHarness(t)
	source := filepath.Join(t.TempDir(), "site")
	writeLocalFile(t, filepath.Join(source, "index.html"), "<h1>hi</h1>")
	writeLocalFile(t, filepath.Join(source, "static", "app.js"), "run()")

	intoNamed := filepath.Join(t.TempDir(), "www")
	h.mustCreate(copyToRemoteToken, h.check(copyToRemoteToken, resource.PropertyMap{
		"connection": connectionTo(server), "source": fileArchive(source), "remotePath": text(intoNamed),
	}))
	if got := readFile(t, filepath.Join(intoNamed, "site", "static", "app.js")); got != "run()" {
		t.Errorf("dir copied as remotePath/site: %q", got)
	}

	contentsOnly := filepath.Join(t.TempDir(), "www")
	h.mustCreate(copyToRemoteToken, h.check(copyToRemoteToken, resource.PropertyMap{
		"connection": connectionTo(server), "source": fileArchive(source + "/"), "remotePath": text(contentsOnly),
	}))
	if got := readFile(t, filepath.Join(contentsOnly, "index.html")); got != "<h1>hi</h1>" {
		t.Errorf("dir/ copied as its contents: %q", got)
	}

	existingFile := filepath.Join(t.TempDir(), "occupied")
	writeLocalFile(t, existingFile, "x")
	_, err := h.create(copyToRemoteToken, h.check(copyToRemoteToken, resource.PropertyMap{
		"connection": connectionTo(server), "source": fileArchive(source), "remotePath": text(existingFile),
	}), false)
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("copying a directory onto a file must fail, got %v", err)
	}
}

func TestCopyToRemotePreviewTriggersAndRefusals(t *testing.T) {
	h := newHarness(t)
	remote := filepath.Join(t.TempDir(), "never")
	local := filepath.Join(t.TempDir(), "file")
	writeLocalFile(t, local, "x")
	connection := resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{"host": text("127.0.0.1"), "port": resource.NewNumberProperty(1)}))
	inputs := h.check(copyToRemoteToken, resource.PropertyMap{
		"connection": connection, "source": fileAsset(local), "remotePath": text(remote), "triggers": list(text("v1")),
	})

	if _, err := h.create(copyToRemoteToken, inputs, true); err != nil {
		t.Fatalf("preview must not connect anywhere: %v", err)
	}
	if _, err := os.Stat(remote); err == nil {
		t.Error("preview copied a file")
	}

	retriggered := inputs.Copy()
	retriggered["triggers"] = list(text("v2"))
	if diff := h.diff(copyToRemoteToken, inputs, retriggered); len(diff.GetReplaces()) != 1 {
		t.Errorf("triggers change must replace, got %v", diff.GetReplaces())
	}

	uriAsset := resource.NewAssetProperty(&asset.Asset{Sig: asset.AssetSig, URI: "https://example.com/x"})
	assetArchive, err := archive.FromAssets(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	for _, scenario := range []struct {
		name   string
		inputs resource.PropertyMap
		want   string
	}{
		{"uri asset", resource.PropertyMap{"connection": connection, "source": uriAsset, "remotePath": text("/x")}, "remote (URI) assets are not supported"},
		{"asset archive", resource.PropertyMap{"connection": connection, "source": resource.NewArchiveProperty(assetArchive), "remotePath": text("/x")}, "only FileArchive"},
		{"missing remotePath", resource.PropertyMap{"connection": connection, "source": fileAsset(local)}, `requires property "remotePath"`},
		{"not an asset", resource.PropertyMap{"connection": connection, "source": text(local), "remotePath": text("/x")}, `property "source" must be an asset or an archive`},
	} {
		t.Run(scenario.name, func(t *testing.T) {
			_, failures := h.checkWithFailures(copyToRemoteToken, scenario.inputs)
			assertContains(t, strings.Join(failures, "\n"), scenario.want)
		})
	}
}
