/**
 * The driver's fault handling, on mock hosts (`@effect-cassandra/testing`), deterministic: time is the
 * TestClock of `it.effect`, so timeouts and reconnection backoffs run in virtual time.
 *
 * Retries per the default policy, client-side timeouts, hosts going down and coming back, UNPREPARED
 * re-prepare, the mapping of every server error code, and protocol version negotiation.
 */
import { Cluster, Retry, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { TestClock } from "effect/testing"

interface EnvOptions {
  readonly mock?: MockCluster.MockClusterOptions
  readonly cluster?: Partial<Cluster.ClusterOptions>
  readonly retry?: Retry.RetryPolicyShape
}

const env = ({ cluster = {}, mock = { hosts: 3 }, retry }: EnvOptions = {}) =>
  Session.layer().pipe(
    Layer.provide(retry === undefined ? Layer.empty : Retry.layer(retry)),
    Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, ...cluster })),
    Layer.provideMerge(MockCluster.layer(mock))
  )

/** Lets socket callbacks run (closes are reported on the next tick). */
const tick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Waits (in real event-loop turns, not clock time) until `condition` holds. */
const eventually = (condition: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (condition()) return
      yield* tick
    }
    throw new Error(`never happened: ${what}`)
  })

const hostIsUp = (endpoint: string, up: boolean) =>
  Effect.gen(function*() {
    const cluster = yield* Cluster.Cluster
    yield* eventually(() => cluster.getHost(endpoint)?.isUp === up, `${endpoint} ${up ? "up" : "down"} in the driver`)
  })

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const f = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (f?._tag !== "Fail") throw new Error(`expected a Fail, got ${JSON.stringify(exit.cause)}`)
  return f.error
}

const q = "SELECT * FROM app.users WHERE id = 1"
const row = Answer.rows({ id: "int", name: "text" }, [{ id: 1, name: "ada" }])

