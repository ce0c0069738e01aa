// The benchmark coordinator (`npm run bench`): starts the canned responder, runs every measurement in a
// fresh client process (bench/run-one.ts), alternating the drivers A B / B A round by round, optionally
// starts one real Cassandra 5.0 node for the end-to-end scenarios, then prints a table and writes
// bench/results/latest.json and bench/results/latest.md.
//
//   node --conditions=source bench/run.ts [--quick] [--rounds 3] [--only overhead,observability,decode,stream,tokenmap,burst,e2e,scale]
//                                         [--no-e2e] [--out bench/results] [--responder 127.0.0.50:9042]
//
//   --only soak: the 10,000,000-row streaming soak (not in the default set), then the same with --max-semi-space-size=16 (an extra figure)
//
// Pinning (when the machine has >= 2 cores and taskset exists): the coordinator, the responder and the
// Cassandra node run on core 1, every client process on core 0.
import { LocalCassandra } from "@effect-cassandra/local/LocalCassandra"
import cassandra from "cassandra-driver"
import * as Effect from "effect/Effect"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { E2E_ROWS, gitInfo, machine, median, parseArgs } from "./common.ts"
import { runScale, scaleMarkdown } from "./scale.ts"

const args = parseArgs(process.argv.slice(2))
const quick = args.bool("quick")
const rounds = args.num("rounds", quick ? 1 : 3)
const only = new Set(args.str("only", "overhead,observability,decode,stream,tokenmap,burst,e2e,scale").split(","))
if (args.bool("no-e2e")) only.delete("e2e")
const outDir = args.str("out", path.join(import.meta.dirname, "results"))
const responderAddress = args.str("responder", "127.0.0.50:9042")
const benchDir = import.meta.dirname

const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore" })
    return os.cpus().length >= 2
  } catch {
    return false
  }
})()
const CLIENT_CPU = "0"
const SERVER_CPU = "1"
if (hasTaskset) execFileSync("taskset", ["-a", "-pc", SERVER_CPU, String(process.pid)], { stdio: "ignore" })
const pinned = (cpu: string, cmd: Array<string>) => (hasTaskset ? ["taskset", "-c", cpu, ...cmd] : cmd)

const log = (s: string) => process.stderr.write(s + "\n")

// ---------------------------------------------------------------------------------------------------
// processes

const procCpuMicros = (pid: number): number | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100 // utime + stime, in clock ticks of 10 ms
  } catch {
    return undefined
  }
}

const startResponder = async (): Promise<{ pid: number; stop: () => void }> => {
  const [host, port] = responderAddress.split(":")
  const cmd = pinned(SERVER_CPU, [process.execPath, "--conditions=source", path.join(benchDir, "responder.ts"), "--host", host!, "--port", port!])
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "inherit"] })
  const rl = readline.createInterface({ input: child.stdout! })
  const ready = await new Promise<{ pid: number }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`responder exited (${code})`)))
    rl.once("line", (line) => resolve(JSON.parse(line)))
  })
  return { pid: ready.pid, stop: () => child.kill("SIGTERM") }
}

interface RunSpec {
  readonly scenario: string
  readonly driver: "ours" | "peer"
  readonly protocol: 4 | 5
  readonly extra: ReadonlyArray<string>
  readonly nodeFlags?: ReadonlyArray<string> | undefined
  readonly host: string
}

type RunResult = Record<string, any>

let responderPid: number | undefined

/** Busy and total time (ticks) of one core, from /proc/stat. */
const coreTicks = (cpu: string): { busy: number; total: number } | undefined => {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith(`cpu${cpu} `))
    if (line === undefined) return undefined
    const f = line.trim().split(/\s+/).slice(1).map(Number)
    const total = f.reduce((a, b) => a + b, 0)
    return { busy: total - f[3]! - f[4]!, total }
  } catch {
    return undefined
  }
}
const quietWait = args.num("quiet-wait", quick ? 0 : 20)
const quietBelow = args.num("quiet-below", 0.25)
/**
 * Other engineers' processes may load the machine: before each run, wait (at most --quiet-wait s) until
 * the client core was less than --quiet-below busy over the last second. Returns the last busy share.
 */
const waitForQuiet = async (): Promise<number | undefined> => {
  if (!hasTaskset) return undefined
  const deadline = Date.now() + quietWait * 1000
  for (;;) {
    const a = coreTicks(CLIENT_CPU)
    await new Promise((r) => setTimeout(r, 1000))
    const b = coreTicks(CLIENT_CPU)
    if (a === undefined || b === undefined) return undefined
    const share = (b.busy - a.busy) / Math.max(1, b.total - a.total)
    if (share < quietBelow || Date.now() >= deadline) return share
  }
}

const runOne = async (spec: RunSpec): Promise<RunResult> => {
  const before = quietWait > 0 ? await waitForQuiet() : undefined
  const r = await runProcess(spec)
  if (before !== undefined) r.clientCoreBusyBefore = before
  return r
}

