#!/usr/bin/env bash
# npm test: every test tier that exists.
#   1. berth's offline provider plugins (Go; real Docker, real sshd)
#   2. jest: unit tier, then the real-engine tier
# Extra arguments go to jest (e.g. `npm test -- tests/unit`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$BERTH_ROOT"

if [ $# -eq 0 ]; then
  if command -v go >/dev/null; then
    echo "==> go test ./... (plugins/)"
    (cd plugins && go test -count=1 ./...)
  else
    echo "==> Go is not installed: the offline provider plugins are not tested here"
  fi
fi

echo "==> jest"
mkdir -p .test-results
status=0
# --forceExit: once every test has finished, do not wait for handles a test
# could not close (a `pulumi up` the interrupted-deploy test kills leaves the
# Automation API's event stream reader behind); the tests remove what they made.
npx jest --ci --runInBand --forceExit --json --outputFile=.test-results/jest.json "$@" || status=$?
node -e '
  const r = require("./.test-results/jest.json");
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
exit $status
