/**
 * @effect-cassandra/sql: effect/sql's `SqlClient` over an @effect-cassandra/driver Session. One namespace
 * per public module.
 *
 * @since 0.2.0
 */

/**
 * @since 0.2.0
 */
export * as CassandraClient from "./CassandraClient.ts"

/**
 * @since 0.2.0
 */
export * as CassandraMigrator from "./CassandraMigrator.ts"

/**
 * @since 0.2.0
 */
export * as SqlErrors from "./SqlErrors.ts"
