/** The README's first example, as written there, on mock hosts instead of CASSANDRA_*. */
import { Session } from "@effect-cassandra/driver"
import { CassandraClient, CassandraMigrator } from "@effect-cassandra/sql"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

class User extends Schema.Class<User>("User")({ id: Schema.Number, name: Schema.String }) {}

const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* CassandraMigrator.run({
    loader: CassandraMigrator.fromRecord({
      "1_users": Effect.asVoid(sql`CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, name text)`)
    })
  })
  yield* sql`INSERT INTO users ${sql.insert({ id: 1, name: "Ada" })}`
  const findUser = SqlSchema.findOne({ Request: Schema.Number, Result: User, execute: (id) => sql`SELECT id, name FROM users WHERE id = ${id}` })
  const ada = yield* findUser(1)
  const some = yield* sql`SELECT * FROM users WHERE ${sql.in("id", [1, 2, 3])}`
  return { ada, some }
})

const columns = { id: "int", name: "text" } as const
const MockLive = CassandraClient.layer().pipe(
  Layer.provideMerge(Session.layer({ keyspace: "app" })),
  Layer.provideMerge(MockCluster.clusterLayer()),
  Layer.provideMerge(MockCluster.layer({
    tables: { "app.users": columns, "app.effect_sql_migrations": { migration_id: "int", name: "text", created_at: "timestamp" } }
  }))
)

it.effect("the README example runs", () =>
  Effect.gen(function*() {
    yield* MockCluster.prime({ query: /^SELECT id, name FROM users WHERE id = \?$/, values: [1], then: Answer.rows(columns, [{ id: 1, name: "Ada" }]) })
    yield* MockCluster.prime({ query: /WHERE "id" IN/, then: Answer.rows(columns, [{ id: 1, name: "Ada" }]) })
    const { ada, some } = yield* program
    expect(ada).toEqual(new User({ id: 1, name: "Ada" }))
    expect(some).toEqual([{ id: 1, name: "Ada" }])
    const inserts = yield* MockCluster.activity({ query: /^INSERT INTO users/, kind: "execute" })
    expect(inserts.map((a) => a.decodedValues)).toEqual([[1, "Ada"]])
  }).pipe(Effect.provide(MockLive)))