describe("retries (default policy)", () => {
  it.effect("a read timeout is retried once on the same host when enough replicas answered but no data came", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: [Answer.readTimeout({ received: 2, blockFor: 2, dataPresent: false }), row] })
      const rs = yield* Session.execute(q)
      expect(rs.rows).toEqual([{ id: 1, name: "ada" }])
      const log = yield* MockCluster.activity({ query: q })
      expect(log.map((a) => a.answer)).toEqual(["Error(READ_TIMEOUT)", "Rows(1)"])
      expect(log[1]!.host).toBe(log[0]!.host)
      expect(rs.host.endpoint).toBe(log[0]!.host)
    }).pipe(Effect.provide(env())))

  it.effect("a retry policy with a delay Schedule waits (virtual time) before each retry and stops when it ends", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.prime({ query: q, then: Answer.overloaded() })
      const fiber = yield* Effect.forkChild(Effect.exit(Session.execute(q, undefined, { idempotent: true, timeout: "1 minute" })))
      yield* MockCluster.awaitActivity({ query: q, count: 1 })
      for (let i = 0; i < 5; i++) yield* tick
      expect((yield* mock.activity({ query: q })).length).toBe(1)
      yield* TestClock.adjust("999 millis")
      for (let i = 0; i < 5; i++) yield* tick
      expect((yield* mock.activity({ query: q })).length).toBe(1)
      yield* TestClock.adjust("1 millis")
      yield* MockCluster.awaitActivity({ query: q, count: 2 })
      yield* TestClock.adjust("1 second")
      yield* MockCluster.awaitActivity({ query: q, count: 3 })
      // the schedule allows two retries: the third failure is the answer
      const exit = yield* Fiber.join(fiber)
      expect(failure(exit)._tag).toBe("Overloaded")
      expect((yield* mock.activity({ query: q })).length).toBe(3)
    }).pipe(Effect.provide(env({
      retry: {
        decide: Retry.defaultRetryPolicy.decide,
        delay: Schedule.spaced("1 second").pipe(Schedule.upTo({ times: 2 }))
      }
    }))))

  it.effect("a read timeout with the data present, or a second one, is not retried", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.readTimeout({ received: 1, blockFor: 1, dataPresent: true }), times: 1 })
      const first = failure(yield* Effect.exit(Session.execute(q)))
      expect(first).toMatchObject({ _tag: "ReadTimeout", dataPresent: true })
      yield* MockCluster.prime({ query: q, then: Answer.readTimeout(), times: 2 })
      const second = failure(yield* Effect.exit(Session.execute(q)))
      expect(second._tag).toBe("ReadTimeout")
      expect((yield* MockCluster.activity({ query: q })).length).toBe(3)
    }).pipe(Effect.provide(env())))

  it.effect("unavailable goes to the next host, once", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: [Answer.unavailable({ required: 2, alive: 1 }), row] })
      const rs = yield* Session.execute(q)
      expect(rs.rows.length).toBe(1)
      const log = yield* MockCluster.activity({ query: q })
      expect(log.map((a) => a.answer)).toEqual(["Error(UNAVAILABLE)", "Rows(1)"])
      expect(log[1]!.host).not.toBe(log[0]!.host)
      // every host unavailable: one retry, then the error
      yield* MockCluster.MockCluster.use((m) => m.clearActivity)
      yield* MockCluster.prime({ query: q, then: Answer.unavailable({ consistency: "QUORUM", required: 2, alive: 1 }) })
      const error = failure(yield* Effect.exit(Session.execute(q, undefined, { consistency: "QUORUM" })))
      expect(error).toMatchObject({ _tag: "Unavailable", consistency: "QUORUM", required: 2, alive: 1 })
      const tried = (yield* MockCluster.activity({ query: q })).map((a) => a.host)
      expect(tried.length).toBe(2)
      expect(new Set(tried).size).toBe(2)
    }).pipe(Effect.provide(env())))

  it.effect("a non-idempotent write is not retried after the connection dies; an idempotent one is", () =>
    Effect.gen(function*() {
      const insert = "INSERT INTO app.users (id, name) VALUES (1, 'ada')"
      yield* MockCluster.prime({ query: insert, then: Answer.closeConnection, times: 1 })
      const error = failure(yield* Effect.exit(Session.execute(insert)))
      expect(error._tag).toBe("ConnectionError")
      expect((yield* MockCluster.activity({ query: insert })).length).toBe(1)

      yield* MockCluster.prime({ query: insert, then: Answer.closeConnection, times: 1 })
      const rs = yield* Session.execute(insert, undefined, { idempotent: true })
      const log = yield* MockCluster.activity({ query: insert })
      expect(log.map((a) => a.answer)).toEqual(["CloseConnection", "CloseConnection", "Void"])
      expect(log[2]!.host).not.toBe(log[1]!.host)
      expect(rs.host.endpoint).toBe(log[2]!.host)
    }).pipe(Effect.provide(env())))

  it.effect("overloaded and server errors: the next host only when idempotent; bootstrapping: always the next host", () =>
    Effect.gen(function*() {
      const write = "UPDATE app.users SET name = 'x' WHERE id = 1"
      yield* MockCluster.prime({ query: write, then: [Answer.overloaded(), Answer.void] })
      expect(failure(yield* Effect.exit(Session.execute(write)))._tag).toBe("Overloaded")
      yield* MockCluster.prime({ query: write, then: [Answer.serverError(), Answer.void] })
      yield* Session.execute(write, undefined, { idempotent: true })
      yield* MockCluster.prime({ query: write, then: [Answer.isBootstrapping(), Answer.void] })
      yield* Session.execute(write)
      const log = yield* MockCluster.activity({ query: write })
      expect(log.map((a) => a.answer)).toEqual(["Error(OVERLOADED)", "Error(SERVER_ERROR)", "Void", "Error(IS_BOOTSTRAPPING)", "Void"])
      expect(log[2]!.host).not.toBe(log[1]!.host)
      expect(log[4]!.host).not.toBe(log[3]!.host)
    }).pipe(Effect.provide(env())))

  it.effect("a write timeout is retried (same host) only for an idempotent BATCH_LOG write", () =>
    Effect.gen(function*() {
      const write = "INSERT INTO app.t (id) VALUES (1)"
      yield* MockCluster.prime({ query: write, then: [Answer.writeTimeout({ writeType: "SIMPLE" }), Answer.void] })
      expect(failure(yield* Effect.exit(Session.execute(write, undefined, { idempotent: true })))).toMatchObject({
        _tag: "WriteTimeout",
        writeType: "SIMPLE"
      })
      yield* MockCluster.prime({ kind: "batch", then: [Answer.writeTimeout({ writeType: "BATCH_LOG" }), Answer.void] })
      yield* Session.batch([{ query: write }], { idempotent: true })
      const batches = yield* MockCluster.activity({ kind: "batch" })
      expect(batches.map((a) => a.answer)).toEqual(["Error(WRITE_TIMEOUT)", "Void"])
      expect(batches[1]!.host).toBe(batches[0]!.host)
    }).pipe(Effect.provide(env())))
})

