/**
 * The answers to QUERY, PREPARE, EXECUTE and BATCH on a ready connection: the match of a prime (or
 * the paging state it resumes), else a built-in or default answer; the activity entry; and the
 * delivery of the answer (delayed, dropped, closing the connection, an error, or a result paged and
 * encoded once per prime answer). Handlers work on a `RequestConnection`; framing, the handshake and
 * the version check are the connection's (`ServerConnection.ts`), the EXECUTE fast path is `fastPath.ts`.
 *
 * @internal
 */
import type { BodyCompression, RawEnvelope, RawRequest, ResponseEncodeOptions } from "@effect-cassandra/protocol/Frames"
import { ErrorCode, type ProtocolVersion, type Response, type Row } from "@effect-cassandra/protocol/Messages"
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import { type Answer, describe, errorBody } from "../../Answer.ts"
import type { BatchActivity, RequestKind } from "../../Model.ts"
import { normalizeCached, statementKind } from "../cql.ts"
import { idKey, toHex } from "../ids.ts"
import type { SimHost } from "../sim/hosts.ts"
import { metadataIdOf, type PreparedInfo, sameColumns } from "../sim/prepared.ts"
import { decodePagingState, decodeValues, encodePagingState, type Match, type MatchInput } from "../sim/primes.ts"
import type { SimulatedCluster } from "../sim/SimulatedCluster.ts"
import { encodeEnvelope } from "./envelope.ts"
import { NO_VALUES, type RequestLog } from "./requestLog.ts"

/**
 * What answering requests needs of the connection they came on.
 *
 * @since 0.1.0
 */
export interface RequestConnection {
  readonly sim: SimulatedCluster
  readonly host: SimHost
  /** The protocol version of the connection (set by its first request). */
  readonly version: ProtocolVersion | undefined
  /** The keyspace of the connection (`USE`). */
  keyspace: string | undefined
  /** v3/v4 body compression. */
  readonly compression: BodyCompression | undefined
  readonly closed: boolean
  readonly log: RequestLog
  /** Appends an encoded envelope, patching its stream id. */
  append(envelope: Uint8Array, stream: number): void
  /** Encodes and appends a response. */
  respond(stream: number, response: Response, options?: ResponseEncodeOptions): void
  /** Writes what was appended. */
  flush(): void
  /** Closes the connection after the next flush. */
  closeAfterFlush(): void
  /** The custom payload of the request being answered, when the cluster echoes payloads. */
  readonly echoPayload: ReadonlyMap<string, Uint8Array | null> | undefined
}

/** What answering one request needs to know about it. */
interface RequestContext {
  readonly stream: number
  readonly kind: RequestKind
  readonly consistency: number | undefined
  readonly preparedId: Uint8Array | undefined
  readonly prepared: PreparedInfo | undefined
  readonly pageSize: number | undefined
  readonly offset: number
  readonly skipMetadata: boolean
  /** v5 EXECUTE: the result metadata id the client has (the answer says METADATA_CHANGED when it differs). */
  readonly resultMetadataId?: Uint8Array | undefined
  readonly tracing: boolean
  readonly text: string | undefined
  /** Sent back with the answer (`echoCustomPayload`). */
  readonly customPayload?: ReadonlyMap<string, Uint8Array | null> | undefined
}

/**
 * Answers a QUERY.
 *
 * @since 0.1.0
 */
export const answerQuery = (
  c: RequestConnection,
  request: Extract<RawRequest, { _tag: "Query" }>,
  env: RawEnvelope,
  at: number,
  tracing: boolean
): void => {
  const sim = c.sim
  const p = request.params
  const normalized = normalizeCached(request.query)
  const system = sim.builtins.isSystemQuery(normalized)
  const values = p.values?.values ?? NO_VALUES
  const input: MatchInput = {
    kind: "query",
    query: normalized,
    preparedId: undefined,
    values,
    names: p.values?.names,
    variables: undefined,
    consistency: p.consistency,
    host: c.host,
    system
  }
  const paging = decodePagingState(p.pagingState)
  // a node validates the values against the columns' types before anything else
  const refused = system ? undefined : sim.valueCheck.check(normalized, p.keyspace ?? c.keyspace, values, p.values?.names)
  const match: Match | undefined = refused === undefined ? sim.primes.answerFor(input, paging, p.pageSize) : undefined
  const decodedValues = decodeValues(values, match?.prime.variables)
  let answer: Answer
  let control = false
  if (refused !== undefined) answer = { _tag: "Error", code: ErrorCode.INVALID, fields: { message: refused } }
  else if (match !== undefined) answer = match.answer
  else {
    const builtin = system ? sim.builtins.answer(c.host, normalized, decodedValues ?? values) : undefined
    control = builtin !== undefined
    answer = builtin ?? sim.builtins.defaultAnswer(normalized, p.keyspace ?? c.keyspace)
  }
  const ctx: RequestContext = {
    stream: env.stream,
    kind: "query",
    consistency: p.consistency,
    preparedId: undefined,
    prepared: undefined,
    pageSize: p.pageSize,
    offset: paging?.offset ?? 0,
    skipMetadata: false,
    tracing,
    text: request.query,
    customPayload: c.echoPayload
  }
  c.log.record(request, env, at, tracing, describe(answer), decodedValues, control)
  deliver(c, ctx, answer, match)
}

