/**
 * `Session`: executes statements against the cluster (the Python driver's `Session`).
 *
 * `execute` -> statement + options -> query plan (load balancing) -> connection (pool) ->
 * encode + write -> answer by stream id -> decode -> retry decision -> ResultSet.
 *
 * @since 0.1.0
 */
import {
  type BoundValues,
  type ColumnSpec,
  Consistency,
  type QueryParameters,
  type Request,
  type ResponseFrame,
  type Row,
  type SchemaChange
} from "@effect-cassandra/protocol"
import { murmur3Token, routingKey, serializeValue } from "@effect-cassandra/protocol"
import * as Context from "effect/Context"
import * as Result from "effect/Result"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Cluster, type ClusterShape } from "./Cluster.ts"
import * as Metrics from "./Metrics.ts"
import * as E from "./Errors.ts"
import type { Host } from "./Host.ts"
import type { Connection, ResponseHandler } from "./internal/connection.ts"
import { quoteIdentifier } from "./internal/connection.ts"
import { type RetryContext, RetryPolicy, type RetryPolicyShape } from "./policies/Retry.ts"
import type { QueryTrace, ResultSet } from "./ResultSet.ts"
import {
  type BatchEntry,
  type BatchOptions,
  type ExecuteOptions,
  type Params,
  PreparedStatement,
  type SpeculativeExecution,
  type Statement
} from "./Statement.ts"

export { BoundStatement, PreparedStatement, SimpleStatement, statement } from "./Statement.ts"
export type { BatchEntry, BatchOptions, ExecuteOptions, Params, SpeculativeExecution, Statement } from "./Statement.ts"

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
  /** Record the driver's Effect Metrics (see `Metrics`) for every request (default false). */
  readonly metrics?: boolean | undefined
  /**
   * A client span per execute/prepare/batch (`cassandra.execute`, with the OpenTelemetry database
   * attributes `db.system.name`, `db.query.text`, `db.namespace`), for Effect's tracer (default false).
   */
  readonly spans?: boolean | undefined
}

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

export class Session extends Context.Service<Session, SessionShape>()("@effect-cassandra/driver/Session") {}

/** `yield* Session.execute(query, params, options)` */
export const execute = <A = Row>(
  statement: Statement,
  params?: Params,
  options?: ExecuteOptions<A>
): Effect.Effect<ResultSet<A>, E.CassandraError, Session> => Session.use((s) => s.execute(statement, params, options))

export const prepare = (query: string, options?: { readonly keyspace?: string | undefined }): Effect.Effect<PreparedStatement, E.CassandraError, Session> =>
  Session.use((s) => s.prepare(query, options))

export const stream = <A = Row>(
  statement: Statement,
  params?: Params,
  options?: ExecuteOptions<A>
): Stream.Stream<A, E.CassandraError, Session> => Stream.unwrap(Session.useSync((s) => s.stream(statement, params, options)))

export const batch = (entries: ReadonlyArray<BatchEntry>, options?: BatchOptions): Effect.Effect<ResultSet, E.CassandraError, Session> =>
  Session.use((s) => s.batch(entries, options))

// ---------------------------------------------------------------------------
// pools
// ---------------------------------------------------------------------------

class HostPool {
  readonly host: Host
  connections: Array<Connection> = []
  reconnecting = false
  /** A lost connection of several is being replaced. */
  refilling = false
  closed = false
  constructor(host: Host) {
    this.host = host
  }
  borrow(): Connection | undefined {
    const conns = this.connections
    if (conns.length === 1) {
      const c = conns[0]!
      return c.closed === undefined && c.availableStreams > 0 ? c : undefined
    }
    let best: Connection | undefined
    for (const c of conns) {
      if (c.closed !== undefined || c.availableStreams === 0) continue
      if (best === undefined || c.inFlight < best.inFlight) best = c
    }
    return best
  }
}

// ---------------------------------------------------------------------------
// execution
// ---------------------------------------------------------------------------

const DEFAULT_TIMEOUT = 10_000
const DEFAULT_FETCH = 5000

