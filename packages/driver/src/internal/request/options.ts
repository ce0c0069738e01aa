/**
 * Request options resolved once: the call's options over the statement object's over the session's
 * `defaults` over the `ExecutionProfile` constants, validated (consistency names, timeouts, batch
 * type) into the wire codes and numbers the plan needs. A call without options gets the session's
 * resolution, computed once when the session starts.
 *
 * It does not build the request (`plan.ts` does) nor look at the cluster.
 *
 * @since 0.1.0
 * @internal
 */
import { Consistency } from "@effect-cassandra/protocol"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as E from "../../Errors.ts"
import { defaultConsistency, defaultFetchSize, defaultTimeoutMillis, internalRequestTimeoutMillis } from "../../ExecutionProfile.ts"
import type { Host } from "../../Host.ts"
import type { BatchOptions, ExecuteOptions, SpeculativeExecution } from "../../Statement.ts"

/**
 * Every option of one request, resolved.
 *
 * @since 0.1.0
 */
export interface ResolvedRequest {
  readonly consistency: number
  readonly serialConsistency: number | undefined
  readonly timeoutMillis: number
  /** How long one attempt of an idempotent request waits before the next host is tried. */
  readonly attemptTimeoutMillis: number
  readonly fetchSize: number
  /** A fixed client timestamp, `false` for the server's, undefined for the session's generator. */
  readonly timestamp: bigint | false | undefined
  readonly idempotent: boolean
  readonly tracing: boolean
  readonly customPayload: ReadonlyMap<string, Uint8Array | null> | undefined
  /** The keyspace asked for (the request's, v5), before the session's. */
  readonly keyspace: string | undefined
  readonly host: Host | undefined
  readonly routingKey: Uint8Array | ReadonlyArray<Uint8Array> | undefined
  readonly speculative: SpeculativeExecution | undefined
  readonly schema: Schema.Decoder<any> | undefined
  readonly prepare: boolean
  readonly pagingState: Uint8Array | undefined
  /** A batch's type code (0 logged, 1 unlogged, 2 counter). */
  readonly batchType: 0 | 1 | 2
}

/** The code of a consistency level name; an unknown name is bad input, not a silent default. */
const consistencyCode = (name: string, path: string): number | E.InvalidInput => {
  const code = (Consistency as Record<string, number>)[name]
  return typeof code === "number"
    ? code
    : new E.InvalidInput({ message: `${path}: unknown consistency level ${JSON.stringify(name)}`, path, expected: "a consistency level name (ONE, QUORUM, LOCAL_QUORUM, ...)" })
}

const SERIAL_LEVELS: ReadonlySet<string> = new Set(["SERIAL", "LOCAL_SERIAL"])

/** A serial consistency: SERIAL or LOCAL_SERIAL. */
const serialCode = (name: string | undefined, path: string): number | undefined | E.InvalidInput =>
  name === undefined
    ? undefined
    : SERIAL_LEVELS.has(name)
    ? Consistency[name as "SERIAL" | "LOCAL_SERIAL"]
    : new E.InvalidInput({ message: `${path}: ${JSON.stringify(name)} is not a serial consistency level`, path, expected: "SERIAL or LOCAL_SERIAL" })

/**
 * A client-side timeout in milliseconds: a positive Duration input (Infinity allowed).
 *
 * @since 0.1.0
 */
export const timeoutMillisOf = (input: Duration.Input | undefined, fallback: number, path: string): number | E.InvalidInput => {
  if (input === undefined) return fallback
  const d = Duration.fromInput(input)
  const ms = Option.isSome(d) ? Duration.toMillis(d.value) : Number.NaN
  return ms > 0
    ? ms
    : new E.InvalidInput({ message: `${path}: not a positive duration: ${String(input)}`, path, expected: "a positive Duration input" })
}

const batchTypeCode = (type: BatchOptions["type"]): 0 | 1 | 2 | E.InvalidInput => {
  switch (type) {
    case undefined:
    case "logged":
      return 0
    case "unlogged":
      return 1
    case "counter":
      return 2
    default:
      return new E.InvalidInput({ message: `options.type: unknown batch type ${JSON.stringify(type)}`, path: "options.type", expected: "logged, unlogged or counter" })
  }
}

/**
 * A statement object's options under the call's (the call's keys win, even when undefined). Custom
 * payloads are merged entry by entry: the statement's entries, with the call's on top.
 *
 * @since 0.1.0
 */
