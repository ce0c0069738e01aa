// One driver's load under one fault scenario, in a fresh process; prints one JSON line (the last line of stdout).
//
//   node --conditions=source faults/load.ts <ours|peer> --hosts 127.0.0.40:9042,... --table faults.s1_ours
//        [--mode write|select] [--protocol 4|5] [--workers 32] [--max-seconds 900]
//        [--username U --password P] [--ca FILE] [--servername NAME]
//
// The coordinator (faults/run.ts) talks to it over stdin/stdout, one line each:
//   child -> "READY"                 connected and prepared; the load runs from now on
//   parent -> "UP <address>"         that node came back now: the time to the first ack it coordinates is measured
//   parent -> "REMOVED <address>"    that node left the ring (decommissioned): from now on, the acks it
//                                    coordinates, the TCP connects to it and the socket writes to it are counted
//   parent -> "MARK <text>"          a point on the timeline (kept in the report)
//   parent -> "STOP"                 end the load; then read back every acknowledged id at QUORUM and report
//
// Load: `--workers` closed-loop workers, each driver in its idiom (as bench/run-one.ts), every request an
// idempotent QUORUM prepared statement:
//   write:  INSERT INTO <table> (id, v) VALUES (?, ?) with unique ids (a shared counter), v = "v-<id>"
//   select: SELECT * FROM <table> WHERE id = ? over ids 0..999 (pre-filled by the coordinator); every row's
//           shape (its column names) and its v are checked: a row decoded with stale metadata shows as a
//           wrong v or a shape that is neither the old nor the new one.
// Measured for both drivers alike: every acknowledgement's time (performance.now), failures by kind,
// the host that coordinated each ack, every TCP connect the process makes (net.Socket.prototype.connect,
// which net.connect and tls.connect both go through) and, once a node is REMOVED, every socket write to it
// (net.Socket.prototype.write: both drivers write their frames with socket.write). Each driver's own host
// events (added, removed, up, down: ours `cluster.events`, cassandra-driver's `hostAdd`, ... events) are
// kept with their times.
import { Cluster, Session, SpeculativeExecution } from "@effect-cassandra/driver"
import cassandra from "cassandra-driver"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as net from "node:net"
import * as readline from "node:readline"
import { parseArgs } from "../bench/common.ts"

const args = parseArgs(process.argv.slice(2))
const driver = args.positional[0] as "ours" | "peer"
const hosts = args.str("hosts", "127.0.0.40:9042").split(",")
const table = args.str("table", "faults.s1")
const mode = args.str("mode", "write") as "write" | "select"
const protocol = args.num("protocol", 4) as 4 | 5
const workers = args.num("workers", 32)
// a safety net only: the coordinator's STOP ends the load (bootstrap and rolling take 4-6 min on a loaded machine)
const maxSeconds = args.num("max-seconds", 900)
const username = args.str("username", "")
const password = args.str("password", "")
const caFile = args.str("ca", "")
const servername = args.str("servername", "")
const speculativeP = args.num("speculative", 0)

// ---------------------------------------------------------------------------------------------------
// TCP connects, counted the same way for both drivers

interface Connect {
  readonly t: number
  readonly host: string
}
const connects: Array<Connect> = []
/** Connects (and writes to removed hosts) are counted during the load, not during the read-back. */
let countConnects = true
/** The host a socket was connected to, kept on the socket by the connect hook below. */
const HOST = Symbol("faults.host")
type Tagged = { [HOST]?: string }
const originalConnect = net.Socket.prototype.connect
net.Socket.prototype.connect = function(this: net.Socket, ...a: Array<unknown>) {
  let o = a[0]
  if (Array.isArray(o)) o = o[0]
  const host = typeof o === "object" && o !== null
    ? String((o as { host?: string; path?: string }).host ?? (o as { path?: string }).path ?? "?")
    : String(a[1] ?? "localhost")
  const tagged = this as Tagged
  tagged[HOST] = host
  if (countConnects) connects.push({ t: performance.now(), host })
  return (originalConnect as (...x: Array<unknown>) => net.Socket).apply(this, a)
} as typeof net.Socket.prototype.connect

