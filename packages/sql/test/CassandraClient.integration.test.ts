/**
 * effect/sql over a real Cassandra 5.0 node: statements, sql.in, paging, streams, SqlSchema, SqlResolver,
 * the migrator, and the server's errors as SqlError reasons.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { testCluster } from "@effect-cassandra/local/vitest"
import { CassandraClient, CassandraMigrator } from "@effect-cassandra/sql"
import { expect, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { SqlClient, SqlResolver, SqlSchema } from "effect/sql"
import { execFile } from "node:child_process"
import path from "node:path"
import { promisify } from "node:util"

const info = testCluster()
const ks = "it_sql"

const setup = Layer.effectDiscard(Effect.gen(function*() {
  yield* Session.execute(`DROP KEYSPACE IF EXISTS ${ks}`)
  yield* Session.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)
}))

const ClusterLive = Cluster.layer({
  contactPoints: info.contactPoints,
  localDc: info.localDatacenter,
  ...(info.credentials ? { auth: info.credentials } : {})
})
// a first session creates the keyspace; the client's session uses it
const Live = CassandraClient.layer().pipe(
  Layer.provideMerge(Session.layer({ keyspace: ks, defaults: { fetchSize: 2 } })),
  Layer.provide(Layer.provideMerge(setup, Session.layer())),
  Layer.provideMerge(ClusterLive)
)

class User extends Schema.Class<User>("User")({ id: Schema.Number, name: Schema.String }) {}

layer(Live, { excludeTestServices: true, timeout: "120 seconds" })("CassandraClient on a real node", (it) => {
  it.effect("migrates, writes, reads every page, streams, batches lookups", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const ran = yield* CassandraMigrator.run({
        loader: CassandraMigrator.fromRecord({
          "1_users": Effect.asVoid(sql`CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, name text)`),
          "2_seed": Effect.forEach([1, 2, 3, 4, 5], (id) => sql`INSERT INTO users ${sql.insert({ id, name: `user${id}` })}`, { discard: true })
        })
      })
      expect(ran).toEqual([[1, "users"], [2, "seed"]])
      // a second run finds both applied
      expect(yield* CassandraMigrator.run({ loader: CassandraMigrator.fromRecord({ "1_users": Effect.die("ran twice"), "2_seed": Effect.die("ran twice") }) })).toEqual([])

      // pages of 2: every row comes back
      const all = yield* sql<{ readonly id: number; readonly name: string }>`SELECT id, name FROM users`
      expect(all.map((r) => r.id).sort()).toEqual([1, 2, 3, 4, 5])
      const streamed = yield* Stream.runCollect(sql`SELECT id FROM users`.stream)
      expect(Array.from(streamed).length).toBe(5)

      const some = yield* sql<{ readonly name: string }>`SELECT name FROM users WHERE ${sql.in("id", [2, 4])}`
      expect(some.map((r) => r.name).sort()).toEqual(["user2", "user4"])
      expect(yield* sql`SELECT name FROM users WHERE id IN ${sql.in([])}`).toEqual([])

      const findOne = SqlSchema.findOne({ Request: Schema.Number, Result: User, execute: (id) => sql`SELECT id, name FROM users WHERE id = ${id}` })
      expect(yield* findOne(3)).toEqual(new User({ id: 3, name: "user3" }))
      const rename = SqlSchema.void({ Request: User, execute: (u) => sql`UPDATE users SET ${sql.update(u, ["id"])} WHERE id = ${u.id}` })
      yield* rename(new User({ id: 3, name: "renamed" }))
      expect((yield* findOne(3)).name).toBe("renamed")

      const byId = SqlResolver.request(SqlResolver.findById({
        Id: Schema.Number,
        Result: User,
        ResultId: (u) => u.id,
        execute: (ids) => sql`SELECT id, name FROM users WHERE ${sql.in("id", ids)}`
      }))
      const users = yield* Effect.all([byId(5), byId(1), byId(2)], { concurrency: "unbounded" })
      expect(users.map((u) => u.name)).toEqual(["user5", "user1", "user2"])
    }))

  it.effect("CassandraClient.batch: a logged batch, and a conditional one that reports [applied]", () =>
    Effect.gen(function*() {
      const client = yield* CassandraClient.CassandraClient
      const sql = client
      yield* client.batch([
        sql`INSERT INTO users ${sql.insert({ id: 10, name: "ten" })}`,
        sql`INSERT INTO users ${sql.insert({ id: 11, name: "eleven" })}`
      ])
      const back = yield* sql<{ readonly name: string }>`SELECT name FROM users WHERE ${sql.in("id", [10, 11])}`
      expect(back.map((r) => r.name).sort()).toEqual(["eleven", "ten"])
      const applied = yield* client.batch([sql`INSERT INTO users (id, name) VALUES (${10}, ${"again"}) IF NOT EXISTS`])
      expect(applied[0]?.["[applied]"]).toBe(false)
      expect(applied[0]?.["name"]).toBe("ten")
    }))

  it.effect("the server's errors become SqlError reasons; transactions fail typed", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const syntax = yield* Effect.flip(sql`SELEKT * FROM users`)
      expect([syntax.reason._tag, (syntax.reason.cause as { readonly _tag: string })._tag]).toEqual(["SqlSyntaxError", "SyntaxError"])
      const invalid = yield* Effect.flip(sql`SELECT nope FROM users WHERE id = ${1}`)
      expect([invalid.reason._tag, (invalid.reason.cause as { readonly _tag: string })._tag]).toEqual(["SqlSyntaxError", "InvalidRequest"])
      const exists = yield* Effect.flip(sql`CREATE TABLE users (id int PRIMARY KEY)`)
      expect([exists.reason._tag, (exists.reason.cause as { readonly _tag: string })._tag]).toEqual(["ConstraintError", "AlreadyExists"])
      const badValue = yield* Effect.flip(sql`SELECT name FROM users WHERE id = ${"not an int"}`)
      expect([badValue.reason._tag, (badValue.reason.cause as { readonly _tag: string })._tag]).toEqual(["SqlSyntaxError", "InvalidInput"])
      const tx = yield* Effect.flip(sql.withTransaction(sql`SELECT id FROM users`))
      expect(tx.reason._tag).toBe("UnknownError")
      expect(tx.message).toMatch(/no transactions/)
    }))
})

it.live("examples/sql.ts runs against the node, twice (the second run finds its migrations applied)", () =>
  Effect.gen(function*() {
    const run = Effect.promise(() =>
      promisify(execFile)(process.execPath, ["--conditions=source", "examples/sql.ts"], {
        cwd: path.resolve(import.meta.dirname, "../../.."),
        timeout: 90_000,
        env: {
          ...process.env,
          CASSANDRA_CONTACT_POINTS: info.contactPoints.join(","),
          CASSANDRA_LOCAL_DC: info.localDatacenter,
          CASSANDRA_KEYSPACE: "it_sql_example",
          ...(info.credentials ? { CASSANDRA_USERNAME: info.credentials.username, CASSANDRA_PASSWORD: info.credentials.password } : {})
        }
      })
    )
    const first = yield* run
    expect(first.stdout).toContain("migrations run: 1_books, 2_seed")
    expect(first.stdout).toContain("findOne: SICP (1985)")
    expect(first.stdout).toContain("SqlResolver: HtDP, SICP, TAOCP")
    expect(first.stdout).toContain("streamed 3 titles")
    expect(first.stdout).toMatch(/withTransaction: UnknownError: Cassandra has no transactions/)
    expect(first.stdout).toContain("a typo: SqlSyntaxError (driver error SyntaxError)")
    const second = yield* run
    expect(second.stdout).toContain("migrations run: none (already applied)")
  }), { timeout: 240_000 })