describe("timeouts", () => {
  it.effect("a host that never answers: OperationTimedOut once the timeout passes on the clock", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.noAnswer, times: 1 })
      const fiber = yield* Effect.forkChild(Effect.exit(Session.execute(q, undefined, { timeout: "2 seconds" })))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("1900 millis")
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("200 millis")
      const error = failure(yield* Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "OperationTimedOut", timeoutMillis: 2000 })
      // the connection still works afterwards
      expect((yield* Session.execute(q)).rows).toEqual([])
    }).pipe(Effect.provide(env({ mock: { hosts: 1 } }))))

  it.effect("a non-idempotent write that timed out is not retried; a late answer is ignored", () =>
    Effect.gen(function*() {
      const insert = "INSERT INTO app.users (id) VALUES (2)"
      yield* MockCluster.prime({ query: insert, then: Answer.delayed("5 seconds", Answer.void), times: 1 })
      const fiber = yield* Effect.forkChild(Effect.exit(Session.execute(insert, undefined, { timeout: "1 second" })))
      yield* MockCluster.awaitActivity({ query: insert })
      yield* TestClock.adjust("1 second")
      expect(failure(yield* Fiber.join(fiber))._tag).toBe("OperationTimedOut")
      yield* TestClock.adjust("5 seconds")
      expect((yield* MockCluster.activity({ query: insert })).length).toBe(1)
      yield* Session.execute(insert)
      expect((yield* MockCluster.activity({ query: insert })).length).toBe(2)
    }).pipe(Effect.provide(env())))
})

describe("timeouts of idempotent requests", () => {
  // The timeout covers the whole execution (Statement.ts), and the connection only times a request out
  // at that deadline: an idempotent request whose host stays silent is not tried elsewhere, so the
  // default policy's "OperationTimedOut -> next host when idempotent" branch never runs (reported).
  // Speculative execution is what moves such a request to another host.
  it.effect("a silent host: an idempotent request goes to the next host after its attempt timeout (half its timeout by default)", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: [Answer.noAnswer, row] })
      const fiber = yield* Effect.forkChild(Session.execute(q, undefined, { idempotent: true, timeout: "3 seconds" }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("1500 millis")
      const rs = yield* Fiber.join(fiber)
      expect(rs.rows).toEqual([{ id: 1, name: "ada" }])
      const log = yield* MockCluster.activity({ query: q })
      expect(log.map((a) => [a.at, a.answer])).toEqual([[0, "NoAnswer"], [1500, "Rows(1)"]])
      expect(log[1]!.host).not.toBe(log[0]!.host)
    }).pipe(Effect.provide(env())))

  it.effect("a silent host: OperationTimedOut even when idempotent without a shorter attempt timeout; with speculative execution the next host answers", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: [Answer.noAnswer, row] })
      const plain = yield* Effect.forkChild(Effect.exit(Session.execute(q, undefined, { idempotent: true, timeout: "3 seconds", attemptTimeout: "3 seconds" })))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("3 seconds")
      expect(failure(yield* Fiber.join(plain))._tag).toBe("OperationTimedOut")
      expect((yield* MockCluster.activity({ query: q })).length).toBe(1)

      yield* MockCluster.prime({ query: q, then: [Answer.noAnswer, row] })
      const speculative = yield* Effect.forkChild(Session.execute(q, undefined, {
        idempotent: true,
        timeout: "3 seconds",
        speculativeExecution: { delay: "500 millis", maxExecutions: 1 }
      }))
      yield* MockCluster.awaitActivity({ query: q, count: 2 })
      yield* TestClock.adjust("500 millis")
      const rs = yield* Fiber.join(speculative)
      expect(rs.rows).toEqual([{ id: 1, name: "ada" }])
      const log = yield* MockCluster.activity({ query: q })
      expect(log.slice(1).map((a) => [a.at, a.answer])).toEqual([[3000, "NoAnswer"], [3500, "Rows(1)"]])
    }).pipe(Effect.provide(env())))

  it.effect("an attempt timeout that is not a positive duration is InvalidInput before anything is sent", () =>
    Effect.gen(function*() {
      const error = failure(yield* Effect.exit(Session.execute(q, undefined, { idempotent: true, attemptTimeout: "soon" as never })))
      expect(error._tag).toBe("InvalidInput")
      expect((yield* MockCluster.activity({ query: q })).length).toBe(0)
    }).pipe(Effect.provide(env())))
})

