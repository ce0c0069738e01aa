/**
 * Schema agreement, metadata refreshes and refresh windows on mock hosts: hosts that disagree on the
 * schema version, `maxSchemaAgreementWait <= 0`, the targeted refreshes (table, type, function,
 * aggregate) and the jittered / disabled event windows, timed on the TestClock.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import { TestClock } from "effect/testing"
import { env, tick } from "./helpers/mock.ts"

const OTHER_VERSION = "11111111-2222-3333-4444-555555555555"
const ddl = "CREATE TABLE app.t (k int PRIMARY KEY)"
const tables = { "app.users": { id: "int", name: "text" } } as const

/** Steps the TestClock by `step` ms `times` times, letting socket callbacks run in between. */
const advance = (times: number, step = 100) =>
  Effect.gen(function*() {
    for (let i = 0; i < times; i++) {
      yield* tick
      yield* TestClock.adjust(`${step} millis`)
    }
    yield* tick
  })

const schemaVersionQueries = MockCluster.activity({ query: /schema_version/, includeControl: true })
const schemaReads = (pattern: RegExp = /system_schema/) => MockCluster.activity({ query: pattern, includeControl: true })

describe("schema agreement", () => {
  it.effect("hosts reporting different schema versions: DDL returns with schemaAgreed false after the wait", () =>
    Effect.gen(function*() {
      yield* MockCluster.setSchemaVersion(1, OTHER_VERSION)
      const fiber = yield* Effect.forkChild(Session.execute(ddl))
      yield* advance(15)
      const rs = yield* Fiber.join(fiber)
      expect(rs.schemaChange).toMatchObject({ target: "TABLE", keyspace: "app", name: "t" })
      expect(rs.schemaAgreed).toBe(false)
      // it kept asking, every 200 ms, for the whole second
      expect((yield* schemaVersionQueries).length).toBeGreaterThanOrEqual(5)
    }).pipe(Effect.provide(env({ hosts: 2 }, { maxSchemaAgreementWait: "1 second" }))))

  it.effect("agreement comes back when the hosts report the same version again", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.setSchemaVersion(1, OTHER_VERSION)
      const fiber = yield* Effect.forkChild(Session.execute(ddl))
      yield* advance(3)
      expect(fiber.pollUnsafe()).toBeUndefined()
      // the hosts converge while the driver waits
      yield* mock.setSchemaVersion(1, "00000000-0000-0000-0000-000000000000")
      yield* mock.setSchemaVersion(0, "00000000-0000-0000-0000-000000000000")
      yield* advance(3)
      const rs = yield* Fiber.join(fiber)
      expect(rs.schemaAgreed).toBe(true)
      // well before the 10 s wait
      expect(yield* Effect.clockWith((c) => Effect.succeed(c.currentTimeMillisUnsafe()))).toBeLessThan(1000)
    }).pipe(Effect.provide(env({ hosts: 2 }, { maxSchemaAgreementWait: "10 seconds" }))))

  it.effect("maxSchemaAgreementWait 0 skips the wait: no schema version is asked for", () =>
    Effect.gen(function*() {
      yield* MockCluster.setSchemaVersion(1, OTHER_VERSION)
      const rs = yield* Session.execute(ddl)
      expect(rs.schemaAgreed).toBe(true)
      expect(yield* schemaVersionQueries).toEqual([])
    }).pipe(Effect.provide(env({ hosts: 2 }, { maxSchemaAgreementWait: 0 }))))

  it.effect("a negative maxSchemaAgreementWait skips it too", () =>
    Effect.gen(function*() {
      yield* MockCluster.setSchemaVersion(1, OTHER_VERSION)
      const rs = yield* Session.execute(ddl)
      expect(rs.schemaAgreed).toBe(true)
      expect(yield* schemaVersionQueries).toEqual([])
    }).pipe(Effect.provide(env({ hosts: 2 }, { maxSchemaAgreementWait: "-1 seconds" }))))

  it.effect("the mock refuses a schema version that is not a uuid", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(MockCluster.setSchemaVersion(1, "v2"))
      expect(error).toMatchObject({ _tag: "MockClusterError", message: `a schema version is a uuid, got "v2"` })
    }).pipe(Effect.provide(env({ hosts: 2 }))))
})

