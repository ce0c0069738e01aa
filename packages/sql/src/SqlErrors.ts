/**
 * How the driver's errors become effect/sql's: every `CassandraError` is an `SqlError` whose `reason`
 * is one of effect/sql's groups (connection, authentication, authorization, syntax, timeout,
 * constraint, unknown), with the driver's error as the reason's `cause`; and `Unsupported`, the cause
 * of the `SqlError` of what CQL cannot do (transactions, RETURNING, multi-row VALUES, UPDATE ... FROM).
 *
 * It does not run anything: the connection (internal/connection.ts) maps the errors of each call.
 *
 * @since 0.2.0
 */
import type { Errors } from "@effect-cassandra/driver"
import * as Schema from "effect/Schema"
import { SqlError as S } from "effect/sql"

const { AuthenticationError, AuthorizationError, ConnectionError, ConstraintError, SqlError, SqlSyntaxError, StatementTimeoutError, UnknownError } = S

/**
 * What CQL cannot do, as the `cause` of an `SqlError`: `feature` names it, `message` says why and what
 * to use instead.
 *
 * @since 0.2.0
 * @category errors
 */
export class Unsupported extends Schema.TaggedError<Unsupported>()("Unsupported", {
  feature: Schema.Literals(["transaction", "returning", "multiRowInsert", "updateValues"]),
  message: Schema.String
}) {}

/**
 * The features `Unsupported` names.
 *
 * @since 0.2.0
 * @category models
 */
export type Feature = Unsupported["feature"]

const why: Record<Feature, string> = {
  transaction:
    "Cassandra has no transactions: use a BATCH (CassandraClient's batch: a logged batch is applied entirely or not at all, without isolation) or a conditional statement (IF ...: a lightweight transaction)",
  returning:
    "CQL has no RETURNING: read the row back with a SELECT, or use a conditional statement (IF ...), whose result carries [applied] and the current values",
  multiRowInsert:
    "CQL inserts one row per INSERT: run one statement per row, or them all in CassandraClient's batch",
  updateValues: "CQL has no UPDATE ... FROM (VALUES ...): run one UPDATE per row, or them all in CassandraClient's batch"
}

/**
 * The `SqlError` of an unsupported feature: `SqlSyntaxError` for a statement CQL cannot express
 * (RETURNING, multi-row VALUES, UPDATE ... FROM), `UnknownError` for transactions; the cause is an
 * `Unsupported`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const unsupported = (feature: Feature, operation: string): S.SqlError => {
  const cause = new Unsupported({ feature, message: why[feature] })
  const props = { cause, message: cause.message, operation }
  return new SqlError({ reason: feature === "transaction" ? new UnknownError(props) : new SqlSyntaxError(props) })
}

const allAuthentication = (error: Errors.NoHostAvailable): boolean => {
  const errors = Object.values(error.errors)
  return errors.length > 0 && errors.every((e) => (e as { readonly _tag?: unknown })._tag === "AuthenticationError")
}

/**
 * The effect/sql reason of a driver error:
 *
 * | reason | driver errors |
 * | --- | --- |
 * | `ConnectionError` | `ConnectionError`, `NoHostAvailable` (unless every host refused the credentials), `Unavailable`, `Overloaded`, `IsBootstrapping`, `SessionClosed`, `HostBusy`, `RequestThrottled` |
 * | `AuthenticationError` | `AuthenticationError`, `NoHostAvailable` whose every host refused the credentials |
 * | `AuthorizationError` | `Unauthorized` |
 * | `SqlSyntaxError` | `SyntaxError` (`CqlSyntaxError`), `InvalidRequest`, `ConfigurationError`, `InvalidInput`, `UserTypeDoesNotExist` |
 * | `StatementTimeoutError` | `OperationTimedOut`, `ReadTimeout`, `WriteTimeout`, `CasWriteUnknown`, `TruncateError`, `SchemaDisagreement` |
 * | `ConstraintError` | `AlreadyExists` |
 * | `UnknownError` | `ServerError`, `ProtocolError`, `ReadFailure`, `WriteFailure`, `FunctionFailure`, `CdcWriteFailure`, `Unprepared`, `DriverError`, `RowDecodeError`, `TraceUnavailable`, `QueryExhausted`, `TooManyRows` |
 *
 * @since 0.2.0
 * @category converting
 */
export const reasonOf = (error: Errors.CassandraError, operation?: string): S.SqlErrorReason => {
  const props = { cause: error, message: error.message, operation }
  switch (error._tag) {
    case "ConnectionError":
    case "Unavailable":
    case "Overloaded":
    case "IsBootstrapping":
    case "SessionClosed":
    case "HostBusy":
    case "RequestThrottled":
      return new ConnectionError(props)
    case "NoHostAvailable":
      return allAuthentication(error) ? new AuthenticationError(props) : new ConnectionError(props)
    case "AuthenticationError":
      return new AuthenticationError(props)
    case "Unauthorized":
      return new AuthorizationError(props)
    case "SyntaxError":
    case "InvalidRequest":
    case "ConfigurationError":
    case "InvalidInput":
    case "UserTypeDoesNotExist":
      return new SqlSyntaxError(props)
    case "OperationTimedOut":
    case "ReadTimeout":
    case "WriteTimeout":
    case "CasWriteUnknown":
    case "TruncateError":
    case "SchemaDisagreement":
      return new StatementTimeoutError(props)
    case "AlreadyExists":
      return new ConstraintError(props)
    case "ServerError":
    case "ProtocolError":
    case "ReadFailure":
    case "WriteFailure":
    case "FunctionFailure":
    case "CdcWriteFailure":
    case "Unprepared":
    case "DriverError":
    case "RowDecodeError":
    case "TraceUnavailable":
    case "QueryExhausted":
    case "TooManyRows":
      return new UnknownError(props)
  }
}

/**
 * A driver error as an `SqlError` (its reason: `reasonOf`).
 *
 * @since 0.2.0
 * @category converting
 */
export const fromCassandraError = (error: Errors.CassandraError, operation?: string): S.SqlError =>
  new SqlError({ reason: reasonOf(error, operation) })
