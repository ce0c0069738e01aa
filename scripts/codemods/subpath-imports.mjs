// Codemod (issue 11, one barrel style): rewrites imports of a package's barrel into named imports from the
// subpath of the module that exports each name, the rule of the root README's package section:
//
//   import { FrameDecoder, type RawEnvelope, Consistency } from "@effect-cassandra/protocol"
//   ->  import { FrameDecoder, type RawEnvelope } from "@effect-cassandra/protocol/Frames"
//       import { Consistency } from "@effect-cassandra/protocol/Messages"
//
// - A group of only type names becomes `import type { ... }` (an `import { type A }` would still load the
//   module); `import type { ... }` stays type-only; aliases (`A as B`) are kept; `export { ... } from` too.
// - `import * as NS from "<barrel>"` becomes `import * as NS from "<barrel>/Module"` when every `NS.x` of
//   the file comes from one module; with no `NS.x` at all (a smoke test of the barrel) it is left alone.
// - `const { a, b } = await import("<barrel>")` gets the subpath of its names' module.
// - Markdown: the imports inside ```ts / ```js fences are rewritten the same way.
// - A relative import of a package's src/index.ts (a test fixture's "../../src/index.ts") gets the relative
//   path of each module's file instead ("../../src/Frames.ts").
// Anything else that names the barrel is listed as "left" for a hand edit. Running it again changes nothing
// (there is nothing left to rewrite), so after a rebase: take the other side's lines, run it, commit.
//
// Which module exports a name is read from the public modules that scripts/barrels.mjs lists.
//
// Usage: node scripts/codemods/subpath-imports.mjs [--packages protocol,local] [--dry-run] [files...]
//        (default: every git-tracked .ts/.mts/.js/.mjs/.md file of the repository, but bench/results/)
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import path from "node:path"
import ts from "typescript"
import { publicModules, root } from "../barrels.mjs"

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  if (i < 0) return fallback
  const value = args[i + 1]
  args.splice(i, 2)
  return value
}
const packages = option("packages", "protocol,local").split(",")
const dryRun = args.includes("--dry-run")
const explicitFiles = args.filter((a) => !a.startsWith("--"))

/** The names each public module of a package exports (syntactically: declarations and `export { }` lists). */
const exportedNames = (file) => {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)
  const names = []
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
      if (st.exportClause === undefined) throw new Error(`${file}: \`export *\` in a public module: list its names`)
      if (ts.isNamespaceExport(st.exportClause)) names.push(st.exportClause.name.text)
      else for (const el of st.exportClause.elements) names.push(el.name.text)
      continue
    }
    const modifiers = ts.canHaveModifiers(st) ? ts.getModifiers(st) ?? [] : []
    if (!modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) names.push(d.name.text)
      }
    } else if (st.name !== undefined) names.push(st.name.text)
  }
  return names
}

/** spec ("@effect-cassandra/protocol") -> name -> module name. */
const owners = new Map()
/** spec -> module name -> module file. */
const moduleFiles = new Map()
for (const pkg of packages) {
  const byName = new Map()
  const files = new Map()
  moduleFiles.set(`@effect-cassandra/${pkg}`, files)
  for (const m of publicModules(pkg)) {
    files.set(m.name, m.file)
    for (const n of exportedNames(m.file)) {
      if (byName.has(n) && byName.get(n) !== m.name) {
        throw new Error(`@effect-cassandra/${pkg}: ${n} is exported by both ${byName.get(n)} and ${m.name}`)
      }
      byName.set(n, m.name)
    }
  }
  owners.set(`@effect-cassandra/${pkg}`, byName)
}

const left = []
const unknown = []

/**
 * The barrel an import specifier of `file` names: its package spec and how to write a module's specifier;
 * undefined when the specifier is not a barrel of the rewritten packages.
 */
const barrelOf = (specifier, file) => {
  if (owners.has(specifier)) return { spec: specifier, target: (module) => `${specifier}/${module}` }
  if (file === undefined || !specifier.startsWith(".")) return undefined
  const resolved = path.resolve(path.dirname(file), specifier)
  for (const spec of owners.keys()) {
    const pkg = spec.slice("@effect-cassandra/".length)
    if (resolved !== path.join(root, "packages", pkg, "src", "index.ts")) continue
    return {
      spec,
      target: (module) => {
        const rel = path.relative(path.dirname(file), moduleFiles.get(spec).get(module)).split(path.sep).join("/")
        return rel.startsWith(".") ? rel : `./${rel}`
      }
    }
  }
  return undefined
}

/** The rewritten text of one import/export declaration, or undefined to leave it. */
const rewriteDeclaration = (node, sf, { spec, target }, where) => {
  const byName = owners.get(spec)
  const isImport = ts.isImportDeclaration(node)
  const clause = isImport ? node.importClause : undefined
  const bindings = isImport ? clause?.namedBindings : node.exportClause
  if (bindings === undefined || (isImport && clause?.name !== undefined)) return undefined
  if (ts.isNamespaceImport(bindings) || ts.isNamespaceExport(bindings)) return undefined
  const declTypeOnly = isImport ? clause.isTypeOnly : node.isTypeOnly
  const groups = new Map()
  for (const el of bindings.elements) {
    const name = (el.propertyName ?? el.name).text
    const module = byName.get(name)
    if (module === undefined) {
      unknown.push(`${where}: ${name} is exported by no public module of ${spec}`)
      return undefined
    }
    if (!groups.has(module)) groups.set(module, [])
    groups.get(module).push(el)
  }
  const keyword = isImport ? "import" : "export"
  const indent = sf.text.slice(sf.text.lastIndexOf("\n", node.getStart(sf)) + 1, node.getStart(sf)).match(/^\s*/)[0]
  const out = []
  for (const module of [...groups.keys()].sort()) {
    const els = groups.get(module)
    const allTypes = declTypeOnly || els.every((el) => el.isTypeOnly)
    const texts = els.map((el) => {
      const text = el.getText(sf)
      return allTypes && el.isTypeOnly ? text.replace(/^type\s+/, "") : text
    })
    const head = `${keyword}${allTypes ? " type" : ""} {`
    const tail = `} from "${target(module)}"`
    const oneLine = `${head} ${texts.join(", ")} ${tail}`
    out.push(
      indent.length + oneLine.length <= 120
        ? oneLine
        : `${head}\n${texts.map((t) => `${indent}  ${t}`).join(",\n")}\n${indent}${tail}`
    )
  }
  return out.join(`\n${indent}`)
}