/** Socket writes to each REMOVED host since it was removed. */
const writesAfterRemoval = new Map<string, number>()
const originalWrite = net.Socket.prototype.write
net.Socket.prototype.write = function(this: net.Socket, ...a: Array<unknown>) {
  const host = (this as Tagged)[HOST]
  if (host !== undefined && countConnects) {
    const n = writesAfterRemoval.get(host)
    if (n !== undefined) writesAfterRemoval.set(host, n + 1)
  }
  return (originalWrite as (...x: Array<unknown>) => boolean).apply(this, a)
} as typeof net.Socket.prototype.write

// ---------------------------------------------------------------------------------------------------
// the record of the run

const ackTimes: Array<number> = []
const ackedIds: Array<number> = []
const failures: Record<string, number> = {}
const ackHosts: Record<string, number> = {}
const marks: Array<{ t: number; text: string }> = []
const ups: Array<{ address: string; t: number; firstAck: number | undefined }> = []
/** Per REMOVED host: when, the acks it had coordinated until then, the acks it coordinated after, where the connects were. */
const removed: Array<{ address: string; t: number; acksBefore: number; acksAfter: number; connectsAfter: number }> = []
/** The first ack each host coordinated. */
const firstAckBy: Record<string, number> = {}
/** The driver's own host events, as it reports them. */
const hostEvents: Array<{ t: number; event: string; host: string }> = []
const onHostEvent = (event: string, host: string) => {
  if (hostEvents.length < 500) hostEvents.push({ t: performance.now(), event, host: host.replace(/:\d+$/, "") })
}
let badRows = 0
let staleShapeRows = 0
let rowsChecked = 0
let t0 = 0
let stopping = false
let nextId = 0
/** When the load ended (before the read-back): the end of the load window. */
let loadEnd = 0

const onAck = (id: number, host: string) => {
  const t = performance.now()
  ackTimes.push(t)
  if (mode === "write") ackedIds.push(id)
  const n = ackHosts[host]
  ackHosts[host] = (n ?? 0) + 1
  if (n === undefined) firstAckBy[host] = t
  for (let i = 0; i < ups.length; i++) {
    const u = ups[i]!
    if (u.firstAck === undefined && u.address === host) u.firstAck = t
  }
  for (let i = 0; i < removed.length; i++) if (removed[i]!.address === host) removed[i]!.acksAfter++
}
const failureSamples: Record<string, string> = {}
const onFailure = (kind: string, e: unknown) => {
  failures[kind] = (failures[kind] ?? 0) + 1
  if (failureSamples[kind] === undefined) failureSamples[kind] = String((e as { message?: string }).message ?? e).slice(0, 300)
}

// select mode: the shapes a row may have. Columns added by the coordinator are named a1, a2, ... (they sort
// before v, so a row decoded with the old metadata would read a new column's null as v). Every shape the
// coordinator will make is allowed from the start (a driver may see the new columns before the coordinator's
// ALTERED line arrives); a row still of an older shape 2 s after ALTERED counts as stale.
const allShapes = ["id,v", "a1,id,v", "a1,a2,id,v"]
let expectedShape = "id,v"
let alteredAt = 0
let badValueRows = 0
let badShapeRows = 0
const badSamples: Array<string> = []
const checkRow = (row: Record<string, unknown>, id: number) => {
  rowsChecked++
  const keys = Object.keys(row).sort().join(",")
  const badValue = row.v !== `v-${id}` || Number(row.id) !== id
  const badShape = !allShapes.includes(keys)
  if (badValue || badShape) {
    badRows++
    if (badValue) badValueRows++
    if (badShape) badShapeRows++
    if (badSamples.length < 5) badSamples.push(`id ${id}: ${JSON.stringify(row).slice(0, 200)}`)
  } else if (alteredAt > 0 && performance.now() - alteredAt > 2000 && allShapes.indexOf(keys) < allShapes.indexOf(expectedShape)) {
    staleShapeRows++
  }
}

// ---------------------------------------------------------------------------------------------------
// control from the coordinator

