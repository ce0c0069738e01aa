/**
 * The pool manager: a session's pools by host. It opens a pool for every host the load-balancing
 * policy does not ignore, follows the cluster's host events (added, removed, up) and its up hints
 * (subscribed before the first pools open, so a host added meanwhile is not missed), lends
 * connections to the request path, and moves every connection to the keyspace of a `USE` (one whose
 * `USE` fails is closed and replaced, never left in the old keyspace).
 *
 * It does not store host state (the cluster's host registry does) nor prepare statements (the
 * prepared cache does, through `reprepare`).
 *
 * @since 0.1.0
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as PubSub from "effect/PubSub"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ClusterShape } from "../../Cluster.ts"
import type { Host, HostEvent } from "../../Host.ts"
import { internalRequestTimeoutMillis } from "../../ExecutionProfile.ts"
import type { LoadBalancingPolicyShape } from "../../policies/LoadBalancing.ts"
import type { ClusterInternals } from "../cluster/internals.ts"
import { useStatement } from "../connection/adminQuery.ts"
import type { Connection } from "../connection/Connection.ts"
import type { PoolStats } from "../observability/instrument.ts"
import { HostPool, type PoolContext } from "./HostPool.ts"
import type { RequestQueue } from "./RequestQueue.ts"

/**
 * The pools of one session.
 *
 * @since 0.1.0
 */
export class PoolManager {
  /** The keyspace every connection of the session uses. */
  keyspace: string | undefined
  /** Prepares the session's statements on a pool that opened; set by the session's prepared cache. */
  reprepare: (pool: HostPool) => Effect.Effect<void> = () => Effect.void
  private readonly pools = new Map<string, HostPool>()
  private readonly cluster: ClusterShape
  private readonly internals: ClusterInternals
  private readonly lb: LoadBalancingPolicyShape
  private readonly scope: Scope.Scope
  private readonly closing: () => boolean
  private readonly context: PoolContext

  constructor(args: {
    readonly cluster: ClusterShape
    readonly internals: ClusterInternals
    readonly lb: LoadBalancingPolicyShape
    readonly scope: Scope.Scope
    readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => unknown
    readonly keyspace: string | undefined
  }) {
    const { cluster, internals, lb, scope } = args
    this.cluster = cluster
    this.internals = internals
    this.lb = lb
    this.scope = scope
    this.keyspace = args.keyspace
    this.closing = () => scope.state._tag === "Closed"
    const sizes = cluster.options.connectionsPerHost
    this.context = {
      connect: internals.connect,
      scope,
      runFork: args.runFork,
      reconnection: cluster.options.reconnection,
      sizeOf: (host) => lb.distance(host, cluster.localDc) === "remote" ? sizes.remote : sizes.local,
      keyspace: () => this.keyspace,
      moveToKeyspace: (conn) => this.keyspace === undefined ? Effect.succeed(false) : this.moveTo(conn, this.keyspace),
      closing: this.closing,
      markDown: internals.markDown,
      poolUp: (pool) => Effect.andThen(this.reprepare(pool), internals.markUp(pool.host)),
      maxQueuedRequests: cluster.options.maxQueuedRequests
    }
  }

  /** A connection to `host`, if its pool has one free (the request path's call). */
  borrow(host: Host): Connection | undefined {
    return this.pools.get(host.endpoint)?.borrow()
  }

  /** Requests in flight from this session on `host` (the load-balancing policy's `inFlight`). */
  readonly inFlightOf = (host: Host): number => {
    const pool = this.pools.get(host.endpoint)
    if (pool === undefined) return 0
    let n = 0
    for (const c of pool.connections) n += c.inFlight
    return n
  }

  /** Each pool's connections and requests in flight, for the pool gauges (metrics). */
  stats(): Array<PoolStats> {
    const out: Array<PoolStats> = []
    for (const pool of this.pools.values()) {
      let open = 0
      let used = 0
      let inFlight = 0
      for (const c of pool.connections) {
        if (c.closed !== undefined) continue
        open++
        if (c.inFlight > 0) used++
        inFlight += c.inFlight
      }
      out.push({ host: pool.host, open, used, inFlight, max: this.context.sizeOf(pool.host) })
    }
    return out
  }

