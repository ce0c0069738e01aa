// Bytes allocated per request, by allocation site, from V8 sampling heap profiles of run-one.ts
// (`--heap-profile FILE`, collected objects included), and the difference between two of them:
//
//   node bench/heap-summary.ts A.heapprofile [B.heapprofile] --requests 200000 [--top 25]
//
// With one profile: its total and its top sites. With two: both totals and the sites whose bytes per request
// changed most from A to B. Sites are function + file:line; inlining moves bytes between a caller and its
// callees from one build to the next, so read the total first and the sites as hints.
import * as fs from "node:fs"
import { parseArgs } from "./common.ts"

interface Node {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly selfSize: number
  readonly children?: ReadonlyArray<Node>
}

const args = parseArgs(process.argv.slice(2))
const requests = args.num("requests", 1)
const top = args.num("top", 25)
const [a, b] = args.positional

const bySite = (file: string): { sites: Map<string, number>; total: number } => {
  const head = (JSON.parse(fs.readFileSync(file, "utf8")) as { head: Node }).head
  const sites = new Map<string, number>()
  let total = 0
  const walk = (n: Node) => {
    const f = n.callFrame
    const where = f.url.replace(/^.*\/(packages|node_modules)\//, "").replace(/^file:\/\//, "")
    const key = `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`
    sites.set(key, (sites.get(key) ?? 0) + n.selfSize)
    total += n.selfSize
    for (const c of n.children ?? []) walk(c)
  }
  walk(head)
  return { sites, total }
}

const per = (bytes: number) => (bytes / requests).toFixed(0).padStart(7)

if (a === undefined) throw new Error("usage: heap-summary.ts A.heapprofile [B.heapprofile] --requests N")
const A = bySite(a)
if (b === undefined) {
  console.log(`${per(A.total)} B/request in all`)
  for (const [k, v] of [...A.sites].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${per(v)}  ${k}`)
} else {
  const B = bySite(b)
  console.log(`B/request in all: ${per(A.total)} -> ${per(B.total)}`)
  const keys = [...new Set([...A.sites.keys(), ...B.sites.keys()])]
  const delta = (k: string) => (B.sites.get(k) ?? 0) - (A.sites.get(k) ?? 0)
  for (const k of keys.sort((x, y) => Math.abs(delta(y)) - Math.abs(delta(x))).slice(0, top)) {
    console.log(`${per(A.sites.get(k) ?? 0)} ${per(B.sites.get(k) ?? 0)} ${per(delta(k))}  ${k}`)
  }
}
