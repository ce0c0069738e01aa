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
import type { BoundValues, QueryParameters, Request } from "@effect-cassandra/protocol"
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

const timestampOf = (options: ResolvedRequest, ctx: PlanContext, now: number): bigint | undefined =>
  options.timestamp === false ? undefined : options.timestamp ?? ctx.timestamps.next(now)

/**
 * The plan of an execution of a simple or prepared statement (one page: `pagingState` resumes).
 *
 * @since 0.1.0
 */
export const planExecute = (
  ctx: PlanContext,
  statement: string | PreparedStatement,
  params: Params | undefined,
  options: ResolvedRequest,
  pagingState: Uint8Array | undefined
): RequestPlan | E.InvalidInput => {
  const now = ctx.now()
  let request: Request
  let prepared: PreparedStatement | undefined
  if (typeof statement === "string") {
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
      skipMetadata: statement.resultColumns.length > 0,
      pageSize: options.fetchSize,
      pagingState,
      serialConsistency: options.serialConsistency,
      timestamp: timestampOf(options, ctx, now)
    }
    request = { _tag: "Execute", id: statement.id, resultMetadataId: statement.resultMetadataId, params: queryParams }
  }
  const keyspace = prepared?.keyspace ?? options.keyspace ?? ctx.sessionKeyspace()
  return new RequestPlan("execute", request, options, now + options.timeoutMillis, keyspace, prepared, undefined, statement, params)
}

type BatchStatement =
  | { readonly kind: "query"; readonly query: string; readonly values?: BoundValues | undefined }
  | { readonly kind: "prepared"; readonly id: Uint8Array; readonly values?: BoundValues | undefined }

/**
 * The plan of a batch.
 *
 * @since 0.1.0
 */
export const planBatch = (
  ctx: PlanContext,
  entries: ReadonlyArray<BatchEntry>,
  options: ResolvedRequest
): RequestPlan | E.InvalidInput => {
  const statements: Array<BatchStatement> = []
  const batchPrepared: Array<PreparedStatement | undefined> = []
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!
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
  return new RequestPlan("batch", request, options, now + options.timeoutMillis, ctx.sessionKeyspace(), undefined, batchPrepared, "", undefined)
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
