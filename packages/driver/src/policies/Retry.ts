/**
 * Retry decisions: what to do when an attempt fails. The policy decides; the driver moves to the
 * same or the next host of the query plan, after the delay of the `RetryPolicyShape.delay` Schedule when
 * the policy has one.
 *
 * The policy only decides: it does not send, wait or count (the request execution does).
 *
 * @since 0.1.0
 */
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

/**
 * The Python driver's default semantics:
 * - read timeout: retry once on the same host when enough replicas answered but the data did not come;
 * - write timeout: retry once only for idempotent BATCH_LOG writes;
 * - unavailable: try the next host once;
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
