// The fault suite on real nodes (`npm run faults`): not part of `npm test`.
//
//   EFFECT_CASSANDRA_CLUSTERS=$PWD/.cassandra-local/clusters flock /tmp/cassandra.lock npm run faults [-- --only kill,pause]
//        [--seconds-tail 8] [--out faults/results] [--order alternate|alternate-peer|ours-first|peer-first] [--together]
//        [--render: latest.md and the README table again from latest.json]
//
// Starts a 3-node Cassandra 5.0 cluster with @effect-cassandra/local (127.0.0.40-42, 768 MiB heap each, its
// own cluster folder "faults"), creates the keyspace `faults` with RF=3, and for every scenario and each
// driver (ours and cassandra-driver 4.10, one after the other: see --order) runs faults/load.ts in a fresh child process: 32 workers of
// idempotent QUORUM prepared statements, every ack timed, every TCP connect counted. The coordinator applies
// the faults on its timeline (kill -9, SIGSTOP, restarts, ALTER TABLE, a 4th node added and decommissioned ...)
// and tells the child when a node came back or left; the child reads every acknowledged id back at QUORUM after
// the load. Every node it started stops when it ends (the cluster is a scoped resource of @effect-cassandra/local).
//
// Scenarios (--only takes their names): kill, pause, schema, bootstrap, rolling, errors. Output:
// faults/results/latest.md (the tables, also in the root README) and latest.json (every child's full report).
// A run with --only replaces those scenarios' rows in latest.json and keeps the others'.
import { LocalCassandra, type LocalCassandraShape } from "@effect-cassandra/local/LocalCassandra"
import cassandra from "cassandra-driver"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import * as tls from "node:tls"
import { parseArgs } from "../bench/common.ts"

const args = parseArgs(process.argv.slice(2))
const here = path.dirname(new URL(import.meta.url).pathname)
const outDir = path.resolve(args.str("out", path.join(here, "results")))
const only = args.str("only", "").split(",").filter((s) => s !== "")
const tailSeconds = args.num("seconds-tail", 8)
// --ours-args="--speculative 99": more options for our load (experiments: the report says so in its meta)
const oursArgs = args.str("ours-args", "").split(" ").filter((a) => a !== "")
const FIRST = 40
const addr = (i: number) => `127.0.0.${FIRST + i - 1}`
const DRIVERS = ["ours", "peer"] as const
type Driver = (typeof DRIVERS)[number]
// which driver's load runs first in a scenario: the first runs on nodes that have served less since their
// start (colder JITs and caches, fewer compactions behind them), so `alternate` (the default) flips the
// order from one write scenario to the next; `ours-first` / `peer-first` fix it
// order (`alternate-peer` starts with the peer: a second run with it runs every scenario in the other order)
const order = args.str("order", "alternate")
if (!["alternate", "alternate-peer", "ours-first", "peer-first"].includes(order)) {
  throw new Error(`--order ${order}: alternate, alternate-peer, ours-first or peer-first`)
}
// --together: the write scenarios run both drivers' loads at the same time (64 workers on the cluster), so a
// server stall is measured by both; the rows say "together"
const together = args.bool("together")
let writeScenariosRun = 0
const nextOrder = (): ReadonlyArray<Driver> => {
  const flip = order === "peer-first" ||
    (order === "alternate" && writeScenariosRun % 2 === 1) ||
    (order === "alternate-peer" && writeScenariosRun % 2 === 0)
  writeScenariosRun++
  return flip ? ["peer", "ours"] : ["ours", "peer"]
}

const log = (msg: string) => console.error(`[faults ${new Date().toISOString().slice(11, 19)}] ${msg}`)
const sleep = (s: number) => Effect.sleep(`${s} seconds`)

// ---------------------------------------------------------------------------------------------------
// one load child

interface Child {
  readonly send: (line: string) => Effect.Effect<void>
}
type Report = Record<string, unknown> & { driver: string; acknowledged: number; failed: number }

