// Typed errors, a custom retry policy, load balancing and a reconnection Schedule.
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, LoadBalancing, Retry, Session } from "@effect-cassandra/driver"
import { Console, Effect, Layer, Schedule } from "effect"

// retry read timeouts up to three times on the same host, everything else as the default policy does
const patientReads: Retry.RetryPolicyShape = {
  decide: (context) =>
    context.error._tag === "ReadTimeout" && context.retryCount < 3
      ? { _tag: "RetrySameHost" }
      : Retry.defaultRetryPolicy.decide(context)
}

const program = Effect.gen(function*() {
  // every server error is its own tagged error, with its fields
  const failure = yield* Session.execute("SELECT * FROM no_such_keyspace.no_such_table").pipe(
    Effect.catchTag("InvalidRequest", (e) => Effect.succeed(`InvalidRequest from ${e.host}: ${e.message}`))
  )
  yield* Console.log(failure)
  const syntax = yield* Effect.flip(Session.execute("SELEKT 1"))
  yield* Console.log(`${syntax._tag}: ${syntax.message}`)

  // bad input fails before anything is sent
  const p = yield* Session.prepare("SELECT * FROM system.local WHERE key = ?")
  const bad = yield* Effect.flip(Session.execute(p, [42]))
  yield* Console.log(`${bad._tag}: ${bad.message}`)

  // client-side timeouts are OperationTimedOut
  const cluster = yield* Cluster.Cluster
  yield* Console.log(`hosts: ${cluster.hosts().map((h) => `${h.endpoint} (${h.datacenter}, up=${h.isUp})`).join(", ")}`)
})

const ClusterLive = Cluster.layerConfig({
  // reconnect to a down host every 2 s at first, backing off to at most 1 minute
  reconnection: Schedule.min([Schedule.exponential("2 seconds"), Schedule.spaced("1 minute")])
})

program.pipe(
  Effect.provide(Session.layer().pipe(Layer.provideMerge(ClusterLive))),
  Effect.provide(Retry.layer(patientReads)),
  Effect.provide(LoadBalancing.layer(LoadBalancing.dcAwareRoundRobin({ usedHostsPerRemoteDc: 1 }))),
  NodeRuntime.runMain
)
