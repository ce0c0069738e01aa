/**
 * Deterministic chaos on mock hosts (issue 16): for each seed, a random schedule of faults over five
 * in-memory hosts drives the real driver in virtual time (TestClock): delayed answers (some past the
 * client timeout), closed connections, requests and hosts that stop answering, every server error code,
 * hosts going down and up (with and without events), STATUS_CHANGE and SCHEMA_CHANGE events, and hosts
 * forgetting their prepared statements. Then the faults stop, and these invariants must hold:
 *
 * 1. every request was answered exactly once, with a value or a typed error (no defect, no interruption,
 *    no request left waiting);
 * 2. no non-idempotent request reached a host again after an answer that leaves it possibly applied
 *    (only UNAVAILABLE, IS_BOOTSTRAPPING, UNPREPARED, READ_TIMEOUT and READ_FAILURE say it was not, or was a read);
 * 3. no stream id leaked: on every open connection of the driver, the ids still reserved are at most the
 *    requests its host never answered at all (their ids wait for an answer that will not come; a host that
 *    was unresponsive for a while dropped the answers it owed, so there the bound is what it received);
 * 4. pools converge back to their configured size once the faults stop, and the driver then makes no
 *    more connection attempts (no reconnection loop left running), and closing the layers finishes.
 *
 * `CHAOS_SEEDS` sets how many seeds run (default 1000); `CHAOS_SEED=<n>` replays one seed. A failing
 * seed is reported with its number.
 */