/** Spawns faults/load.ts, waits for READY, runs `timeline`, sends STOP and returns the child's report. */
const runLoad = (
  label: string,
  driver: Driver,
  loadArgs: ReadonlyArray<string>,
  timeline: (child: Child) => Effect.Effect<void, unknown>
) => Effect.map(runLoads(label, [{ driver, loadArgs }], timeline), (reports) => reports[0]!)

/**
 * Spawns one faults/load.ts per entry, waits until every one is READY, runs `timeline` (its lines go to
 * every child), sends STOP to all and returns their reports, in the entries' order.
 */
const runLoads = (
  label: string,
  loads: ReadonlyArray<{ readonly driver: Driver; readonly loadArgs: ReadonlyArray<string> }>,
  timeline: (child: Child) => Effect.Effect<void, unknown>
) =>
  Effect.gen(function*() {
    fs.mkdirSync(path.join(outDir, "logs"), { recursive: true })
    const children = loads.map(({ driver, loadArgs }) => {
      const errLog = fs.openSync(path.join(outDir, "logs", `${label}-${driver}.log`), "w")
      const extra = driver === "ours" ? oursArgs : []
      const child = spawn(process.execPath, ["--conditions=source", path.join(here, "load.ts"), driver, ...loadArgs, ...extra], {
        stdio: ["pipe", "pipe", errLog]
      })
      const lines: Array<string> = []
      let onReady: () => void = () => {}
      const ready = new Promise<void>((r) => (onReady = r))
      readline.createInterface({ input: child.stdout! }).on("line", (l) => {
        if (l === "READY") onReady()
        else if (l.trim() !== "") lines.push(l)
      })
      const exited = new Promise<number>((r) => child.once("exit", (code) => r(code ?? -1)))
      return { driver, child, errLog, lines, started: Promise.race([ready, exited]), exited }
    })
    yield* Effect.promise(() => Promise.all(children.map((c) => c.started)))
    const send = (line: string) => Effect.sync(() => { for (const c of children) c.child.stdin!.write(line + "\n") })
    yield* timeline({ send }).pipe(Effect.ensuring(send("STOP")))
    return yield* Effect.forEach(children, (c) =>
      Effect.promise(async () => {
        const code = await c.exited
        fs.closeSync(c.errLog)
        const last = c.lines[c.lines.length - 1]
        if (code !== 0 || last === undefined) return { driver: c.driver, acknowledged: 0, failed: 0, loadError: `load process exited ${code}` } as Report
        return JSON.parse(last) as Report
      }))
  })

// ---------------------------------------------------------------------------------------------------
// scenarios

type Cluster = LocalCassandraShape
interface Scenario {
  readonly name: string
  readonly title: string
  readonly run: (cluster: Cluster, admin: cassandra.Client) => Effect.Effect<Array<Report & { variant?: string }>, unknown>
}

const hostsArg = ["--hosts", [1, 2, 3].map((i) => `${addr(i)}:9042`).join(",")]

const writeTable = (admin: cassandra.Client, name: string) =>
  Effect.promise(async () => {
    await admin.execute(`DROP TABLE IF EXISTS faults.${name}`)
    await admin.execute(`CREATE TABLE faults.${name} (id int PRIMARY KEY, v text)`)
  })