describe("hosts down and up", () => {
  it.effect("a down host is skipped; with every host down: NoHostAvailable with each host's error", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.hostDown(1)
      yield* hostIsUp("127.0.0.2:9042", false)
      for (let i = 0; i < 6; i++) yield* Session.execute(q)
      const hosts = new Set((yield* mock.activity({ query: q })).map((a) => a.host))
      expect([...hosts].sort()).toEqual(["127.0.0.1:9042", "127.0.0.3:9042"])

      yield* mock.hostDown(0)
      yield* mock.hostDown(2)
      yield* hostIsUp("127.0.0.1:9042", false)
      yield* hostIsUp("127.0.0.3:9042", false)
      const error = failure(yield* Effect.exit(Session.execute(q)))
      expect(error._tag).toBe("NoHostAvailable")
      if (error._tag === "NoHostAvailable") {
        // the query plan only holds up hosts: with none, the message says so
        expect(error.message).toMatch(/no host is up|all hosts tried failed/)
      }
    }).pipe(Effect.provide(env())))

  it.effect("hosts whose connections died are tried and reported per host", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      // every host closes the connection on this query: an idempotent read tries each host once
      yield* MockCluster.prime({ query: q, then: Answer.closeConnection })
      const error = failure(yield* Effect.exit(Session.execute(q, undefined, { idempotent: true })))
      expect(error._tag).toBe("NoHostAvailable")
      if (error._tag === "NoHostAvailable") {
        expect(Object.keys(error.errors).sort()).toEqual(["127.0.0.1:9042", "127.0.0.2:9042", "127.0.0.3:9042"])
        expect(Object.values(error.errors).every((e) => (e as { _tag: string })._tag === "ConnectionError")).toBe(true)
      }
      expect((yield* mock.activity({ query: q })).length).toBe(3)
    }).pipe(Effect.provide(env())))

  it.effect("a down host comes back and is used again after the reconnection delay", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.hostDown(1)
      yield* hostIsUp("127.0.0.2:9042", false)
      for (let i = 0; i < 10; i++) yield* tick
      const attempts = () => Effect.map(mock.host(1), (h) => h.connectAttempts)
      const start = yield* attempts()
      // one attempt per 5 s of the reconnection schedule
      yield* TestClock.adjust("5 seconds")
      expect(yield* attempts()).toBe(start + 1)
      yield* mock.hostUp(1)
      yield* TestClock.adjust("4 seconds")
      expect(yield* attempts()).toBe(start + 1)
      expect((yield* Cluster.Cluster).getHost("127.0.0.2:9042")?.isUp).toBe(false)
      yield* TestClock.adjust("1 second")
      yield* hostIsUp("127.0.0.2:9042", true)
      expect(yield* attempts()).toBe(start + 2)
      yield* mock.clearActivity
      for (let i = 0; i < 6; i++) yield* Session.execute(q)
      const hosts = new Set((yield* mock.activity({ query: q })).map((a) => a.host))
      expect(hosts.has("127.0.0.2:9042")).toBe(true)
    }).pipe(Effect.provide(env({ cluster: { reconnection: Schedule.spaced("5 seconds") } }))))

  it.effect("ten minutes of exponential backoff run in virtual time", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.hostDown(1)
      yield* hostIsUp("127.0.0.2:9042", false)
      const start = (yield* mock.host(1)).connectAttempts
      // default schedule: 1 s, 2 s, 4 s ... capped at 10 min, jittered (x0.8..1.2)
      for (let minute = 0; minute < 10; minute++) yield* TestClock.adjust("1 minute")
      const attempts = (yield* mock.host(1)).connectAttempts - start
      // cumulative delays 1, 3, 7, 15, 31, 63, 127, 255, 511 s (+-20%): 8 or 9 attempts within 600 s
      expect(attempts).toBeGreaterThanOrEqual(7)
      expect(attempts).toBeLessThanOrEqual(10)
      yield* mock.hostUp(1)
      // the next attempt comes at most 512 s * 1.2 later
      for (let minute = 0; minute < 11; minute++) yield* TestClock.adjust("1 minute")
      yield* hostIsUp("127.0.0.2:9042", true)
    }).pipe(Effect.provide(env({ mock: { hosts: 2 } }))), 30_000)

  it.effect("an unresponsive host: the handshake of a new connection times out and the host is marked down", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.hostUnresponsive(1)
      yield* mock.closeConnections(1)
      yield* MockCluster.awaitActivity({ host: 1, includeControl: true, kind: "options" })
      yield* TestClock.adjust("5 seconds")
      yield* hostIsUp("127.0.0.2:9042", false)
      // the reads go to the other host meanwhile
      for (let i = 0; i < 4; i++) yield* Session.execute(q)
      expect(new Set((yield* mock.activity({ query: q })).map((a) => a.host))).toEqual(new Set(["127.0.0.1:9042"]))
    }).pipe(Effect.provide(env({ mock: { hosts: 2 }, cluster: { reconnection: Schedule.spaced("1 hour") } }))))
})

