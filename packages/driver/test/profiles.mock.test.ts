/**
 * Execution profiles, retry policies per statement and per profile, and speculative execution as a
 * policy, on mock hosts in virtual time (issue 13): what each request is sent with, to which host,
 * how often, and when.
 */
import { Cluster, ExecutionProfile, Retry, Session, SpeculativeExecution, Statement } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import { tick } from "./helpers/mock.ts"

const q = "SELECT * FROM app.users WHERE id = 1"
const row = Answer.rows({ id: "int" }, [{ id: 1 }])

const env = (
  session: Session.SessionOptions,
  mock: MockCluster.MockClusterOptions = { hosts: 3 },
  policies: Layer.Layer<never> = Layer.empty,
  cluster: Partial<Cluster.ClusterOptions> = {}
) =>
  Session.layer(session).pipe(
    Layer.provide(policies),
    Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, ...cluster })),
    Layer.provideMerge(MockCluster.layer(mock))
  )

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const f = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (f?._tag !== "Fail") throw new Error(`expected a Fail, got ${String(exit.cause)}`)
  return f.error
}

/** The consistency and page size each request of `q` reached a host with. */
const sent = Effect.gen(function*() {
  const log = yield* MockCluster.activity({ query: q })
  yield* MockCluster.MockCluster.use((m) => m.clearActivity)
  return log.map((a) => [a.consistency, a.pageSize])
})

const profiles = {
  oltp: { consistency: "LOCAL_QUORUM", fetchSize: 100 },
  analytics: { consistency: "ONE", fetchSize: 10, timeout: "1 minute" }
} as const

