// npm run demo: connects to CASSANDRA_CONTACT_POINTS when set, otherwise starts a local Cassandra 5.0 node
// (stopped again when the program ends), and prints the server's release version.
import { NodeRuntime } from "@effect/platform-node"
import { LocalCassandra } from "@effect-cassandra/local"
import { Console, Effect } from "effect"

const program = Effect.gen(function*() {
  const cassandra = yield* LocalCassandra
  yield* Console.log(
    `Apache Cassandra ${cassandra.version} at ${cassandra.contactPoints.join(", ")} ` +
      `(local datacenter ${cassandra.localDatacenter}, ${cassandra.managed ? "started by this demo" : "from CASSANDRA_CONTACT_POINTS"})`
  )
})

program.pipe(Effect.provide(LocalCassandra.layerFromEnvOrStart({ name: "demo" })), NodeRuntime.runMain)
