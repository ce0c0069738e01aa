/**
 * Issue 14's seed features against a real Cassandra 5.0 node (started with the custom payload mirroring
 * query handler): function and aggregate metadata and the targeted refreshes, registerUserType round
 * trips, ResultSet ergonomics over real pages, every page's trace, custom payloads merged and echoed,
 * setKeyspace, cqlVersion and token metadata off.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { testCluster } from "@effect-cassandra/local/vitest"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

const info = testCluster()
const options = { contactPoints: info.contactPoints, localDc: info.localDatacenter }
const live = Session.layer().pipe(Layer.provideMerge(Cluster.layer(options)))
const ks = "it_seed"

class Point extends Schema.Class<Point>("Point")({ x: Schema.Number, y: Schema.Number }) {}

layer(live, { excludeTestServices: true, timeout: "120 seconds" })("seed features on a node", (it) => {
  it.effect("function and aggregate metadata, refreshed one by one; a user type registered as a class", () =>
    Effect.gen(function*() {
      yield* Session.execute(`DROP KEYSPACE IF EXISTS ${ks}`)
      yield* Session.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)
      yield* Session.execute(`CREATE FUNCTION ${ks}.plus(a int, b int) CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'return a + b;'`)
      yield* Session.execute(`CREATE FUNCTION ${ks}.half(s int) RETURNS NULL ON NULL INPUT RETURNS double LANGUAGE java AS 'return s / 2.0;'`)
      yield* Session.execute(`CREATE AGGREGATE ${ks}.total(int) SFUNC plus STYPE int FINALFUNC half INITCOND 0`)
      yield* Session.execute(`CREATE TYPE ${ks}.point (x double, y double)`)
      yield* Session.execute(`CREATE TABLE ${ks}.shapes (id int PRIMARY KEY, origin frozen<point>, path list<frozen<point>>)`)
      const cluster = yield* Cluster.Cluster
      const k = cluster.metadata.keyspace(ks)!
      expect(k.userFunctions.get("plus(int, int)")).toMatchObject({
        argumentNames: ["a", "b"],
        returnType: "int",
        language: "java",
        body: "return a + b;",
        calledOnNullInput: true
      })
      expect(k.userAggregates.get("total(int)")).toMatchObject({ stateFunction: "plus", stateType: "int", finalFunction: "half", initialCondition: "0", returnType: "double" })
      // a function replaced on the server, re-read alone
      yield* Session.execute(`CREATE OR REPLACE FUNCTION ${ks}.plus(a int, b int) CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'return b + a;'`)
      yield* cluster.metadata.refreshUserFunction(ks, "plus", ["int", "int"])
      expect(cluster.metadata.keyspace(ks)!.userFunctions.get("plus(int, int)")?.body).toBe("return b + a;")
      yield* cluster.metadata.refreshUserAggregate(ks, "total", ["int"])
      yield* cluster.metadata.refreshTable(ks, "shapes")
      yield* cluster.metadata.refreshUserType(ks, "point")
      expect(cluster.metadata.table(ks, "shapes")?.columns.map((c) => c.name).sort()).toEqual(["id", "origin", "path"])

      yield* cluster.registerUserType(ks, "point", Point)
      const insert = yield* Session.prepare(`INSERT INTO ${ks}.shapes (id, origin, path) VALUES (?, ?, ?)`)
      yield* Session.execute(insert, [1, new Point({ x: 1, y: 2 }), [new Point({ x: 3, y: 4 })]])
      const row = (yield* Session.execute(`SELECT origin, path FROM ${ks}.shapes WHERE id = 1`)).first!
      expect(row["origin"]).toBeInstanceOf(Point)
      expect((row["path"] as ReadonlyArray<Point>)[0]).toBeInstanceOf(Point)
      expect((row["path"] as ReadonlyArray<Point>)[0]!.y).toBe(4)
      expect((yield* Effect.flip(cluster.registerUserType(ks, "nope", Point)))._tag).toBe("UserTypeDoesNotExist")
    }))

  it.effect("ResultSet over real pages: all(), iteration, QueryExhausted; every page's trace", () =>
    Effect.gen(function*() {
      yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.nums (p int, c int, PRIMARY KEY (p, c))`)
      for (let c = 0; c < 10; c++) yield* Session.execute(`INSERT INTO ${ks}.nums (p, c) VALUES (1, ${c})`)
      const q = `SELECT c FROM ${ks}.nums WHERE p = 1`
      const rs = yield* Session.execute(q, [], { fetchSize: 4, tracing: true })
      expect([...rs].map((r) => r["c"])).toEqual([0, 1, 2, 3])
      expect((yield* rs.all()).map((r) => r["c"])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect((yield* Effect.flip(rs.all({ maxRows: 5 })))._tag).toBe("TooManyRows")
      const page2 = yield* rs.nextPage
      const page3 = yield* page2.nextPage
      expect(page3.hasMorePages).toBe(false)
      expect((yield* Effect.flip(page3.nextPage))._tag).toBe("QueryExhausted")
      expect(page3.tracingIds.length).toBe(3)
      const traces = yield* page3.allTraces({ consistency: "ONE" })
      expect(traces.map((t) => t.sessionId)).toEqual(page3.tracingIds)
      expect(traces.every((t) => t.coordinator !== undefined)).toBe(true)
    }))

  it.effect("custom payloads: the statement's and the call's merged, echoed by the mirroring handler", () =>
    Effect.gen(function*() {
      const bytes = (s: string) => new TextEncoder().encode(s)
      const stmt = Session.statement("SELECT key FROM system.local", [], { customPayload: new Map([["a", bytes("s")], ["b", bytes("s")]]) })
      const rs = yield* Session.execute(stmt, undefined, { customPayload: new Map([["b", bytes("c")]]) })
      const echoed = Object.fromEntries([...(rs.customPayload ?? [])].map(([k, v]) => [k, v === null ? null : new TextDecoder().decode(v)]))
      expect(echoed).toEqual({ a: "s", b: "c" })
    }))

  it.effect("setKeyspace switches the session", () =>
    Effect.gen(function*() {
      yield* Session.setKeyspace(ks)
      const session = yield* Session.Session
      expect(session.keyspace()).toBe(ks)
      expect((yield* Session.execute("SELECT c FROM nums WHERE p = 1 LIMIT 1")).rows).toEqual([{ c: 0 }])
    }))
})

const tokenless = Session.layer().pipe(Layer.provideMerge(Cluster.layer({ ...options, tokenMetadataEnabled: false, cqlVersion: "3.4.7" })))

layer(tokenless, { excludeTestServices: true, timeout: "120 seconds" })("token metadata off, cqlVersion 3.4.7", (it) => {
  it.effect("connects, reads no tokens, runs requests", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(cluster.metadata.tokenMap()).toBeUndefined()
      expect(cluster.hosts().every((h) => h.tokens.length === 0 && h.hostId !== undefined && h.datacenter !== undefined)).toBe(true)
      expect((yield* Session.execute("SELECT key FROM system.local")).rows).toEqual([{ key: "local" }])
      yield* Session.execute(`DROP KEYSPACE IF EXISTS ${ks}`)
    }))
})
