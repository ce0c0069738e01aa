// Cluster metadata: hosts, keyspaces, tables with their keys and column types, user types (one mapped to a
// Schema.Class), a table exported as CQL, the token map and the replicas of a partition key (what token-aware
// routing uses).
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Session } from "@effect-cassandra/driver"
import { serializeValue } from "@effect-cassandra/protocol/CqlValues"
import { routingKey } from "@effect-cassandra/protocol/Token"
import { Console, Effect, Layer, Result, Schema } from "effect"

const program = Effect.gen(function*() {
  const cluster = yield* Cluster.Cluster
  for (const h of cluster.hosts()) {
    yield* Console.log(`host ${h.endpoint}: dc ${h.datacenter}, rack ${h.rack}, Cassandra ${h.releaseVersion}, ${h.tokens.length} token(s), up=${h.isUp}`)
  }
  yield* Session.execute("CREATE KEYSPACE IF NOT EXISTS examples WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
  yield* Session.execute("CREATE TYPE IF NOT EXISTS examples.address (street text, city text)")
  const ddl = yield* Session.execute(
    "CREATE TABLE IF NOT EXISTS examples.customers (region text, id int, name text, home frozen<address>, PRIMARY KEY (region, id))"
  )
  yield* Console.log(`DDL: schema agreed=${ddl.schemaAgreed ?? "(table existed)"}`)

  const ks = cluster.metadata.keyspace("examples")
  yield* Console.log(`keyspace examples: replication ${JSON.stringify(ks?.replication)}, tables ${[...(ks?.tables.keys() ?? [])].join(", ")}`)
  const table = cluster.metadata.table("examples", "customers")
  if (table !== undefined) {
    yield* Console.log(`table customers: partition key (${table.partitionKey.map((c) => c.name).join(", ")}), clustering (${table.clusteringKey.map((c) => `${c.name} ${c.clusteringOrder}`).join(", ")})`)
    for (const c of table.columns) yield* Console.log(`  ${c.name} ${c.typeText} (${c.kind})`)
  }
  for (const [name, t] of ks?.userTypes ?? []) yield* Console.log(`user type ${name}: ${t.fields.map((f) => `${f.name} ${f.typeText}`).join(", ")}`)

  // the user type mapped to a class, once for the cluster: its values in results come back as instances
  class Address extends Schema.Class<Address>("Address")({ street: Schema.String, city: Schema.String }) {}
  yield* cluster.registerUserType("examples", "address", Address)
  yield* Session.execute(
    "INSERT INTO examples.customers (region, id, name, home) VALUES (?, ?, ?, ?)",
    ["eu", 1, "Ada", new Address({ street: "1 Main St", city: "London" })],
    { prepare: true }
  )
  const home = (yield* Session.execute("SELECT home FROM examples.customers WHERE region = 'eu' AND id = 1")).first?.["home"]
  yield* Console.log(`home is an Address: ${home instanceof Address} (${home instanceof Address ? home.city : "?"})`)
  // the table as CQL, as DESCRIBE TABLE writes it
  yield* Console.log(cluster.metadata.exportTable("examples", "customers") ?? "")

  // where the partition 'eu' lives: its token under the cluster's partitioner, and its replicas
  const key = serializeValue({ kind: "text" }, "eu")
  const tokenMap = cluster.metadata.tokenMap()
  if (Result.isSuccess(key) && tokenMap !== undefined) {
    const token = tokenMap.tokenOf(routingKey([key.success]))
    const replicas = tokenMap.replicas("examples", ks?.replication, token)
    yield* Console.log(`partition 'eu': token ${token}, replicas ${replicas.map((h) => h.endpoint).join(", ")} (${tokenMap.partitioner})`)
  }
})

program.pipe(Effect.provide(Session.layer().pipe(Layer.provideMerge(Cluster.layerConfig()))), NodeRuntime.runMain)