describe("execution profiles", () => {
  it.effect("call over statement over profile over session defaults over the constants", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: row })
      yield* Session.execute(q)
      expect(yield* sent).toEqual([["QUORUM", 5000]])
      yield* Session.execute(q, undefined, { profile: "analytics" })
      expect(yield* sent).toEqual([["ONE", 10]])
      yield* Session.execute(q, undefined, { profile: "analytics", consistency: "TWO" })
      expect(yield* sent).toEqual([["TWO", 10]])
      // a statement object's profile and options, under the call's
      const st = Statement.statement(q, undefined, { profile: "oltp", fetchSize: 7 })
      yield* Session.execute(st)
      expect(yield* sent).toEqual([["LOCAL_QUORUM", 7]])
      yield* Session.execute(st, undefined, { profile: "analytics" })
      expect(yield* sent).toEqual([["ONE", 7]])
      // a batch takes the profile too
      yield* Session.batch([{ query: "INSERT INTO app.users (id) VALUES (1)" }], { profile: "oltp" })
      const batch = yield* MockCluster.activity({ kind: "batch" })
      expect(batch.map((a) => a.consistency)).toEqual(["LOCAL_QUORUM"])
    }).pipe(Effect.provide(env({ defaults: { consistency: "QUORUM" }, profiles }))))

  it.effect("ExecutionProfile.with scopes a profile over every request inside it; a named profile wins", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: row })
      const program = Effect.gen(function*() {
        yield* Session.execute(q)
        yield* Session.execute(q, undefined, { fetchSize: 3 })
        yield* Session.execute(q, undefined, { profile: "oltp" })
      })
      yield* ExecutionProfile.with("analytics")(program)
      expect(yield* sent).toEqual([["ONE", 10], ["ONE", 3], ["LOCAL_QUORUM", 100]])
      // outside the region, the session's defaults again; the Effect reads the profile when it runs
      const built = Session.execute(q)
      yield* built
      yield* ExecutionProfile.with("oltp")(built)
      expect(yield* sent).toEqual([["LOCAL_ONE", 5000], ["LOCAL_QUORUM", 100]])
      // a stream inside the region: every page with the profile's fetch size
      const big = "SELECT * FROM app.big"
      yield* MockCluster.prime({ query: big, then: Answer.rows({ id: "int" }, Array.from({ length: 25 }, (_, id) => ({ id }))) })
      const count = yield* ExecutionProfile.with("analytics")(Stream.runCount(Session.stream(big)))
      expect(count).toBe(25)
      expect((yield* MockCluster.activity({ query: big })).map((a) => [a.consistency, a.pageSize])).toEqual([["ONE", 10], ["ONE", 10], ["ONE", 10]])
    }).pipe(Effect.provide(env({ profiles }))))

  it.effect("fibers running at once, each in its own scoped profile (or none), get their own", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: row })
      const three = Effect.forEach([1, 2, 3], () => Effect.andThen(Session.execute(q), Effect.yieldNow), { discard: true })
      // the requests of the three fibers interleave: each is resolved in its own fiber's context
      yield* Effect.all([ExecutionProfile.with("analytics")(three), three, ExecutionProfile.with("oltp")(three)], { concurrency: 3 })
      const log = yield* sent
      const count = (c: string, n: number) => log.filter(([a, b]) => a === c && b === n).length
      expect([count("ONE", 10), count("LOCAL_ONE", 5000), count("LOCAL_QUORUM", 100), log.length]).toEqual([3, 3, 3, 9])
    }).pipe(Effect.provide(env({ profiles }))))

  it.effect("defaults.profile is the profile of requests that name none", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: row })
      yield* Session.execute(q)
      yield* Session.execute(q, undefined, { idempotent: true })
      yield* ExecutionProfile.with("analytics")(Session.execute(q))
      expect(yield* sent).toEqual([["LOCAL_QUORUM", 100], ["LOCAL_QUORUM", 100], ["ONE", 10]])
    }).pipe(Effect.provide(env({ defaults: { profile: "oltp" }, profiles }))))

  it.effect("an unknown profile name is InvalidInput before anything is sent", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.clearActivity
      const named = failure(yield* Effect.exit(Session.execute(q, undefined, { profile: "olap" })))
      expect(named).toMatchObject({
        _tag: "InvalidInput",
        path: "options.profile",
        message: `options.profile: unknown execution profile "olap" (the session's profiles: oltp, analytics)`
      })
      const scoped = failure(yield* Effect.exit(ExecutionProfile.with("olap")(Session.execute(q))))
      expect(scoped).toMatchObject({ _tag: "InvalidInput", path: "ExecutionProfile.with" })
      const scopedWithOptions = failure(yield* Effect.exit(ExecutionProfile.with("olap")(Session.execute(q, undefined, { fetchSize: 1 }))))
      expect(scopedWithOptions).toMatchObject({ _tag: "InvalidInput", path: "ExecutionProfile.with" })
      const batch = failure(yield* Effect.exit(Session.batch([{ query: q }], { profile: "olap" })))
      expect(batch).toMatchObject({ _tag: "InvalidInput", path: "options.profile" })
      expect(yield* mock.activity({ kind: ["query", "batch", "execute", "prepare"] })).toEqual([])
    }).pipe(Effect.provide(env({ profiles }))))

  it.effect("a bad profile or an unknown defaults.profile fails the Session layer with InvalidInput", () =>
    Effect.gen(function*() {
      const build = (options: Session.SessionOptions) =>
        Effect.exit(Layer.build(Session.layer(options).pipe(
          Layer.provide(MockCluster.clusterLayer({ schemaMetadataEnabled: false })),
          Layer.provide(MockCluster.layer({ hosts: 1 }))
        )))
      const cases: ReadonlyArray<readonly [Session.SessionOptions, string]> = [
        [{ profiles: { bad: { consistency: "QUROUM" as never } } }, "profiles.bad.consistency"],
        [{ profiles: { bad: { timeout: 0 } } }, "profiles.bad.timeout"],
        [{ profiles: { bad: { serialConsistency: "ONE" as never } } }, "profiles.bad.serialConsistency"],
        [{ profiles: { bad: { speculativeExecution: { delay: "1 second", maxExecutions: Infinity } } } }, "profiles.bad.speculativeExecution.maxExecutions"],
        [{ profiles }, "ok"],
        [{ profiles, defaults: { profile: "olap" } }, "defaults.profile"]
      ]
      for (const [options, path] of cases) {
        const exit = yield* build(options)
        if (path === "ok") expect(exit._tag).toBe("Success")
        else expect(failure(exit)).toMatchObject({ _tag: "InvalidInput", path })
      }
    }))

  it.effect("a profile's timeout, idempotence and tracing", () =>
    Effect.gen(function*() {
      // the first host stays silent, then answers
      yield* MockCluster.prime({ query: q, then: [Answer.noAnswer, Answer.noAnswer, row] })
      // (the attempt timeout is the profile's timeout: by default an idempotent attempt gives up at half of it)
      const fast = yield* Effect.forkChild(Effect.exit(Session.execute(q, undefined, { profile: "fast", attemptTimeout: "100 millis" })))
      const slow = yield* Effect.forkChild(Effect.exit(Session.execute(q)))
      yield* MockCluster.awaitActivity({ query: q, count: 2 })
      yield* TestClock.adjust("100 millis")
      expect(failure(yield* Fiber.join(fast))).toMatchObject({ _tag: "OperationTimedOut", timeoutMillis: 100 })
      yield* TestClock.adjust("10 seconds")
      expect(failure(yield* Fiber.join(slow))).toMatchObject({ _tag: "OperationTimedOut", timeoutMillis: 10_000 })
      // idempotent by profile: a connection that dies is retried on the next host
      const insert = "INSERT INTO app.users (id) VALUES (1)"
      yield* MockCluster.prime({ query: insert, then: [Answer.closeConnection, Answer.void_] })
      yield* Session.execute(insert, undefined, { profile: "fast" })
      expect((yield* MockCluster.activity({ query: insert })).length).toBe(2)
      yield* MockCluster.prime({ query: insert, then: [Answer.closeConnection, Answer.void_] })
      const nonIdempotent = failure(yield* Effect.exit(Session.execute(insert, undefined, { profile: "fast", idempotent: false })))
      expect(nonIdempotent._tag).toBe("ConnectionError")
      // tracing by profile
      const traced = yield* Session.execute(q, undefined, { profile: "fast" })
      expect(traced.tracingId).toMatch(/^[0-9a-f-]{36}$/)
    }).pipe(Effect.provide(env({ profiles: { fast: { timeout: "100 millis", idempotent: true, tracing: true } } }))))

  it.effect("a profile's load balancing orders its requests' query plans; the others keep the cluster's", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: row })
      for (let i = 0; i < 3; i++) yield* Session.execute(q, undefined, { profile: "last" })
      expect((yield* MockCluster.activity({ query: q })).map((a) => a.hostIndex)).toEqual([2, 2, 2])
      yield* MockCluster.MockCluster.use((m) => m.clearActivity)
      for (let i = 0; i < 3; i++) yield* Session.execute(q)
      expect(new Set((yield* MockCluster.activity({ query: q })).map((a) => a.hostIndex)).size).toBe(3)
    }).pipe(Effect.provide(env({
      profiles: { last: { loadBalancing: { newQueryPlan: ({ hosts }) => [...hosts].reverse().filter((h) => h.isUp), distance: () => "local" } } }
    }))))
})

