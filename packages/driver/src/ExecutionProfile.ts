/**
 * Execution defaults: the values a request gets when neither the call, the statement nor the
 * session's `defaults` says otherwise, in one documented place.
 *
 * Resolution order, done once per request: the call's options, then the statement object's, then the
 * session's `defaults`, then these constants. It does not run anything.
 *
 * @since 0.1.0
 */
import type { ConsistencyName } from "@effect-cassandra/protocol"

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
