/**
 * The in-memory mock cluster, driven through the real driver: protocol versions and compression,
 * priming (text, pattern, values, consistency, host, sequences, times), answers (rows, paging,
 * void, schema change, errors, delays, silence, closed connections), prepared statements, system
 * tables, auth, events, host control and the activity log.
 */
import { Cluster, Errors, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { LocalDate } from "@effect-cassandra/protocol/CqlValues"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"

const env = (options: MockCluster.MockClusterOptions = {}, cluster: Partial<Cluster.ClusterOptions> = {}) =>
  Session.layer().pipe(
    Layer.provideMerge(MockCluster.clusterLayer(cluster)),
    Layer.provideMerge(MockCluster.layer(options))
  )

const users = Answer.rows(
  { id: "int", name: "text", born: "date", tags: "set<text>" },
  [
    { id: 1, name: "ada", born: LocalDate.of(1815, 12, 10), tags: ["math"] },
    { id: 2, name: "alan", born: LocalDate.of(1912, 6, 23), tags: [] }
  ],
  { keyspace: "app", table: "users" }
)

describe("protocol versions and compression", () => {
  const configs: ReadonlyArray<{ readonly version: 3 | 4 | 5; readonly compression: "lz4" | "snappy" | false }> = [
    { version: 5, compression: "lz4" },
    { version: 5, compression: false },
    { version: 4, compression: "lz4" },
    { version: 4, compression: "snappy" },
    { version: 4, compression: false },
    { version: 3, compression: "snappy" },
    { version: 3, compression: false }
  ]
  for (const { version, compression } of configs) {
    it.effect(`v${version} with ${compression || "no"} compression`, () =>
      Effect.gen(function*() {
        const mock = yield* MockCluster.MockCluster
        // enough rows that compression actually applies (bodies of 512+ bytes)
        const many = Array.from({ length: 50 }, (_, i) => ({ id: i, name: `user-${i}`, born: LocalDate.of(2000, 1, 1), tags: ["a", "b"] }))
        yield* mock.prime({ query: "SELECT * FROM app.users", then: Answer.rows({ id: "int", name: "text", born: "date", tags: "set<text>" }, many) })
        const cluster = yield* Cluster.Cluster
        expect(cluster.protocolVersion).toBe(version)
        const rs = yield* Session.execute("SELECT * FROM app.users")
        expect(rs.rows.length).toBe(50)
        expect(rs.rows[7]).toEqual({ id: 7, name: "user-7", born: LocalDate.of(2000, 1, 1), tags: ["a", "b"] })
        const prepared = yield* Session.prepare("SELECT * FROM app.users")
        const again = yield* Session.execute(prepared)
        expect(again.rows.length).toBe(50)
        const log = yield* mock.activity({ query: "SELECT * FROM app.users" })
        expect(log.map((a) => [a.kind, a.version])).toEqual([["query", version], ["prepare", version], ["execute", version]])
      }).pipe(Effect.provide(env({ hosts: 1 }, { protocolVersion: version, compression }))))
  }

  it.effect("negotiates down to v4 with a host that refuses v5", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(cluster.protocolVersion).toBe(4)
      const handshake = yield* MockCluster.activity({ includeControl: true, kind: ["options", "startup"] })
      expect(handshake[0]).toMatchObject({ version: 5, answer: "Error(PROTOCOL_ERROR) unsupported version 5" })
      expect(handshake.slice(1).every((a) => a.version === 4)).toBe(true)
    }).pipe(Effect.provide(env({ hosts: 1, protocolVersions: [3, 4] }))))
})

