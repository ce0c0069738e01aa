// The structure rules of the packages (issue 11), checked on the sources with the TypeScript parser:
//
// 1. No function in the driver and testing sources is longer than MAX_FUNCTION_LINES lines. An
//    `Effect.gen(function*() { ... })` body is a function like any other.
// 2. Every module opens with a docstring (`/** ... */` before its first statement) that says what it owns.
// 3. Every top-level export carries a JSDoc with `@since`.
// 4. The built public declarations (`dist/**/*.d.ts` outside `dist/internal/`) import nothing from
//    `internal/`, so no public type names an internal one. Checked when `dist/` exists (after `npm run build`).
// 5. One barrel style: each src/index.ts is only `export * as Module from "./Module.ts"` lines, exactly what
//    scripts/barrels.mjs generates from the package's public modules, and package.json "exports" has one
//    subpath per public module (fails when a module was added or removed without `npm run barrels`, or the
//    index was edited by hand).
//
// Usage: node scripts/check-structure.mjs [--packages driver,testing] [--no-dist]
// Prints each violation as `file:line: rule: detail` and exits 1 when there is any.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import path from "node:path"
import ts from "typescript"
import { barrelProblems } from "./barrels.mjs"

const MAX_FUNCTION_LINES = 150
const root = path.resolve(import.meta.dirname, "..")
const args = process.argv.slice(2)
const pick = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : fallback
}
const packages = pick("packages", "protocol,driver,testing,local,sql").split(",")
const lengthChecked = new Set(["driver", "testing", "sql"])
const checkDist = !args.includes("--no-dist")

const walk = (dir, keep) => {
  const out = []
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name)
    if (statSync(file).isDirectory()) out.push(...walk(file, keep))
    else if (keep(file)) out.push(file)
  }
  return out
}

const violations = []
const report = (file, line, rule, detail) => violations.push(`${path.relative(root, file)}:${line}: ${rule}: ${detail}`)

const isFunctionLike = (node) =>
  ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) ||
  ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node) ||
  ts.isSetAccessorDeclaration(node)

const functionName = (node, sf) => {
  if (node.name !== undefined) return node.name.getText(sf)
  const parent = node.parent
  if (parent !== undefined && ts.isVariableDeclaration(parent)) return parent.name.getText(sf)
  if (parent !== undefined && ts.isPropertyAssignment(parent)) return parent.name.getText(sf)
  if (parent !== undefined && ts.isCallExpression(parent)) return `(argument of ${parent.expression.getText(sf).slice(0, 40)})`
  return "(anonymous)"
}

const jsDocsOf = (node) => (node.jsDoc ?? []).concat(node.parent && ts.isVariableDeclarationList(node.parent) ? [] : [])
const hasSince = (node, sf) => {
  const text = sf.text
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []
  return ranges.some((r) => text.slice(r.pos, r.end).startsWith("/**") && text.slice(r.pos, r.end).includes("@since"))
}
const isExported = (node) =>
  (ts.canHaveModifiers(node) ? ts.getModifiers(node) ?? [] : []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)

for (const pkg of packages) {
  const src = path.join(root, "packages", pkg, "src")
  const files = walk(src, (f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
  for (const file of files) {
    const text = readFileSync(file, "utf8")
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
    const lineOf = (pos) => sf.getLineAndCharacterOfPosition(pos).line + 1
    // 2. the module docstring
    const first = sf.statements[0]
    const leading = first === undefined ? [] : ts.getLeadingCommentRanges(text, first.getFullStart()) ?? []
    if (!leading.some((r) => text.slice(r.pos, r.end).startsWith("/**"))) {
      report(file, 1, "docstring", "the module does not open with a /** docstring */")
    }
    // 3. @since on every top-level export
    for (const st of sf.statements) {
      const exported = ts.isExportDeclaration(st) || ts.isExportAssignment(st) || isExported(st)
      if (!exported) continue
      if (!hasSince(st, sf)) {
        const name = ts.isExportDeclaration(st)
          ? st.getText(sf).split("\n")[0].slice(0, 60)
          : st.name?.getText(sf) ?? st.declarationList?.declarations.map((d) => d.name.getText(sf)).join(", ") ?? "export"
        report(file, lineOf(st.getStart(sf)), "since", `${name} has no JSDoc with @since`)
      }
    }
    // 1. function length
    if (lengthChecked.has(pkg)) {
      const visit = (node) => {
        if (isFunctionLike(node) && node.body !== undefined) {
          const lines = lineOf(node.end) - lineOf(node.getStart(sf)) + 1
          if (lines > MAX_FUNCTION_LINES) {
            report(file, lineOf(node.getStart(sf)), "length", `${functionName(node, sf)} is ${lines} lines (max ${MAX_FUNCTION_LINES})`)
          }
        }
        ts.forEachChild(node, visit)
      }
      visit(sf)
    }
  }
  // 4. public declarations name nothing internal
  const dist = path.join(root, "packages", pkg, "dist")
  if (checkDist && existsSync(dist)) {
    const decls = walk(dist, (f) => f.endsWith(".d.ts") && !path.relative(dist, f).split(path.sep).includes("internal"))
    for (const file of decls) {
      const text = readFileSync(file, "utf8")
      const re = /(?:from|import\()\s*["']([^"']+)["']/g
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[1].split("/").includes("internal")) {
          report(file, text.slice(0, m.index).split("\n").length, "public-types", `imports ${m[1]}`)
        }
      }
    }
  }
}

// 5. the barrels and exports maps
violations.push(...barrelProblems(packages))

for (const v of violations) console.log(v)
console.log(`check-structure: ${violations.length} violation(s) in ${packages.join(", ")}`)
process.exit(violations.length > 0 ? 1 : 0)