/** Every `NS.x` (value or type position) of a namespace binding in a file. */
const namespaceMembers = (sf, ns) => {
  const members = new Set()
  const visit = (n) => {
    if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === ns) members.add(n.name.text)
    if (ts.isQualifiedName(n) && ts.isIdentifier(n.left) && n.left.text === ns) members.add(n.right.text)
    ts.forEachChild(n, visit)
  }
  visit(sf)
  return members
}

/** The single module a set of names comes from, or undefined. */
const singleModule = (spec, names) => {
  const modules = new Set([...names].map((n) => owners.get(spec).get(n)))
  return modules.size === 1 && !modules.has(undefined) ? [...modules][0] : undefined
}

/** Rewrites the barrel imports of one TypeScript/JavaScript text (of `file`, if a file); returns the new text. */
const rewriteCode = (text, where, file) => {
  const sf = ts.createSourceFile(where, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const edits = []
  const visit = (node) => {
    const barrel = (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined &&
        ts.isStringLiteral(node.moduleSpecifier)
      ? barrelOf(node.moduleSpecifier.text, file)
      : undefined
    if (barrel !== undefined) {
      const spec = barrel.spec
      const line = `${where}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`
      const clause = ts.isImportDeclaration(node) ? node.importClause : undefined
      const nsImport = clause?.namedBindings !== undefined && ts.isNamespaceImport(clause.namedBindings)
        ? clause.namedBindings.name.text
        : undefined
      if (nsImport !== undefined) {
        const members = namespaceMembers(sf, nsImport)
        const module = members.size === 0 ? undefined : singleModule(spec, members)
        if (module !== undefined) {
          edits.push({ start: node.moduleSpecifier.getStart(sf), end: node.moduleSpecifier.end, text: `"${barrel.target(module)}"` })
        } else if (members.size > 0) left.push(`${line}: \`import * as ${nsImport}\` uses names of several modules`)
        return
      }
      const next = rewriteDeclaration(node, sf, barrel, line)
      if (next !== undefined) edits.push({ start: node.getStart(sf), end: node.end, text: next })
      else if (!unknown.some((u) => u.startsWith(line))) left.push(`${line}: ${node.getText(sf).split("\n")[0]}`)
      return
    }
    const dynamic = ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])
      ? barrelOf(node.arguments[0].text, file)
      : undefined
    if (dynamic !== undefined) {
      const spec = dynamic.spec
      const line = `${where}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`
      let parent = node.parent
      if (parent !== undefined && ts.isAwaitExpression(parent)) parent = parent.parent
      const names = parent !== undefined && ts.isVariableDeclaration(parent) && ts.isObjectBindingPattern(parent.name)
        ? parent.name.elements.map((el) => (el.propertyName ?? el.name).getText(sf))
        : []
      const module = names.length === 0 ? undefined : singleModule(spec, names)
      if (module !== undefined) {
        edits.push({ start: node.arguments[0].getStart(sf), end: node.arguments[0].end, text: `"${dynamic.target(module)}"` })
      } else left.push(`${line}: ${node.getText(sf)}`)
      return
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  let out = text
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end)
  return out
}

/** Rewrites the code fences of a Markdown text. */
const rewriteMarkdown = (text, where) =>
  text.replace(/^([ \t]*)(```+)(ts|typescript|js|javascript|tsx)\n([\s\S]*?)^\1\2[ \t]*$/gm, (all, indent, fence, lang, body, offset) => {
    const line = text.slice(0, offset).split("\n").length
    const next = rewriteCode(body, `${where}:${line}(fence)`)
    return next === body ? all : `${indent}${fence}${lang}\n${next}${indent}${fence}`
  })

const files = explicitFiles.length > 0
  ? explicitFiles.map((f) => path.resolve(f))
  : execFileSync("git", ["ls-files", "-z", "--", "*.ts", "*.mts", "*.js", "*.mjs", "*.md"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "" && !f.startsWith("bench/results/") && !f.startsWith("scripts/codemods/"))
    .map((f) => path.join(root, f))

const specs = [...owners.keys()]
let changed = 0
for (const file of files) {
  const text = readFileSync(file, "utf8")
  if (!specs.some((s) => text.includes(`"${s}"`)) && !/index\.ts["']/.test(text)) continue
  const rel = path.relative(root, file)
  const next = file.endsWith(".md") ? rewriteMarkdown(text, rel) : rewriteCode(text, rel, file)
  if (next !== text) {
    changed++
    console.log(`subpath-imports: ${dryRun ? "would rewrite" : "rewrote"} ${rel}`)
    if (!dryRun) writeFileSync(file, next)
  }
}
for (const l of left) console.log(`subpath-imports: left ${l}`)
for (const u of unknown) console.log(`subpath-imports: UNKNOWN ${u}`)
console.log(`subpath-imports: ${changed} file(s) ${dryRun ? "to rewrite" : "rewritten"}, ${left.length} left as they are, ${unknown.length} unknown name(s)`)
process.exit(unknown.length > 0 ? 1 : 0)
