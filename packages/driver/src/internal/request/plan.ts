/**
 * The request plan: a statement and its resolved options become the protocol request to send, its
 * deadline and what routing and retries need to know. The only builder of requests, for executions,
 * batches and prepares.
 *
 * It does not choose hosts (`routing/queryPlan.ts`) nor send anything.
 *
 * @since 0.1.0
 * @internal
 */
import type { BoundValues, QueryParameters, Request } from "@effect-cassandra/protocol/Messages"
import * as E from "../../Errors.ts"
import type { TimestampGenerator } from "../../policies/Timestamps.ts"
import type { Observation } from "../observability/instrument.ts"
import type { BatchEntry, Params, PreparedStatement } from "../../Statement.ts"
import { bindPrepared, bindSimple } from "./bind.ts"
import type { ResolvedRequest } from "./options.ts"

/**
 * What a plan is for: its answer becomes a ResultSet (execute, batch) or a PreparedStatement (prepare).
 *
 * @since 0.1.0
 */
export type PlanKind = "execute" | "batch" | "prepare"

/**
 * One request, ready to send.
 *
 * @since 0.1.0
 */
export class RequestPlan {
  readonly kind: PlanKind
  readonly request: Request
  readonly options: ResolvedRequest
  /** Absolute deadline in Clock millis. */
  readonly deadline: number
  /** The keyspace routing looks replicas up in. */
  readonly keyspace: string | undefined
  /** The prepared statement executed (undefined for a simple statement, a batch, a prepare). */
  readonly prepared: PreparedStatement | undefined
  /** A batch: the prepared statement of each entry (undefined for a query string), for re-preparing and routing. */
  readonly batchPrepared: ReadonlyArray<PreparedStatement | undefined> | undefined
  /** The statement and values, for the next page. */
  readonly statement: string | PreparedStatement
  readonly params: Params | undefined
  /** The traces of the plan's traced answers: failed attempts, speculative executions that lost, and the answer itself. */
  tracedAttempts: Array<string> | undefined = undefined
  /** Set when a span or metrics observe the request: the execution notes its host there. */
  observation: Observation | undefined = undefined

  constructor(
    kind: PlanKind,
    request: Request,
    options: ResolvedRequest,
    deadline: number,
    keyspace: string | undefined,
    prepared: PreparedStatement | undefined,
    batchPrepared: ReadonlyArray<PreparedStatement | undefined> | undefined,
    statement: string | PreparedStatement,
    params: Params | undefined
  ) {
    this.kind = kind
    this.request = request
    this.options = options
    this.deadline = deadline
    this.keyspace = keyspace
    this.prepared = prepared
    this.batchPrepared = batchPrepared
    this.statement = statement
    this.params = params
  }

  /** Notes the trace of a traced attempt that failed. */
  noteTracedAttempt(tracingId: string): void {
    if (this.tracedAttempts === undefined) this.tracedAttempts = [tracingId]
    else this.tracedAttempts.push(tracingId)
  }

  /** A simple statement's routing key (the `routingKey` option). */
  get routingKey(): Uint8Array | ReadonlyArray<Uint8Array> | undefined {
    return this.kind === "execute" && this.prepared === undefined ? this.options.routingKey : undefined
  }
}

/**
 * What plans are made with: the clock, the protocol version, the session's keyspace and timestamps.
 *
 * @since 0.1.0
 */
export interface PlanContext {
  readonly now: () => number
  readonly protocolVersion: () => number
  readonly sessionKeyspace: () => string | undefined
  readonly timestamps: TimestampGenerator
}

/**
 * A per-request keyspace the request cannot honour: protocol v3 and v4 have no keyspace field on
 * QUERY, PREPARE and BATCH, so a keyspace other than the session's would be dropped and the statement
 * run in the session's. `InvalidInput` then, before anything is sent.
 *
 * @since 0.2.0
 */
export const unsupportedKeyspace = (ctx: PlanContext, keyspace: string | undefined): E.InvalidInput | undefined => {
  if (keyspace === undefined || keyspace === ctx.sessionKeyspace()) return undefined
  const version = ctx.protocolVersion()
  if (version >= 5) return undefined
  return new E.InvalidInput({
    message: `options.keyspace: a per-request keyspace needs protocol v5 (this cluster speaks v${version}); qualify the table names (${keyspace}.table) or use a session in ${keyspace}`,
    path: "options.keyspace",
    expected: ctx.sessionKeyspace() === undefined ? "undefined (no session keyspace)" : `undefined or "${ctx.sessionKeyspace()}" (the session's)`
  })
}

const timestampOf = (options: ResolvedRequest, ctx: PlanContext, now: number): bigint | undefined =>
  options.timestamp === false ? undefined : options.timestamp ?? ctx.timestamps.next(now)

/**
 * The plan of an execution of a simple or prepared statement (one page: `pagingState` resumes). A
 * `deadline` given is the request's (its time started before, e.g. with preparing the statement).
 *
 * @since 0.1.0
 */
