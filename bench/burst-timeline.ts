// The burst of `run-one.ts burst` (N prepared SELECTs started at once, one connection, default settings), as a
// timeline: when the synchronous start of the N fibers ended (the first setImmediate after it), then every second
// the requests done, heapUsed growth, GC time and process CPU. `trivial` runs the same Effect.forEach over Effects
// that only suspend and are resumed later in batches of 2000 (no driver): the floor of starting N fibers.
//
//   node --expose-gc --max-old-space-size=6144 --conditions=source bench/burst-timeline.ts [driver|trivial] [N] [timeoutMs]
//
// timeoutMs sets the session's default timeout (the requests' own options stay undefined, as in the bench).
// Environment: HOSTPORT (the responder, default 127.0.0.57:9042; start one with bench/responder.ts),
// RETAINED=1 (a full GC at the end of the start, to see what is retained), SNAPSHOT=file (a heap snapshot then),
// PROFILE=file (a CPU profile of the start only). Pin it like the bench: taskset -c 0.
import { Cluster, Session } from "@effect-cassandra/driver"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import type { Session as InspectorSession } from "node:inspector/promises"
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks"
import * as v8 from "node:v8"
import { SMALL_QUERY } from "./common.ts"

const mode = process.argv[2] ?? "driver"
const n = Number(process.argv[3] ?? 1_000_000)
const timeoutMs = Number(process.argv[4] ?? 0)
const host = process.env.HOSTPORT ?? "127.0.0.57:9042"

let gcMs = 0
let gcMajor = 0
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) {
    gcMs += e.duration
    // perf_hooks.constants.NODE_PERFORMANCE_GC_MAJOR (mark-compact) is 4
    if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === 4) gcMajor += e.duration
  }
}).observe({ entryTypes: ["gc"] })

const layer = Session.layer(timeoutMs > 0 ? { defaults: { timeout: timeoutMs } } : {}).pipe(Layer.provideMerge(Cluster.layer({
  contactPoints: [host],
  localDc: "datacenter1",
  protocolVersion: 4,
  compression: false,
  schemaMetadataEnabled: false
})))

let t0 = 0
let cpu0 = 0
let heap0 = 0
let ok = 0
let bad = 0
const kinds: Record<string, number> = {}
const log: Array<string> = []
const cpuNow = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6 }
const snap = (what: string) => {
  const m = process.memoryUsage()
  log.push(`${((performance.now() - t0) / 1000).toFixed(2)}s ${what} ok=${ok} bad=${bad} heap+=${((m.heapUsed - heap0) / 2 ** 20).toFixed(0)}MiB gc=${(gcMs / 1000).toFixed(2)}s major=${(gcMajor / 1000).toFixed(2)}s cpu=${(cpuNow() - cpu0).toFixed(2)}s`)
}
const gcNow = () => (globalThis as { gc?: () => void }).gc?.()
let inspector: InspectorSession | undefined
const startProfile = async () => {
  if (!process.env.PROFILE) return
  const { Session: S } = await import("node:inspector/promises")
  inspector = new S()
  inspector.connect()
  await inspector.post("Profiler.enable")
  await inspector.post("Profiler.setSamplingInterval", { interval: 200 })
  await inspector.post("Profiler.start")
}
const stopProfile = async () => {
  if (!inspector) return
  const { profile } = await inspector.post("Profiler.stop")
  fs.writeFileSync(process.env.PROFILE!, JSON.stringify(profile))
  inspector = undefined
}
const start = () => {
  gcNow()
  heap0 = process.memoryUsage().heapUsed
  gcMs = 0
  gcMajor = 0
  cpu0 = cpuNow()
  t0 = performance.now()
  setImmediate(() => {
    snap("start-end")
    if (process.env.PROFILE) void stopProfile()
    if (process.env.RETAINED) {
      gcNow()
      snap("start-end after full gc (retained)")
    }
    if (process.env.SNAPSHOT) v8.writeHeapSnapshot(process.env.SNAPSHOT)
  })
}

const program = Effect.gen(function*() {
  const ids = Array.from({ length: n }, (_, i) => i & 1023)
  if (mode === "trivial") {
    // the floor: the same forEach over Effects that suspend and are resumed later, as a request is
    const pending: Array<(e: Effect.Effect<number>) => void> = []
    const drain = () => {
      const batch = pending.splice(0, 2000)
      for (const r of batch) r(Effect.succeed(1))
      if (pending.length > 0 || ok + bad < n) setImmediate(drain)
    }
    start()
    setImmediate(drain)
    const timer = setInterval(() => snap("tick"), 500)
    yield* Effect.forEach(ids, (id) =>
      Effect.match(Effect.callback<number>((resume) => { pending.push(resume) }), {
        onFailure: () => { bad++ },
        onSuccess: () => { ok++ }
      }), { concurrency: "unbounded", discard: true })
    clearInterval(timer)
    snap("done")
    return
  }
  const session = yield* Session.Session
  const p = yield* session.prepare(SMALL_QUERY)
  yield* session.execute(p, [0])
  const options = undefined
  const h = monitorEventLoopDelay({ resolution: 10 })
  h.enable()
  yield* Effect.promise(startProfile)
  start()
  const timer = setInterval(() => snap("tick"), 1000)
  yield* Effect.forEach(ids, (id) =>
    Effect.match(session.execute(p, [id], options), {
      onFailure: (e) => {
        bad++
        kinds[e._tag] = (kinds[e._tag] ?? 0) + 1
      },
      onSuccess: () => { ok++ }
    }), { concurrency: "unbounded", discard: true })
  clearInterval(timer)
  snap("done")
  log.push(`kinds ${JSON.stringify(kinds)} eventLoopDelay max=${(h.max / 1e6).toFixed(0)}ms`)
})

// the trivial mode returns before it needs the Session: the layer is only built for the driver
const provided = mode === "trivial" ? (program as Effect.Effect<void, unknown, never>) : Effect.provide(program, layer)
Effect.runPromise(provided).then(() => {
  console.log(log.join("\n"))
  process.exit(0)
})
