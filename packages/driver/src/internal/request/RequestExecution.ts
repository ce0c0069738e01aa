/**
 * One execution of a request over its query plan, read top-down in the order it runs:
 *
 * 1. `start`: the first host of the plan that has a connection gets the request (`sendTo`); the
 *    connection encodes it into its next write and calls back this object, which is its
 *    `ResponseHandler`. No fiber, promise or closure is made for the request. When every connection
 *    of the plan's hosts is saturated, it waits in the first saturated host's queue
 *    (`pool/RequestQueue.ts`) and is sent when a stream id frees (`sendOn`); past the queue's bound it
 *    fails with `HostBusy`.
 * 2. `onResponse`: the answer becomes the result (`ExecutionContext.complete`), in the socket callback.
 * 3. `onFailure`: the failure is decided (`decide`): bad input, a closing session and a passed deadline
 *    end the execution; UNPREPARED prepares the statement on that connection and sends again
 *    (`reprepare`); a request never written goes to the next host; anything else is the retry
 *    policy's call, after its Schedule's delay: the same host, the next host, fail, or ignore.
 * 4. Every later attempt goes through `sendTo` again (`resend`), so attempt 1 is not a special path.
 *    When no host is left the execution fails with `NoHostAvailable` and every host's error.
 *
 * Speculative executions (`speculative.ts`) are several of these sharing one plan and one error record.
 * The retry policy is the request's (its option or profile's), else the session's.
 * It does not build plans (`plan.ts`) nor results (`result.ts`).
 *
 * @since 0.1.0
 * @internal
 */
import type { ColumnSpec, Request, ResponseFrame } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as E from "../../Errors.ts"
import type { Host } from "../../Host.ts"
import type { LoadBalancingPolicyShape } from "../../policies/LoadBalancing.ts"
import type { RetryContext, RetryPolicyShape } from "../../policies/Retry.ts"
import type { PreparedStatement } from "../../Statement.ts"
import type { Connection, ResponseHandler } from "../connection/Connection.ts"
import type { Instruments } from "../observability/instrument.ts"
import type { QueuedRequest, RequestQueue } from "../pool/RequestQueue.ts"
import { prepareOn } from "../prepare/PreparedCache.ts"
import { isSelect } from "../prepare/queryShape.ts"
import { type RequestPlan, withConsistency } from "./plan.ts"
import { ignoredErrorFrame } from "./result.ts"

/**
 * What executions of one session share.
 *
 * @since 0.1.0
 */
export interface ExecutionContext {
  readonly borrow: (host: Host) => Connection | undefined
  /** The queue of a host whose connections are all saturated (undefined: it has no open connection). */
  readonly waitQueue: (host: Host) => RequestQueue | undefined
  readonly retryPolicy: RetryPolicyShape
  readonly now: () => number
  /** The session is closing: its connections close, no other host will do. */
  readonly closing: () => boolean
  readonly instruments: Instruments
  /** Every down host's last reason, by endpoint: the errors of a plan that had no host to try. */
  readonly downReasons: () => Record<string, unknown>
  /** The load-balancing policy when it has `onRequestComplete` (told each attempt's latency), else undefined. */
  readonly latencyObserver: LoadBalancingPolicyShape | undefined
  /** The result of an answer to `plan` from `host`: a ResultSet or a PreparedStatement. */
  readonly complete: (plan: RequestPlan, frame: ResponseFrame, host: Host) => Effect.Effect<unknown, E.CassandraError>
}

/**
 * Resumes the fiber waiting for an execution.
 *
 * @since 0.1.0
 */
export type Resume = (effect: Effect.Effect<unknown, E.CassandraError>) => void

/** A plan with no host left. */
const exhausted: Iterator<Host> = { next: () => ({ done: true, value: undefined }) }

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * One execution of a plan.
 *
 * @since 0.1.0
 */
export class RequestExecution implements ResponseHandler, QueuedRequest {
  // ResponseHandler: what the connection reads
  columns: ReadonlyArray<ColumnSpec> | undefined = undefined
  readonly lazyRows: boolean
  /** The current attempt's deadline: the request's, or sooner for an attempt of an idempotent request. */
  deadline: number
  timeoutMillis: number