describe("priming", () => {
  it.effect("answers rows with typed columns; unprimed statements get the defaults", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: "SELECT * FROM app.users", then: users })
      const rs = yield* Session.execute("SELECT *\n    FROM app.users;")
      expect(rs.rows.map((r) => r["name"])).toEqual(["ada", "alan"])
      expect(rs.columns.map((c) => `${c.keyspace}.${c.table}.${c.name}`)).toEqual([
        "app.users.id",
        "app.users.name",
        "app.users.born",
        "app.users.tags"
      ])
      // defaults
      expect((yield* Session.execute("SELECT * FROM app.other")).rows).toEqual([])
      expect((yield* Session.execute("INSERT INTO app.other (id) VALUES (1)")).rows).toEqual([])
      const ddl = yield* Session.execute("CREATE TABLE IF NOT EXISTS app.t (id int PRIMARY KEY)")
      expect(ddl.rows).toEqual([])
      const log = yield* MockCluster.activity({ query: /app\.t\b/ })
      expect(log[0]!.answer).toBe("SchemaChange(CREATED TABLE app.t)")
    }).pipe(Effect.provide(env())))

  it.effect("matches on values, consistency and host; the newest prime wins", () =>
    Effect.gen(function*() {
      const q = "SELECT name FROM app.users WHERE id = ?"
      yield* MockCluster.prime({ query: q, then: Answer.rows({ name: "text" }, [{ name: "anyone" }]) })
      yield* MockCluster.prime({ query: q, values: [1], then: Answer.rows({ name: "text" }, [{ name: "ada" }]) })
      yield* MockCluster.prime({ query: q, values: [2], consistency: "QUORUM", then: Answer.rows({ name: "text" }, [{ name: "alan" }]) })
      const name = (id: number, consistency?: "QUORUM" | "ONE") =>
        Effect.map(Session.execute(q, [id], consistency === undefined ? {} : { consistency }), (rs) => rs.rows[0]?.["name"])
      expect(yield* name(1)).toBe("ada")
      expect(yield* name(2)).toBe("anyone")
      expect(yield* name(2, "QUORUM")).toBe("alan")
      expect(yield* name(3)).toBe("anyone")
      // by host: only the second host answers differently
      const cluster = yield* Cluster.Cluster
      const second = cluster.hosts().find((h) => h.address === "127.0.0.2")!
      yield* MockCluster.prime({ query: q, host: 1, then: Answer.rows({ name: "text" }, [{ name: "from host 2" }]) })
      const rs = yield* Session.execute(q, [1], { host: second })
      expect(rs.rows[0]?.["name"]).toBe("from host 2")
      // the log has the values, raw and typed where known, and the consistency
      // the driver sends the values prepared: the EXECUTEs
      const log = yield* MockCluster.activity({ query: q, kind: "execute" })
      expect(log.map((a) => a.consistency)).toEqual(["LOCAL_ONE", "LOCAL_ONE", "QUORUM", "LOCAL_ONE", "LOCAL_ONE"])
      expect(log[0]!.values).toEqual([new Uint8Array([0, 0, 0, 1])])
      expect(log.at(-1)!.host).toBe("127.0.0.2:9042")
    }).pipe(Effect.provide(env({ hosts: 2 }))))

  it.effect("named values of simple statements, and batches with their statements in the log", () =>
    Effect.gen(function*() {
      const q = "SELECT name FROM app.users WHERE id = :id AND org = :org"
      yield* MockCluster.prime({ query: q, values: { org: "acme", id: 7 }, then: Answer.rows({ name: "text" }, [{ name: "ada" }]) })
      expect((yield* Session.execute(q, { id: 7, org: "acme" })).rows).toEqual([{ name: "ada" }])
      expect((yield* Session.execute(q, { id: 8, org: "acme" })).rows).toEqual([])
      const insert = yield* Session.prepare("INSERT INTO app.users (id, name) VALUES (?, ?)")
      yield* MockCluster.prime({ kind: "batch", query: /^DELETE/, then: Answer.writeTimeout({ writeType: "BATCH" }) })
      yield* Session.batch([{ query: insert, params: [1, "a"] }, { query: "UPDATE app.users SET name = ? WHERE id = ?", params: ["b", 2] }], {
        consistency: "QUORUM"
      })
      const failed = yield* Effect.flip(Session.batch([{ query: "DELETE FROM app.users WHERE id = 3" }]))
      expect(failed._tag).toBe("WriteTimeout")
      const batches = yield* MockCluster.activity({ kind: "batch" })
      expect(batches.map((b) => [b.consistency, b.answer])).toEqual([["QUORUM", "Void"], ["LOCAL_ONE", "Error(WRITE_TIMEOUT)"]])
      expect(batches[0]!.batch!.map((s) => [s.query, s.decodedValues])).toEqual([
        ["INSERT INTO app.users (id, name) VALUES (?, ?)", [1, "a"]],
        // a query string with values goes prepared too
        ["UPDATE app.users SET name = ? WHERE id = ?", ["b", 2]]
      ])
      // the activity filter finds batches by any of their statements
      expect((yield* MockCluster.activity({ query: /^UPDATE app\.users/, kind: "batch" })).length).toBe(1)
    }).pipe(Effect.provide(env({ tables: { "app.users": { id: "int", name: "text" } } }))))

  it.effect("sequences of answers and times", () =>
    Effect.gen(function*() {
      const q = "UPDATE app.counters SET n = n + 1 WHERE id = 1"
      const p = yield* MockCluster.prime({ query: q, then: [Answer.overloaded(), Answer.void], times: 3 })
      const first = yield* Effect.exit(Session.execute(q))
      expect(Exit.isFailure(first) && JSON.stringify(first.cause)).toContain("Overloaded")
      expect(Exit.isSuccess(yield* Effect.exit(Session.execute(q)))).toBe(true)
      expect(Exit.isSuccess(yield* Effect.exit(Session.execute(q)))).toBe(true)
      expect(yield* p.uses).toBe(3)
      // exhausted: back to the default (void)
      yield* MockCluster.prime({ query: q, then: Answer.syntaxError(), times: 1 })
      expect(Exit.isFailure(yield* Effect.exit(Session.execute(q)))).toBe(true)
      expect(Exit.isSuccess(yield* Effect.exit(Session.execute(q)))).toBe(true)
    }).pipe(Effect.provide(env())))

  it.effect("rejects rows that do not fit their column types", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(MockCluster.prime({ query: "x", then: Answer.rows({ id: "int" }, [{ id: "not an int" }]) }))
      expect(error._tag).toBe("MockClusterError")
      expect(error.message).toContain("rows[0].id")
    }).pipe(Effect.provide(env())))

  it.effect("pages rows by the request's page size, with its own paging state", () =>
    Effect.gen(function*() {
      const rows = Array.from({ length: 10 }, (_, i) => ({ id: i }))
      yield* MockCluster.prime({ query: "SELECT id FROM app.nums", then: Answer.rows({ id: "int" }, rows) })
      const all = yield* Stream.runCollect(Session.stream("SELECT id FROM app.nums", undefined, { fetchSize: 3 }))
      expect([...all].map((r) => r["id"])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      const log = yield* MockCluster.activity({ query: "SELECT id FROM app.nums" })
      expect(log.map((a) => [a.pageSize, a.pagingState === undefined, a.answer])).toEqual([
        [3, true, "Rows(10)"],
        [3, false, "Rows(10)"],
        [3, false, "Rows(10)"],
        [3, false, "Rows(10)"]
      ])
      // manual paging, and resuming from a saved paging state
      const page1 = yield* Session.execute("SELECT id FROM app.nums", undefined, { fetchSize: 4 })
      expect(page1.rows.map((r) => r["id"])).toEqual([0, 1, 2, 3])
      const resumed = yield* Session.execute("SELECT id FROM app.nums", undefined, { fetchSize: 4, pagingState: page1.pagingState! })
      expect(resumed.rows.map((r) => r["id"])).toEqual([4, 5, 6, 7])
      const last = yield* resumed.nextPage
      expect(last.rows.map((r) => r["id"])).toEqual([8, 9])
      expect(last.hasMorePages).toBe(false)
    }).pipe(Effect.provide(env())))
})

