/**
 * `Session`: executes statements against the cluster (the Python driver's `Session`): `execute`,
 * `prepare`, `stream` and `batch`, as Effects and Streams with typed errors.
 *
 * A request runs down the rooms of `internal/`: options resolved once, a plan, the query plan, one
 * execution over the pooled connections (retries, UNPREPARED, speculative executions), the ResultSet.
 * This module only wires them: the pool manager, the prepared cache and the executor of one session.
 *
 * @since 0.1.0
 */
import type { Row } from "@effect-cassandra/protocol/Messages"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Cluster, type ClusterShape, layer as clusterLayer, layerConfig as clusterLayerConfig } from "./Cluster.ts"
import type { ClusterOptions } from "./ClusterOptions.ts"
import * as Environment from "./Environment.ts"
import * as E from "./Errors.ts"
import { readConfig, unwrapDefined } from "./internal/cluster/config.ts"
import { internalsOf } from "./internal/cluster/internals.ts"
import { useQuery } from "./internal/connection/adminQuery.ts"
import { Instruments } from "./internal/observability/instrument.ts"
import { PoolManager } from "./internal/pool/PoolManager.ts"
import { Executor } from "./internal/request/Executor.ts"
import { RequestDefaults } from "./internal/request/options.ts"
import type { ExecutionProfile } from "./ExecutionProfile.ts"
import { RetryPolicy } from "./policies/Retry.ts"
import { SpeculativeExecutionPolicy } from "./policies/SpeculativeExecution.ts"
import type { Throttler } from "./policies/Throttling.ts"
import type { ResultSet } from "./ResultSet.ts"
import type { BatchEntry, BatchOptions, ExecuteOptions, Params, PreparedStatement, Statement } from "./Statement.ts"

/**
 * Statements and their options, also reachable from `Session` (they live in `Statement`).
 *
 * @since 0.1.0
 */
export { BoundStatement, PreparedStatement, SimpleStatement, statement } from "./Statement.ts"

/**
 * The statement types, also reachable from `Session`.
 *
 * @since 0.1.0
 */
export type { BatchEntry, BatchOptions, ExecuteOptions, Params, SpeculativeExecution, Statement } from "./Statement.ts"

/**
 * What `Session.layer` takes.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionOptions {
  /** The keyspace every connection of the session uses (`USE`). */
  readonly keyspace?: string | undefined
  /**
   * Defaults for every execution of this session, under its profile's settings (`defaults.profile`
   * names the profile of requests that choose none).
   */
  readonly defaults?: ExecuteOptions | undefined
  /**
   * Execution profiles by name (`{ oltp: {...}, analytics: {...} }`), chosen per call or statement
   * (`{ profile: "analytics" }`) or over a region of code (`ExecutionProfile.with("analytics")`). A
   * profile's settings are over the session's `defaults` and under the call's options; a bad one fails
   * the layer with `InvalidInput`.
   */
  readonly profiles?: Readonly<Record<string, ExecutionProfile>> | undefined
  /** Prepare statements on every up host, not only the first (default true). */
  readonly prepareOnAllHosts?: boolean | undefined
  /**
   * Prepare every statement of this session again on a host that comes back up or joins (default true),
   * before requests go to it, so they do not meet UNPREPARED (which would be cured transparently, at the
   * cost of a round trip).
   */
  readonly reprepareOnUp?: boolean | undefined
  /**
   * Prepared statements the session keeps (default 500, as cassandra-driver), the least recently used
   * evicted first: an evicted statement is prepared again when next prepared, and is no longer prepared
   * on hosts that come up (a `PreparedStatement` still held runs: UNPREPARED is cured transparently).
   * A positive integer.
   */
  readonly maxPrepared?: number | undefined
  /**
   * Limits the requests of this session (`Throttling.concurrencyLimit`, `rateLimit` or `adaptive`): every
   * execute, page and batch waits for the throttler, and fails with `RequestThrottled` when its queue is full.
   */
  readonly throttler?: Throttler | undefined
  /** Record the driver's Effect Metrics (see `Metrics`) for every request (default false). */
  readonly metrics?: boolean | undefined
  /** How often the pool gauges of `Metrics` are sampled when `metrics` is on (default every second). */
  readonly metricsInterval?: Duration.Input | undefined
  /** The session's name in metric attributes (`session`; default `session-N`, N counting the process's sessions). */
  readonly name?: string | undefined
  /**
   * A client span per request (each page of `execute` and `stream`, each batch, each first PREPARE) by
   * the OpenTelemetry database conventions: named `SELECT ks.table`, with `db.system.name`,
   * `db.namespace`, `db.collection.name`, `db.operation.name`, `db.query.text`, the coordinator and
   * the `cassandra.*` attributes (default true). Without a tracer installed (Effect's native tracer)
   * nothing is recorded and an `execute` pays one look at its fiber's tracer (a batch and a first PREPARE one
   * `Effect.withFiber`); `false` removes even that.
   */
  readonly spans?: boolean | undefined
}

