#!/usr/bin/env bash
# npm start: from a fresh machine to the sample app running in the local lab.
#   setup (cached) → lab:up → pulumi up --stack local → the URL and what runs where.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$BERTH_ROOT"

bash scripts/setup.sh
bash lab/up.sh
source lab/lab.sh

printf '\n==> pulumi up --stack local\n'
pulumi stack select local >/dev/null 2>&1 || pulumi stack init local >/dev/null
pulumi up --stack local --yes --non-interactive --suppress-progress

printf '\n==> What runs where\n'
for host in "${LAB_HOSTS[@]}"; do
  set -- $host
  printf '%s (%s):\n' "$1" "$2"
  lab_ssh "$3" docker ps --format '    {{.Names}}\t{{.Image}}\t{{.Status}}'
done

url=$(pulumi stack output apps --stack local --json | node -e 'const apps = JSON.parse(require("fs").readFileSync(0, "utf8")); for (const [name, app] of Object.entries(apps)) console.log(`${name}: ${app.url}`);')
printf '\n==> Open\n%s\n' "$url"
printf '(requests alternate between web-1 and web-2: see the X-Served-By header; the page shows the celery beat counter)\n'