describe("metadata refresh", () => {
  const withSchema = (cluster: Partial<Cluster.ClusterOptions> = {}) =>
    env({ hosts: 2, tables }, { schemaMetadataEnabled: true, ...cluster })

  it.effect("refreshSchema waits for agreement: SchemaDisagreement after its own wait, the metadata untouched", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const before = cluster.metadata.keyspaces()
      yield* MockCluster.setSchemaVersion(1, OTHER_VERSION)
      yield* MockCluster.clearActivity
      const fiber = yield* Effect.forkChild(Effect.flip(cluster.metadata.refreshSchemaWith({ maxSchemaAgreementWait: "600 millis" })))
      yield* advance(8)
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "SchemaDisagreement" })
      expect(error.message).toContain("600")
      expect(yield* schemaReads()).toEqual([])
      expect(cluster.metadata.keyspaces()).toBe(before)
      // without a wait it reads at once, agreed or not
      yield* cluster.metadata.refreshSchemaWith({ maxSchemaAgreementWait: 0 })
      expect((yield* schemaReads()).length).toBe(8)
      expect(cluster.metadata.keyspaces()).not.toBe(before)
      expect(cluster.metadata.table("app", "users")?.columns.map((c) => c.name).sort()).toEqual(["id", "name"])
    }).pipe(Effect.provide(withSchema())))

  it.effect("refreshSchema (the cluster's wait) succeeds when the hosts agree", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* MockCluster.clearActivity
      yield* cluster.metadata.refreshSchema
      expect((yield* schemaVersionQueries).length).toBeGreaterThan(0)
      expect((yield* schemaReads()).length).toBe(8)
    }).pipe(Effect.provide(withSchema())))

  it.effect("a bad maxSchemaAgreementWait is InvalidInput, before anything is asked", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* MockCluster.clearActivity
      const error = yield* Effect.flip(cluster.metadata.refreshSchemaWith({ maxSchemaAgreementWait: "soon" as never }))
      expect(error).toMatchObject({ _tag: "InvalidInput", path: "maxSchemaAgreementWait" })
      expect(yield* schemaVersionQueries).toEqual([])
    }).pipe(Effect.provide(withSchema())))

  it.effect("refreshTable reads that table's rows only; a table that is gone is forgotten", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(cluster.metadata.table("app", "users")).toBeDefined()
      yield* MockCluster.clearActivity
      yield* cluster.metadata.refreshTable("app", "users")
      const reads = (yield* schemaReads()).map((a) => a.query).sort()
      expect(reads).toEqual([
        "SELECT * FROM system_schema.columns WHERE keyspace_name = 'app' AND table_name = 'users'",
        "SELECT * FROM system_schema.indexes WHERE keyspace_name = 'app' AND table_name = 'users'",
        "SELECT * FROM system_schema.tables WHERE keyspace_name = 'app' AND table_name = 'users'",
        "SELECT * FROM system_schema.types WHERE keyspace_name = 'app'",
        "SELECT * FROM system_schema.views WHERE keyspace_name = 'app' AND view_name = 'users'"
      ])
      expect(cluster.metadata.table("app", "users")?.partitionKey.map((c) => c.name)).toEqual(["id"])
      // the server no longer has it
      yield* MockCluster.prime({
        query: "SELECT * FROM system_schema.tables WHERE keyspace_name = 'app' AND table_name = 'users'",
        system: true,
        then: Answer.rows({ keyspace_name: "text", table_name: "text" }, [])
      })
      yield* cluster.metadata.refreshTable("app", "users")
      expect(cluster.metadata.table("app", "users")).toBeUndefined()
      expect(cluster.metadata.keyspace("app")).toBeDefined()
    }).pipe(Effect.provide(withSchema())))

  it.effect("functions and aggregates: bodies, languages, types, state functions, initial conditions; refreshed one by one", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const fnColumns = {
        keyspace_name: "text",
        function_name: "text",
        argument_types: "frozen<list<text>>",
        argument_names: "frozen<list<text>>",
        body: "text",
        called_on_null_input: "boolean",
        language: "text",
        return_type: "text"
      } as const
      const fn = (body: string) => ({
        keyspace_name: "app",
        function_name: "plus",
        argument_types: ["int", "int"],
        argument_names: ["a", "b"],
        body,
        called_on_null_input: false,
        language: "java",
        return_type: "int"
      })
      const fnPrime = yield* MockCluster.prime({
        query: /^SELECT \* FROM system_schema\.functions WHERE keyspace_name = 'app'/,
        system: true,
        then: Answer.rows(fnColumns, [fn("return a + b;")])
      })
      yield* MockCluster.prime({
        query: /^SELECT \* FROM system_schema\.aggregates WHERE keyspace_name = 'app'/,
        system: true,
        then: Answer.rows({
          keyspace_name: "text",
          aggregate_name: "text",
          argument_types: "frozen<list<text>>",
          final_func: "text",
          initcond: "text",
          return_type: "text",
          state_func: "text",
          state_type: "text"
        }, [{
          keyspace_name: "app",
          aggregate_name: "total",
          argument_types: ["int"],
          final_func: null,
          initcond: "0",
          return_type: "int",
          state_func: "plus",
          state_type: "int"
        }])
      })
      yield* cluster.metadata.refreshKeyspace("app")
      const ks = cluster.metadata.keyspace("app")!
      expect(ks.functions).toEqual(["plus(int, int)"])
      expect(ks.userFunctions.get("plus(int, int)")).toEqual({
        keyspace: "app",
        name: "plus",
        signature: "plus(int, int)",
        argumentNames: ["a", "b"],
        argumentTypes: ["int", "int"],
        returnType: "int",
        language: "java",
        body: "return a + b;",
        calledOnNullInput: false
      })
      expect(ks.aggregates).toEqual(["total(int)"])
      expect(ks.userAggregates.get("total(int)")).toEqual({
        keyspace: "app",
        name: "total",
        signature: "total(int)",
        argumentTypes: ["int"],
        returnType: "int",
        stateFunction: "plus",
        stateType: "int",
        finalFunction: undefined,
        initialCondition: "0"
      })
      // the function changes on the server: refreshUserFunction reads it (by name) and keeps the overload asked for
      yield* fnPrime.remove
      yield* MockCluster.prime({
        query: "SELECT * FROM system_schema.functions WHERE keyspace_name = 'app' AND function_name = 'plus'",
        system: true,
        then: Answer.rows(fnColumns, [fn("return b + a;")])
      })
      yield* cluster.metadata.refreshUserFunction("app", "plus", ["INT", "int"])
      expect(cluster.metadata.keyspace("app")!.userFunctions.get("plus(int, int)")?.body).toBe("return b + a;")
      expect(cluster.metadata.keyspace("app")!.userAggregates.size).toBe(1)
      // an overload the server does not have is forgotten (here: none to forget, and none added)
      yield* cluster.metadata.refreshUserFunction("app", "plus", ["text"])
      expect(cluster.metadata.keyspace("app")!.functions).toEqual(["plus(int, int)"])
      // the aggregate is gone on the server
      yield* MockCluster.prime({
        query: "SELECT * FROM system_schema.aggregates WHERE keyspace_name = 'app' AND aggregate_name = 'total'",
        system: true,
        then: Answer.rows({ keyspace_name: "text" }, [])
      })
      yield* cluster.metadata.refreshUserAggregate("app", "total", ["int"])
      expect(cluster.metadata.keyspace("app")!.aggregates).toEqual([])
      expect(cluster.metadata.keyspace("app")!.userAggregates.size).toBe(0)
    }).pipe(Effect.provide(withSchema({ maxSchemaAgreementWait: 0 }))))

  it.effect("refreshUserType reads one type", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(cluster.metadata.keyspace("app")!.userTypes.size).toBe(0)
      yield* MockCluster.prime({
        query: "SELECT * FROM system_schema.types WHERE keyspace_name = 'app' AND type_name = 'address'",
        system: true,
        then: Answer.rows(
          { keyspace_name: "text", type_name: "text", field_names: "frozen<list<text>>", field_types: "frozen<list<text>>" },
          [{ keyspace_name: "app", type_name: "address", field_names: ["street", "zip"], field_types: ["text", "int"] }]
        )
      })
      yield* cluster.metadata.refreshUserType("app", "address")
      expect(cluster.metadata.keyspace("app")!.userTypes.get("address")).toEqual({
        keyspace: "app",
        name: "address",
        fields: [{ name: "street", typeText: "text" }, { name: "zip", typeText: "int" }]
      })
    }).pipe(Effect.provide(withSchema({ maxSchemaAgreementWait: 0 }))))

  it.effect("a refresh in a keyspace the driver does not know yet reads that keyspace whole", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* MockCluster.clearActivity
      yield* cluster.metadata.refreshTable("elsewhere", "t")
      const reads = (yield* schemaReads()).map((a) => a.query)
      expect(reads).toContain("SELECT * FROM system_schema.keyspaces WHERE keyspace_name = 'elsewhere'")
      expect(cluster.metadata.keyspace("elsewhere")).toBeUndefined()
    }).pipe(Effect.provide(withSchema({ maxSchemaAgreementWait: 0 }))))
})

