/**
 * The executor: a session's request path, from the public operations down to one execution.
 *
 *   execute / batch / prepare / stream
 *     -> options resolved once, when the Effect runs (`options.ts`: call, statement, profile, session)
 *     -> the request's span and metrics when something observes it (`observability/instrument.ts`)
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
import type { ResponseFrame, Row, SchemaChange } from "@effect-cassandra/protocol/Messages"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Pull from "effect/Pull"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ClusterShape } from "../../Cluster.ts"
import * as E from "../../Errors.ts"
import type { Host } from "../../Host.ts"
import type { LoadBalancingPolicyShape } from "../../policies/LoadBalancing.ts"
import type { RetryPolicyShape } from "../../policies/Retry.ts"
import type { Throttler } from "../../policies/Throttling.ts"
import { monotonic } from "../../policies/Timestamps.ts"
import type { QueryTrace, ResultSet, TraceOptions } from "../../ResultSet.ts"
import type { BatchEntry, BatchOptions, ExecuteOptions, Params, PreparedStatement, Statement } from "../../Statement.ts"
import type { ClusterInternals } from "../cluster/internals.ts"
import type { Connection } from "../connection/Connection.ts"
import type { UserTypeRegistry } from "../metadata/userTypes.ts"
import type { Instruments, Observation } from "../observability/instrument.ts"
import { fetchTrace, type TraceQueries } from "../observability/queryTrace.ts"
import type { PoolManager } from "../pool/PoolManager.ts"
import type { RequestQueue } from "../pool/RequestQueue.ts"
import { PreparedCache, type PreparedOn, toPrepared } from "../prepare/PreparedCache.ts"
import { queryPlan } from "../routing/queryPlan.ts"
import { CurrentProfile } from "../../ExecutionProfile.ts"
import { mergeStatementOptions, prepareOptions, type RequestDefaults, type ResolvedRequest } from "./options.ts"
import { batchEntry, type PlanContext, planBatch, planExecute, planPrepare, type RequestPlan, unsupportedKeyspace } from "./plan.ts"
import { RequestExecution, type ExecutionContext, type Resume } from "./RequestExecution.ts"
import { buildResultSet, type Pager, pageRows, type ResultEffects } from "./result.ts"
import { afterSchemaChange } from "./sideEffects.ts"
import { speculate } from "./speculative.ts"

/** Whether values are bound (a non-empty array, or an object with a key), without allocating. */
const hasValues = (params: Params | undefined): boolean => {
  if (params === undefined || params === null) return false
  if (Array.isArray(params)) return params.length > 0
  for (const _ in params) return true
  return false
}

type CustomPayload = ReadonlyMap<string, Uint8Array | null>

/**
 * Rows a stream decodes per pull. Small, so that what a slow consumer keeps alive across the young
 * generation's collections stays small: V8 grows its young generation (up to 2 x 64 MiB in Node 24) with
 * the bytes that survive them, and a whole 5000-row page decoded at once survived every one.
 */
const STREAM_CHUNK_ROWS = 64

/**
 * A session's request path.
 *
 * @since 0.1.0
 */