const stdin = readline.createInterface({ input: process.stdin })
stdin.on("line", (line) => {
  const [cmd, ...rest] = line.trim().split(" ")
  const arg = rest.join(" ")
  const t = performance.now()
  if (cmd === "STOP") {
    stopping = true
    // a load that never started (a connect that keeps retrying) still reports, 5 s after STOP
    setTimeout(() => stopped(), 5000).unref()
  }
  else if (cmd === "UP") ups.push({ address: arg, t, firstAck: undefined })
  else if (cmd === "REMOVED") {
    removed.push({ address: arg, t, acksBefore: ackHosts[arg] ?? 0, acksAfter: 0, connectsAfter: connects.length })
    writesAfterRemoval.set(arg, 0)
    marks.push({ t, text: `removed ${arg}` })
  }
  else if (cmd === "ALTERED") {
    // ALTERED <shape>: the new column set, sorted and comma-joined
    expectedShape = arg
    alteredAt = t
    marks.push({ t, text: `altered ${arg}` })
  } else if (cmd === "MARK") marks.push({ t, text: arg })
})
const watchdog = setTimeout(() => {
  stopping = true
}, maxSeconds * 1000)

const idFor = () => (mode === "write" ? nextId++ : (nextId++ * 7919) % 1000)
const insertCql = () => `INSERT INTO ${table} (id, v) VALUES (?, ?)`
const selectCql = () => `SELECT * FROM ${table} WHERE id = ?`

// ---------------------------------------------------------------------------------------------------
// ours: Effect fibers, `yield* session.execute(prepared, values, options)`

const runOurs = () => {
  const layer = Session.layer({}).pipe(Layer.provideMerge(Cluster.layer({
    contactPoints: hosts,
    localDc: "datacenter1",
    protocolVersion: protocol,
    ...(username !== "" ? { auth: { username, password } } : {}),
    ...(caFile !== "" ? { tls: { ca: [fs.readFileSync(caFile, "utf8")], ...(servername !== "" ? { servername } : {}) } } : {})
  })))
  // --speculative P (an experiment, not the driver's default): ours with the percentile policy, 2 executions
  const options = {
    consistency: "QUORUM",
    idempotent: true,
    ...(speculativeP > 0 ? { speculativeExecution: SpeculativeExecution.percentile({ percentile: speculativeP, maxExecutions: 2 }) } : {})
  } as const
  const program = Effect.gen(function*() {
    const session = yield* Session.Session
    const cluster = yield* Cluster.Cluster
    yield* Effect.forkChild(Stream.runForEach(cluster.events, (e) => Effect.sync(() => onHostEvent(e._tag, e.host.address))))
    // where the control connection is (the server's events come through it), as a host event when it moves
    let control: string | undefined
    const watchControl = Effect.sync(() => {
      const now = cluster.controlHost()
      if (now !== control) onHostEvent("ControlConnection", (control = now ?? "none"))
    })
    yield* Effect.forkChild(Effect.forever(Effect.andThen(watchControl, Effect.sleep("250 millis"))))
    const p = yield* session.prepare(mode === "write" ? insertCql() : selectCql())
    ready()
    const worker = Effect.gen(function*() {
      while (!stopping) {
        const id = idFor()
        const r = yield* Effect.result(session.execute(p, mode === "write" ? [id, `v-${id}`] : [id], options))
        if (r._tag === "Success") {
          if (mode === "select") for (const row of r.success.rows) checkRow(row, id)
          onAck(id, r.success.host.address)
        } else onFailure((r.failure as { _tag?: string })._tag ?? "unknown", r.failure)
      }
    })
    yield* Effect.forEach(Array.from({ length: workers }), () => worker, { concurrency: workers, discard: true })
  })
  // the driver's Debug logs (each server event it received) go to this process's stderr, the scenario's log file
  return Effect.runPromise(Effect.scoped(Effect.flatMap(Layer.build(layer), (ctx) => Effect.provide(program, ctx))).pipe(
    Effect.provideService(References.MinimumLogLevel, "Debug"),
    // stdout carries READY and the report
    Effect.provideService(References.LogToStderr, true)
  ))
}

// ---------------------------------------------------------------------------------------------------
// peer: cassandra-driver 4.10 with its defaults, as its README shows

