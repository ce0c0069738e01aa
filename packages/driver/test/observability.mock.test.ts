/**
 * Spans and metrics by the OpenTelemetry database conventions, on mock hosts: a recording tracer, the
 * @effect/opentelemetry tracer with an in-memory exporter, Effect Metrics per session and host.
 */
import { Metrics, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import { describe, expect, it } from "@effect/vitest"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { TestClock } from "effect/testing"
import { parseTarget, spanName } from "../src/internal/observability/instrument.ts"

const env = (session: Session.SessionOptions = {}, hosts = 1) =>
  Session.layer(session).pipe(
    Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false })),
    Layer.provideMerge(MockCluster.layer({ hosts }))
  )

/** A tracer that keeps every span it makes (Effect's native spans, so attributes are readable). */
const recorder = () => {
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span(options) {
      const span = Tracer.nativeTracer.span(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

const attrs = (span: Tracer.Span | undefined) => Object.fromEntries(span?.attributes ?? [])

const select = "SELECT id, name FROM app.users WHERE id = ?"
const row = Answer.rows({ id: "int", name: "text" }, [{ id: 1, name: "ada" }])

describe("span names and targets", () => {
  it("the verb, and the table as the statement names it", () => {
    expect(parseTarget("SELECT * FROM app.users WHERE id = ?")).toEqual({ operation: "SELECT", keyspace: "app", table: "users" })
    expect(parseTarget("  insert into Users (id) values (?)")).toEqual({ operation: "INSERT", keyspace: undefined, table: "Users" })
    expect(parseTarget("UPDATE \"App\".\"Big Table\" SET v = 1")).toEqual({ operation: "UPDATE", keyspace: "App", table: "Big Table" })
    expect(parseTarget("DELETE v FROM ks.t WHERE k = 1")).toEqual({ operation: "DELETE", keyspace: "ks", table: "t" })
    expect(parseTarget("CREATE TABLE IF NOT EXISTS ks.t (k int PRIMARY KEY)")).toEqual({ operation: "CREATE", keyspace: "ks", table: "t" })
    expect(parseTarget("TRUNCATE TABLE ks.t")).toEqual({ operation: "TRUNCATE", keyspace: "ks", table: "t" })
    expect(parseTarget("CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {}")).toEqual({ operation: "CREATE", keyspace: "ks", table: undefined })
    expect(parseTarget("USE other")).toEqual({ operation: "USE", keyspace: "other", table: undefined })
    expect(parseTarget("BEGIN BATCH INSERT INTO t (k) VALUES (1); APPLY BATCH")).toEqual({ operation: "BATCH", keyspace: undefined, table: undefined })
    expect(parseTarget("/* hint */ -- note\nSELECT now() FROM system.local")).toEqual({ operation: "SELECT", keyspace: "system", table: "local" })
  })
  it("{VERB} {keyspace}.{table}, else the keyspace, else the verb", () => {
    const op = { name: "SELECT", namespace: "app", collection: "users", query: "", batchSize: undefined }
    expect(spanName(op)).toBe("SELECT app.users")
    expect(spanName({ ...op, collection: undefined })).toBe("SELECT app")
    expect(spanName({ ...op, namespace: undefined, collection: undefined })).toBe("SELECT")
  })
})

describe("spans", () => {
  it.effect("a client span per execute with the database and Cassandra attributes; the coordinator at the end", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recorder()
      yield* MockCluster.prime({ query: select, then: row })
      yield* Session.execute(select, [1], { consistency: "QUORUM", idempotent: true, fetchSize: 100 }).pipe(Effect.withTracer(tracer))
      // a simple statement with values is prepared first (its PREPARE has a span of its own)
      expect(spans.map((s) => s.name)).toEqual(["PREPARE app.users", "SELECT app.users"])
      const span = spans[1]!
      expect(span.kind).toBe("client")
      expect(span.status._tag).toBe("Ended")
      expect(attrs(span)).toEqual({
        "db.system.name": "cassandra",
        "db.operation.name": "SELECT",
        "db.namespace": "app",
        "db.collection.name": "users",
        "db.query.text": select,
        "cassandra.consistency.level": "quorum",
        "cassandra.query.idempotent": true,
        "cassandra.page.size": 100,
        "server.address": "127.0.0.1",
        "server.port": 9042,
        "network.peer.address": "127.0.0.1",
        "network.peer.port": 9042,
        "cassandra.coordinator.dc": "dc1",
        "cassandra.coordinator.id": expect.any(String),
        "cassandra.speculative_execution.count": 0,
        "db.response.returned_rows": 1
      })
    }).pipe(Effect.provide(env())))

  it.effect("the session's keyspace is db.namespace when the statement names none; a prepared statement's metadata names the table", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recorder()
      const unqualified = "SELECT name FROM users WHERE id = ?"
      const prepared = "SELECT name FROM app.users WHERE id = ?"
      yield* MockCluster.prime({ query: unqualified, then: row })
      yield* MockCluster.prime({ query: prepared, variables: { id: "int" }, then: row })
      yield* Effect.gen(function*() {
        yield* Session.execute(unqualified, [1])
        const p = yield* Session.prepare(prepared)
        yield* Session.execute(p, [1])
      }).pipe(Effect.withTracer(tracer))
      // the simple statement with values is prepared first, in the session's keyspace
      expect(spans.map((s) => s.name)).toEqual(["PREPARE shop.users", "SELECT shop.users", "PREPARE app.users", "SELECT app.users"])
      expect(attrs(spans[2])["db.query.text"]).toBe(prepared)
      expect(attrs(spans[3])["db.collection.name"]).toBe("users")
    }).pipe(Effect.provide(env({ keyspace: "shop" }))))

  it.effect("a server error: error.type and db.response.status_code are its protocol code; the span fails", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recorder()
      const bad = "SELECT * FROM app.missing"
      yield* MockCluster.prime({ query: bad, then: Answer.invalid({ message: "unconfigured table missing" }) })
      const error = yield* Effect.flip(Session.execute(bad).pipe(Effect.withTracer(tracer)))
      expect(error._tag).toBe("InvalidRequest")
      const span = spans[0]!
      expect(span.name).toBe("SELECT app.missing")
      expect(attrs(span)["error.type"]).toBe("0x2200")
      expect(attrs(span)["db.response.status_code"]).toBe("0x2200")
      expect(attrs(span)["db.response.returned_rows"]).toBeUndefined()
      expect(span.status._tag === "Ended" && span.status.exit._tag).toBe("Failure")
    }).pipe(Effect.provide(env())))

  it.effect("a client error has no status code: error.type is its tag", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recorder()
      const slow = "SELECT * FROM app.slow"
      yield* MockCluster.prime({ query: slow, then: Answer.noAnswer })
      const fiber = yield* Effect.forkChild(Effect.flip(Session.execute(slow, [], { timeout: "1 second" }).pipe(Effect.withTracer(tracer))))
      yield* MockCluster.awaitActivity({ query: slow, count: 1 })
      yield* TestClock.adjust("1100 millis")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("OperationTimedOut")
      expect(attrs(spans[0])["error.type"]).toBe("OperationTimedOut")
      expect(attrs(spans[0])["db.response.status_code"]).toBeUndefined()
    }).pipe(Effect.provide(env())))

  it.effect("batches: BATCH {VERB} and db.operation.batch.size; one entry is a single operation", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recorder()
      const a = "INSERT INTO app.users (id, name) VALUES (1, 'a')"
      const b = "INSERT INTO app.users (id, name) VALUES (2, 'b')"
      const c = "DELETE FROM app.other WHERE id = 3"
      yield* Effect.gen(function*() {
        yield* Session.batch([{ query: a }, { query: b }])
        yield* Session.batch([{ query: a }, { query: c }], { type: "unlogged" })
        yield* Session.batch([{ query: a }])
      }).pipe(Effect.withTracer(tracer))
      expect(spans.map((s) => s.name)).toEqual(["BATCH INSERT app.users", "BATCH app", "INSERT app.users"])
      expect(attrs(spans[0])["db.operation.batch.size"]).toBe(2)
      expect(attrs(spans[0])["db.query.text"]).toBe(`${a}; ${b}`)
      expect(attrs(spans[1])["db.operation.name"]).toBe("BATCH")
      expect(attrs(spans[1])["db.collection.name"]).toBeUndefined()
      expect(attrs(spans[2])["db.operation.batch.size"]).toBeUndefined()
      expect(attrs(spans[0])["cassandra.page.size"]).toBeUndefined()
    }).pipe(Effect.provide(env())))

  it.effect("Session.stream: a span per page, each with the rows it returned", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recorder()
      const q = "SELECT v FROM app.numbers"
      yield* MockCluster.prime({ query: q, then: Answer.rows({ v: "int" }, Array.from({ length: 5 }, (_, v) => ({ v }))) })
      const rows = yield* Stream.runCollect(Session.stream(q, [], { fetchSize: 2 })).pipe(Effect.withTracer(tracer))
      expect(rows.length).toBe(5)
      expect(spans.map((s) => s.name)).toEqual(["SELECT app.numbers", "SELECT app.numbers", "SELECT app.numbers"])
      expect(spans.map((s) => attrs(s)["db.response.returned_rows"])).toEqual([2, 2, 1])
    }).pipe(Effect.provide(env())))

  it.effect("prepare: true prepares under its own span inside the caller's", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recorder()
      yield* MockCluster.prime({ query: select, variables: { id: "int" }, then: row })
      yield* Session.execute(select, [1], { prepare: true }).pipe(Effect.withSpan("caller"), Effect.withTracer(tracer))
      const caller = spans.find((s) => s.name === "caller")!
      const names = spans.filter((s) => s !== caller).map((s) => s.name)
      expect(names).toEqual(["PREPARE app.users", "SELECT app.users"])
      for (const s of spans.filter((s) => s !== caller)) expect(s.parent._tag === "Some" && s.parent.value.spanId).toBe(caller.spanId)
    }).pipe(Effect.provide(env())))

  it.effect("speculative executions are counted on the span", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recorder()
      const q = "SELECT * FROM app.spec"
      yield* MockCluster.prime({ query: q, host: 0, then: Answer.noAnswer })
      yield* MockCluster.prime({ query: q, then: Answer.delayed("1 second", Answer.rows({ v: "int" }, [{ v: 1 }])) })
      const fiber = yield* Effect.forkChild(
        Session.execute(q, [], { idempotent: true, speculativeExecution: { delay: "100 millis", maxExecutions: 1 } }).pipe(Effect.withTracer(tracer))
      )
      yield* MockCluster.awaitActivity({ query: q, count: 1 })
      yield* TestClock.adjust("100 millis")
      yield* MockCluster.awaitActivity({ query: q, count: 2 })
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(attrs(spans[0])["cassandra.speculative_execution.count"]).toBe(1)
      expect(attrs(spans[0])["server.address"]).toBe("127.0.0.2")
    }).pipe(Effect.provide(env({}, 2))))

  it.effect("without a tracer installed no span is made; spans: false skips the check too", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: select, then: row })
      const made: Array<string> = []
      const native = Tracer.nativeTracer as { span: Tracer.Tracer["span"] }
      const original = native.span
      native.span = function(options) {
        made.push(options.name)
        return original.call(this, options)
      }
      try {
        yield* Session.execute(select, [1])
        yield* Session.execute(select, [1]).pipe(Effect.withSpan("mine"))
      } finally {
        native.span = original
      }
      // the user's own span is made by the native tracer; the driver makes none
      expect(made).toEqual(["mine"])
    }).pipe(Effect.provide(env())))

  it.effect("spans: false: no span even with a tracer", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recorder()
      yield* MockCluster.prime({ query: select, then: row })
      yield* Session.execute(select, [1]).pipe(Effect.withTracer(tracer))
      expect(spans).toEqual([])
    }).pipe(Effect.provide(env({ spans: false }))))

  it.effect("@effect/opentelemetry: the spans reach an OpenTelemetry exporter with their attributes and status", () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const otel = OtelTracer.layer.pipe(Layer.provide(Layer.succeed(OtelTracer.OtelTracerProvider, provider)))
    return Effect.gen(function*() {
      const bad = "SELECT * FROM app.missing"
      yield* MockCluster.prime({ query: select, then: row })
      yield* MockCluster.prime({ query: bad, then: Answer.syntaxError({ message: "line 1" }) })
      yield* Session.execute(select, [1]).pipe(Effect.withSpan("request"))
      yield* Effect.flip(Session.execute(bad))
      const finished = exporter.getFinishedSpans()
      const ok = finished.find((s) => s.name === "SELECT app.users")!
      const request = finished.find((s) => s.name === "request")!
      expect(ok.kind).toBe(2) // SpanKind.CLIENT
      expect(ok.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
      expect(ok.attributes).toMatchObject({
        "db.system.name": "cassandra",
        "db.namespace": "app",
        "db.collection.name": "users",
        "db.operation.name": "SELECT",
        "server.address": "127.0.0.1",
        "db.response.returned_rows": 1
      })
      const failed = finished.find((s) => s.name === "SELECT app.missing")!
      expect(failed.status.code).toBe(2) // SpanStatusCode.ERROR
      expect(failed.attributes["error.type"]).toBe("0x2000")
    }).pipe(Effect.provide(env()), Effect.provide(otel))
  })
})

