/**
 * Mock fidelity: what the mock refuses as a node refuses it (simple-statement values that do not fit
 * their declared columns, a SELECT in a batch, a STARTUP with a bad CQL_VERSION), every marker of an
 * IN list typed, a later page primed to fail, and schema versions that differ per host.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { Consistency } from "@effect-cassandra/protocol/Messages"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { internalsOf } from "../../driver/src/internal/cluster/internals.ts"

const tables = { "app.users": { id: "bigint", name: "text", born: "date", seen: "timestamp", score: "double", n: "int" } }

const env = (options: MockCluster.MockClusterOptions = { tables }, cluster: Partial<Cluster.ClusterOptions> = {}) =>
  Session.layer().pipe(
    Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, ...cluster })),
    Layer.provideMerge(MockCluster.layer(options))
  )

/**
 * A simple statement with values, as a client that sends them unprepared does (the driver itself
 * prepares such statements, so it is sent on one of its connections as a raw QUERY): the values'
 * types are inferred from the JS values, which is what the mock must check against the columns.
 */
const rawQuery = (query: string, params?: ReadonlyArray<unknown> | Readonly<Record<string, unknown>>) =>
  Effect.gen(function*() {
    const cluster = yield* Cluster.Cluster
    const conn = [...internalsOf(cluster).openConnections()].find((c) => c.closed === undefined)!
    const values = params === undefined
      ? undefined
      : Array.isArray(params)
      ? { values: params }
      : { values: Object.values(params), names: Object.keys(params) }
    const frame = yield* conn.send({ _tag: "Query", query, params: { consistency: Consistency.ONE, values } })
    const r = frame.response
    return { rows: r._tag === "Result" && r.result.kind === "Rows" ? r.result.rows : [] }
  })

const refusedWith = <A, R>(effect: Effect.Effect<A, { readonly _tag: string; readonly message: string }, R>) =>
  Effect.map(Effect.flip(effect), (e) => ({ _tag: e._tag, message: e.message }))

describe("simple-statement values against the declared column types", () => {
  it.effect("a value whose bytes do not fit its column is refused with the serializer's message", () =>
    Effect.gen(function*() {
      // a JS number is sent as a 4-byte int without metadata: a bigint column refuses it, as a node does
      expect(yield* refusedWith(rawQuery("INSERT INTO app.users (id, name) VALUES (?, ?)", [1, "ada"]))).toEqual({
        _tag: "InvalidRequest",
        message: "Expected 8 or 0 byte long (4)"
      })
      // a JS bigint is 8 bytes: accepted
      yield* rawQuery("INSERT INTO app.users (id, name) VALUES (?, ?)", [1n, "ada"])
      // a number outside int32 goes out as a double: 8 bytes into an int column
      expect(yield* refusedWith(rawQuery("UPDATE app.users SET n = ? WHERE id = ?", [Date.now(), 1n]))).toEqual({
        _tag: "InvalidRequest",
        message: "Expected 4 or 0 byte int (8)"
      })
      // by name, and in a WHERE clause
      expect(yield* refusedWith(rawQuery("SELECT * FROM app.users WHERE id = :id", { id: "x" }))).toMatchObject({ _tag: "InvalidRequest" })
      const refused = yield* MockCluster.activity({ query: /app\.users/ })
      expect(refused.map((a) => a.answer)).toEqual(["Error(INVALID)", "Void", "Error(INVALID)", "Error(INVALID)"])
    }).pipe(Effect.provide(env())))

  it.effect("the wrong number of values is refused; USING TIMESTAMP wants 8 bytes", () =>
    Effect.gen(function*() {
      expect(yield* refusedWith(rawQuery("SELECT * FROM app.users WHERE id = ?"))).toEqual({
        _tag: "InvalidRequest",
        message: "there were 1 markers(?) in CQL but 0 bound variables"
      })
      expect(yield* refusedWith(rawQuery("INSERT INTO app.users (id) VALUES (?) USING TIMESTAMP ?", [1n, 5]))).toEqual({
        _tag: "InvalidRequest",
        message: "Expected 8 or 0 byte long (4)"
      })
    }).pipe(Effect.provide(env())))

  it.effect("undeclared tables and columns are not checked, and a prime does not bypass the check", () =>
    Effect.gen(function*() {
      yield* rawQuery("INSERT INTO app.other (id) VALUES (?)", [1])
      yield* MockCluster.prime({ query: "SELECT * FROM app.users WHERE id = ?", then: Answer.rows({ id: "bigint" }, [{ id: 1n }]) })
      expect((yield* refusedWith(rawQuery("SELECT * FROM app.users WHERE id = ?", [1])))._tag).toBe("InvalidRequest")
      expect((yield* rawQuery("SELECT * FROM app.users WHERE id = ?", [1n])).rows).toEqual([{ id: 1n }])
    }).pipe(Effect.provide(env())))
})

