/**
 * @effect-cassandra/testing: mock Cassandra hosts for tests, in memory (a Layer under the driver's
 * `Cluster`) or on real TCP ports, speaking the native protocol and answering what a test primes.
 *
 * @since 0.1.0
 */

/**
 * What a mock host answers a primed request with: rows, void, errors, delays, silence.
 *
 * @since 0.1.0
 */
export * as Answer from "./Answer.ts"
/**
 * Mock hosts, in memory or over TCP: priming answers, host control, events and the activity log.
 *
 * @since 0.1.0
 */
export * as MockCluster from "./MockCluster.ts"
