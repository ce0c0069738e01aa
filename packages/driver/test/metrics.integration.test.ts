/**
 * Effect Metrics of a session with `metrics: true`, spans by the OpenTelemetry conventions, CqlSchema's
 * values, and schema metadata, against the test node.
 */
import { Cluster, CqlSchema, Metrics, Session, Uuid } from "@effect-cassandra/driver"
import { LocalDate, LocalTime } from "@effect-cassandra/protocol/CqlValues"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Tracer from "effect/Tracer"
import { testCluster } from "@effect-cassandra/local/vitest"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"

const info = testCluster()
const live = Session.layer({ metrics: true, name: "it" }).pipe(
  Layer.provideMerge(Cluster.layer({ contactPoints: info.contactPoints, localDc: info.localDatacenter }))
)

layer(live, { excludeTestServices: true })("metrics and metadata", (it) => {
  it.effect("counts requests by outcome and records latency", () =>
    Effect.gen(function*() {
      const before = yield* Metric.value(Metric.withAttributes(Metrics.requests, { outcome: "success" }))
      const latencyBefore = yield* Metric.value(Metrics.requestLatency)
      for (let i = 0; i < 5; i++) yield* Session.execute("SELECT key FROM system.local")
      yield* Effect.flip(Session.execute("SELEKT"))
      const after = yield* Metric.value(Metric.withAttributes(Metrics.requests, { outcome: "success" }))
      const syntax = yield* Metric.value(Metric.withAttributes(Metrics.requests, { outcome: "SyntaxError" }))
      const latency = yield* Metric.value(Metrics.requestLatency)
      expect(Number(after.count) - Number(before.count)).toBe(5)
      expect(Number(syntax.count)).toBeGreaterThanOrEqual(1)
      expect(latency.count - latencyBefore.count).toBe(6)
      const inFlight = yield* Metric.value(Metric.withAttributes(Metrics.inFlight, { session: "it" }))
      expect(inFlight.value).toBe(0)
      const duration = yield* Metric.value(Metric.withAttributes(Metrics.operationDuration, {
        "db.system.name": "cassandra",
        "db.operation.name": "SELECT",
        "db.namespace": "system",
        "db.collection.name": "local",
        "server.address": info.contactPoints[0]!.split(":")[0]!,
        "server.port": "9042"
      }))
      expect(duration.count).toBeGreaterThanOrEqual(5)
      expect(duration.max).toBeGreaterThan(0)
      expect(duration.max).toBeLessThan(10)
    }))

  it.effect("a span per request with the coordinator the node reports", () =>
    Effect.gen(function*() {
      const spans: Array<Tracer.Span> = []
      const tracer = Tracer.make({
        span(options) {
          const span = Tracer.nativeTracer.span(options)
          spans.push(span)
          return span
        }
      })
      const cluster = yield* Cluster.Cluster
      const local = yield* Session.execute("SELECT host_id, data_center FROM system.local").pipe(Effect.withTracer(tracer))
      const row = local.rows[0]!
      const span = spans.find((s) => s.name === "SELECT system.local")!
      const attrs = Object.fromEntries(span.attributes)
      expect(attrs).toMatchObject({
        "db.system.name": "cassandra",
        "db.namespace": "system",
        "db.collection.name": "local",
        "db.operation.name": "SELECT",
        "db.response.returned_rows": 1,
        "cassandra.coordinator.dc": row["data_center"],
        "cassandra.coordinator.id": String(row["host_id"]),
        "cassandra.consistency.level": "local_one"
      })
      expect(cluster.getHost(`${attrs["server.address"]}:${attrs["server.port"]}`)).toBeDefined()
      yield* Effect.flip(Session.execute("SELECT * FROM system.no_such_table").pipe(Effect.withTracer(tracer)))
      const failed = spans.find((s) => s.name === "SELECT system.no_such_table")!
      expect(failed.attributes.get("db.response.status_code")).toBe("0x2200")
    }))

  it.effect("CqlSchema: date, time, timeuuid and inet through a real table", () =>
    Effect.gen(function*() {
      yield* Session.execute("CREATE KEYSPACE IF NOT EXISTS schema_it WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
      yield* Session.execute("CREATE TABLE IF NOT EXISTS schema_it.events (id timeuuid PRIMARY KEY, day date, at time, peer inet)")
      const Event = Schema.Struct({ id: CqlSchema.TimeUuid, day: CqlSchema.DateFromLocalDate, at: CqlSchema.LocalTime, peer: CqlSchema.Inet })
      const insert = CqlSchema.void({ query: "INSERT INTO schema_it.events (id, day, at, peer) VALUES (?, ?, ?, ?)", Request: Schema.Tuple([Event.fields.id, Event.fields.day, Event.fields.at, Event.fields.peer]) })
      const byId = CqlSchema.findOne({ query: "SELECT id, day, at, peer FROM schema_it.events WHERE id = ?", Request: Schema.Tuple([CqlSchema.TimeUuid]), Result: Event })
      const id = Uuid.timeBased()
      yield* insert([id, new Date("2024-02-29T00:00:00Z"), LocalTime.of(13, 45, 0, 500), "10.1.2.3"])
      const found = yield* byId([id])
      expect(Option.getOrThrow(found)).toEqual({ id, day: new Date("2024-02-29T00:00:00Z"), at: LocalTime.of(13, 45, 0, 500), peer: "10.1.2.3" })
      // the node's own view of the timeuuid's time and the date
      const check = yield* Session.execute("SELECT toTimestamp(id) AS t, day FROM schema_it.events WHERE id = ?", [id], { prepare: true })
      expect((check.rows[0]!["t"] as Date).getTime()).toBe(Uuid.timestampOf(id))
      expect((check.rows[0]!["day"] as LocalDate).toString()).toBe("2024-02-29")
    }))

  it.effect("schema metadata follows DDL", () =>
    Effect.gen(function*() {
      yield* Session.execute("CREATE KEYSPACE IF NOT EXISTS meta_it WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
      yield* Session.execute("CREATE TYPE IF NOT EXISTS meta_it.point (x double, y double)")
      yield* Session.execute("DROP TABLE IF EXISTS meta_it.shapes")
      yield* Session.execute("CREATE TABLE meta_it.shapes (owner text, id int, name text, origin frozen<point>, tags set<text>, PRIMARY KEY ((owner), id)) WITH CLUSTERING ORDER BY (id DESC) AND comment = 'shapes of owners' AND default_time_to_live = 3600")
      yield* Session.execute("CREATE INDEX shapes_by_name ON meta_it.shapes (name)")
      const cluster = yield* Cluster.Cluster
      const ks = cluster.metadata.keyspace("meta_it")!
      expect(ks.replication["class"]).toMatch(/SimpleStrategy/)
      expect([...ks.userTypes.keys()]).toContain("point")
      const table = cluster.metadata.table("meta_it", "shapes")!
      expect(table.partitionKey.map((c) => c.name)).toEqual(["owner"])
      expect(table.clusteringKey.map((c) => [c.name, c.clusteringOrder])).toEqual([["id", "desc"]])
      const origin = table.columns.find((c) => c.name === "origin")!
      expect(origin.type).toMatchObject({ kind: "udt", name: "point", fields: [{ name: "x", type: { kind: "double" } }, { name: "y", type: { kind: "double" } }] })
      expect(table.columns.find((c) => c.name === "tags")!.type).toEqual({ kind: "set", element: { kind: "text" } })
      expect(table.options).toMatchObject({ comment: "shapes of owners", default_time_to_live: 3600 })
      expect(table.indexes).toEqual([{ name: "shapes_by_name", kind: "COMPOSITES", options: { target: "name" } }])
      expect(ks.views.size).toBe(0)
      expect(cluster.metadata.tokenMap()!.tokens.length).toBeGreaterThan(0)
    }))
})

layer(live, { excludeTestServices: true })("statement objects and session keyspace", (it) => {
  it.effect("SimpleStatement and BoundStatement carry their values and options; the call's options win", () =>
    Effect.gen(function*() {
      yield* Session.execute("CREATE KEYSPACE IF NOT EXISTS stmt_it WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
      yield* Session.execute("CREATE TABLE IF NOT EXISTS stmt_it.t (id int PRIMARY KEY, v text)")
      const insert = yield* Session.prepare("INSERT INTO stmt_it.t (id, v) VALUES (?, ?)")
      yield* Session.execute(insert.bind([1, "one"], { consistency: "ONE" }))
      yield* Session.execute(Session.statement("INSERT INTO stmt_it.t (id, v) VALUES (2, 'two')"))
      const rs = yield* Session.execute(Session.statement("SELECT v FROM stmt_it.t WHERE id IN ?", [[1, 2]], { fetchSize: 1 }))
      expect(rs.rows.length).toBe(1)
      expect(rs.hasMorePages).toBe(true)
      const all = yield* Session.execute(Session.statement("SELECT v FROM stmt_it.t WHERE id IN ?", [[1, 2]], { fetchSize: 1 }), undefined, { fetchSize: 10 })
      expect(all.rows.map((r) => r["v"]).sort()).toEqual(["one", "two"])
    }))

  it.effect("a session on an unknown keyspace fails to build with InvalidRequest", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const error = yield* Effect.flip(Layer.build(Session.layer({ keyspace: "no_such_keyspace_here" }).pipe(
        Layer.provide(Layer.succeed(Cluster.Cluster, cluster))
      )))
      expect(error._tag).toBe("InvalidRequest")
    }))
})
