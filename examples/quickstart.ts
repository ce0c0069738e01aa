// The quickstart: a keyspace and a table, prepared inserts, a read back, a few thousand rows streamed page
// by page, a lightweight transaction and a batch.
//
//   CASSANDRA_CONTACT_POINTS=127.0.0.1 node --conditions=source examples/quickstart.ts
//   (or `npm run demo`, which starts a local node first when CASSANDRA_CONTACT_POINTS is not set)
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Session } from "@effect-cassandra/driver"
import { Console, Effect, Layer, Schema, Stream } from "effect"

const User = Schema.Struct({ id: Schema.Number, name: Schema.String, email: Schema.String })

export const quickstart = Effect.gen(function*() {
  const cluster = yield* Cluster.Cluster
  yield* Console.log(
    `connected: protocol v${cluster.protocolVersion}, hosts ${cluster.hosts().map((h) => h.endpoint).join(", ")}, ` +
      `local datacenter ${cluster.localDc}`
  )

  yield* Session.execute(
    "CREATE KEYSPACE IF NOT EXISTS quickstart WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
  )
  yield* Session.execute("USE quickstart")
  yield* Session.execute("CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, name text, email text)")
  yield* Session.execute("CREATE TABLE IF NOT EXISTS events (day text, seq int, payload text, PRIMARY KEY (day, seq))")
  yield* Console.log("keyspace quickstart and tables users, events are ready")

  // prepared statements: named values, then positional ones
  const insertUser = yield* Session.prepare("INSERT INTO users (id, name, email) VALUES (:id, :name, :email)")
  yield* Session.execute(insertUser, { id: 1, name: "Ada", email: "ada@example.com" }, { consistency: "QUORUM", idempotent: true })
  yield* Session.execute(insertUser, [2, "Grace", "grace@example.com"], { idempotent: true })
  const users = yield* Session.execute("SELECT id, name, email FROM users WHERE id IN (1, 2)", [], { schema: User })
  for (const u of users.rows) yield* Console.log(`read back user ${u.id}: ${u.name} <${u.email}>`)

  // a few thousand rows, streamed one page at a time
  const insertEvent = yield* Session.prepare("INSERT INTO events (day, seq, payload) VALUES (?, ?, ?)")
  yield* Effect.forEach(
    Array.from({ length: 3000 }, (_, i) => i),
    (i) => Session.execute(insertEvent, ["2026-11-25", i, `event ${i}`], { idempotent: true }),
    { concurrency: 64, discard: true }
  )
  const count = yield* Session.stream("SELECT seq FROM events WHERE day = ?", ["2026-11-25"], { fetchSize: 500, prepare: true }).pipe(
    Stream.runCount
  )
  yield* Console.log(`streamed ${count} events in pages of 500`)

  // a lightweight transaction: the second insert is not applied
  yield* Session.execute("DELETE FROM users WHERE id = 3")
  const first = yield* Session.execute("INSERT INTO users (id, name, email) VALUES (3, 'Alan', 'alan@example.com') IF NOT EXISTS")
  const second = yield* Session.execute("INSERT INTO users (id, name, email) VALUES (3, 'Someone', 'else@example.com') IF NOT EXISTS")
  yield* Console.log(`LWT: first applied=${first.wasApplied}, second applied=${second.wasApplied} (existing name: ${second.rows[0]?.["name"]})`)

  // a logged batch
  yield* Session.batch([
    { query: insertUser, params: [4, "Barbara", "barbara@example.com"] },
    { query: insertUser, params: [5, "Edsger", "edsger@example.com"] }
  ])
  const total = yield* Session.execute("SELECT count(*) AS n FROM users")
  yield* Console.log(`batch applied: ${total.rows[0]?.["n"]} users in the table`)
})

// Run directly: the cluster comes from CASSANDRA_CONTACT_POINTS / CASSANDRA_LOCAL_DC / ...
if (import.meta.main) {
  const SessionLive = Session.layer().pipe(Layer.provideMerge(Cluster.layerConfig()))
  quickstart.pipe(Effect.provide(SessionLive), NodeRuntime.runMain)
}