/** A write-load scenario: per driver, a fresh table and the same fault timeline. */
const writeScenario = (name: string, title: string, timeline: (cluster: Cluster, child: Child) => Effect.Effect<void, unknown>): Scenario => ({
  name,
  title,
  run: (cluster, admin) =>
    Effect.suspend(() => {
      if (together) {
        // both loads at once on the same timeline: each meets the same server stalls
        return Effect.gen(function*() {
          for (const driver of DRIVERS) yield* writeTable(admin, `${name}_${driver}`)
          log(`${name}: ours and peer together`)
          const reports = yield* runLoads(name, DRIVERS.map((driver) => ({ driver, loadArgs: [...hostsArg, "--table", `faults.${name}_${driver}`] })), (child) => timeline(cluster, child))
          return reports.map((r): Report => ({ ...r, position: "together" }))
        })
      }
      const drivers = nextOrder()
      return Effect.forEach(drivers, (driver, position) =>
        Effect.gen(function*() {
          const table = `${name}_${driver}`
          yield* writeTable(admin, table)
          log(`${name}: ${driver}`)
          const r = yield* runLoad(name, driver, [...hostsArg, "--table", `faults.${table}`], (child) => timeline(cluster, child))
          return { ...r, position: position + 1 } as Report
        })).pipe(Effect.map((reports) => [...reports].sort((a, b) => DRIVERS.indexOf(a.driver as Driver) - DRIVERS.indexOf(b.driver as Driver))))
    })
})

const mark = (child: Child, text: string) => Effect.andThen(Effect.sync(() => log(text)), child.send(`MARK ${text}`))

const kill = writeScenario("kill", "kill -9 of node 3, then restart", (cluster, child) =>
  Effect.gen(function*() {
    yield* sleep(5)
    yield* mark(child, "kill -9 node3")
    yield* cluster.node(3).kill
    yield* sleep(5)
    yield* mark(child, "start node3")
    yield* cluster.node(3).start
    yield* child.send(`UP ${addr(3)}`)
    yield* mark(child, "node3 ready")
    yield* sleep(tailSeconds)
  }))

const pause = writeScenario("pause", "SIGSTOP of node 3 for 10 s, then SIGCONT", (cluster, child) =>
  Effect.gen(function*() {
    yield* sleep(5)
    yield* mark(child, "SIGSTOP node3")
    yield* cluster.node(3).pause
    yield* sleep(10)
    yield* mark(child, "SIGCONT node3")
    yield* child.send(`UP ${addr(3)}`)
    yield* cluster.node(3).resume
    yield* mark(child, "node3 ready")
    yield* sleep(tailSeconds)
  }))

const rolling = writeScenario("rolling", "rolling restart of nodes 1, 2, 3", (cluster, child) =>
  Effect.gen(function*() {
    yield* sleep(5)
    for (const i of [1, 2, 3]) {
      yield* mark(child, `stop node${i}`)
      yield* cluster.node(i).stop({ grace: "20 seconds" })
      yield* cluster.node(i).start
      yield* child.send(`UP ${addr(i)}`)
      yield* mark(child, `node${i} ready`)
      yield* sleep(5)
    }
    yield* sleep(Math.max(0, tailSeconds - 5))
  }))

/** ALTER TABLE ADD while 32 workers run a prepared SELECT *: every row's shape and value are checked. */
const schema: Scenario = {
  name: "schema",
  title: "ALTER TABLE ADD (twice) under a prepared SELECT * load",
  run: (_cluster, admin) =>
    Effect.forEach([["ours", 4], ["ours", 5], ["peer", 4]] as const, ([driver, protocol]) =>
      Effect.gen(function*() {
        const table = `schema_${driver}_v${protocol}`
        yield* writeTable(admin, table)
        yield* Effect.promise(async () => {
          const q = `INSERT INTO faults.${table} (id, v) VALUES (?, ?)`
          for (let i = 0; i < 1000; i += 50) {
            await Promise.all(Array.from({ length: 50 }, (_, k) => admin.execute(q, [i + k, `v-${i + k}`], { prepare: true })))
          }
        })
        log(`schema: ${driver} v${protocol}`)
        const alter = (col: string, shape: string, child: Child) =>
          Effect.gen(function*() {
            yield* Effect.promise(() => admin.execute(`ALTER TABLE faults.${table} ADD ${col} text`))
            yield* child.send(`ALTERED ${shape}`)
          })
        const r = yield* runLoad(`schema-v${protocol}`, driver, [...hostsArg, "--table", `faults.${table}`, "--mode", "select", "--protocol", String(protocol)], (child) =>
          Effect.gen(function*() {
            yield* sleep(5)
            yield* alter("a1", "a1,id,v", child)
            yield* sleep(6)
            yield* alter("a2", "a1,a2,id,v", child)
            yield* sleep(6)
          }))
        return { ...r, variant: `v${protocol}` }
      }))
}

