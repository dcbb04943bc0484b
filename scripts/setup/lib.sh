# Small helpers shared by the setup steps.

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'berth setup: %s\n' "$*" >&2; exit 1; }

# The exact version of an npm dependency pinned in package.json.
pinned_version() {
  node -p "require('$BERTH_ROOT/package.json').dependencies['$1']"
}