const runProcess = (spec: RunSpec): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const cmd = pinned(CLIENT_CPU, [
      process.execPath,
      ...(spec.nodeFlags ?? []),
      "--conditions=source",
      path.join(benchDir, "run-one.ts"),
      spec.scenario,
      spec.driver,
      "--host",
      spec.host,
      "--protocol",
      String(spec.protocol),
      ...(responderPid !== undefined && spec.host === responderAddress ? ["--responder-pid", String(responderPid)] : []),
      ...spec.extra
    ])
    const respBefore = responderPid !== undefined ? procCpuMicros(responderPid) : undefined
    const t0 = performance.now()
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout!.on("data", (d) => (out += d))
    child.stderr!.on("data", (d) => (err += d))
    child.on("exit", (code) => {
      const wall = (performance.now() - t0) / 1000
      const respAfter = responderPid !== undefined ? procCpuMicros(responderPid) : undefined
      const last = out.trim().split("\n").pop() ?? ""
      if (code !== 0 || !last.startsWith("{")) {
        reject(new Error(`${spec.scenario} ${spec.driver} v${spec.protocol} failed (exit ${code}):\n${err.slice(-3000)}\n${out.slice(-1000)}`))
        return
      }
      const r = JSON.parse(last) as RunResult
      r.processSeconds = wall
      if (r.responderCpuShare === undefined && respBefore !== undefined && respAfter !== undefined) {
        r.responderCpuShare = (respAfter - respBefore) / (wall * 1e6)
      }
      resolve(r)
    })
  })

// ---------------------------------------------------------------------------------------------------
// scenarios

interface Metric {
  readonly key: string
  readonly label: string
  /** "higher" is better or "lower" */
  readonly better: "higher" | "lower"
  /** target on ours/peer */
  readonly target?: { readonly op: "<=" | ">="; readonly value: number } | undefined
  readonly digits?: number
  /** No ratio column (parts of a whole that can be zero or negative, such as a share of a peak) */
  readonly noRatio?: boolean
}

interface Scenario {
  readonly id: string
  readonly title: string
  readonly group: string
  readonly scenario: string
  readonly extra: ReadonlyArray<string>
  readonly metrics: ReadonlyArray<Metric>
  readonly withV5: boolean
  readonly nodeFlags?: ReadonlyArray<string> | undefined
  readonly host?: string
  /** Unreported rounds first (a real server warms up: JIT, caches, memtables) */
  readonly warmupRounds?: number
  /** Compare with ours run with these extra options instead of the peer (the "peer" column), e.g. instrumentation off */
  readonly baseline?: { readonly label: string; readonly extra: ReadonlyArray<string> } | undefined
  /** Needs no server (the responder is not started for it). */
  readonly serverless?: boolean
  /** At most this many rounds (the bursts take minutes and gigabytes per run) */
  readonly maxRounds?: number
}

const get = (r: RunResult, key: string): number => key.split(".").reduce((o: any, k) => o?.[k], r) as number

const overheadMetrics = (c: number): Array<Metric> => [
  { key: "reqPerSec", label: "req/s", better: "higher", target: c >= 64 ? { op: ">=", value: 2.5 } : undefined, digits: 0 },
  { key: "latencyMicros.p50", label: "p50 µs", better: "lower", digits: 0 },
  { key: "latencyMicros.p99", label: "p99 µs", better: "lower", digits: 0 },
  { key: "latencyMicros.p999", label: "p99.9 µs", better: "lower", digits: 0 },
  { key: "cpuMicrosPerReq", label: "CPU µs/req", better: "lower", target: { op: "<=", value: 0.35 }, digits: 2 },
  { key: "userMicrosPerReq", label: "  user µs/req", better: "lower", digits: 2 },
  { key: "systemMicrosPerReq", label: "  system µs/req", better: "lower", digits: 2 },
  { key: "gcMillisPer1000", label: "GC ms/1000 req", better: "lower", digits: 2 },
  { key: "gcCountPer1000", label: "GC pauses/1000 req", better: "lower", digits: 2 },
  { key: "foreignCpuShare", label: "(other processes on client core)", better: "lower", digits: 2 },
  { key: "responderCpuShare", label: "(responder core share)", better: "lower", digits: 2 }
]

const q = (full: number, small: number) => String(quick ? small : full)