describe("metrics", () => {
  it.effect("db.client.operation.duration: a histogram in seconds per operation, target, host and error", () =>
    Effect.gen(function*() {
      const bad = "SELECT * FROM app.missing"
      yield* MockCluster.prime({ query: select, then: Answer.delayed("20 millis", row) })
      yield* MockCluster.prime({ query: bad, then: Answer.invalid() })
      const okSeries = Metric.withAttributes(Metrics.operationDuration, {
        "db.system.name": "cassandra",
        "db.operation.name": "SELECT",
        "db.namespace": "app",
        "db.collection.name": "users",
        "server.address": "127.0.0.1",
        "server.port": "9042"
      })
      const before = yield* Metric.value(okSeries)
      for (let i = 0; i < 3; i++) {
        const fiber = yield* Effect.forkChild(Session.execute(select, [1]))
        yield* MockCluster.awaitActivity({ query: select, count: i + 1 })
        yield* TestClock.adjust("20 millis")
        yield* Fiber.join(fiber)
      }
      yield* Effect.flip(Session.execute(bad))
      const after = yield* Metric.value(okSeries)
      expect(after.count - before.count).toBe(3)
      expect(after.max).toBeCloseTo(0.02, 5)
      expect(Metrics.operationDurationBoundaries).toEqual([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10])
      const bucket = after.buckets.find(([le]) => le === 0.05)!
      expect(bucket[1]).toBeGreaterThanOrEqual(3)
      const failed = yield* Metric.value(Metric.withAttributes(Metrics.operationDuration, {
        "db.system.name": "cassandra",
        "db.operation.name": "SELECT",
        "db.namespace": "app",
        "db.collection.name": "missing",
        "server.address": "127.0.0.1",
        "server.port": "9042",
        "error.type": "0x2200",
        "db.response.status_code": "0x2200"
      }))
      expect(failed.count).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(env({ metrics: true }))))

  it.effect("the in-flight gauge is per session: two sessions do not overwrite each other", () =>
    Effect.gen(function*() {
      const slow = "SELECT * FROM app.slow"
      yield* MockCluster.prime({ query: slow, then: Answer.delayed("1 second", Answer.void) })
      const other = yield* Session.make({ metrics: true, name: "second" })
      const fibers = [
        yield* Effect.forkChild(Session.execute(slow)),
        yield* Effect.forkChild(Session.execute(slow)),
        yield* Effect.forkChild(other.execute(slow))
      ]
      yield* MockCluster.awaitActivity({ query: slow, count: 3 })
      const first = yield* Metric.value(Metric.withAttributes(Metrics.inFlight, { session: "first" }))
      const secondValue = yield* Metric.value(Metric.withAttributes(Metrics.inFlight, { session: "second" }))
      expect([first.value, secondValue.value]).toEqual([2, 1])
      yield* TestClock.adjust("1 second")
      yield* Effect.forEach(fibers, Fiber.join)
      expect((yield* Metric.value(Metric.withAttributes(Metrics.inFlight, { session: "first" }))).value).toBe(0)
      expect((yield* Metric.value(Metric.withAttributes(Metrics.inFlight, { session: "second" }))).value).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(env({ metrics: true, name: "first" }))))

  it.effect("pool gauges: connections used and idle, the pool size and requests in flight per host, sampled", () =>
    Effect.gen(function*() {
      const slow = "SELECT * FROM app.slow"
      yield* MockCluster.prime({ query: slow, then: Answer.delayed("5 seconds", Answer.void) })
      const fibers = [yield* Effect.forkChild(Session.execute(slow)), yield* Effect.forkChild(Session.execute(slow))]
      yield* MockCluster.awaitActivity({ query: slow, count: 2 })
      yield* TestClock.adjust("1 second")
      const pool = "pools|127.0.0.1:9042"
      const used = yield* Metric.value(Metric.withAttributes(Metrics.connectionCount, { "db.client.connection.pool.name": pool, "db.client.connection.state": "used" }))
      const idle = yield* Metric.value(Metric.withAttributes(Metrics.connectionCount, { "db.client.connection.pool.name": pool, "db.client.connection.state": "idle" }))
      const max = yield* Metric.value(Metric.withAttributes(Metrics.connectionMax, { "db.client.connection.pool.name": pool }))
      const inFlight = yield* Metric.value(Metric.withAttributes(Metrics.hostInFlight, { session: "pools", "server.address": "127.0.0.1", "server.port": "9042" }))
      // two connections: the least busy one takes each request
      expect([used.value, idle.value, max.value, inFlight.value]).toEqual([2, 0, 2, 2])
      yield* TestClock.adjust("5 seconds")
      yield* Effect.forEach(fibers, Fiber.join)
      const after = yield* Metric.value(Metric.withAttributes(Metrics.hostInFlight, { session: "pools", "server.address": "127.0.0.1", "server.port": "9042" }))
      expect(after.value).toBe(0)
    }).pipe(Effect.provide(
      Session.layer({ metrics: true, name: "pools" }).pipe(
        Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, connectionsPerHost: 2 })),
        Layer.provideMerge(MockCluster.layer({ hosts: 1 }))
      )
    )))
})