  private readonly ctx: ExecutionContext
  private readonly plan: RequestPlan
  /** The plan's hosts not tried yet (an exhausted one once the request waits in a queue: nothing is left to try). */
  private hosts: Iterator<Host>
  /** Each host's last error (made on the first one, or shared with the plan's other executions). */
  private errors: Record<string, unknown> | undefined
  private resume: Resume | undefined = undefined
  /** The request as sent: a retry may lower its consistency, a re-prepare patch its id. */
  private request: Request
  private host: Host | undefined = undefined
  private conn: Connection | undefined = undefined
  private retryCount = 0
  /** When the current attempt was sent: only kept for a speculative policy that records latencies, or a `latencyObserver`. */
  private sentAt = 0
  private retryStep: ((input: RetryContext) => Effect.Effect<unknown, unknown>) | undefined = undefined
  /** Statements re-prepared after UNPREPARED, each at most once per connection. */
  private repreparedOn: Connection | undefined = undefined
  private repreparedIds: Array<Uint8Array> | undefined = undefined
  /** The queue of the first saturated host met while looking for a connection, and that host. */
  private waitIn: RequestQueue | undefined = undefined
  private waitHost: Host | undefined = undefined
  /** QueuedRequest: set when it left a host's queue before its turn (interrupted). */
  leftQueue = false

  constructor(ctx: ExecutionContext, plan: RequestPlan, hosts: Iterator<Host>, errors: Record<string, unknown> | undefined) {
    this.ctx = ctx
    this.plan = plan
    this.hosts = hosts
    this.errors = errors
    this.request = plan.request
    this.deadline = plan.deadline
    this.timeoutMillis = plan.options.timeoutMillis
    this.lazyRows = plan.options.lazyRows === true
  }

  /** Sets the deadline of the attempt about to be sent. */
  private startAttempt(): void {
    const options = this.plan.options
    if (!options.idempotent || options.attemptTimeoutMillis >= options.timeoutMillis) return
    const now = this.ctx.now()
    this.deadline = Math.min(this.plan.deadline, now + options.attemptTimeoutMillis)
    this.timeoutMillis = this.deadline - now
  }

  /**
   * The execution as an Effect: one `Effect.callback`, resumed from the connection's callbacks. Each
   * run of the Effect is a new execution.
   */
  static run(ctx: ExecutionContext, plan: RequestPlan, hosts: Iterator<Host>, errors: Record<string, unknown> | undefined): Effect.Effect<unknown, E.CassandraError> {
    return Effect.callback<unknown, E.CassandraError>((resume) => new RequestExecution(ctx, plan, hosts, errors).start(resume))
  }

  // ---- 1. send ----------------------------------------------------------------

  /**
   * Starts the execution; `resume` gets its outcome. Returns what removes it from a host's queue when
   * its fiber is interrupted while it waits there (undefined when it did not wait).
   */
  start(resume: Resume): Effect.Effect<void> | undefined {
    this.resume = resume
    return this.sendToNext()
  }

  /**
   * Sends to the next host of the plan that has a connection. When none has one but some are saturated,
   * waits in the first saturated host's queue (`HostBusy` when it is full); `NoHostAvailable` when no
   * host of the plan has an open connection.
   */
  private sendToNext(): Effect.Effect<void> | undefined {
    for (let next = this.hosts.next(); !next.done; next = this.hosts.next()) {
      if (this.sendTo(next.value)) return undefined
    }
    const queue = this.waitIn
    if (queue === undefined) {
      this.resume!(Effect.fail(this.noHostAvailable()))
      return undefined
    }
    this.waitIn = undefined
    this.host = this.waitHost
    // the loop above exhausted the plan: drop it, so a waiting request holds no host array (a burst queues many)
    this.hosts = exhausted
    if (queue.offer(this)) return Effect.sync(() => queue.remove(this))
    this.resume!(Effect.fail(new E.HostBusy({
      message: `every connection to ${queue.host} is saturated and ${queue.capacity} requests already wait for one (maxQueuedRequests)`,
      host: queue.host,
      maxQueuedRequests: queue.capacity
    })))
    return undefined
  }

  /**
   * Sends the request to a connection of `host`; false when it has none that accepts it now (noting a
   * saturated host's queue, or the host's error when it has no open connection).
   */
  private sendTo(host: Host): boolean {
    const conn = this.ctx.borrow(host)
    if (conn === undefined) {
      const queue = this.ctx.waitQueue(host)
      if (queue === undefined) {
        this.noteError(host, new E.ConnectionError({ message: "no open connection", host: host.endpoint }))
      } else if (this.waitIn === undefined || (this.waitIn.waiting >= this.waitIn.capacity && queue.waiting < queue.capacity)) {
        this.waitIn = queue
        this.waitHost = host
      }
      return false
    }
    this.startAttempt()
    this.host = host
    this.sendOn(conn)
    return true
  }

