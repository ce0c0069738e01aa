/**
 * Results: an answer becomes the ResultSet the caller gets, in one place, for every execution and
 * batch. Rows are decoded with the request's Schema when it has one; the metadata of a prepared
 * statement follows the server's METADATA_CHANGED; a `USE` and a DDL result run their side effects
 * (`sideEffects.ts`) before the ResultSet is handed out.
 *
 * It does not fetch pages or traces itself: the ResultSet asks its `Pager` (the session's executor).
 *
 * @since 0.1.0
 * @internal
 */
import type { RowCursor } from "@effect-cassandra/protocol/CqlValues"
import type { ColumnSpec, ResponseFrame, Row, SchemaChange } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as E from "../../Errors.ts"
import type { Host } from "../../Host.ts"
import type { QueryTrace, ResultSet, TraceOptions } from "../../ResultSet.ts"
import type { UserTypeRegistry } from "../metadata/userTypes.ts"
import type { RequestPlan } from "./plan.ts"

/**
 * What a ResultSet asks of the session: the next page of its plan, and a trace.
 *
 * @since 0.1.0
 */
export interface Pager {
  readonly nextPage: <A>(plan: RequestPlan, pagingState: Uint8Array) => Effect.Effect<ResultSet<A>, E.CassandraError>
  readonly fetchTrace: (id: string, options: TraceOptions | undefined) => Effect.Effect<QueryTrace, E.CassandraError>
}

/**
 * What a result's side effects need: `USE` changes the session's keyspace, DDL waits for schema agreement.
 *
 * @since 0.1.0
 */
export interface ResultEffects {
  readonly useKeyspace: (keyspace: string) => Effect.Effect<void>
  /** Waits for agreement after DDL run on `host`, then refreshes the keyspace; true when agreed. */
  readonly afterSchemaChange: (change: SchemaChange, host: Host) => Effect.Effect<boolean>
  /** The cluster's registered user types: rows holding one are converted. */
  readonly userTypes: UserTypeRegistry
}

const emptyWarnings: ReadonlyArray<string> = []
/** `ResultSet.all()`'s default guard on the number of rows. */
const DEFAULT_MAX_ROWS = 100_000
const noRows: Array<Row> = []
const noColumns: ReadonlyArray<ColumnSpec> = []

/**
 * The ResultSet of an answer to `plan` from `host`.
 *
 * @since 0.1.0
 */
export const buildResultSet = <A>(
  frame: ResponseFrame,
  host: Host,
  plan: RequestPlan,
  pager: Pager,
  effects: ResultEffects
): Effect.Effect<ResultSet<A>, E.CassandraError> => {
  const r = frame.response
  let rows = noRows
  let cursor: RowCursor | undefined
  let columns = noColumns
  let pagingState: Uint8Array | undefined
  let setKeyspace: string | undefined
  let schemaChange: SchemaChange | undefined
  if (r._tag === "Result") {
    const result = r.result
    if (result.kind === "Rows") {
      rows = result.rows
      cursor = result.cursor
      columns = result.columns
      if (effects.userTypes.size > 0 && rows.length > 0) {
        const converted = effects.userTypes.convertRows(columns, rows)
        if (converted instanceof E.RowDecodeError) return Effect.fail(converted)
        rows = converted as Array<Row>
      }
      pagingState = result.metadata.pagingState
      if (result.metadata.newMetadataId !== undefined && plan.prepared !== undefined && result.metadata.columns !== undefined) {
        plan.prepared.resultMetadataId = result.metadata.newMetadataId
        plan.prepared.resultColumns = result.metadata.columns
      }
    } else if (result.kind === "SetKeyspace") {
      setKeyspace = result.keyspace
    } else if (result.kind === "SchemaChange") {
      schemaChange = result.change
    }
  }
  const schema = plan.options.schema as Schema.Decoder<A, never> | undefined
  if (schema === undefined || cursor !== undefined) {
    const rs = new ResultSetImpl<A>(pager, plan, rows as unknown as ReadonlyArray<A>, columns, pagingState, frame, host, setKeyspace)
    // rows on demand (Session.stream): converted and Schema-decoded as they are read (`pageRows`)
    if (cursor !== undefined) rs.lazy = { cursor, userTypes: effects.userTypes }
    return withSideEffects(rs, schemaChange, effects)
  }
  const decode = Schema.decodeUnknownEffect(schema)
  return Effect.flatMap(
    Effect.forEach(rows, (row) => Effect.mapError(decode(row), (cause) => new E.RowDecodeError({ message: cause.message, cause }))),
    (decoded) => withSideEffects(new ResultSetImpl<A>(pager, plan, decoded, columns, pagingState, frame, host, setKeyspace), schemaChange, effects)
  )
}