const scenarios: Array<Scenario> = []
if (only.has("overhead")) {
  for (const c of [1, 64, 1024]) {
    scenarios.push({
      id: `overhead-c${c}`,
      title: `Driver overhead, prepared SELECT of one small row, concurrency ${c}, one connection`,
      group: "overhead",
      scenario: "overhead",
      extra: [
        "--concurrency", String(c),
        // --quick keeps the full warm-up: after 5,000 requests the JIT is still at work, and a 20,000-request
        // window measured 7.4 µs/request for ours and 12.7 for the peer at C=64 where 400,000 after 30,000
        // measured 2.0 and 5.2 in the same minute
        "--warmup", c === 1 ? q(5000, 5000) : q(30000, 30000),
        "--requests", c === 1 ? q(20000, 5000) : q(200000, 100000)
      ],
      metrics: overheadMetrics(c),
      withV5: true
    })
  }
}
if (only.has("observability")) {
  // the driver's instrumentation at concurrency 64: each mode of ours next to ours with spans off (the baseline
  // column) in the same round, so that the ratio is the mode's cost whatever else the machine does
  const modes: Record<string, string> = {
    default: "spans on, no tracer installed (the default)",
    traced: "spans on, a tracer installed that keeps nothing",
    metrics: "metrics on, no tracer",
    all: "spans with a tracer, and metrics"
  }
  const base = ["--concurrency", "64", "--warmup", q(30000, 30000), "--requests", q(200000, 100000)]
  for (const [mode, what] of Object.entries(modes)) {
    scenarios.push({
      id: `observe-${mode}`,
      title: `Instrumentation: ${what}, versus spans off; prepared SELECT of one small row, concurrency 64`,
      group: "observability",
      scenario: "overhead",
      extra: [...base, "--observe", mode],
      metrics: overheadMetrics(64).map((m) => ({ ...m, target: undefined })),
      withV5: false,
      baseline: { label: "ours, spans off", extra: [...base, "--observe", "off"] }
    })
  }
}
if (only.has("decode")) {
  scenarios.push({
    id: "decode",
    title: "Decode: 5000-row x 10-column page, every cell read, sequential EXECUTEs",
    group: "decode",
    scenario: "decode",
    extra: ["--warmup", q(20, 5), "--pages", q(100, 20)],
    metrics: [
      { key: "rowsPerSec", label: "rows/s", better: "higher", target: { op: ">=", value: 2 }, digits: 0 },
      { key: "cpuMicrosPerRow", label: "CPU µs/row", better: "lower", digits: 3 },
      { key: "gcMillisPerPage", label: "GC ms/page", better: "lower", digits: 2 },
      { key: "foreignCpuShare", label: "(other processes on client core)", better: "lower", digits: 2 }
    ],
    withV5: true
  })
}
if (only.has("stream")) {
  scenarios.push({
    id: "stream",
    title: `Streaming memory: ${quick ? "200,000" : "1,000,000"} rows (5000-row pages) through Session.stream / client.stream, consumer sleeps 1 ms every 250 rows`,
    group: "stream",
    scenario: "stream",
    extra: ["--rows", q(1_000_000, 200_000), "--pause-every", "250", "--pause-ms", "1"],
    nodeFlags: ["--expose-gc"],
    metrics: [
      { key: "rssGrowthMiB", label: "peak RSS growth MiB", better: "lower", digits: 1 },
      { key: "heapGrowthMiB", label: "peak heapUsed growth MiB", better: "lower", digits: 1 },
      { key: "rowsPerSec", label: "rows/s", better: "higher", digits: 0 },
      { key: "gcMillis", label: "GC ms total", better: "lower", digits: 0 },
      { key: "gcCount", label: "GC pauses", better: "lower", digits: 0 },
      { key: "gcMajorCount", label: "  of which mark-compact", better: "lower", digits: 0 },
      { key: "gcMajorMillis", label: "  mark-compact ms", better: "lower", digits: 0 },
      { key: "cpuMicrosPerRow", label: "CPU µs/row", better: "lower", digits: 3 }
    ],
    withV5: false
  })
}
if (only.has("tokenmap")) {
  for (const [hosts, vnodes] of [[1000, 16], [100, 256]] as const) {
    scenarios.push({
      id: `tokenmap-${hosts}x${vnodes}`,
      title: `Token map: ${hosts} hosts x ${vnodes} vnodes, 2 DCs x 3 racks, NTS {dc1: 3, dc2: 3}; 4-byte keys`,
      group: "tokenmap",
      scenario: "tokenmap",
      extra: ["--hosts", String(hosts), "--vnodes", String(vnodes), "--lookups", q(100_000, 20_000)],
      nodeFlags: ["--expose-gc"],
      serverless: true,
      metrics: [
        { key: "firstLookupMs", label: "build to first lookup ms", better: "lower", digits: 1 },
        { key: "firstLookupCpuMs", label: "  of which CPU ms", better: "lower", digits: 1 },
        { key: "buildMs", label: "  build ms", better: "lower", digits: 1 },
        { key: "firstLookupOnlyMs", label: "  first lookup ms", better: "lower", digits: 2 },
        { key: "lookupMicros", label: "µs per lookup (warm)", better: "lower", digits: 3 },
        { key: "lookupCpuMicros", label: "  CPU µs per lookup (warm)", better: "lower", digits: 3 },
        { key: "firstPassMicrosPerLookup", label: "µs per lookup, first pass", better: "lower", digits: 3 },
        { key: "maxLookupMicros", label: "longest single lookup µs", better: "lower", digits: 0 },
        { key: "firstPassP999Micros", label: "  p99.9 of single lookups, first pass µs", better: "lower", digits: 1 },
        { key: "rebuildToFirstLookupMs", label: "refresh: rebuild to first lookup ms", better: "lower", digits: 1 },
        { key: "maxStepMs", label: "longest synchronous step ms", better: "lower", digits: 1 },
        { key: "maxStepCpuMs", label: "longest step in CPU ms", better: "lower", digits: 1 },
        { key: "eventLoopMaxMs", label: "event-loop delay max ms", better: "lower", digits: 1 },
        { key: "heapGrowthMiB", label: "heap after all ranges MiB", better: "lower", digits: 1 }
      ],
      withV5: false
    })
  }
}

