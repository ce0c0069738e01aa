// effect/sql over Cassandra: one layer from CASSANDRA_* (the keyspace too), a migration, `sql` tagged
// templates (prepared statements), SqlSchema, SqlResolver batching lookups into one IN query, a stream,
// and what CQL does not have (transactions) failing with a typed SqlError.
//
//   CASSANDRA_CONTACT_POINTS=127.0.0.1 CASSANDRA_KEYSPACE=sql_example node --conditions=source examples/sql.ts
import { NodeRuntime } from "@effect/platform-node"
import { Session } from "@effect-cassandra/driver"
import { CassandraClient, CassandraMigrator } from "@effect-cassandra/sql"
import { Config, Console, Effect, Layer, Schema, Stream } from "effect"
import { SqlClient, SqlResolver, SqlSchema } from "effect/sql"

class Book extends Schema.Class<Book>("Book")({ id: Schema.Number, title: Schema.String, year: Schema.Number }) {}

const migrations = CassandraMigrator.fromRecord({
  "1_books": Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
    Effect.asVoid(sql`CREATE TABLE IF NOT EXISTS books (id int PRIMARY KEY, title text, year int)`)),
  "2_seed": Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
    Effect.forEach(
      [new Book({ id: 1, title: "SICP", year: 1985 }), new Book({ id: 2, title: "TAOCP", year: 1968 }), new Book({ id: 3, title: "HtDP", year: 2001 })],
      (book) => sql`INSERT INTO books ${sql.insert({ id: book.id, title: book.title, year: book.year })}`,
      { discard: true }
    ))
})

export const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const ran = yield* CassandraMigrator.run({ loader: migrations })
  yield* Console.log(`migrations run: ${ran.length === 0 ? "none (already applied)" : ran.map(([id, name]) => `${id}_${name}`).join(", ")}`)

  const byId = SqlSchema.findOne({ Request: Schema.Number, Result: Book, execute: (id) => sql`SELECT id, title, year FROM books WHERE id = ${id}` })
  const sicp = yield* byId(1)
  yield* Console.log(`findOne: ${sicp.title} (${sicp.year})`)

  // three concurrent lookups, one query: SELECT ... WHERE "id" IN (?,?,?)
  const resolver = SqlResolver.findById({
    Id: Schema.Number,
    Result: Book,
    ResultId: (book) => book.id,
    execute: (ids) => sql`SELECT id, title, year FROM books WHERE ${sql.in("id", ids)}`
  })
  const books = yield* Effect.all([3, 1, 2].map(SqlResolver.request(resolver)), { concurrency: "unbounded" })
  yield* Console.log(`SqlResolver: ${books.map((b) => b.title).join(", ")}`)

  const titles = yield* sql<{ readonly title: string }>`SELECT title FROM books`.stream.pipe(Stream.map((r) => r.title), Stream.runCollect)
  yield* Console.log(`streamed ${titles.length} titles`)

  const noTransaction = yield* Effect.flip(sql.withTransaction(sql`SELECT id FROM books`))
  yield* Console.log(`withTransaction: ${noTransaction.reason._tag}: ${noTransaction.message}`)

  const syntax = yield* Effect.flip(sql`SELEKT * FROM books`)
  yield* Console.log(`a typo: ${syntax.reason._tag} (driver error ${(syntax.reason.cause as { readonly _tag: string })._tag})`)
})

// Run directly: Cluster, Session and SqlClient from CASSANDRA_* (CASSANDRA_KEYSPACE names the keyspace,
// which this example creates first)
if (import.meta.main) {
  const keyspace = Effect.gen(function*() {
    const ks = yield* Config.String("CASSANDRA_KEYSPACE").pipe(Config.withDefault("sql_example"))
    yield* Session.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)
    return ks
  })
  const CreateKeyspace = Layer.effectDiscard(keyspace).pipe(Layer.provide(Session.layerConfigWithCluster(undefined, {})))
  const SqlLive = CassandraClient.layerConfig({ session: { keyspace: Config.String("CASSANDRA_KEYSPACE").pipe(Config.withDefault("sql_example")) } })
  program.pipe(Effect.provide(SqlLive.pipe(Layer.provide(CreateKeyspace))), NodeRuntime.runMain)
}
