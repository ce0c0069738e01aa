/**
 * The timers of connections: the deadline sweeper that fails requests whose client-side timeout
 * passed (one per cluster for all its connections, or one per connection when it has no shared set),
 * and the idle heartbeat that sends OPTIONS on a connection nothing was written to for a while.
 *
 * It does not decide what a timeout means for the request (the request path does), nor reconnect.
 *
 * @since 0.1.0
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import * as E from "../../Errors.ts"
import type { Connection } from "./Connection.ts"

/**
 * Resolution of client-side timeouts.
 *
 * @since 0.1.0
 */
export const SWEEP_MILLIS = 25

/**
 * Checks the timeouts of every connection of `set` every SWEEP_MILLIS, for as long as it runs.
 *
 * @since 0.1.0
 */
export const sweepEvery = (set: Set<Connection>): Effect.Effect<never> =>
  Effect.clockWith((clock) =>
    Effect.forever(Effect.andThen(
      Effect.sleep(SWEEP_MILLIS),
      Effect.sync(() => {
        if (set.size === 0) return
        const now = clock.currentTimeMillisUnsafe()
        for (const conn of set) if (conn.inFlight > 0 && conn.closed === undefined) conn.sweep(now)
      })
    ))
  )

/**
 * Starts a connection's timers in the current scope: its deadlines are checked by the shared
 * sweeper of `sweepSet` (or a sweeper of its own), and it sends a heartbeat after `heartbeatMillis`
 * without a write (0: never).
 *
 * @since 0.1.0
 */
export const startTimers = (
  conn: Connection,
  sweepSet: Set<Connection> | undefined,
  heartbeatMillis: number,
  clock: Clock.Clock
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    if (sweepSet !== undefined) {
      sweepSet.add(conn)
      conn.onClose(() => sweepSet.delete(conn))
      yield* Effect.addFinalizer(() => Effect.sync(() => sweepSet.delete(conn)))
    } else {
      yield* Effect.forkScoped(sweeper(conn, clock))
    }
    if (heartbeatMillis > 0) yield* Effect.forkScoped(heartbeats(conn, heartbeatMillis, clock))
  })

const sweeper = (conn: Connection, clock: Clock.Clock): Effect.Effect<void> =>
  Effect.gen(function*() {
    while (conn.closed === undefined) {
      yield* Effect.sleep(SWEEP_MILLIS)
      if (conn.inFlight > 0) conn.sweep(clock.currentTimeMillisUnsafe())
    }
  })

const heartbeats = (conn: Connection, interval: number, clock: Clock.Clock): Effect.Effect<void> =>
  Effect.gen(function*() {
    let seen = conn.writes
    while (conn.closed === undefined) {
      yield* Effect.sleep(interval)
      if (conn.closed !== undefined) return
      // something was written since the last check, `interval` ago: the connection is not idle
      if (conn.writes !== seen) {
        seen = conn.writes
        continue
      }
      const deadline = clock.currentTimeMillisUnsafe() + interval
      const exit = yield* Effect.exit(conn.send({ _tag: "Options" }, { deadline }))
      // the heartbeat's own write does not count as activity
      seen = conn.writes
      if (Exit.isFailure(exit) && conn.closed === undefined) {
        conn.fail(new E.ConnectionError({
          message: `heartbeat failed: ${Cause.pretty(exit.cause)}`,
          host: conn.address
        }))
      }
    }
  })