/**
 * What `Session.prepare` takes.
 *
 * @since 0.2.0
 * @category models
 */
export interface PrepareOptions {
  /** The keyspace to prepare in (v5; the session's by default). */
  readonly keyspace?: string | undefined
  /** Sent with the PREPARE requests (protocol v4+). */
  readonly customPayload?: ReadonlyMap<string, Uint8Array | null> | undefined
}

/**
 * The Session service.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionShape {
  readonly execute: <A = Row>(
    statement: Statement<A>,
    params?: Params,
    options?: ExecuteOptions<A>
  ) => Effect.Effect<ResultSet<A>, E.CassandraError>
  /**
   * Prepares `query` (cached per keyspace and query). `customPayload` (since 0.2.0) goes with the
   * PREPAREs this call sends: none when the statement is already cached.
   */
  readonly prepare: (query: string, options?: PrepareOptions) => Effect.Effect<PreparedStatement, E.CassandraError>
  readonly stream: <A = Row>(
    statement: Statement<A>,
    params?: Params,
    options?: ExecuteOptions<A>
  ) => Stream.Stream<A, E.CassandraError>
  readonly batch: (entries: ReadonlyArray<BatchEntry>, options?: BatchOptions) => Effect.Effect<ResultSet, E.CassandraError>
  /** The current keyspace of the session. */
  readonly keyspace: () => string | undefined
  /**
   * Switches every connection of the session to `keyspace` (`USE`, the name quoted as an identifier;
   * the Python driver's `set_keyspace`). An empty name is `InvalidInput`, before anything is sent.
   *
   * @since 0.2.0
   */
  readonly setKeyspace: (keyspace: string) => Effect.Effect<void, E.CassandraError>
  readonly cluster: ClusterShape
}

/**
 * The Session service tag.
 *
 * @since 0.1.0
 * @category services
 */
export class Session extends Context.Service<Session, SessionShape>()("@effect-cassandra/driver/Session") {}

/**
 * `yield* Session.execute(query, params, options)`
 *
 * @since 0.1.0
 * @category accessors
 */
export const execute = <A = Row>(
  statement: Statement<A>,
  params?: Params,
  options?: ExecuteOptions<A>
): Effect.Effect<ResultSet<A>, E.CassandraError, Session> => Session.use((s) => s.execute(statement, params, options))

/**
 * `yield* Session.prepare(query)`: cached per keyspace and query.
 *
 * @since 0.1.0
 * @category accessors
 */
export const prepare = (query: string, options?: PrepareOptions): Effect.Effect<PreparedStatement, E.CassandraError, Session> =>
  Session.use((s) => s.prepare(query, options))

/**
 * Every row of a query, page by page as the consumer pulls.
 *
 * @since 0.1.0
 * @category accessors
 */
export const stream = <A = Row>(
  statement: Statement<A>,
  params?: Params,
  options?: ExecuteOptions<A>
): Stream.Stream<A, E.CassandraError, Session> => Stream.unwrap(Session.useSync((s) => s.stream(statement, params, options)))

/**
 * `yield* Session.batch(entries, options)`
 *
 * @since 0.1.0
 * @category accessors
 */
export const batch = (entries: ReadonlyArray<BatchEntry>, options?: BatchOptions): Effect.Effect<ResultSet, E.CassandraError, Session> =>
  Session.use((s) => s.batch(entries, options))

/**
 * `yield* Session.setKeyspace(keyspace)`: every connection of the session switches to it.
 *
 * @since 0.2.0
 * @category accessors
 */
export const setKeyspace = (keyspace: string): Effect.Effect<void, E.CassandraError, Session> =>
  Session.use((s) => s.setKeyspace(keyspace))