if (only.has("burst")) {
  for (const n of [100_000, 1_000_000]) {
    scenarios.push({
      id: `burst-${n / 1000}k`,
      title: `Burst: ${n.toLocaleString("en")} requests started at once (prepared SELECT, one connection, default settings)`,
      group: "burst",
      scenario: "burst",
      extra: ["--requests", String(n)],
      nodeFlags: ["--expose-gc", "--max-old-space-size=6144"],
      metrics: [
        { key: "succeeded", label: "succeeded", better: "higher", digits: 0 },
        { key: "failed", label: "failed", better: "lower", digits: 0 },
        { key: "seconds", label: "wall s", better: "lower", digits: 2 },
        { key: "cpuSeconds", label: "process CPU s", better: "lower", digits: 2 },
        { key: "heapGrowthMiB", label: "peak heapUsed growth MiB", better: "lower", target: { op: "<=", value: 0.5 }, digits: 1 },
        { key: "rssGrowthMiB", label: "peak RSS growth MiB", better: "lower", digits: 1 },
        { key: "gcMillis", label: "GC ms total", better: "lower", digits: 0 },
        { key: "foreignCpuShare", label: "(other processes on client core)", better: "lower", digits: 2 }
      ],
      withV5: false,
      maxRounds: 1
    })
  }
}

// The soak (`--only soak`, not in the default set: minutes per driver): 10,000,000 rows through the same slow
// consumer; the goal is a peak RSS growth under 64 MiB. The memory rows say what the RSS at its peak was made
// of (bench/memory.ts). Then the same soak with V8's young generation capped (--max-semi-space-size=16): an
// extra figure, to show how much of the growth is V8 sizing its young generation, not the headline.
const soakMetrics: Scenario["metrics"] = [
  { key: "rssGrowthMiB", label: "peak RSS growth MiB", better: "lower", digits: 1 },
  { key: "memory.atPeakRss.newSpace", noRatio: true, label: "  at the peak: V8 new space (young generation) MiB", better: "lower", digits: 1 },
  { key: "memory.atPeakRss.oldSpace", noRatio: true, label: "  at the peak: V8 old space MiB", better: "lower", digits: 1 },
  { key: "memory.atPeakRss.otherSpaces", noRatio: true, label: "  at the peak: code, large-object, trusted spaces MiB", better: "lower", digits: 1 },
  { key: "memory.atPeakRss.arrayBuffers", noRatio: true, label: "  at the peak: ArrayBuffer contents MiB", better: "lower", digits: 1 },
  { key: "memory.atPeakRss.other", noRatio: true, label: "  at the peak: the rest (malloc, native) MiB", better: "lower", digits: 1 },
  { key: "memory.newSpaceCapacityMiB", label: "young generation capacity reached MiB", better: "lower", digits: 0 },
  { key: "heapGrowthMiB", label: "peak heapUsed growth MiB", better: "lower", digits: 1 },
  { key: "memory.peakGrowth.arrayBuffers", label: "peak ArrayBuffer growth MiB", better: "lower", digits: 1 },
  { key: "memory.aheadRows", label: "most rows received ahead of the consumer", better: "lower", digits: 0 },
  { key: "rowsPerSec", label: "rows/s", better: "higher", digits: 0 },
  { key: "gcMillis", label: "GC ms total", better: "lower", digits: 0 },
  { key: "gcMajorCount", label: "  mark-compact pauses", better: "lower", digits: 0 },
  { key: "cpuMicrosPerRow", label: "CPU µs/row", better: "lower", digits: 3 },
  { key: "foreignCpuShare", label: "(other processes on client core)", better: "lower", digits: 2 }
]
if (only.has("soak")) {
  const soakRows = q(10_000_000, 1_000_000)
  const rowsText = quick ? "1,000,000" : "10,000,000"
  scenarios.push({
    id: "soak",
    title: `Streaming soak: ${rowsText} rows (5000-row pages) through Session.stream / client.stream, consumer sleeps 1 ms every 250 rows (goal: RSS growth < 64 MiB)`,
    group: "stream",
    scenario: "stream",
    extra: ["--rows", soakRows, "--pause-every", "250", "--pause-ms", "1"],
    nodeFlags: ["--expose-gc"],
    metrics: soakMetrics,
    withV5: false
  })
  scenarios.push({
    id: "soak-semi16",
    title: `Extra figure, not the headline: the same soak with V8's young generation capped at 2 x 16 MiB (node --max-semi-space-size=16)`,
    group: "stream",
    scenario: "stream",
    extra: ["--rows", soakRows, "--pause-every", "250", "--pause-ms", "1"],
    nodeFlags: ["--expose-gc", "--max-semi-space-size=16"],
    metrics: soakMetrics,
    withV5: false
  })
}
const e2eScenarios = (host: string): Array<Scenario> =>
  (["e2e-insert", "e2e-read"] as const).map((s) => ({
    id: s,
    title: `End to end, one Cassandra 5.0 node: prepared point ${s === "e2e-insert" ? "INSERTs" : "SELECTs"}, concurrency 64`,
    group: "e2e",
    scenario: s,
    host,
    extra: ["--concurrency", "64", "--warmup", q(20000, 2000), "--requests", q(100000, 10000)],
    warmupRounds: 3,
    metrics: [
      { key: "reqPerSec", label: "req/s", better: "higher", target: { op: ">=", value: 1.2 }, digits: 0 },
      { key: "latencyMicros.p50", label: "p50 µs", better: "lower", digits: 0 },
      { key: "latencyMicros.p99", label: "p99 µs", better: "lower", target: { op: "<=", value: 1 }, digits: 0 },
      { key: "cpuMicrosPerReq", label: "CPU µs/req", better: "lower", digits: 2 },
      { key: "gcMillisPer1000", label: "GC ms/1000 req", better: "lower", digits: 2 },
      { key: "foreignCpuShare", label: "(other processes on client core)", better: "lower", digits: 2 }
    ],
    withV5: false
  }))