/**
 * Polls a TCP connect to `address:port` every 200 ms until it is accepted (`open`) or refused (`closed`).
 * Cassandra opens its CQL port once the node has joined the ring (after its bootstrap) and closes it when
 * its decommission is finished (after it left the ring).
 */
const waitPort = (address: string, port: number, want: "open" | "closed") =>
  Effect.callback<void>((resume) => {
    let done = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const again = () => {
      if (!done) timer = setTimeout(tick, 200)
    }
    const tick = () => {
      const s = net.connect({ host: address, port })
      let settled = false
      const settle = (outcome: "open" | "refused" | "other") => {
        if (settled) return
        settled = true
        s.destroy()
        if (done) return
        if ((want === "open" && outcome === "open") || (want === "closed" && outcome === "refused")) {
          done = true
          resume(Effect.void)
        } else again()
      }
      s.setTimeout(1000, () => settle("other"))
      s.once("connect", () => settle("open"))
      s.once("error", (e: NodeJS.ErrnoException) => settle(e.code === "ECONNREFUSED" ? "refused" : "other"))
    }
    tick()
    return Effect.sync(() => {
      done = true
      if (timer !== undefined) clearTimeout(timer)
    })
  })

/**
 * A 4th node bootstraps into the ring under load and is decommissioned: after 5 s node 4 (127.0.0.43) is
 * added (it streams its ranges before it serves); the load is told UP when its CQL port opens (it joined);
 * addNode returns once every node lists it UN; 10 s of load on 4 nodes; node 4 decommissioned: the load is
 * told REMOVED when its CQL port closes (its decommission finished: it left the ring, then closed its
 * client port; nothing should be sent to it from then on), or at the latest when no node lists it; its
 * process stopped; 8 s more.
 */
const bootstrap = writeScenario("bootstrap", "a 4th node bootstraps into the ring under load, then is decommissioned and stopped", (cluster, child) =>
  Effect.gen(function*() {
    const address = addr(4)
    yield* sleep(5)
    yield* mark(child, "add node4")
    const serving = yield* Effect.forkChild(
      Effect.andThen(waitPort(address, 9042, "open"), Effect.andThen(child.send(`UP ${address}`), mark(child, "node4 serves CQL (joined the ring)")))
    )
    const node4 = yield* cluster.addNode()
    yield* Fiber.join(serving)
    yield* mark(child, `node4 ready (${node4.address} UN on every node)`)
    yield* sleep(10)
    yield* mark(child, "decommission node4")
    let told = false
    const removed = (why: string) =>
      Effect.suspend(() => {
        if (told) return Effect.void
        told = true
        return Effect.andThen(child.send(`REMOVED ${address}`), mark(child, `node4 removed: ${why}`))
      })
    const closed = yield* Effect.forkChild(Effect.andThen(waitPort(address, 9042, "closed"), removed("its CQL port closed (decommission finished)")))
    yield* node4.decommission()
    yield* removed("no node lists it")
    yield* Fiber.interrupt(closed)
    yield* mark(child, "node4 decommissioned (no node lists it)")
    yield* node4.stop({ grace: "20 seconds" })
    yield* mark(child, "node4 stopped")
    yield* sleep(tailSeconds)
  }))

/**
 * Connection errors on a 1-node cluster with auth and TLS (127.0.0.45): a wrong password, a CA that did not
 * sign the node's certificate, and a certificate that does not match the name asked for (servername). Each
 * case gets a 15 s window: the report has the typed error and every TCP connect made in it.
 */
