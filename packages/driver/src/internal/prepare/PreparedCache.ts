/**
 * The prepared cache: a session's prepared statements by keyspace and query text. `prepare` runs the
 * PREPARE once per statement (concurrent callers share it; a failure is not cached), then prepares
 * it on every other host too; `prepareOn` prepares on one connection (after UNPREPARED); `reprepare`
 * prepares every cached statement on a pool that came (back) up, before requests go to it (the Java
 * driver's ReprepareOnUp). It keeps at most `maxPrepared` statements (default 500, as cassandra-driver),
 * evicting the least recently used: an evicted statement is prepared again when its text is next
 * prepared, and a `PreparedStatement` kept by the caller still runs (a host that forgot it answers
 * UNPREPARED, which the request path cures).
 *
 * It does not execute statements nor choose hosts for the first PREPARE (the request path does).
 *
 * @since 0.1.0
 * @internal
 */
import type { ResponseFrame } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import * as E from "../../Errors.ts"
import { internalRequestTimeoutMillis } from "../../ExecutionProfile.ts"
import type { Host } from "../../Host.ts"
import { PreparedStatement } from "../../Statement.ts"
import type { Connection } from "../connection/Connection.ts"
import type { HostPool } from "../pool/HostPool.ts"
import type { PoolManager } from "../pool/PoolManager.ts"

/**
 * Default of the Session's `maxPrepared`: statements kept per session (cassandra-driver's `maxPrepared`).
 *
 * @since 0.2.0
 */
export const DEFAULT_MAX_PREPARED = 500

/**
 * The PreparedStatement a PREPARE answered with.
 *
 * @since 0.1.0
 */
export const toPrepared = (frame: ResponseFrame, query: string, keyspace: string | undefined): Effect.Effect<PreparedStatement, E.DriverError> => {
  const r = frame.response
  if (r._tag !== "Result" || r.result.kind !== "Prepared") {
    return Effect.fail(new E.DriverError({ message: `expected a Prepared result, got ${r._tag}` }))
  }
  const p = r.result
  return Effect.succeed(new PreparedStatement({
    query,
    keyspace,
    id: p.id,
    resultMetadataId: p.resultMetadataId,
    variables: p.variables,
    pkIndexes: p.pkIndexes,
    resultColumns: p.resultMetadata.columns ?? []
  }))
}

type CustomPayload = ReadonlyMap<string, Uint8Array | null>

/**
 * Prepares `query` on one connection (sent with its keyspace from v5 on, and `customPayload` when given),
 * by `deadline` (Clock millis; default: the internal request timeout from now).
 *
 * @since 0.1.0
 */
export const prepareOn = (
  conn: Connection,
  query: string,
  keyspace: string | undefined,
  deadline?: number,
  customPayload?: CustomPayload
): Effect.Effect<PreparedStatement, E.RequestError | E.InvalidInput> =>
  Effect.clockWith((clock) =>
    Effect.flatMap(
      conn.send(
        { _tag: "Prepare", query, keyspace: conn.version >= 5 ? keyspace : undefined },
        { deadline: deadline ?? clock.currentTimeMillisUnsafe() + internalRequestTimeoutMillis, customPayload }
      ),
      (frame) => toPrepared(frame, query, keyspace)
    )
  )

/**
 * A prepared statement and the host whose PREPARE answered.
 *
 * @since 0.1.0
 */
export interface PreparedOn {
  readonly prepared: PreparedStatement
  readonly host: Host
}

/**
 * A session's prepared statements.
 *
 * @since 0.1.0
 */
export class PreparedCache {
  /** Oldest use first (a hit moves its key to the end), at most `maxPrepared` keys. */
  private readonly cache = new Map<string, Effect.Effect<PreparedStatement, E.CassandraError>>()
  /** The statements prepared so far (by cache key), to prepare again on hosts that come up. */
  private readonly statements = new Map<string, PreparedStatement>()
  /** The same statements by keyspace ("" for none), then query text: the lookup of a request, with no key to build. */
  private readonly ready = new Map<string, Map<string, PreparedStatement>>()
  private readonly pools: PoolManager
  private readonly prepareOnAllHosts: boolean
  private readonly reprepareOnUp: boolean
  private readonly maxPrepared: number
  /** The key of the last hit (a repeated hit does not reorder the map). */
  private lastKey: string | undefined = undefined
  /** Runs the first PREPARE of a statement over the query plan. */
  private readonly runPrepare: (query: string, keyspace: string | undefined, customPayload: CustomPayload | undefined) => Effect.Effect<PreparedOn, E.CassandraError>