// cassandra-driver's stream() derives rows/s from wall time, so ours/peer rows/s compare the same pace
const cpuPerRow = (r: RunResult) => (r.userMicros + r.systemMicros) / r.rows

interface ScenarioResult {
  readonly scenario: Scenario
  readonly runs: Array<{ round: number; order: number; label: string; result: RunResult }>
}

const runScenario = async (s: Scenario): Promise<ScenarioResult> => {
  const runs: ScenarioResult["runs"] = []
  const host = s.host ?? responderAddress
  for (let w = 0; w < (s.warmupRounds ?? 0); w++) {
    for (const driver of ["peer", "ours"] as const) {
      const r = await runOne({ scenario: s.scenario, driver, protocol: 4, extra: s.extra, host, nodeFlags: s.nodeFlags })
      log(`  ${s.id} warm-up round (not reported) ${driver.padEnd(7)} req/s ${fmt(r.reqPerSec, 0)}`)
    }
  }
  for (let round = 0; round < Math.min(rounds, s.maxRounds ?? rounds); round++) {
    // A B, then B A, then A B ... ; ours on v5 last in even rounds, first in odd ones
    const ab: Array<[string, RunSpec]> = [
      ["ours", { scenario: s.scenario, driver: "ours", protocol: 4, extra: s.extra, host, nodeFlags: s.nodeFlags }],
      ["peer", s.baseline === undefined
        ? { scenario: s.scenario, driver: "peer", protocol: 4, extra: s.extra, host, nodeFlags: s.nodeFlags }
        : { scenario: s.scenario, driver: "ours", protocol: 4, extra: s.baseline.extra, host, nodeFlags: s.nodeFlags }]
    ]
    let order = round % 2 === 0 ? ab : [ab[1]!, ab[0]!]
    if (s.withV5) {
      const v5: [string, RunSpec] = ["ours-v5", { scenario: s.scenario, driver: "ours", protocol: 5, extra: s.extra, host, nodeFlags: s.nodeFlags }]
      order = round % 2 === 0 ? [...order, v5] : [v5, ...order]
    }
    for (let i = 0; i < order.length; i++) {
      const [label, spec] = order[i]!
      const result = await runOne(spec)
      if (s.scenario === "stream") result.cpuMicrosPerRow = cpuPerRow(result)
      runs.push({ round, order: i, label, result })
      const headline = s.metrics[0]!
      log(`  ${s.id} round ${round + 1}/${rounds} ${(label === "peer" && s.baseline !== undefined ? "off" : label).padEnd(7)} ${headline.label} ${fmt(get(result, headline.key), headline.digits)}` +
        (result.failures !== undefined ? `  failures ${JSON.stringify(result.failures)}  heap growth MiB ${fmt(result.heapGrowthMiB, 1)}  wall s ${fmt(result.seconds, 2)}` : "") +
        (result.cpuMicrosPerReq !== undefined ? `  CPU µs/req ${fmt(result.cpuMicrosPerReq, 2)}` : "") +
        (result.latencyMicros !== undefined ? `  p99 µs ${fmt(result.latencyMicros.p99, 0)}` : "") +
        (result.foreignCpuShare !== undefined ? `  (other procs on core: ${fmt(result.foreignCpuShare * 100, 0)}%)` : ""))
    }
  }
  return { scenario: s, runs }
}

