/**
 * effect/sql over a driver Session, on mock hosts: statements run as prepared statements with their
 * values typed by the table, `sql.in` markers, every page read, streams, SqlSchema and SqlResolver,
 * and what CQL cannot do failing typed before anything is sent.
 */
import { Session } from "@effect-cassandra/driver"
import { CassandraClient, CassandraMigrator, SqlErrors } from "@effect-cassandra/sql"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as String from "effect/String"
import { SqlClient, SqlResolver, SqlSchema } from "effect/sql"
import { TestClock } from "effect/testing"

const ADA = "5a1d1d3e-0000-4000-8000-000000000001"
const BOB = "5a1d1d3e-0000-4000-8000-000000000002"

const users = { id: "uuid", name: "text", joined_year: "int" } as const

const layer = (session: Session.SessionOptions = {}, client: CassandraClient.CassandraClientOptions = {}) =>
  CassandraClient.layer(client).pipe(
    Layer.provideMerge(Session.layer(session)),
    Layer.provideMerge(MockCluster.clusterLayer()),
    Layer.provideMerge(MockCluster.layer({
      tables: { "app.users": users, "app.effect_sql_migrations": { migration_id: "int", name: "text", created_at: "timestamp" } }
    }))
  )

/** The requests that ran the statements matching `query` (PREPAREs left out). */
const sent = (query: RegExp) => Effect.map(MockCluster.activity({ query }), (log) => log.filter((a) => a.kind !== "prepare"))