interface Plan {
  readonly request: Request
  readonly columns: ReadonlyArray<ColumnSpec> | undefined
  readonly prepared: PreparedStatement | undefined
  readonly idempotent: boolean
  readonly deadline: number
  readonly timeoutMillis: number
  readonly tracing: boolean
  readonly customPayload: ReadonlyMap<string, Uint8Array | null> | undefined
  readonly host: Host | undefined
  readonly keyspace: string | undefined
  /** Extra executions started on the next hosts while the first is still running (idempotent only). */
  readonly speculative: SpeculativeExecution | undefined
  /** A batch: the prepared statement of each entry (undefined for a query string), for re-preparing. */
  readonly batchPrepared?: ReadonlyArray<PreparedStatement | undefined> | undefined
  /** A simple statement's routing key (the `routingKey` option). */
  readonly routingKey?: Uint8Array | ReadonlyArray<Uint8Array> | undefined
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Monotonic client-side timestamps in microseconds. */
const makeTimestampGenerator = () => {
  let last = 0
  return (nowMillis: number): bigint => {
    let micros = nowMillis * 1000
    if (micros <= last) micros = last + 1
    last = micros
    return BigInt(micros)
  }
}

/** The code of a consistency level name; an unknown name is bad input, not a silent default. */
const consistencyCode = (name: string | undefined, fallback: number, path: string): number | E.InvalidInput => {
  if (name === undefined) return fallback
  const code = (Consistency as Record<string, number>)[name]
  return typeof code === "number"
    ? code
    : new E.InvalidInput({ message: `${path}: unknown consistency level ${JSON.stringify(name)}`, path, expected: "a consistency level name (ONE, QUORUM, LOCAL_QUORUM, ...)" })
}

const SERIAL_LEVELS: ReadonlySet<string> = new Set(["SERIAL", "LOCAL_SERIAL"])

/** A serial consistency: SERIAL or LOCAL_SERIAL. */
const serialCode = (name: string | undefined, path: string): number | undefined | E.InvalidInput =>
  name === undefined
    ? undefined
    : SERIAL_LEVELS.has(name)
    ? Consistency[name as "SERIAL" | "LOCAL_SERIAL"]
    : new E.InvalidInput({ message: `${path}: ${JSON.stringify(name)} is not a serial consistency level`, path, expected: "SERIAL or LOCAL_SERIAL" })

/** A client-side timeout in milliseconds: a positive Duration input (Infinity allowed). */
const timeoutMillisOf = (input: Duration.Input | undefined, fallback: number, path: string): number | E.InvalidInput => {
  if (input === undefined) return fallback
  const d = Duration.fromInput(input)
  const ms = Option.isSome(d) ? Duration.toMillis(d.value) : Number.NaN
  return ms > 0
    ? ms
    : new E.InvalidInput({ message: `${path}: not a positive duration: ${String(input)}`, path, expected: "a positive Duration input" })
}

const isRecord = (p: Params | undefined): p is Readonly<Record<string, unknown>> =>
  p !== undefined && !Array.isArray(p)

/** Binds params to a prepared statement's variables, checking arity and names. */
const bindPrepared = (prepared: PreparedStatement, params: Params | undefined): BoundValues | E.InvalidInput => {
  const n = prepared.variables.length
  if (params === undefined) {
    if (n === 0) return { values: [], types: [] }
    return new E.InvalidInput({ message: `the statement has ${n} bind variables but no values were given` })
  }
  if (isRecord(params)) {
    const values = new Array<unknown>(n).fill(undefined)
    for (const key of Object.keys(params)) {
      const i = prepared.variableIndex.get(key)
      if (i === undefined) {
        return new E.InvalidInput({ message: `unknown bind variable "${key}" (expected one of ${[...prepared.variableIndex.keys()].join(", ")})`, path: `values.${key}` })
      }
      values[i] = params[key]
      // a name used several times (e.g. `a = :x OR b = :x`) binds every position with that name
      for (let j = i + 1; j < n; j++) if (prepared.variables[j]!.name === key) values[j] = params[key]
    }
    for (let i = 0; i < n; i++) {
      if (values[i] === undefined) {
        return new E.InvalidInput({ message: `missing a value for bind variable "${prepared.variables[i]!.name}"`, path: `values.${prepared.variables[i]!.name}` })
      }
    }
    return { values, types: prepared.variableTypes }
  }
  if (params.length !== n) {
    return new E.InvalidInput({ message: `the statement has ${n} bind variables but ${params.length} values were given` })
  }
  return { values: params, types: prepared.variableTypes }
}

/** Binds params to a simple statement: positional `?` or named `:name` (types inferred from the values). */
const bindSimple = (params: Params | undefined): BoundValues | undefined => {
  if (params === undefined) return undefined
  if (isRecord(params)) {
    const names = Object.keys(params)
    return { values: names.map((k) => params[k]), names }
  }
  return params.length === 0 ? undefined : { values: params }
}

const emptyWarnings: ReadonlyArray<string> = []

/** How long `rs.trace` waits for the server to finish writing a trace (the Python driver's max_wait: 2 s; Cassandra 5 can take longer). */
const DEFAULT_TRACE_WAIT = 5000

export const make = (options: SessionOptions = {}): Effect.Effect<SessionShape, E.CassandraError, Cluster | Scope.Scope> =>
  Effect.gen(function*() {
    const cluster = yield* Cluster
    const scope = yield* Effect.scope
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const retryPolicyDefault = cluster.options.retry ?? (yield* RetryPolicy)
    const lb = cluster.loadBalancing
    const defaults = options.defaults ?? {}
    const prepareOnAll = options.prepareOnAllHosts ?? true
    const reprepareOnUp = options.reprepareOnUp ?? true
    const defaultTimeoutMillis = timeoutMillisOf(defaults.timeout, DEFAULT_TIMEOUT, "defaults.timeout")
    if (typeof defaultTimeoutMillis !== "number") return yield* defaultTimeoutMillis
    let keyspace = options.keyspace
    const pools = new Map<string, HostPool>()
    const preparedCache = new Map<string, Effect.Effect<PreparedStatement, E.CassandraError>>()
    /** The statements prepared so far (by cache key), to prepare again on hosts that come up. */
    const preparedStatements = new Map<string, PreparedStatement>()
    /** The session's scope is closing: connections that close now are not replaced. */
    const closing = () => scope.state._tag === "Closed"
    const nextTimestamp = makeTimestampGenerator()
    const clock = yield* Effect.clockWith(Effect.succeed)

    // ---- pools --------------------------------------------------------------

    const openPool = (pool: HostPool): Effect.Effect<void, E.ConnectionError | E.AuthenticationError> =>
      Effect.gen(function*() {
        const sizes = cluster.options.connectionsPerHost
        const want = lb.distance(pool.host, cluster.localDc) === "remote" ? sizes.remote : sizes.local
        while (pool.connections.filter((c) => c.closed === undefined).length < want && !pool.closed && !closing()) {
          const connScope = yield* Scope.fork(scope, "sequential")
          const conn = yield* cluster.connect(pool.host, keyspace).pipe(
            Scope.provide(connScope),
            Effect.tapError(() => Scope.close(connScope, Exit.void))
          )
          pool.connections = [...pool.connections.filter((c) => c.closed === undefined), conn]
          conn.onClose((error) => {
            pool.connections = pool.connections.filter((c) => c !== conn)
            runFork(Scope.close(connScope, Exit.void))
            if (pool.closed || closing()) return
            if (pool.connections.length === 0) runFork(hostLost(pool, error.message))
            else runFork(refill(pool))
          })
        }
      })

    /** Replaces the lost connections of a pool that still has some, on the reconnection Schedule. */
    const refill = (pool: HostPool): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (pool.refilling || pool.reconnecting || pool.closed) return Effect.void
        pool.refilling = true
        return openPool(pool).pipe(
          Effect.retry({
            schedule: cluster.options.reconnection as Schedule.Schedule<unknown, E.ConnectionError | E.AuthenticationError>,
            // once the pool lost every connection, the host's reconnection loop takes over
            while: () => !pool.reconnecting && !pool.closed && pool.connections.length > 0
          }),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => { pool.refilling = false })),
          Effect.forkIn(scope),
          Effect.asVoid
        )
      })

    /** Prepares the session's statements on a pool that just came (back) up; failures are left to UNPREPARED. */
    const reprepare = (pool: HostPool): Effect.Effect<void> =>
      Effect.suspend(() => {
        const conn = pool.borrow()
        if (!reprepareOnUp || conn === undefined || preparedStatements.size === 0) return Effect.void
        return Effect.forEach(
          [...preparedStatements.values()],
          (p) => Effect.ignore(prepareOn(conn, p.query, p.keyspace)),
          { concurrency: 8, discard: true }
        )
      })

    /** The pool reopened: statements prepared again there, then the host is up for requests. */
    const poolUp = (pool: HostPool): Effect.Effect<void> => Effect.andThen(reprepare(pool), cluster.markUp(pool.host))

    /**
     * Reconnects a down host on the reconnection Schedule. The caller already made one immediate
     * attempt, so the first real attempt here waits the schedule's first delay.
     */
    const reconnectLoop = (pool: HostPool): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (pool.reconnecting || pool.closed) return Effect.void
        pool.reconnecting = true
        let first = true
        const attempt = Effect.suspend(() => {
          if (first) {
            first = false
            return Effect.fail(new E.ConnectionError({ message: "waiting for the first reconnection delay", host: pool.host.endpoint }))
          }
          return openPool(pool)
        })
        return attempt.pipe(
          Effect.retry(cluster.options.reconnection as Schedule.Schedule<unknown, E.ConnectionError | E.AuthenticationError>),
          Effect.andThen(poolUp(pool)),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => { pool.reconnecting = false }))
        )
      })

    const hostLost = (pool: HostPool, reason: string): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (pool.closed || closing()) return
        // one immediate attempt (a connection can die alone), then mark down and back off
        const again = yield* Effect.exit(openPool(pool))
        if (Exit.isSuccess(again) || pool.closed || closing()) return
        yield* cluster.markDown(pool.host, reason)
        yield* Effect.forkIn(reconnectLoop(pool), scope)
      })

    const addPool = (host: Host): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (pools.has(host.endpoint)) return
        if (lb.distance(host, cluster.localDc) === "ignored") return
        const pool = new HostPool(host)
        pools.set(host.endpoint, pool)
        const opened = yield* Effect.exit(openPool(pool))
        if (Exit.isFailure(opened)) {
          if (closing()) return
          const reason = opened.cause.reasons.find((r) => r._tag === "Fail")
          yield* cluster.markDown(host, reason?._tag === "Fail" ? reason.error.message : "connect failed")
          yield* Effect.forkIn(reconnectLoop(pool), scope)
        } else {
          // a host that joins later gets the statements prepared so far (none at start-up)
          yield* reprepare(pool)
        }
      })

    if (keyspace !== undefined) {
      // like the Python driver's connect(keyspace): an unknown keyspace fails here, not as hosts going down
      yield* Effect.mapError(
        cluster.controlQuery(`USE ${quoteIdentifier(keyspace)}`),
        (e): E.CassandraError => e
      )
    }
    yield* Effect.forEach(cluster.hosts(), addPool, { concurrency: "unbounded", discard: true })
    yield* Effect.addFinalizer(() => Effect.sync(() => { for (const p of pools.values()) p.closed = true }))

    /** A host reported up (by an event or another session): open its pool now if it has none. */
    const hostBack = (host: Host): Effect.Effect<void> =>
      Effect.suspend(() => {
        const pool = pools.get(host.endpoint)
        if (pool === undefined) return addPool(host)
        if (pool.connections.length === 0 && !pool.closed) {
          return openPool(pool).pipe(Effect.andThen(poolUp(pool)), Effect.ignore)
        }
        return Effect.void
      })

    // follow host events
    yield* cluster.events.pipe(
      Stream.runForEach((event) => {
        switch (event._tag) {
          case "HostAdded":
            return addPool(cluster.getHost(event.host.endpoint) ?? event.host)
          case "HostRemoved": {
            const pool = pools.get(event.host.endpoint)
            if (pool === undefined) return Effect.void
            pool.closed = true
            pools.delete(event.host.endpoint)
            return Effect.forEach(pool.connections, (c) => c.close(), { discard: true })
          }
          case "HostUp":
            return hostBack(cluster.getHost(event.host.endpoint) ?? event.host)
          default:
            return Effect.void
        }
      }),
      Effect.forkIn(scope)
    )
    // a STATUS_CHANGE UP: try the host now rather than at the next reconnection delay
    yield* cluster.upHints.pipe(Stream.runForEach(hostBack), Effect.forkIn(scope))

    // ---- one request, over the query plan -----------------------------------

    const queryPlan = (plan: Plan): Iterable<Host> => {
      if (plan.host !== undefined) return [plan.host]
      return lb.newQueryPlan({
        hosts: cluster.hosts(),
        localDc: cluster.localDc,
        keyspace: plan.keyspace,
        replicas: replicasOf(plan)
      })
    }

    /**
     * Token-aware routing: the replicas of a prepared statement's partition key; for a batch, of its
     * first prepared statement's (as the Python driver routes batches).
     */
    const replicasOf = (plan: Plan): ReadonlyArray<Host> | undefined => {
      let prepared = plan.prepared
      let values: ReadonlyArray<unknown> | undefined
      const request = plan.request
      if (plan.routingKey !== undefined) {
        const tokenMap = cluster.metadata.tokenMap()
        if (tokenMap === undefined || plan.keyspace === undefined || cluster.hosts().length <= 1) return undefined
        const key = plan.routingKey instanceof Uint8Array ? plan.routingKey : routingKey(plan.routingKey)
        return tokenMap.replicas(plan.keyspace, cluster.metadata.keyspace(plan.keyspace)?.replication, murmur3Token(key))
      }
      if (request._tag === "Execute") {
        values = request.params.values?.values
      } else if (request._tag === "Batch" && plan.batchPrepared !== undefined) {
        const i = plan.batchPrepared.findIndex((p) => p !== undefined)
        if (i < 0) return undefined
        prepared = plan.batchPrepared[i]
        values = request.statements[i]?.values?.values
      } else {
        return undefined
      }
      if (prepared === undefined || prepared.pkIndexes.length === 0 || values === undefined) return undefined
      // with one host there is nothing to choose
      if (cluster.hosts().length <= 1) return undefined
      const tokenMap = cluster.metadata.tokenMap()
      if (tokenMap === undefined) return undefined
      const ks = prepared.variables[0]?.keyspace ?? plan.keyspace
      if (ks === undefined) return undefined
      const components: Array<Uint8Array> = []
      for (const i of prepared.pkIndexes) {
        const r = serializeValue(prepared.variableTypes[i]!, values[i])
        if (Result.isFailure(r) || r.success === null) return undefined
        components.push(r.success)
      }
      const token = murmur3Token(routingKey(components))
      return tokenMap.replicas(ks, cluster.metadata.keyspace(ks)?.replication, token)
    }

    const run = (plan: Plan, retryPolicy: RetryPolicyShape): Effect.Effect<Answer, E.CassandraError> => {
      const iterator = queryPlan(plan)[Symbol.iterator]()
      const spec = plan.speculative
      if (spec === undefined || !plan.idempotent || spec.maxExecutions < 1 || plan.host !== undefined) {
        // the common case: the first host answers; the retry loop only runs after a failure
        const first = iterator.next()
        if (!first.done) {
          const host = first.value
          const conn = pools.get(host.endpoint)?.borrow()
          if (conn !== undefined) {
            return Effect.catch(
              Effect.map(conn.send(plan.request, plan), (frame) => new Answer(frame, host)),
              (error) => runExecution(plan, retryPolicy, iterator, {}, { host, conn, error })
            )
          }
          return runExecution(plan, retryPolicy, iterator, {}, { host, conn: undefined, error: undefined })
        }
        return runExecution(plan, retryPolicy, iterator, {}, undefined)
      }
      const errors: Record<string, unknown> = {}
      // speculative executions: each starts `delay` after the previous one, on the next host of the
      // same plan; the first success wins and the others are interrupted
      const delayOption = Duration.fromInput(spec.delay)
      if (Option.isNone(delayOption)) {
        return Effect.fail(new E.InvalidInput({ message: `speculativeExecution.delay: not a duration: ${String(spec.delay)}`, path: "options.speculativeExecution.delay", expected: "a Duration input" }))
      }
      const delay = delayOption.value
      const executions: Array<Effect.Effect<Answer, E.CassandraError>> = [
        runExecution(plan, retryPolicy, iterator, errors, undefined)
      ]
      for (let i = 1; i <= spec.maxExecutions; i++) {
        executions.push(Effect.delay(
          options.metrics === true
            ? Effect.andThen(Metric.update(Metrics.speculativeExecutions, 1), runExecution(plan, retryPolicy, iterator, errors, undefined))
            : Effect.suspend(() => runExecution(plan, retryPolicy, iterator, errors, undefined)),
          Duration.times(delay, i)
        ))
      }
      return Effect.raceAll(executions)
    }

    /**
     * The retry loop over the query plan. `started` is the first attempt when the fast path already
     * made it: its host, its connection (undefined when the host had none) and its error.
     */
    const runExecution = (
      plan: Plan,
      retryPolicy: RetryPolicyShape,
      iterator: Iterator<Host>,
      errors: Record<string, unknown>,
      started: { readonly host: Host; readonly conn: Connection | undefined; readonly error: E.RequestError | E.InvalidInput | undefined } | undefined
    ): Effect.Effect<Answer, E.CassandraError> =>
      Effect.gen(function*() {
        let retryCount = 0
        let request = plan.request
        let next: IteratorResult<Host> = started !== undefined ? { done: false, value: started.host } : iterator.next()
        let pending = started
        // statements re-prepared on a connection after UNPREPARED (each at most once per connection)
        let repreparedOn: Connection | undefined
        let repreparedIds: Array<Uint8Array> = []
        let retryStep: ((input: RetryContext) => Effect.Effect<unknown, unknown>) | undefined
        while (!next.done) {
          const host = next.value
          const conn = pending !== undefined ? pending.conn : pools.get(host.endpoint)?.borrow()
          if (conn === undefined) {
            pending = undefined
            errors[host.endpoint] = new E.ConnectionError({ message: "no open connection", host: host.endpoint })
            next = iterator.next()
            continue
          }
          let error: E.RequestError | E.InvalidInput
          if (pending !== undefined && pending.error !== undefined) {
            error = pending.error
            pending = undefined
          } else {
            pending = undefined
            const exit = yield* Effect.exit(conn.send(request, {
              columns: plan.prepared?.resultColumns.length ? plan.prepared.resultColumns : plan.columns,
              deadline: plan.deadline,
              tracing: plan.tracing,
              customPayload: plan.customPayload
            }))
            if (Exit.isSuccess(exit)) return new Answer(exit.value, host)
            const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
            if (failure === undefined || failure._tag !== "Fail") return yield* Effect.failCause(exit.cause)
            error = failure.error
          }
          if (error._tag === "InvalidInput") return yield* error
          // the session is shutting down: its connections are closing, no other host will do
          if (closing()) return yield* error
          if (error._tag === "OperationTimedOut" && clock.currentTimeMillisUnsafe() >= plan.deadline) {
            return yield* new E.OperationTimedOut({
              message: `no answer within ${plan.timeoutMillis} ms`,
              host: host.endpoint,
              timeoutMillis: plan.timeoutMillis
            })
          }
          // the host forgot the statement (restart, eviction, schema change): prepare it there and retry
          const forgotten = error._tag === "Unprepared"
            ? plan.prepared ?? plan.batchPrepared?.find((p) => p !== undefined && sameBytes(p.id, error.id))
            : undefined
          if (error._tag === "Unprepared" && forgotten !== undefined) {
            if (repreparedOn !== conn) {
              repreparedOn = conn
              repreparedIds = []
            }
            if (repreparedIds.some((id) => sameBytes(id, forgotten.id))) {
              errors[host.endpoint] = error
              next = iterator.next()
              continue
            }
            repreparedIds.push(forgotten.id)
            const re = yield* Effect.exit(prepareOn(conn, forgotten.query, forgotten.keyspace))
            if (Exit.isSuccess(re)) {
              const oldId = forgotten.id
              forgotten.id = re.value.id
              forgotten.resultMetadataId = re.value.resultMetadataId
              forgotten.resultColumns = re.value.resultColumns
              if (request._tag === "Execute") {
                request = { ...request, id: re.value.id, resultMetadataId: re.value.resultMetadataId }
              } else if (request._tag === "Batch") {
                request = {
                  ...request,
                  statements: request.statements.map((st) =>
                    st.kind === "prepared" && sameBytes(st.id, oldId) ? { ...st, id: re.value.id } : st
                  )
                }
              }
              continue
            }
            errors[host.endpoint] = error
            next = iterator.next()
            continue
          }
          errors[host.endpoint] = error
          if (error._tag === "ConnectionError" && error.sent === false) {
            // never written: the next host is safe whatever the statement (not a retry)
            next = iterator.next()
            continue
          }
          const retryContext = {
            error,
            retryCount,
            idempotent: plan.idempotent,
            consistency: request._tag === "Query" || request._tag === "Execute" || request._tag === "Batch"
              ? (request._tag === "Batch" ? request.consistency : request.params.consistency)
              : 0
          }
          const decision = retryPolicy.decide(retryContext)
          retryCount++
          if (retryPolicy.delay !== undefined && (decision._tag === "RetrySameHost" || decision._tag === "RetryNextHost")) {
            // the policy's Schedule: one step per retry; its end means no more retries
            if (retryStep === undefined) retryStep = yield* Schedule.toStepWithSleep(retryPolicy.delay)
            const stepped = yield* Effect.exit(retryStep(retryContext))
            if (Exit.isFailure(stepped)) return yield* error
          }
          switch (decision._tag) {
            case "Rethrow":
              return yield* error
            case "Ignore":
              return new Answer(emptyFrame(host), host)
            case "RetrySameHost":
              if (options.metrics === true) yield* Metric.update(Metrics.retries, 1)
              if (decision.consistency !== undefined) request = withConsistency(request, decision.consistency)
              continue
            case "RetryNextHost":
              if (options.metrics === true) yield* Metric.update(Metrics.retries, 1)
              if (decision.consistency !== undefined) request = withConsistency(request, decision.consistency)
              next = iterator.next()
              continue
          }
        }
        return yield* new E.NoHostAvailable({
          message: Object.keys(errors).length === 0
            ? "no host is up in the query plan"
            : `all hosts tried failed: ${Object.entries(errors).map(([h, e]) => `${h}: ${(e as { message?: string }).message}`).join("; ")}`,
          errors
        })
      })

    const prepareOn = (conn: Connection, query: string, ks: string | undefined) =>
      Effect.flatMap(
        conn.send(
          { _tag: "Prepare", query, keyspace: conn.version >= 5 ? ks : undefined },
          { deadline: clock.currentTimeMillisUnsafe() + DEFAULT_TIMEOUT }
        ),
        (frame) => toPrepared(frame, query, ks)
      )

    const toPrepared = (frame: ResponseFrame, query: string, ks: string | undefined): Effect.Effect<PreparedStatement, E.DriverError> => {
      const r = frame.response
      if (r._tag !== "Result" || r.result.kind !== "Prepared") {
        return Effect.fail(new E.DriverError({ message: `expected a Prepared result, got ${r._tag}` }))
      }
      const p = r.result
      return Effect.succeed(new PreparedStatement({
        query,
        keyspace: ks,
        id: p.id,
        resultMetadataId: p.resultMetadataId,
        variables: p.variables,
        pkIndexes: p.pkIndexes,
        resultColumns: p.resultMetadata.columns ?? []
      }))
    }

    // ---- public operations ---------------------------------------------------

    const prepare = (query: string, prepOptions?: { readonly keyspace?: string | undefined }): Effect.Effect<PreparedStatement, E.CassandraError> =>
      Effect.suspend(() => {
        const ks = prepOptions?.keyspace ?? keyspace
        const key = `${ks ?? ""}\u0000${query}`
        const cached = preparedCache.get(key)
        if (cached !== undefined) return cached
        const deadline = clock.currentTimeMillisUnsafe() + DEFAULT_TIMEOUT
        const work = Effect.gen(function*() {
          const { frame, host } = yield* run({
            request: { _tag: "Prepare", query, keyspace: cluster.protocolVersion >= 5 ? ks : undefined },
            columns: undefined,
            prepared: undefined,
            idempotent: true,
            deadline,
            timeoutMillis: DEFAULT_TIMEOUT,
            tracing: false,
            customPayload: undefined,
            host: undefined,
            keyspace: ks,
            speculative: undefined
          }, retryPolicyDefault)
          const prepared = yield* toPrepared(frame, query, ks)
          preparedStatements.set(key, prepared)
          if (prepareOnAll) {
            yield* Effect.forEach(
              [...pools.values()].filter((p) => p.host.endpoint !== host.endpoint),
              (p) => {
                const conn = p.borrow()
                return conn === undefined ? Effect.void : Effect.ignore(prepareOn(conn, query, ks))
              },
              { concurrency: "unbounded", discard: true }
            )
          }
          return prepared
        })
        const shared = Effect.cached(work)
        return Effect.flatMap(shared, (eff) => {
          preparedCache.set(key, eff)
          return Effect.tapError(eff, () => Effect.sync(() => preparedCache.delete(key)))
        })
      })

    const makePlan = (
      statement: string | PreparedStatement,
      params: Params | undefined,
      opts: ExecuteOptions<any>,
      pagingState: Uint8Array | undefined
    ): Plan | E.InvalidInput => {
      const timeoutMillis = timeoutMillisOf(opts.timeout, defaultTimeoutMillis, "options.timeout")
      if (typeof timeoutMillis !== "number") return timeoutMillis
      const consistency = consistencyCode(opts.consistency ?? defaults.consistency, Consistency.LOCAL_ONE, "options.consistency")
      if (typeof consistency !== "number") return consistency
      const serialConsistency = serialCode(opts.serialConsistency ?? defaults.serialConsistency, "options.serialConsistency")
      if (serialConsistency instanceof E.InvalidInput) return serialConsistency
      const now = clock.currentTimeMillisUnsafe()
      const tsOpt = opts.timestamp ?? defaults.timestamp
      const timestamp = tsOpt === false ? undefined : tsOpt ?? nextTimestamp(now)
      const version = cluster.protocolVersion
      const ks = opts.keyspace ?? defaults.keyspace
      const pageSize = opts.fetchSize ?? defaults.fetchSize ?? DEFAULT_FETCH
      let request: Request
      let prepared: PreparedStatement | undefined
      if (typeof statement === "string") {
        const queryParams: QueryParameters = {
          consistency,
          values: bindSimple(params),
          pageSize,
          pagingState,
          serialConsistency,
          timestamp,
          keyspace: version >= 5 ? ks : undefined
        }
        request = { _tag: "Query", query: statement, params: queryParams }
      } else {
        prepared = statement
        const bound = bindPrepared(statement, params)
        if (bound instanceof E.InvalidInput) return bound
        const queryParams: QueryParameters = {
          consistency,
          values: bound,
          skipMetadata: statement.resultColumns.length > 0,
          pageSize,
          pagingState,
          serialConsistency,
          timestamp
        }
        request = { _tag: "Execute", id: statement.id, resultMetadataId: statement.resultMetadataId, params: queryParams }
      }
      return {
        request,
        columns: prepared !== undefined && prepared.resultColumns.length > 0 ? prepared.resultColumns : undefined,
        prepared,
        idempotent: opts.idempotent ?? defaults.idempotent ?? false,
        deadline: now + timeoutMillis,
        timeoutMillis,
        tracing: opts.tracing ?? defaults.tracing ?? false,
        customPayload: opts.customPayload ?? defaults.customPayload,
        host: opts.host,
        keyspace: prepared?.keyspace ?? ks ?? keyspace,
        speculative: opts.speculativeExecution ?? defaults.speculativeExecution,
        routingKey: prepared === undefined ? opts.routingKey : undefined
      }
    }

    /**
     * One execution. The common case is a single Effect primitive: the request is encoded and
     * written from here, the answer is turned into a ResultSet in the socket callback, and the
     * waiting fiber resumes with it. A failure resumes it with the retry loop instead.
     */
    const executeRaw = <A>(
      statement: string | PreparedStatement,
      params: Params | undefined,
      opts: ExecuteOptions<A>,
      pagingState: Uint8Array | undefined
    ): Effect.Effect<ResultSet<A>, E.CassandraError> =>
      Effect.callback<ResultSet<A>, E.CassandraError>((resume) => {
        const plan = makePlan(statement, params, opts, pagingState)
        if (plan instanceof E.InvalidInput) return resume(Effect.fail(plan))
        const spec = plan.speculative
        if (spec !== undefined && plan.idempotent && spec.maxExecutions >= 1 && plan.host === undefined) {
          return resume(Effect.flatMap(run(plan, retryPolicyDefault), (a) => toResultSet(a.frame, a.host, plan, statement, params, opts)))
        }
        const iterator = queryPlan(plan)[Symbol.iterator]()
        const first = iterator.next()
        if (first.done) {
          return resume(Effect.flatMap(
            runExecution(plan, retryPolicyDefault, iterator, {}, undefined),
            (a) => toResultSet(a.frame, a.host, plan, statement, params, opts)
          ))
        }
        const host = first.value
        const conn = pools.get(host.endpoint)?.borrow()
        if (conn === undefined) {
          return resume(Effect.flatMap(
            runExecution(plan, retryPolicyDefault, iterator, {}, { host, conn: undefined, error: undefined }),
            (a) => toResultSet(a.frame, a.host, plan, statement, params, opts)
          ))
        }
        conn.sendWith(plan.request, new Execution(resume, plan, host, conn, iterator, statement, params, opts), plan.tracing, plan.customPayload)
      })

    /** Waits for the first attempt's answer on the connection (see `executeRaw`). */
    class Execution<A> implements ResponseHandler {
      readonly columns: ReadonlyArray<ColumnSpec> | undefined
      readonly deadline: number
      readonly resume: (effect: Effect.Effect<ResultSet<A>, E.CassandraError>) => void
      readonly plan: Plan
      readonly host: Host
      readonly conn: Connection
      readonly iterator: Iterator<Host>
      readonly statement: string | PreparedStatement
      readonly params: Params | undefined
      readonly opts: ExecuteOptions<A>
      constructor(
        resume: (effect: Effect.Effect<ResultSet<A>, E.CassandraError>) => void,
        plan: Plan,
        host: Host,
        conn: Connection,
        iterator: Iterator<Host>,
        statement: string | PreparedStatement,
        params: Params | undefined,
        opts: ExecuteOptions<A>
      ) {
        this.resume = resume
        this.plan = plan
        this.columns = plan.columns
        this.deadline = plan.deadline
        this.host = host
        this.conn = conn
        this.iterator = iterator
        this.statement = statement
        this.params = params
        this.opts = opts
      }
      onResponse(frame: ResponseFrame): void {
        this.resume(toResultSet(frame, this.host, this.plan, this.statement, this.params, this.opts))
      }
      onFailure(error: E.RequestError | E.InvalidInput): void {
        this.resume(Effect.flatMap(
          runExecution(this.plan, retryPolicyDefault, this.iterator, {}, { host: this.host, conn: this.conn, error }),
          (answer) => toResultSet(answer.frame, answer.host, this.plan, this.statement, this.params, this.opts)
        ))
      }
    }

    const toResultSet = <A>(
      frame: ResponseFrame,
      host: Host,
      plan: Plan,
      statement: string | PreparedStatement,
      params: Params | undefined,
      opts: ExecuteOptions<A>
    ): Effect.Effect<ResultSet<A>, E.CassandraError> => {
      const r = frame.response
      let rows: Array<Row> = []
      let columns: ReadonlyArray<ColumnSpec> = []
      let pagingState: Uint8Array | undefined
      let setKs: string | undefined
      let schemaChange: SchemaChange | undefined
      if (r._tag === "Result") {
        const result = r.result
        if (result.kind === "Rows") {
          rows = result.rows
          columns = result.columns
          pagingState = result.metadata.pagingState
          if (result.metadata.newMetadataId !== undefined && plan.prepared !== undefined && result.metadata.columns !== undefined) {
            plan.prepared.resultMetadataId = result.metadata.newMetadataId
            plan.prepared.resultColumns = result.metadata.columns
          }
        } else if (result.kind === "SetKeyspace") {
          setKs = result.keyspace
        } else if (result.kind === "SchemaChange") {
          schemaChange = result.change
        }
      }
      const schema = opts.schema ?? (defaults.schema as Schema.Decoder<A> | undefined)
      if (schema === undefined) {
        const rs = new ResultSetImpl<A>(internals, rows as unknown as ReadonlyArray<A>, columns, pagingState, frame, host, setKs, statement, params, opts)
        if (setKs !== undefined) return Effect.as(useKeyspace(setKs), rs)
        if (schemaChange !== undefined) return afterDdl(rs, schemaChange)
        return Effect.succeed(rs)
      }
      const decode = Schema.decodeUnknownEffect(schema as Schema.Decoder<A, never>)
      return Effect.flatMap(
        Effect.forEach(rows, (row) => Effect.mapError(decode(row), (cause) => new E.RowDecodeError({ message: cause.message, cause }))),
        (decoded) => {
          const rs = new ResultSetImpl<A>(internals, decoded, columns, pagingState, frame, host, setKs, statement, params, opts)
          if (setKs !== undefined) return Effect.as(useKeyspace(setKs), rs)
          if (schemaChange !== undefined) return afterDdl(rs, schemaChange)
          return Effect.succeed(rs)
        }
      )
    }

    const afterDdl = <A>(rs: ResultSetImpl<A>, change: SchemaChange): Effect.Effect<ResultSet<A>> =>
      Effect.map(afterSchemaChange(change, rs.host), (agreed) => {
        rs.schemaChange = change
        rs.schemaAgreed = agreed
        return rs
      })

    /** After DDL: wait until every host agrees on the schema, then re-read the changed keyspace (as the Python driver does). */
    const afterSchemaChange = (change: SchemaChange, host: Host): Effect.Effect<boolean> =>
      Effect.tap(
        // asked through the host that ran the DDL: it has the new schema, so agreement means every host has it
        cluster.waitForSchemaAgreementVia((cql) => {
          const conn = pools.get(host.endpoint)?.borrow()
          if (conn === undefined) return Effect.fail(new E.ConnectionError({ message: "no open connection", host: host.endpoint, sent: false }))
          return Effect.map(
            conn.send({ _tag: "Query", query: cql, params: { consistency: Consistency.ONE } }, { deadline: clock.currentTimeMillisUnsafe() + DEFAULT_TIMEOUT }),
            (frame) => frame.response._tag === "Result" && frame.response.result.kind === "Rows" ? frame.response.result.rows : []
          )
        }),
        () => cluster.options.schemaMetadataEnabled ? Effect.ignore(cluster.metadata.refreshKeyspace(change.keyspace)) : Effect.void
      )

    const useKeyspace = (ks: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (keyspace === ks) return Effect.void
        keyspace = ks
        const conns = [...pools.values()].flatMap((p) => p.connections).filter((c) => c.keyspace !== ks)
        return Effect.forEach(conns, (c) =>
          c.send({ _tag: "Query", query: `USE ${quoteIdentifier(ks)}`, params: { consistency: 1 } }, {
            deadline: clock.currentTimeMillisUnsafe() + DEFAULT_TIMEOUT
          }).pipe(Effect.tap(() => Effect.sync(() => { c.keyspace = ks })), Effect.ignore), { concurrency: "unbounded", discard: true })
      })

    const fetchTrace = (id: string, maxWait: Duration.Input | undefined): Effect.Effect<QueryTrace, E.CassandraError> =>
      Effect.gen(function*() {
        const waitMillis = timeoutMillisOf(maxWait, DEFAULT_TRACE_WAIT, "maxWait")
        if (typeof waitMillis !== "number") return yield* waitMillis
        const until = clock.currentTimeMillisUnsafe() + waitMillis
        for (;;) {
          const sessionsQuery = yield* prepare("SELECT * FROM system_traces.sessions WHERE session_id = ?")
          const session = yield* executeRaw<Row>(
            sessionsQuery,
            [id],
            { consistency: "ONE" },
            undefined
          )
          const row = session.rows[0] as Row | undefined
          if (row !== undefined && row["duration"] != null) {
            const eventsQuery = yield* prepare("SELECT * FROM system_traces.events WHERE session_id = ?")
            const events = yield* executeRaw<Row>(
              eventsQuery,
              [id],
              { consistency: "ONE" },
              undefined
            )
            return {
              sessionId: id,
              coordinator: row["coordinator"] == null ? undefined : String(row["coordinator"]),
              durationMicros: typeof row["duration"] === "number" ? row["duration"] : undefined,
              request: typeof row["request"] === "string" ? row["request"] : undefined,
              parameters: row["parameters"] instanceof Map ? row["parameters"] as Map<string, string> : undefined,
              startedAt: row["started_at"] instanceof Date ? row["started_at"] : undefined,
              events: events.rows.map((e: Row) => ({
                activity: String(e["activity"] ?? ""),
                source: e["source"] == null ? undefined : String(e["source"]),
                sourceElapsedMicros: typeof e["source_elapsed"] === "number" ? e["source_elapsed"] : undefined,
                thread: typeof e["thread"] === "string" ? e["thread"] : undefined
              }))
            }
          }
          if (clock.currentTimeMillisUnsafe() + 100 > until) break
          yield* Effect.sleep("100 millis")
        }
        return yield* new E.TraceUnavailable({ message: `trace ${id} was not complete in system_traces after ${waitMillis} ms`, sessionId: id })
      })

    const internals: SessionInternals = { executeRaw, fetchTrace }

    const executeImpl = <A = Row>(
      statementOrObject: Statement,
      paramsArg?: Params,
      optsArg?: ExecuteOptions<A>
    ): Effect.Effect<ResultSet<A>, E.CassandraError> => {
      let statement: string | PreparedStatement
      let params = paramsArg
      let opts = optsArg
      if (typeof statementOrObject === "string" || statementOrObject._tag === "PreparedStatement") {
        statement = statementOrObject
      } else {
        // a statement object: its own values and options, overridden by the call's
        statement = statementOrObject._tag === "SimpleStatement" ? statementOrObject.query : statementOrObject.prepared
        params = paramsArg ?? statementOrObject.params
        opts = statementOrObject.options === undefined ? optsArg : { ...statementOrObject.options, ...optsArg }
      }
      const o = opts ?? (defaults as ExecuteOptions<A>)
      if (typeof statement === "string" && (o.prepare ?? defaults.prepare)) {
        return Effect.flatMap(prepare(statement, { keyspace: o.keyspace }), (p) => executeRaw(p, params, o, o.pagingState))
      }
      return executeRaw(statement, params, o, o.pagingState)
    }

    const streamImpl = <A = Row>(
      statement: Statement,
      params?: Params,
      opts?: ExecuteOptions<A>
    ): Stream.Stream<A, E.CassandraError> =>
      // the state is the next page's request only: a page's rows are not kept while the next is fetched
      Stream.paginate(
        undefined as Effect.Effect<ResultSet<A>, E.CassandraError> | undefined,
        (next): Effect.Effect<
          readonly [ReadonlyArray<A>, Option.Option<Effect.Effect<ResultSet<A>, E.CassandraError> | undefined>],
          E.CassandraError
        > =>
          Effect.map(
            next ?? executeImpl(statement, params, opts),
            (rs) => [rs.rows, rs.hasMorePages ? Option.some(rs.nextPage) : Option.none()] as const
          )
      )

    const batchImpl = (entries: ReadonlyArray<BatchEntry>, opts: BatchOptions = {}): Effect.Effect<ResultSet, E.CassandraError> =>
      Effect.gen(function*() {
        const statements: Array<
          | { readonly kind: "query"; readonly query: string; readonly values?: BoundValues | undefined }
          | { readonly kind: "prepared"; readonly id: Uint8Array; readonly values?: BoundValues | undefined }
        > = []
        const batchPrepared: Array<PreparedStatement | undefined> = []
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i]!
          if (typeof entry.query === "string") {
            statements.push({ kind: "query", query: entry.query, values: bindSimple(entry.params) })
            batchPrepared.push(undefined)
          } else {
            const bound = bindPrepared(entry.query, entry.params)
            if (bound instanceof E.InvalidInput) {
              return yield* new E.InvalidInput({ message: `batch statement ${i}: ${bound.message}`, ...(bound.path ? { path: `statements[${i}].${bound.path}` } : {}) })
            }
            statements.push({ kind: "prepared", id: entry.query.id, values: bound })
            batchPrepared.push(entry.query)
          }
        }
        // the session's defaults apply to batches as to single statements
        const timeoutMillis = timeoutMillisOf(opts.timeout, defaultTimeoutMillis, "options.timeout")
        if (typeof timeoutMillis !== "number") return yield* timeoutMillis
        const consistency = consistencyCode(opts.consistency ?? defaults.consistency, Consistency.LOCAL_ONE, "options.consistency")
        if (typeof consistency !== "number") return yield* consistency
        const serialConsistency = serialCode(opts.serialConsistency ?? defaults.serialConsistency, "options.serialConsistency")
        if (serialConsistency instanceof E.InvalidInput) return yield* serialConsistency
        if (opts.type !== undefined && opts.type !== "logged" && opts.type !== "unlogged" && opts.type !== "counter") {
          return yield* new E.InvalidInput({ message: `options.type: unknown batch type ${JSON.stringify(opts.type)}`, path: "options.type", expected: "logged, unlogged or counter" })
        }
        const now = clock.currentTimeMillisUnsafe()
        const tsOpt = opts.timestamp ?? defaults.timestamp
        const ks = opts.keyspace ?? defaults.keyspace
        const plan: Plan = {
          request: {
            _tag: "Batch",
            batchType: opts.type === "unlogged" ? 1 : opts.type === "counter" ? 2 : 0,
            statements,
            consistency,
            serialConsistency,
            timestamp: tsOpt === false ? undefined : tsOpt ?? nextTimestamp(now),
            keyspace: cluster.protocolVersion >= 5 ? ks : undefined
          },
          columns: undefined,
          prepared: undefined,
          idempotent: opts.idempotent ?? defaults.idempotent ?? false,
          deadline: now + timeoutMillis,
          timeoutMillis,
          tracing: opts.tracing ?? defaults.tracing ?? false,
          customPayload: opts.customPayload ?? defaults.customPayload,
          host: opts.host,
          keyspace,
          speculative: opts.speculativeExecution ?? defaults.speculativeExecution,
          batchPrepared
        }
        const { frame, host } = yield* run(plan, retryPolicyDefault)
        return yield* toResultSet<Row>(frame, host, plan, "", undefined, {})
      })

    const metricsState = { inFlight: 0 }
    const withMetrics = options.metrics === true
    const withSpans = options.spans === true
    /** Opt-in observability around a request: a client span (OpenTelemetry database conventions) and metrics. */
    const observe = <A>(
      effect: Effect.Effect<A, E.CassandraError>,
      operation: string,
      query: string | undefined
    ): Effect.Effect<A, E.CassandraError> => {
      let out = withMetrics ? Metrics.track(effect, metricsState) : effect
      if (withSpans) {
        out = Effect.withSpan(out, `cassandra.${operation}`, {
          kind: "client",
          attributes: {
            "db.system.name": "cassandra",
            "db.operation.name": operation,
            ...(query === undefined ? {} : { "db.query.text": query }),
            ...(keyspace === undefined ? {} : { "db.namespace": keyspace })
          }
        })
      }
      return out
    }
    const queryText = (statement: Statement): string =>
      typeof statement === "string"
        ? statement
        : statement._tag === "PreparedStatement"
        ? statement.query
        : statement._tag === "SimpleStatement"
        ? statement.query
        : statement.prepared.query
    const observed = withMetrics || withSpans
    return {
      execute: observed
        ? <A = Row>(statement: Statement, params?: Params, opts?: ExecuteOptions<A>) =>
          observe(executeImpl(statement, params, opts), "execute", queryText(statement))
        : executeImpl,
      prepare: withSpans ? (query, prepOptions) => observe(prepare(query, prepOptions), "prepare", query) : prepare,
      stream: streamImpl,
      batch: observed ? (entries, opts) => observe(batchImpl(entries, opts), "batch", undefined) : batchImpl,
      keyspace: () => keyspace,
      cluster
    } satisfies SessionShape
  })