// ---------------------------------------------------------------------------------------------------
// summary

const fmt = (x: number | undefined, digits = 2): string => {
  if (x === undefined || !Number.isFinite(x)) return "–"
  if (digits === 0) {
    if (Math.abs(x) >= 1e6) return `${(x / 1e6).toFixed(2)}M`
    if (Math.abs(x) >= 1e4) return `${(x / 1e3).toFixed(1)}k`
    return x.toFixed(0)
  }
  return x.toFixed(digits)
}

interface Row {
  readonly metric: string
  readonly key: string
  readonly ours: { median: number; min: number; max: number }
  readonly peer: { median: number; min: number; max: number }
  readonly ratio: { median: number; min: number; max: number }
  readonly oursV5?: { median: number; min: number; max: number } | undefined
  readonly ratioV5?: { median: number; min: number; max: number } | undefined
  readonly target?: string | undefined
  readonly met?: boolean | undefined
}

const stats = (xs: Array<number>) => {
  const f = xs.filter((x) => Number.isFinite(x))
  return { median: median(f), min: Math.min(...f), max: Math.max(...f) }
}

const summarize = (sr: ScenarioResult): Array<Row> => {
  const by = (label: string, round: number) => sr.runs.find((r) => r.label === label && r.round === round)?.result
  return sr.scenario.metrics.map((m) => {
    const ours: Array<number> = []
    const peer: Array<number> = []
    const v5: Array<number> = []
    const ratio: Array<number> = []
    const ratioV5: Array<number> = []
    for (let round = 0; round < rounds; round++) {
      const a = by("ours", round)
      const b = by("peer", round)
      const c = by("ours-v5", round)
      if (a) ours.push(get(a, m.key))
      if (b) peer.push(get(b, m.key))
      if (c) v5.push(get(c, m.key))
      if (a && b) ratio.push(get(a, m.key) / get(b, m.key))
      if (c && b) ratioV5.push(get(c, m.key) / get(b, m.key))
    }
    const r = stats(ratio)
    const met = m.target === undefined
      ? undefined
      : m.target.op === "<="
      ? r.median <= m.target.value
      : r.median >= m.target.value
    return {
      metric: m.label,
      key: m.key,
      ours: stats(ours),
      peer: stats(peer),
      ratio: r,
      oursV5: v5.length > 0 ? stats(v5) : undefined,
      ratioV5: ratioV5.length > 0 ? stats(ratioV5) : undefined,
      target: m.target === undefined ? undefined : `${m.target.op} ${m.target.value}x`,
      met
    }
  })
}