describe("prepared statements", () => {
  it.effect("UNPREPARED: the driver prepares again on that host and retries transparently", () =>
    Effect.gen(function*() {
      const select = "SELECT * FROM app.users WHERE id = ?"
      yield* MockCluster.prime({ query: select, variables: { id: "int" }, then: row })
      const p = yield* Session.prepare(select)
      yield* MockCluster.prime({ query: select, kind: "execute", then: Answer.unprepared(), times: 1 })
      const rs = yield* Session.execute(p, [1])
      expect(rs.rows).toEqual([{ id: 1, name: "ada" }])
      const log = yield* MockCluster.activity({ query: select, kind: ["prepare", "execute"] })
      const afterFirstPrepare = log.slice(log.findIndex((a) => a.kind === "execute"))
      expect(afterFirstPrepare.map((a) => `${a.kind} ${a.answer}`)).toEqual([
        "execute Error(UNPREPARED)",
        "prepare Prepared",
        "execute Rows(1)"
      ])
      expect(new Set(afterFirstPrepare.map((a) => a.host)).size).toBe(1)
    }).pipe(Effect.provide(env())))
})

describe("prepared statements in batches", () => {
  it.effect("a host that forgot the statements of a batch gets each prepared again, then the batch runs once", () =>
    Effect.gen(function*() {
      const insert = "INSERT INTO app.users (id, name) VALUES (?, ?)"
      const update = "UPDATE app.users SET name = ? WHERE id = ?"
      yield* MockCluster.prime({ query: insert, variables: { id: "int", name: "text" }, then: Answer.void })
      yield* MockCluster.prime({ query: update, variables: { name: "text", id: "int" }, then: Answer.void })
      const p1 = yield* Session.prepare(insert)
      const p2 = yield* Session.prepare(update)
      yield* MockCluster.forgetPrepared()
      yield* Session.batch([
        { query: p1, params: [1, "a"] },
        { query: "DELETE FROM app.users WHERE id = 3" },
        { query: p2, params: ["b", 2] }
      ], { type: "logged" })
      const log = yield* MockCluster.activity({ kind: ["prepare", "batch"] })
      const after = log.slice(log.findIndex((a) => a.kind === "batch"))
      expect(after.map((a) => `${a.kind} ${a.query ?? ""} ${a.answer}`)).toEqual([
        "batch  Error(UNPREPARED)",
        `prepare ${insert} Prepared`,
        "batch  Error(UNPREPARED)",
        `prepare ${update} Prepared`,
        "batch  Void"
      ])
      expect(new Set(after.map((a) => a.host)).size).toBe(1)
    }).pipe(Effect.provide(env({ mock: { hosts: 1 } }))))

  it.effect("an UNPREPARED that re-preparing does not cure moves on to the next host instead of looping", () =>
    Effect.gen(function*() {
      const insert = "INSERT INTO app.users (id, name) VALUES (?, ?)"
      yield* MockCluster.prime({ query: insert, variables: { id: "int", name: "text" }, then: Answer.void })
      const p1 = yield* Session.prepare(insert)
      yield* MockCluster.prime({ kind: "batch", then: Answer.unprepared({ id: p1.id }) })
      const exit = yield* Effect.exit(Session.batch([{ query: p1, params: [1, "a"] }]))
      const error = failure(exit)
      expect(error._tag).toBe("NoHostAvailable")
      const log = yield* MockCluster.activity({ kind: ["batch", "prepare"] })
      const after = log.slice(log.findIndex((a) => a.kind === "batch"))
      // per host: the batch, one re-prepare, the batch again; then the next host
      for (const host of [0, 1]) {
        expect(after.filter((a) => a.hostIndex === host).map((a) => `${a.kind} ${a.answer}`)).toEqual([
          "batch Error(UNPREPARED)",
          "prepare Prepared",
          "batch Error(UNPREPARED)"
        ])
      }
    }).pipe(Effect.provide(env({ mock: { hosts: 2 } }))))
})

