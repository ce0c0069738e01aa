/**
 * Execution profiles: named bundles of request settings (consistency, serial consistency, timeout,
 * fetch size, load balancing, retry, speculative execution, idempotence, tracing) given to
 * `Session.layer({ profiles })` and chosen per call (`{ profile: "analytics" }`) or over a region of
 * code (`ExecutionProfile.with("analytics")(program)`); and the defaults constants: the values a
 * request gets when nothing else says otherwise.
 *
 * Resolution order, done once per request: the call's options, then the statement object's, then the
 * profile's (the call's or statement's `profile`, else the one `ExecutionProfile.with` scopes), then the
 * session's `defaults` and policies, then these constants. An unknown profile name is `InvalidInput`
 * before anything is sent.
 *
 * It only describes profiles: the resolution is `internal/request/options.ts`'s.
 *
 * @since 0.1.0
 */
import type { ConsistencyName } from "@effect-cassandra/protocol/Messages"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { LoadBalancingPolicyShape } from "./policies/LoadBalancing.ts"
import type { RetryPolicyShape } from "./policies/Retry.ts"
import type { SpeculativeExecutionPolicyShape } from "./policies/SpeculativeExecution.ts"
import type { SpeculativeExecution } from "./Statement.ts"

/**
 * A named bundle of request settings. Every field is optional: what a profile leaves out comes from
 * the session (`defaults`, then its policies), then the constants below.
 *
 * @since 0.2.0
 * @category models
 */
export interface ExecutionProfile {
  readonly consistency?: ConsistencyName | undefined
  /** SERIAL or LOCAL_SERIAL, for conditional (LWT) statements. */
  readonly serialConsistency?: "SERIAL" | "LOCAL_SERIAL" | undefined
  /** Client-side timeout of the whole execution, retries included. */
  readonly timeout?: Duration.Input | undefined
  readonly fetchSize?: number | undefined
  /**
   * The query plans of the profile's requests. Connections are still opened (and hosts' distances
   * decided) by the cluster's policy: a host the cluster's policy ignores has no connection to use.
   */
  readonly loadBalancing?: LoadBalancingPolicyShape | undefined
  readonly retry?: RetryPolicyShape | undefined
  /** A policy, or `{ delay, maxExecutions }` (the constant policy). */
  readonly speculativeExecution?: SpeculativeExecutionPolicyShape | SpeculativeExecution | undefined
  /** Whether the profile's statements are idempotent unless they say otherwise. */
  readonly idempotent?: boolean | undefined
  readonly tracing?: boolean | undefined
}

/**
 * The profile scoped over a region of code (`ExecutionProfile.with`); undefined outside one. Read once
 * per request, when the request's Effect runs.
 *
 * @since 0.2.0
 * @category references
 */
export const CurrentProfile: Context.Reference<string | undefined> = Context.Reference<string | undefined>(
  "@effect-cassandra/driver/ExecutionProfile/CurrentProfile",
  { defaultValue: () => undefined }
)

/**
 * Runs `program` with the profile `name` for every request inside it that names no profile itself
 * (a call's or statement's `profile` wins). The name must be one of the session's `profiles`: another
 * one fails each request with `InvalidInput` before anything is sent.
 *
 * @since 0.2.0
 * @category combinators
 */
const withProfile = (name: string) => <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(program, CurrentProfile, name)

/**
 * `ExecutionProfile.with(name)(program)`: see `withProfile` (`with` is a reserved word, so the function
 * is declared under another name and exported as `with`).
 *
 * @since 0.2.0
 * @category combinators
 */
export {
  /**
   * `ExecutionProfile.with("analytics")(program)`: every request of `program` runs with the session's
   * "analytics" profile, unless it names a profile itself. An unknown name fails those requests with
   * `InvalidInput` before anything is sent.
   *
   * @since 0.2.0
   * @category combinators
   */
  withProfile as with
}

/**
 * The client-side timeout of a request, retries included: 10 s.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaultTimeoutMillis = 10_000

/**
 * Rows per page: 5000.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaultFetchSize = 5000

/**
 * The consistency level of a request: LOCAL_ONE.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaultConsistency: ConsistencyName = "LOCAL_ONE"

/**
 * How long `rs.trace` waits for the server to finish writing a trace: 5 s (the Python driver's
 * max_wait is 2 s; Cassandra 5 can take longer).
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaultTraceWaitMillis = 5000

/**
 * The timeout of the driver's own requests outside a user request (preparing on other hosts,
 * re-preparing after UNPREPARED, `USE` on pool connections, schema agreement queries): 10 s.
 *
 * @since 0.1.0
 * @category defaults
 */
export const internalRequestTimeoutMillis = 10_000
