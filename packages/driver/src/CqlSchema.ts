/**
 * Schema on the way in and out, as effect/sql's `SqlSchema` does: `findAll`, `findOne`, `void` and
 * `stream` build functions that encode a request with a `Schema` into the statement's values and decode
 * every row with another; and Schemas for the CQL values the protocol decodes to classes or strings:
 * `date` (`LocalDate`), `time` (`LocalTime`), `duration` (`CqlDuration`), `inet`, `uuid` and `timeuuid`.
 *
 * A request that does not encode fails with `InvalidInput` before anything is sent; a row that does not
 * decode fails with `RowDecodeError`, so every failure stays a `CassandraError`.
 *
 * It does not generate UUIDs (the `Uuid` module does) nor bind values (the request path does).
 *
 * @since 0.2.0
 */
import {
  CqlDuration as CqlDurationClass,
  LocalDate as LocalDateClass,
  LocalTime as LocalTimeClass,
  parseInet,
  parseUuid
} from "@effect-cassandra/protocol/CqlValues"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaTransformation from "effect/SchemaTransformation"
import * as Stream from "effect/Stream"
import * as E from "./Errors.ts"
import type { ResultSet } from "./ResultSet.ts"
import * as Session from "./Session.ts"
import type { ExecuteOptions, Params } from "./Statement.ts"

// ---- value Schemas ---------------------------------------------------------------------------

/**
 * A CQL `date` as the driver reads and binds it: a `LocalDate` (days since the epoch, any year).
 *
 * @since 0.2.0
 * @category schemas
 */
export const LocalDate = Schema.instanceOf(LocalDateClass, { expected: "a LocalDate (CQL date)" })

/**
 * A CQL `time` as the driver reads and binds it: a `LocalTime` (nanoseconds since midnight).
 *
 * @since 0.2.0
 * @category schemas
 */
export const LocalTime = Schema.instanceOf(LocalTimeClass, { expected: "a LocalTime (CQL time)" })

/**
 * A CQL `duration` as the driver reads and binds it: a `CqlDuration` (months, days, nanoseconds).
 *
 * @since 0.2.0
 * @category schemas
 */
export const CqlDuration = Schema.instanceOf(CqlDurationClass, { expected: "a CqlDuration (CQL duration)" })

/** A transformation from a string by a parser that throws RangeError, back by `toString`. */
const fromString = <T extends { toString(): string }>(parse: (s: string) => T, what: string) =>
  SchemaTransformation.transformEffect<T, string>({
    decode: (s) =>
      Effect.try({
        try: () => parse(s),
        catch: (e) => new SchemaIssue.InvalidValue({ message: e instanceof Error ? e.message : `not ${what}` }, s)
      }),
    encode: (t) => Effect.succeed(t.toString())
  })

/**
 * An ISO date string (`2024-02-29`) decoded to a `LocalDate`, and back.
 *
 * @since 0.2.0
 * @category schemas
 */
export const LocalDateFromString = Schema.String.pipe(Schema.decodeTo(LocalDate, fromString((s) => LocalDateClass.fromString(s), "an ISO date")))

/**
 * A time string (`13:45:00.5`) decoded to a `LocalTime`, and back (`13:45:00.500000000`).
 *
 * @since 0.2.0
 * @category schemas
 */
export const LocalTimeFromString = Schema.String.pipe(Schema.decodeTo(LocalTime, fromString((s) => LocalTimeClass.fromString(s), "a time of day")))

/**
 * A duration string (ISO 8601 `P1DT2H` or CQL units `1d2h`) decoded to a `CqlDuration`, and back (ISO 8601).
 *
 * @since 0.2.0
 * @category schemas
 */
export const CqlDurationFromString = Schema.String.pipe(Schema.decodeTo(CqlDuration, fromString((s) => CqlDurationClass.fromString(s), "a duration")))

/**
 * A `date` column as a JavaScript `Date` at midnight UTC: rows decode `LocalDate` to `Date`, requests encode
 * `Date` to `LocalDate` (the UTC day of the instant).
 *
 * @since 0.2.0
 * @category schemas
 */
export const DateFromLocalDate = LocalDate.pipe(Schema.decodeTo(
  Schema.Date,
  SchemaTransformation.transformEffect<Date, LocalDateClass>({
    decode: (d) =>
      Effect.try({
        try: () => d.toDate(),
        catch: (e) => new SchemaIssue.InvalidValue({ message: e instanceof Error ? e.message : "outside Date's range" }, d)
      }),
    encode: (date) =>
      Effect.try({
        try: () => LocalDateClass.fromDate(date),
        catch: () => new SchemaIssue.InvalidValue({ message: "an invalid Date" }, date)
      })
  })
))