/**
 * Builds a Session on the Cluster in the current scope: checks the keyspace, opens a pool per host,
 * and follows host events. Closing the scope closes the session's connections.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: SessionOptions = {}): Effect.Effect<SessionShape, E.CassandraError, Cluster | Scope.Scope> =>
  Effect.gen(function*() {
    const cluster = yield* Cluster
    const internals = internalsOf(cluster)
    const scope = yield* Effect.scope
    const defaults = RequestDefaults.make(options.defaults, options.profiles, yield* SpeculativeExecutionPolicy)
    if (defaults instanceof E.InvalidInput) return yield* defaults
    if (options.throttler?.invalid !== undefined) return yield* options.throttler.invalid
    if (options.maxPrepared !== undefined && !(Number.isInteger(options.maxPrepared) && options.maxPrepared > 0)) {
      return yield* new E.InvalidInput({ message: `maxPrepared: not a positive integer: ${String(options.maxPrepared)}`, path: "maxPrepared", expected: "a positive integer" })
    }
    if (options.keyspace !== undefined) {
      // like the Python driver's connect(keyspace): an unknown keyspace fails here, not as hosts going down
      yield* internals.controlQuery(useQuery(options.keyspace))
    }
    const pools = new PoolManager({
      cluster,
      internals,
      lb: cluster.loadBalancing,
      scope,
      runFork: Effect.runForkWith(yield* Effect.context<never>()),
      keyspace: options.keyspace
    })
    const clock = yield* Effect.clockWith(Effect.succeed)
    const instruments = new Instruments({
      metrics: options.metrics === true,
      spans: options.spans !== false,
      keyspace: () => pools.keyspace,
      clock,
      session: options.name
    })
    const executor = new Executor({
      cluster,
      internals,
      pools,
      defaults,
      retryPolicy: cluster.options.retry ?? (yield* RetryPolicy),
      clock,
      scope,
      instruments,
      prepareOnAllHosts: options.prepareOnAllHosts ?? true,
      reprepareOnUp: options.reprepareOnUp ?? true,
      maxPrepared: options.maxPrepared,
      throttler: options.throttler
    })
    pools.reprepare = (pool) => executor.prepared.reprepare(pool)
    yield* pools.start
    yield* Effect.forkIn(instruments.samplePools(() => pools.stats(), Schedule.spaced(options.metricsInterval ?? "1 second")), scope)
    return sessionShape(executor, pools, cluster)
  })

/** The service: the executor's operations (the executor observes each request). */
const sessionShape = (executor: Executor, pools: PoolManager, cluster: ClusterShape): SessionShape => ({
  execute: (statement, params, opts) => executor.execute(statement, params, opts),
  prepare: (query, opts) => executor.prepare(query, opts?.keyspace, opts?.customPayload),
  stream: (statement, params, opts) => executor.stream(statement, params, opts),
  batch: (entries, opts) => executor.batch(entries, opts),
  keyspace: () => pools.keyspace,
  setKeyspace: (keyspace) =>
    typeof keyspace !== "string" || keyspace.length === 0
      ? Effect.fail(new E.InvalidInput({ message: "setKeyspace: the keyspace name is empty", path: "keyspace" }))
      : Effect.asVoid(executor.execute(useQuery(keyspace), undefined, undefined)),
  cluster
})

/**
 * A Session layer on top of a Cluster layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: SessionOptions = {}): Layer.Layer<Session, E.CassandraError, Cluster> =>
  Layer.effect(Session, make(options))

/**
 * The Session options the CASSANDRA_* variables describe (see `Environment`): CASSANDRA_KEYSPACE, and
 * the defaults CASSANDRA_CONSISTENCY, CASSANDRA_SERIAL_CONSISTENCY, CASSANDRA_FETCH_SIZE and
 * CASSANDRA_REQUEST_TIMEOUT.
 *
 * @since 0.2.0
 */
export const fromSettings = (settings: Environment.Settings): SessionOptions => {
  const defaults: ExecuteOptions = {
    ...(settings.consistency !== undefined ? { consistency: settings.consistency } : {}),
    ...(settings.serialConsistency !== undefined ? { serialConsistency: settings.serialConsistency } : {}),
    ...(settings.fetchSize !== undefined ? { fetchSize: settings.fetchSize } : {}),
    ...(settings.requestTimeout !== undefined ? { timeout: settings.requestTimeout } : {})
  }
  return {
    ...(settings.keyspace !== undefined ? { keyspace: settings.keyspace } : {}),
    ...(Object.keys(defaults).length > 0 ? { defaults } : {})
  }
}

/**
 * The Session options from the CASSANDRA_* variables (`fromSettings` of `Environment.config`).
 *
 * @since 0.2.0
 * @category config
 */
export const config: Config.Config<SessionOptions> = Config.map(Environment.config, fromSettings)

/**
 * A Session layer from configuration: `layerConfig()` reads CASSANDRA_KEYSPACE and the session
 * defaults (`config`); `layerConfig(config)` takes a `Config.Wrap<SessionOptions>` (your own keys:
 * `{ keyspace: Config.String("APP_KEYSPACE") }`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options?: Config.Wrap<SessionOptions>
): Layer.Layer<Session, E.CassandraError | Config.ConfigError, Cluster> =>
  Layer.effect(Session, Effect.flatMap(readConfig(options === undefined ? config : unwrapDefined(options)), make))

/**
 * A Cluster and a Session on it in one layer (both closed with it).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerWithCluster = (
  cluster: ClusterOptions,
  session: SessionOptions = {}
): Layer.Layer<Session | Cluster, E.CassandraError> => layer(session).pipe(Layer.provideMerge(clusterLayer(cluster)))

/**
 * A Cluster and a Session from configuration in one layer: `Cluster.layerConfig(cluster)` and
 * `Session.layerConfig(session)`; with no arguments, everything from the CASSANDRA_* variables.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfigWithCluster = (
  cluster?: Config.Wrap<ClusterOptions>,
  session?: Config.Wrap<SessionOptions>
): Layer.Layer<Session | Cluster, E.CassandraError | Config.ConfigError> =>
  layerConfig(session).pipe(Layer.provideMerge(cluster === undefined ? clusterLayerConfig() : clusterLayerConfig(cluster)))