  /** Sends on `conn` (a connection of `this.host` that accepts a request now). */
  sendOn(conn: Connection): void {
    this.conn = conn
    if (this.plan.observation !== undefined) this.plan.observation.host = this.host!
    this.waitIn = undefined
    const prepared = this.plan.prepared
    this.columns = prepared !== undefined && prepared.resultColumns.length > 0 ? prepared.resultColumns : undefined
    if (this.plan.options.observeLatency !== undefined || this.ctx.latencyObserver !== undefined) this.sentAt = this.ctx.now()
    conn.sendWith(this.request, this, this.plan.options.tracing, this.plan.options.customPayload)
  }

  // ---- 2. the answer ------------------------------------------------------------

  onResponse(frame: ResponseFrame): void {
    // a traced answer is one of the request's traces, also when a speculative execution lost with it
    if (frame.tracingId !== undefined) this.plan.noteTracedAttempt(frame.tracingId)
    if (this.plan.options.observeLatency !== undefined || this.ctx.latencyObserver !== undefined) this.observeLatency()
    this.resume!(this.ctx.complete(this.plan, frame, this.host!))
  }

  // ---- 3. a failure -------------------------------------------------------------

  onFailure(error: E.RequestError | E.InvalidInput): void {
    // the host's answer (an error) or its silence (a client timeout) say how fast it is; a broken
    // connection or bad input do not
    if (this.ctx.latencyObserver !== undefined && error._tag !== "InvalidInput" && error._tag !== "ConnectionError") this.observeLatency()
    this.resume!(this.decide(error))
  }

  /**
   * Rows came without metadata and with other columns than the statement's: below v5, another client
   * (or this one, on another host) prepared it again after an ALTER TABLE, and the host skips the
   * metadata it now has. The statement never skips it again below v5; a SELECT is asked again on the
   * same host, with the metadata (it changes nothing, so this is not a retry); anything else fails.
   */
  onStaleColumns(): void {
    const prepared = this.plan.prepared
    const request = this.request
    if (prepared === undefined || request._tag !== "Execute" || request.params.skipMetadata !== true || !isSelect(prepared.query)) {
      return this.onFailure(new E.DriverError({ message: "rows sent without metadata do not have the prepared statement's columns", host: this.host?.endpoint }))
    }
    prepared.skipMetadataBelowV5 = false
    this.request = { ...request, params: { ...request.params, skipMetadata: false } }
    this.resume!(this.resend("same"))
  }

  /** A traced attempt answered with an error: its trace is one of the request's (`rs.tracingIds`). */
  onTracedError(tracingId: string): void {
    this.plan.noteTracedAttempt(tracingId)
  }

  /** What the failure of the current attempt leads to. */
  private decide(error: E.RequestError | E.InvalidInput): Effect.Effect<unknown, E.CassandraError> {
    const host = this.host!
    if (error._tag === "InvalidInput") return Effect.fail(error)
    if (this.ctx.closing()) return Effect.fail(error)
    if (error._tag === "OperationTimedOut" && this.ctx.now() >= this.plan.deadline) {
      // the connection's (or the host queue's) error already says it, unless the attempt had a shorter timeout
      return Effect.fail(error.timeoutMillis === this.plan.options.timeoutMillis ? error : this.timedOut())
    }
    if (error._tag === "Unprepared") {
      const forgotten = this.plan.prepared ?? this.plan.batchPrepared?.find((p) => p !== undefined && sameBytes(p.id, error.id))
      if (forgotten !== undefined) return this.reprepare(error, forgotten)
    }
    this.noteError(host, error)
    // never written: the next host is safe whatever the statement (not a retry)
    if (error._tag === "ConnectionError" && error.sent === false) return this.resend("next")
    return this.retry(error)
  }

  /** The host forgot the statement (restart, eviction, schema change): prepare it there and send again. */
  private reprepare(error: E.Unprepared, forgotten: PreparedStatement): Effect.Effect<unknown, E.CassandraError> {
    const conn = this.conn!
    if (this.repreparedOn !== conn || this.repreparedIds === undefined) {
      this.repreparedOn = conn
      this.repreparedIds = []
    }
    if (this.repreparedIds.some((id) => sameBytes(id, forgotten.id))) {
      this.noteError(this.host!, error)
      return this.resend("next")
    }
    this.repreparedIds.push(forgotten.id)
    // the PREPARE is part of this request: it has the request's deadline, not one of its own
    return Effect.flatMap(Effect.exit(prepareOn(conn, forgotten.query, forgotten.keyspace, this.plan.deadline)), (re) => {
      if (Exit.isFailure(re)) {
        this.noteError(this.host!, error)
        return this.resend("next")
      }
      const oldId = forgotten.id
      forgotten.id = re.value.id
      forgotten.resultMetadataId = re.value.resultMetadataId
      forgotten.resultColumns = re.value.resultColumns
      this.request = withPreparedId(this.request, oldId, re.value)
      return this.resend("same")
    })
  }