describe("retry policies per statement and per profile", () => {
  it.effect("the call's retry over the statement's over the profile's over the session's", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.prime({ query: q, then: [Answer.unavailable(), row] })
      // the session's (default) policy: Unavailable goes to the next host
      yield* Session.execute(q)
      expect((yield* mock.activity({ query: q })).length).toBe(2)
      yield* mock.clearActivity
      yield* mock.prime({ query: q, then: [Answer.unavailable(), row] })
      // the profile never retries
      expect(failure(yield* Effect.exit(Session.execute(q, undefined, { profile: "strict" })))._tag).toBe("Unavailable")
      expect((yield* mock.activity({ query: q })).length).toBe(1)
      yield* mock.clearActivity
      yield* mock.prime({ query: q, then: [Answer.unavailable(), row] })
      // the call's policy wins over the profile's
      yield* Session.execute(q, undefined, { profile: "strict", retry: Retry.defaultRetryPolicy })
      expect((yield* mock.activity({ query: q })).length).toBe(2)
      yield* mock.clearActivity
      yield* mock.prime({ query: q, then: [Answer.unavailable(), row] })
      // a statement's policy
      const st = Statement.statement(q, undefined, { retry: Retry.neverRetryPolicy })
      expect(failure(yield* Effect.exit(Session.execute(st)))._tag).toBe("Unavailable")
      expect((yield* mock.activity({ query: q })).length).toBe(1)
      yield* mock.clearActivity
      yield* mock.prime({ query: q, then: [Answer.unavailable(), row] })
      // within ExecutionProfile.with
      expect(failure(yield* Effect.exit(ExecutionProfile.with("strict")(Session.execute(q))))._tag).toBe("Unavailable")
      expect((yield* mock.activity({ query: q })).length).toBe(1)
    }).pipe(Effect.provide(env({ profiles: { strict: { retry: Retry.neverRetryPolicy } } }))))

  it.effect("downgrading consistency: unavailable and read timeouts retry on the same host at what the replicas give", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.prime({ query: q, consistency: "QUORUM", then: Answer.unavailable({ consistency: "QUORUM", required: 3, alive: 2 }) })
      yield* mock.prime({ query: q, consistency: "TWO", then: row })
      const rs = yield* Session.execute(q, undefined, { consistency: "QUORUM", retry: Retry.downgradingConsistencyRetryPolicy })
      expect(rs.rows).toEqual([{ id: 1 }])
      const log = yield* mock.activity({ query: q })
      expect(log.map((a) => [a.consistency, a.answer])).toEqual([["QUORUM", "Error(UNAVAILABLE)"], ["TWO", "Rows(1)"]])
      expect(log[1]!.host).toBe(log[0]!.host)
      yield* mock.clearActivity
      yield* mock.clearPrimes
      // one replica answered of two: retried at ONE
      yield* mock.prime({ query: q, consistency: "LOCAL_QUORUM", then: Answer.readTimeout({ consistency: "LOCAL_QUORUM", received: 1, blockFor: 2, dataPresent: false }) })
      yield* mock.prime({ query: q, consistency: "ONE", then: row })
      yield* Session.execute(q, undefined, { consistency: "LOCAL_QUORUM", profile: "downgrading" })
      expect((yield* mock.activity({ query: q })).map((a) => a.consistency)).toEqual(["LOCAL_QUORUM", "ONE"])
      yield* mock.clearActivity
      yield* mock.clearPrimes
      // no replica alive: rethrown, one request
      yield* mock.prime({ query: q, then: Answer.unavailable({ consistency: "QUORUM", required: 2, alive: 0 }) })
      const none = failure(yield* Effect.exit(Session.execute(q, undefined, { consistency: "QUORUM", profile: "downgrading" })))
      expect(none).toMatchObject({ _tag: "Unavailable", alive: 0 })
      expect((yield* mock.activity({ query: q })).length).toBe(1)
    }).pipe(Effect.provide(env({ profiles: { downgrading: { retry: Retry.downgradingConsistencyRetryPolicy } } }))))

  it.effect("downgrading consistency: a write acknowledged by one replica is ignored (an empty result), once", () =>
    Effect.gen(function*() {
      const insert = "INSERT INTO app.users (id) VALUES (1)"
      yield* MockCluster.prime({ query: insert, then: Answer.writeTimeout({ consistency: "QUORUM", received: 1, blockFor: 2, writeType: "SIMPLE" }) })
      const rs = yield* Session.execute(insert, undefined, { consistency: "QUORUM", retry: Retry.downgradingConsistencyRetryPolicy })
      expect(rs.rows).toEqual([])
      expect((yield* MockCluster.activity({ query: insert })).length).toBe(1)
      // acknowledged by none: rethrown
      yield* MockCluster.prime({ query: insert, then: Answer.writeTimeout({ consistency: "QUORUM", received: 0, blockFor: 2, writeType: "SIMPLE" }) })
      const error = failure(yield* Effect.exit(Session.execute(insert, undefined, { consistency: "QUORUM", retry: Retry.downgradingConsistencyRetryPolicy })))
      expect(error).toMatchObject({ _tag: "WriteTimeout", received: 0 })
    }).pipe(Effect.provide(env({}))))

  it.effect("idempotence-aware write-timeout retry: an idempotent write is retried on the same host, a non-idempotent one is not", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const insert = "INSERT INTO app.users (id) VALUES (1)"
      const retry = Retry.idempotentWriteTimeoutRetryPolicy()
      yield* mock.prime({ query: insert, then: [Answer.writeTimeout({ writeType: "SIMPLE", received: 0, blockFor: 1 }), Answer.void_] })
      yield* Session.execute(insert, undefined, { idempotent: true, retry })
      const log = yield* mock.activity({ query: insert })
      expect(log.map((a) => a.answer)).toEqual(["Error(WRITE_TIMEOUT)", "Void"])
      expect(log[1]!.host).toBe(log[0]!.host)
      yield* mock.clearActivity
      yield* mock.prime({ query: insert, then: [Answer.writeTimeout({ writeType: "SIMPLE", received: 0, blockFor: 1 }), Answer.void_] })
      expect(failure(yield* Effect.exit(Session.execute(insert, undefined, { retry })))._tag).toBe("WriteTimeout")
      expect((yield* mock.activity({ query: insert })).length).toBe(1)
      yield* mock.clearActivity
      // a counter write is never replayed, idempotent or not
      yield* mock.prime({ query: insert, then: [Answer.writeTimeout({ writeType: "COUNTER", received: 0, blockFor: 1 }), Answer.void_] })
      expect(failure(yield* Effect.exit(Session.execute(insert, undefined, { idempotent: true, retry })))._tag).toBe("WriteTimeout")
      expect((yield* mock.activity({ query: insert })).length).toBe(1)
    }).pipe(Effect.provide(env({}))))
})

