// After `npm run build`: every package's public entry point loads from dist/ (plain Node, no "source"
// condition), ships .d.ts types, and keeps its internals unreachable.
import { existsSync } from "node:fs"
import path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const packages = ["protocol", "driver", "testing", "local", "sql"]
let failed = false
for (const name of packages) {
  const spec = `@effect-cassandra/${name}`
  const dir = path.join(root, "packages", name)
  try {
    const mod = await import(spec)
    const types = path.join(dir, "dist", "index.d.ts")
    if (!existsSync(types)) throw new Error(`no ${types}`)
    let internalBlocked = false
    try {
      await import(`${spec}/internal/anything.js`)
    } catch (e) {
      internalBlocked = e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED"
    }
    if (!internalBlocked) throw new Error(`${spec}/internal/* is reachable`)
    console.log(`check-dist: ${spec}: ${Object.keys(mod).length} exports from dist, .d.ts present, internals closed`)
  } catch (e) {
    failed = true
    console.error(`check-dist: ${spec}: ${e.message}`)
  }
}
process.exit(failed ? 1 : 0)
