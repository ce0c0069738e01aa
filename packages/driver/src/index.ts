/**
 * @effect-cassandra/driver: an Effect-native Apache Cassandra driver. One namespace per public module.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as AddressTranslation from "./policies/AddressTranslation.ts"

/**
 * @since 0.1.0
 */
export * as Auth from "./Auth.ts"

/**
 * @since 0.1.0
 */
export * as Cluster from "./Cluster.ts"

/**
 * @since 0.1.0
 */
export * as ClusterOptions from "./ClusterOptions.ts"

/**
 * @since 0.2.0
 */
export * as CqlSchema from "./CqlSchema.ts"

/**
 * @since 0.2.0
 */
export * as Environment from "./Environment.ts"

/**
 * @since 0.1.0
 */
export * as Errors from "./Errors.ts"

/**
 * @since 0.1.0
 */
export * as ExecutionProfile from "./ExecutionProfile.ts"

/**
 * @since 0.2.0
 */
export * as HostFilter from "./policies/HostFilter.ts"

/**
 * @since 0.1.0
 */
export * as Host from "./Host.ts"

/**
 * @since 0.2.0
 */
export * as LatencyAware from "./policies/LatencyAware.ts"

/**
 * @since 0.1.0
 */
export * as LoadBalancing from "./policies/LoadBalancing.ts"

/**
 * @since 0.1.0
 */
export * as Metadata from "./Metadata.ts"

/**
 * @since 0.1.0
 */
export * as Metrics from "./Metrics.ts"

/**
 * @since 0.2.0
 */
export * as RackAware from "./policies/RackAware.ts"

/**
 * @since 0.1.0
 */
export * as Reconnection from "./policies/Reconnection.ts"

/**
 * @since 0.1.0
 */
export * as ResultSet from "./ResultSet.ts"

/**
 * @since 0.1.0
 */
export * as Retry from "./policies/Retry.ts"

/**
 * @since 0.1.0
 */
export * as Session from "./Session.ts"

/**
 * @since 0.2.0
 */
export * as SpeculativeExecution from "./policies/SpeculativeExecution.ts"

/**
 * @since 0.1.0
 */
export * as Statement from "./Statement.ts"

/**
 * @since 0.2.0
 */
export * as Throttling from "./policies/Throttling.ts"

/**
 * @since 0.1.0
 */
export * as Timestamps from "./policies/Timestamps.ts"

/**
 * @since 0.1.0
 */
export * as Transport from "./Transport.ts"

/**
 * @since 0.2.0
 */
export * as Uuid from "./Uuid.ts"
