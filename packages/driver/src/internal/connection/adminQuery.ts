/**
 * Admin queries: the driver's own CQL on one connection (system tables, schema agreement, `USE`),
 * sent at consistency ONE with a deadline, answered by their rows (or none).
 *
 * It does not choose the connection, retry, or page: admin queries read small system tables.
 *
 * @since 0.1.0
 * @internal
 */
import { Consistency, type Request, type Row } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import type * as E from "../../Errors.ts"
import type { Connection } from "./Connection.ts"

const noRows: ReadonlyArray<Row> = []

/**
 * Runs `cql` on `conn` at ONE and waits at most `timeoutMillis` for its rows (none for a non-SELECT).
 *
 * @since 0.1.0
 */
export const adminQuery = (
  conn: Connection,
  cql: string,
  timeoutMillis: number
): Effect.Effect<ReadonlyArray<Row>, E.RequestError | E.InvalidInput> =>
  Effect.clockWith((clock) =>
    Effect.map(
      conn.send(
        { _tag: "Query", query: cql, params: { consistency: Consistency.ONE } },
        { deadline: clock.currentTimeMillisUnsafe() + timeoutMillis }
      ),
      (frame) => frame.response._tag === "Result" && frame.response.result.kind === "Rows" ? frame.response.result.rows : noRows
    )
  )

/**
 * A keyspace name as a CQL identifier: as is when it needs no quotes, double-quoted otherwise.
 *
 * @since 0.1.0
 */
export const quoteIdentifier = (name: string): string =>
  /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, "\"\"")}"`

/**
 * The `USE <keyspace>` statement.
 *
 * @since 0.1.0
 */
export const useQuery = (keyspace: string): string => `USE ${quoteIdentifier(keyspace)}`

/**
 * The `USE <keyspace>` request.
 *
 * @since 0.1.0
 */
export const useStatement = (keyspace: string): Request => ({
  _tag: "Query",
  query: useQuery(keyspace),
  params: { consistency: Consistency.ONE }
})