describe("statements", () => {
  it.effect("a tagged template runs as a prepared statement, its values typed by the table", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* MockCluster.prime({ query: /FROM app\.users WHERE id =/, then: Answer.rows(users, [{ id: ADA, name: "ada", joined_year: 2020 }]) })
      const rows = yield* sql`SELECT id, name, joined_year FROM app.users WHERE id = ${ADA}`
      expect(rows).toEqual([{ id: ADA, name: "ada", joined_year: 2020 }])
      const log = yield* sent(/FROM app\.users WHERE id =/)
      expect(log.map((a) => a.kind)).toEqual(["execute"])
      expect(log[0]!.query).toBe("SELECT id, name, joined_year FROM app.users WHERE id = ?")
      expect(log[0]!.decodedValues).toEqual([ADA])
      // .unprepared asks for a simple statement, but values still go prepared: only the server knows the
      // columns' types (the driver never guesses them from JS values)
      yield* sql`SELECT id, name, joined_year FROM app.users WHERE id = ${ADA}`.unprepared
      expect((yield* sent(/FROM app\.users WHERE id =/)).map((a) => a.kind)).toEqual(["execute", "execute"])
      // without values it is one
      yield* sql`SELECT id, name, joined_year FROM app.users WHERE id = 1`.unprepared
      expect((yield* sent(/FROM app\.users WHERE id =/)).map((a) => a.kind)).toEqual(["execute", "execute", "query"])
    }).pipe(Effect.provide(layer())))

  it.effect("sql.in renders one marker per value, each typed as the column", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* MockCluster.prime({ query: /WHERE "id" IN/, then: Answer.rows(users, [{ id: ADA, name: "ada", joined_year: 2020 }, { id: BOB, name: "bob", joined_year: 2021 }]) })
      const rows = yield* sql`SELECT * FROM app.users WHERE ${sql.in("id", [ADA, BOB])}`
      expect(rows.map((r) => r.name)).toEqual(["ada", "bob"])
      const log = yield* sent(/WHERE "id" IN/)
      expect(log[0]!.query).toBe(`SELECT * FROM app.users WHERE "id" IN (?,?)`)
      expect(log[0]!.decodedValues).toEqual([ADA, BOB])
    }).pipe(Effect.provide(layer())))

  it.effect("an empty sql.in list is `IN ()`; identifiers are double-quoted, dots split", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      expect(sql`SELECT * FROM t WHERE k IN ${sql.in([])}`.compile()[0]).toBe("SELECT * FROM t WHERE k IN ()")
      expect(sql`SELECT * FROM ${sql("app.Users")} WHERE ${sql("a\"b")} = ${1}`.compile()).toEqual([
        `SELECT * FROM "app"."Users" WHERE "a""b" = ?`,
        [1]
      ])
      expect(sql`UPDATE t SET ${sql.update({ name: "x", joined_year: 3 })} WHERE id = ${ADA}`.compile()).toEqual([
        `UPDATE t SET "name" = ?, "joined_year" = ? WHERE id = ?`,
        ["x", 3, ADA]
      ])
      expect(sql`INSERT INTO t ${sql.insert({ id: ADA, name: "x" })}`.compile()[0]).toBe(`INSERT INTO t ("id","name") VALUES (?,?)`)
    }).pipe(Effect.provide(layer())))

  it.effect("every page is read: 7 rows in pages of 3", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const all = Array.from({ length: 7 }, (_, i) => ({ id: ADA, name: `n${i}`, joined_year: i }))
      yield* MockCluster.prime({ query: "SELECT * FROM app.users", then: Answer.rows(users, all) })
      const rows = yield* sql`SELECT * FROM app.users`
      expect(rows.map((r) => r.joined_year)).toEqual([0, 1, 2, 3, 4, 5, 6])
      expect((yield* sent(/^SELECT \* FROM app\.users$/)).map((a) => a.pageSize)).toEqual([3, 3, 3])
      // .values: each row as its values in column order
      const values = yield* sql`SELECT * FROM app.users`.values
      expect(values[6]).toEqual([ADA, "n6", 6])
      expect(values.length).toBe(7)
      // .stream is Session.stream: pages as the consumer pulls
      const streamed = yield* Stream.runCollect(sql`SELECT * FROM app.users`.stream)
      expect(Array.from(streamed).map((r: any) => r.name)).toEqual(all.map((r) => r.name))
    }).pipe(Effect.provide(layer({ defaults: { fetchSize: 3 } }))))

  it.effect("withStatementOptions: the driver's options for the statements of a region, over the session's defaults", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const all = Array.from({ length: 4 }, (_, i) => ({ id: ADA, name: `n${i}`, joined_year: i }))
      yield* MockCluster.prime({ query: "SELECT * FROM app.users", then: Answer.rows(users, all) })
      yield* sql`SELECT * FROM app.users`
      yield* sql`SELECT * FROM app.users`.pipe(CassandraClient.withStatementOptions({ consistency: "QUORUM", fetchSize: 2 }))
      yield* Stream.runDrain(sql`SELECT * FROM app.users`.stream).pipe(
        CassandraClient.withStatementOptions({ consistency: "LOCAL_QUORUM" }),
        CassandraClient.withStatementOptions({ fetchSize: 3 })
      )
      const log = yield* sent(/^SELECT \* FROM app\.users$/)
      expect(log.map((a) => `${a.consistency}/${a.pageSize}`)).toEqual([
        "ONE/5000",
        "QUORUM/2",
        "QUORUM/2",
        "LOCAL_QUORUM/3",
        "LOCAL_QUORUM/3"
      ])
    }).pipe(Effect.provide(layer({ defaults: { consistency: "ONE" } }))))

  it.effect("name transforms: camelCase in code, snake_case in CQL", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* MockCluster.prime({ query: /FROM app\.users/, then: Answer.rows(users, [{ id: ADA, name: "ada", joined_year: 2020 }]) })
      const rows = yield* sql`SELECT ${sql("joinedYear")} FROM app.users`
      expect(rows).toEqual([{ id: ADA, name: "ada", joinedYear: 2020 }])
      expect((yield* sent(/FROM app\.users/))[0]!.query).toBe(`SELECT "joined_year" FROM app.users`)
    }).pipe(Effect.provide(layer({}, { transformQueryNames: String.camelToSnake, transformResultNames: String.snakeToCamel }))))
})

class User extends Schema.Class<User>("User")({ id: Schema.String, name: Schema.String, joined_year: Schema.Number }) {}

