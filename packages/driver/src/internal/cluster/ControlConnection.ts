/**
 * The control connection: one connection, to the first host that answers (known up hosts first,
 * then the contact points), registered for topology, status and schema events. The driver's own
 * queries of system tables go through it. When it dies it is reopened on the reconnection Schedule,
 * and the topology is read again.
 *
 * It does not interpret events (`events.ts` dispatches them) nor parse system tables (the refreshes do).
 *
 * @since 0.1.0
 * @internal
 */
import type { Event, Row } from "@effect-cassandra/protocol/Messages"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type { ResolvedOptions } from "../../ClusterOptions.ts"
import * as E from "../../Errors.ts"
import { adminQuery } from "../connection/adminQuery.ts"
import type { Connection } from "../connection/Connection.ts"
import type { Connector } from "./Connector.ts"
import type { HostRegistry } from "./HostRegistry.ts"

/**
 * The cluster's control connection.
 *
 * @since 0.1.0
 */
export class ControlConnection {
  private conn: Connection | undefined = undefined
  private connScope: Scope.Closeable | undefined = undefined
  private readonly options: ResolvedOptions
  private readonly connector: Connector
  private readonly registry: HostRegistry
  private readonly scope: Scope.Scope
  private readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => unknown
  private readonly onEvent: (event: Event) => void
  private readonly afterReconnect: () => Effect.Effect<void, unknown>
  private readonly shuttingDown: () => boolean

  constructor(args: {
    readonly options: ResolvedOptions
    readonly connector: Connector
    readonly registry: HostRegistry
    /** The cluster's scope: connections and the reconnection loop live in it. */
    readonly scope: Scope.Scope
    readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => unknown
    readonly onEvent: (event: Event) => void
    /** What to do once reconnected (read the topology again). */
    readonly afterReconnect: () => Effect.Effect<void, unknown>
    readonly shuttingDown: () => boolean
  }) {
    this.options = args.options
    this.connector = args.connector
    this.registry = args.registry
    this.scope = args.scope
    this.runFork = args.runFork
    this.onEvent = args.onEvent
    this.afterReconnect = args.afterReconnect
    this.shuttingDown = args.shuttingDown
  }

  /** The open control connection, if any. */
  get connection(): Connection | undefined {
    return this.conn !== undefined && this.conn.closed === undefined ? this.conn : undefined
  }

  /** The endpoint the control connection is on (undefined while it reconnects). */
  get address(): string | undefined {
    return this.connection?.address
  }

  /** The endpoint of the latest control connection, open or not (undefined before the first). */
  get lastAddress(): string | undefined {
    return this.conn?.address
  }

  /** Runs an admin query on the control connection. */
  query(cql: string): Effect.Effect<ReadonlyArray<Row>, E.RequestError | E.InvalidInput> {
    return Effect.suspend(() => {
      const conn = this.connection
      if (conn === undefined) return Effect.fail(new E.ConnectionError({ message: "no control connection" }))
      return adminQuery(conn, cql, Duration.toMillis(this.options.controlConnectionTimeout))
    })
  }

  /** Opens the control connection on the first host that answers (known up hosts first, then contact points). */
  get connect(): Effect.Effect<void, E.NoHostAvailable | E.AuthenticationError> {
    return Effect.gen({ self: this }, function*() {
      const candidates = this.candidates()
      const errors: Record<string, unknown> = {}
      for (const candidate of candidates) {
        const connScope = yield* Scope.fork(this.scope, "sequential")
        const attempt = yield* Effect.exit(
          this.connector.openControl(candidate.address, candidate.port, this.onEvent).pipe(Scope.provide(connScope))
        )
        if (Exit.isSuccess(attempt)) return yield* this.adopt(attempt.value, connScope)
        yield* Scope.close(connScope, Exit.void)
        const failure = attempt.cause.reasons.find((r) => r._tag === "Fail")
        if (failure?._tag === "Fail" && failure.error._tag === "AuthenticationError") {
          return yield* failure.error
        }
        errors[`${candidate.address}:${candidate.port}`] = failure?._tag === "Fail" ? failure.error : attempt.cause
      }
      return yield* new E.NoHostAvailable({
        // each host's reason in the message too: a TLS or network error is what the user needs to see
        message: `could not connect to any of ${candidates.map((c) => `${c.address}:${c.port}`).join(", ")}: ${
          Object.entries(errors).map(([endpoint, e]) => `${endpoint}: ${(e as { message?: unknown }).message ?? String(e)}`).join("; ")
        }`,
        errors
      })
    })
  }

  /** Reconnects on the reconnection Schedule, then re-reads the topology. */
  get reconnect(): Effect.Effect<void> {
    return this.connect.pipe(
      Effect.andThen(Effect.ignore(Effect.suspend(this.afterReconnect))),
      Effect.retry(this.options.reconnection as Schedule.Schedule<unknown, E.NoHostAvailable | E.AuthenticationError>),
      Effect.ignore
    )
  }

  private candidates(): Array<{ address: string; port: number }> {
    const candidates: Array<{ address: string; port: number }> = []
    for (const h of this.registry.all()) if (h.isUp) candidates.push({ address: h.address, port: h.port })
    for (const cp of this.options.contactPoints) {
      if (!candidates.some((c) => c.address === cp.address && c.port === cp.port)) candidates.push(cp)
    }
    return candidates
  }

  /** The new connection replaces the old one; its loss starts a reconnection. */
  private adopt(conn: Connection, connScope: Scope.Closeable): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      if (this.connScope !== undefined) yield* Scope.close(this.connScope, Exit.void)
      this.conn = conn
      this.connScope = connScope
      conn.onClose(() => {
        if (!this.shuttingDown()) this.runFork(Effect.forkIn(this.reconnect, this.scope))
      })
    })
  }
}