export class Executor implements ExecutionContext, Pager, ResultEffects {
  readonly retryPolicy: RetryPolicyShape
  readonly instruments: Instruments
  readonly latencyObserver: LoadBalancingPolicyShape | undefined
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
  /** The context of the last request's fiber and the profile scoped in it (`scopedProfile`). */
  private lastContext: Context.Context<never> | undefined = undefined
  private lastProfile: string | undefined = undefined

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
    this.latencyObserver = this.lb.onRequestComplete !== undefined ? this.lb : undefined
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
      runPrepare: (query, keyspace, customPayload) => this.runPrepare(query, keyspace, customPayload)
    })
    const atOne = this.defaults.resolve({ consistency: "ONE" }, undefined) as ResolvedRequest
    this.traceQueries = {
      prepare: (query) => this.prepare(query, undefined),
      executeAt: (statement, params, consistency) => {
        const options = consistency === undefined ? atOne : this.defaults.resolve({ consistency }, undefined)
        if (options instanceof E.InvalidInput) return Effect.fail(options)
        return this.executePage<Row>(statement, params, options, undefined)
      }
    }
  }

  // ---- the public operations -------------------------------------------------------

  /**
   * `Session.execute`: a statement (string, prepared, or a statement object) and its values. The
   * options are resolved when the Effect runs, inside its one callback: the profile that
   * `ExecutionProfile.with` scopes is the running fiber's. A request that nothing observes and no
   * throttler holds is planned and sent from that callback's registration (one primitive per
   * request); anything else continues there with its own Effect.
   */
  execute<A>(
    statement: Statement,
    params: Params | undefined,
    call: ExecuteOptions<A> | undefined,
    lazyRows = false
  ): Effect.Effect<ResultSet<A>, E.CassandraError> {
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
    // one primitive: resolved when the Effect runs (the scoped profile is the running fiber's), and the
    // plain request (nothing observes it, no throttler) planned and sent from the same callback
    return Effect.callback<ResultSet<A>, E.CassandraError>((resume) => this.start<A>(target, values, options, lazyRows, resume))
  }

  /** The start of `execute`, in its callback on the running fiber. Returns the canceler of a request waiting in a host's queue. */
  private start<A>(
    target: string | PreparedStatement,
    values: Params | undefined,
    options: ExecuteOptions<A> | undefined,
    lazyRows: boolean,
    resume: (effect: Effect.Effect<ResultSet<A>, E.CassandraError>) => void
  ): Effect.Effect<void> | undefined {
    const fiber = Fiber.getCurrent()!
    const made = this.defaults.resolve(options, this.scopedProfile(fiber))
    if (made instanceof E.InvalidInput) {
      resume(Effect.fail(made))
      return undefined
    }
    // a stream's pages (this one and those after it, which share its options) keep their rows' bytes to decode as they are pulled
    const resolved: ResolvedRequest = lazyRows ? { ...made, lazyRows } : made
    // values of a simple statement go prepared: only the server knows the columns' types (see `preparedThen`)
    if (typeof target === "string" && (resolved.prepare || hasValues(values))) {
      resume(this.preparedThen<A>(target, values, resolved))
      return undefined
    }
    const ins = this.instruments
    if (this.throttler !== undefined || (ins.enabled && ins.wants(fiber))) {
      resume(this.pageIn<A>(fiber, target, values, resolved, resolved.pagingState, undefined))
      return undefined
    }
    return this.startPage(target, values, resolved, resolved.pagingState, undefined, undefined, resume as Resume)
  }

  /**
   * The profile `ExecutionProfile.with` scopes over `fiber`. Looked up again only when the fiber's
   * context is another than the last request's: the fibers of one program share their context, and a
   * lookup that misses (no profile scoped) walks it.
   */
  private scopedProfile(fiber: Fiber.Fiber<unknown, unknown>): string | undefined {
    const context = fiber.context
    if (context !== this.lastContext) {
      this.lastContext = context
      this.lastProfile = fiber.getRef(CurrentProfile)
    }
    return this.lastProfile
  }

  /**
   * A string statement executed prepared (cached per keyspace and text). Values bound to a simple
   * statement always take this path: sent unprepared, their CQL types would be guessed from the JS
   * values, and the server accepts any 8 bytes for an 8-byte column (`Date.now()` as a double stored in
   * a `bigint` became 4789921745707466752), so only the prepared statement's types encode them right,
   * or refuse them with `InvalidInput`. The PREPARE counts against the request's timeout.
   */
  private preparedThen<A>(query: string, values: Params | undefined, options: ResolvedRequest): Effect.Effect<ResultSet<A>, E.CassandraError> {
    const ready = this.prepared.peek(query, options.keyspace)
    if (ready !== undefined) return this.executePage<A>(ready, values, options, options.pagingState)
    return Effect.suspend(() => {
      const deadline = this.now() + options.timeoutMillis
      const prepare = Effect.timeoutOrElse(this.prepare(query, options.keyspace, options.customPayload), {
        duration: options.timeoutMillis,
        orElse: () => Effect.fail(new E.OperationTimedOut({ message: `no answer within ${options.timeoutMillis} ms (preparing the statement)`, timeoutMillis: options.timeoutMillis }))
      })
      return Effect.flatMap(prepare, (p) => this.executePage<A>(p, values, options, options.pagingState, deadline))
    })
  }

  /**
   * `Session.stream`: every row of every page, the next page fetched when the consumer pulls past the
   * last row of this one (never ahead of it). A page's rows are decoded as they are pulled, at most
   * `STREAM_CHUNK_ROWS` at a time, from the page's bytes: a slow consumer holds one page of bytes and the
   * rows it is working on, not every row of the page (see `RowCursor`).
   */
  stream<A>(statement: Statement, params: Params | undefined, call: ExecuteOptions<A> | undefined): Stream.Stream<A, E.CassandraError> {
    return Stream.fromPull(Effect.sync(() => {
      // the state: the current page and the next page's request; rows already pulled are not kept
      let page: ResultSet<A> | undefined
      let next: Effect.Effect<ResultSet<A>, E.CassandraError> | undefined = this.execute(statement, params, call, true)
      const onPage = (rs: ResultSet<A>) => {
        page = rs
        next = rs.hasMorePages ? rs.nextPage : undefined
        // a page decoded on arrival (its rows were there before any pull) goes out whole
        return rs.rows.length > 0 ? Effect.succeed(rs.rows as NonEmptyReadonlyArray<A>) : pull
      }
      const pull: Pull.Pull<NonEmptyReadonlyArray<A>, E.CassandraError> = Effect.suspend(() => {
        const rows = page === undefined ? undefined : pageRows(page, STREAM_CHUNK_ROWS)
        if (rows !== undefined) return Effect.flatMap(rows, (a) => (a.length > 0 ? Effect.succeed(a as NonEmptyReadonlyArray<A>) : pull))
        page = undefined
        if (next === undefined) return Cause.done()
        return Effect.flatMap(next, onPage)
      })
      return pull
    }))
  }

  /** `Session.batch`. */
  batch(entries: ReadonlyArray<BatchEntry>, call: BatchOptions | undefined): Effect.Effect<ResultSet, E.CassandraError> {
    if (!Array.isArray(entries)) return Effect.fail(new E.InvalidInput({ message: "a batch takes an array of statements", path: "statements" }))
    return Effect.withFiber((fiber) => {
      const resolved = this.defaults.resolve(call, this.scopedProfile(fiber))
      if (resolved instanceof E.InvalidInput) return Effect.fail(resolved)
      if (!this.instruments.enabled) return this.batchPrepared(entries, resolved, undefined)
      return this.instruments.observe({ kind: "batch", entries }, resolved, (obs) => this.batchPrepared(entries, resolved, obs))
    })
  }

  /** A batch whose query strings with values go prepared first, as in `execute` (their PREPAREs count against the timeout). */
  private batchPrepared(entries: ReadonlyArray<BatchEntry>, resolved: ResolvedRequest, obs: Observation | undefined): Effect.Effect<ResultSet, E.CassandraError> {
    const withValues = (e: BatchEntry, i: number) => {
      const entry = batchEntry(e, i)
      return entry instanceof E.InvalidInput || typeof entry.query !== "string" || !hasValues(entry.params) ? undefined : entry
    }
    if (!entries.some((e, i) => withValues(e, i) !== undefined)) return this.batchRequest(entries, resolved, undefined, obs)
    return Effect.suspend(() => {
      const deadline = this.now() + resolved.timeoutMillis
      const prepared = Effect.forEach(entries, (e, i): Effect.Effect<BatchEntry, E.CassandraError> => {
        const entry = withValues(e, i)
        return entry === undefined
          ? Effect.succeed(e)
          : Effect.map(this.prepare(entry.query as string, resolved.keyspace), (p) => ({ query: p, params: entry.params }))
      }, { concurrency: "unbounded" })
      const bounded = Effect.timeoutOrElse(prepared, {
        duration: resolved.timeoutMillis,
        orElse: () => Effect.fail(new E.OperationTimedOut({ message: `no answer within ${resolved.timeoutMillis} ms (preparing the batch's statements)`, timeoutMillis: resolved.timeoutMillis }))
      })
      return Effect.flatMap(bounded, (ready) => this.batchRequest(ready, resolved, deadline, obs))
    })
  }

  private batchRequest(
    entries: ReadonlyArray<BatchEntry>,
    resolved: ResolvedRequest,
    deadline: number | undefined,
    obs: Observation | undefined
  ): Effect.Effect<ResultSet, E.CassandraError> {
    const run = Effect.callback<ResultSet, E.CassandraError>((resume) => {
      const plan = planBatch(this.planContext, entries, resolved, deadline)
      if (plan instanceof E.InvalidInput) return resume(Effect.fail(plan))
      plan.observation = obs
      return this.runPlan(plan, resume as Resume)
    })
    return this.throttler === undefined ? run : this.throttler.run(run)
  }

  /** `Session.prepare`: cached per keyspace and query; `customPayload` goes with its PREPAREs. */
  prepare(query: string, keyspace: string | undefined, customPayload?: CustomPayload): Effect.Effect<PreparedStatement, E.CassandraError> {
    if (keyspace === undefined) return this.prepared.prepare(query, keyspace, customPayload)
    // below v5 a PREPARE carries no keyspace: one other than the session's would be a lie
    return Effect.suspend(() => {
      const wrong = unsupportedKeyspace(this.planContext, keyspace)
      return wrong === undefined ? this.prepared.prepare(query, keyspace, customPayload) : Effect.fail(wrong)
    })
  }

  // ---- one page, one plan -----------------------------------------------------------

  /**
   * One page of an execution, under its span and metrics (`Instruments.observe`). The request itself
   * is a single Effect primitive (`page`).
   */
  private executePage<A>(
    statement: string | PreparedStatement,
    params: Params | undefined,
    options: ResolvedRequest,
    pagingState: Uint8Array | undefined,
    deadline?: number
  ): Effect.Effect<ResultSet<A>, E.CassandraError> {
    if (!this.instruments.enabled) return this.page<A>(statement, params, options, pagingState, deadline, undefined)
    return Effect.withFiber((fiber) => this.pageIn<A>(fiber, statement, params, options, pagingState, deadline))
  }

  /** One page on `fiber`, under its span and metrics when something observes it (no tracer installed, metrics off: nothing). */
  private pageIn<A>(
    fiber: Fiber.Fiber<unknown, unknown>,
    statement: string | PreparedStatement,
    params: Params | undefined,
    options: ResolvedRequest,
    pagingState: Uint8Array | undefined,
    deadline: number | undefined
  ): Effect.Effect<ResultSet<A>, E.CassandraError> {
    const ins = this.instruments
    return ins.enabled && ins.wants(fiber)
      ? ins.observeIn(fiber, { kind: "execute", statement }, options, (obs) => this.page<A>(statement, params, options, pagingState, deadline, obs))
      : this.page<A>(statement, params, options, pagingState, deadline, undefined)
  }

  /**
   * One page: the plan is made and the request written from the callback's registration, and the
   * answer resumes the fiber with its ResultSet from the socket callback.
   */
  private page<A>(
    statement: string | PreparedStatement,
    params: Params | undefined,
    options: ResolvedRequest,
    pagingState: Uint8Array | undefined,
    deadline: number | undefined,
    obs: Observation | undefined
  ): Effect.Effect<ResultSet<A>, E.CassandraError> {
    const page = Effect.callback<ResultSet<A>, E.CassandraError>((resume) => this.startPage(statement, params, options, pagingState, deadline, obs, resume as Resume))
    return this.throttler === undefined ? page : this.throttler.run(page)
  }

  /** Plans one page and runs it (from a callback's registration); returns what removes it from a host's queue. */
  private startPage(
    statement: string | PreparedStatement,
    params: Params | undefined,
    options: ResolvedRequest,
    pagingState: Uint8Array | undefined,
    deadline: number | undefined,
    obs: Observation | undefined,
    resume: Resume
  ): Effect.Effect<void> | undefined {
    const plan = planExecute(this.planContext, statement, params, options, pagingState, deadline)
    if (plan instanceof E.InvalidInput) {
      resume(Effect.fail(plan))
      return undefined
    }
    plan.observation = obs
    return this.runPlan(plan, resume)
  }

  /** The first PREPARE of a statement, over the query plan, under its span. */
  private runPrepare(query: string, keyspace: string | undefined, customPayload: CustomPayload | undefined): Effect.Effect<PreparedOn, E.CassandraError> {
    const options = customPayload === undefined ? prepareOptions : { ...prepareOptions, customPayload }
    const prepare = (obs: Observation | undefined) =>
      Effect.callback<PreparedOn, E.CassandraError>((resume) => {
        const plan = planPrepare(this.planContext, query, keyspace, options)
        plan.observation = obs
        return this.runPlan(plan, resume as Resume)
      })
    return this.instruments.enabled ? this.instruments.observe({ kind: "prepare", query, keyspace }, options, prepare) : prepare(undefined)
  }

  /**
   * Runs a plan over its query plan (the profile's load balancing, else the cluster's): one execution,
   * or speculative ones when the request allows them (idempotent, not pinned to a host). Returns the
   * execution's canceler while it waits in a host's queue.
   */
  private runPlan(plan: RequestPlan, resume: Resume): Effect.Effect<void> | undefined {
    if (this.closing()) {
      resume(Effect.fail(new E.SessionClosed({ message: "the session is shut down" })))
      return undefined
    }
    const options = plan.options
    const hosts = queryPlan(plan, options.loadBalancing ?? this.lb, this.cluster, this.pools.inFlightOf)[Symbol.iterator]()
    const spec = options.speculative
    if (spec !== undefined && options.idempotent && options.host === undefined) {
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

  downReasons(): Record<string, unknown> {
    return this.internals.downReasons()
  }

  complete(plan: RequestPlan, frame: ResponseFrame, host: Host): Effect.Effect<unknown, E.CassandraError> {
    if (plan.kind !== "prepare") return buildResultSet(frame, host, plan, this, this)
    return Effect.map(toPrepared(frame, plan.statement as string, plan.keyspace), (prepared): PreparedOn => ({ prepared, host }))
  }

  // ---- Pager --------------------------------------------------------------------------

  nextPage<A>(plan: RequestPlan, pagingState: Uint8Array): Effect.Effect<ResultSet<A>, E.CassandraError> {
    return this.executePage<A>(plan.statement, plan.params, plan.options, pagingState)
  }

  fetchTrace(id: string, options: TraceOptions | undefined): Effect.Effect<QueryTrace, E.CassandraError> {
    return fetchTrace(this.traceQueries, id, options)
  }

  // ---- ResultEffects ------------------------------------------------------------------

  useKeyspace(keyspace: string): Effect.Effect<void> {
    return this.pools.useKeyspace(keyspace)
  }

  afterSchemaChange(change: SchemaChange, host: Host): Effect.Effect<boolean> {
    return afterSchemaChange(this.cluster, this.internals, this.pools, change, host)
  }

  get userTypes(): UserTypeRegistry {
    return this.internals.userTypes
  }
}