  /** The queue `host`'s requests wait in when its connections are saturated (undefined: it has none open). */
  waitQueue(host: Host): RequestQueue | undefined {
    return this.pools.get(host.endpoint)?.waitQueue()
  }

  /** The pools of every host but `host`. */
  others(host: Host): Array<HostPool> {
    return [...this.pools.values()].filter((p) => p.host.endpoint !== host.endpoint)
  }

  /** Opens the pools of the cluster's hosts, then follows host events; pools close with the session. */
  get start(): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      // subscribed before the hosts are read: an event while the first pools open waits in the subscription
      const events = yield* Scope.provide(PubSub.subscribe(this.internals.hostEvents), this.scope)
      const upHints = yield* Scope.provide(PubSub.subscribe(this.internals.upHints), this.scope)
      yield* Scope.addFinalizer(this.scope, Effect.sync(() => { for (const p of this.pools.values()) p.closed = true }))
      yield* Effect.forEach(this.cluster.hosts(), (h) => this.add(h), { concurrency: "unbounded", discard: true })
      yield* Stream.fromSubscription(events).pipe(Stream.runForEach((event) => this.onHostEvent(event)), Effect.forkIn(this.scope))
      // a STATUS_CHANGE UP: try the host now rather than at the next reconnection delay
      yield* Stream.fromSubscription(upHints).pipe(Stream.runForEach((h) => this.hostBack(h)), Effect.forkIn(this.scope))
    })
  }

  /**
   * After a `USE` answered: the session's keyspace changes, and every connection still in another
   * keyspace is sent `USE` too (failures left alone).
   */
  useKeyspace(keyspace: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.keyspace === keyspace) return Effect.void
      this.keyspace = keyspace
      const conns = [...this.pools.values()].flatMap((p) => p.connections).filter((c) => c.keyspace !== keyspace)
      return Effect.forEach(conns, (c) => this.moveTo(c, keyspace), { concurrency: "unbounded", discard: true })
    })
  }

  /**
   * Sends `USE keyspace` on a connection: true once it is there. When the `USE` fails the connection
   * is closed (false): its pool replaces it with one opened in the session's keyspace.
   */
  private moveTo(conn: Connection, keyspace: string): Effect.Effect<boolean> {
    return Effect.clockWith((clock) => conn.send(useStatement(keyspace), { deadline: clock.currentTimeMillisUnsafe() + internalRequestTimeoutMillis })).pipe(
      Effect.matchEffect({
        onSuccess: () => Effect.sync(() => { conn.keyspace = keyspace; return true }),
        onFailure: () => Effect.as(conn.close(), false)
      })
    )
  }

  private onHostEvent(event: HostEvent): Effect.Effect<void> {
    switch (event._tag) {
      case "HostAdded":
        return this.add(this.cluster.getHost(event.host.endpoint) ?? event.host)
      case "HostRemoved":
        return this.remove(event.host)
      case "HostUp":
        return this.hostBack(this.cluster.getHost(event.host.endpoint) ?? event.host)
      default:
        return Effect.void
    }
  }

  /** A pool for a new host (none for a host the policy ignores); a host that joins gets the statements prepared so far. */
  private add(host: Host): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      if (this.pools.has(host.endpoint)) return
      if (this.lb.distance(host, this.cluster.localDc) === "ignored") return
      const pool = new HostPool(host, this.context)
      this.pools.set(host.endpoint, pool)
      const opened = yield* Effect.exit(pool.fill)
      if (Exit.isSuccess(opened)) return yield* this.reprepare(pool)
      if (this.closing()) return
      const reason = opened.cause.reasons.find((r) => r._tag === "Fail")
      yield* pool.failedToOpen(reason?._tag === "Fail" ? reason.error.message : "connect failed")
    })
  }

  private remove(host: Host): Effect.Effect<void> {
    return Effect.suspend(() => {
      const pool = this.pools.get(host.endpoint)
      if (pool === undefined) return Effect.void
      this.pools.delete(host.endpoint)
      return pool.close
    })
  }

  /** A host reported up (by an event or another session): open its pool now if it has none. */
  private hostBack(host: Host): Effect.Effect<void> {
    return Effect.suspend(() => {
      const pool = this.pools.get(host.endpoint)
      if (pool === undefined) return this.add(host)
      if (pool.connections.length === 0 && !pool.closed) return pool.reopen
      return Effect.void
    })
  }
}
