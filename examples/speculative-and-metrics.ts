// Speculative execution for idempotent reads, the driver's Effect Metrics (requests by outcome,
// db.client.operation.duration, retries, speculative executions, requests in flight per session) and its
// OpenTelemetry spans ("SELECT system.local", with the database attributes) through @effect/opentelemetry.
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Metrics, Session, SpeculativeExecution } from "@effect-cassandra/driver"
import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Console, Effect, Layer, Metric } from "effect"

// an OpenTelemetry tracer provider; a real application exports with OTLP (@effect/opentelemetry's NodeSdk)
const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const TracingLive = OtelTracer.layer.pipe(Layer.provide(Layer.succeed(OtelTracer.OtelTracerProvider, provider)))

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
  const inFlight = yield* Metric.value(Metric.withAttributes(Metrics.inFlight, { session: "example" }))
  yield* Console.log(`requests: ${ok.count} succeeded, ${syntax.count} SyntaxError`)
  yield* Console.log(`latency: ${latency.count} timed, max ${latency.max} ms`)
  yield* Console.log(`speculative executions started: ${speculative.count}; in flight now: ${inFlight.value}`)

  // the spans, as an OpenTelemetry exporter receives them
  const spans = exporter.getFinishedSpans()
  const select = spans.find((s) => s.name === "SELECT system.local")
  yield* Console.log(`spans: ${spans.length}, e.g. "${select?.name}" on ${select?.attributes["server.address"]} ` +
    `(${select?.attributes["db.response.returned_rows"]} row, consistency ${select?.attributes["cassandra.consistency.level"]})`)
})

// metrics are opt-in per session; spans are on, and recorded once a tracer is installed
const SessionLive = Session.layer({ metrics: true, name: "example" }).pipe(Layer.provideMerge(Cluster.layerConfig()))
program.pipe(Effect.provide(SessionLive), Effect.provide(TracingLive), NodeRuntime.runMain)