describe("prepared statements", () => {
  it.effect("variables come from the tables option; values are logged decoded; results keep metadata", () =>
    Effect.gen(function*() {
      const q = "SELECT id, name FROM app.users WHERE id = ?"
      yield* MockCluster.prime({ query: q, values: [7], then: Answer.rows({ id: "uuid", name: "text" }, [{ id: "00000000-0000-0000-0000-000000000007", name: "x" }]) })
      const insert = yield* Session.prepare("INSERT INTO app.users (id, name, born) VALUES (?, ?, ?) USING TTL ?")
      expect(insert.variables.map((v) => `${v.name}:${v.type.kind}`)).toEqual(["id:int", "name:text", "born:date", "[ttl]:int"])
      expect(insert.pkIndexes).toEqual([0])
      yield* Session.execute(insert, [7, "x", LocalDate.of(2000, 1, 2), 60])
      const select = yield* Session.prepare(q)
      expect(select.resultColumns.map((c) => c.name)).toEqual(["id", "name"])
      const rs = yield* Session.execute(select, { id: 7 })
      expect(rs.rows).toEqual([{ id: "00000000-0000-0000-0000-000000000007", name: "x" }])
      const log = yield* MockCluster.activity({ kind: "execute" })
      expect(log.map((a) => a.decodedValues)).toEqual([[7, "x", LocalDate.of(2000, 1, 2), 60], [7]])
      expect(log[1]!.query).toBe(q)
    }).pipe(Effect.provide(env({ tables: { "app.users": { id: "int", name: "text", born: "date" } } }))))

  it.effect("variables declared in the prime; ids are stable (md5 of the text)", () =>
    Effect.gen(function*() {
      const q = "SELECT * FROM app.events WHERE day = :day AND kind IN :kinds"
      yield* MockCluster.prime({
        query: q,
        variables: { day: "date", kinds: "list<text>" },
        values: { day: LocalDate.of(2024, 1, 1), kinds: ["a", "b"] },
        then: Answer.rows({ n: "bigint" }, [{ n: 42n }])
      })
      const p = yield* Session.prepare(q)
      expect(p.variables.map((v) => v.name)).toEqual(["day", "kinds"])
      const rs = yield* Session.execute(p, { day: LocalDate.of(2024, 1, 1), kinds: ["a", "b"] })
      expect(rs.rows).toEqual([{ n: 42n }])
      const other = yield* Session.execute(p, { day: LocalDate.of(2024, 1, 2), kinds: ["a"] })
      expect(other.rows).toEqual([])
    }).pipe(Effect.provide(env())))

  it.effect("EXECUTE of an id the host never prepared answers UNPREPARED (the driver re-prepares)", () =>
    Effect.gen(function*() {
      const q = "SELECT * FROM app.users WHERE id = ?"
      const p = yield* Session.prepare(q)
      yield* MockCluster.MockCluster.use((m) => m.forgetPrepared())
      yield* Session.execute(p, [1])
      const log = yield* MockCluster.activity({ query: q })
      expect(log.map((a) => `${a.kind} ${a.answer}`)).toEqual([
        "prepare Prepared",
        "execute Error(UNPREPARED)",
        "prepare Prepared",
        "execute Rows(0)"
      ])
    }).pipe(Effect.provide(env({ tables: { "app.users": { id: "int" } } }))))
})

