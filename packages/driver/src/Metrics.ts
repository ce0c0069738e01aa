/**
 * Driver metrics as Effect `Metric`s (the Python driver's `metrics_enabled`). Off by default: turn
 * them on with `Session.layer({ metrics: true })`; read them with `Metric.value` or export them with
 * an Effect metrics exporter.
 *
 * Definitions only: the request path records them (internal/observability), exporters read them.
 *
 * @since 0.1.0
 */
import * as Metric from "effect/Metric"

/**
 * Latency of each `execute`/`batch`, retries and speculative executions included.
 *
 * @since 0.1.0
 */
export const requestLatency = Metric.timer("cassandra_request_latency", {
  description: "Latency of Session.execute and Session.batch, in milliseconds"
})

/**
 * Requests that completed, by outcome (`success` or the error tag).
 *
 * @since 0.1.0
 */
export const requests = Metric.counter("cassandra_requests_total", {
  description: "Requests completed, by outcome",
  incremental: true
})

/**
 * Attempts retried by the retry policy.
 *
 * @since 0.1.0
 */
export const retries = Metric.counter("cassandra_retries_total", { description: "Attempts retried", incremental: true })

/**
 * Speculative executions started.
 *
 * @since 0.1.0
 */
export const speculativeExecutions = Metric.counter("cassandra_speculative_executions_total", {
  description: "Speculative executions started",
  incremental: true
})

/**
 * Requests in flight on the session.
 *
 * @since 0.1.0
 */
export const inFlight = Metric.gauge("cassandra_requests_in_flight", { description: "Requests in flight" })
