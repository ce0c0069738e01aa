/**
 * effect/sql's `Connection` over one driver `Session`: `execute` runs a prepared statement (cached by the
 * session) and reads every page, `executeStream` is `Session.stream`, `executeUnprepared` a simple
 * statement, `executeValues` rows as arrays in column order, `executeRaw` the driver's `ResultSet` of
 * the first page. Every driver error becomes an `SqlError` (SqlErrors.reasonOf); what the compiler
 * marked as not CQL fails with its `Unsupported` reason before anything is sent.
 *
 * It holds no connection of its own (the session pools them) and does not compile (internal/compiler.ts).
 *
 * @since 0.2.0
 * @internal
 */
import type { ResultSet, Session } from "@effect-cassandra/driver"
import type { Errors } from "@effect-cassandra/driver"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import type { SqlConnection, SqlError } from "effect/sql"
import { fromCassandraError, unsupported } from "../SqlErrors.ts"
import { CurrentStatementOptions } from "../StatementOptions.ts"
import { unsupportedFeature } from "./compiler.ts"

type Transform = (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined
type Row = Record<string, unknown>

const PREPARED = { prepare: true } as const
const SIMPLE = { prepare: false } as const
type Mode = typeof PREPARED | typeof SIMPLE

/** The options of one call: the mode, with the context's statement options (`withStatementOptions`) when there are any. */
const optionsOf = (fiber: Fiber.Fiber<unknown, unknown>, mode: Mode): Session.ExecuteOptions<Row> => {
  const extra = fiber.getRef(CurrentStatementOptions)
  return extra === undefined ? mode : { ...extra, prepare: mode.prepare }
}

/** A statement without bind markers that changes the schema or the keyspace: sent as it is, not prepared. */
const schemaStatement = /^\s*(?:CREATE|ALTER|DROP|TRUNCATE|USE|GRANT|REVOKE|LIST)\b/i

/**
 * The connection of a `CassandraClient`: one per client, shared by every fiber (the session multiplexes).
 *
 * @since 0.2.0
 */
export class SessionConnection implements SqlConnection.Connection {
  readonly session: Session.SessionShape
  constructor(session: Session.SessionShape) {
    this.session = session
  }

  execute(sql: string, params: ReadonlyArray<unknown>, transformRows: Transform): Effect.Effect<ReadonlyArray<any>, SqlError.SqlError> {
    const options = params.length === 0 && schemaStatement.test(sql) ? SIMPLE : PREPARED
    return this.rows(sql, params, options, "execute", transformRows)
  }

  executeUnprepared(sql: string, params: ReadonlyArray<unknown>, transformRows: Transform): Effect.Effect<ReadonlyArray<any>, SqlError.SqlError> {
    return this.rows(sql, params, SIMPLE, "executeUnprepared", transformRows)
  }

  executeRaw(sql: string, params: ReadonlyArray<unknown>): Effect.Effect<ResultSet.ResultSet, SqlError.SqlError> {
    const feature = unsupportedFeature(sql)
    if (feature !== undefined) return Effect.fail(unsupported(feature, "executeRaw"))
    return Effect.withFiber((fiber) =>
      Effect.mapError(this.session.execute(sql, params, optionsOf(fiber, PREPARED)), (e) => fromCassandraError(e, "executeRaw"))
    )
  }

  executeValues(sql: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, SqlError.SqlError> {
    return this.values(sql, params, PREPARED, "executeValues")
  }

  executeValuesUnprepared(sql: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, SqlError.SqlError> {
    return this.values(sql, params, SIMPLE, "executeValuesUnprepared")
  }

  executeStream(sql: string, params: ReadonlyArray<unknown>, transformRows: Transform): Stream.Stream<any, SqlError.SqlError> {
    const feature = unsupportedFeature(sql)
    if (feature !== undefined) return Stream.fail(unsupported(feature, "executeStream"))
    const rows = Stream.unwrap(Effect.withFiber((fiber) =>
      Effect.succeed(Stream.mapError(this.session.stream<Row>(sql, params, optionsOf(fiber, PREPARED)), (e) => fromCassandraError(e, "executeStream")))
    ))
    return transformRows === undefined ? rows : Stream.mapArray(rows, (chunk) => transformRows(chunk) as any)
  }

  /**
   * One BATCH of compiled statements, each prepared (through the session's cache); the rows of a
   * conditional batch (`[applied]`, and the current values when not applied).
   */
  batch(
    statements: ReadonlyArray<readonly [sql: string, params: ReadonlyArray<unknown>]>,
    options: Session.BatchOptions | undefined
  ): Effect.Effect<ReadonlyArray<Row>, SqlError.SqlError> {
    for (const [sql] of statements) {
      const feature = unsupportedFeature(sql)
      if (feature !== undefined) return Effect.fail(unsupported(feature, "batch"))
    }
    const session = this.session
    return Effect.withFiber((fiber) => {
      const { fetchSize: _, ...extra } = fiber.getRef(CurrentStatementOptions) ?? {}
      const batchOptions: Session.BatchOptions = { ...extra, ...options }
      return Effect.forEach(statements, ([sql]) => session.prepare(sql)).pipe(
        Effect.flatMap((prepared) => session.batch(prepared.map((query, i) => ({ query, params: statements[i]![1] })), batchOptions)),
        Effect.map((rs) => rs.rows as ReadonlyArray<Row>)
      )
    }).pipe(Effect.mapError((e) => fromCassandraError(e, "batch")))
  }

  /** Every page of a statement's rows. */
  private rows(
    sql: string,
    params: ReadonlyArray<unknown>,
    options: Mode,
    operation: string,
    transformRows: Transform
  ): Effect.Effect<ReadonlyArray<any>, SqlError.SqlError> {
    const feature = unsupportedFeature(sql)
    if (feature !== undefined) return Effect.fail(unsupported(feature, operation))
    const all = Effect.withFiber((fiber) => Effect.flatMap(this.session.execute<Row>(sql, params, optionsOf(fiber, options)), allRows))
    return Effect.mapError(
      transformRows === undefined ? all : Effect.map(all, (rows) => transformRows(rows)),
      (e) => fromCassandraError(e, operation)
    )
  }

  /** Every page, each row as its values in column order. */
  private values(
    sql: string,
    params: ReadonlyArray<unknown>,
    options: Mode,
    operation: string
  ): Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, SqlError.SqlError> {
    const feature = unsupportedFeature(sql)
    if (feature !== undefined) return Effect.fail(unsupported(feature, operation))
    return Effect.flatMap(Effect.withFiber((fiber) => this.session.execute<Row>(sql, params, optionsOf(fiber, options))), (first) => {
      const names = first.columns.map((c) => c.name)
      return Effect.map(allRows(first), (rows) => rows.map((row) => names.map((name) => row[name])))
    }).pipe(Effect.mapError((e) => fromCassandraError(e, operation)))
  }
}

/** The rows of `first` and of every page after it. */
const allRows = (first: ResultSet.ResultSet<Row>): Effect.Effect<ReadonlyArray<Row>, Errors.CassandraError> => {
  if (!first.hasMorePages) return Effect.succeed(first.rows)
  return Effect.gen(function*() {
    const rows = first.rows.slice()
    let page = first
    while (page.hasMorePages) {
      page = yield* page.nextPage
      for (const row of page.rows) rows.push(row)
    }
    return rows
  })
}