const peerKind = (e: unknown): string => {
  const err = e as { name?: string; code?: number }
  return err.code !== undefined ? `${err.name}:0x${err.code.toString(16)}` : String(err.name ?? "unknown")
}

const runPeer = async () => {
  const client = new cassandra.Client({
    contactPoints: hosts,
    localDataCenter: "datacenter1",
    protocolOptions: { maxVersion: 4 },
    ...(username !== "" ? { credentials: { username, password } } : {}),
    ...(caFile !== "" ? { sslOptions: { ca: [fs.readFileSync(caFile, "utf8")], ...(servername !== "" ? { servername } : {}) } } : {})
  })
  for (const [name, tag] of [["hostAdd", "HostAdded"], ["hostRemove", "HostRemoved"], ["hostUp", "HostUp"], ["hostDown", "HostDown"]] as const) {
    client.on(name, (h: { address: string }) => onHostEvent(tag, String(h.address)))
  }
  await client.connect()
  const options = { prepare: true, isIdempotent: true, consistency: cassandra.types.consistencies.quorum }
  const cql = mode === "write" ? insertCql() : selectCql()
  ready()
  const worker = async () => {
    while (!stopping) {
      const id = idFor()
      try {
        const rs = await client.execute(cql, mode === "write" ? [id, `v-${id}`] : [id], options)
        if (mode === "select") for (const row of rs.rows) checkRow({ ...(row as unknown as Record<string, unknown>) }, id)
        onAck(id, String(rs.info.queriedHost).split(":")[0]!)
      } catch (e) {
        onFailure(peerKind(e), e)
      }
    }
  }
  await Promise.all(Array.from({ length: workers }, worker))
  void client.shutdown().catch(() => {})
}

const ready = () => {
  t0 = performance.now()
  process.stdout.write("READY\n")
}

// ---------------------------------------------------------------------------------------------------
// after the load: read every acknowledged id back at QUORUM (one reader for both drivers: cassandra-driver)

const readBack = async (): Promise<{ lost: number; readBackError?: string }> => {
  if (mode !== "write" || ackedIds.length === 0) return { lost: 0 }
  const client = new cassandra.Client({
    contactPoints: hosts,
    localDataCenter: "datacenter1",
    protocolOptions: { maxVersion: 4 },
    ...(username !== "" ? { credentials: { username, password } } : {}),
    ...(caFile !== "" ? { sslOptions: { ca: [fs.readFileSync(caFile, "utf8")] } } : {})
  })
  try {
    await client.connect()
    const seen = new Uint8Array(nextId + 1)
    await new Promise<void>((resolve, reject) => {
      client.eachRow(
        `SELECT id FROM ${table}`,
        [],
        { prepare: true, fetchSize: 5000, autoPage: true, consistency: cassandra.types.consistencies.quorum, readTimeout: 30_000 },
        (_n, row) => {
          const id = Number(row.id)
          if (id >= 0 && id < seen.length) seen[id] = 1
        },
        (err) => (err ? reject(err) : resolve())
      )
    })
    let lost = 0
    for (const id of ackedIds) if (seen[id] === 0) lost++
    return { lost }
  } catch (e) {
    return { lost: -1, readBackError: String(e) }
  } finally {
    await client.shutdown().catch(() => {})
  }
}

/**
 * The longest gap between acknowledgements in each window between two timeline points (READY, each mark,
 * the load's end). A gap counts in the window where it began (its earlier ack, or READY), whole, so one
 * stall is counted once; the silence after the last ack runs to the load's end.
 */
const gapWindows = (end: number) => {
  const points = [{ t: t0, text: "ready" }, ...marks.filter((m) => m.t > t0 && m.t < end), { t: end, text: "end" }]
  const windows = points.slice(0, -1).map((p, w) => ({ fromText: p.text, toText: points[w + 1]!.text, from: p.t, to: points[w + 1]!.t, longestGap: 0, at: p.t }))
  let w = 0
  const gap = (from: number, to: number) => {
    while (w + 1 < windows.length && from >= windows[w]!.to) w++
    const win = windows[w]!
    if (to - from > win.longestGap) {
      win.longestGap = to - from
      win.at = from
    }
  }
  let prev = t0
  for (const t of ackTimes) {
    gap(prev, t)
    prev = t
  }
  if (end > prev) gap(prev, end)
  return windows
}

