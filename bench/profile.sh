#!/usr/bin/env bash
# CPU profile of the measured window of one client run against the canned responder, then its
# self-time summary:
#
#   bash bench/profile.sh [ours|peer] [concurrency=64] [protocol=4] [requests=300000]
#
# Writes bench/results/profiles/<driver>-c<C>-v<P>.cpuprofile (git-ignored; open it in Chrome DevTools or
# speedscope) and bench/results/profile-<driver>-c<C>-v<P>.md (the summary of bench/profile-summary.ts).
# The profile covers the measured requests only (run-one.ts --cpu-profile starts the V8 profiler after
# the warm-up), sampled every 100 µs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../scripts/ensure-node.sh
source "$here/../scripts/ensure-node.sh" 2>/dev/null
driver="${1:-ours}"
c="${2:-64}"
proto="${3:-4}"
requests="${4:-300000}"
addr="${PROFILE_RESPONDER:-127.0.0.53:9042}"
name="$driver-c$c-v$proto"
outdir="$here/results/profiles"
mkdir -p "$outdir"
rm -f "$outdir/$name.cpuprofile"

client=()
server=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then client=(taskset -c 0); server=(taskset -c 1); fi

"${server[@]}" node --conditions=source "$here/responder.ts" --host "${addr%:*}" --port "${addr#*:}" > "$outdir/.responder.out" 2>&1 &
rpid=$!
trap 'kill "$rpid" 2>/dev/null || true; rm -f "$outdir/.responder.out"' EXIT
for _ in $(seq 100); do grep -q ready "$outdir/.responder.out" 2>/dev/null && break; sleep 0.1; done

"${client[@]}" node --conditions=source "$here/run-one.ts" overhead "$driver" --host "$addr" --protocol "$proto" \
  --concurrency "$c" --warmup 30000 --requests "$requests" --cpu-profile "$outdir/$name.cpuprofile" | tail -1
node "$here/profile-summary.ts" "$outdir/$name.cpuprofile" --top 40 --requests "$requests"
{
  echo "# CPU profile: $driver, overhead scenario, concurrency $c, protocol v$proto"
  echo
  echo "\`bash bench/profile.sh $*\` at commit $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" status --porcelain -- ../packages | grep -q . && echo ' (dirty)'), $(date -u +%FT%TZ), Node $(node -v)."
  echo "The measured window only ($requests requests after 30000 warm-up), V8 sampling every 100 µs (the profiler adds ~1 µs/request)."
  echo "Self time; \"(program)\" is native time V8 cannot attribute, \"writeBuffer\" the socket write (syscall)."
  echo
  node "$here/profile-summary.ts" "$outdir/$name.cpuprofile" --top 40 --markdown --requests "$requests"
} > "$here/results/profile-$name.md"
echo "wrote $outdir/$name.cpuprofile and $here/results/profile-$name.md" >&2
