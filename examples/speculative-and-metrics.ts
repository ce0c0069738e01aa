// Speculative execution for idempotent reads, and the driver's Effect Metrics (requests by outcome,
// latency, retries, speculative executions, requests in flight).
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Metrics, Session, SpeculativeExecution } from "@effect-cassandra/driver"
import { Console, Effect, Layer, Metric } from "effect"

const program = Effect.gen(function*() {
  // an idempotent read: when no answer came after 50 ms, the same request starts on the next host of the
  // plan (up to 2 more); the first answer wins and the others are interrupted (`{ delay, maxExecutions }`
  // is the same constant policy; `SpeculativeExecution.percentile` waits for the host's p-th latency)
  const speculativeExecution = SpeculativeExecution.constant({ delay: "50 millis", maxExecutions: 2 })
  const p = yield* Session.prepare("SELECT release_version FROM system.local WHERE key = ?")
  for (let i = 0; i < 20; i++) {
    yield* Session.execute(p, ["local"], { idempotent: true, speculativeExecution })
  }
  yield* Effect.flip(Session.execute("SELEKT 1"))

  const ok = yield* Metric.value(Metric.withAttributes(Metrics.requests, { outcome: "success" }))
  const syntax = yield* Metric.value(Metric.withAttributes(Metrics.requests, { outcome: "SyntaxError" }))
  const latency = yield* Metric.value(Metrics.requestLatency)
  const speculative = yield* Metric.value(Metrics.speculativeExecutions)
  const inFlight = yield* Metric.value(Metrics.inFlight)
  yield* Console.log(`requests: ${ok.count} succeeded, ${syntax.count} SyntaxError`)
  yield* Console.log(`latency: ${latency.count} timed, max ${latency.max} ms`)
  yield* Console.log(`speculative executions started: ${speculative.count}; in flight now: ${inFlight.value}`)
})

// metrics (and spans, for an Effect tracer / OTLP exporter) are opt-in per session
const SessionLive = Session.layer({ metrics: true, spans: true }).pipe(Layer.provideMerge(Cluster.layerConfig()))
program.pipe(Effect.provide(SessionLive), NodeRuntime.runMain)