export const planExecute = (
  ctx: PlanContext,
  statement: string | PreparedStatement,
  params: Params | undefined,
  options: ResolvedRequest,
  pagingState: Uint8Array | undefined,
  deadline?: number
): RequestPlan | E.InvalidInput => {
  const now = ctx.now()
  let request: Request
  let prepared: PreparedStatement | undefined
  if (typeof statement === "string") {
    const wrongKeyspace = unsupportedKeyspace(ctx, options.keyspace)
    if (wrongKeyspace !== undefined) return wrongKeyspace
    const queryParams: QueryParameters = {
      consistency: options.consistency,
      values: bindSimple(params),
      pageSize: options.fetchSize,
      pagingState,
      serialConsistency: options.serialConsistency,
      timestamp: timestampOf(options, ctx, now),
      keyspace: ctx.protocolVersion() >= 5 ? options.keyspace : undefined
    }
    request = { _tag: "Query", query: statement, params: queryParams }
  } else {
    prepared = statement
    const bound = bindPrepared(statement, params)
    if (bound instanceof E.InvalidInput) return bound
    const queryParams: QueryParameters = {
      consistency: options.consistency,
      values: bound,
      // below v5 the server cannot say the columns changed: a statement whose columns may change gets them every time
      skipMetadata: statement.resultColumns.length > 0 && (statement.skipMetadataBelowV5 || ctx.protocolVersion() >= 5),
      pageSize: options.fetchSize,
      pagingState,
      serialConsistency: options.serialConsistency,
      timestamp: timestampOf(options, ctx, now)
    }
    request = { _tag: "Execute", id: statement.id, resultMetadataId: statement.resultMetadataId, params: queryParams }
  }
  const keyspace = prepared?.keyspace ?? options.keyspace ?? ctx.sessionKeyspace()
  return new RequestPlan("execute", request, options, deadline ?? now + options.timeoutMillis, keyspace, prepared, undefined, statement, params)
}

type BatchStatement =
  | { readonly kind: "query"; readonly query: string; readonly values?: BoundValues | undefined }
  | { readonly kind: "prepared"; readonly id: Uint8Array; readonly values?: BoundValues | undefined }

const isPrepared = (x: unknown): x is PreparedStatement =>
  x !== null && typeof x === "object" && (x as { _tag?: unknown })._tag === "PreparedStatement"

/**
 * A batch entry as a query (text or prepared) and its values; anything else is bad input.
 *
 * @since 0.2.0
 */
export const batchEntry = (entry: BatchEntry | undefined, i: number): { readonly query: string | PreparedStatement; readonly params: Params | undefined } | E.InvalidInput => {
  const e = entry as { readonly _tag?: unknown; readonly query?: unknown; readonly prepared?: unknown; readonly params?: Params } | undefined
  if (e !== null && typeof e === "object") {
    if (e._tag === "BoundStatement" && isPrepared(e.prepared)) return { query: e.prepared, params: e.params }
    if (typeof e.query === "string" || isPrepared(e.query)) return { query: e.query, params: e.params }
    const q = e.query as { readonly _tag?: unknown; readonly prepared?: unknown; readonly params?: Params } | null | undefined
    if (q?._tag === "BoundStatement" && isPrepared(q.prepared)) return { query: q.prepared, params: e.params ?? q.params }
  }
  return new E.InvalidInput({
    message: `batch statement ${i}: not a statement`,
    path: `statements[${i}]`,
    expected: "{ query: string | PreparedStatement, params? }, a SimpleStatement or a BoundStatement"
  })
}

/**
 * The plan of a batch.
 *
 * @since 0.1.0
 */
export const planBatch = (
  ctx: PlanContext,
  entries: ReadonlyArray<BatchEntry>,
  options: ResolvedRequest,
  deadline?: number
): RequestPlan | E.InvalidInput => {
  const wrongKeyspace = unsupportedKeyspace(ctx, options.keyspace)
  if (wrongKeyspace !== undefined) return wrongKeyspace
  const statements: Array<BatchStatement> = []
  const batchPrepared: Array<PreparedStatement | undefined> = []
  for (let i = 0; i < entries.length; i++) {
    const entry = batchEntry(entries[i], i)
    if (entry instanceof E.InvalidInput) return entry
    if (typeof entry.query === "string") {
      statements.push({ kind: "query", query: entry.query, values: bindSimple(entry.params) })
      batchPrepared.push(undefined)
    } else {
      const bound = bindPrepared(entry.query, entry.params)
      if (bound instanceof E.InvalidInput) {
        return new E.InvalidInput({ message: `batch statement ${i}: ${bound.message}`, ...(bound.path ? { path: `statements[${i}].${bound.path}` } : {}) })
      }
      statements.push({ kind: "prepared", id: entry.query.id, values: bound })
      batchPrepared.push(entry.query)
    }
  }
  const now = ctx.now()
  const request: Request = {
    _tag: "Batch",
    batchType: options.batchType,
    statements,
    consistency: options.consistency,
    serialConsistency: options.serialConsistency,
    timestamp: timestampOf(options, ctx, now),
    keyspace: ctx.protocolVersion() >= 5 ? options.keyspace : undefined
  }
  return new RequestPlan("batch", request, options, deadline ?? now + options.timeoutMillis, ctx.sessionKeyspace(), undefined, batchPrepared, "", undefined)
}

/**
 * The plan of a PREPARE of `query` in `keyspace` (sent with it from v5 on).
 *
 * @since 0.1.0
 */
export const planPrepare = (ctx: PlanContext, query: string, keyspace: string | undefined, options: ResolvedRequest): RequestPlan => {
  const request: Request = { _tag: "Prepare", query, keyspace: ctx.protocolVersion() >= 5 ? keyspace : undefined }
  return new RequestPlan("prepare", request, options, ctx.now() + options.timeoutMillis, keyspace, undefined, undefined, query, undefined)
}

/**
 * The request at another consistency (a retry decision's).
 *
 * @since 0.1.0
 */
export const withConsistency = (request: Request, consistency: number): Request => {
  switch (request._tag) {
    case "Query":
    case "Execute":
      return { ...request, params: { ...request.params, consistency } }
    case "Batch":
      return { ...request, consistency }
    default:
      return request
  }
}
