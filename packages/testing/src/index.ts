/**
 * @effect-cassandra/testing: mock Cassandra hosts for tests, in memory (a Layer under the driver's
 * `Cluster`) or on real TCP ports, speaking the native protocol and answering what a test primes.
 *
 * @since 0.1.0
 */
export * as Answer from "./Answer.ts"
export * as MockCluster from "./MockCluster.ts"