/**
 * Answers a PREPARE: the statement's metadata, unless a prime makes it fail (or wait, or go unanswered).
 *
 * @since 0.1.0
 */
export const answerPrepare = (
  c: RequestConnection,
  request: Extract<RawRequest, { _tag: "Prepare" }>,
  env: RawEnvelope,
  at: number,
  tracing: boolean
): void => {
  const sim = c.sim
  const normalized = normalizeCached(request.query)
  const keyspace = request.keyspace ?? c.keyspace
  const match = sim.primes.match({
    kind: "prepare",
    query: normalized,
    preparedId: undefined,
    values: NO_VALUES,
    names: undefined,
    variables: undefined,
    consistency: undefined,
    host: c.host,
    system: sim.builtins.isSystemQuery(normalized)
  })
  const ctx: RequestContext = {
    stream: env.stream,
    kind: "prepare",
    consistency: undefined,
    preparedId: undefined,
    prepared: undefined,
    pageSize: undefined,
    offset: 0,
    skipMetadata: false,
    tracing,
    text: request.query,
    customPayload: c.echoPayload
  }
  const answerPrepared = (): void => {
    const info = sim.prepared.prepare(c.host, request.query, keyspace)
    respondTraced(c, ctx, {
      _tag: "Result",
      result: {
        kind: "Prepared",
        id: info.id,
        resultMetadataId: info.resultMetadataId,
        variables: info.variables,
        pkIndexes: info.pkIndexes,
        resultMetadata: {
          flags: 0x0001,
          columnCount: info.resultColumns.length,
          columns: info.resultColumns,
          pagingState: undefined,
          newMetadataId: undefined
        }
      }
    })
  }
  // a prime only overrides PREPARE with a failure (or a delay, or silence)
  const override = (answer: Answer): boolean => {
    switch (answer._tag) {
      case "Error":
      case "CloseConnection":
      case "NoAnswer":
        deliver(c, ctx, answer, match)
        return true
      case "Delayed": {
        const inner = answer.answer
        sim.env.schedule(Duration.toMillis(answer.delay), () => {
          if (c.closed || c.host.state !== "up") return
          if (!override(inner)) answerPrepared()
          c.flush()
        })
        return true
      }
      default:
        return false
    }
  }
  const label = match === undefined ? "Prepared" : describe(match.answer) === "Void" ? "Prepared" : describe(match.answer)
  c.log.record(request, env, at, tracing, label, undefined, false)
  if (match !== undefined && override(match.answer)) return
  answerPrepared()
}

/**
 * Answers an EXECUTE (UNPREPARED when the host does not know the statement).
 *
 * @since 0.1.0
 */
export const answerExecute = (
  c: RequestConnection,
  request: Extract<RawRequest, { _tag: "Execute" }>,
  env: RawEnvelope,
  at: number,
  tracing: boolean
): void => {
  const sim = c.sim
  const p = request.params
  const idHex = idKey(request.id)
  let info = c.host.prepared.has(idHex) ? sim.prepared.get(idHex) : undefined
  const values = p.values?.values ?? NO_VALUES
  const ctxBase = {
    stream: env.stream,
    kind: "execute" as const,
    consistency: p.consistency,
    preparedId: request.id,
    pageSize: p.pageSize,
    skipMetadata: p.skipMetadata === true,
    resultMetadataId: request.resultMetadataId,
    tracing,
    customPayload: c.echoPayload
  }
  if (info === undefined) {
    const answer: Answer = { _tag: "Error", code: ErrorCode.UNPREPARED, fields: { id: request.id } }
    c.log.record(request, env, at, tracing, describe(answer), undefined, false)
    deliver(c, { ...ctxBase, prepared: undefined, offset: 0, text: undefined }, answer, undefined)
    return
  }
  const system = info.system
  const decodedValues = decodeValues(values, info.variables)
  const paging = decodePagingState(p.pagingState)
  const match: Match | undefined = sim.primes.answerFor({
    kind: "execute",
    query: info.normalized,
    preparedId: request.id,
    values,
    names: p.values?.names,
    variables: info.variables,
    consistency: p.consistency,
    host: c.host,
    system
  }, paging, p.pageSize)
  let answer: Answer
  let control = false
  if (match !== undefined) answer = match.answer
  else {
    const builtin = system ? sim.builtins.answer(c.host, info.normalized, decodedValues ?? values) : undefined
    control = builtin !== undefined
    answer = builtin ?? sim.builtins.defaultAnswer(info.normalized, info.keyspace ?? c.keyspace)
  }
  if (info.resultColumns.length === 0 && answer._tag === "Rows" && answer.columns.length > 0) {
    // primed after the PREPARE: the statement's metadata follows the prime, as after a schema change
    info = sim.prepared.refresh(info, c.host)
  }
  c.log.record(request, env, at, tracing, describe(answer), decodedValues, control, info)
  deliver(c, { ...ctxBase, prepared: info, offset: paging?.offset ?? 0, text: info.query }, answer, match)
}