describe("server errors map to tagged errors", () => {
  const cases: ReadonlyArray<readonly [string, Answer.Answer, Record<string, unknown>]> = [
    ["server error", Answer.serverError({ message: "boom" }), { _tag: "ServerError", message: "boom" }],
    ["protocol error", Answer.protocolError(), { _tag: "ProtocolError" }],
    ["auth error", Answer.authError(), { _tag: "AuthenticationError" }],
    ["unavailable", Answer.unavailable({ required: 3, alive: 1 }), { _tag: "Unavailable", consistency: "QUORUM", required: 3, alive: 1 }],
    ["overloaded", Answer.overloaded(), { _tag: "Overloaded" }],
    ["is bootstrapping", Answer.isBootstrapping(), { _tag: "IsBootstrapping" }],
    ["truncate error", Answer.truncateError(), { _tag: "TruncateError" }],
    [
      "write timeout",
      Answer.writeTimeout({ received: 1, blockFor: 2, writeType: "UNLOGGED_BATCH" }),
      { _tag: "WriteTimeout", consistency: "QUORUM", received: 1, blockFor: 2, writeType: "UNLOGGED_BATCH" }
    ],
    [
      "CAS write timeout (v5 contentions)",
      Answer.writeTimeout({ consistency: "SERIAL", received: 0, blockFor: 2, writeType: "CAS", contentions: 4 }),
      { _tag: "WriteTimeout", consistency: "SERIAL", writeType: "CAS", contentions: 4 }
    ],
    [
      "read timeout",
      Answer.readTimeout({ received: 1, blockFor: 2, dataPresent: true }),
      { _tag: "ReadTimeout", consistency: "QUORUM", received: 1, blockFor: 2, dataPresent: true }
    ],
    [
      "read failure (v5 reason map)",
      Answer.readFailure({ received: 1, blockFor: 2, reasonMap: [{ address: "127.0.0.2", reason: 1 }], dataPresent: true }),
      { _tag: "ReadFailure", received: 1, blockFor: 2, numFailures: 1, reasons: [{ address: "127.0.0.2", reason: 1 }], dataPresent: true }
    ],
    [
      "function failure",
      Answer.functionFailure({ keyspace: "app", functionName: "f", argTypes: ["int"] }),
      { _tag: "FunctionFailure", keyspace: "app", functionName: "f", argTypes: ["int"] }
    ],
    [
      "write failure",
      Answer.writeFailure({ received: 0, blockFor: 1, reasonMap: [{ address: "127.0.0.3", reason: 2 }], writeType: "SIMPLE" }),
      { _tag: "WriteFailure", numFailures: 1, reasons: [{ address: "127.0.0.3", reason: 2 }], writeType: "SIMPLE" }
    ],
    ["cdc write failure", Answer.cdcWriteFailure(), { _tag: "CdcWriteFailure" }],
    ["CAS write unknown", Answer.casWriteUnknown({ received: 1, blockFor: 2 }), { _tag: "CasWriteUnknown", received: 1, blockFor: 2 }],
    ["syntax error", Answer.syntaxError({ message: "line 1:0 no viable alternative" }), { _tag: "SyntaxError", message: "line 1:0 no viable alternative" }],
    ["unauthorized", Answer.unauthorized(), { _tag: "Unauthorized" }],
    ["invalid", Answer.invalid({ message: "unconfigured table users" }), { _tag: "InvalidRequest", message: "unconfigured table users" }],
    ["config error", Answer.configError(), { _tag: "ConfigurationError" }],
    ["already exists", Answer.alreadyExists({ keyspace: "app", table: "users" }), { _tag: "AlreadyExists", keyspace: "app", table: "users" }],
    ["unprepared (of a simple statement)", Answer.unprepared({ id: new Uint8Array([1, 2, 3]) }), { _tag: "Unprepared", id: new Uint8Array([1, 2, 3]) }]
  ]
  for (const [name, answer, expected] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        yield* MockCluster.prime({ query: q, then: answer })
        const error = failure(yield* Effect.exit(Session.execute(q, undefined, { consistency: "QUORUM" })))
        expect(error).toMatchObject({ ...expected, host: "127.0.0.1:9042" })
      }).pipe(Effect.provide(env({ mock: { hosts: 1 }, retry: Retry.fallthroughRetryPolicy }))))
  }
})