const errors: Scenario = {
  name: "errors",
  title: "wrong password, unknown CA, certificate not matching the name",
  run: () =>
    Effect.scoped(Effect.gen(function*() {
      const node = yield* LocalCassandra.start({ nodes: 1, name: "faults-tls", firstAddress: 45, auth: true, tls: true, heap: "768m" })
      const caFile = path.join(outDir, "logs", "faults-ca.pem")
      const otherCaFile = path.join(outDir, "logs", "other-ca.pem")
      fs.writeFileSync(caFile, node.caCertPem ?? "")
      fs.writeFileSync(otherCaFile, tls.rootCertificates[0]!)
      const base = ["--hosts", "127.0.0.45:9042", "--table", "system.local"]
      const cases: Array<[string, Array<string>]> = [
        ["wrong password", [...base, "--username", "cassandra", "--password", "wrong", "--ca", caFile]],
        ["unknown CA", [...base, "--username", "cassandra", "--password", "cassandra", "--ca", otherCaFile]],
        ["name mismatch", [...base, "--username", "cassandra", "--password", "cassandra", "--ca", caFile, "--servername", "not-this-node.example"]]
      ]
      const out: Array<Report & { variant?: string }> = []
      for (const [variant, a] of cases) {
        for (const driver of DRIVERS) {
          log(`errors: ${variant}: ${driver}`)
          const r = yield* runLoad(`errors-${variant.replace(/ /g, "-")}`, driver, a, () => sleep(15))
          out.push({ ...r, variant })
        }
      }
      return out
    }))
}

// schema and bootstrap run before rolling: the short scenarios first, so a run cut short has more of them
const SCENARIOS: ReadonlyArray<Scenario> = [kill, pause, schema, bootstrap, rolling, errors]

// ---------------------------------------------------------------------------------------------------
// the report

/** One scenario's rows as latest.json keeps them; `meta` says which run measured them. */
interface Entry {
  readonly scenario: string
  readonly title: string
  readonly meta?: string
  readonly reports: Array<Report & { variant?: string }>
}

const fmtFailures = (r: Report) => {
  const f = (r.failures ?? {}) as Record<string, number>
  const parts = Object.entries(f).map(([k, n]) => `${n} ${k}`)
  return parts.length === 0 ? "0" : `${r.failed} (${parts.join(", ")})`
}
const fmtUps = (r: Report) => {
  const ups = (r.ups ?? []) as Array<{ address: string; atMs: number; firstAckAfterMs: number | null }>
  const windowMs = typeof r.seconds === "number" ? r.seconds * 1000 : 0
  return ups.length === 0 ? "–" : ups.map((u) =>
    u.firstAckAfterMs === null
      ? `not in the ${((windowMs - u.atMs) / 1000).toFixed(0)} s left`
      : `${(u.firstAckAfterMs / 1000).toFixed(1)} s`
  ).join(" / ")
}

const fmtSeconds = (r: Report) => (typeof r.seconds === "number" ? `${r.seconds.toFixed(0)} s` : "–")
const fmtRate = (r: Report) => (typeof r.seconds === "number" && r.seconds > 0 ? (r.acknowledged / r.seconds).toFixed(0) : "–")
const driverName = (r: Report) => (r.driver === "ours" ? "ours" : "cassandra-driver")
/** The driver, and for write scenarios whether its load ran first or second on the cluster. */
const driverLabel = (r: Report) =>
  `${driverName(r)}${typeof r.position === "number" ? ` (${r.position === 1 ? "1st" : "2nd"})` : r.position === "together" ? " (together)" : ""}`

type GapWindow = { from: string; to: string; fromMs: number; toMs: number; longestGapMs: number; atMs: number }

/**
 * Per write scenario and driver, the longest gap between acks in each window of the timeline (between two
 * of its marks): where a stall happened, so a gap during a node's restart is not read as one after it.
 */