/** A successful attempt: the answer and the host that gave it. */
class Answer {
  readonly frame: ResponseFrame
  readonly host: Host
  constructor(frame: ResponseFrame, host: Host) {
    this.frame = frame
    this.host = host
  }
}

interface SessionInternals {
  readonly executeRaw: <A>(
    statement: string | PreparedStatement,
    params: Params | undefined,
    opts: ExecuteOptions<A>,
    pagingState: Uint8Array | undefined
  ) => Effect.Effect<ResultSet<A>, E.CassandraError>
  readonly fetchTrace: (id: string, maxWait: Duration.Input | undefined) => Effect.Effect<QueryTrace, E.CassandraError>
}

/** The ResultSet: plain fields, with `nextPage` and `trace` built only when asked for. */
class ResultSetImpl<A> implements ResultSet<A> {
  readonly rows: ReadonlyArray<A>
  readonly columns: ReadonlyArray<ColumnSpec>
  readonly pagingState: Uint8Array | undefined
  readonly host: Host
  readonly setKeyspace: string | undefined
  readonly warnings: ReadonlyArray<string>
  readonly tracingId: string | undefined
  readonly customPayload: ReadonlyMap<string, Uint8Array | null> | undefined
  schemaChange: SchemaChange | undefined = undefined
  schemaAgreed: boolean | undefined = undefined
  private readonly internals: SessionInternals
  private readonly statement: string | PreparedStatement
  private readonly params: Params | undefined
  private readonly opts: ExecuteOptions<A>