describe("pre-encoded answers", () => {
  for (const version of [4, 5] as const) {
    it.effect(`follow prime changes and forgotten statements (v${version})`, () =>
      Effect.gen(function*() {
        const mock = yield* MockCluster.MockCluster
        const q = "SELECT id, name FROM app.users WHERE id = ?"
        const a = yield* mock.prime({ query: q, then: Answer.rows({ id: "int", name: "text" }, [{ id: 1, name: "a" }]) })
        const p = yield* Session.prepare(q)
        const names = Effect.map(Session.execute(p, [1]), (rs) => rs.rows.map((r) => r["name"]))
        expect(yield* names).toEqual(["a"])
        expect(yield* names).toEqual(["a"])
        const b = yield* mock.prime({ query: q, then: Answer.rows({ id: "int", name: "text" }, [{ id: 1, name: "b" }, { id: 2, name: "c" }]) })
        expect(yield* names).toEqual(["b", "c"])
        yield* b.remove
        expect(yield* names).toEqual(["a"])
        // other columns than the prepared ones: the result carries its metadata (v5: a new metadata id)
        yield* mock.prime({ query: q, then: Answer.rows({ other: "bigint" }, [{ other: 5n }]) })
        expect((yield* Session.execute(p, [1])).rows).toEqual([{ other: 5n }])
        yield* mock.forgetPrepared()
        const c = yield* mock.prime({ query: q, then: Answer.rows({ id: "int", name: "text" }, [{ id: 9, name: "z" }]) })
        expect(yield* names).toEqual(["z"])
        expect(yield* a.uses).toBe(3)
        expect(yield* c.uses).toBe(1)
        const log = yield* mock.activity({ kind: "execute" })
        expect(log.map((x) => x.answer)).toEqual(["Rows(1)", "Rows(1)", "Rows(2)", "Rows(1)", "Rows(1)", "Error(UNPREPARED)", "Rows(1)"])
        expect(log.every((x) => x.version === version && x.consistency === "LOCAL_ONE")).toBe(true)
        // the host that forgot the statement cannot type the values: raw bytes only
        expect(log.map((x) => x.decodedValues?.[0])).toEqual([1, 1, 1, 1, 1, undefined, 1])
        expect(log[5]!.values).toEqual([new Uint8Array([0, 0, 0, 1])])
      }).pipe(Effect.provide(env({}, { protocolVersion: version }))))
  }
})

describe("time", () => {
  it.effect("a delayed answer arrives after its delay of virtual time", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: "SELECT * FROM app.slow", then: Answer.delayed("3 seconds", users) })
      const fiber = yield* Effect.forkChild(Session.execute("SELECT * FROM app.slow"))
      const [arrived] = yield* MockCluster.awaitActivity({ query: "SELECT * FROM app.slow" })
      expect(arrived!.answer).toBe("Rows(2) after 3s")
      yield* TestClock.adjust("2999 millis")
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      const rs = yield* Fiber.join(fiber)
      expect(rs.rows.length).toBe(2)
    }).pipe(Effect.provide(env())))
})

