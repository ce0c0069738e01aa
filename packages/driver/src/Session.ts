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
import { type Row } from "@effect-cassandra/protocol"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Cluster, type ClusterShape } from "./Cluster.ts"
import * as E from "./Errors.ts"
import { internalsOf } from "./internal/cluster/internals.ts"
import { useQuery } from "./internal/connection/adminQuery.ts"
import { Instruments, queryText } from "./internal/observability/instrument.ts"
import { PoolManager } from "./internal/pool/PoolManager.ts"
import { Executor } from "./internal/request/Executor.ts"
import { RequestDefaults } from "./internal/request/options.ts"
import { RetryPolicy } from "./policies/Retry.ts"
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
  /** Defaults for every execution of this session. */
  readonly defaults?: ExecuteOptions | undefined
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
  /**
   * A client span per execute/prepare/batch (`cassandra.execute`, with the OpenTelemetry database
   * attributes `db.system.name`, `db.query.text`, `db.namespace`), for Effect's tracer (default false).
   */
  readonly spans?: boolean | undefined
}

/**
 * The Session service.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionShape {
  readonly execute: <A = Row>(
    statement: Statement,
    params?: Params,
    options?: ExecuteOptions<A>
  ) => Effect.Effect<ResultSet<A>, E.CassandraError>
  readonly prepare: (query: string, options?: { readonly keyspace?: string | undefined }) => Effect.Effect<PreparedStatement, E.CassandraError>
  readonly stream: <A = Row>(
    statement: Statement,
    params?: Params,
    options?: ExecuteOptions<A>
  ) => Stream.Stream<A, E.CassandraError>
  readonly batch: (entries: ReadonlyArray<BatchEntry>, options?: BatchOptions) => Effect.Effect<ResultSet, E.CassandraError>
  /** The current keyspace of the session. */
  readonly keyspace: () => string | undefined
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
  statement: Statement,
  params?: Params,
  options?: ExecuteOptions<A>
): Effect.Effect<ResultSet<A>, E.CassandraError, Session> => Session.use((s) => s.execute(statement, params, options))

/**
 * `yield* Session.prepare(query)`: cached per keyspace and query.
 *
 * @since 0.1.0
 * @category accessors
 */
export const prepare = (query: string, options?: { readonly keyspace?: string | undefined }): Effect.Effect<PreparedStatement, E.CassandraError, Session> =>
  Session.use((s) => s.prepare(query, options))

/**
 * Every row of a query, page by page as the consumer pulls.
 *
 * @since 0.1.0
 * @category accessors
 */
export const stream = <A = Row>(
  statement: Statement,
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
    const defaults = RequestDefaults.make(options.defaults)
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
    const instruments = new Instruments(options.metrics === true, options.spans === true, () => pools.keyspace)
    const executor = new Executor({
      cluster,
      internals,
      pools,
      defaults,
      retryPolicy: cluster.options.retry ?? (yield* RetryPolicy),
      clock: yield* Effect.clockWith(Effect.succeed),
      scope,
      instruments,
      prepareOnAllHosts: options.prepareOnAllHosts ?? true,
      reprepareOnUp: options.reprepareOnUp ?? true,
      maxPrepared: options.maxPrepared,
      throttler: options.throttler
    })
    pools.reprepare = (pool) => executor.prepared.reprepare(pool)
    yield* pools.start
    return sessionShape(executor, instruments, pools, cluster)
  })

/** The service: the executor's operations, observed when spans or metrics are on. */
const sessionShape = (executor: Executor, instruments: Instruments, pools: PoolManager, cluster: ClusterShape): SessionShape => {
  const execute = <A = Row>(statement: Statement, params?: Params, opts?: ExecuteOptions<A>) => executor.execute<A>(statement, params, opts)
  const prepare = (query: string, opts?: { readonly keyspace?: string | undefined }) => executor.prepare(query, opts?.keyspace)
  const batch = (entries: ReadonlyArray<BatchEntry>, opts?: BatchOptions) => executor.batch(entries, opts)
  return {
    execute: instruments.enabled
      ? <A = Row>(statement: Statement, params?: Params, opts?: ExecuteOptions<A>) =>
        instruments.observe(execute<A>(statement, params, opts), "execute", queryText(statement))
      : execute,
    prepare: instruments.spans ? (query, opts) => instruments.observe(prepare(query, opts), "prepare", query) : prepare,
    stream: (statement, params, opts) => executor.stream(statement, params, opts),
    batch: instruments.enabled ? (entries, opts) => instruments.observe(batch(entries, opts), "batch", undefined) : batch,
    keyspace: () => pools.keyspace,
    cluster
  }
}

/**
 * A Session layer on top of a Cluster layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: SessionOptions = {}): Layer.Layer<Session, E.CassandraError, Cluster> =>
  Layer.effect(Session, make(options))
