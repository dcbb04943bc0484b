#!/usr/bin/env bash
# npm run lab:up: the local fleet berth deploys onto, idempotently.
#   - images: host (dockerd + sshd), services (registry + git daemon), nginx,
#     postgres, redis, and the sample app's versions, built from the Debian base;
#   - a lab network, the services container, and one container per host;
#   - the sample app's images pushed to the lab registry and its code in git.
# PostgreSQL and Redis on the data host are berth's to deploy (berth:accessories).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
source "$BERTH_ROOT/scripts/setup/lib.sh"
source "$BERTH_ROOT/scripts/setup/base-image.sh"
source "$BERTH_ROOT/lab/lab.sh"
source "$BERTH_ROOT/lab/steps.sh"

started=$(date +%s)
ensure_base_image
ensure_lab_key
build_lab_images
ensure_lab_network
ensure_lab_services
push_lab_images
publish_sample_code
for host in "${LAB_HOSTS[@]}"; do
  ensure_lab_host $host
done
for host in "${LAB_HOSTS[@]}"; do
  wait_for_lab_host $host
done
write_lab_addresses
printf '\nlab up in %ss: %s hosts on %s, registry %s, nginx on http://127.0.0.1:8080\n' \
  "$(( $(date +%s) - started ))" "${#LAB_HOSTS[@]}" "$LAB_SUBNET" "$LAB_REGISTRY_PULL"
