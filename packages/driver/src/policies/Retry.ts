/**
 * Retry decisions: what to do when an attempt fails. The policy decides; the driver moves to the
 * same or the next host of the query plan, after the delay of the `RetryPolicyShape.delay` Schedule when
 * the policy has one.
 *
 * The policy only decides: it does not send, wait or count (the request execution does).
 *
 * @since 0.1.0
 */
import { Consistency } from "@effect-cassandra/protocol/Messages"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import type { RequestError } from "../Errors.ts"

/**
 * What to do after a failed attempt.
 *
 * @since 0.1.0
 */
export type RetryDecision =
  | { readonly _tag: "RetrySameHost"; readonly consistency?: number | undefined }
  | { readonly _tag: "RetryNextHost"; readonly consistency?: number | undefined }
  | { readonly _tag: "Rethrow" }
  /** Treat the failure as an empty success (e.g. a write whose loss the application accepts). */
  | { readonly _tag: "Ignore" }

/**
 * What a retry policy knows of a failed attempt.
 *
 * @since 0.1.0
 */
export interface RetryContext {
  readonly error: RequestError
  /** How many retries already happened for this request (0 on the first failure). */
  readonly retryCount: number
  readonly idempotent: boolean
  /** The consistency of the failed attempt. */
  readonly consistency: number
}

/**
 * A retry policy: a decision per failure, and optionally the delays between retries.
 *
 * @since 0.1.0
 */
export interface RetryPolicyShape {
  readonly decide: (context: RetryContext) => RetryDecision
  /**
   * The delays between retries, as a Schedule stepped once per retry of a request (its input is the
   * retry's context). When it ends, the request fails with the error it got. Default: none, the retry
   * goes out at once (like the Python driver). E.g. `Schedule.exponential("10 millis")` with
   * `Schedule.upTo({ times: 3 })`. The request's timeout covers the delays.
   */
  readonly delay?: Schedule.Schedule<unknown, RetryContext> | undefined
}

const rethrow: RetryDecision = { _tag: "Rethrow" }
const same: RetryDecision = { _tag: "RetrySameHost" }
const next: RetryDecision = { _tag: "RetryNextHost" }
const ignore: RetryDecision = { _tag: "Ignore" }

/**
 * The Python driver's default semantics:
 * - read timeout: retry once on the same host when enough replicas answered but the data did not come;
 * - write timeout: retry once only for idempotent BATCH_LOG writes;
 * - unavailable: try the next host once;
 * - read failure: the next host up to twice when the replicas' reasons are UNKNOWN or INCOMPATIBLE_SCHEMA
 *   (a replica that has not applied a schema change yet; measured on Cassandra 5.0 during ALTER TABLE),
 *   once when none is given (v3, v4); too many tombstones or a read too large are rethrown. The Python
 *   driver rethrows every read failure;
 * - connection errors, client timeouts, overloaded, server errors, truncate errors: the next host,
 *   but only for idempotent requests (a non-idempotent write may have been applied);
 * - is bootstrapping: the next host (the request was not applied);
 * - everything else (syntax, invalid, unauthorized...): rethrow.
  *
  * @since 0.1.0
 */
export const defaultRetryPolicy: RetryPolicyShape = {
  decide: ({ error, idempotent, retryCount }) => {
    switch (error._tag) {
      case "ReadTimeout":
        return retryCount === 0 && error.received >= error.blockFor && !error.dataPresent ? same : rethrow
      case "WriteTimeout":
        return retryCount === 0 && idempotent && error.writeType === "BATCH_LOG" ? same : rethrow
      case "Unavailable":
        return retryCount === 0 ? next : rethrow
      case "ReadFailure":
        // a read changes nothing: on other coordinators (other replica pairs), twice, when the replicas'
        // reasons say it may pass (a schema change not applied everywhere yet), once when they say nothing (v3, v4)
        return (error.isRetryable && retryCount < 2) || (error.reasons.length === 0 && retryCount === 0) ? next : rethrow
      case "IsBootstrapping":
        return next
      case "ConnectionError":
      case "OperationTimedOut":
      case "Overloaded":
      case "ServerError":
      case "TruncateError":
        return idempotent ? next : rethrow
      default:
        return rethrow
    }
  }
}

/**
 * Never retries.
 *
 * @since 0.1.0
 */
export const fallthroughRetryPolicy: RetryPolicyShape = { decide: () => rethrow }

/**
 * Never retries (the same policy as `fallthroughRetryPolicy`, the Python driver's name for it).
 *
 * @since 0.2.0
 */
export const neverRetryPolicy: RetryPolicyShape = fallthroughRetryPolicy