  constructor(
    internals: SessionInternals,
    rows: ReadonlyArray<A>,
    columns: ReadonlyArray<ColumnSpec>,
    pagingState: Uint8Array | undefined,
    frame: ResponseFrame,
    host: Host,
    setKeyspace: string | undefined,
    statement: string | PreparedStatement,
    params: Params | undefined,
    opts: ExecuteOptions<A>
  ) {
    this.internals = internals
    this.rows = rows
    this.columns = columns
    this.pagingState = pagingState
    this.host = host
    this.setKeyspace = setKeyspace
    this.warnings = frame.warnings ?? emptyWarnings
    this.tracingId = frame.tracingId
    this.customPayload = frame.customPayload
    this.statement = statement
    this.params = params
    this.opts = opts
  }

  get hasMorePages(): boolean {
    return this.pagingState !== undefined
  }

  get wasApplied(): boolean {
    const c = this.columns
    if (this.rows.length === 0 || c.length === 0 || c[0]!.name !== "[applied]") return true
    return (this.rows[0] as Record<string, unknown>)["[applied]"] === true
  }

  get nextPage(): Effect.Effect<ResultSet<A>, E.CassandraError> {
    return this.pagingState === undefined
      ? Effect.fail(new E.InvalidInput({ message: "there is no next page" }))
      : this.internals.executeRaw(this.statement, this.params, this.opts, this.pagingState)
  }

