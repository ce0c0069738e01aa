/**
 * The driver against a real Cassandra 5.0 node, with each protocol version forced and each compression.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { testCluster } from "@effect-cassandra/local/vitest"
import { CqlDuration, LocalDate, LocalTime } from "@effect-cassandra/protocol/CqlValues"
import { describe, expect, it, layer } from "@effect/vitest"
import * as BigDecimal from "effect/BigDecimal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const info = testCluster()

const configs: ReadonlyArray<{ version: 3 | 4 | 5; compression: "lz4" | "snappy" | false }> = [
  { version: 5, compression: "lz4" },
  { version: 5, compression: false },
  { version: 4, compression: "lz4" },
  { version: 4, compression: "snappy" },
  { version: 3, compression: false },
  { version: 3, compression: "lz4" },
  { version: 3, compression: "snappy" }
]

const bytes = (...xs: Array<number>) => new Uint8Array(xs)

for (const { version, compression } of configs) {
  const ks = `it_v${version}_${compression || "none"}`
  const clusterLayer = Cluster.layer({
    contactPoints: info.contactPoints,
    localDc: info.localDatacenter,
    protocolVersion: version,
    compression,
    ...(info.credentials ? { auth: info.credentials } : {})
  })
  const setup = Layer.effectDiscard(Effect.gen(function*() {
    yield* Session.execute(`DROP KEYSPACE IF EXISTS ${ks}`)
    yield* Session.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)
    yield* Session.execute(`USE ${ks}`)
  }))
  const sessionLayer = Layer.provideMerge(setup, Session.layer()).pipe(Layer.provideMerge(clusterLayer))

  layer(sessionLayer, { excludeTestServices: true, timeout: "120 seconds" })(`protocol v${version}, compression ${compression || "none"}`, (it) => {
    it.effect("negotiates the forced version and reads system.local", () =>
      Effect.gen(function*() {
        const cluster = yield* Cluster.Cluster
        expect(cluster.protocolVersion).toBe(version)
        const rs = yield* Session.execute("SELECT release_version, data_center FROM system.local")
        expect(String(rs.rows[0]!["release_version"])).toMatch(/^5\.0/)
        expect(rs.rows[0]!["data_center"]).toBe(info.localDatacenter)
        expect(rs.columns.map((c) => c.name)).toEqual(["release_version", "data_center"])
      }))

    it.effect("round-trips every CQL type through a table", () =>
      Effect.gen(function*() {
        yield* Session.execute(`CREATE TYPE IF NOT EXISTS ${ks}.address (street text, zip int, tags set<text>)`)
        yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.all_types (
          id int PRIMARY KEY, a ascii, b bigint, bl blob, bo boolean, d date, de decimal, db double, du duration,
          f float, i inet, ii int, si smallint, t text, tm time, ts timestamp, tu timeuuid, ti tinyint, u uuid,
          vc varchar, vi varint, l list<int>, s set<text>, m map<text, int>, tup tuple<int, text, boolean>,
          ad frozen<address>, nested map<text, frozen<list<frozen<set<int>>>>>, vec vector<float, 3>,
          vect vector<text, 2>)`)
        const insert = yield* Session.prepare(`INSERT INTO ${ks}.all_types (id, a, b, bl, bo, d, de, db, du, f, i, ii, si, t, tm, ts, tu, ti, u, vc, vi, l, s, m, tup, ad, nested, vec, vect)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        const row = {
          id: 1,
          a: "ascii text",
          b: -9007199254740993n,
          bl: bytes(0, 1, 2, 255),
          bo: true,
          d: LocalDate.fromString("2024-02-29"),
          de: BigDecimal.make(-12345678901234567890n, 4),
          db: Math.PI,
          du: CqlDuration.of(14, 3, 123456789n),
          f: 1.5,
          i: "2001:db8::1",
          ii: -2147483648,
          si: -32768,
          t: "héllo wörld ✓",
          tm: LocalTime.fromString("13:14:15.123456789"),
          ts: new Date("2024-01-02T03:04:05.678Z"),
          tu: "d2177dd0-eaa2-11de-a572-001b779c76e3",
          ti: -128,
          u: "0f8fad5b-d9cb-469f-a165-70867728950e",
          vc: "varchar",
          vi: 123456789012345678901234567890n,
          l: [3, 1, 2],
          s: ["b", "a"],
          m: new Map([["x", 1], ["y", 2]]),
          tup: [7, "seven", false],
          ad: { street: "1 Main St", zip: 12345, tags: ["home"] },
          nested: new Map([["k", [[1, 2], [3]]]]),
          vec: new Float32Array([1.5, -2.25, 3]),
          vect: ["one", "two"]
        }
        yield* Session.execute(insert, row)
        const rs = yield* Session.execute(`SELECT * FROM ${ks}.all_types WHERE id = ?`, [1], { prepare: true })
        const got = rs.rows[0]!
        expect(got["a"]).toBe(row.a)
        expect(got["b"]).toBe(row.b)
        expect(got["bl"]).toEqual(row.bl)
        expect(got["bo"]).toBe(true)
        expect(String(got["d"])).toBe("2024-02-29")
        expect(BigDecimal.equals(got["de"] as BigDecimal.BigDecimal, row.de)).toBe(true)
        expect(got["db"]).toBe(Math.PI)
        expect(String(got["du"])).toBe(String(row.du))
        expect(got["f"]).toBe(1.5)
        expect(got["i"]).toBe("2001:db8::1")
        expect(got["ii"]).toBe(-2147483648)
        expect(got["si"]).toBe(-32768)
        expect(got["t"]).toBe(row.t)
        expect(String(got["tm"])).toBe("13:14:15.123456789")
        expect((got["ts"] as Date).toISOString()).toBe("2024-01-02T03:04:05.678Z")
        expect(got["tu"]).toBe(row.tu)
        expect(got["ti"]).toBe(-128)
        expect(got["u"]).toBe(row.u)
        expect(got["vc"]).toBe("varchar")
        expect(got["vi"]).toBe(row.vi)
        expect(got["l"]).toEqual([3, 1, 2])
        expect(got["s"]).toEqual(["a", "b"])
        expect(got["m"]).toEqual(row.m)
        expect(got["tup"]).toEqual(row.tup)
        expect(got["ad"]).toEqual(row.ad)
        expect(got["nested"]).toEqual(row.nested)
        expect(Array.from(got["vec"] as Float32Array)).toEqual([1.5, -2.25, 3])
        expect(got["vect"]).toEqual(["one", "two"])

        // nulls and unset
        yield* Session.execute(insert, { ...row, id: 2, t: null, l: null, ad: null })
        const nulls = yield* Session.execute(`SELECT t, l, ad FROM ${ks}.all_types WHERE id = 2`)
        expect(nulls.rows[0]).toEqual({ t: null, l: null, ad: null })
      }))

    it.effect("counters", () =>
      Effect.gen(function*() {
        const ddl = yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.counters (id int PRIMARY KEY, c counter)`)
        expect(ddl.schemaChange).toMatchObject({ changeType: "CREATED", target: "TABLE", keyspace: ks, name: "counters" })
        expect(ddl.schemaAgreed).toBe(true)
        const inc = yield* Session.prepare(`UPDATE ${ks}.counters SET c = c + ? WHERE id = ?`)
        yield* Session.execute(inc, [5n, 1])
        yield* Session.execute(inc, [-2, 1])
        const rs = yield* Session.execute(`SELECT c FROM ${ks}.counters WHERE id = 1`)
        expect(rs.rows[0]!["c"]).toBe(3n)
      }))

    it.effect("pages 10,000 rows by stream and by resumed paging state", () =>
      Effect.gen(function*() {
        yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.paged (p int, c int, v text, PRIMARY KEY (p, c))`)
        const insert = yield* Session.prepare(`INSERT INTO ${ks}.paged (p, c, v) VALUES (?, ?, ?)`)
        yield* Effect.forEach(
          Array.from({ length: 10_000 }, (_, i) => i),
          (i) => Session.execute(insert, [i % 10, i, `v${i}`]),
          { concurrency: 64, discard: true }
        )
        const all = yield* Session.stream(`SELECT * FROM ${ks}.paged`, [], { fetchSize: 1000 }).pipe(Stream.runCollect)
        expect(all.length).toBe(10_000)
        expect(new Set(all.map((r) => r["c"])).size).toBe(10_000)

        const first = yield* Session.execute(`SELECT * FROM ${ks}.paged`, [], { fetchSize: 3000 })
        expect(first.rows.length).toBe(3000)
        expect(first.hasMorePages).toBe(true)
        let count = first.rows.length
        let state = first.pagingState
        while (state !== undefined) {
          const page = yield* Session.execute(`SELECT * FROM ${ks}.paged`, [], { fetchSize: 3000, pagingState: state })
          count += page.rows.length
          state = page.pagingState
        }
        expect(count).toBe(10_000)
        const second = yield* first.nextPage
        expect(second.rows.length).toBe(3000)

        // take() fetches only what it needs
        const few = yield* Session.stream(`SELECT * FROM ${ks}.paged`, [], { fetchSize: 100 }).pipe(Stream.take(150), Stream.runCollect)
        expect(few.length).toBe(150)
      }), { timeout: 120_000 })

    it.effect("lightweight transactions: applied and not applied", () =>
      Effect.gen(function*() {
        yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.lwt (id int PRIMARY KEY, v text)`)
        yield* Session.execute(`DELETE FROM ${ks}.lwt WHERE id = 1`)
        const first = yield* Session.execute(`INSERT INTO ${ks}.lwt (id, v) VALUES (1, 'a') IF NOT EXISTS`, [], { serialConsistency: "LOCAL_SERIAL" })
        expect(first.wasApplied).toBe(true)
        const second = yield* Session.execute(`INSERT INTO ${ks}.lwt (id, v) VALUES (1, 'b') IF NOT EXISTS`)
        expect(second.wasApplied).toBe(false)
        expect(second.rows[0]!["v"]).toBe("a")
        const cas = yield* Session.execute(`UPDATE ${ks}.lwt SET v = 'c' WHERE id = 1 IF v = ?`, ["a"])
        expect(cas.wasApplied).toBe(true)
      }))

    it.effect("batches: logged, unlogged, counter", () =>
      Effect.gen(function*() {
        yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.batched (id int PRIMARY KEY, v text)`)
        yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.batch_counts (id int PRIMARY KEY, c counter)`)
        const insert = yield* Session.prepare(`INSERT INTO ${ks}.batched (id, v) VALUES (?, ?)`)
        yield* Session.batch([
          { query: insert, params: [1, "one"] },
          { query: insert, params: { id: 2, v: "two" } },
          { query: `INSERT INTO ${ks}.batched (id, v) VALUES (?, ?)`, params: [3, "three"] }
        ])
        yield* Session.batch([{ query: insert, params: [4, "four"] }], { type: "unlogged" })
        const inc = yield* Session.prepare(`UPDATE ${ks}.batch_counts SET c = c + ? WHERE id = ?`)
        yield* Session.batch([{ query: inc, params: [2n, 1] }, { query: inc, params: [3n, 1] }], { type: "counter" })
        const rs = yield* Session.execute(`SELECT * FROM ${ks}.batched`)
        expect(rs.rows.map((r) => r["v"]).sort()).toEqual(["four", "one", "three", "two"])
        const c = yield* Session.execute(`SELECT c FROM ${ks}.batch_counts WHERE id = 1`)
        expect(c.rows[0]!["c"]).toBe(5n)
      }))

    it.effect("tracing", () =>
      Effect.gen(function*() {
        const rs = yield* Session.execute("SELECT * FROM system.local", [], { tracing: true })
        expect(rs.tracingId).toMatch(/^[0-9a-f-]{36}$/)
        const trace = yield* rs.trace
        expect(trace.sessionId).toBe(rs.tracingId)
        expect(trace.events.length).toBeGreaterThan(0)
      }))

    it.effect("server warnings", () =>
      Effect.gen(function*() {
        yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.warn (id int PRIMARY KEY, v text)`)
        const big = "x".repeat(6 * 1024)
        const rs = yield* Session.batch([
          { query: `INSERT INTO ${ks}.warn (id, v) VALUES (?, ?)`, params: [1, big] },
          { query: `INSERT INTO ${ks}.warn (id, v) VALUES (?, ?)`, params: [2, big] }
        ])
        // warnings exist from protocol v4 on
        if (version >= 4) expect(rs.warnings.join("\n")).toMatch(/[Bb]atch/)
        else expect(rs.warnings).toEqual([])
      }))

    it.effect("a schema change is followed by a transparent re-prepare", () =>
      Effect.gen(function*() {
        yield* Session.execute(`DROP TABLE IF EXISTS ${ks}.evolving`)
        yield* Session.execute(`CREATE TABLE ${ks}.evolving (id int PRIMARY KEY, a text)`)
        yield* Session.execute(`INSERT INTO ${ks}.evolving (id, a) VALUES (1, 'x')`)
        const select = yield* Session.prepare(`SELECT * FROM ${ks}.evolving WHERE id = ?`)
        const before = yield* Session.execute(select, [1])
        expect(Object.keys(before.rows[0]!).sort()).toEqual(["a", "id"])
        yield* Session.execute(`ALTER TABLE ${ks}.evolving ADD b int`)
        yield* Session.execute(`UPDATE ${ks}.evolving SET b = 7 WHERE id = 1`)
        const after = yield* Session.execute(select, [1])
        expect(after.rows[0]).toEqual({ id: 1, a: "x", b: 7 })
      }))

    it.effect("after ALTER TABLE ADD, another client prepares a SELECT * first: its rows still come with the new columns", () =>
      Effect.gen(function*() {
        yield* Session.execute(`DROP TABLE IF EXISTS ${ks}.evolving2`)
        yield* Session.execute(`CREATE TABLE ${ks}.evolving2 (id int PRIMARY KEY, v text)`)
        yield* Session.execute(`INSERT INTO ${ks}.evolving2 (id, v) VALUES (1, 'v-1')`)
        const q = `SELECT * FROM ${ks}.evolving2 WHERE id = ?`
        const select = yield* Session.prepare(q)
        expect((yield* Session.execute(select, [1])).rows).toEqual([{ id: 1, v: "v-1" }])
        // `a1` sorts before `v`: rows decoded with the old columns would read its bytes as `v`
        yield* Session.execute(`ALTER TABLE ${ks}.evolving2 ADD a1 text`)
        yield* Session.execute(`UPDATE ${ks}.evolving2 SET a1 = 'new' WHERE id = 1`)
        // the node dropped the statement on ALTER; another client prepares it again, with the new columns
        yield* Effect.scoped(Effect.gen(function*() {
          const other = yield* Layer.build(Session.layer().pipe(Layer.provideMerge(clusterLayer)))
          yield* Session.prepare(q).pipe(Effect.provide(other))
        }))
        const after = yield* Session.execute(select, [1])
        expect(after.rows).toEqual([{ a1: "new", id: 1, v: "v-1" }])
      }))

    it.effect("rows decoded with a Schema", () =>
      Effect.gen(function*() {
        yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.users (id int PRIMARY KEY, name text)`)
        yield* Session.execute(`INSERT INTO ${ks}.users (id, name) VALUES (?, ?)`, [1, "Ada"], { prepare: true })
        const User = Schema.Struct({ id: Schema.Number, name: Schema.String })
        const rs = yield* Session.execute(`SELECT id, name FROM ${ks}.users WHERE id = 1`, [], { schema: User })
        const user: { readonly id: number; readonly name: string } = rs.rows[0]!
        expect(user).toEqual({ id: 1, name: "Ada" })
        const Wrong = Schema.Struct({ id: Schema.String })
        const err = yield* Effect.flip(Session.execute(`SELECT id FROM ${ks}.users WHERE id = 1`, [], { schema: Wrong }))
        expect(err._tag).toBe("RowDecodeError")
      }))

    it.effect("typed errors, and bad input fails before anything is sent", () =>
      Effect.gen(function*() {
        const syntax = yield* Effect.flip(Session.execute("SELEKT * FROM nowhere"))
        expect(syntax._tag).toBe("SyntaxError")
        const invalid = yield* Effect.flip(Session.execute(`SELECT * FROM ${ks}.does_not_exist`))
        expect(invalid._tag).toBe("InvalidRequest")
        yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.typed (id int PRIMARY KEY, v int)`)
        const insert = yield* Session.prepare(`INSERT INTO ${ks}.typed (id, v) VALUES (?, ?)`)
        const arity = yield* Effect.flip(Session.execute(insert, [1]))
        expect(arity._tag).toBe("InvalidInput")
        const unknownName = yield* Effect.flip(Session.execute(insert, { id: 1, nope: 2 }))
        expect(unknownName._tag).toBe("InvalidInput")
        const badValue = yield* Effect.flip(Session.execute(insert, [1, "not an int"]))
        expect(badValue._tag).toBe("InvalidInput")
        expect(badValue).toMatchObject({ path: "values[1]", expected: "int" })
        const tooBig = yield* Effect.flip(Session.execute(insert, [2 ** 40, 1]))
        expect(tooBig).toMatchObject({ _tag: "InvalidInput", path: "values[0]" })
        // the connection is still healthy
        const ok = yield* Session.execute(insert, [1, 2])
        expect(ok.rows.length).toBe(0)
      }))
  })
}

describe("cluster options", () => {
  it.live("no reachable contact point is NoHostAvailable", () =>
    Effect.gen(function*() {
      const err = yield* Effect.flip(Layer.build(Cluster.layer({ contactPoints: ["127.0.0.1:1"], connectTimeout: "1 second" })))
      expect(err._tag).toBe("NoHostAvailable")
    }))
})