const isSerial = (consistency: string): boolean => consistency === "SERIAL" || consistency === "LOCAL_SERIAL"

/** The Python driver's `_pick_consistency`: the level the replicas that answered (or are alive) can give. */
const downgradeTo = (replicas: number): RetryDecision =>
  replicas >= 3
    ? { _tag: "RetrySameHost", consistency: Consistency.THREE }
    : replicas === 2
    ? { _tag: "RetrySameHost", consistency: Consistency.TWO }
    : replicas === 1
    ? { _tag: "RetrySameHost", consistency: Consistency.ONE }
    : rethrow

/**
 * The Python driver's DowngradingConsistencyRetryPolicy: the default policy's retries, and when the
 * asked consistency cannot be reached, the next best thing. BEWARE: a read at QUORUM after a write at
 * QUORUM may then not see the write.
 *
 * On the first failure only (a second one is rethrown):
 * - read timeout: fewer replicas answered than required: retry on the same host at THREE, TWO or ONE
 *   (as many as answered; none answered: rethrow); enough answered but no data came: retry at the same
 *   consistency; a serial (LWT) read: rethrow;
 * - write timeout: SIMPLE, BATCH or COUNTER acknowledged by at least one replica: ignore (the write is
 *   persisted somewhere; the result is empty); none acknowledged: rethrow; UNLOGGED_BATCH: retry at the
 *   level its acknowledgements give; BATCH_LOG: retry at the same consistency; other write types: rethrow;
 * - unavailable: a serial consistency (the Paxos phase of an LWT): the next host; otherwise retry at the
 *   level the alive replicas give (none: rethrow);
 * - everything else: as `defaultRetryPolicy` (connection errors, client timeouts, overloaded and server
 *   errors go to the next host only for idempotent statements).
 *
 * @since 0.2.0
 */
export const downgradingConsistencyRetryPolicy: RetryPolicyShape = {
  decide: (context) => {
    const { error, retryCount } = context
    switch (error._tag) {
      case "ReadTimeout":
        if (retryCount !== 0 || isSerial(error.consistency)) return rethrow
        if (error.received < error.blockFor) return downgradeTo(error.received)
        return error.dataPresent ? rethrow : same
      case "WriteTimeout":
        if (retryCount !== 0) return rethrow
        switch (error.writeType) {
          case "SIMPLE":
          case "BATCH":
          case "COUNTER":
            return error.received > 0 ? ignore : rethrow
          case "UNLOGGED_BATCH":
            return downgradeTo(error.received)
          case "BATCH_LOG":
            return same
          default:
            return rethrow
        }
      case "Unavailable":
        if (retryCount !== 0) return rethrow
        return isSerial(error.consistency) ? next : downgradeTo(error.alive)
      default:
        return defaultRetryPolicy.decide(context)
    }
  }
}

const replayableWrites: ReadonlySet<string> = new Set(["SIMPLE", "BATCH", "UNLOGGED_BATCH", "BATCH_LOG"])

/**
 * Idempotence-aware write-timeout retry: a write timeout of an `idempotent` statement is retried on the
 * same host, up to `maxRetries` times (default 1), when its write type can be replayed (SIMPLE, BATCH,
 * UNLOGGED_BATCH, BATCH_LOG); a non-idempotent statement, a COUNTER write (replaying it counts twice),
 * a CAS write (an LWT whose outcome is unknown) and VIEW / CDC writes are rethrown. Every other failure
 * is `base`'s decision (default `defaultRetryPolicy`).
 *
 * @since 0.2.0
 */
export const idempotentWriteTimeoutRetryPolicy = (options?: {
  readonly maxRetries?: number | undefined
  readonly base?: RetryPolicyShape | undefined
}): RetryPolicyShape => {
  const maxRetries = options?.maxRetries ?? 1
  const base = options?.base ?? defaultRetryPolicy
  return {
    decide: (context) => {
      const error = context.error
      if (error._tag !== "WriteTimeout") return base.decide(context)
      return context.idempotent && context.retryCount < maxRetries && replayableWrites.has(error.writeType) ? same : rethrow
    },
    delay: base.delay
  }
}

/**
 * The retry policy service. Defaults to `defaultRetryPolicy`.
 *
 * @since 0.1.0
 */
export const RetryPolicy: Context.Reference<RetryPolicyShape> = Context.Reference<RetryPolicyShape>(
  "@effect-cassandra/driver/RetryPolicy",
  { defaultValue: () => defaultRetryPolicy }
)

/**
 * Provides a retry policy.
 *
 * @since 0.1.0
 */
export const layer = (policy: RetryPolicyShape): Layer.Layer<never> => Layer.succeed(RetryPolicy, policy)