const gapWindowTable = (entries: ReadonlyArray<Entry>): Array<string> => {
  const rows: Array<string> = []
  for (const e of entries) {
    for (const r of e.reports) {
      const windows = (r.gapWindows ?? []) as Array<GapWindow>
      if (windows.length < 2) continue
      const cells = windows.map((w) => `${w.from} → ${w.to} (${((w.toMs - w.fromMs) / 1000).toFixed(0)} s): **${w.longestGapMs} ms**${w.longestGapMs >= 200 ? ` at ${(w.atMs / 1000).toFixed(1)} s` : ""}`)
      rows.push(`| ${e.scenario}${r.variant ? ` (${r.variant})` : ""} | ${driverLabel(r)} | ${cells.join("; ")} |`)
    }
  }
  if (rows.length === 0) return []
  return [
    "",
    "Longest gap between acknowledgements in each window of the fault timeline (a gap counts in the window where it began; times from the load's start):",
    "",
    "| scenario | driver | windows |",
    "| --- | --- | --- |",
    ...rows
  ]
}

type Removed = { address: string; atMs: number; acksBefore: number; acksAfter: number; connectsAfter: number; writesAfter?: number }

/** The node that joined and left in `bootstrap`: what each driver sent it while it was in the ring, and after. */
const removedTable = (entries: ReadonlyArray<Entry>): Array<string> => {
  const rows: Array<string> = []
  for (const e of entries) {
    for (const r of e.reports) {
      const ups = (r.ups ?? []) as Array<{ address: string; atMs: number }>
      const firstAck = (r.firstAckAtMs ?? {}) as Record<string, number>
      const events = (r.hostEvents ?? []) as Array<{ atMs: number; event: string; host: string }>
      const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
      for (const g of (r.removed ?? []) as Array<Removed>) {
        const joined = ups.find((u) => u.address === g.address)
        const first = firstAck[g.address]
        const fromJoin = joined === undefined || first === undefined ? "none" : seconds(first - joined.atMs)
        // the driver's own events for it (a load process sees the node join once and leave once)
        const added = events.find((x) => x.host === g.address && x.event === "HostAdded")
        const dropped = events.find((x) => x.host === g.address && x.event === "HostRemoved")
        const addedAt = added === undefined || joined === undefined ? "–" : seconds(added.atMs - joined.atMs)
        const droppedAt = dropped === undefined ? "never" : seconds(dropped.atMs - g.atMs)
        rows.push(
          `| ${e.scenario} | ${driverName(r)} | ${g.address} | ${addedAt} | ${g.acksBefore} | ${fromJoin} | ${droppedAt} | ${g.acksAfter} | ${g.connectsAfter} | ${g.writesAfter ?? "–"} |`
        )
      }
    }
  }
  if (rows.length === 0) return []
  return [
    "",
    "The node that joined and left (`bootstrap`): when the driver added it (its own host event), from when its CQL port opened (joined); the acknowledgements it coordinated while in the ring and the first one, from joined; when the driver removed it, from REMOVED (its decommission finished and its CQL port closed; negative: before); and what was sent to it after REMOVED:",
    "",
    "| scenario | driver | node | driver added it, from joined | acks it coordinated in the ring | its first ack, from joined | driver removed it, from REMOVED | acks it coordinated after REMOVED | TCP connects to it after REMOVED | socket writes to it after REMOVED |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows
  ]
}

