#!/usr/bin/env bash
# npm start: from a fresh machine to the sample app running in the local lab.
#   setup (cached) → lab:up → berth deploy --stack local → the URL and what runs where.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$BERTH_ROOT"

bash scripts/setup.sh
bash lab/up.sh

printf '\n==> berth deploy --stack local\n'
pulumi stack select local >/dev/null 2>&1 || pulumi stack init local >/dev/null
bin/berth deploy --stack local

printf '\n==> What runs where (berth status --stack local)\n'
bin/berth status --stack local

url=$(pulumi stack output apps --stack local --json | node -e 'const apps = JSON.parse(require("fs").readFileSync(0, "utf8")); for (const [name, app] of Object.entries(apps)) console.log(`${name}: ${app.url}`);')
printf '\n==> Open\n%s\n' "$url"
printf '(requests alternate between web-1 and web-2: see the X-Served-By header; the page shows the celery beat counter)\n'
