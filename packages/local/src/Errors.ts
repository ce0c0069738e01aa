/**
 * Typed errors of `@effect-cassandra/local`: fetching, starting and controlling nodes. Errors that a
 * running node answers to CQL are not modelled here.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * `mvn dependency:copy-dependencies` could not fetch `cassandra-all` and its runtime dependencies
 * (Maven missing, no network, unknown version). `output` holds the tail of Maven's output.
 *
 * @since 0.1.0
 * @category errors
 */
export class MavenFetchError extends Schema.TaggedError<MavenFetchError>()("MavenFetchError", {
  version: Schema.String,
  message: Schema.String,
  output: Schema.String
}) {}

/**
 * No usable `java` (Java 11 or 17) was found on PATH or in `JAVA_HOME`.
 *
 * @since 0.1.0
 * @category errors
 */
export class JavaNotFoundError extends Schema.TaggedError<JavaNotFoundError>()("JavaNotFoundError", {
  message: Schema.String
}) {}

/**
 * A node could not be started: its process exited, a port it needs is taken, or its files could not be
 * written. `logTail` holds the last lines of the node's log (empty when the process never ran).
 *
 * @since 0.1.0
 * @category errors
 */
export class NodeStartError extends Schema.TaggedError<NodeStartError>()("NodeStartError", {
  node: Schema.Number,
  message: Schema.String,
  logFile: Schema.String,
  logTail: Schema.String
}) {}

/**
 * A node did not become ready (CQL listening, startup complete, peers UP, a CQL query answered) in time.
 * The node is killed before this error is raised. `waitingFor` says which condition was still missing.
 *
 * @since 0.1.0
 * @category errors
 */
export class StartTimeoutError extends Schema.TaggedError<StartTimeoutError>()("StartTimeoutError", {
  node: Schema.Number,
  message: Schema.String,
  timeoutMillis: Schema.Number,
  waitingFor: Schema.String,
  logFile: Schema.String,
  logTail: Schema.String
}) {}

/**
 * A control request failed: unknown node, node not running, a remote control call failed, or a setup step
 * such as `keytool` failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ControlError extends Schema.TaggedError<ControlError>()("ControlError", {
  message: Schema.String
}) {}

/**
 * A start or control option that is not valid (e.g. a duration such as `startTimeout: "soon"`), found
 * before any process starts.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidOptions extends Schema.TaggedError<InvalidOptions>()("InvalidOptions", {
  message: Schema.String,
  /** The option, e.g. `startTimeout`. */
  path: Schema.String
}) {}

/**
 * Any error raised by `@effect-cassandra/local`.
 *
 * @since 0.1.0
 * @category errors
 */
export type LocalCassandraError =
  | MavenFetchError
  | JavaNotFoundError
  | NodeStartError
  | StartTimeoutError
  | ControlError
  | InvalidOptions
