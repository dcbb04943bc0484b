# Resource provider plugins at the versions the pinned npm SDKs ask for.
#
# In order of preference:
#   1. a plugin already installed at that version (a developer laptop): used;
#   2. the official plugin, downloaded by `pulumi plugin install`;
#   3. berth's offline provider, compiled from plugins/ in this repository.
#      This machine's Go module proxy serves no provider repository (every
#      version of pulumi-docker, pulumi-command and their Terraform upstreams
#      answers 403), so the official plugins cannot be built here. berth's
#      providers implement the part of the official schemas berth uses, with
#      the official semantics, and reject every other input by name.
#      A marker file beside the installed binary says it is ours, so setup
#      rebuilds it whenever plugins/ changes and never touches an official one.

BERTH_PLUGIN_MARKER=".built-by-berth"

plugin_dir() { echo "$PULUMI_HOME/plugins/resource-$1-v$2"; }

ensure_provider_plugin() {
  local name=$1 npm_package=$2
  local version
  version=$(pinned_version "$npm_package")
  step "Provider plugin $name $version"
  local dir
  dir=$(plugin_dir "$name" "$version")

  if [ -x "$dir/pulumi-resource-$name" ] && [ ! -f "$dir/$BERTH_PLUGIN_MARKER" ]; then
    note "installed ($dir)"
    return
  fi
  if [ ! -d "$dir" ] && timeout 60 pulumi plugin install resource "$name" "$version" --exact >/dev/null 2>&1; then
    note "downloaded the official plugin"
    return
  fi

  require_go "the $name provider plugin"
  local binary="$BERTH_CACHE/bin/pulumi-resource-$name-v$version"
  mkdir -p "$(dirname "$binary")"
  (cd "$BERTH_ROOT/plugins" && go build -trimpath -o "$binary" \
    -ldflags "-X main.version=$version" "./cmd/pulumi-resource-$name") \
    || die "building berth's $name provider failed"
  if [ -f "$dir/$BERTH_PLUGIN_MARKER" ] && cmp -s "$binary" "$dir/pulumi-resource-$name"; then
    note "berth's offline provider, up to date"
    return
  fi
  pulumi plugin install resource "$name" "$version" --file "$binary" --reinstall >/dev/null
  touch "$dir/$BERTH_PLUGIN_MARKER"
  note "installed berth's offline provider from plugins/cmd/pulumi-resource-$name"
}

# Dynamic providers run through a small script the npm SDK ships; the CLI
# looks for it on PATH, next to itself.
ensure_dynamic_provider_script() {
  step "Dynamic provider script"
  local script="$BERTH_ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  [ -f "$script" ] || die "$script is missing: run npm install"
  install -m 0755 "$script" "$PULUMI_HOME/bin/pulumi-resource-pulumi-nodejs"
  note "installed to $PULUMI_HOME/bin"
}

# A plugin only some stacks need: installed if present or downloadable,
# otherwise setup says so and goes on (unit tests cover those stacks with
# mocks). The DigitalOcean plugin is one: neither it nor its Terraform
# upstream is served by this machine's module proxy.
report_optional_plugin() {
  local name=$1 version
  version=$(pinned_version "$2")
  step "Provider plugin $name $version (optional)"
  if [ -x "$(plugin_dir "$name" "$version")/pulumi-resource-$name" ]; then
    note "installed"
  elif timeout 60 pulumi plugin install resource "$name" "$version" --exact >/dev/null 2>&1; then
    note "downloaded the official plugin"
  else
    note "not available on this machine: \`pulumi preview --stack prod\` needs it"
  fi
}