const report = (loadError: string | undefined, back: { lost: number; readBackError?: string }) => {
  let longestGap = 0
  let longestGapAt = 0
  let prev = t0
  for (const t of ackTimes) {
    if (t - prev > longestGap) {
      longestGap = t - prev
      longestGapAt = prev - t0
    }
    prev = t
  }
  const failed = Object.values(failures).reduce((s, n) => s + n, 0)
  const rel = (t: number) => Math.round(t - t0)
  const end = loadEnd > 0 ? loadEnd : performance.now()
  return {
    driver,
    mode,
    protocol: driver === "peer" ? 4 : protocol,
    table,
    seconds: ((loadEnd > 0 ? loadEnd : performance.now()) - t0) / 1000,
    acknowledged: ackTimes.length,
    failed,
    failures,
    failureSamples,
    lost: back.lost,
    ...(back.readBackError ? { readBackError: back.readBackError } : {}),
    longestGapMs: Math.round(longestGap),
    longestGapAtMs: Math.round(longestGapAt),
    ackHosts,
    ups: ups.map((u) => ({ address: u.address, atMs: rel(u.t), firstAckAfterMs: u.firstAck === undefined ? null : Math.round(u.firstAck - u.t) })),
    removed: removed.map((g) => ({
      address: g.address,
      atMs: rel(g.t),
      acksBefore: g.acksBefore,
      acksAfter: g.acksAfter,
      connectsAfter: connects.filter((c, i) => i >= g.connectsAfter && c.host === g.address).length,
      writesAfter: writesAfterRemoval.get(g.address) ?? 0
    })),
    firstAckAtMs: Object.fromEntries(Object.entries(firstAckBy).map(([h, t]) => [h, rel(t)])),
    hostEvents: hostEvents.map((e) => ({ atMs: rel(e.t), event: e.event, host: e.host })),
    connects: connects.length,
    connectsByHost: connects.reduce<Record<string, number>>((m, c) => ((m[c.host] = (m[c.host] ?? 0) + 1), m), {}),
    connectTimesMs: connects.slice(0, 200).map((c) => [rel(c.t), c.host]),
    marks: marks.map((m) => ({ atMs: rel(m.t), text: m.text })),
    gapWindows: gapWindows(end).map((w) => ({ from: w.fromText, to: w.toText, fromMs: rel(w.from), toMs: rel(w.to), longestGapMs: Math.round(w.longestGap), atMs: rel(w.at) })),
    ...(mode === "select" ? { rowsChecked, badRows, badValueRows, badShapeRows, badSamples, staleShapeRows } : {}),
    ...(loadError !== undefined ? { loadError } : {})
  }
}

let stopped: () => void = () => {}
const stoppedLate = new Promise<void>((resolve) => {
  stopped = resolve
}).then(() => {
  throw new Error("still connecting 5 s after STOP")
})

const errorText = (e: unknown): string => {
  const err = e as { _tag?: string; name?: string; message?: string; innerErrors?: Record<string, unknown> }
  const inner = err.innerErrors ? " [" + Object.entries(err.innerErrors).map(([h, x]) => `${h}: ${errorText(x)}`).join("; ") + "]" : ""
  return `${err._tag ?? err.name ?? "Error"}: ${String(err.message ?? e).slice(0, 300)}${inner}`
}

const main = async () => {
  let loadError: string | undefined
  try {
    await Promise.race([driver === "ours" ? runOurs() : runPeer(), stoppedLate])
  } catch (e) {
    // e.g. the error scenarios: connecting fails; the report says with what
    loadError = errorText(e)
    if (t0 === 0) t0 = performance.now()
    // the coordinator waits for READY before its fault timeline; an early failure still has to report
    process.stdout.write("READY\n")
  }
  clearTimeout(watchdog)
  loadEnd = performance.now()
  countConnects = false
  const back = await readBack()
  process.stdout.write("\n" + JSON.stringify(report(loadError, back)) + "\n")
  process.exit(0)
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
