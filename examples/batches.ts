// Batches: logged (atomic across partitions), unlogged (one partition, no batch log) and counter batches,
// mixing prepared statements and query strings.
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Session } from "@effect-cassandra/driver"
import { Console, Effect, Layer } from "effect"

const program = Effect.gen(function*() {
  yield* Session.execute("CREATE KEYSPACE IF NOT EXISTS examples WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
  yield* Session.execute("CREATE TABLE IF NOT EXISTS examples.accounts (id int PRIMARY KEY, owner text, balance bigint)")
  yield* Session.execute("CREATE TABLE IF NOT EXISTS examples.ledger (account int, seq int, amount bigint, PRIMARY KEY (account, seq))")
  yield* Session.execute("CREATE TABLE IF NOT EXISTS examples.page_views (page text PRIMARY KEY, views counter)")

  const open = yield* Session.prepare("INSERT INTO examples.accounts (id, owner, balance) VALUES (?, ?, ?)")
  // logged: both rows or neither, even across partitions
  yield* Session.batch([
    { query: open, params: [1, "Ada", 100n] },
    { query: open, params: [2, "Grace", 50n] }
  ], { type: "logged", consistency: "QUORUM" })

  // unlogged: rows of one partition, no batch log (cheaper); a query string with its values works too
  const entry = yield* Session.prepare("INSERT INTO examples.ledger (account, seq, amount) VALUES (?, ?, ?)")
  yield* Session.batch([
    { query: entry, params: [1, 1, -30n] },
    { query: entry, params: [1, 2, 10n] },
    { query: "INSERT INTO examples.ledger (account, seq, amount) VALUES (?, ?, ?)", params: [1, 3, 5] } // a simple statement with values goes prepared: the number is sent as the bigint column is
  ], { type: "unlogged" })

  // counter: only counter updates
  const view = yield* Session.prepare("UPDATE examples.page_views SET views = views + ? WHERE page = ?")
  yield* Session.batch([
    { query: view, params: [3n, "/home"] },
    { query: view, params: [1n, "/about"] }
  ], { type: "counter" })

  const accounts = yield* Session.execute("SELECT id, owner, balance FROM examples.accounts WHERE id IN (1, 2)")
  yield* Console.log(`logged batch: ${accounts.rows.map((r) => `${r["owner"]}=${r["balance"]}`).join(", ")}`)
  const ledger = yield* Session.execute("SELECT amount FROM examples.ledger WHERE account = 1")
  yield* Console.log(`unlogged batch: ${ledger.rows.length} ledger entries, sum ${ledger.rows.reduce((s, r) => s + (r["amount"] as bigint), 0n)}`)
  const views = yield* Session.execute("SELECT views FROM examples.page_views WHERE page = '/home'")
  yield* Console.log(`counter batch: /home has ${views.rows[0]?.["views"]} views`)
})

program.pipe(Effect.provide(Session.layer().pipe(Layer.provideMerge(Cluster.layerConfig()))), NodeRuntime.runMain)