/**
 * The next rows of a `Session.stream` page whose rows come on demand: at most `n`, decoded from the page's
 * bytes, user types converted and Schema-decoded as eager rows are; `undefined` when the page has no rows
 * left to read (or decoded them all on arrival: the caller takes `rs.rows` then).
 *
 * @since 0.2.0
 */
export const pageRows = <A>(rs: ResultSet<A>, n: number): Effect.Effect<ReadonlyArray<A>, E.CassandraError> | undefined => {
  const lazy = rs instanceof ResultSetImpl ? rs.lazy : undefined
  if (lazy === undefined || lazy.cursor.remaining === 0) return undefined
  const next = lazy.cursor.next(n)
  if (Result.isFailure(next)) {
    return Effect.fail(new E.DriverError({ message: `undecodable response: ${next.failure.message}`, host: rs.host.endpoint }))
  }
  let rows: ReadonlyArray<Row> = next.success
  if (lazy.userTypes.size > 0) {
    const converted = lazy.userTypes.convertRows(rs.columns, rows)
    if (converted instanceof E.RowDecodeError) return Effect.fail(converted)
    rows = converted
  }
  const schema = (rs as ResultSetImpl<A>).schema
  if (schema === undefined) return Effect.succeed(rows as unknown as ReadonlyArray<A>)
  const decode = Schema.decodeUnknownEffect(schema)
  return Effect.forEach(rows, (row) => Effect.mapError(decode(row), (cause) => new E.RowDecodeError({ message: cause.message, cause })))
}

/** After a `USE`: the session's keyspace; after DDL: schema agreement. Otherwise the ResultSet as it is. */
const withSideEffects = <A>(rs: ResultSetImpl<A>, change: SchemaChange | undefined, effects: ResultEffects): Effect.Effect<ResultSet<A>> => {
  if (rs.setKeyspace !== undefined) return Effect.as(effects.useKeyspace(rs.setKeyspace), rs)
  if (change === undefined) return Effect.succeed(rs)
  return Effect.map(effects.afterSchemaChange(change, rs.host), (agreed) => {
    rs.schemaChange = change
    rs.schemaAgreed = agreed
    return rs
  })
}

/**
 * The answer of an error the retry policy chose to ignore: an empty result with a warning.
 *
 * @since 0.1.0
 */
export const ignoredErrorFrame = (host: Host): ResponseFrame => ({
  version: 4,
  flags: 0,
  stream: 0,
  opcode: 0x08,
  tracingId: undefined,
  warnings: [`error ignored by the retry policy on ${host.endpoint}`],
  customPayload: undefined,
  response: { _tag: "Result", result: { kind: "Void" } }
})

/** The ResultSet: plain fields, with `nextPage` and `trace` built only when asked for. */
class ResultSetImpl<A> implements ResultSet<A> {
  readonly rows: ReadonlyArray<A>
  readonly columns: ReadonlyArray<ColumnSpec>
  readonly pagingState: Uint8Array | undefined
  readonly host: Host
  readonly setKeyspace: string | undefined
  readonly warnings: ReadonlyArray<string>
  readonly tracingId: string | undefined
  readonly customPayload: ReadonlyMap<string, Uint8Array | null> | undefined
  schemaChange: SchemaChange | undefined = undefined
  schemaAgreed: boolean | undefined = undefined
  /** The trace ids of the pages before this one (set by the previous page's `nextPage`). */
  earlierTraces: ReadonlyArray<string> | undefined = undefined
  /** Rows on demand (a Session.stream page): `rows` is empty, `pageRows` reads them from the cursor. */
  lazy: { readonly cursor: RowCursor; readonly userTypes: UserTypeRegistry } | undefined = undefined
  private readonly pager: Pager
  private readonly plan: RequestPlan

