#!/usr/bin/env bash
# A/B of our driver's CPU per request (or row) across source trees, interleaved and paired:
#
#   bash bench/ab.sh <out-prefix> <rounds> <tree-A> <tree-B> [tree-C ...]
#
# Each tree is a checkout with its node_modules (e.g. `git worktree add --detach ../wt-X <commit>`, then
# node_modules linked to this one's). Each round runs, for every scenario (c1, c64, c1024, decode), one
# fresh `bench/run-one.ts` process per tree, the trees one after the other, against one canned responder
# (started here on core 1; the client runs on core 0). A tree's run is compared with tree A's run of the
# same round and scenario: this machine drifts by tens of percent over minutes, and a paired ratio cancels
# what both runs of a round share. Writes <out-prefix>-<scenario>.txt (round, tree, CPU µs) and prints
# `bench/ab-summary.ts`'s paired medians with their 95% bootstrap intervals.
#
# AB_SCENARIOS="c1024" limits the scenarios. Each tree runs its own bench/run-one.ts.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../scripts/ensure-node.sh
source "$here/../scripts/ensure-node.sh" 2>/dev/null
out="$1"; rounds="$2"; shift 2
addr="127.0.0.55:9042"
declare -A args=(
  [c1]="overhead ours --concurrency 1 --warmup 5000 --requests 60000"
  [c64]="overhead ours --concurrency 64 --warmup 30000 --requests 400000"
  [c1024]="overhead ours --concurrency 1024 --warmup 30000 --requests 600000"
  [decode]="decode ours --warmup 30 --pages 300"
)
scenarios=(${AB_SCENARIOS:-c1 c64 c1024 decode})
client=(); server=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then client=(taskset -c 0); server=(taskset -c 1); fi
"${server[@]}" node --conditions=source "$here/responder.ts" --host "${addr%:*}" --port "${addr#*:}" > "$out.responder.log" 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do grep -q '"ready"' "$out.responder.log" 2>/dev/null && break; sleep 0.2; done
for s in "${scenarios[@]}"; do : > "$out-$s.txt"; done
for r in $(seq 1 "$rounds"); do
  for s in "${scenarios[@]}"; do
    for tree in "$@"; do
      line=$(cd "$tree" && "${client[@]}" node --expose-gc --conditions=source bench/run-one.ts ${args[$s]} --host "$addr" 2>/dev/null | tail -1)
      v=$(node -e 'try { const j = JSON.parse(process.argv[1]); console.log(j.cpuMicrosPerReq ?? j.cpuMicrosPerRow) } catch { console.log("ERR") }' "$line")
      echo "$r $tree $v" >> "$out-$s.txt"
    done
  done
done
for s in "${scenarios[@]}"; do
  echo "## $s"
  node --conditions=source "$here/ab-summary.ts" "$out-$s.txt"
done