  /** The retry policy's decision (the request's, else the session's), after its Schedule's delay when it has one. */
  private retry(error: E.RequestError): Effect.Effect<unknown, E.CassandraError> {
    return Effect.gen({ self: this }, function*() {
      const policy = this.plan.options.retry ?? this.ctx.retryPolicy
      const context: RetryContext = { error, retryCount: this.retryCount, idempotent: this.plan.options.idempotent, consistency: consistencyOf(this.request) }
      const decision = policy.decide(context)
      this.retryCount++
      if (policy.delay !== undefined && (decision._tag === "RetrySameHost" || decision._tag === "RetryNextHost")) {
        // the policy's Schedule: one step per retry; its end means no more retries
        if (this.retryStep === undefined) this.retryStep = yield* Schedule.toStepWithSleep(policy.delay)
        const stepped = yield* Effect.exit(this.retryStep(context))
        if (Exit.isFailure(stepped)) return yield* error
      }
      switch (decision._tag) {
        case "Rethrow":
          return yield* error
        case "Ignore":
          return yield* this.ctx.complete(this.plan, ignoredErrorFrame(this.host!), this.host!)
        case "RetrySameHost":
        case "RetryNextHost":
          yield* this.ctx.instruments.retried
          if (decision.consistency !== undefined) this.request = withConsistency(this.request, decision.consistency)
          return yield* this.resend(decision._tag === "RetrySameHost" ? "same" : "next")
      }
    })
  }

  // ---- 4. later attempts --------------------------------------------------------

  /** Sends again, to the same host or the next of the plan, waiting in a new callback. */
  private resend(target: "same" | "next"): Effect.Effect<unknown, E.CassandraError> {
    return Effect.callback<unknown, E.CassandraError>((resume) => {
      this.resume = resume
      // a re-prepare or a retry delay may have used the rest of the request's time
      if (this.ctx.now() >= this.plan.deadline) return resume(Effect.fail(this.timedOut()))
      if (target === "same" && this.sendTo(this.host!)) return
      return this.sendToNext()
    })
  }

  /** The request's own timeout passed (not an attempt's). */
  private timedOut(): E.OperationTimedOut {
    const timeoutMillis = this.plan.options.timeoutMillis
    return new E.OperationTimedOut({ message: `no answer within ${timeoutMillis} ms`, host: this.host?.endpoint, timeoutMillis })
  }

  /** The answer's latency, to the speculative policy that records latencies and to a latency-aware load balancer. */
  private observeLatency(): void {
    const now = this.ctx.now()
    const latency = now - this.sentAt
    this.plan.options.observeLatency?.(this.host!, latency)
    this.ctx.latencyObserver?.onRequestComplete?.(this.host!, latency, now)
  }

  private noteError(host: Host, error: unknown): void {
    if (this.errors === undefined) this.errors = {}
    this.errors[host.endpoint] = error
  }

  private noHostAvailable(): E.NoHostAvailable {
    const tried = this.errors !== undefined && Object.keys(this.errors).length > 0
    // no host was tried: every one is down, and why is what the caller needs
    const errors = tried ? this.errors! : this.ctx.downReasons()
    const listed = Object.entries(errors).map(([h, e]) => `${h}: ${(e as { message?: string }).message}`).join("; ")
    return new E.NoHostAvailable({
      message: tried ? `all hosts tried failed: ${listed}` : listed.length > 0 ? `no host is up in the query plan: ${listed}` : "no host is up in the query plan",
      errors
    })
  }
}

/** The consistency of a request (0 for requests without one). */
const consistencyOf = (request: Request): number =>
  request._tag === "Query" || request._tag === "Execute" ? request.params.consistency : request._tag === "Batch" ? request.consistency : 0

/** The request with a re-prepared statement's new id. */
const withPreparedId = (request: Request, oldId: Uint8Array, prepared: PreparedStatement): Request => {
  if (request._tag === "Execute") return { ...request, id: prepared.id, resultMetadataId: prepared.resultMetadataId }
  if (request._tag !== "Batch") return request
  return {
    ...request,
    statements: request.statements.map((st) => st.kind === "prepared" && sameBytes(st.id, oldId) ? { ...st, id: prepared.id } : st)
  }
}
