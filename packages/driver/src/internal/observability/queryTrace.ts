/**
 * Query traces: reads a traced request's session and events from system_traces, polling every
 * 100 ms until the server has finished writing them (it writes traces asynchronously), up to a wait.
 *
 * It does not turn tracing on (the request's `tracing` option does).
 *
 * @since 0.1.0
 * @internal
 */
import type { ConsistencyName, Row } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import * as E from "../../Errors.ts"
import { defaultTraceWaitMillis } from "../../ExecutionProfile.ts"
import type { QueryTrace, ResultSet, TraceOptions } from "../../ResultSet.ts"
import type { PreparedStatement } from "../../Statement.ts"
import { timeoutMillisOf } from "../request/options.ts"

/**
 * How the trace reader runs its two queries.
 *
 * @since 0.1.0
 */
export interface TraceQueries {
  readonly prepare: (query: string) => Effect.Effect<PreparedStatement, E.CassandraError>
  /** Runs a prepared statement at `consistency` (default ONE; an unknown name is `InvalidInput`). */
  readonly executeAt: (
    statement: PreparedStatement,
    params: ReadonlyArray<unknown>,
    consistency: ConsistencyName | undefined
  ) => Effect.Effect<ResultSet<Row>, E.CassandraError>
}

/**
 * The trace of session `id`, once complete; `TraceUnavailable` after `maxWait` (default 5 s). Read at
 * the options' consistency (default ONE).
 *
 * @since 0.1.0
 */
export const fetchTrace = (queries: TraceQueries, id: string, options: TraceOptions | undefined): Effect.Effect<QueryTrace, E.CassandraError> =>
  Effect.gen(function*() {
    const consistency = options?.consistency
    const waitMillis = timeoutMillisOf(options?.maxWait, defaultTraceWaitMillis, "maxWait")
    if (typeof waitMillis !== "number") return yield* waitMillis
    const clock = yield* Effect.clockWith(Effect.succeed)
    const until = clock.currentTimeMillisUnsafe() + waitMillis
    for (;;) {
      const sessionsQuery = yield* queries.prepare("SELECT * FROM system_traces.sessions WHERE session_id = ?")
      const session = yield* queries.executeAt(sessionsQuery, [id], consistency)
      const row = session.rows[0] as Row | undefined
      if (row !== undefined && row["duration"] != null) {
        const eventsQuery = yield* queries.prepare("SELECT * FROM system_traces.events WHERE session_id = ?")
        const events = yield* queries.executeAt(eventsQuery, [id], consistency)
        return traceOf(id, row, events.rows)
      }
      if (clock.currentTimeMillisUnsafe() + 100 > until) break
      yield* Effect.sleep("100 millis")
    }
    return yield* new E.TraceUnavailable({ message: `trace ${id} was not complete in system_traces after ${waitMillis} ms`, sessionId: id })
  })

const traceOf = (id: string, row: Row, events: ReadonlyArray<Row>): QueryTrace => ({
  sessionId: id,
  coordinator: row["coordinator"] == null ? undefined : String(row["coordinator"]),
  durationMicros: typeof row["duration"] === "number" ? row["duration"] : undefined,
  request: typeof row["request"] === "string" ? row["request"] : undefined,
  parameters: row["parameters"] instanceof Map ? row["parameters"] as Map<string, string> : undefined,
  startedAt: row["started_at"] instanceof Date ? row["started_at"] : undefined,
  events: events.map((e: Row) => ({
    activity: String(e["activity"] ?? ""),
    source: e["source"] == null ? undefined : String(e["source"]),
    sourceElapsedMicros: typeof e["source_elapsed"] === "number" ? e["source_elapsed"] : undefined,
    thread: typeof e["thread"] === "string" ? e["thread"] : undefined
  }))
})
