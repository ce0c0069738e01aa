/**
 * Connection-level behaviour on mock hosts: stream ids of interrupted requests, several connections
 * per host, heartbeats on idle connections.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Tracer from "effect/Tracer"
import { TestClock } from "effect/testing"
import { env, eventually, tick } from "./helpers/mock.ts"

const slow = "SELECT * FROM app.slow"
const fast = "SELECT * FROM app.fast"

describe("stream ids", () => {
  it.effect("an interrupted request keeps its stream id until its late answer; no answer goes to the wrong request", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: slow, then: Answer.delayed("1 second", Answer.rows({ v: "text" }, [{ v: "slow" }])) })
      yield* MockCluster.prime({ query: fast, then: Answer.rows({ v: "text" }, [{ v: "fast" }]) })
      const fiber = yield* Effect.forkChild(Session.execute(slow))
      const [slowRequest] = yield* MockCluster.awaitActivity({ query: slow, count: 1 })
      yield* Fiber.interrupt(fiber)
      // while the slow answer is pending, its id is not reused
      for (let i = 0; i < 5; i++) {
        const rs = yield* Session.execute(fast)
        expect(rs.rows).toEqual([{ v: "fast" }])
      }
      const fastStreams = (yield* MockCluster.activity({ query: fast })).map((a) => a.stream)
      expect(fastStreams).not.toContain(slowRequest!.stream)
      // the late answer arrives and is dropped; the connection keeps working
      yield* TestClock.adjust("1 second")
      yield* tick
      const after = yield* Session.execute(fast)
      expect(after.rows).toEqual([{ v: "fast" }])
    }).pipe(Effect.provide(env({ hosts: 1 }))))
})

describe("connections per host", () => {
  it.effect("requests spread over the host's connections", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: slow, then: Answer.delayed("100 millis", Answer.void) })
      const fibers = yield* Effect.forEach(Array.from({ length: 8 }), () => Effect.forkChild(Session.execute(slow)))
      yield* MockCluster.awaitActivity({ query: slow, count: 8 })
      yield* TestClock.adjust("100 millis")
      yield* Effect.forEach(fibers, Fiber.join)
      const connections = new Set((yield* MockCluster.activity({ query: slow })).map((a) => a.connection))
      expect(connections.size).toBe(2)
    }).pipe(Effect.provide(env({ hosts: 1 }, { connectionsPerHost: 2 }))))
})

describe("heartbeats", () => {
  it.effect("an idle connection sends OPTIONS; one whose host stopped answering is closed and the host marked down", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const mock = yield* MockCluster.MockCluster
      const before = (yield* MockCluster.activity({ host: 1, kind: "options", includeControl: true })).length
      yield* TestClock.adjust("2 seconds")
      yield* tick
      const after = (yield* MockCluster.activity({ host: 1, kind: "options", includeControl: true })).length
      expect(after).toBeGreaterThan(before)
      yield* mock.hostUnresponsive(1)
      // the heartbeat goes unanswered for an interval: the connection is closed; the immediate
      // reconnection's handshake then times out (connectTimeout 5 s) and the host is marked down
      for (let i = 0; i < 12; i++) {
        yield* TestClock.adjust("1 second")
        yield* tick
      }
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === false, "127.0.0.2 marked down after a failed heartbeat")
    }).pipe(Effect.provide(env({ hosts: 2 }, { idleHeartbeatInterval: "1 second", reconnection: undefined }))))

  it.effect("a connection written to within each interval sends no heartbeat; idle, it sends one per interval", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: fast, then: Answer.rows({ v: "text" }, [{ v: "fast" }]) })
      yield* Session.execute(fast)
      const [first] = yield* MockCluster.activity({ query: fast })
      // the session's connection (the control connection has heartbeats of its own)
      const heartbeats = Effect.map(MockCluster.activity({ host: 0, kind: "options", includeControl: true }), (a) => a.filter((x) => x.connection === first!.connection).length)
      const start = yield* heartbeats
      // busy: a request every 400 ms for 4 s
      for (let i = 0; i < 10; i++) {
        yield* Session.execute(fast)
        yield* TestClock.adjust("400 millis")
        yield* tick
      }
      expect(yield* heartbeats).toBe(start)
      // idle for 4.5 s: one heartbeat per interval (the heartbeat's own write does not make it busy)
      for (let i = 0; i < 9; i++) {
        yield* TestClock.adjust("500 millis")
        yield* tick
      }
      const idle = (yield* heartbeats) - start
      expect(idle).toBeGreaterThanOrEqual(3)
      expect(idle).toBeLessThanOrEqual(5)
    }).pipe(Effect.provide(env({ hosts: 1 }, { idleHeartbeatInterval: "1 second" }))))
})

describe("spans", () => {
  it.effect("a client span per execute with the database attributes (spans are on by default)", () =>
    Effect.gen(function*() {
      const spans: Array<Tracer.Span> = []
      const recording = Tracer.make({
        span(options) {
          const span = Tracer.nativeTracer.span(options)
          spans.push(span)
          return span
        }
      })
      yield* MockCluster.prime({ query: fast, then: Answer.rows({ v: "text" }, [{ v: "fast" }]) })
      yield* Session.execute(fast).pipe(Effect.withTracer(recording))
      const span = spans.find((s) => s.name === "SELECT app.fast")
      expect(span?.kind).toBe("client")
      expect(span?.attributes.get("db.system.name")).toBe("cassandra")
      expect(span?.attributes.get("db.query.text")).toBe(fast)
    }).pipe(Effect.provide(
      env({ hosts: 1 })
    )))
})

describe("a host that stops answering under load", () => {
  it.effect("after defunctTimeoutThreshold timeouts in a row the connection is closed and replaced; an answer resets the count", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.prime({ query: slow, then: Answer.noAnswer })
      const attempts = () => Effect.map(mock.host(0), (h) => h.connectAttempts)
      const start = yield* attempts()
      const timedOut = (n: number) =>
        Effect.gen(function*() {
          const fibers: Array<Fiber.Fiber<unknown, unknown>> = []
          for (let i = 0; i < n; i++) fibers.push(yield* Effect.forkChild(Effect.exit(Session.execute(slow, [], { timeout: "1 second" }))))
          yield* MockCluster.awaitActivity({ query: slow, count: n })
          yield* TestClock.adjust("1100 millis")
          for (const f of fibers) expect(JSON.stringify(yield* Fiber.join(f))).toMatch(/OperationTimedOut/)
          yield* mock.clearActivity
        })
      // three timeouts, an answer, three more: never four in a row
      yield* timedOut(3)
      yield* Session.execute(fast)
      yield* timedOut(3)
      for (let i = 0; i < 10; i++) yield* tick
      expect(yield* attempts()).toBe(start)
      // the fourth in a row: the connection is given up and a new one opened
      yield* Session.execute(fast)
      yield* timedOut(4)
      // its host's only connection: reconnected after the reconnection Schedule's first delay (1 s, jittered)
      yield* TestClock.adjust("2 seconds")
      yield* eventually(() => Effect.runSync(attempts()) === start + 1, "a new connection")
      expect((yield* Session.execute(fast)).rows).toEqual([])
    }).pipe(Effect.provide(env({ hosts: 1 }, { defunctTimeoutThreshold: 4 }))))
})
