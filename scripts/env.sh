# Sourced by every berth script: one place for the environment the Pulumi
# CLI, the tests and the lab run with.

BERTH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BERTH_ROOT

# Built binaries, debootstrap roots and build wrappers live outside the
# repository, so a fresh clone on the same machine reuses them.
export BERTH_CACHE="${BERTH_CACHE:-/var/cache/berth}"

# The CLI and language host live where Pulumi's own installer puts them.
export PULUMI_HOME="${PULUMI_HOME:-$HOME/.pulumi}"
export PATH="$PULUMI_HOME/bin:$PATH"

# Offline machine: no update checks, no plugin downloads behind our back.
export PULUMI_SKIP_UPDATE_CHECK=1
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=1

# State for the stacks of this checkout stays in it (gitignored), unless a
# backend is chosen (PULUMI_BACKEND_URL, or a Pulumi Cloud token). The
# passphrase of the `local` stack is public on purpose: the lab's secrets are
# throwaway. Production stacks set their own PULUMI_CONFIG_PASSPHRASE.
# `metadata=skip`: no `.attrs` sidecar beside each state file. The blob library
# rewrites that sidecar in place (the state file itself goes to a temporary file
# and is renamed), so a read during a checkpoint write -- the program's own
# `berth-history` reference does one in every `pulumi up` -- could find it empty
# ("failed to load checkpoint: EOF"), and a kill mid-write left it empty for good.
if [[ -z "${PULUMI_BACKEND_URL:-}" && -z "${PULUMI_ACCESS_TOKEN:-}" ]]; then
  export PULUMI_BACKEND_URL="file://$BERTH_ROOT/.pulumi-state?metadata=skip"
fi
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-berth-local}"