describe("refresh windows", () => {
  /** A Random that always draws `value`: the jitter is known. */
  const fixedRandom = (value: number) =>
    Layer.succeed(Random.Random, { nextDoubleUnsafe: () => value, nextIntUnsafe: () => Math.floor(value * Number.MAX_SAFE_INTEGER) })
  const schemaEvent = MockCluster.schemaChange({ changeType: "CREATED", target: "TABLE", keyspace: "app", name: "t" })
  const keyspaceReads = schemaReads(/system_schema\.keyspaces WHERE keyspace_name = 'app'/)

  it.effect("a schema event's refresh runs after a random part of the window (the Random service's draw)", () =>
    Effect.gen(function*() {
      yield* MockCluster.clearActivity
      yield* tick
      expect(yield* schemaEvent).toBe(1)
      yield* tick
      yield* TestClock.adjust("999 millis")
      yield* tick
      expect(yield* keyspaceReads).toEqual([])
      yield* TestClock.adjust("1 millis")
      yield* advance(1, 0)
      const reads = yield* keyspaceReads
      expect(reads.map((a) => a.at)).toEqual([1000])
    }).pipe(Effect.provide(
      env({ hosts: 1, tables }, { schemaMetadataEnabled: true, schemaEventRefreshWindow: "2 seconds" }).pipe(Layer.provide(fixedRandom(0.5)))
    )))

  it.effect("a zero window refreshes at once", () =>
    Effect.gen(function*() {
      yield* MockCluster.clearActivity
      yield* tick
      expect(yield* schemaEvent).toBe(1)
      yield* advance(2, 0)
      expect((yield* keyspaceReads).map((a) => a.at)).toEqual([0])
    }).pipe(Effect.provide(env({ hosts: 1, tables }, { schemaMetadataEnabled: true, schemaEventRefreshWindow: 0 }))))

  it.effect("a negative window disables refreshes on schema events; DDL still refreshes", () =>
    Effect.gen(function*() {
      yield* MockCluster.clearActivity
      yield* tick
      expect(yield* schemaEvent).toBe(1)
      yield* advance(30, 1000)
      expect(yield* keyspaceReads).toEqual([])
      yield* Session.execute("CREATE TABLE app.t (k int PRIMARY KEY)")
      expect((yield* keyspaceReads).length).toBe(1)
    }).pipe(Effect.provide(
      env({ hosts: 1, tables }, { schemaMetadataEnabled: true, schemaEventRefreshWindow: -1, maxSchemaAgreementWait: 0 })
    )))

  it.effect("a negative topology window disables refreshes on topology events", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* MockCluster.addHost({}, { notify: true })
      yield* advance(30, 1000)
      expect(cluster.hosts().length).toBe(1)
      // an explicit refresh still reads the hosts
      yield* cluster.refreshTopology
      expect(cluster.hosts().length).toBe(2)
    }).pipe(Effect.provide(env({ hosts: 1 }, { topologyEventRefreshWindow: -1 }))))

  it.effect("a topology event refreshes within the window", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* MockCluster.addHost({}, { notify: true })
      yield* advance(11, 1000)
      expect(cluster.hosts().length).toBe(2)
    }).pipe(Effect.provide(env({ hosts: 1 }, { topologyEventRefreshWindow: "10 seconds" }))))
})

