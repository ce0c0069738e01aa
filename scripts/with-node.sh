#!/usr/bin/env bash
# Runs a command with a Node >= 22.19 first on PATH: `bash scripts/with-node.sh node app.ts`.
# The root npm scripts go through it, so `npm run demo` / `npm test` work on a machine whose Node is older
# (ensure-node.sh fetches Node 24 once from the npm registry into ~/.cache/effect-cassandra).
set -euo pipefail
# shellcheck source=ensure-node.sh
source "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh" 2>/dev/null || {
  echo "with-node: could not provide Node >= 22.19 (see scripts/ensure-node.sh)" >&2
  exit 1
}
exec "$@"
