#!/usr/bin/env node
// Launcher of the cassandra-local CLI. Node >= 22.19 runs the TypeScript sources directly (type stripping) or
// the compiled dist/; an older Node re-runs this file with the Node 24 that scripts/ensure-node.sh caches.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, realpathSync } from "node:fs"
import { homedir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const self = realpathSync(fileURLToPath(import.meta.url))
const root = join(dirname(self), "..")
const [major, minor] = process.versions.node.split(".").map(Number)
const recent = major > 22 || (major === 22 && minor >= 19)

if (recent) {
  const src = join(root, "src", "bin.ts")
  const dist = join(root, "dist", "bin.js")
  // Node does not strip types under node_modules: an installed copy runs dist/.
  const entry = existsSync(src) && (!self.includes("/node_modules/") || !existsSync(dist)) ? src : dist
  await import(pathToFileURL(entry).href)
} else {
  const cache = process.env.EFFECT_CASSANDRA_CACHE || join(homedir(), ".cache", "effect-cassandra")
  const cached = existsSync(cache)
    ? readdirSync(cache)
      .filter((d) => /^node-\d+\.\d+\.\d+$/.test(d))
      .map((d) => join(cache, d, "bin", "node"))
      .filter((p) => existsSync(p))
      .sort()
      .reverse()
    : []
  if (cached.length === 0) {
    console.error(
      `cassandra-local needs Node >= 22.19 (this is ${process.version}). ` +
        "Run `source scripts/ensure-node.sh` in the repository (it fetches Node 24 once), then try again."
    )
    process.exit(1)
  }
  const r = spawnSync(cached[0], [self, ...process.argv.slice(2)], { stdio: "inherit" })
  process.exit(r.status ?? 1)
}
