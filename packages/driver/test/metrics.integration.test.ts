/**
 * Effect Metrics of a session with `metrics: true`, and schema metadata, against the test node.
 */
import { Cluster, Metrics, Session } from "@effect-cassandra/driver"
import { testCluster } from "@effect-cassandra/local/vitest"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"

const info = testCluster()
const live = Session.layer({ metrics: true }).pipe(
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
      const inFlight = yield* Metric.value(Metrics.inFlight)
      expect(inFlight.value).toBe(0)
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
