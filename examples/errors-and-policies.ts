// Typed errors, a custom retry policy, load balancing and a reconnection Schedule.
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, LatencyAware, LoadBalancing, Retry, Session } from "@effect-cassandra/driver"
import { Console, Effect, Layer, Schedule } from "effect"

// retry read timeouts up to three times on the same host, everything else as the default policy does
const patientReads: Retry.RetryPolicyShape = {
  decide: (context) =>
    context.error._tag === "ReadTimeout" && context.retryCount < 3
      ? { _tag: "RetrySameHost" }
      : Retry.defaultRetryPolicy.decide(context)
}

// latency-aware routing over DC-aware round robin: a host more than twice as slow as the best goes to the
// end of the plans until it has recovered (HostFilter.allowList and RackAware.rackAware wrap the same way)
const loadBalancing = LatencyAware.latencyAware({ child: LoadBalancing.dcAwareRoundRobin({ usedHostsPerRemoteDc: 1 }) })

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

  // client-side timeouts are OperationTimedOut (the timeout covers the whole execution, retries included);
  // (deadlines are checked every 25 ms: a scan that answers sooner still succeeds)
  const scan = yield* Session.execute("SELECT * FROM system_schema.columns", [], { timeout: "1 millis", fetchSize: 100000 }).pipe(
    Effect.map((rs) => `answered in time with ${rs.rows.length} rows`),
    Effect.catchTag("OperationTimedOut", (e) => Effect.succeed(`OperationTimedOut after ${e.timeoutMillis} ms`))
  )
  yield* Console.log(`scan with a 1 ms timeout: ${scan}`)

  // bad options are InvalidInput too, before anything is sent
  const badOption = yield* Effect.flip(Session.execute("SELECT * FROM system.local", [], { consistency: "QUOROM" as never }))
  yield* Console.log(`${badOption._tag}: ${badOption.message}`)

  const cluster = yield* Cluster.Cluster
  yield* Console.log(`hosts: ${cluster.hosts().map((h) => `${h.endpoint} (${h.datacenter}/${h.rack}, up=${h.isUp})`).join(", ")}`)
  const latencies = [...loadBalancing.stats()].map(([host, s]) => `${host} ${s.averageMillis.toFixed(1)} ms over ${s.measurements}`)
  yield* Console.log(`latencies: ${latencies.join(", ")}; held back: ${[...loadBalancing.slowHosts()].join(", ") || "none"}`)
})

const ClusterLive = Cluster.layerConfig({
  // reconnect to a down host every 2 s at first, backing off to at most 1 minute
  reconnection: Schedule.min([Schedule.exponential("2 seconds"), Schedule.spaced("1 minute")])
})

program.pipe(
  Effect.provide(Session.layer().pipe(Layer.provideMerge(ClusterLive))),
  Effect.provide(Retry.layer(patientReads)),
  Effect.provide(LoadBalancing.layer(loadBalancing)),
  NodeRuntime.runMain
)