describe("SqlSchema and SqlResolver", () => {
  it.effect("findAll, findOne and void encode the request and decode the rows", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* MockCluster.prime({ query: /WHERE joined_year =/, then: Answer.rows(users, [{ id: ADA, name: "ada", joined_year: 2020 }]) })
      const byYear = SqlSchema.findAll({
        Request: Schema.Number,
        Result: User,
        execute: (year) => sql`SELECT * FROM app.users WHERE joined_year = ${year} ALLOW FILTERING`
      })
      const found = yield* byYear(2020)
      expect(found).toEqual([new User({ id: ADA, name: "ada", joined_year: 2020 })])
      const one = SqlSchema.findOne({ Request: Schema.Number, Result: User, execute: (year) => sql`SELECT * FROM app.users WHERE joined_year = ${year} ALLOW FILTERING` })
      expect((yield* one(2020)).name).toBe("ada")
      const insert = SqlSchema.void({ Request: User, execute: (u) => sql`INSERT INTO app.users ${sql.insert(u)}` })
      yield* insert(new User({ id: BOB, name: "bob", joined_year: 2021 }))
      const log = yield* sent(/^INSERT INTO app\.users/)
      expect(log[0]!.query).toBe(`INSERT INTO app.users ("id","name","joined_year") VALUES (?,?,?)`)
      expect(log[0]!.decodedValues).toEqual([BOB, "bob", 2021])
    }).pipe(Effect.provide(layer())))

  it.effect("SqlResolver.findById batches concurrent lookups into one IN query", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* MockCluster.prime({
        query: /WHERE "id" IN/,
        then: Answer.rows(users, [{ id: BOB, name: "bob", joined_year: 2021 }, { id: ADA, name: "ada", joined_year: 2020 }])
      })
      const resolver = SqlResolver.findById({
        Id: Schema.String,
        Result: User,
        ResultId: (u) => u.id,
        execute: (ids) => sql`SELECT * FROM app.users WHERE ${sql.in("id", ids)}`
      })
      const byId = SqlResolver.request(resolver)
      const [a, b] = yield* Effect.all([byId(ADA), byId(BOB)], { concurrency: "unbounded" })
      expect([a.name, b.name]).toEqual(["ada", "bob"])
      const log = yield* sent(/WHERE "id" IN/)
      expect(log.length).toBe(1)
      expect(log[0]!.decodedValues).toEqual([ADA, BOB])
    }).pipe(Effect.provide(layer())))
})

const unsupportedOf = (error: unknown) => {
  const e = error as { readonly _tag: string; readonly reason: { readonly _tag: string; readonly cause: unknown } }
  return { tag: e._tag, reason: e.reason._tag, cause: e.reason.cause instanceof SqlErrors.Unsupported ? e.reason.cause.feature : undefined }
}

describe("CassandraClient.batch", () => {
  it.effect("sends the statements as one BATCH of prepared statements, with the batch's options", () =>
    Effect.gen(function*() {
      const client = yield* CassandraClient.CassandraClient
      const sql = client
      const rows = yield* client.batch([
        sql`INSERT INTO app.users ${sql.insert({ id: ADA, name: "ada", joined_year: 2020 })}`,
        sql`UPDATE app.users SET ${sql.update({ name: "bob" })} WHERE id = ${BOB}`
      ], { type: "unlogged" }).pipe(CassandraClient.withStatementOptions({ consistency: "QUORUM", fetchSize: 10 }))
      expect(rows).toEqual([])
      const log = yield* MockCluster.activity({ kind: "batch" })
      expect(log.length).toBe(1)
      expect(log[0]!.consistency).toBe("QUORUM")
      expect(log[0]!.batch!.map((b) => [b.query, b.decodedValues])).toEqual([
        [`INSERT INTO app.users ("id","name","joined_year") VALUES (?,?,?)`, [ADA, "ada", 2020]],
        [`UPDATE app.users SET "name" = ? WHERE id = ?`, ["bob", BOB]]
      ])
      // a statement CQL cannot express fails the batch before anything is sent
      const returning = yield* Effect.flip(client.batch([
        sql`INSERT INTO app.users ${sql.insert({ id: ADA })}`,
        sql`INSERT INTO app.users ${sql.insert({ id: BOB }).returning("*")}`
      ]))
      expect(unsupportedOf(returning)).toEqual({ tag: "SqlError", reason: "SqlSyntaxError", cause: "returning" })
      expect((yield* MockCluster.activity({ kind: "batch" })).length).toBe(1)
      // the driver's errors: a bad batch type is InvalidInput, before sending
      const badType = yield* Effect.flip(client.batch([sql`DELETE FROM app.users WHERE id = ${ADA}`], { type: "atomic" as never }))
      expect([badType.reason._tag, (badType.reason.cause as { readonly _tag: string })._tag]).toEqual(["SqlSyntaxError", "InvalidInput"])
      expect((yield* MockCluster.activity({ kind: "batch" })).length).toBe(1)
    }).pipe(Effect.provide(layer())))
})

