// Query tracing, server warnings and custom payloads of a ResultSet.
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Session } from "@effect-cassandra/driver"
import { Console, Effect, Layer } from "effect"

const program = Effect.gen(function*() {
  // tracing: the coordinator records the request's steps in system_traces; `trace` waits until complete
  const rs = yield* Session.execute("SELECT * FROM system.local", [], { tracing: true })
  const trace = yield* rs.trace
  yield* Console.log(`trace ${trace.sessionId}: ${trace.request} took ${trace.durationMicros} µs on ${trace.coordinator}`)
  for (const e of trace.events.slice(0, 5)) yield* Console.log(`  ${e.sourceElapsedMicros} µs  ${e.activity}`)

  // warnings the server attaches to a result (here: an aggregate over all partitions)
  const counted = yield* Session.execute("SELECT count(*) FROM system_schema.tables")
  yield* Console.log(`count ${counted.rows[0]?.["count"]}; server warnings: ${JSON.stringify(counted.warnings)}`)

  // a custom payload goes to the server's query handler; a node started with the mirroring handler
  // (cassandra-local start --mirror) sends it back
  const payload = new Map([["example", new TextEncoder().encode("hello")]])
  const mirrored = yield* Session.execute("SELECT key FROM system.local", [], { customPayload: payload })
  const back = mirrored.customPayload?.get("example")
  yield* Console.log(`custom payload sent: example=hello; came back: ${back ? new TextDecoder().decode(back) : "(nothing: no mirroring handler)"}`)
})

program.pipe(Effect.provide(Session.layer().pipe(Layer.provide(Cluster.layerConfig()))), NodeRuntime.runMain)
