// Query tracing, server warnings and custom payloads of a ResultSet.
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Session } from "@effect-cassandra/driver"
import { Console, Effect, Layer } from "effect"

const program = Effect.gen(function*() {
  const rs = yield* Session.execute("SELECT * FROM system.local", [], { tracing: true })
  const trace = yield* rs.trace
  yield* Console.log(`trace ${trace.sessionId}: ${trace.request} took ${trace.durationMicros} µs on ${trace.coordinator}`)
  for (const e of trace.events.slice(0, 5)) yield* Console.log(`  ${e.sourceElapsedMicros} µs  ${e.activity}`)
})

program.pipe(Effect.provide(Session.layer().pipe(Layer.provide(Cluster.layerConfig()))), NodeRuntime.runMain)