describe("token metadata disabled", () => {
  it.effect("no tokens are read: system.local and system.peers_v2 are read by their columns, without tokens", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* cluster.refreshTopology
      const reads = (yield* MockCluster.activity({ query: /FROM system\.(local|peers)/, includeControl: true })).map((a) => a.query)
      expect(reads.length).toBeGreaterThan(0)
      for (const query of reads) {
        expect(query).not.toContain("*")
        expect(query).not.toContain("tokens")
      }
      expect(cluster.metadata.tokenMap()).toBeUndefined()
      expect(cluster.hosts().map((h) => [h.datacenter, h.tokens])).toEqual([["dc1", []], ["dc1", []]])
      expect(cluster.hosts().every((h) => h.hostId !== undefined && h.releaseVersion !== undefined)).toBe(true)
    }).pipe(Effect.provide(env({ hosts: 2 }, { tokenMetadataEnabled: false }))))

  it.effect("with system.peers only (Cassandra 3), the peers are still found", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(cluster.hosts().map((h) => h.endpoint).sort()).toEqual(["127.0.0.1:9042", "127.0.0.2:9042"])
      const reads = (yield* MockCluster.activity({ query: /FROM system\.peers\b/, includeControl: true })).map((a) => a.query)
      expect(reads).toContain("SELECT peer, rpc_address, host_id, data_center, rack, release_version, schema_version FROM system.peers")
    }).pipe(Effect.provide(env({ hosts: 2, peersV2: false }, { tokenMetadataEnabled: false }))))
})