describe("batches", () => {
  it.effect("a SELECT in a batch is refused, as by a node", () =>
    Effect.gen(function*() {
      const error = yield* refusedWith(Session.batch([
        { query: "INSERT INTO app.users (id) VALUES (1)" },
        { query: "SELECT * FROM app.users" }
      ]))
      expect(error).toEqual({ _tag: "InvalidRequest", message: "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed." })
      // a prepared SELECT too
      const select = yield* Session.prepare("SELECT * FROM app.users WHERE id = ?")
      expect((yield* refusedWith(Session.batch([{ query: select, params: [1n] }])))._tag).toBe("InvalidRequest")
      // modifications are fine
      yield* Session.batch([{ query: "INSERT INTO app.users (id) VALUES (1)" }, { query: "DELETE FROM app.users WHERE id = 2" }])
    }).pipe(Effect.provide(env())))
})

describe("IN lists", () => {
  it.effect("every marker of IN (?, ?, ...) is typed as the column", () =>
    Effect.gen(function*() {
      const p = yield* Session.prepare("SELECT * FROM app.users WHERE id IN (?, ?, ?) AND n = ?")
      expect(p.variables.map((v) => `${v.name}:${v.type.kind}`)).toEqual(["id:bigint", "id:bigint", "id:bigint", "n:int"])
      const named = yield* Session.prepare("SELECT * FROM app.users WHERE id IN (:a, :b)")
      expect(named.variables.map((v) => `${v.name}:${v.type.kind}`)).toEqual(["a:bigint", "b:bigint"])
      // IN ? is the column's list
      const list = yield* Session.prepare("SELECT * FROM app.users WHERE id IN ?")
      expect(list.variables.map((v) => v.type.kind)).toEqual(["list"])
    }).pipe(Effect.provide(env())))
})

describe("a later page primed to fail", () => {
  it.effect("page 2 fails, the first page and the others are answered from the first prime", () =>
    Effect.gen(function*() {
      const q = "SELECT id FROM app.nums"
      yield* MockCluster.prime({ query: q, then: Answer.rows({ id: "int" }, Array.from({ length: 10 }, (_, i) => ({ id: i }))) })
      const failing = yield* MockCluster.prime({ query: q, page: 2, times: 1, then: Answer.invalid({ message: "page 2 is broken" }) })
      const page1 = yield* Session.execute(q, undefined, { fetchSize: 4 })
      expect(page1.rows.map((r) => r["id"])).toEqual([0, 1, 2, 3])
      expect(yield* refusedWith(page1.nextPage)).toEqual({ _tag: "InvalidRequest", message: "page 2 is broken" })
      expect(yield* failing.uses).toBe(1)
      // once used up, page 2 resumes from the paging state again, and page 3 follows
      const page2 = yield* page1.nextPage
      expect(page2.rows.map((r) => r["id"])).toEqual([4, 5, 6, 7])
      expect((yield* page2.nextPage).rows.map((r) => r["id"])).toEqual([8, 9])
    }).pipe(Effect.provide(env())))

  it.effect("a page prime never answers the first request", () =>
    Effect.gen(function*() {
      const q = "SELECT id FROM app.nums"
      yield* MockCluster.prime({ query: q, then: Answer.rows({ id: "int" }, [{ id: 1 }]) })
      yield* MockCluster.prime({ query: q, page: 3, then: Answer.invalid() })
      expect((yield* Session.execute(q)).rows).toEqual([{ id: 1 }])
    }).pipe(Effect.provide(env())))

  it.effect("a page that is not a positive integer is refused at prime", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(MockCluster.prime({ query: "x", page: 0, then: Answer.void }))
      expect(error.message).toBe("page must be a positive integer, got 0")
    }).pipe(Effect.provide(env())))
})
