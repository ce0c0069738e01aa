// One measurement in a fresh process; prints one JSON line (the last line of stdout).
//
//   node --conditions=source bench/run-one.ts <scenario> <driver> [options]
//
// scenario: overhead | decode | stream | burst | e2e-insert | e2e-read | tokenmap
// driver:   ours (this driver, Effect) | peer (cassandra-driver 4.10)
// options:  --host 127.0.0.50:9042  --protocol 4|5 (ours; the peer is always v4)
//           --concurrency C  --warmup W  --requests N   (overhead, e2e-*)
//           --pages P  --warmup W                        (decode: sequential EXECUTEs of the 5000-row page)
//           --rows R  --pause-every K  --pause-ms M      (stream: the slow consumer sleeps M ms every K rows)
//           --mem-trace FILE                             (stream, burst: memory samples as JSON lines, bench/memory.ts)
//           --requests N  [--timeout-ms T]               (burst: N requests started at once, default settings but T)
//           --token-metadata false                       (ours: no token map; default: the driver's default)
//           --observe off|default|traced|metrics|all     (ours: spans off / on without a tracer (default) / with a
//                                                        tracer that keeps nothing / metrics on / both)
//           --hosts N --vnodes V --lookups L             (tokenmap: a synthetic ring, no server; see tokenmap.ts)
//           --responder-pid PID                          (report the responder's core share in the window)
//           --cpu-profile FILE [--sampling-interval 100] (a V8 CPU profile of the measured window, µs interval)
//           --heap-profile FILE (V8's sampling heap profile of the measured window, collected objects included)
//
// The client loops are closed loops with C workers, as a user writes them:
//   ours: C fibers (Effect.forEach over C workers, concurrency C), each `while (...) yield* session.execute(p, [id])`
//   peer: C async functions, each `while (...) await client.execute(q, [id], { prepare: true })`
// Each request is timed with performance.now() (both drivers alike). After `--warmup` requests the
// measured phase runs `--requests` more: wall time, process.cpuUsage (user + system) and the GC pauses
// (PerformanceObserver "gc" entries) of that phase only.
import { Cluster, Session } from "@effect-cassandra/driver"
import cassandra from "cassandra-driver"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as fs from "node:fs"
import { PerformanceObserver } from "node:perf_hooks"
import { memoryWindow } from "./memory.ts"
import {
  E2E_INSERT,
  E2E_ROWS,
  E2E_SELECT,
  PAGE_QUERY,
  parseArgs,
  percentile,
  SMALL_QUERY,
  STREAM_QUERY,
  WIDE_COLUMN_NAMES
} from "./common.ts"

const args = parseArgs(process.argv.slice(2))
const [scenario, driver] = args.positional as [string, string]
const hostPort = args.str("host", "127.0.0.50:9042")
const [host, portText] = hostPort.split(":") as [string, string]
const port = Number(portText ?? 9042)
const protocol = args.num("protocol", 4) as 4 | 5
const concurrency = args.num("concurrency", 64)
const tokenMetadata = args.str("token-metadata", "default")

if (!["overhead", "decode", "stream", "burst", "e2e-insert", "e2e-read", "tokenmap"].includes(scenario) || !["ours", "peer"].includes(driver)) {
  console.error("usage: run-one.ts <overhead|decode|stream|burst|e2e-insert|e2e-read|tokenmap> <ours|peer> [options]")
  process.exit(2)
}

// ---------------------------------------------------------------------------------------------------
// measurement helpers

interface GcEntry {
  readonly start: number
  readonly duration: number
  /** perf_hooks.constants.NODE_PERFORMANCE_GC_*: 1 minor (scavenge), 2 minor mark-sweep, 4 major (mark-compact), 8 incremental, 16 weak callbacks */
  readonly kind: number
}
/** perf_hooks.constants.NODE_PERFORMANCE_GC_MAJOR (up to this fix the harness counted kind 2, minor mark-sweep, which V8 does not run by default: always 0) */
const GC_MAJOR = 4
const gcEntries: Array<GcEntry> = []
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcEntries.push({ start: e.startTime, duration: e.duration, kind: (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0 })
  }
})
gcObserver.observe({ entryTypes: ["gc"] })

