#!/usr/bin/env bash
# npm run setup: everything berth needs on this machine, idempotent and cached.
# A second run finds everything in place and changes nothing.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
for part in lib host-packages docker-engine base-image pulumi-cli pulumi-plugins; do
  source "$BERTH_ROOT/scripts/setup/$part.sh"
done

started=$(date +%s)
mkdir -p "$BERTH_CACHE" "$PULUMI_HOME/bin"

install_host_packages
step "npm dependencies"
installed_tree="$BERTH_ROOT/node_modules/.package-lock.json"
if [ "$installed_tree" -nt "$BERTH_ROOT/package.json" ] && [ "$installed_tree" -nt "$BERTH_ROOT/package-lock.json" ]; then
  note "up to date"
else
  (cd "$BERTH_ROOT" && npm install --no-audit --no-fund --loglevel=error)
fi
ensure_docker_engine
ensure_base_image
ensure_pulumi_cli
ensure_language_host
ensure_provider_plugin command @pulumi/command
ensure_provider_plugin docker @pulumi/docker
report_optional_plugin digitalocean @pulumi/digitalocean
ensure_dynamic_provider_script

step "State backend"
if [[ "${PULUMI_BACKEND_URL:-}" == file://* ]]; then
  state_directory="${PULUMI_BACKEND_URL#file://}"
  mkdir -p "${state_directory%%\?*}"
fi
note "$PULUMI_BACKEND_URL (passphrase for the local stack: \$PULUMI_CONFIG_PASSPHRASE, default berth-local)"

printf '\nberth setup done in %ss\n' "$(( $(date +%s) - started ))"
