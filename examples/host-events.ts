// Host events (the Python driver's listeners) as a Stream: run this, then stop and start a node
// (npx cassandra-local stop/start ...) to see HostDown / HostUp. Stops after 30 seconds.
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Session } from "@effect-cassandra/driver"
import { Console, Effect, Layer, Stream } from "effect"

const program = Effect.gen(function*() {
  const cluster = yield* Cluster.Cluster
  yield* Console.log(`watching ${cluster.hosts().length} host(s) for 30 seconds`)
  yield* cluster.events.pipe(
    Stream.runForEach((event) => Console.log(`${event._tag}: ${event.host.endpoint}`)),
    Effect.timeoutOption("30 seconds")
  )
})

program.pipe(Effect.provide(Session.layer().pipe(Layer.provideMerge(Cluster.layerConfig()))), NodeRuntime.runMain)