describe("speculative execution as a policy", () => {
  it.effect("the constant policy: an extra execution every delay, from a profile", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: [Answer.delayed("1 second", row), Answer.delayed("1 second", row), row] })
      const fiber = yield* Effect.forkChild(Session.execute(q, undefined, { profile: "spec" }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("150 millis")
      yield* MockCluster.awaitActivity({ query: q, count: 2 })
      yield* TestClock.adjust("150 millis")
      const rs = yield* Fiber.join(fiber)
      const log = yield* MockCluster.activity({ query: q })
      expect(log.map((a) => a.at)).toEqual([0, 150, 300])
      expect(new Set(log.map((a) => a.host)).size).toBe(3)
      expect(rs.host.endpoint).toBe(log[2]!.host)
    }).pipe(Effect.provide(env({
      profiles: { spec: { idempotent: true, speculativeExecution: SpeculativeExecution.constant({ delay: "150 millis", maxExecutions: 2 }) } }
    }))))

  it.effect("a failure the retry policy rethrows ends every execution: a SyntaxError is one request", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.syntaxError({ message: "line 1:0 no viable alternative" }) })
      const exit = yield* Effect.exit(Session.execute(q, undefined, {
        idempotent: true,
        speculativeExecution: { delay: "100 millis", maxExecutions: 2 }
      }))
      expect(failure(exit)._tag).toBe("SyntaxError")
      yield* TestClock.adjust("1 second")
      expect((yield* MockCluster.activity({ query: q })).map((a) => a.at)).toEqual([0])
      yield* MockCluster.MockCluster.use((m) => m.clearActivity)
      // a slow SyntaxError (150 ms) after the second execution started (100 ms): the first to end decides,
      // the second is interrupted and the third (200 ms) never starts
      yield* MockCluster.prime({ query: q, then: Answer.delayed("150 millis", Answer.syntaxError({ message: "slow" })) })
      const start = yield* Clock.currentTimeMillis
      const slow = yield* Effect.forkChild(Effect.exit(Session.execute(q, undefined, {
        idempotent: true,
        speculativeExecution: { delay: "100 millis", maxExecutions: 2 }
      })))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("100 millis")
      yield* MockCluster.awaitActivity({ query: q, count: 2 })
      yield* TestClock.adjust("50 millis")
      expect(failure(yield* Fiber.join(slow))).toMatchObject({ _tag: "SyntaxError", message: "slow" })
      yield* TestClock.adjust("1 second")
      expect((yield* MockCluster.activity({ query: q })).map((a) => a.at - start)).toEqual([0, 100])
    }).pipe(Effect.provide(env({}))))

  it.effect("an execution that runs out of hosts leaves the others running", () =>
    Effect.gen(function*() {
      // two hosts, two extra executions: the third finds no host left while the second still waits
      yield* MockCluster.prime({ query: q, then: [Answer.delayed("1 second", row), Answer.delayed("250 millis", row)] })
      const fiber = yield* Effect.forkChild(Session.execute(q, undefined, {
        idempotent: true,
        speculativeExecution: { delay: "100 millis", maxExecutions: 2 }
      }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("100 millis")
      yield* MockCluster.awaitActivity({ query: q, count: 2 })
      yield* TestClock.adjust("100 millis")
      yield* TestClock.adjust("150 millis")
      const rs = yield* Fiber.join(fiber)
      const log = yield* MockCluster.activity({ query: q })
      expect(log.map((a) => a.at)).toEqual([0, 100])
      expect(rs.host.endpoint).toBe(log[1]!.host)
    }).pipe(Effect.provide(env({}, { hosts: 2 }))))

  it.effect("maxExecutions Infinity, negative or fractional, and a bad percentile, are InvalidInput before anything is sent", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.clearActivity
      const cases: ReadonlyArray<readonly [Statement.ExecuteOptions["speculativeExecution"], string]> = [
        [{ delay: "10 millis", maxExecutions: Infinity }, "options.speculativeExecution.maxExecutions"],
        [{ delay: "10 millis", maxExecutions: -1 }, "options.speculativeExecution.maxExecutions"],
        [{ delay: "10 millis", maxExecutions: 1.5 }, "options.speculativeExecution.maxExecutions"],
        [SpeculativeExecution.constant({ delay: "10 millis", maxExecutions: Number.NaN }), "options.speculativeExecution.maxExecutions"],
        [SpeculativeExecution.percentile({ percentile: 100, maxExecutions: 1 }), "options.speculativeExecution.percentile"],
        [SpeculativeExecution.percentile({ percentile: 99, maxExecutions: 1, minSamples: 0 }), "options.speculativeExecution.minSamples"]
      ]
      for (const [speculativeExecution, path] of cases) {
        // idempotent or not: the option is bad either way
        for (const idempotent of [true, false]) {
          const error = failure(yield* Effect.exit(Session.execute(q, undefined, { idempotent, speculativeExecution })))
          expect(error).toMatchObject({ _tag: "InvalidInput", path })
        }
      }
      expect(yield* mock.activity({ kind: ["query", "batch", "execute"] })).toEqual([])
    }).pipe(Effect.provide(env({}))))

  it.effect("the session's policy from SpeculativeExecution.layer; `none` per call turns it off", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: [Answer.delayed("1 second", row), row] })
      const fiber = yield* Effect.forkChild(Session.execute(q, undefined, { idempotent: true }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("50 millis")
      yield* Fiber.join(fiber)
      expect((yield* MockCluster.activity({ query: q })).map((a) => a.at)).toEqual([0, 50])
      yield* MockCluster.MockCluster.use((m) => m.clearActivity)
      yield* MockCluster.prime({ query: q, then: Answer.delayed("1 second", row) })
      const start = yield* Clock.currentTimeMillis
      const off = yield* Effect.forkChild(Session.execute(q, undefined, { idempotent: true, speculativeExecution: SpeculativeExecution.none }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(off)
      expect((yield* MockCluster.activity({ query: q })).map((a) => a.at - start)).toEqual([0])
    }).pipe(Effect.provide(env({}, { hosts: 2 }, SpeculativeExecution.layer(SpeculativeExecution.constant({ delay: "50 millis", maxExecutions: 1 }))))))

  it.effect("the percentile policy: the fallback delay until the host has enough answers, then its p-th percentile latency", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      // the profile's query plans always start at host 0
      const warm = (latency: Duration.Input) =>
        Effect.gen(function*() {
          yield* mock.prime({ query: q, then: Answer.delayed(latency, row), times: 1 })
          const fiber = yield* Effect.forkChild(Session.execute(q, undefined, { profile: "p" }))
          yield* MockCluster.awaitActivity({ query: q })
          yield* TestClock.adjust(latency)
          yield* Fiber.join(fiber)
          yield* mock.clearActivity
        })
      // not enough answers yet: the fallback (100 ms) is the delay
      yield* mock.prime({ query: q, host: 0, then: Answer.delayed("1 second", row), times: 1 })
      yield* mock.prime({ query: q, host: 1, then: row, times: 1 })
      const cold = yield* Effect.forkChild(Session.execute(q, undefined, { profile: "p" }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(cold)
      expect((yield* mock.activity({ query: q })).map((a) => [a.hostIndex, a.at])).toEqual([[0, 0], [1, 100]])
      // the losing execution's late answer (1 s) is a latency of host 0 too
      yield* TestClock.adjust("1 second")
      for (let i = 0; i < 10; i++) yield* tick
      yield* mock.clearActivity
      // then host 0 answers in 20, 40 and 30 ms: the window keeps those three, their median is 30 ms
      yield* warm("20 millis")
      yield* warm("40 millis")
      yield* warm("30 millis")
      yield* mock.prime({ query: q, host: 0, then: Answer.delayed("1 second", row), times: 1 })
      yield* mock.prime({ query: q, host: 1, then: row, times: 1 })
      const start = yield* Clock.currentTimeMillis
      const hot = yield* Effect.forkChild(Session.execute(q, undefined, { profile: "p" }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("29 millis")
      expect((yield* mock.activity({ query: q })).length).toBe(1)
      yield* TestClock.adjust("1 millis")
      const rs = yield* Fiber.join(hot)
      expect((yield* mock.activity({ query: q })).map((a) => [a.hostIndex, a.at - start])).toEqual([[0, 0], [1, 30]])
      expect(rs.host.endpoint).toBe("127.0.0.2:9042")
    }).pipe(Effect.provide(env({
      profiles: {
        p: {
          idempotent: true,
          loadBalancing: { newQueryPlan: ({ hosts }) => hosts.filter((h) => h.isUp), distance: () => "local" },
          speculativeExecution: SpeculativeExecution.percentile({ percentile: 50, maxExecutions: 1, minSamples: 3, window: 3 })
        }
      }
    }, { hosts: 2 }))))
})
