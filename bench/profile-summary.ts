// Summarizes a V8 .cpuprofile (node --cpu-prof): self time by function + file:line, and by area
// (effect, driver, protocol, cassandra-driver, node internals, GC, idle).
//
//   node bench/profile-summary.ts <file.cpuprofile> [--top 30] [--markdown] [--requests N]
//
// With --requests N (the requests of the profiled window), also µs per request.
import * as fs from "node:fs"
import { parseArgs } from "./common.ts"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}
interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
  readonly startTime: number
  readonly endTime: number
}

const args = parseArgs(process.argv.slice(2))
const file = args.positional[0]
if (file === undefined) {
  console.error("usage: profile-summary.ts <file.cpuprofile> [--top 30] [--markdown]")
  process.exit(2)
}
const top = args.num("top", 30)
const requests = args.num("requests", 0)
const perReq = (us: number) => (requests > 0 ? (us / requests).toFixed(3) : "")
const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile

const shortUrl = (url: string): string => {
  if (url === "") return ""
  const u = url.replace(/^file:\/\//, "")
  const m = /\/node_modules\/(.*)$/.exec(u)
  if (m) return m[1]!.replace(/^effect\/dist\/(esm\/)?/, "effect/").replace(/^effect\/src\//, "effect/src/")
  const p = /\/(packages\/.*|bench\/.*|examples\/.*)$/.exec(u)
  if (p) return p[1]!
  return u
}

const area = (cf: CallFrame): string => {
  const u = cf.url
  if (u === "") {
    if (cf.functionName === "(garbage collector)") return "GC"
    if (cf.functionName === "(idle)") return "idle"
    if (cf.functionName === "(program)") return "(program: native, not attributed)"
    return `native: ${cf.functionName}`
  }
  if (u.includes("/node_modules/effect/")) return "effect"
  if (u.includes("/node_modules/cassandra-driver/")) return "cassandra-driver"
  if (u.includes("/packages/driver/")) return "@effect-cassandra/driver"
  if (u.includes("/packages/protocol/")) return "@effect-cassandra/protocol"
  if (u.includes("/bench/")) return "bench harness"
  if (u.startsWith("node:")) return "node internals"
  return "other"
}

const byId = new Map<number, ProfileNode>()
for (const n of profile.nodes) byId.set(n.id, n)
const selfByNode = new Map<number, number>()
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!
  // timeDeltas[i] is the time before sample i; attribute the next delta to this sample (closer to V8's own accounting)
  const dt = profile.timeDeltas[i + 1] ?? 0
  selfByNode.set(id, (selfByNode.get(id) ?? 0) + dt)
}
let total = 0
const byFunction = new Map<string, { self: number; area: string }>()
const byArea = new Map<string, number>()
for (const [id, us] of selfByNode) {
  const cf = byId.get(id)!.callFrame
  total += us
  const key = `${cf.functionName || "(anonymous)"}  ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ""}`
  const a = area(cf)
  const e = byFunction.get(key)
  if (e) e.self += us
  else byFunction.set(key, { self: us, area: a })
  byArea.set(a, (byArea.get(a) ?? 0) + us)
}
const idle = byArea.get("idle") ?? 0
const busy = total - idle

const pct = (x: number, of: number) => ((100 * x) / of).toFixed(1).padStart(5) + "%"
const ms = (us: number) => (us / 1000).toFixed(1).padStart(8)

const fns = [...byFunction.entries()].filter(([, v]) => v.area !== "idle").sort((a, b) => b[1].self - a[1].self).slice(0, top)
const areas = [...byArea.entries()].sort((a, b) => b[1] - a[1])

if (args.bool("markdown")) {
  console.log(`Profile ${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (not idle).\n`)
  console.log("| # | self ms | % of busy | µs/request | function | location | area |\n|---|---|---|---|---|---|---|")
  fns.forEach(([k, v], i) => {
    const [fn, loc] = k.split("  ")
    console.log(`| ${i + 1} | ${(v.self / 1000).toFixed(1)} | ${((100 * v.self) / busy).toFixed(1)}% | ${perReq(v.self)} | \`${fn}\` | ${loc ?? ""} | ${v.area} |`)
  })
  console.log("\n| area | self ms | % of busy | µs/request |\n|---|---|---|---|")
  for (const [a, us] of areas) if (a !== "idle") console.log(`| ${a} | ${(us / 1000).toFixed(1)} | ${((100 * us) / busy).toFixed(1)}% | ${perReq(us)} |`)
} else {
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (not idle); % of busy time`)
  console.log(`\ntop ${top} self time:`)
  const pr = (us: number) => (requests > 0 ? ` ${perReq(us).padStart(7)} µs/req` : "")
  for (const [k, v] of fns) console.log(`${ms(v.self)} ms ${pct(v.self, busy)}${pr(v.self)}  ${k}  [${v.area}]`)
  console.log("\nby area:")
  for (const [a, us] of areas) console.log(`${ms(us)} ms ${a === "idle" ? "      " : pct(us, busy)}${a === "idle" ? "" : pr(us)}  ${a}`)
}