const markdown = (entries: ReadonlyArray<Entry>, meta: string) => {
  const out = [`# Fault suite results`, "", meta, "", "| scenario | driver | acknowledged | failed (by kind) | lost | load window | acks/s | longest gap | returned node used again after | TCP connects |", "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |"]
  for (const { scenario, reports } of entries) {
    for (const r of reports) {
      const label = `${scenario}${r.variant ? ` (${r.variant})` : ""}`
      const extra = r.mode === "select"
        ? `; rows checked ${r.rowsChecked}: wrong value ${r.badValueRows ?? "?"}, unknown shape ${r.badShapeRows ?? "?"}, stale shape ${r.staleShapeRows}`
        : ""
      const err = r.loadError ? `; error: ${String(r.loadError).replace(/\|/g, "/").slice(0, 160)}` : ""
      out.push(
        `| ${label} | ${driverLabel(r)} | ${r.acknowledged} | ${fmtFailures(r)}${extra}${err} | ${r.lost ?? "–"} | ${fmtSeconds(r)} | ${fmtRate(r)} | ${r.longestGapMs ?? "–"} ms | ${fmtUps(r)} | ${r.connects ?? "–"} |`
      )
    }
  }
  out.push(...gapWindowTable(entries))
  out.push(...removedTable(entries))
  out.push("", "Scenarios:", ...entries.map((e) => `- ${e.scenario}: ${e.title}`))
  return out.join("\n") + "\n"
}

const startLoad = os.loadavg()[0]!
const metaText = (started: number) =>
  `Run ${new Date().toISOString()} in ${Math.round((Date.now() - started) / 1000)} s: 3 Cassandra 5.0 nodes (768 MiB heap) on one 2-core machine ` +
  `(load average ${startLoad.toFixed(1)} before the nodes started), RF=3, 32 workers of idempotent QUORUM prepared statements per driver, ours and cassandra-driver 4.10 (defaults) ` +
  `${together ? "at the same time (--together: 64 workers in all)" : `one after the other (order: ${order})`} on the same cluster.${oursArgs.length > 0 ? ` Ours with \`${oursArgs.join(" ")}\` (an experiment).` : ""} Indicative: one run.`

/** The meta line of the tables: the run's, or, when the rows come from several runs, each run's with its scenarios. */
const combinedMeta = (entries: ReadonlyArray<Entry>, fallback: string): string => {
  const groups = new Map<string, Array<string>>()
  for (const e of entries) {
    const m = e.meta ?? fallback
    groups.set(m, [...(groups.get(m) ?? []), e.scenario])
  }
  if (groups.size <= 1) return [...groups.keys()][0] ?? fallback
  return `Rows from ${groups.size} runs (a run with --only replaces its scenarios' rows):\n\n` +
    [...groups].map(([m, names]) => `- ${[...new Set(names)].join(", ")}: ${m}`).join("\n")
}

const readSaved = (): { meta: string; results: Array<Entry> } | undefined => {
  try {
    return JSON.parse(fs.readFileSync(path.join(outDir, "latest.json"), "utf8")) as { meta: string; results: Array<Entry> }
  } catch {
    return undefined
  }
}

/**
 * This run's rows, and for a run with --only the rows of the other scenarios kept from latest.json (each with
 * the meta of the run that measured it), in the order of SCENARIOS.
 */
const mergedEntries = (results: Array<{ scenario: Scenario; reports: Array<Report & { variant?: string }> }>, meta: string): Array<Entry> => {
  const fresh: Array<Entry> = results.map(({ scenario, reports }) => ({ scenario: scenario.name, title: scenario.title, meta, reports }))
  if (only.length === 0) return fresh
  const saved = readSaved()
  const kept = (saved?.results ?? [])
    .filter((e) => !only.includes(e.scenario) && !fresh.some((f) => f.scenario === e.scenario))
    .map((e) => ({ ...e, meta: e.meta ?? saved!.meta }))
  const all = [...kept, ...fresh]
  return SCENARIOS.flatMap((s) => all.filter((e) => e.scenario === s.name))
}