  get trace(): Effect.Effect<QueryTrace, E.CassandraError> {
    return this.traceWith()
  }

  traceWith(options?: { readonly maxWait?: Duration.Input | undefined }): Effect.Effect<QueryTrace, E.CassandraError> {
    return this.tracingId === undefined
      ? Effect.fail(new E.InvalidInput({ message: "the request was not traced (use tracing: true)" }))
      : this.internals.fetchTrace(this.tracingId, options?.maxWait)
  }
}

const withConsistency = (request: Request, consistency: number): Request => {
  switch (request._tag) {
    case "Query":
    case "Execute":
      return { ...request, params: { ...request.params, consistency } }
    case "Batch":
      return { ...request, consistency }
    default:
      return request
  }
}

const emptyFrame = (host: Host): ResponseFrame => ({
  version: 4,
  flags: 0,
  stream: 0,
  opcode: 0x08,
  tracingId: undefined,
  warnings: [`error ignored by the retry policy on ${host.endpoint}`],
  customPayload: undefined,
  response: { _tag: "Result", result: { kind: "Void" } }
})

/** A Session layer on top of a Cluster layer. */
export const layer = (options: SessionOptions = {}): Layer.Layer<Session, E.CassandraError, Cluster> =>
  Layer.effect(Session, make(options))
