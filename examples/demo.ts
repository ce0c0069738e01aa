// npm run demo: connects to CASSANDRA_CONTACT_POINTS when set, otherwise starts a local Cassandra 5.0 node
// (stopped again when the program ends), then runs the quickstart (examples/quickstart.ts) against it.
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Session } from "@effect-cassandra/driver"
import { LocalCassandra } from "@effect-cassandra/local/LocalCassandra"
import { Console, Effect, Layer } from "effect"
import { quickstart } from "./quickstart.ts"

// The Cluster layer is built from whatever LocalCassandra describes (a started node or the configured cluster).
const ClusterLive = Layer.unwrap(Effect.gen(function*() {
  const cassandra = yield* LocalCassandra
  yield* Console.log(
    `Apache Cassandra ${cassandra.version} at ${cassandra.contactPoints.join(", ")} ` +
      `(local datacenter ${cassandra.localDatacenter}, ${cassandra.managed ? "started by this demo" : "from CASSANDRA_CONTACT_POINTS"})`
  )
  return Cluster.layer({
    contactPoints: cassandra.contactPoints,
    localDc: cassandra.localDatacenter,
    ...(cassandra.credentials ? { auth: cassandra.credentials } : {}),
    ...(cassandra.caCertPem ? { tls: { ca: cassandra.caCertPem } } : {})
  })
}))

const SessionLive = Session.layer().pipe(
  Layer.provideMerge(ClusterLive),
  Layer.provide(LocalCassandra.layerFromEnvOrStart({ name: "demo" }))
)

quickstart.pipe(Effect.provide(SessionLive), NodeRuntime.runMain)
