/**
 * Driver metrics as Effect `Metric`s (the Python driver's `metrics_enabled`). Off by default: turn
 * them on with `Session.layer({ metrics: true })`; read them with `Metric.value` or export them with
 * an Effect metrics exporter (e.g. @effect/opentelemetry's). `operationDuration` and the connection
 * gauges follow the OpenTelemetry database conventions (`db.client.*`, `db.system.name=cassandra`);
 * the `cassandra_*` ones are the driver's own.
 *
 * Definitions only: the request path records them (internal/observability), exporters read them.
 *
 * @since 0.1.0
 */
import * as Metric from "effect/Metric"

/**
 * Latency of each request (a page of `execute` or `stream`, a batch, a first PREPARE), retries and
 * speculative executions included.
 *
 * @since 0.1.0
 */
export const requestLatency = Metric.timer("cassandra_request_latency", {
  description: "Latency of Session.execute and Session.batch, in milliseconds"
})

/**
 * Requests that completed (pages, batches, first PREPAREs), by outcome (`success` or the error tag).
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
 * Requests in flight on the session, by `session` (the session's `name`, or `session-N`): each session
 * has its own series.
 *
 * @since 0.1.0
 */
export const inFlight = Metric.gauge("cassandra_requests_in_flight", { description: "Requests in flight, by session" })

/**
 * The conventions' bucket boundaries of `db.client.operation.duration`, in seconds.
 *
 * @since 0.2.0
 */
export const operationDurationBoundaries: ReadonlyArray<number> = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]

/**
 * `db.client.operation.duration`: the duration of each request (an execution's page, a batch, a first
 * PREPARE) in seconds, retries and speculative executions included, with the attributes
 * `db.system.name`, `db.operation.name`, `db.namespace`, `db.collection.name`, `server.address` and
 * `server.port` (the last host tried) and, on failure, `error.type` and `db.response.status_code`.
 *
 * @since 0.2.0
 */
export const operationDuration = Metric.histogram("db.client.operation.duration", {
  description: "Duration of database client operations, in seconds (unit s)",
  boundaries: operationDurationBoundaries
})

/**
 * `db.client.connection.count`: a session's open connections per host, by
 * `db.client.connection.pool.name` (`session|address:port`) and `db.client.connection.state`
 * (`used`: with a request in flight; `idle`). Sampled every `metricsInterval` (Session option).
 *
 * @since 0.2.0
 */
export const connectionCount = Metric.gauge("db.client.connection.count", {
  description: "Open connections of a session's pool for a host, by state (used, idle)"
})

/**
 * `db.client.connection.max`: the size of a session's pool for a host, by `db.client.connection.pool.name`.
 *
 * @since 0.2.0
 */
export const connectionMax = Metric.gauge("db.client.connection.max", { description: "Connections a session's pool for a host keeps open" })

/**
 * Requests in flight on a session's connections to one host (stream ids in use, late answers of timed-out
 * requests included), by `session`, `server.address` and `server.port`. Sampled with the pool gauges.
 *
 * @since 0.2.0
 */
export const hostInFlight = Metric.gauge("cassandra_host_requests_in_flight", {
  description: "Requests in flight on a session's connections to a host"
})