/**
 * Answers a BATCH (UNPREPARED when one of its prepared statements is unknown to the host).
 *
 * @since 0.1.0
 */
export const answerBatch = (
  c: RequestConnection,
  request: Extract<RawRequest, { _tag: "Batch" }>,
  env: RawEnvelope,
  at: number,
  tracing: boolean
): void => {
  const sim = c.sim
  const ctx: RequestContext = {
    stream: env.stream,
    kind: "batch",
    consistency: request.consistency,
    preparedId: undefined,
    prepared: undefined,
    pageSize: undefined,
    offset: 0,
    skipMetadata: false,
    tracing,
    text: "BATCH",
    customPayload: c.echoPayload
  }
  const entries: Array<BatchActivity> = []
  const queries: Array<string | undefined> = []
  let unknown: Uint8Array | undefined
  // Cassandra checks the statements in order: the first one unknown or not a modification fails the batch
  let refused: "unknown" | "not a modification" | undefined
  for (const s of request.statements) {
    if (s.kind === "query") {
      queries.push(normalizeCached(s.query))
      entries.push({ query: s.query, preparedId: undefined, values: s.values, decodedValues: undefined })
      if (refused === undefined && !isModification(s.query)) refused = "not a modification"
    } else {
      const idHex = idKey(s.id)
      const info = c.host.prepared.has(idHex) ? sim.prepared.get(idHex) : undefined
      if (info === undefined && unknown === undefined) unknown = s.id
      if (refused === undefined) refused = info === undefined ? "unknown" : isModification(info.query) ? undefined : "not a modification"
      queries.push(info?.normalized)
      entries.push({
        query: info?.query,
        preparedId: s.id,
        values: s.values,
        decodedValues: info === undefined ? undefined : decodeValues(s.values, info.variables)
      })
    }
  }
  let answer: Answer
  let match: Match | undefined
  if (refused === "unknown") {
    answer = { _tag: "Error", code: ErrorCode.UNPREPARED, fields: { id: unknown } }
  } else if (refused === "not a modification") {
    answer = { _tag: "Error", code: ErrorCode.INVALID, fields: { message: "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed." } }
  } else {
    match = sim.primes.match({
      kind: "batch",
      query: undefined,
      batchQueries: queries,
      preparedId: undefined,
      values: NO_VALUES,
      names: undefined,
      variables: undefined,
      consistency: request.consistency,
      host: c.host,
      system: false
    })
    answer = match?.answer ?? { _tag: "Void", warnings: undefined }
  }
  c.log.record(request, env, at, tracing, describe(answer), undefined, false, undefined, entries)
  deliver(c, { ...ctx, preparedId: unknown }, answer, match)
}

/** Whether a statement may go in a BATCH: INSERT, UPDATE or DELETE (a node refuses anything else). */
const isModification = (query: string): boolean => {
  const kind = statementKind(query)
  return kind === "insert" || kind === "update" || kind === "delete"
}

// ---- answers -------------------------------------------------------------------------------

const respondTraced = (c: RequestConnection, ctx: RequestContext, response: Response, warnings?: ReadonlyArray<string>): void => {
  const options = responseOptions(c, ctx, warnings)
  c.respond(ctx.stream, response, options)
}

const responseOptions = (
  c: RequestConnection,
  ctx: RequestContext,
  warnings: ReadonlyArray<string> | undefined
): ResponseEncodeOptions | undefined => {
  const tracingId = ctx.tracing ? c.sim.traces.start(c.host, ctx.text ?? "") : undefined
  const w = warnings !== undefined && warnings.length > 0 && (c.version ?? 4) >= 4 ? warnings : undefined
  const payload = ctx.customPayload !== undefined && (c.version ?? 4) >= 4 ? ctx.customPayload : undefined
  if (tracingId === undefined && w === undefined && payload === undefined) return undefined
  return {
    ...(tracingId === undefined ? {} : { tracingId }),
    ...(w === undefined ? {} : { warnings: w }),
    ...(payload === undefined ? {} : { customPayload: payload })
  }
}

