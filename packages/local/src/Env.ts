/**
 * The environment that points this package at an existing cluster: the names of the CASSANDRA_*
 * variables (`EnvVars`), the cluster they describe (`ExternalCluster`) and the shape of an environment
 * (`Env`, as in `process.env`).
 *
 * Names and types only. Parsing the variables is `internal/env.ts`'s; contacting the cluster is
 * `external` in LocalCassandra.ts.
 *
 * @since 0.1.0
 */

/**
 * Environment variables, as in `process.env`.
 *
 * @since 0.1.0
 */
export type Env = Readonly<Record<string, string | undefined>>

/**
 * Names of the environment variables that point tests and the demo at an existing cluster.
 *
 * @since 0.1.0
 */
export const EnvVars = {
  contactPoints: "CASSANDRA_CONTACT_POINTS",
  localDatacenter: "CASSANDRA_LOCAL_DC",
  port: "CASSANDRA_PORT",
  username: "CASSANDRA_USERNAME",
  password: "CASSANDRA_PASSWORD",
  tlsCa: "CASSANDRA_TLS_CA",
  tls: "CASSANDRA_TLS"
} as const

/**
 * An existing cluster as the CASSANDRA_* variables describe it.
 *
 * @since 0.1.0
 */
export interface ExternalCluster {
  readonly hosts: ReadonlyArray<string>
  readonly contactPoints: ReadonlyArray<string>
  readonly port: number
  readonly localDatacenter: string
  readonly credentials: { readonly username: string; readonly password: string } | undefined
  readonly tls: boolean
  readonly caCertPem: string | undefined
}