describe("what CQL does not have fails typed, before anything is sent", () => {
  it.effect("withTransaction, RETURNING, multi-row insert, updateValues", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const tx = yield* Effect.flip(sql.withTransaction(sql`SELECT * FROM app.users`))
      expect(unsupportedOf(tx)).toEqual({ tag: "SqlError", reason: "UnknownError", cause: "transaction" })
      expect(tx.message).toMatch(/Cassandra has no transactions/)
      const returning = yield* Effect.flip(sql`INSERT INTO app.users ${sql.insert({ id: ADA, name: "x" }).returning("*")}`)
      expect(unsupportedOf(returning)).toEqual({ tag: "SqlError", reason: "SqlSyntaxError", cause: "returning" })
      const updateReturning = yield* Effect.flip(sql`UPDATE app.users SET ${sql.update({ name: "x" }).returning("*")} WHERE id = ${ADA}`)
      expect(unsupportedOf(updateReturning).cause).toBe("returning")
      const many = yield* Effect.flip(sql`INSERT INTO app.users ${sql.insert([{ id: ADA, name: "a" }, { id: BOB, name: "b" }])}`)
      expect(unsupportedOf(many)).toEqual({ tag: "SqlError", reason: "SqlSyntaxError", cause: "multiRowInsert" })
      const values = yield* Effect.flip(sql`UPDATE app.users SET name = u.name FROM ${sql.updateValues([{ id: ADA, name: "a" }], "u")}`)
      expect(unsupportedOf(values).cause).toBe("updateValues")
      const streamed = yield* Effect.flip(Stream.runDrain(sql`INSERT INTO app.users ${sql.insert({ id: ADA }).returning("*")}`.stream))
      expect(unsupportedOf(streamed).cause).toBe("returning")
      expect(yield* MockCluster.activity({ query: /app\.users|BEGIN/ })).toEqual([])
    }).pipe(Effect.provide(layer())))
})

describe("driver errors as SqlError reasons, through the mock", () => {
  const cases: ReadonlyArray<readonly [string, Answer.Answer, string]> = [
    ["syntax", Answer.syntaxError({ message: "line 1:0 no viable alternative" }), "SqlSyntaxError"],
    ["invalid", Answer.invalid({ message: "unknown column" }), "SqlSyntaxError"],
    ["unauthorized", Answer.unauthorized(), "AuthorizationError"],
    ["read timeout with data", Answer.readTimeout({ received: 0, blockFor: 1 }), "StatementTimeoutError"],
    ["already exists", Answer.alreadyExists({ keyspace: "app", table: "users" }), "ConstraintError"],
    ["server error", Answer.serverError(), "UnknownError"]
  ]
  for (const [name, answer, reason] of cases) {
    it.effect(`${name}: ${reason}, the driver's error as its cause`, () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* MockCluster.prime({ query: /FROM app\.users/, then: answer })
        const error = yield* Effect.flip(sql`SELECT * FROM app.users WHERE id = ${ADA}`)
        expect(error.reason._tag).toBe(reason)
        expect(error.reason.operation).toBe("execute")
        expect((error.reason.cause as { readonly host?: string }).host).toMatch(/^127\.0\.0\.1:9042$/)
      }).pipe(Effect.provide(layer())))
  }
})

