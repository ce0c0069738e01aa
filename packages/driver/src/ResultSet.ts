/**
 * The result of one execution: the rows of the current page and everything the server said with them.
 *
 * The interface only: results are built in one place, internal/request/result.ts.
 *
 * @since 0.1.0
 */
import type { ColumnSpec, SchemaChange } from "@effect-cassandra/protocol"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { CassandraError } from "./Errors.ts"
import type { Host } from "./Host.ts"

/**
 * One event of a query trace (system_traces.events).
 *
 * @since 0.1.0
 */
export interface TraceEvent {
  readonly activity: string
  readonly source: string | undefined
  readonly sourceElapsedMicros: number | undefined
  readonly thread: string | undefined
}

/**
 * A query trace from system_traces.
 *
 * @since 0.1.0
 */
export interface QueryTrace {
  readonly sessionId: string
  readonly coordinator: string | undefined
  readonly durationMicros: number | undefined
  readonly request: string | undefined
  readonly parameters: ReadonlyMap<string, string> | undefined
  readonly startedAt: Date | undefined
  readonly events: ReadonlyArray<TraceEvent>
}

/**
 * The result of one execution: the rows of the current page and everything the server said with them.
 *
 * @since 0.1.0
 */
export interface ResultSet<A = Record<string, unknown>> {
  /** Rows of this page. */
  readonly rows: ReadonlyArray<A>
  /** Column metadata of the rows (empty for writes). */
  readonly columns: ReadonlyArray<ColumnSpec>
  /** Where the next page starts; undefined on the last page. */
  readonly pagingState: Uint8Array | undefined
  readonly hasMorePages: boolean
  /** Fetches the next page (fails with `InvalidInput` on the last page). */
  readonly nextPage: Effect.Effect<ResultSet<A>, CassandraError>
  /** For conditional statements (LWT): the `[applied]` column; true for anything else. */
  readonly wasApplied: boolean
  readonly warnings: ReadonlyArray<string>
  readonly tracingId: string | undefined
  readonly customPayload: ReadonlyMap<string, Uint8Array | null> | undefined
  /** The host that answered. */
  readonly host: Host
  /** The keyspace set by a `USE` statement, when this was one. */
  readonly setKeyspace: string | undefined
  /** What a DDL statement changed (its SCHEMA_CHANGE result), when this was one. */
  readonly schemaChange: SchemaChange | undefined
  /**
   * After DDL: whether every up host reported the same schema version within `maxSchemaAgreementWait`
   * (the Python driver's `is_schema_agreed`); undefined for other statements.
   */
  readonly schemaAgreed: boolean | undefined
  /** Fetches the query trace (requires `tracing: true`), waiting up to 5 s until the server has written it. */
  readonly trace: Effect.Effect<QueryTrace, CassandraError>
  /** `trace` with another wait (the Python driver's `get_query_trace(max_wait)`): `TraceUnavailable` after it. */
  readonly traceWith: (options?: { readonly maxWait?: Duration.Input | undefined }) => Effect.Effect<QueryTrace, CassandraError>
}
