/**
 * A host pool: the connections of one session to one host. It lends the least busy connection,
 * opens connections up to its size (one fill at a time: a concurrent fill joins the running one),
 * replaces lost ones on the reconnection Schedule while some are left, and, once it lost them all,
 * reports the host down and reconnects on the Schedule until it is back. Every reconnection, the first
 * included, waits its Schedule delay: a host that drops connections soon after the handshake gets one
 * attempt per delay, not a storm. It owns the host's queue of requests waiting for a stream id
 * (`RequestQueue.ts`): its connections serve it as ids free, a new connection serves it at once, and
 * when the pool lost every connection the waiting requests go to the next host. A connection that
 * retires (too many orphaned stream ids) is replaced while it finishes its live requests.
 *
 * It does not decide which hosts get a pool (the pool manager does) nor store host state (the
 * cluster's host registry does: the pool reports to it).
 *
 * @since 0.1.0
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as E from "../../Errors.ts"
import type { Host } from "../../Host.ts"
import type { Connection } from "../connection/Connection.ts"
import { RequestQueue } from "./RequestQueue.ts"

/**
 * What every pool of a session shares: how to connect, where connections live, and whom to tell.
 *
 * @since 0.1.0
 */
export interface PoolContext {
  readonly connect: (host: Host, keyspace: string | undefined) => Effect.Effect<Connection, E.ConnectionError | E.AuthenticationError, Scope.Scope>
  /** The session's scope: connections and background loops live in it. */
  readonly scope: Scope.Scope
  readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => unknown
  readonly reconnection: Schedule.Schedule<unknown, unknown>
  /** Connections wanted to a host (by its distance). */
  readonly sizeOf: (host: Host) => number
  /** The keyspace new connections use. */
  readonly keyspace: () => string | undefined
  /**
   * Moves a connection opened in another keyspace (a `USE` ran while it opened) to the session's:
   * false when its `USE` failed (the connection is then closed).
   */
  readonly moveToKeyspace: (conn: Connection) => Effect.Effect<boolean>
  /** The session is closing: connections that close now are not replaced. */
  readonly closing: () => boolean
  readonly markDown: (host: Host, reason: string) => Effect.Effect<void>
  /** The pool (re)opened after being empty: prepare statements there, then mark the host up. */
  readonly poolUp: (pool: HostPool) => Effect.Effect<void>
  /** Requests that may wait for a stream id of one host. */
  readonly maxQueuedRequests: number
}

type OpenError = E.ConnectionError | E.AuthenticationError

/**
 * The connections of one host.
 *
 * @since 0.1.0
 */
export class HostPool {
  readonly host: Host
  connections: Array<Connection> = []
  /** The host is down and the reconnection loop runs. */
  reconnecting = false
  /** A lost connection of several is being replaced. */
  refilling = false
  closed = false
  /** Requests waiting for a stream id of this host. */
  readonly queue: RequestQueue
  /** The pool lost its last connection and tries to reopen at once: requests wait meanwhile. */
  private readonly ctx: PoolContext
  /** The fill running, which a concurrent fill joins (a down/up race must not open twice the size). */
  private filling: Deferred.Deferred<void, OpenError> | undefined = undefined

  constructor(host: Host, ctx: PoolContext) {
    this.host = host
    this.ctx = ctx
    this.queue = new RequestQueue(host.endpoint, ctx.maxQueuedRequests)
  }

  /** The connection with the fewest requests in flight that accepts one now. */
  borrow(): Connection | undefined {
    const conns = this.connections
    if (conns.length === 1) {
      const c = conns[0]!
      return c.accepting ? c : undefined
    }
    let best: Connection | undefined
    for (const c of conns) {
      if (!c.accepting) continue
      if (best === undefined || c.inFlight < best.inFlight) best = c
    }
    return best
  }

  /**
   * The queue a request may wait in when `borrow` found nothing: the host has connections (all
   * saturated) or is replacing a retired one; undefined when it has none (the host is down).
   */
  waitQueue(): RequestQueue | undefined {
    if (this.closed) return undefined
    for (const c of this.connections) if (c.closed === undefined) return this.queue
    return this.refilling || this.filling !== undefined ? this.queue : undefined
  }

  /** Opens connections until the pool has its size (or is closed); joins the fill already running. */
  get fill(): Effect.Effect<void, OpenError> {
    return Effect.suspend(() => {
      const running = this.filling
      if (running !== undefined) return Deferred.await(running)
      const done = Deferred.makeUnsafe<void, OpenError>()
      this.filling = done
      return this.fillNow.pipe(
        Effect.onExit((exit) => {
          this.filling = undefined
          return Deferred.done(done, exit)
        })
      )
    })
  }