describe("driver errors raised by the client, through the mock", () => {
  it.effect("a client timeout is StatementTimeoutError, a value that does not fit SqlSyntaxError (nothing sent), no host ConnectionError", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* MockCluster.prime({ query: /FROM app\.users WHERE id =/, then: Answer.noAnswer })
      const fiber = yield* Effect.forkChild(Effect.flip(
        sql`SELECT * FROM app.users WHERE id = ${ADA}`.pipe(CassandraClient.withStatementOptions({ timeout: "2 seconds" }))
      ))
      yield* MockCluster.awaitActivity({ query: /FROM app\.users WHERE id =/, kind: "execute" })
      yield* TestClock.adjust("2 seconds")
      const timedOut = yield* Fiber.join(fiber)
      expect([timedOut.reason._tag, (timedOut.reason.cause as { readonly _tag: string })._tag]).toEqual(["StatementTimeoutError", "OperationTimedOut"])

      const bad = yield* Effect.flip(sql`SELECT * FROM app.users WHERE joined_year = ${"not an int"}`)
      expect([bad.reason._tag, (bad.reason.cause as { readonly _tag: string })._tag]).toEqual(["SqlSyntaxError", "InvalidInput"])
      expect(yield* sent(/WHERE joined_year =/)).toEqual([])

      yield* MockCluster.hostDown(0)
      const down = yield* Effect.flip(sql`SELECT * FROM app.users WHERE name = ${"x"} ALLOW FILTERING`)
      expect([down.reason._tag, down.isRetryable]).toEqual(["ConnectionError", true])
    }).pipe(Effect.provide(layer())))
})

describe("CassandraClient.layerConfig", () => {
  it.effect("Cluster, Session and SqlClient from CASSANDRA_*, the keyspace included", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const client = yield* CassandraClient.CassandraClient
      expect(client.session.keyspace()).toBe("app")
      expect(sql.driver).toBe("cassandra")
      yield* sql`SELECT * FROM users WHERE id = ${ADA}`
      const log = yield* sent(/FROM users WHERE id =/)
      expect([log[0]!.kind, log[0]!.consistency]).toEqual(["execute", "LOCAL_QUORUM"])
    }).pipe(Effect.provide(CassandraClient.layerConfig().pipe(
      Layer.provideMerge(MockCluster.layer({ tables: { "app.users": users } })),
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({
        CASSANDRA_CONTACT_POINTS: "127.0.0.1",
        CASSANDRA_LOCAL_DC: "dc1",
        CASSANDRA_KEYSPACE: "app",
        CASSANDRA_CONSISTENCY: "LOCAL_QUORUM"
      })))
    ))))
})

describe("CassandraMigrator", () => {
  it.effect("creates its table, runs the migrations above the latest applied one, records each", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({
        query: `SELECT migration_id FROM "effect_sql_migrations"`,
        then: Answer.rows({ migration_id: "int" }, [{ migration_id: 1 }])
      })
      const ran = yield* CassandraMigrator.run({
        loader: CassandraMigrator.fromRecord({
          "1_create_users": Effect.die("already applied: must not run"),
          "2_add_email": Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => Effect.asVoid(sql`ALTER TABLE app.users ADD email text`)),
          "3_create_index": Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => Effect.asVoid(sql`CREATE INDEX IF NOT EXISTS ON app.users (name)`))
        })
      })
      expect(ran).toEqual([[2, "add_email"], [3, "create_index"]])
      const log = yield* sent(/effect_sql_migrations|app\.users/)
      expect(log.map((a) => (a.query ?? "").replace(/ VALUES .*/, ""))).toEqual([
        `CREATE TABLE IF NOT EXISTS "effect_sql_migrations" (migration_id int PRIMARY KEY, name text, created_at timestamp)`,
        `SELECT migration_id FROM "effect_sql_migrations"`,
        "ALTER TABLE app.users ADD email text",
        `INSERT INTO "effect_sql_migrations" (migration_id, name, created_at)`,
        "CREATE INDEX IF NOT EXISTS ON app.users (name)",
        `INSERT INTO "effect_sql_migrations" (migration_id, name, created_at)`
      ])
      expect(log.filter((a) => a.query?.startsWith("INSERT")).map((a) => a.decodedValues)).toEqual([[2, "add_email"], [3, "create_index"]])
    }).pipe(Effect.provide(layer({ keyspace: "app" }))))

  it.effect("a row another run recorded meanwhile: MigrationError Locked", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({
        query: /^INSERT INTO "effect_sql_migrations"/,
        then: Answer.rows({ "[applied]": "boolean", migration_id: "int" }, [{ "[applied]": false, migration_id: 1 }])
      })
      const error = yield* Effect.flip(CassandraMigrator.run({ loader: CassandraMigrator.fromRecord({ "1_a": Effect.void }) }))
      expect(error._tag).toBe("MigrationError")
      expect((error as { readonly kind?: string }).kind).toBe("Locked")
    }).pipe(Effect.provide(layer({ keyspace: "app" }))))
})
