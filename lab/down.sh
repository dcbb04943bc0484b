#!/usr/bin/env bash
# npm run lab:down: removes the fleet, its volumes and its network. Built
# images stay cached, so the next lab:up is quick.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
source "$BERTH_ROOT/scripts/setup/lib.sh"
source "$BERTH_ROOT/lab/lab.sh"

step "Lab hosts"
for host in "${LAB_HOSTS[@]}"; do
  set -- $host
  docker rm -f -v "$(lab_container "$1")" >/dev/null 2>&1 && note "removed $1" || true
  docker volume rm "$(lab_container "$1")-docker" >/dev/null 2>&1 || true
done
step "Lab services"
docker rm -f -v "$LAB_SERVICES" >/dev/null 2>&1 && note "removed $LAB_SERVICES" || true
docker rm -f -v "$LAB_S3" >/dev/null 2>&1 && note "removed $LAB_S3" || true
docker volume rm berth-lab-registry >/dev/null 2>&1 || true
docker network rm "$LAB_NETWORK" >/dev/null 2>&1 && note "removed network $LAB_NETWORK" || true
rm -rf "$LAB_STATE/git" "$LAB_STATE/lab.json"

# The local stack described what ran on these hosts; with them gone its state
# is stale, and the next `pulumi up` must start from nothing. The stack's
# config file (Pulumi.local.yaml) stays.
step "Local stack state"
if command -v pulumi >/dev/null && pulumi stack ls --json 2>/dev/null | grep -q '"name": "local"'; then
  pulumi stack rm local --force --yes --preserve-config >/dev/null
  note "removed the local stack's state ($PULUMI_BACKEND_URL)"
else
  note "none"
fi
note "lab down"
