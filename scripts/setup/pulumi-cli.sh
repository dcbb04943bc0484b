# The Pulumi CLI and its Node.js language host.
#
# Where they are installed already (a developer laptop), setup uses them.
# Otherwise they are compiled from the Go module proxy, the only source of
# Go code this machine reaches:
#   - the CLI at exactly the version of @pulumi/pulumi pinned in package.json.
#     Its module (pkg/v3) has local `replace` directives, so `go install`
#     refuses it; a throwaway wrapper module requires pkg/v3 and sdk/v3 at the
#     same version and re-declares pkg's non-local replaces.
#   - the language host from sdk/v3 v3.68.0: the last release in which it was
#     part of the sdk module. Later releases moved it to a module of its own
#     (.../pulumi-language-nodejs/v3), which this machine's module proxy does
#     not serve at any commit. The host only starts node on the SDK's own
#     `cmd/run` script, which ships with the pinned npm SDK, and the 3.68 host
#     runs programs of the pinned SDK (the toolchain test proves it).

BERTH_LANGUAGE_HOST_SDK_VERSION="3.68.0"

require_go() {
  command -v go >/dev/null || die "$1 is not installed and Go is not available to build it.
Install the Pulumi CLI (https://www.pulumi.com/docs/install/) or Go >= 1.25 (https://go.dev/dl/), then rerun npm run setup."
}

# Prints the `go.mod` replace lines of a module version, leaving out those
# that point at local directories (which only make sense inside its repo).
remote_replaces_of() {
  local gomod
  gomod=$(go mod download -json "$1" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).GoMod)')
  go mod edit -json "$gomod" | node -e '
    const mod = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const r of mod.Replace || []) {
      if (!r.New.Version) continue; // a local path
      const old = r.Old.Version ? `${r.Old.Path} ${r.Old.Version}` : r.Old.Path;
      console.log(`replace ${old} => ${r.New.Path} ${r.New.Version}`);
    }'
}

# build_go_binary NAME PACKAGE OUTPUT VERSION_LDFLAG MODULE_TEXT
# Builds PACKAGE inside a wrapper module whose go.mod is MODULE_TEXT.
build_go_binary() {
  local name=$1 package=$2 output=$3 ldflags=$4 module_text=$5
  local work="$BERTH_CACHE/build/$name"
  mkdir -p "$work" "$(dirname "$output")"
  printf '%s\n' "$module_text" >"$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" >"$work/tools.go"
  (
    cd "$work"
    GOFLAGS=-mod=mod go mod tidy >"$work/tidy.log" 2>&1 || die "go mod tidy for $name failed; see $work/tidy.log"
    go build -trimpath -o "$output" -ldflags "$ldflags" "$package" >"$work/build.log" 2>&1 \
      || die "building $name failed; see $work/build.log"
  )
}

ensure_pulumi_cli() {
  step "Pulumi CLI"
  local want
  want=$(pinned_version @pulumi/pulumi)
  if command -v pulumi >/dev/null; then
    local have
    have=$(pulumi version)
    if [ "$have" = "v$want" ]; then
      note "pulumi $have ($(command -v pulumi))"
    else
      note "pulumi $have ($(command -v pulumi)); package.json pins the SDK at $want: using it anyway"
    fi
    return
  fi
  require_go "pulumi"
  local binary="$BERTH_CACHE/bin/pulumi-v$want"
  if [ ! -x "$binary" ]; then
    note "compiling pulumi v$want from the Go module proxy (first run: about 5 min on 2 cores)"
    build_go_binary "pulumi-cli-v$want" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$binary" \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$want" \
      "module berth.local/pulumi-cli

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 v$want
	github.com/pulumi/pulumi/sdk/v3 v$want
)

$(remote_replaces_of "github.com/pulumi/pulumi/pkg/v3@v$want")"
  fi
  mkdir -p "$PULUMI_HOME/bin"
  install -m 0755 "$binary" "$PULUMI_HOME/bin/pulumi"
  note "installed $(pulumi version) to $PULUMI_HOME/bin"
}

ensure_language_host() {
  step "Node.js language host"
  if command -v pulumi-language-nodejs >/dev/null; then
    note "found $(command -v pulumi-language-nodejs)"
    return
  fi
  require_go "pulumi-language-nodejs"
  local version="$BERTH_LANGUAGE_HOST_SDK_VERSION"
  local binary="$BERTH_CACHE/bin/pulumi-language-nodejs-v$version"
  if [ ! -x "$binary" ]; then
    note "compiling pulumi-language-nodejs from sdk/v3 v$version"
    build_go_binary "language-nodejs-v$version" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs "$binary" \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
      "module berth.local/language-nodejs

go 1.20

require github.com/pulumi/pulumi/sdk/v3 v$version"
  fi
  install -m 0755 "$binary" "$PULUMI_HOME/bin/pulumi-language-nodejs"
  note "installed to $PULUMI_HOME/bin"
}