describe("schema export as CQL", () => {
  it.effect("a keyspace's tables, types, functions and aggregates, in DESCRIBE's layout", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* MockCluster.prime({
        query: /^SELECT \* FROM system_schema\.functions WHERE keyspace_name = 'app'/,
        system: true,
        then: Answer.rows({
          keyspace_name: "text",
          function_name: "text",
          argument_types: "frozen<list<text>>",
          argument_names: "frozen<list<text>>",
          body: "text",
          called_on_null_input: "boolean",
          language: "text",
          return_type: "text"
        }, [{
          keyspace_name: "app",
          function_name: "plus",
          argument_types: ["int", "int"],
          argument_names: ["a", "b"],
          body: "return a + b;",
          called_on_null_input: false,
          language: "java",
          return_type: "int"
        }])
      })
      yield* cluster.metadata.refreshKeyspace("app")
      expect(cluster.metadata.exportKeyspace("app")).toBe([
        "CREATE KEYSPACE app WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '2'} AND durable_writes = true;",
        "CREATE FUNCTION app.plus(a int, b int)\n    RETURNS NULL ON NULL INPUT\n    RETURNS int\n    LANGUAGE java\n    AS $$return a + b;$$;",
        "CREATE TABLE app.users (\n    id int PRIMARY KEY,\n    name text\n) WITH bloom_filter_fp_chance = 0.01\n    AND comment = ''\n    AND default_time_to_live = 0;"
      ].join("\n\n"))
      expect(cluster.metadata.exportTable("app", "users")).toBe(
        "CREATE TABLE app.users (\n    id int PRIMARY KEY,\n    name text\n) WITH bloom_filter_fp_chance = 0.01\n    AND comment = ''\n    AND default_time_to_live = 0;"
      )
      expect(cluster.metadata.exportKeyspace("nope")).toBeUndefined()
      expect(cluster.metadata.exportSchema()).toBe(cluster.metadata.exportKeyspace("app"))
    }).pipe(Effect.provide(env({ hosts: 2, tables }, { schemaMetadataEnabled: true, maxSchemaAgreementWait: 0 }))))
})