/**
 * A CQL `inet`: an IPv4 or IPv6 address string, as the driver reads and binds it.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Inet = Schema.String.check(Schema.makeFilter((s) => parseInet(s) !== undefined || "an IPv4 or IPv6 address", { expected: "an inet address" }))

/**
 * A CQL `uuid`: a UUID string (any version), as the driver reads and binds it.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Uuid = Schema.String.check(Schema.makeFilter((s) => parseUuid(s) !== undefined || "a UUID (8-4-4-4-12 hex digits)", { expected: "a uuid" }))

/**
 * A CQL `timeuuid`: a version 1 (time-based) UUID string. Cassandra refuses other versions in a timeuuid column.
 *
 * @since 0.2.0
 * @category schemas
 */
export const TimeUuid = Schema.String.check(Schema.makeFilter((s) => {
  const bytes = parseUuid(s)
  if (bytes === undefined) return "a UUID (8-4-4-4-12 hex digits)"
  return (bytes[6]! >> 4) === 1 || `a version 1 (time-based) UUID, not version ${bytes[6]! >> 4}`
}, { expected: "a timeuuid" }))

// ---- requests and rows -----------------------------------------------------------------------

/**
 * What the helpers take: the statement, the Schema of the request (encoded into the statement's
 * values: a struct for named values, a tuple for positional ones) and of each row, and the options of
 * every execution (`prepare` defaults to true: the values are bound with the statement's types).
 *
 * @since 0.2.0
 * @category models
 */
export interface QuerySchemas<Req extends Schema.Top, Res extends Schema.Top> {
  readonly query: string
  readonly Request: Req
  readonly Result: Res
  readonly options?: Omit<ExecuteOptions, "schema"> | undefined
}

const encodeParams = <Req extends Schema.Top>(schema: Req, request: Req["Type"]): Effect.Effect<Params, E.InvalidInput, Req["EncodingServices"]> =>
  Effect.mapError(
    Schema.encodeEffect(schema as unknown as Schema.Codec<Req["Type"], Params, never, Req["EncodingServices"]>)(request),
    (error) => new E.InvalidInput({ message: `request does not encode: ${error.message}`, path: "request", expected: "the Request schema's type" })
  )

const rowOptions = <Res extends Schema.Top>(options: QuerySchemas<any, Res>): ExecuteOptions<Res["Type"]> => ({
  prepare: true,
  ...options.options,
  schema: options.Result as unknown as Schema.Decoder<Res["Type"]>
})

const run = <Req extends Schema.Top, Res extends Schema.Top>(
  options: QuerySchemas<Req, Res>,
  request: Req["Type"]
): Effect.Effect<ResultSet<Res["Type"]>, E.CassandraError, Session.Session | Req["EncodingServices"]> => {
  const execute = rowOptions(options)
  return Effect.flatMap(encodeParams(options.Request, request), (params) => Session.execute<Res["Type"]>(options.query, params, execute))
}

/**
 * Every row of the first page (`fetchSize` rows at most: `stream` reads them all), decoded.
 *
 * @since 0.2.0
 * @category constructors
 */
export const findAll = <Req extends Schema.Top, Res extends Schema.Top>(options: QuerySchemas<Req, Res>) =>
(request: Req["Type"]): Effect.Effect<ReadonlyArray<Res["Type"]>, E.CassandraError, Session.Session | Req["EncodingServices"]> =>
  Effect.map(run(options, request), (rs) => rs.rows)

/**
 * The first row, if any, decoded.
 *
 * @since 0.2.0
 * @category constructors
 */
export const findOne = <Req extends Schema.Top, Res extends Schema.Top>(options: QuerySchemas<Req, Res>) =>
(request: Req["Type"]): Effect.Effect<Option.Option<Res["Type"]>, E.CassandraError, Session.Session | Req["EncodingServices"]> =>
  Effect.map(run(options, request), (rs) => rs.rows.length === 0 ? Option.none() : Option.some(rs.rows[0]!))

/**
 * Runs a statement whose rows do not matter (writes, DDL), encoding its request.
 *
 * @since 0.2.0
 * @category constructors
 */
export const void_ = <Req extends Schema.Top>(options: { readonly query: string; readonly Request: Req; readonly options?: Omit<ExecuteOptions, "schema"> | undefined }) =>
(request: Req["Type"]): Effect.Effect<void, E.CassandraError, Session.Session | Req["EncodingServices"]> =>
  Effect.flatMap(encodeParams(options.Request, request), (params) => Effect.asVoid(Session.execute(options.query, params, { prepare: true, ...options.options })))

/**
 * `CqlSchema.void`: runs a statement whose rows do not matter, encoding its request.
 *
 * @since 0.2.0
 * @category constructors
 */
export { void_ as void }

/**
 * Every row of every page, decoded, fetched as the consumer pulls (`Session.stream`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const stream = <Req extends Schema.Top, Res extends Schema.Top>(options: QuerySchemas<Req, Res>) =>
(request: Req["Type"]): Stream.Stream<Res["Type"], E.CassandraError, Session.Session | Req["EncodingServices"]> =>
  Stream.unwrap(Effect.map(encodeParams(options.Request, request), (params) => Session.stream<Res["Type"]>(options.query, params, rowOptions(options))))