  constructor(args: {
    readonly pools: PoolManager
    readonly prepareOnAllHosts: boolean
    readonly reprepareOnUp: boolean
    readonly maxPrepared?: number | undefined
    readonly runPrepare: (query: string, keyspace: string | undefined, customPayload: CustomPayload | undefined) => Effect.Effect<PreparedOn, E.CassandraError>
  }) {
    this.pools = args.pools
    this.prepareOnAllHosts = args.prepareOnAllHosts
    this.reprepareOnUp = args.reprepareOnUp
    this.maxPrepared = args.maxPrepared ?? DEFAULT_MAX_PREPARED
    this.runPrepare = args.runPrepare
  }

  /**
   * The statement prepared in `keyspace` (the session's when undefined), from the cache when it is there.
   * `customPayload` goes with the PREPAREs this call sends (none when the statement is cached).
   */
  prepare(query: string, keyspace: string | undefined, customPayload?: CustomPayload): Effect.Effect<PreparedStatement, E.CassandraError> {
    return Effect.suspend(() => {
      const ks = keyspace ?? this.pools.keyspace
      const key = `${ks ?? ""}\u0000${query}`
      const cached = this.cache.get(key)
      if (cached !== undefined) {
        if (key !== this.lastKey) {
          // the most recently used goes last
          this.cache.delete(key)
          this.cache.set(key, cached)
          this.lastKey = key
        }
        return cached
      }
      return Effect.flatMap(Effect.cached(this.prepareNew(key, query, ks, customPayload)), (shared) => {
        this.cache.set(key, shared)
        this.lastKey = key
        this.evict()
        return Effect.tapError(shared, () => Effect.sync(() => this.forget(key, shared)))
      })
    })
  }

  /** The statement already prepared in `keyspace` (the session's when undefined), if it is. */
  peek(query: string, keyspace: string | undefined): PreparedStatement | undefined {
    return this.ready.get(keyspace ?? this.pools.keyspace ?? "")?.get(query)
  }

  /** Statements kept (for tests and metrics). */
  get size(): number {
    return this.cache.size
  }

  /** Drops the least recently used statements beyond `maxPrepared`. */
  private evict(): void {
    while (this.cache.size > this.maxPrepared) {
      const oldest = this.cache.keys().next().value as string
      this.cache.delete(oldest)
      this.statements.delete(oldest)
      // and from the ready statements `peek` finds (the key is keyspace NUL query)
      const nul = oldest.indexOf("\u0000")
      this.ready.get(oldest.slice(0, nul))?.delete(oldest.slice(nul + 1))
    }
  }

  private forget(key: string, shared: Effect.Effect<PreparedStatement, E.CassandraError>): void {
    if (this.cache.get(key) === shared) this.cache.delete(key)
    if (this.lastKey === key) this.lastKey = undefined
  }

  /** Prepares the cached statements on a pool that just came (back) up; failures are left to UNPREPARED. */
  reprepare(pool: HostPool): Effect.Effect<void> {
    return Effect.suspend(() => {
      const conn = pool.borrow()
      if (!this.reprepareOnUp || conn === undefined || this.statements.size === 0) return Effect.void
      return Effect.forEach(
        [...this.statements.values()],
        (p) => Effect.ignore(prepareOn(conn, p.query, p.keyspace)),
        { concurrency: 8, discard: true }
      )
    })
  }

  private prepareNew(
    key: string,
    query: string,
    keyspace: string | undefined,
    customPayload: CustomPayload | undefined
  ): Effect.Effect<PreparedStatement, E.CassandraError> {
    return Effect.gen({ self: this }, function*() {
      const { host, prepared } = yield* this.runPrepare(query, keyspace, customPayload)
      // an entry evicted while it was being prepared is not prepared on hosts that come up
      if (this.cache.has(key)) this.statements.set(key, prepared)
      let inKeyspace = this.ready.get(keyspace ?? "")
      if (inKeyspace === undefined) this.ready.set(keyspace ?? "", inKeyspace = new Map())
      inKeyspace.set(query, prepared)
      if (this.prepareOnAllHosts) {
        yield* Effect.forEach(
          this.pools.others(host),
          (p) => {
            const conn = p.borrow()
            return conn === undefined ? Effect.void : Effect.ignore(prepareOn(conn, query, keyspace, undefined, customPayload))
          },
          { concurrency: "unbounded", discard: true }
        )
      }
      return prepared
    })
  }
}
