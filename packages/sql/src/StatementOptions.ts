/**
 * Driver options for the statements of a region of code: consistency, timeout, page size, idempotence,
 * tracing... (the driver's `ExecuteOptions`, less those the client decides: `prepare`, `schema`,
 * `pagingState`). effect/sql's statements take no options of their own, so they come from the context:
 * `sql\`...\`.pipe(CassandraClient.withStatementOptions({ consistency: "QUORUM", idempotent: true }))`.
 * Over the Session's `defaults`, field by field.
 *
 * Definitions only (the connection reads them); `CassandraClient` re-exports them.
 *
 * @since 0.2.0
 */
import type { Session } from "@effect-cassandra/driver"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"

/**
 * The options a statement can take.
 *
 * @since 0.2.0
 * @category models
 */
export type StatementOptions = Omit<Session.ExecuteOptions, "prepare" | "schema" | "pagingState">

/**
 * The options of the statements run in the current context (default: none, the Session's `defaults`).
 *
 * @since 0.2.0
 * @category references
 */
export const CurrentStatementOptions: Context.Reference<StatementOptions | undefined> = Context.Reference<StatementOptions | undefined>(
  "@effect-cassandra/sql/CurrentStatementOptions",
  { defaultValue: () => undefined }
)

/**
 * Runs `self` (a statement, or any effect running statements) with these options, over the ones already
 * in place.
 *
 * @since 0.2.0
 * @category combinators
 */
export const withStatementOptions: {
  (options: StatementOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: StatementOptions): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, options: StatementOptions): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const current = fiber.getRef(CurrentStatementOptions)
    return Effect.provideService(self, CurrentStatementOptions, current === undefined ? options : { ...current, ...options })
  }))