  private get fillNow(): Effect.Effect<void, OpenError> {
    return Effect.gen({ self: this }, function*() {
      const ctx = this.ctx
      const want = ctx.sizeOf(this.host)
      while (this.openCount() < want && !this.closed && !ctx.closing()) {
        const connScope = yield* Scope.fork(ctx.scope, "sequential")
        const conn = yield* ctx.connect(this.host, ctx.keyspace()).pipe(
          Scope.provide(connScope),
          Effect.tapError(() => Scope.close(connScope, Exit.void))
        )
        // a USE of the session ran while it opened: it joins the new keyspace or is not kept
        if (conn.keyspace !== ctx.keyspace() && !(yield* ctx.moveToKeyspace(conn))) {
          yield* Scope.close(connScope, Exit.void)
          return yield* new E.ConnectionError({ message: `USE ${String(ctx.keyspace())} failed on a new connection`, host: this.host.endpoint })
        }
        this.connections = [...this.connections.filter((c) => c.closed === undefined), conn]
        conn.onClose((error) => this.lost(conn, connScope, error))
        conn.waiters = this.queue
        // a retiring connection is replaced at once (it still works: nothing failed); if that fails, on the Schedule
        conn.onRetire = () => ctx.runFork(Effect.catch(this.fill, () => this.refill))
        if (this.queue.waiting > 0 && conn.accepting) this.queue.serve(conn)
      }
    })
  }

  /** The pool opened with nothing left over from before: the host came (back) up. */
  get reopen(): Effect.Effect<void> {
    return this.fill.pipe(Effect.andThen(this.ctx.poolUp(this)), Effect.ignore)
  }

  /** Closes the pool and its connections. */
  get close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      this.queue.failAll(`${this.host.endpoint} left the session's pools`)
      return Effect.forEach(this.connections, (c) => c.close(), { discard: true })
    })
  }

  /** The first open failed: the host is down from here, reconnect on the Schedule; waiting requests try the next host. */
  failedToOpen(reason: string): Effect.Effect<void> {
    return Effect.andThen(
      Effect.sync(() => this.queue.failAll(`no connection to ${this.host.endpoint}: ${reason}`)),
      Effect.andThen(this.ctx.markDown(this.host, reason), Effect.forkIn(this.reconnectLoop, this.ctx.scope))
    )
  }

  /** Open connections that are not retiring (a retiring one is being replaced). */
  private openCount(): number {
    let n = 0
    for (const c of this.connections) if (c.closed === undefined && !c.retiring) n++
    return n
  }

  /** A connection closed: replace it, or, when it was the last one, the host is down. */
  private lost(conn: Connection, connScope: Scope.Closeable, error: E.ConnectionError): void {
    const ctx = this.ctx
    this.connections = this.connections.filter((c) => c !== conn)
    ctx.runFork(Scope.close(connScope, Exit.void))
    if (this.closed || ctx.closing()) return this.queue.failAll(error.message)
    for (const c of this.connections) if (this.queue.waiting > 0 && c.accepting) this.queue.serve(c)
    if (this.connections.length > 0) return void ctx.runFork(this.refill)
    // a fill or refill under way (a retired connection's replacement) goes on; it reports the host down if it fails
    if (this.refilling || this.filling !== undefined) return
    ctx.runFork(this.failedToOpen(error.message))
  }

  /** Replaces the lost connections of a pool that still has some, on the reconnection Schedule. */
  private get refill(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.refilling || this.reconnecting || this.closed) return Effect.void
      this.refilling = true
      return this.onSchedule(this.fill, () => !this.reconnecting && !this.closed && this.connections.length > 0).pipe(
        Effect.ignore,
        Effect.ensuring(Effect.sync(() => {
          this.refilling = false
          if (this.openCount() === 0 && this.connections.every((c) => c.closed !== undefined) && !this.closed && !this.ctx.closing()) {
            this.ctx.runFork(this.failedToOpen("connection replacement failed"))
          }
        })),
        Effect.forkIn(this.ctx.scope),
        Effect.asVoid
      )
    })
  }

  /** Reconnects a down host on the reconnection Schedule, the first attempt after its first delay. */
  private get reconnectLoop(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.reconnecting || this.closed) return Effect.void
      this.reconnecting = true
      return this.onSchedule(this.fill, () => !this.closed).pipe(
        Effect.andThen(this.ctx.poolUp(this)),
        Effect.ignore,
        Effect.ensuring(Effect.sync(() => { this.reconnecting = false }))
      )
    })
  }

  /**
   * `attempt` after each delay of the reconnection Schedule until it succeeds (or `go` says stop, or the
   * Schedule ends): the first attempt too waits the first delay.
   */
  private onSchedule(attempt: Effect.Effect<void, OpenError>, go: () => boolean): Effect.Effect<void, OpenError> {
    let first = true
    const afterDelay = Effect.suspend(() => {
      if (!first) return attempt
      first = false
      return Effect.fail(new E.ConnectionError({ message: "waiting for the first reconnection delay", host: this.host.endpoint }))
    })
    return Effect.retry(afterDelay, { schedule: this.ctx.reconnection as Schedule.Schedule<unknown, OpenError>, while: go })
  }
}
