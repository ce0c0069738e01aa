/**
 * Driver features that need a server to behave in a particular way, on mock hosts: speculative
 * executions (timed on the TestClock), server events (STATUS_CHANGE UP, SCHEMA_CHANGE), tracing and
 * server warnings.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import { env, eventually, tick } from "./helpers/mock.ts"


const q = "SELECT * FROM app.users WHERE id = 1"
const row = Answer.rows({ id: "int" }, [{ id: 1 }])

describe("speculative execution", () => {
  it.effect("starts on the next host after its delay; the first answer wins", () =>
    Effect.gen(function*() {
      // whichever host gets the request first answers after 1 s, the next one at once
      yield* MockCluster.prime({ query: q, then: [Answer.delayed("1 second", row), row] })
      const fiber = yield* Effect.forkChild(Session.execute(q, undefined, {
        idempotent: true,
        speculativeExecution: { delay: "200 millis", maxExecutions: 2 }
      }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("199 millis")
      expect((yield* MockCluster.activity({ query: q })).length).toBe(1)
      yield* TestClock.adjust("1 millis")
      const rs = yield* Fiber.join(fiber)
      const log = yield* MockCluster.activity({ query: q })
      expect(log.map((a) => [a.at, a.answer])).toEqual([[0, "Rows(1) after 1s"], [200, "Rows(1)"]])
      expect(log[1]!.host).not.toBe(log[0]!.host)
      expect(rs.host.endpoint).toBe(log[1]!.host)
      // the third execution (at 400 ms) never started
      yield* TestClock.adjust("2 seconds")
      expect((yield* MockCluster.activity({ query: q })).length).toBe(2)
    }).pipe(Effect.provide(env())))

  it.effect("is not used for non-idempotent statements", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.delayed("1 second", row) })
      const fiber = yield* Effect.forkChild(Session.execute(q, undefined, { speculativeExecution: { delay: "100 millis", maxExecutions: 2 } }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect((yield* MockCluster.activity({ query: q })).length).toBe(1)
    }).pipe(Effect.provide(env())))
})

describe("server events", () => {
  it.effect("STATUS_CHANGE UP: the driver reconnects to a down host at once, without waiting for its schedule", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      yield* mock.hostDown(1)
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === false, "host 2 down")
      yield* mock.hostUp(1, { notify: true })
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === true, "host 2 up again")
      expect((yield* mock.host(1)).connections).toBeGreaterThan(0)
    }).pipe(Effect.provide(env({ hosts: 2 }, { reconnection: Schedule.spaced("1 hour") }))))

  it.effect("SCHEMA_CHANGE events reach Cluster.schemaChanges", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const mock = yield* MockCluster.MockCluster
      const fiber = yield* Effect.forkChild(Stream.runHead(cluster.schemaChanges))
      yield* tick
      const sent = yield* mock.schemaChange({ changeType: "CREATED", target: "TABLE", keyspace: "app", name: "t" })
      expect(sent).toBe(1) // the control connection registered for it
      const event = yield* Fiber.join(fiber)
      expect(event).toMatchObject({ _tag: "Some", value: { type: "SCHEMA_CHANGE", change: { target: "TABLE", name: "t" } } })
    }).pipe(Effect.provide(env({ hosts: 2 }))))
})

describe("tracing and warnings", () => {
  it.effect("a traced request gets a tracing id; its trace is read from system_traces", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: row })
      const rs = yield* Session.execute(q, undefined, { tracing: true })
      expect(rs.tracingId).toMatch(/^[0-9a-f-]{36}$/)
      const trace = yield* rs.trace
      expect(trace).toMatchObject({ sessionId: rs.tracingId, coordinator: rs.host.address, request: q })
      expect(trace.events.length).toBe(1)
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("server warnings come with the result", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.rows({ id: "int" }, [{ id: 1 }], { warnings: ["Aggregation query used without partition key"] }) })
      const rs = yield* Session.execute(q)
      expect(rs.warnings).toEqual(["Aggregation query used without partition key"])
    }).pipe(Effect.provide(env({ hosts: 1 }))))
})
