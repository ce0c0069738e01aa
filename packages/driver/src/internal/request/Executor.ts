/**
 * The executor: a session's request path, from the public operations down to one execution.
 *
 *   execute / batch / prepare / stream
 *     -> options resolved once (`options.ts`)
 *     -> a plan (`plan.ts`), made when the Effect runs
 *     -> the query plan (`routing/queryPlan.ts`)
 *     -> one `RequestExecution`, or a speculative race of several (`speculative.ts`)
 *     -> the result (`result.ts`: a ResultSet, its `USE` / DDL side effects) or a PreparedStatement.
 *
 * The executor is also what executions, results and ResultSets call back: `ExecutionContext`
 * (connections, retry policy, clock), `Pager` (next pages, traces) and `ResultEffects`.
 *
 * It does not keep connections (the pool manager does) nor the cluster's state.
 *
 * @since 0.1.0
 * @internal
 */
import type { ResponseFrame, Row, SchemaChange } from "@effect-cassandra/protocol"
import type * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ClusterShape } from "../../Cluster.ts"
import * as E from "../../Errors.ts"
import type { Host } from "../../Host.ts"
import type { LoadBalancingPolicyShape } from "../../policies/LoadBalancing.ts"
import type { RetryPolicyShape } from "../../policies/Retry.ts"
import type { Throttler } from "../../policies/Throttling.ts"
import { monotonic } from "../../policies/Timestamps.ts"
import type { QueryTrace, ResultSet } from "../../ResultSet.ts"
import type { BatchEntry, BatchOptions, ExecuteOptions, Params, PreparedStatement, Statement } from "../../Statement.ts"
import type { ClusterInternals } from "../cluster/internals.ts"
import type { Connection } from "../connection/Connection.ts"
import type { Instruments } from "../observability/instrument.ts"
import { fetchTrace, type TraceQueries } from "../observability/queryTrace.ts"
import type { PoolManager } from "../pool/PoolManager.ts"
import type { RequestQueue } from "../pool/RequestQueue.ts"
import { PreparedCache, type PreparedOn, toPrepared } from "../prepare/PreparedCache.ts"
import { queryPlan } from "../routing/queryPlan.ts"
import { mergeStatementOptions, prepareOptions, type RequestDefaults, type ResolvedRequest } from "./options.ts"
import { type PlanContext, planBatch, planExecute, planPrepare, type RequestPlan } from "./plan.ts"
import { RequestExecution, type ExecutionContext, type Resume } from "./RequestExecution.ts"
import { buildResultSet, type Pager, type ResultEffects } from "./result.ts"
import { afterSchemaChange } from "./sideEffects.ts"
import { speculate } from "./speculative.ts"

/**
 * A session's request path.
 *
 * @since 0.1.0
 */
export class Executor implements ExecutionContext, Pager, ResultEffects {
  readonly retryPolicy: RetryPolicyShape
  readonly instruments: Instruments
  readonly prepared: PreparedCache
  private readonly cluster: ClusterShape
  private readonly internals: ClusterInternals
  private readonly pools: PoolManager
  private readonly defaults: RequestDefaults
  private readonly lb: LoadBalancingPolicyShape
  private readonly clock: Clock.Clock
  private readonly scope: Scope.Scope
  private readonly planContext: PlanContext
  private readonly traceQueries: TraceQueries
  /** The session's throttler: every page and batch runs through it. */
  private readonly throttler: Throttler | undefined

  constructor(args: {
    readonly cluster: ClusterShape
    readonly internals: ClusterInternals
    readonly pools: PoolManager
    readonly defaults: RequestDefaults
    readonly retryPolicy: RetryPolicyShape
    readonly clock: Clock.Clock
    readonly scope: Scope.Scope
    readonly instruments: Instruments
    readonly prepareOnAllHosts: boolean
    readonly reprepareOnUp: boolean
    readonly maxPrepared?: number | undefined
    readonly throttler?: Throttler | undefined
  }) {
    this.throttler = args.throttler
    this.cluster = args.cluster
    this.internals = args.internals
    this.pools = args.pools
    this.defaults = args.defaults
    this.retryPolicy = args.retryPolicy
    this.lb = args.cluster.loadBalancing
    this.clock = args.clock
    this.scope = args.scope
    this.instruments = args.instruments
    const cluster = args.cluster
    const pools = args.pools
    this.planContext = {
      now: () => args.clock.currentTimeMillisUnsafe(),
      protocolVersion: () => cluster.protocolVersion,
      sessionKeyspace: () => pools.keyspace,
      timestamps: monotonic()
    }
    this.prepared = new PreparedCache({
      pools,
      prepareOnAllHosts: args.prepareOnAllHosts,
      reprepareOnUp: args.reprepareOnUp,
      maxPrepared: args.maxPrepared,
      runPrepare: (query, keyspace) => this.runPrepare(query, keyspace)
    })
    const atOne = this.defaults.resolve({ consistency: "ONE" }) as ResolvedRequest
    this.traceQueries = {
      prepare: (query) => this.prepare(query, undefined),
      executeAtOne: (statement, params) => this.executePage<Row>(statement, params, atOne, undefined)
    }
  }

  // ---- the public operations -------------------------------------------------------

  /** `Session.execute`: a statement (string, prepared, or a statement object) and its values. */
  execute<A>(statement: Statement, params: Params | undefined, call: ExecuteOptions<A> | undefined): Effect.Effect<ResultSet<A>, E.CassandraError> {
    let target: string | PreparedStatement
    let values = params
    let options = call
    if (typeof statement === "string" || statement._tag === "PreparedStatement") {
      target = statement
    } else {
      // a statement object: its own values and options, overridden by the call's
      target = statement._tag === "SimpleStatement" ? statement.query : statement.prepared
      values = params ?? statement.params
      options = mergeStatementOptions(statement.options, call)
    }
    const resolved = this.defaults.resolve(options)
    if (resolved instanceof E.InvalidInput) return Effect.fail(resolved)
    if (typeof target === "string" && resolved.prepare) {
      return Effect.flatMap(this.prepare(target, resolved.keyspace), (p) => this.executePage<A>(p, values, resolved, resolved.pagingState))
    }
    return this.executePage<A>(target, values, resolved, resolved.pagingState)
  }