const cell = (s: { median: number; min: number; max: number } | undefined, digits: number | undefined) =>
  s === undefined ? "" : rounds > 1 ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})` : fmt(s.median, digits)
const ratioCell = (s: { median: number; min: number; max: number } | undefined) =>
  s === undefined || !Number.isFinite(s.median) ? "–" : rounds > 1 ? `${s.median.toFixed(2)}x [${s.min.toFixed(2)}–${s.max.toFixed(2)}]` : `${s.median.toFixed(2)}x`

const markdown = (results: Array<ScenarioResult>, meta: Record<string, unknown>): string => {
  const lines: Array<string> = []
  lines.push(`# Benchmark: @effect-cassandra/driver vs cassandra-driver 4.10`)
  lines.push("")
  lines.push(`Run ${meta.date}, commit ${meta.commit}${meta.dirty ? " (with uncommitted changes in the working tree)" : ""}, ` +
    `${rounds} round(s)${quick ? ", --quick" : ""}. Machine: ${meta.cpus} cores (${meta.cpuModel}), Node ${meta.node}, ${meta.platform}, ` +
    `${meta.totalMemMiB} MiB RAM. Client on core ${hasTaskset ? CLIENT_CPU : "(not pinned)"}, responder/Cassandra on core ${hasTaskset ? SERVER_CPU : "(not pinned)"}.`)
  lines.push("")
  lines.push(`Values: median over rounds (min–max); ratio: median of the per-round ratios ours/peer [min–max]. ` +
    `"ours" is protocol v4 like the peer; "ours v5" is reported separately (its ratio is to the peer's v4 run of the same round). ` +
    `See bench/README.md for the method.`)
  if (meta.treeChanged) {
    lines.push("")
    lines.push(`**${meta.treeChanged}**`)
  }
  if (meta.loadNote) {
    lines.push("")
    lines.push(String(meta.loadNote))
  } else if (Array.isArray(meta.loadavgStart) && Array.isArray(meta.loadavgEnd)) {
    lines.push("")
    lines.push(`Load average ${(meta.loadavgStart[0] as number).toFixed(1)} at the start, ${(meta.loadavgEnd[0] as number).toFixed(1)} at the end ` +
      `(${meta.cpus} cores): wall-clock figures include waiting for a core; CPU figures much less.`)
  }
  for (const sr of results) {
    const rows = summarize(sr)
    const s = sr.scenario
    lines.push("")
    lines.push(`## ${s.title}`)
    lines.push("")
    const flags = (s.nodeFlags ?? []).filter((f) => f !== "--expose-gc")
    lines.push(`\`${flags.length > 0 ? `node ${flags.join(" ")} ` : ""}${s.scenario} ${s.extra.join(" ")}\``)
    lines.push("")
    const v5 = s.withV5
    const v4 = s.serverless === true ? "" : " (v4)"
    const peer = s.baseline?.label ?? `cassandra-driver${v4}`
    lines.push(`| metric | ours${v4} | ${peer} | ratio ours/${s.baseline === undefined ? "peer" : "baseline"} | target | met |${v5 ? " ours v5 | v5/peer |" : ""}`)
    lines.push(`|---|---|---|---|---|---|${v5 ? "---|---|" : ""}`)
    for (const r of rows) {
      const m = s.metrics.find((x) => x.key === r.key)!
      lines.push(`| ${r.metric} | ${cell(r.ours, m.digits)} | ${cell(r.peer, m.digits)} | ${m.noRatio === true ? "" : ratioCell(r.ratio)} | ${r.target ?? ""} | ${r.met === undefined ? "" : r.met ? "yes" : "**no**"} |` +
        (v5 ? ` ${cell(r.oursV5, m.digits)} | ${ratioCell(r.ratioV5)} |` : ""))
    }
    if (s.group === "burst") {
      lines.push("")
      for (const run of sr.runs) {
        const f = run.result.failures as Record<string, number> | undefined
        lines.push(`- round ${run.round + 1} ${run.label}: failures by kind ${f === undefined || Object.keys(f).length === 0 ? "none" : Object.entries(f).map(([k, v]) => `${k} ${v}`).join(", ")}`)
      }
    }
  }
  if (meta.cachegrind) {
    lines.push("")
    lines.push(String(meta.cachegrind))
  }
  if (meta.scaleTable) {
    lines.push("")
    lines.push(String(meta.scaleTable))
  }
  lines.push("")
  return lines.join("\n")
}

const printTable = (results: Array<ScenarioResult>) => {
  for (const sr of results) {
    const rows = summarize(sr)
    console.log(`\n${sr.scenario.title}`)
    const header = ["metric", "ours v4", sr.scenario.baseline?.label ?? "peer v4", "ratio", "target", sr.scenario.withV5 ? "ours v5" : ""]
    const body = rows.map((r) => {
      const m = sr.scenario.metrics.find((x) => x.key === r.key)!
      return [r.metric, cell(r.ours, m.digits), cell(r.peer, m.digits), ratioCell(r.ratio), r.target ? `${r.target} ${r.met ? "ok" : "MISSED"}` : "", cell(r.oursV5, m.digits)]
    })
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
    const line = (cols: Array<string>) => cols.map((c, i) => c.padEnd(widths[i]!)).join("  ")
    console.log(line(header))
    for (const b of body) console.log(line(b))
  }
}

// ---------------------------------------------------------------------------------------------------
// end to end: one real node

const setupE2E = async (contactPoint: string) => {
  const [host, port] = contactPoint.split(":")
  const client = new cassandra.Client({
    contactPoints: [host!],
    localDataCenter: "datacenter1",
    protocolOptions: { port: Number(port ?? 9042) },
    isMetadataSyncEnabled: false
  })
  await client.connect()
  await client.execute("CREATE KEYSPACE IF NOT EXISTS bench WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
  await client.execute("CREATE TABLE IF NOT EXISTS bench.kv (id int PRIMARY KEY, name text, value bigint)")
  let next = 0
  const worker = async () => {
    while (next < E2E_ROWS) {
      const id = next++
      await client.execute("INSERT INTO bench.kv (id, name, value) VALUES (?, ?, ?)", [id, `name-${id}`, cassandra.types.Long.fromNumber(id)], { prepare: true })
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker))
  await client.shutdown()
}

const runE2E = async (results: Array<ScenarioResult>) => {
  log("starting one Cassandra 5.0 node (name bench, 127.0.0.30) ...")
  await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const node = yield* LocalCassandra.start({ nodes: 1, name: "bench", firstAddress: 30 })
    const cp = node.contactPoints[0]!
    log(`Cassandra ${node.version} at ${cp}; creating bench.kv with ${E2E_ROWS} rows`)
    yield* Effect.promise(() => setupE2E(cp))
    for (const s of e2eScenarios(cp)) {
      log(`\n${s.title}`)
      results.push(yield* Effect.promise(() => runScenario(s)))
    }
  })))
}