import { Cluster, Errors, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { TestClock } from "effect/testing"
import { internalsOf } from "../src/internal/cluster/internals.ts"

const HOSTS = 5
const POOL = 2
const REQUESTS = 16
const STEP_MILLIS = 50
/** Faults and request starts happen during the first FAULT_STEPS steps. */
const FAULT_STEPS = 30
const TIMEOUT_MILLIS = 1000

/** mulberry32: a small seeded PRNG, so a seed replays the same run. */
const random = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
type Rng = ReturnType<typeof random>
const pick = <A>(r: Rng, items: ReadonlyArray<A>): A => items[Math.floor(r() * items.length)]!
const int = (r: Rng, n: number): number => Math.floor(r() * n)

const columns = { v: "text" } as const
const row = Answer.rows(columns, [{ v: "x" }])
const PREPARED_QUERY = "SELECT v FROM chaos.p WHERE id = ?"

/** Answers a request can get: successes, late ones, every server error code, a closed connection, none. */
const answerOf = (r: Rng): Answer.Answer => {
  const consistency = { consistency: "ONE" as const, received: 0, blockFor: 1 }
  const choices: ReadonlyArray<() => Answer.Answer> = [
    () => row,
    () => row,
    () => Answer.void,
    () => Answer.delayed(`${int(r, TIMEOUT_MILLIS / 2)} millis`, row),
    // answered after the client gave up: the id comes back with the late answer
    () => Answer.delayed(`${TIMEOUT_MILLIS + int(r, 1500)} millis`, row),
    () => Answer.unavailable({ ...consistency, required: 1, alive: 0 }),
    () => Answer.readTimeout({ ...consistency, dataPresent: false }),
    () => Answer.writeTimeout({ ...consistency, writeType: pick(r, ["SIMPLE", "BATCH_LOG"]) }),
    () => Answer.overloaded(),
    () => Answer.isBootstrapping(),
    () => Answer.serverError(),
    () => Answer.truncateError(),
    () => Answer.readFailure({ ...consistency, dataPresent: false }),
    () => Answer.writeFailure({ ...consistency, writeType: "SIMPLE" }),
    () => Answer.functionFailure({ keyspace: "chaos", functionName: "f", argTypes: [] }),
    () => Answer.cdcWriteFailure(),
    () => Answer.casWriteUnknown(consistency),
    () => Answer.syntaxError(),
    () => Answer.unauthorized(),
    () => Answer.invalid(),
    () => Answer.configError(),
    () => Answer.alreadyExists({ keyspace: "chaos", table: "t" }),
    () => Answer.closeConnection,
    () => Answer.noAnswer
  ]
  return pick(r, choices)()
}

interface Request {
  readonly id: number
  readonly prepared: boolean
  readonly idempotent: boolean
  readonly startStep: number
}

interface Fault {
  readonly name: string
  /** The host this fault makes unresponsive (it then drops the answers it owes). */
  readonly unresponsive?: number
  readonly run: (mock: MockCluster.MockClusterShape) => Effect.Effect<unknown, unknown>
}

/** A host-level fault. */
const faultOf = (r: Rng): Fault => {
  const host = int(r, HOSTS)
  const notify = r() < 0.5
  const status = pick(r, ["UP", "DOWN"] as const)
  const faults: ReadonlyArray<Fault> = [
    { name: `hostDown(${host}, notify ${notify})`, run: (m) => m.hostDown(host, { notify }) },
    { name: `hostUp(${host}, notify ${notify})`, run: (m) => m.hostUp(host, { notify }) },
    { name: `hostUnresponsive(${host})`, unresponsive: host, run: (m) => m.hostUnresponsive(host) },
    { name: `closeConnections(${host})`, run: (m) => m.closeConnections(host) },
    { name: `statusChange(${status}, ${host})`, run: (m) => m.statusChange(status, host) },
    { name: "schemaChange", run: (m) => m.schemaChange({ changeType: "UPDATED", target: "TABLE", keyspace: "chaos", name: "t" }) },
    { name: `forgetPrepared(${host})`, run: (m) => m.forgetPrepared(host) }
  ]
  return pick(r, faults)
}

/** What the seed does: requests with their answers, and faults at their steps. */
const scenarioOf = (seed: number) => {
  const r = random(seed)
  const requests: Array<Request & { readonly answers: ReadonlyArray<Answer.Answer> }> = []
  for (let id = 0; id < REQUESTS; id++) {
    const answers = Array.from({ length: 1 + int(r, 3) }, () => answerOf(r))
    requests.push({ id, prepared: r() < 0.4, idempotent: r() < 0.5, startStep: int(r, FAULT_STEPS), answers })
  }
  const faults = new Map<number, Array<Fault>>()
  const faultCount = int(r, 8)
  for (let i = 0; i < faultCount; i++) {
    const step = int(r, FAULT_STEPS)
    faults.set(step, [...(faults.get(step) ?? []), faultOf(r)])
  }
  return { requests, faults }
}

const simpleQuery = (id: number) => `SELECT v FROM chaos.t WHERE id = ${id}`

const env = () =>
  Session.layer().pipe(
    Layer.provideMerge(MockCluster.clusterLayer({
      schemaMetadataEnabled: false,
      connectionsPerHost: POOL,
      reconnection: Schedule.spaced("200 millis"),
      connectTimeout: "1 second",
      schemaEventRefreshWindow: "100 millis",
      topologyEventRefreshWindow: "100 millis"
    })),
    Layer.provideMerge(MockCluster.layer({
      hosts: HOSTS,
      tables: { "chaos.p": { columns: { id: "int", v: "text" }, partitionKey: ["id"] }, "chaos.t": { columns: { id: "int", v: "text" }, partitionKey: ["id"] } }
    }))
  )

/** Lets socket callbacks run. */
const tick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
const ticks = (n: number) => Effect.repeat(tick, { times: n - 1 })

/** Answers after which a request was certainly not applied (or was a read): resending is safe. */
const SAFE_TO_RESEND = new Set(["Error(UNAVAILABLE)", "Error(IS_BOOTSTRAPPING)", "Error(UNPREPARED)", "Error(READ_TIMEOUT)", "Error(READ_FAILURE)"])

const ERROR_TAGS = new Set([
  "ServerError", "ProtocolError", "AuthenticationError", "Unavailable", "Overloaded", "IsBootstrapping", "TruncateError",
  "WriteTimeout", "ReadTimeout", "ReadFailure", "WriteFailure", "FunctionFailure", "CdcWriteFailure", "CasWriteUnknown",
  "SyntaxError", "Unauthorized", "InvalidRequest", "ConfigurationError", "AlreadyExists", "Unprepared", "ConnectionError",
  "OperationTimedOut", "InvalidInput", "DriverError", "RowDecodeError", "NoHostAvailable", "TraceUnavailable"
])

/** Runs one seed; fails with a message naming the seed and the broken invariant. */
const runSeed = (seed: number) =>
  Effect.gen(function*() {
    const t0 = Date.now()
    const mock = yield* MockCluster.MockCluster
    const cluster = yield* Cluster.Cluster
    const session = yield* Session.Session
    const { requests, faults } = scenarioOf(seed)
    const prepared = yield* session.prepare(PREPARED_QUERY)
    for (const req of requests) {
      yield* mock.prime(req.prepared
        ? { query: PREPARED_QUERY, values: [req.id], then: req.answers }
        : { query: simpleQuery(req.id), then: req.answers })
    }
    const answered = new Array<number>(REQUESTS).fill(0)
    const fibers: Array<Fiber.Fiber<Exit.Exit<unknown, Errors.CassandraError>>> = []
    // the faults and the requests, step by step in virtual time
    for (let step = 0; step < FAULT_STEPS; step++) {
      for (const fault of faults.get(step) ?? []) yield* Effect.ignore(fault.run(mock))
      for (const req of requests) {
        if (req.startStep !== step) continue
        const options = { idempotent: req.idempotent, timeout: `${TIMEOUT_MILLIS} millis` as const }
        const run = req.prepared ? session.execute(prepared, [req.id], options) : session.execute(simpleQuery(req.id), undefined, options)
        fibers[req.id] = yield* Effect.forkChild(Effect.exit(run.pipe(Effect.onExit(() => Effect.sync(() => { answered[req.id]!++ })))))
      }
      yield* ticks(3)
      yield* TestClock.adjust(`${STEP_MILLIS} millis`)
    }
    const t1 = Date.now()
    // the faults stop: every host up and answering, and time for timeouts, late answers and reconnections
    for (let h = 0; h < HOSTS; h++) yield* mock.hostUp(h, { notify: true })
    for (let i = 0; i < 25; i++) {
      yield* ticks(2)
      yield* TestClock.adjust("200 millis")
    }
    yield* ticks(5)
    const t2 = Date.now()
    const schedule = [...faults].sort((a, b) => a[0] - b[0]).map(([step, fs]) => `${step * STEP_MILLIS} ms: ${fs.map((f) => f.name).join(", ")}`).join("; ")
    const fail = (what: string) => Effect.die(new Error(`seed ${seed}: ${what} (faults: ${schedule}) (replay: CHAOS_SEED=${seed})`))
    // 1. exactly once, typed
    for (const req of requests) {
      const exit = fibers[req.id]!.pollUnsafe()
      if (exit === undefined) return yield* fail(`request ${req.id} was never answered`)
      if (answered[req.id] !== 1) return yield* fail(`request ${req.id} was answered ${answered[req.id]} times`)
      const result = Exit.isSuccess(exit) ? exit.value : undefined
      if (result === undefined || Exit.isSuccess(result)) continue
      const reasons = result.cause.reasons
      if (reasons.length !== 1 || reasons[0]!._tag !== "Fail" || !ERROR_TAGS.has((reasons[0] as { error: { _tag: string } }).error._tag)) {
        return yield* fail(`request ${req.id} failed without a typed error: ${JSON.stringify(result.cause)}`)
      }
    }
    // 2. no non-idempotent request resent after an answer that may have applied it
    const log = yield* mock.activity({ kind: ["query", "execute"] })
    for (const req of requests) {
      if (req.idempotent) continue
      const receipts = log.filter((a) =>
        req.prepared ? a.query === PREPARED_QUERY && a.decodedValues?.[0] === req.id : a.query === simpleQuery(req.id)
      )
      for (let i = 0; i < receipts.length - 1; i++) {
        if (!SAFE_TO_RESEND.has(receipts[i]!.answer)) {
          return yield* fail(`non-idempotent request ${req.id} was sent again after "${receipts[i]!.answer}" (${receipts.map((a) => a.answer).join(", ")})`)
        }
      }
    }
    // 3. stream ids: on a host that answered everything it received, the ids still reserved are at most
    // the requests primed to get no answer; a host that stopped answering for a while (unresponsive)
    // dropped what it had, so there the bound is what it received
    const everything = yield* mock.activity({ includeControl: true })
    const unanswered = new Map<string, number>()
    const received = new Map<string, number>()
    const hostList = yield* mock.hosts
    const blackHoled = new Set<string>()
    for (const fs of faults.values()) for (const f of fs) if (f.unresponsive !== undefined) blackHoled.add(hostList[f.unresponsive]!.endpoint)
    for (const a of everything) {
      received.set(a.host, (received.get(a.host) ?? 0) + 1)
      if (a.answer.startsWith("NoAnswer")) unanswered.set(a.host, (unanswered.get(a.host) ?? 0) + 1)
    }
    const reserved = new Map<string, number>()
    for (const conn of internalsOf(cluster).openConnections()) {
      if (conn.closed === undefined) reserved.set(conn.address, (reserved.get(conn.address) ?? 0) + conn.inFlight)
    }
    for (const [host, n] of reserved) {
      const bound = blackHoled.has(host) ? received.get(host) ?? 0 : unanswered.get(host) ?? 0
      if (n > bound) return yield* fail(`${host}: ${n} stream ids reserved, only ${bound} requests it never answered`)
    }
    // 4. pools back to their size, then quiet
    const hosts = yield* mock.hosts
    const control = cluster.controlHost()
    for (const h of hosts) {
      const want = POOL + (h.endpoint === control ? 1 : 0)
      if (h.connections !== want) return yield* fail(`${h.endpoint}: ${h.connections} connections open, ${want} configured`)
    }
    const attempts = hosts.map((h) => h.connectAttempts)
    for (let i = 0; i < 5; i++) {
      yield* ticks(2)
      yield* TestClock.adjust("2 seconds")
    }
    const later = (yield* mock.hosts).map((h) => h.connectAttempts)
    if (later.some((n, i) => n !== attempts[i])) return yield* fail(`connection attempts went on after convergence: ${attempts} -> ${later}`)
    if (process.env["CHAOS_TIMING"]) console.log(`seed ${seed}: faults ${t1 - t0} ms, settle ${t2 - t1} ms, checks ${Date.now() - t2} ms`)
  })

const seeds = (): ReadonlyArray<number> => {
  const one = process.env["CHAOS_SEED"]
  if (one !== undefined) return [Number(one)]
  const n = Number(process.env["CHAOS_SEEDS"] ?? 1000)
  return Array.from({ length: n }, (_, i) => i + 1)
}

// each seed is its own test, with its own TestClock and its own mock cluster: a seed replays alone
describe("deterministic chaos", () => {
  for (const seed of seeds()) {
    it.effect(`seed ${seed}`, () => runSeed(seed).pipe(Effect.provide(env())))
  }
})
