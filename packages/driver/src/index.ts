/**
 * @effect-cassandra/driver: an Effect-native Apache Cassandra driver.
 *
 * @since 0.1.0
 */
export * as Auth from "./Auth.ts"
export * as Cluster from "./Cluster.ts"
export * as Errors from "./Errors.ts"
export * from "./Errors.ts"
export type { Host, HostEvent } from "./Host.ts"
export * as LoadBalancing from "./policies/LoadBalancing.ts"
export * as Metadata from "./Metadata.ts"
export * as Metrics from "./Metrics.ts"
export * as Retry from "./policies/Retry.ts"
export type { QueryTrace, ResultSet, TraceEvent } from "./ResultSet.ts"
export * as Session from "./Session.ts"
export { BoundStatement, PreparedStatement, SimpleStatement, statement } from "./Statement.ts"
export type { BatchEntry, BatchOptions, ExecuteOptions, Params, SpeculativeExecution, Statement } from "./Statement.ts"