  constructor(
    pager: Pager,
    plan: RequestPlan,
    rows: ReadonlyArray<A>,
    columns: ReadonlyArray<ColumnSpec>,
    pagingState: Uint8Array | undefined,
    frame: ResponseFrame,
    host: Host,
    setKeyspace: string | undefined
  ) {
    this.pager = pager
    this.plan = plan
    this.rows = rows
    this.columns = columns
    this.pagingState = pagingState
    this.host = host
    this.setKeyspace = setKeyspace
    this.warnings = frame.warnings ?? emptyWarnings
    this.tracingId = frame.tracingId
    this.customPayload = frame.customPayload
  }

  get hasMorePages(): boolean {
    return this.pagingState !== undefined
  }

  /** The page's rows, decoded or not yet (the `db.response.returned_rows` of its span). */
  get rowCount(): number {
    return this.lazy === undefined ? this.rows.length : this.lazy.cursor.count
  }

  /** The schema of the request (Session.stream decodes the rows of a lazy page with it). */
  get schema(): Schema.Decoder<A, never> | undefined {
    return this.plan.options.schema as Schema.Decoder<A, never> | undefined
  }

  get wasApplied(): boolean {
    const c = this.columns
    if (this.rows.length === 0 || c.length === 0 || c[0]!.name !== "[applied]") return true
    return (this.rows[0] as Record<string, unknown>)["[applied]"] === true
  }

  get nextPage(): Effect.Effect<ResultSet<A>, E.CassandraError> {
    return this.pagingState === undefined
      ? Effect.fail(new E.QueryExhausted({ message: "there is no next page: this is the last page" }))
      : this.plan.options.tracing
      ? Effect.map(this.pager.nextPage<A>(this.plan, this.pagingState), (next) => {
        if (next instanceof ResultSetImpl) next.earlierTraces = this.tracingIds
        return next
      })
      : this.pager.nextPage<A>(this.plan, this.pagingState)
  }

  get tracingIds(): ReadonlyArray<string> {
    const ids: Array<string> = [...(this.earlierTraces ?? [])]
    // the plan's other traced answers (failed or lost attempts), then this answer's
    for (const id of this.plan.tracedAttempts ?? []) if (id !== this.tracingId) ids.push(id)
    if (this.tracingId !== undefined) ids.push(this.tracingId)
    return ids
  }

  allTraces(options?: TraceOptions): Effect.Effect<ReadonlyArray<QueryTrace>, E.CassandraError> {
    return Effect.suspend(() => {
      const ids = this.tracingIds
      if (ids.length === 0) return Effect.fail(new E.InvalidInput({ message: "the request was not traced (use tracing: true)" }))
      return Effect.forEach(ids, (id) => this.pager.fetchTrace(id, options))
    })
  }

  get first(): A | undefined {
    return this.rows[0]
  }

  one(): A | undefined {
    return this.rows[0]
  }

  [Symbol.iterator](): Iterator<A> {
    return this.rows[Symbol.iterator]()
  }

  all(options?: { readonly maxRows?: number | undefined }): Effect.Effect<ReadonlyArray<A>, E.CassandraError> {
    const maxRows = options?.maxRows ?? DEFAULT_MAX_ROWS
    if (!Number.isSafeInteger(maxRows) || maxRows < 0) {
      return Effect.fail(new E.InvalidInput({ message: `maxRows must be a non-negative integer, got ${String(maxRows)}`, path: "maxRows" }))
    }
    const tooMany = () =>
      new E.TooManyRows({ message: `more than ${maxRows} rows: use Session.stream, or raise maxRows`, maxRows })
    return Effect.suspend(() => {
      if (this.rows.length > maxRows) return Effect.fail(tooMany())
      const rows: Array<A> = [...this.rows]
      const more = (rs: ResultSet<A>): Effect.Effect<ReadonlyArray<A>, E.CassandraError> =>
        rs.hasMorePages
          ? Effect.flatMap(rs.nextPage, (next) => {
            if (rows.length + next.rows.length > maxRows) return Effect.fail(tooMany())
            for (const row of next.rows) rows.push(row)
            return more(next)
          })
          : Effect.succeed(rows)
      return more(this)
    })
  }

  get trace(): Effect.Effect<QueryTrace, E.CassandraError> {
    return this.traceWith()
  }

  traceWith(options?: TraceOptions): Effect.Effect<QueryTrace, E.CassandraError> {
    return this.tracingId === undefined
      ? Effect.fail(new E.InvalidInput({ message: "the request was not traced (use tracing: true)" }))
      : this.pager.fetchTrace(this.tracingId, options)
  }
}