/** Writes `answer` (or schedules it, or drops it) for the request `ctx`. */
const deliver = (c: RequestConnection, ctx: RequestContext, answer: Answer, match: Match | undefined): void => {
  switch (answer._tag) {
    case "Delayed": {
      const inner = answer.answer
      c.sim.env.schedule(Duration.toMillis(answer.delay), () => {
        if (c.closed || c.host.state !== "up") return
        deliver(c, ctx, inner, match)
        c.flush()
      })
      return
    }
    case "NoAnswer":
      return
    case "CloseConnection":
      c.closeAfterFlush()
      return
    case "Error":
      respondTraced(c, ctx, {
        _tag: "Error",
        error: errorBody(answer.code, answer.fields, { consistency: ctx.consistency, preparedId: ctx.preparedId })
      })
      return
    case "Void":
      return respondCached(c, ctx, match, "v", () => ({ _tag: "Result", result: { kind: "Void" } }), answer.warnings)
    case "SetKeyspace":
      c.keyspace = answer.keyspace
      return respondCached(c, ctx, match, "k", () => ({ _tag: "Result", result: { kind: "SetKeyspace", keyspace: answer.keyspace } }), undefined)
    case "SchemaChange": {
      respondCached(c, ctx, match, "s", () => ({ _tag: "Result", result: { kind: "SchemaChange", change: answer.change } }), answer.warnings)
      // Cassandra pushes the change to every registered connection too
      const change = answer.change
      c.sim.env.schedule(0, () => c.sim.schemaChanged(change))
      return
    }
    case "Rows":
      return rows(c, ctx, answer, match)
  }
}

const rows = (c: RequestConnection, ctx: RequestContext, answer: Extract<Answer, { _tag: "Rows" }>, match: Match | undefined): void => {
  const all = answer.rows
  const columns = answer.columns
  const offset = Math.min(ctx.offset, all.length)
  const pageSize = ctx.pageSize !== undefined && ctx.pageSize > 0 ? ctx.pageSize : undefined
  const end = pageSize === undefined ? all.length : Math.min(all.length, offset + pageSize)
  const more = end < all.length
  let noMetadata = false
  let newMetadataId: Uint8Array | undefined
  const prepared = ctx.prepared
  if (prepared !== undefined) {
    if ((c.version ?? 4) >= 5) {
      // v5: the answer's metadata against the id the client sent (as Cassandra's ExecuteMessage)
      const current = metadataIdOf(columns)
      if (ctx.resultMetadataId === undefined || idKey(ctx.resultMetadataId) !== idKey(current)) newMetadataId = current
      else if (ctx.skipMetadata) noMetadata = true
    } else if (ctx.skipMetadata && sameColumns(columns, prepared.resultColumns)) {
      // below v5: against the statement as this host prepared it, whatever the client has
      noMetadata = true
    }
  }
  const build = (): Response => ({
    _tag: "Result",
    result: {
      kind: "Rows",
      metadata: {
        flags: noMetadata ? 0x0004 : 0x0001,
        columnCount: columns.length,
        columns: noMetadata ? undefined : columns,
        pagingState: more ? encodePagingState(match?.prime.id ?? 0, match?.answerIndex ?? 0, end) : undefined,
        newMetadataId
      },
      columns,
      rows: (offset === 0 && end === all.length ? all : all.slice(offset, end)) as Array<Row>
    }
  })
  if (offset === 0 && !more) {
    return respondCached(c, ctx, match, `r${noMetadata ? 0 : 1}${newMetadataId === undefined ? "" : toHex(newMetadataId)}`, build, answer.warnings)
  }
  respondTraced(c, ctx, build(), answer.warnings)
}

/**
 * Answers with the prime's pre-encoded envelope when there is one for this shape (only the stream
 * id is patched): encoded once per prime answer, protocol version, compression and metadata form.
 */
const respondCached = (
  c: RequestConnection,
  ctx: RequestContext,
  match: Match | undefined,
  shape: string,
  build: () => Response,
  warnings: ReadonlyArray<string> | undefined
): void => {
  if (match === undefined || ctx.tracing || ctx.customPayload !== undefined) return respondTraced(c, ctx, build(), warnings)
  const version = c.version ?? 4
  const key = `${match.answerIndex}|${version}|${c.compression ?? ""}|${shape}`
  let envelope = match.prime.cache.get(key)
  if (envelope === undefined) {
    const r = encodeEnvelope(version, c.compression, 0, build(), responseOptions(c, ctx, warnings))
    if (Result.isFailure(r)) return respondTraced(c, ctx, build(), warnings)
    envelope = r.success
    match.prime.cache.set(key, envelope)
  }
  c.append(envelope, ctx.stream)
}