  /** `Session.stream`: every row of every page, a page fetched as the consumer pulls. */
  stream<A>(statement: Statement, params: Params | undefined, call: ExecuteOptions<A> | undefined): Stream.Stream<A, E.CassandraError> {
    // the state is the next page's request only: a page's rows are not kept while the next is fetched
    return Stream.paginate(
      undefined as Effect.Effect<ResultSet<A>, E.CassandraError> | undefined,
      (next): Effect.Effect<
        readonly [ReadonlyArray<A>, Option.Option<Effect.Effect<ResultSet<A>, E.CassandraError> | undefined>],
        E.CassandraError
      > =>
        Effect.map(
          next ?? this.execute(statement, params, call),
          (rs) => [rs.rows, rs.hasMorePages ? Option.some(rs.nextPage) : Option.none()] as const
        )
    )
  }

  /** `Session.batch`. */
  batch(entries: ReadonlyArray<BatchEntry>, call: BatchOptions | undefined): Effect.Effect<ResultSet, E.CassandraError> {
    const resolved = this.defaults.resolve(call)
    if (resolved instanceof E.InvalidInput) return Effect.fail(resolved)
    const run = Effect.callback<ResultSet, E.CassandraError>((resume) => {
      const plan = planBatch(this.planContext, entries, resolved)
      if (plan instanceof E.InvalidInput) return resume(Effect.fail(plan))
      return this.runPlan(plan, resume as Resume)
    })
    return this.throttler === undefined ? run : this.throttler.run(run)
  }

  /** `Session.prepare`: cached per keyspace and query. */
  prepare(query: string, keyspace: string | undefined): Effect.Effect<PreparedStatement, E.CassandraError> {
    return this.prepared.prepare(query, keyspace)
  }

  // ---- one page, one plan -----------------------------------------------------------

  /**
   * One page of an execution. The common case is a single Effect primitive: the plan is made and the
   * request written from the callback's registration, and the answer resumes the fiber with its
   * ResultSet from the socket callback.
   */
  private executePage<A>(
    statement: string | PreparedStatement,
    params: Params | undefined,
    options: ResolvedRequest,
    pagingState: Uint8Array | undefined
  ): Effect.Effect<ResultSet<A>, E.CassandraError> {
    const page = Effect.callback<ResultSet<A>, E.CassandraError>((resume) => {
      const plan = planExecute(this.planContext, statement, params, options, pagingState)
      if (plan instanceof E.InvalidInput) return resume(Effect.fail(plan))
      return this.runPlan(plan, resume as Resume)
    })
    return this.throttler === undefined ? page : this.throttler.run(page)
  }

  /** The first PREPARE of a statement, over the query plan. */
  private runPrepare(query: string, keyspace: string | undefined): Effect.Effect<PreparedOn, E.CassandraError> {
    return Effect.callback<PreparedOn, E.CassandraError>((resume) => {
      return this.runPlan(planPrepare(this.planContext, query, keyspace, prepareOptions), resume as Resume)
    })
  }

  /** Runs a plan: one execution, or speculative ones when the request allows them (returns the execution's canceler while it waits in a host's queue). */
  private runPlan(plan: RequestPlan, resume: Resume): Effect.Effect<void> | undefined {
    const hosts = queryPlan(plan, this.lb, this.cluster)[Symbol.iterator]()
    const spec = plan.options.speculative
    if (spec !== undefined && plan.options.idempotent && spec.maxExecutions >= 1 && plan.options.host === undefined) {
      resume(speculate(this, plan, hosts, spec))
      return undefined
    }
    return new RequestExecution(this, plan, hosts, undefined).start(resume)
  }

  // ---- ExecutionContext -------------------------------------------------------------

  borrow(host: Host): Connection | undefined {
    return this.pools.borrow(host)
  }

  waitQueue(host: Host): RequestQueue | undefined {
    return this.pools.waitQueue(host)
  }

  now(): number {
    return this.clock.currentTimeMillisUnsafe()
  }

  closing(): boolean {
    return this.scope.state._tag === "Closed"
  }

  complete(plan: RequestPlan, frame: ResponseFrame, host: Host): Effect.Effect<unknown, E.CassandraError> {
    if (plan.kind !== "prepare") return buildResultSet(frame, host, plan, this, this)
    return Effect.map(toPrepared(frame, plan.statement as string, plan.keyspace), (prepared): PreparedOn => ({ prepared, host }))
  }

  // ---- Pager --------------------------------------------------------------------------

  nextPage<A>(plan: RequestPlan, pagingState: Uint8Array): Effect.Effect<ResultSet<A>, E.CassandraError> {
    return this.executePage<A>(plan.statement, plan.params, plan.options, pagingState)
  }

  fetchTrace(id: string, maxWait: Duration.Input | undefined): Effect.Effect<QueryTrace, E.CassandraError> {
    return fetchTrace(this.traceQueries, id, maxWait)
  }

  // ---- ResultEffects ------------------------------------------------------------------

  useKeyspace(keyspace: string): Effect.Effect<void> {
    return this.pools.useKeyspace(keyspace)
  }

  afterSchemaChange(change: SchemaChange, host: Host): Effect.Effect<boolean> {
    return afterSchemaChange(this.cluster, this.internals, this.pools, change, host)
  }
}
