/**
 * `@effect-cassandra/local`: a real Apache Cassandra 5.0 (one node or several, in one datacenter or several, of one rack or several) started from Maven Central jars,
 * as a scoped Effect resource or Layer, or an existing cluster described by `CASSANDRA_CONTACT_POINTS`.
 *
 * Test helpers for vitest live in `@effect-cassandra/local/vitest`. This package starts and controls
 * Cassandra only: it does not connect a driver to it (hand `contactPoints` to one).
 *
 * @since 0.1.0
 */

/**
 * The cluster service, its constructors and Layers, and the models that describe a cluster.
 *
 * @since 0.1.0
 */
export {
  type AddNodeOptions,
  CASSANDRA_VERSION,
  type ClusterInfo,
  external,
  fromEnv,
  fromEnvOrStart,
  fromInfo,
  layer,
  layerFromEnvOrStart,
  layerFromInfo,
  LocalCassandra,
  type LocalCassandraShape,
  type NodeControl,
  type NodeInfo,
  type NodeStatus,
  serveControl,
  start,
  type StartOptions
} from "./LocalCassandra.ts"

/**
 * The typed errors of fetching, starting and controlling a cluster.
 *
 * @since 0.1.0
 */
export {
  ControlError,
  InvalidOptions,
  JavaNotFoundError,
  type LocalCassandraError,
  MavenFetchError,
  NodeStartError,
  StartTimeoutError
} from "./Errors.ts"

/**
 * The names of the CASSANDRA_* variables and the existing cluster they describe.
 *
 * @since 0.1.0
 */
export { EnvVars, type ExternalCluster } from "./Env.ts"