export const mergeStatementOptions = <A>(
  statementOptions: ExecuteOptions<any> | undefined,
  call: ExecuteOptions<A> | undefined
): ExecuteOptions<A> | undefined => {
  if (statementOptions === undefined) return call
  const merged = { ...statementOptions, ...call }
  const ours = statementOptions.customPayload
  const theirs = call?.customPayload
  return ours !== undefined && theirs !== undefined ? { ...merged, customPayload: new Map([...ours, ...theirs]) } : merged
}

/**
 * The session's defaults, and the resolution of each request's options over them.
 *
 * @since 0.1.0
 */
export class RequestDefaults {
  private readonly defaults: ExecuteOptions<any>
  private readonly timeoutMillis: number
  /** The resolution of a call without options. */
  private readonly plain: ResolvedRequest

  private constructor(defaults: ExecuteOptions<any>, timeoutMillis: number) {
    this.defaults = defaults
    this.timeoutMillis = timeoutMillis
    this.plain = this.resolve(undefined) as ResolvedRequest
  }

  /** Validates the session's defaults (a bad default is an error when the session starts). */
  static make(defaults: ExecuteOptions<any> | undefined): RequestDefaults | E.InvalidInput {
    const d = defaults ?? {}
    const timeout = timeoutMillisOf(d.timeout, defaultTimeoutMillis, "defaults.timeout")
    if (typeof timeout !== "number") return timeout
    const made = new RequestDefaults(d, timeout)
    // the other defaults are checked as a call without options would be
    const plain = made.resolve({})
    return plain instanceof E.InvalidInput ? plain : made
  }

  /** One request's options over the session's defaults. */
  resolve(call: ExecuteOptions<any> | BatchOptions | undefined): ResolvedRequest | E.InvalidInput {
    if (call === undefined && this.plain !== undefined) return this.plain
    const c: ExecuteOptions<any> & BatchOptions = call ?? {}
    const d = this.defaults
    const timeoutMillis = timeoutMillisOf(c.timeout, this.timeoutMillis, "options.timeout")
    if (typeof timeoutMillis !== "number") return timeoutMillis
    const consistency = consistencyCode(c.consistency ?? d.consistency ?? defaultConsistency, "options.consistency")
    if (typeof consistency !== "number") return consistency
    const serialConsistency = serialCode(c.serialConsistency ?? d.serialConsistency, "options.serialConsistency")
    if (serialConsistency instanceof E.InvalidInput) return serialConsistency
    const batchType = batchTypeCode(c.type)
    if (typeof batchType !== "number") return batchType
    const attemptTimeoutMillis = timeoutMillisOf(c.attemptTimeout ?? d.attemptTimeout, timeoutMillis / 2, "options.attemptTimeout")
    if (typeof attemptTimeoutMillis !== "number") return attemptTimeoutMillis
    const fetchSize = c.fetchSize ?? d.fetchSize ?? defaultFetchSize
    // 0 or less would be read by Cassandra as "unpaged": every row in one answer
    if (!(Number.isInteger(fetchSize) && fetchSize > 0 && fetchSize <= 0x7fffffff)) {
      return new E.InvalidInput({ message: `options.fetchSize: not a positive page size: ${String(fetchSize)}`, path: "options.fetchSize", expected: "an integer in 1..2^31-1" })
    }
    return {
      consistency,
      serialConsistency,
      timeoutMillis,
      attemptTimeoutMillis,
      fetchSize,
      timestamp: c.timestamp ?? d.timestamp,
      idempotent: c.idempotent ?? d.idempotent ?? false,
      tracing: c.tracing ?? d.tracing ?? false,
      customPayload: c.customPayload ?? d.customPayload,
      keyspace: c.keyspace ?? d.keyspace,
      host: c.host ?? d.host,
      routingKey: c.routingKey ?? d.routingKey,
      speculative: c.speculativeExecution ?? d.speculativeExecution,
      schema: c.schema ?? d.schema,
      prepare: c.prepare ?? d.prepare ?? false,
      pagingState: c.pagingState ?? d.pagingState,
      batchType
    }
  }
}

/**
 * The options of the driver's own PREPARE requests: idempotent, untraced, with the internal timeout.
 *
 * @since 0.1.0
 */
export const prepareOptions: ResolvedRequest = {
  consistency: Consistency.ONE,
  serialConsistency: undefined,
  timeoutMillis: internalRequestTimeoutMillis,
  attemptTimeoutMillis: internalRequestTimeoutMillis / 2,
  fetchSize: defaultFetchSize,
  timestamp: false,
  idempotent: true,
  tracing: false,
  customPayload: undefined,
  keyspace: undefined,
  host: undefined,
  routingKey: undefined,
  speculative: undefined,
  schema: undefined,
  prepare: false,
  pagingState: undefined,
  batchType: 0
}