// ---------------------------------------------------------------------------------------------------

const main = async () => {
  const started = new Date()
  const meta: Record<string, unknown> = { date: started.toISOString(), ...machine(), ...gitInfo(), rounds, quick, pinned: hasTaskset, loadavgStart: os.loadavg() }
  log(`bench: ${meta.cpus} cores (${meta.cpuModel}), Node ${meta.node}, ${rounds} round(s)${quick ? ", quick" : ""}`)
  const results: Array<ScenarioResult> = []
  const served = scenarios.filter((s) => s.serverless !== true)
  if (served.length > 0) {
    const responder = await startResponder()
    responderPid = responder.pid
    try {
      for (const s of served) {
        log(`\n${s.title}`)
        results.push(await runScenario(s))
      }
    } finally {
      responder.stop()
      responderPid = undefined
    }
  }
  for (const s of scenarios.filter((s) => s.serverless === true)) {
    log(`\n${s.title}`)
    results.push(await runScenario(s))
  }
  if (only.has("e2e")) await runE2E(results)
  if (only.has("scale")) {
    // ours only (the peer has no in-memory hosts): the driver's start on 100 / 300 / 1000 mock hosts
    log("\nscale: the driver's start on 100, 300 and 1000 in-memory mock hosts")
    const scale = runScale(quick ? [100, 1000] : [100, 300, 1000])
    meta.scale = scale
    meta.scaleTable = `## Scale in simulation (bench/scale.ts, ours only)\n\n` +
      `The driver's start (control connection, discovery of every host from system.peers_v2, schema, a Session with a pool per ` +
      `local host) against an in-memory MockCluster of N hosts in two datacenters of three racks; heap after GC, one fresh process per size.\n\n` +
      scaleMarkdown(scale)
    log(String(meta.scaleTable))
  }
  meta.loadavgEnd = os.loadavg()
  const after = gitInfo()
  if (after.commit !== meta.commit || after.dirty !== meta.dirty) {
    meta.treeChanged = `The tree changed during the run: ${meta.commit}${meta.dirty ? " (dirty)" : ""} at the start, ${after.commit}${after.dirty ? " (dirty)" : ""} at the end.`
  }
  meta.seconds = (Date.now() - started.getTime()) / 1000
  const foreign = results.flatMap((r) => r.runs.map((x) => x.result.foreignCpuShare as number | undefined)).filter((x): x is number => x !== undefined)
  if (foreign.length > 0) {
    meta.loadNote = `Load from other processes on the client's core during the measured windows: median ${(median(foreign) * 100).toFixed(0)}%, ` +
      `max ${(Math.max(...foreign) * 100).toFixed(0)}% (load average ${(meta.loadavgStart as Array<number>)[0]!.toFixed(1)} at the start, ` +
      `${(meta.loadavgEnd as Array<number>)[0]!.toFixed(1)} at the end). Wall-clock figures (req/s, latencies) suffer from it; CPU µs/req much less.`
  }
  const cgPath = path.join(outDir, "cachegrind.json")
  if (fs.existsSync(cgPath)) {
    const cg = JSON.parse(fs.readFileSync(cgPath, "utf8"))
    meta.cachegrind = `## Instructions per request (cachegrind, from bench/cachegrind.ts, ${cg.date})\n\n` +
      `Concurrency ${cg.concurrency}, warm-up ${cg.warmup}, then N or 2N requests; (I(2N) - I(N)) / N. Node ${cg.node}` +
      `${cg.commit ? `, commit ${cg.commit}${cg.dirty ? " (dirty)" : ""}` : ""}.\n\n` +
      `| driver | N | instructions (N) | instructions (2N) | per request | all repeats | ratio ours/peer |\n|---|---|---|---|---|---|---|\n` +
      (cg.rows as Array<any>).map((r) =>
        `| ${r.label} | ${r.n} | ${r.insN.toLocaleString("en")} | ${r.ins2N.toLocaleString("en")} | ${Math.round(r.perRequest).toLocaleString("en")} | ` +
        `${(r.repeats ?? [r.perRequest]).map((x: number) => Math.round(x).toLocaleString("en")).join(", ")} | ${r.ratio === undefined ? "" : r.ratio.toFixed(2) + "x"} |`
      ).join("\n")
  }
  printTable(results)
  fs.mkdirSync(outDir, { recursive: true })
  const json = {
    meta,
    scenarios: results.map((r) => ({ id: r.scenario.id, title: r.scenario.title, args: r.scenario.extra, summary: summarize(r), runs: r.runs }))
  }
  fs.writeFileSync(path.join(outDir, "latest.json"), JSON.stringify(json, null, 2) + "\n")
  fs.writeFileSync(path.join(outDir, "latest.md"), markdown(results, meta))
  log(`\nwrote ${path.join(outDir, "latest.json")} and latest.md (${meta.seconds} s)`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
