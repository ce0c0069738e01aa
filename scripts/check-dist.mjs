// After `npm run build`: every package's entry points (the barrel ".", one subpath per public module, and
// the others such as local's "./vitest") load from dist/ (plain Node, no "source" condition) and ship .d.ts
// types; the barrel's namespaces are exactly the public modules; and nothing else is reachable: neither
// `internal/*` nor any other built file (protocol's frame/ and types/, support modules like testing's Model).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const packages = ["protocol", "driver", "testing", "local", "sql"]

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name)
    return statSync(file).isDirectory() ? walk(file) : [file]
  })

/** Whether importing `specifier` fails because the package does not export that path. */
const blocked = async (specifier) => {
  try {
    await import(specifier)
    return false
  } catch (e) {
    return e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED"
  }
}

let failed = false
for (const name of packages) {
  const spec = `@effect-cassandra/${name}`
  const dir = path.join(root, "packages", name)
  try {
    const exports = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).exports
    const entries = Object.entries(exports).filter(([key, value]) => key !== "./package.json" && value !== null)
    const targets = new Set()
    const modules = []
    for (const [key, value] of entries) {
      const specifier = key === "." ? spec : `${spec}/${key.slice(2)}`
      if (typeof value !== "object" || value.types === undefined || value.default === undefined) {
        throw new Error(`exports["${key}"] has no "types" and "default" conditions`)
      }
      const types = path.join(dir, value.types)
      if (!existsSync(types)) throw new Error(`${specifier}: no ${path.relative(root, types)}`)
      targets.add(path.join(dir, value.default))
      // local's ./vitest imports vitest itself: it must resolve, but loading it belongs to a test run
      if (key === "./vitest") {
        import.meta.resolve(specifier)
        continue
      }
      await import(specifier) // a module of types only (driver's Host) loads as an empty namespace
      if (/^\.\/[A-Z]/.test(key)) modules.push(key.slice(2))
    }
    const barrel = Object.keys(await import(spec)).sort()
    if (JSON.stringify(barrel) !== JSON.stringify([...modules].sort())) {
      throw new Error(`the barrel exports ${barrel.join(", ")}; the public modules are ${modules.join(", ")}`)
    }
    if (!(await blocked(`${spec}/internal/anything.js`))) throw new Error(`${spec}/internal/* is reachable`)
    let closed = 0
    for (const file of walk(path.join(dir, "dist")).filter((f) => f.endsWith(".js") && !targets.has(f))) {
      const rel = path.relative(path.join(dir, "dist"), file).split(path.sep).join("/")
      for (const sub of [rel, rel.replace(/\.js$/, ""), `dist/${rel}`]) {
        if (!(await blocked(`${spec}/${sub}`))) throw new Error(`${spec}/${sub} is reachable but is no entry point`)
      }
      closed++
    }
    console.log(
      `check-dist: ${spec}: ${entries.length} entry points from dist (${modules.length} modules in the barrel), ` +
        `.d.ts present, internals and ${closed} other built files closed`
    )
  } catch (e) {
    failed = true
    console.error(`check-dist: ${spec}: ${e.message}`)
  }
}
process.exit(failed ? 1 : 0)
