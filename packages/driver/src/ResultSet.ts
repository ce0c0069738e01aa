/**
 * The result of one execution: the rows of the current page and everything the server said with them.
 *
 * The interface only: results are built in one place, internal/request/result.ts.
 *
 * @since 0.1.0
 */
import type { ColumnSpec, ConsistencyName, SchemaChange } from "@effect-cassandra/protocol/Messages"
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
export interface ResultSet<A = Record<string, unknown>> extends Iterable<A> {
  /** Rows of this page. Iterating the ResultSet (`for (const row of rs)`) goes over them too: this page only. */
  readonly rows: ReadonlyArray<A>
  /**
   * The first row of this page, undefined when there is none.
   *
   * @since 0.2.0
   */
  readonly first: A | undefined
  /**
   * The Python driver's `one()`: the first row of this page, undefined when there is none (use it when
   * the query returns one row).
   *
   * @since 0.2.0
   */
  readonly one: () => A | undefined
  /**
   * Every row: this page's and those of every page after it, fetched in turn. Past `maxRows` rows
   * (default 100,000) it fails with `TooManyRows` instead of holding more in memory; `Session.stream`
   * reads large results in constant memory.
   *
   * @since 0.2.0
   */
  readonly all: (options?: { readonly maxRows?: number | undefined }) => Effect.Effect<ReadonlyArray<A>, CassandraError>
  /** Column metadata of the rows (empty for writes). */
  readonly columns: ReadonlyArray<ColumnSpec>
  /** Where the next page starts; undefined on the last page. */
  readonly pagingState: Uint8Array | undefined
  readonly hasMorePages: boolean
  /** Fetches the next page (fails with `QueryExhausted` on the last page). */
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
  /**
   * `trace` with another wait (the Python driver's `get_query_trace(max_wait, query_cl)`): `TraceUnavailable`
   * after it; `consistency` (since 0.2.0) is that of the system_traces reads (default ONE).
   */
  readonly traceWith: (options?: TraceOptions) => Effect.Effect<QueryTrace, CassandraError>
  /**
   * The trace ids of every traced answer that led here, oldest first: each earlier page's, each attempt
   * of each page that failed and was retried (an error answer is traced too) or lost to a speculative
   * execution (once its late answer has arrived), and this page's `tracingId` last. Empty without
   * `tracing: true`.
   *
   * @since 0.2.0
   */
  readonly tracingIds: ReadonlyArray<string>
  /**
   * Every trace of `tracingIds`, read in turn (the Python driver's `get_all_query_traces`); `maxWait` is
   * per trace.
   *
   * @since 0.2.0
   */
  readonly allTraces: (options?: TraceOptions) => Effect.Effect<ReadonlyArray<QueryTrace>, CassandraError>
}

/**
 * How a trace is read.
 *
 * @since 0.2.0
 */
export interface TraceOptions {
  /** How long to wait for the server to finish writing the trace (default 5 s; a bare number is milliseconds). */
  readonly maxWait?: Duration.Input | undefined
  /** The consistency of the system_traces reads (default ONE). */
  readonly consistency?: ConsistencyName | undefined
}