// The core this process is pinned to (taskset -c N), to see how much of it other processes took.
const pinnedCpu = (() => {
  try {
    const m = /Cpus_allowed_list:\s*(\d+)\s*$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
})()
/** Busy (non-idle) time of the pinned core in microseconds, from /proc/stat. */
const coreBusyMicros = (): number | undefined => {
  if (pinnedCpu === undefined) return undefined
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith(`cpu${pinnedCpu} `))
    if (line === undefined) return undefined
    const f = line.trim().split(/\s+/).slice(1).map(Number)
    const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]! // user nice system irq softirq steal
    return (busy * 1e6) / CLOCK_TICKS
  } catch {
    return undefined
  }
}
const CLOCK_TICKS = 100

// --cpu-profile FILE: a V8 CPU profile of the measured window only (not start-up or warm-up)
const cpuProfileFile = args.str("cpu-profile", "")
let inspector: import("node:inspector/promises").Session | undefined
// --heap-profile FILE: V8's sampling heap profile of the measured window, every allocation sampled whether or
// not a GC collected it since (where the bytes a request allocates come from), one sample per 1 KiB on average
const heapProfileFile = args.str("heap-profile", "")
const startProfile = async () => {
  if (cpuProfileFile === "" && heapProfileFile === "") return
  const { Session: InspectorSession } = await import("node:inspector/promises")
  inspector = new InspectorSession()
  inspector.connect()
  if (heapProfileFile !== "") {
    await inspector.post("HeapProfiler.enable")
    await inspector.post("HeapProfiler.startSampling", { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
    return
  }
  await inspector.post("Profiler.enable")
  await inspector.post("Profiler.setSamplingInterval", { interval: args.num("sampling-interval", 100) })
  await inspector.post("Profiler.start")
}
const stopProfile = async () => {
  if (inspector === undefined) return
  if (heapProfileFile !== "") {
    const { profile } = await inspector.post("HeapProfiler.stopSampling")
    fs.writeFileSync(heapProfileFile, JSON.stringify(profile))
  } else {
    const { profile } = await inspector.post("Profiler.stop")
    fs.writeFileSync(cpuProfileFile, JSON.stringify(profile))
  }
  inspector.disconnect()
  inspector = undefined
}

// --responder-pid PID: the responder's CPU time (utime + stime, 10 ms ticks) over the measured window
const responderPid = args.num("responder-pid", 0)
const responderCpuMicros = (): number | undefined => {
  if (responderPid <= 0) return undefined
  try {
    const stat = fs.readFileSync(`/proc/${responderPid}/stat`, "utf8")
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

interface Window {
  readonly t0: number
  readonly cpu: NodeJS.CpuUsage
  readonly coreBusy: number | undefined
  readonly responderCpu: number | undefined
}
const begin = (): Window => ({ t0: performance.now(), cpu: process.cpuUsage(), coreBusy: coreBusyMicros(), responderCpu: responderCpuMicros() })
const end = async (w: Window) => {
  const t1 = performance.now()
  const cpu = process.cpuUsage(w.cpu)
  const coreBusy = coreBusyMicros()
  const responderCpu = responderCpuMicros()
  // share of the pinned core's wall time spent by other processes (noise from the machine)
  const foreignCpuShare = coreBusy === undefined || w.coreBusy === undefined
    ? undefined
    : Math.max(0, (coreBusy - w.coreBusy - cpu.user - cpu.system) / ((t1 - w.t0) * 1000))
  await new Promise((r) => setTimeout(r, 20)) // let the gc observer deliver
  const gcs = gcEntries.filter((e) => e.start >= w.t0 && e.start <= t1)
  return {
    seconds: (t1 - w.t0) / 1000,
    userMicros: cpu.user,
    systemMicros: cpu.system,
    gcCount: gcs.length,
    gcMillis: gcs.reduce((s, e) => s + e.duration, 0),
    gcMajorCount: gcs.filter((e) => e.kind === GC_MAJOR).length,
    gcMajorMillis: gcs.filter((e) => e.kind === GC_MAJOR).reduce((s, e) => s + e.duration, 0),
    foreignCpuShare,
    // share of one core the responder used during the window (is it the bottleneck?)
    responderCpuShare: responderCpu === undefined || w.responderCpu === undefined
      ? undefined
      : (responderCpu - w.responderCpu) / ((t1 - w.t0) * 1000)
  }
}

const latencySummary = (lat: Float64Array) => {
  const s = Float64Array.from(lat).sort()
  const us = (x: number) => Math.round(x * 1000 * 10) / 10
  return { p50: us(percentile(s, 50)), p99: us(percentile(s, 99)), p999: us(percentile(s, 99.9)), max: us(s[s.length - 1]!) }
}

const requestStats = async (w: Window, n: number, lat: Float64Array) => {
  const m = await end(w)
  await stopProfile()
  return {
    requests: n,
    ...m,
    reqPerSec: n / m.seconds,
    cpuMicrosPerReq: (m.userMicros + m.systemMicros) / n,
    userMicrosPerReq: m.userMicros / n,
    systemMicrosPerReq: m.systemMicros / n,
    gcMillisPer1000: (m.gcMillis / n) * 1000,
    gcCountPer1000: (m.gcCount / n) * 1000,
    latencyMicros: latencySummary(lat)
  }
}

let sink = 0
/** Reads every cell of a row by column name (what a consumer does), keeping the values alive briefly. */
const touchRow = (row: Record<string, unknown>) => {
  for (let c = 0; c < WIDE_COLUMN_NAMES.length; c++) {
    const v = row[WIDE_COLUMN_NAMES[c]!]
    if (v !== null && v !== undefined) sink++
  }
}

const gcNow = () => (globalThis as { gc?: () => void }).gc?.()

const emit = (result: Record<string, unknown>) => {
  process.stdout.write("\n" + JSON.stringify({ scenario, driver, protocol: driver === "peer" ? 4 : protocol, concurrency, ...result, sink: sink % 7 }) + "\n")
}

// ---------------------------------------------------------------------------------------------------
// ours

// --observe: the driver's instrumentation (ours): off (spans: false), default (spans on, no tracer installed),
// traced (a tracer that makes spans and keeps nothing), metrics (metrics: true, no tracer), all (traced + metrics)
const observe = args.str("observe", "default")
if (!["off", "default", "traced", "metrics", "all"].includes(observe)) {
  console.error("--observe off|default|traced|metrics|all")
  process.exit(2)
}
const traced = observe === "traced" || observe === "all"
const keepNothing = Tracer.make({ span: (options) => new Tracer.NativeSpan(options) })

const oursLayer = Session.layer({ spans: observe !== "off", metrics: observe === "metrics" || observe === "all" }).pipe(
  Layer.provideMerge(Cluster.layer({
    contactPoints: [hostPort],
    localDc: "datacenter1",
    protocolVersion: protocol,
    compression: false,
    schemaMetadataEnabled: false,
    ...(tokenMetadata === "false" ? { tokenMetadataEnabled: false } : {})
  }))
)

const runOurs = Effect.gen(function*() {
  const session = yield* Session.Session

  /** C worker fibers, each looping until `count` requests were issued; latencies into `lat`. */
  const closedLoop = (count: number, lat: Float64Array, request: (i: number) => Effect.Effect<unknown, unknown>) => {
    let next = 0
    const worker = Effect.gen(function*() {
      while (next < count) {
        const i = next++
        const t0 = performance.now()
        yield* request(i)
        lat[i] = performance.now() - t0
      }
    })
    return Effect.forEach(Array.from({ length: concurrency }), () => worker, { concurrency, discard: true })
  }

  const requestScenario = (request: (i: number) => Effect.Effect<unknown, unknown>) =>
    Effect.gen(function*() {
      const warmup = args.num("warmup", 20_000)
      const n = args.num("requests", 100_000)
      yield* closedLoop(warmup, new Float64Array(warmup), request)
      const lat = new Float64Array(n)
      yield* Effect.promise(startProfile)
      const w = begin()
      yield* closedLoop(n, lat, request)
      return yield* Effect.promise(() => requestStats(w, n, lat))
    })

  switch (scenario) {
    case "overhead": {
      const p = yield* session.prepare(SMALL_QUERY)
      return yield* requestScenario((i) => session.execute(p, [i & 1023]))
    }
    case "e2e-insert": {
      const p = yield* session.prepare(E2E_INSERT)
      return yield* requestScenario((i) => {
        const id = (i * 7919) % E2E_ROWS
        return session.execute(p, [id, `name-${id}`, BigInt(i)])
      })
    }
    case "e2e-read": {
      const p = yield* session.prepare(E2E_SELECT)
      return yield* requestScenario((i) => session.execute(p, [(i * 7919) % E2E_ROWS]))
    }
    case "decode": {
      const p = yield* session.prepare(PAGE_QUERY)
      const page = Effect.flatMap(session.execute(p, [0]), (rs) =>
        Effect.sync(() => {
          const rows = rs.rows
          for (let r = 0; r < rows.length; r++) touchRow(rows[r]!)
          return rows.length
        }))
      for (let i = 0; i < args.num("warmup", 20); i++) yield* page
      const pages = args.num("pages", 100)
      let rows = 0
      yield* Effect.promise(startProfile)
      const w = begin()
      for (let i = 0; i < pages; i++) rows += yield* page
      const m = yield* Effect.promise(() => end(w))
      yield* Effect.promise(stopProfile)
      return decodeResult(pages, rows, m)
    }
    case "burst": {
      // N requests started at once on one connection, as a user writes it: every outcome counted
      const p = yield* session.prepare(SMALL_QUERY)
      yield* session.execute(p, [0])
      const n = args.num("requests", 100_000)
      const ids = Array.from({ length: n }, (_, i) => i & 1023)
      const failures: Record<string, number> = {}
      let succeeded = 0
      const timeoutMs = args.num("timeout-ms", 0)
      const options = timeoutMs > 0 ? { timeout: timeoutMs } : undefined
      yield* Effect.promise(startProfile)
      const finish = startStreamWindow()
      yield* Effect.forEach(ids, (id) =>
        Effect.match(session.execute(p, [id], options), {
          onFailure: (e) => { failures[e._tag] = (failures[e._tag] ?? 0) + 1 },
          onSuccess: () => { succeeded++ }
        }), { concurrency: "unbounded", discard: true })
      const m = yield* Effect.promise(() => finish(n))
      yield* Effect.promise(stopProfile)
      return burstResult(n, succeeded, failures, m)
    }
    case "stream": {
      const p = yield* session.prepare(STREAM_QUERY)
      const every = args.num("pause-every", 250)
      const pauseMs = args.num("pause-ms", 1)
      const finish = startStreamWindow()
      yield* session.stream(p, [args.num("rows", 1_000_000)]).pipe(Stream.runForEach((row) => {
        touchRow(row)
        return ++consumed % every === 0 ? Effect.sleep(pauseMs) : Effect.void
      }))
      return yield* Effect.promise(() => finish(consumed))
    }
  }
  return {}
})

const burstResult = (n: number, succeeded: number, failures: Record<string, number>, m: ReturnType<typeof streamResult>) => ({
  requests: n,
  succeeded,
  failed: n - succeeded,
  failures,
  seconds: m.seconds,
  heapGrowthMiB: m.heapGrowthMiB,
  rssGrowthMiB: m.rssGrowthMiB,
  gcMillis: m.gcMillis,
  userMicros: m.userMicros,
  systemMicros: m.systemMicros,
  // process CPU (every thread) over the window: on a shared machine the wall time moves much more
  cpuSeconds: (m.userMicros + m.systemMicros) / 1e6,
  foreignCpuShare: m.foreignCpuShare
})

const decodeResult = (pages: number, rows: number, m: Awaited<ReturnType<typeof end>>) => ({
  pages,
  rows,
  ...m,
  rowsPerSec: rows / m.seconds,
  cpuMicrosPerRow: (m.userMicros + m.systemMicros) / rows,
  gcMillisPerPage: m.gcMillis / pages
})

/** Rows the stream consumer took so far (the memory window compares it with the socket's bytes). */
let consumed = 0

/**
 * Opens the measured window of the stream scenario (memory baseline after a full GC, RSS/heap and heap-space
 * sampling: memory.ts); `finish(rows)` closes it.
 */
const startStreamWindow = () => {
  gcNow()
  const mem = memoryWindow({ rows: () => consumed, traceFile: args.str("mem-trace", "") })
  const w = begin()
  return async (rows: number) => {
    const m = await end(w)
    return streamResult(rows, m, mem.base, mem.stop())
  }
}

const streamResult = (
  rows: number,
  m: Awaited<ReturnType<typeof end>>,
  base: { readonly rss: number; readonly heapUsed: number },
  peak: ReturnType<ReturnType<typeof memoryWindow>["stop"]>
) => ({
  rows,
  ...m,
  rowsPerSec: rows / m.seconds,
  baseRssMiB: base.rss / 1048576,
  peakRssMiB: peak.peakRss / 1048576,
  rssGrowthMiB: (peak.peakRss - base.rss) / 1048576,
  heapGrowthMiB: (peak.peakHeap - base.heapUsed) / 1048576,
  memory: peak.memory
})

// ---------------------------------------------------------------------------------------------------
// peer: cassandra-driver 4.10, used as its README shows

const runPeer = async () => {
  const client = new cassandra.Client({
    contactPoints: [host],
    localDataCenter: "datacenter1",
    protocolOptions: { port, maxVersion: 4 },
    pooling: { coreConnectionsPerHost: { [cassandra.types.distance.local]: 1, [cassandra.types.distance.remote]: 1 } },
    isMetadataSyncEnabled: false
  })
  await client.connect()
  try {
    const closedLoop = async (count: number, lat: Float64Array, request: (i: number) => Promise<unknown>) => {
      let next = 0
      const worker = async () => {
        while (next < count) {
          const i = next++
          const t0 = performance.now()
          await request(i)
          lat[i] = performance.now() - t0
        }
      }
      await Promise.all(Array.from({ length: concurrency }, worker))
    }
    const requestScenario = async (request: (i: number) => Promise<unknown>) => {
      const warmup = args.num("warmup", 20_000)
      const n = args.num("requests", 100_000)
      await closedLoop(warmup, new Float64Array(warmup), request)
      const lat = new Float64Array(n)
      await startProfile()
      const w = begin()
      await closedLoop(n, lat, request)
      return await requestStats(w, n, lat)
    }
    const prepared = { prepare: true }
    switch (scenario) {
      case "overhead":
        return await requestScenario((i) => client.execute(SMALL_QUERY, [i & 1023], prepared))
      case "e2e-insert":
        return await requestScenario((i) => {
          const id = (i * 7919) % E2E_ROWS
          return client.execute(E2E_INSERT, [id, `name-${id}`, cassandra.types.Long.fromNumber(i)], prepared)
        })
      case "e2e-read":
        return await requestScenario((i) => client.execute(E2E_SELECT, [(i * 7919) % E2E_ROWS], prepared))
      case "decode": {
        const page = async () => {
          const rs = await client.execute(PAGE_QUERY, [0], prepared)
          const rows = rs.rows as unknown as Array<Record<string, unknown>>
          for (let r = 0; r < rows.length; r++) touchRow(rows[r]!)
          return rows.length
        }
        for (let i = 0; i < args.num("warmup", 20); i++) await page()
        const pages = args.num("pages", 100)
        let rows = 0
        await startProfile()
        const w = begin()
        for (let i = 0; i < pages; i++) rows += await page()
        const m = await end(w)
        await stopProfile()
        return decodeResult(pages, rows, m)
      }
      case "burst": {
        await client.execute(SMALL_QUERY, [0], prepared)
        const n = args.num("requests", 100_000)
        const failures: Record<string, number> = {}
        let succeeded = 0
        await startProfile()
        const finish = startStreamWindow()
        const all: Array<Promise<void>> = new Array(n)
        for (let i = 0; i < n; i++) {
          all[i] = client.execute(SMALL_QUERY, [i & 1023], prepared).then(
            () => { succeeded++ },
            (e: Error) => {
              // NoHostAvailableError wraps each host's error (BusyConnectionError when the connection is full)
              const inner = (e as { innerErrors?: Record<string, Error> }).innerErrors
              const kind = inner !== undefined && Object.values(inner)[0] !== undefined
                ? `${e.name}(${Object.values(inner)[0]!.name})`
                : e.name
              failures[kind] = (failures[kind] ?? 0) + 1
            }
          )
        }
        await Promise.all(all)
        const m = await finish(n)
        await stopProfile()
        return burstResult(n, succeeded, failures, m)
      }
      case "stream": {
        const every = args.num("pause-every", 250)
        const pauseMs = args.num("pause-ms", 1)
        const finish = startStreamWindow()
        const stream = client.stream(STREAM_QUERY, [args.num("rows", 1_000_000)], { prepare: true, fetchSize: 5000 })
        for await (const row of stream as unknown as AsyncIterable<unknown>) {
          touchRow(row as Record<string, unknown>)
          if (++consumed % every === 0) await new Promise((r) => setTimeout(r, pauseMs))
        }
        return finish(consumed)
      }
    }
    return {}
  } finally {
    // shutdown is not measured; do not wait for it
    void client.shutdown().catch(() => {})
  }
}

// ---------------------------------------------------------------------------------------------------

const main = async () => {
  if (scenario === "tokenmap") {
    const { runTokenMap } = await import("./tokenmap.ts")
    const options = { hosts: args.num("hosts", 1000), vnodes: args.num("vnodes", 16), lookups: args.num("lookups", 100_000), seed: args.num("seed", 42) }
    emit(await runTokenMap(driver, options))
    process.exit(0)
  }
  const result = driver === "ours"
    ? await Effect.runPromise(Effect.scoped(Effect.flatMap(Layer.build(oursLayer), (ctx) => Effect.provide(traced ? Effect.withTracer(runOurs, keepNothing) : runOurs, ctx))))
    : await runPeer()
  emit(result as Record<string, unknown>)
  process.exit(0)
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