describe("system tables and topology", () => {
  it.effect("the driver discovers hosts, datacenters, racks and tokens from system.local / peers_v2", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const hosts = [...cluster.hosts()].sort((a, b) => a.address.localeCompare(b.address))
      expect(hosts.map((h) => [h.endpoint, h.datacenter, h.rack])).toEqual([
        ["127.0.0.1:9042", "dc1", "r1"],
        ["127.0.0.2:9042", "dc1", "r2"],
        ["127.0.0.3:9042", "dc2", "rack1"]
      ])
      const mock = yield* MockCluster.MockCluster
      const described = yield* mock.hosts
      expect(hosts.map((h) => h.hostId)).toEqual(described.map((h) => h.hostId))
      expect(hosts.map((h) => h.tokens)).toEqual(described.map((h) => h.tokens))
      expect(hosts[0]!.releaseVersion).toBe("5.0.9")
      // dc2 is remote: the default policy keeps no pool there, and never routes to it
      for (let i = 0; i < 6; i++) yield* Session.execute("SELECT * FROM app.users")
      const seen = new Set((yield* mock.activity({ query: "SELECT * FROM app.users" })).map((a) => a.host))
      expect([...seen].sort()).toEqual(["127.0.0.1:9042", "127.0.0.2:9042"])
    }).pipe(Effect.provide(env({
      hosts: [{ rack: "r1" }, { rack: "r2" }, { datacenter: "dc2" }]
    }))))

  it.effect("peers_v2 missing (Cassandra 3): the driver falls back to system.peers", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(cluster.hosts().length).toBe(2)
      const control = yield* MockCluster.activity({ includeControl: true, query: /system\.peers/ })
      expect(control.slice(0, 2).map((a) => `${a.query} ${a.answer}`)).toEqual([
        "SELECT * FROM system.peers_v2 Error(INVALID)",
        "SELECT * FROM system.peers Rows(1)"
      ])
    }).pipe(Effect.provide(env({ hosts: 2, peersV2: false }))))

  it.effect("a new node announced by TOPOLOGY_CHANGE is discovered after the refresh window", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(cluster.hosts().length).toBe(2)
      const mock = yield* MockCluster.MockCluster
      yield* mock.addHost({}, { notify: true })
      yield* TestClock.adjust("10 seconds")
      yield* mock.awaitActivity({ includeControl: true, query: "SELECT * FROM system.peers_v2", count: 2 })
      yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
      expect(cluster.hosts().map((h) => h.endpoint).sort()).toEqual(["127.0.0.1:9042", "127.0.0.2:9042", "127.0.0.3:9042"])
    }).pipe(Effect.provide(env({ hosts: 2 }, { schemaMetadataEnabled: false }))))

  it.effect("system_schema is answered from the tables option", () =>
    Effect.gen(function*() {
      const tables = yield* Session.execute("SELECT * FROM system_schema.columns")
      expect(tables.rows.map((r) => `${r["table_name"]}.${r["column_name"]} ${r["kind"]} ${r["type"]}`)).toEqual([
        "users.id partition_key uuid",
        "users.name regular text",
        "users.emails regular set<text>"
      ])
      const ks = yield* Session.execute("SELECT keyspace_name FROM system_schema.keyspaces")
      expect(ks.rows.map((r) => r["keyspace_name"])).toContain("app")
    }).pipe(Effect.provide(env({ tables: { "app.users": { id: "uuid", name: "text", emails: "set<text>" } } }))))
})

describe("auth", () => {
  it.effect("PasswordAuthenticator: right credentials connect", () =>
    Effect.gen(function*() {
      expect((yield* Session.execute("SELECT * FROM app.users")).rows).toEqual([])
      const log = yield* MockCluster.activity({ includeControl: true, kind: "authResponse" })
      expect(log.every((a) => a.answer === "AuthSuccess")).toBe(true)
    }).pipe(Effect.provide(env({ auth: { username: "cassandra", password: "secret" } }, { auth: { username: "cassandra", password: "secret" } }))))

  it.effect("wrong credentials fail with AuthenticationError", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.provide(
        Effect.void,
        Layer.provide(MockCluster.clusterLayer({ auth: { username: "cassandra", password: "wrong" } }), MockCluster.layer({ auth: { username: "cassandra", password: "secret" } }))
      ))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
        expect(failure?._tag === "Fail" && failure.error).toBeInstanceOf(Errors.AuthenticationError)
      }
    }))
})
