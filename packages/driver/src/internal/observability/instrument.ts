/**
 * Instruments of the request path: an opt-in client span per request (OpenTelemetry database
 * attributes) and the driver's Metrics (latency, outcomes, in flight, retries, speculative
 * executions). The request path calls named hooks; with both off, requests pay nothing.
 *
 * It does not define the metrics (the public `Metrics` module does).
 *
 * @since 0.1.0
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type * as E from "../../Errors.ts"
import * as Metrics from "../../Metrics.ts"
import type { Statement } from "../../Statement.ts"

/**
 * Wraps one request with the metrics: latency, outcome, in-flight count.
 *
 * @since 0.1.0
 */
export const track = <A, Err extends { readonly _tag: string }, R>(
  self: Effect.Effect<A, Err, R>,
  state: { inFlight: number }
): Effect.Effect<A, Err, R> =>
  Effect.suspend(() => {
    state.inFlight++
    return Metric.update(Metrics.inFlight, state.inFlight).pipe(
      Effect.andThen(self),
      Effect.trackDuration(Metrics.requestLatency),
      Effect.onExit((exit) => {
        state.inFlight--
        const outcome = exit._tag === "Success"
          ? "success"
          : (exit.cause.reasons.find((r) => r._tag === "Fail") as { error?: { _tag?: string } } | undefined)?.error?._tag ?? "defect"
        return Effect.andThen(
          Metric.update(Metric.withAttributes(Metrics.requests, { outcome }), 1),
          Metric.update(Metrics.inFlight, state.inFlight)
        )
      })
    )
  })

/**
 * The query text of a statement, for spans.
 *
 * @since 0.1.0
 */
export const queryText = (statement: Statement): string =>
  typeof statement === "string"
    ? statement
    : statement._tag === "PreparedStatement"
    ? statement.query
    : statement._tag === "SimpleStatement"
    ? statement.query
    : statement.prepared.query

/**
 * A session's instruments.
 *
 * @since 0.1.0
 */
export class Instruments {
  readonly metrics: boolean
  readonly spans: boolean
  private readonly state = { inFlight: 0 }
  private readonly keyspace: () => string | undefined

  constructor(metrics: boolean, spans: boolean, keyspace: () => string | undefined) {
    this.metrics = metrics
    this.spans = spans
    this.keyspace = keyspace
  }

  /** Whether any request is observed at all. */
  get enabled(): boolean {
    return this.metrics || this.spans
  }

  /** A retry decided by the retry policy. */
  get retried(): Effect.Effect<void> {
    return this.metrics ? Metric.update(Metrics.retries, 1) : Effect.void
  }

  /** A speculative execution started. */
  get speculativeStarted(): Effect.Effect<void> {
    return this.metrics ? Metric.update(Metrics.speculativeExecutions, 1) : Effect.void
  }

  /** One request under the span and the metrics that are on. */
  observe<A>(effect: Effect.Effect<A, E.CassandraError>, operation: string, query: string | undefined): Effect.Effect<A, E.CassandraError> {
    let out = this.metrics ? track(effect, this.state) : effect
    if (this.spans) {
      const keyspace = this.keyspace()
      out = Effect.withSpan(out, `cassandra.${operation}`, {
        kind: "client",
        attributes: {
          "db.system.name": "cassandra",
          "db.operation.name": operation,
          ...(query === undefined ? {} : { "db.query.text": query }),
          ...(keyspace === undefined ? {} : { "db.namespace": keyspace })
        }
      })
    }
    return out
  }
}