/** Writes latest.json and latest.md: after every scenario, so a run cut short keeps what it measured. */
const writeOut = (results: Array<{ scenario: Scenario; reports: Array<Report & { variant?: string }> }>, started: number) => {
  const entries = mergedEntries(results, metaText(started))
  const meta = combinedMeta(entries, metaText(started))
  fs.mkdirSync(outDir, { recursive: true })
  fs.writeFileSync(path.join(outDir, "latest.json"), JSON.stringify({ meta, results: entries }, null, 2) + "\n")
  fs.writeFileSync(path.join(outDir, "latest.md"), markdown(entries, meta))
  log(`wrote ${path.join(outDir, "latest.md")}`)
  return { entries, meta }
}

/**
 * A full run (no --only, the default --out) and --render put the tables in the root README, between the
 * faults markers: from the first table line to the last one (the text between the tables too).
 */
const updateReadme = (md: string) => {
  const readme = path.join(here, "..", "README.md")
  const text = fs.readFileSync(readme, "utf8")
  const begin = "<!-- faults:begin -->"
  const end = "<!-- faults:end -->"
  const a = text.indexOf(begin)
  const b = text.indexOf(end)
  if (a < 0 || b < a) return log("README.md has no faults markers: table not copied")
  const lines = md.split("\n")
  const first = lines.findIndex((l) => l.startsWith("|"))
  const last = lines.length - 1 - [...lines].reverse().findIndex((l) => l.startsWith("|"))
  const tables = lines.slice(first, last + 1).join("\n")
  fs.writeFileSync(readme, text.slice(0, a + begin.length) + "\n" + tables + "\n" + text.slice(b))
  log("tables copied into README.md")
}

// ---------------------------------------------------------------------------------------------------

/** `--render`: writes latest.md (and, for the default --out, the README tables) again from latest.json. */
const render = Effect.sync(() => {
  const saved = readSaved()
  if (saved === undefined) throw new Error(`no ${path.join(outDir, "latest.json")} to render`)
  const md = markdown(saved.results, saved.meta)
  fs.writeFileSync(path.join(outDir, "latest.md"), md)
  if (outDir === path.join(here, "results")) updateReadme(md)
  console.log(md)
})

const program = Effect.gen(function*() {
  if (args.bool("render")) return yield* render
  const chosen = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name))
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n))
  if (unknown.length > 0) return yield* Effect.die(new Error(`unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`))
  const started = Date.now()
  const results: Array<{ scenario: Scenario; reports: Array<Report & { variant?: string }> }> = []
  const needsCluster = chosen.some((s) => s.name !== "errors")
  if (needsCluster) {
    yield* Effect.scoped(Effect.gen(function*() {
      log("starting 3 nodes (127.0.0.40-42)")
      const cluster = yield* LocalCassandra.start({ nodes: 3, name: "faults", firstAddress: FIRST, heap: "768m" })
      const admin = new cassandra.Client({ contactPoints: [1, 2, 3].map((i) => `${addr(i)}:9042`), localDataCenter: "datacenter1" })
      yield* Effect.promise(async () => {
        await admin.connect()
        await admin.execute("CREATE KEYSPACE IF NOT EXISTS faults WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
      })
      for (const scenario of chosen.filter((s) => s.name !== "errors")) {
        const reports = yield* scenario.run(cluster, admin)
        results.push({ scenario, reports })
        writeOut(results, started)
        log(`${scenario.name} done: ${reports.map((r) => `${r.driver}${r.variant ? ` ${r.variant}` : ""} acked ${r.acknowledged} failed ${r.failed} lost ${r.lost} gap ${r.longestGapMs} ms`).join("; ")}`)
      }
      yield* Effect.promise(() => admin.shutdown())
    }))
  }
  for (const scenario of chosen.filter((s) => s.name === "errors")) {
    const reports = yield* scenario.run(undefined as unknown as Cluster, undefined as unknown as cassandra.Client)
    results.push({ scenario, reports })
  }
  const { entries, meta } = writeOut(results, started)
  if (only.length === 0 && outDir === path.join(here, "results")) updateReadme(markdown(entries, meta))
  console.log(markdown(entries, meta))
})

Effect.runPromise(program).then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