describe("protocol negotiation", () => {
  it.effect("a contact point that refuses v5: the driver settles on v4 for the cluster", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(cluster.protocolVersion).toBe(4)
      yield* Session.execute(q)
      const versions = new Set((yield* MockCluster.activity({ includeControl: true })).map((a) => a.version))
      expect([...versions].sort()).toEqual([4, 5])
      const last = yield* MockCluster.activity({ query: q })
      expect(last[0]!.version).toBe(4)
    }).pipe(Effect.provide(env({ mock: { hosts: 2, protocolVersions: [3, 4] } }))))

  // A peer that refuses v5 (here 127.0.0.2, a 3.11-like host: v3/v4 only, release_version 3.11.17):
  // like the Java driver, the cluster settles on the highest version every peer supports (from
  // release_version in system.peers before pools open, or from a refused connection).
  it.effect("a mixed cluster (one host refusing v5) keeps every host usable", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      for (let i = 0; i < 6; i++) yield* Session.execute(q)
      const hosts = new Set((yield* MockCluster.activity({ query: q })).map((a) => a.host))
      expect({ version: cluster.protocolVersion, hosts: [...hosts].sort() }).toEqual({
        version: 4,
        hosts: ["127.0.0.1:9042", "127.0.0.2:9042"]
      })
    }).pipe(Effect.provide(env({ mock: { hosts: [{}, { protocolVersions: [3, 4] }] } }))))
})
