/**
 * Every failure of the driver is one of these tagged errors, in the Effect error channel.
 *
 * Server errors (one class per protocol error code, with the code's fields), client-side errors
 * (connection, timeout, bad input, no host available) and the union `CassandraError`. Every error
 * has `code` (the protocol error code of a server error, `undefined` for the driver's own) and
 * `isRetryable` (whether trying again, later or elsewhere, may succeed: it does not say whether it is
 * safe, which depends on the statement being idempotent; the retry policy decides that per attempt).
 *
 * The errors stay one flat union of tags, for `Effect.catchTag`/`catchTags`, the retry policy and the
 * metrics, which switch on `_tag`. A `reason`-style wrapper (as effect/sql's `SqlError`) is what
 * `@effect-cassandra/sql` gives: there every `CassandraError` becomes an `SqlError` whose `reason` is
 * one of effect/sql's groups, for `Effect.catchReason`.
 *
 * Definitions only: the mapping of ERROR bodies lives in internal/connection/serverErrors.ts, the decisions on them in the retry policy.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

const fields = {
  message: Schema.String,
  /** Address of the host that answered (or failed), `host:port`. */
  host: Schema.optional(Schema.String)
}

// ---------------------------------------------------------------------------
// Server errors (ERROR responses)
// ---------------------------------------------------------------------------

/**
 * 0x0000: the server had an internal error.
 *
 * @since 0.1.0
 */
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", fields) {
  /** The protocol error code, 0x0000. */
  get code(): number {
    return 0x0000
  }
  /** true: an internal error of one node may not repeat on the next attempt. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * 0x000A: the server says the client broke the protocol.
 *
 * @since 0.1.0
 */
export class ProtocolError extends Schema.TaggedError<ProtocolError>()("ProtocolError", fields) {
  /** The protocol error code, 0x000a. */
  get code(): number {
    return 0x000a
  }
  /** false: the same request breaks the protocol again. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 0x0100, or an authenticator refusing the credentials.
 *
 * @since 0.1.0
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", fields) {
  /** The protocol error code, 0x0100. */
  get code(): number {
    return 0x0100
  }
  /** false: the same credentials are refused again. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 0x1000: not enough replicas alive for the consistency level.
 *
 * @since 0.1.0
 */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  ...fields,
  consistency: Schema.String,
  required: Schema.Number,
  alive: Schema.Number
}) {
  /** The protocol error code, 0x1000. */
  get code(): number {
    return 0x1000
  }
  /** true: replicas may come back. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * 0x1001: the coordinator is overloaded.
 *
 * @since 0.1.0
 */
export class Overloaded extends Schema.TaggedError<Overloaded>()("Overloaded", fields) {
  /** The protocol error code, 0x1001. */
  get code(): number {
    return 0x1001
  }
  /** true: the load may drop, or another coordinator answer. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * 0x1002: the coordinator is bootstrapping.
 *
 * @since 0.1.0
 */
export class IsBootstrapping extends Schema.TaggedError<IsBootstrapping>()("IsBootstrapping", fields) {
  /** The protocol error code, 0x1002. */
  get code(): number {
    return 0x1002
  }
  /** true: another coordinator, or the same one once bootstrapped, can serve it. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * 0x1003: a TRUNCATE failed.
 *
 * @since 0.1.0
 */
export class TruncateError extends Schema.TaggedError<TruncateError>()("TruncateError", fields) {
  /** The protocol error code, 0x1003. */
  get code(): number {
    return 0x1003
  }
  /** true: a TRUNCATE that timed out may succeed when every replica answers. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * 0x1100: replicas did not acknowledge a write in time.
 *
 * @since 0.1.0
 */
export class WriteTimeout extends Schema.TaggedError<WriteTimeout>()("WriteTimeout", {
  ...fields,
  consistency: Schema.String,
  received: Schema.Number,
  blockFor: Schema.Number,
  writeType: Schema.String,
  contentions: Schema.optional(Schema.Number)
}) {
  /** The protocol error code, 0x1100. */
  get code(): number {
    return 0x1100
  }
  /** true: the replicas may answer next time (safe only for an idempotent write: it may have been applied). */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * 0x1200: replicas did not answer a read in time.
 *
 * @since 0.1.0
 */
export class ReadTimeout extends Schema.TaggedError<ReadTimeout>()("ReadTimeout", {
  ...fields,
  consistency: Schema.String,
  received: Schema.Number,
  blockFor: Schema.Number,
  dataPresent: Schema.Boolean
}) {
  /** The protocol error code, 0x1200. */
  get code(): number {
    return 0x1200
  }
  /** true: the replicas may answer next time. */
  get isRetryable(): boolean {
    return true
  }
}

const failureFields = {
  ...fields,
  consistency: Schema.String,
  received: Schema.Number,
  blockFor: Schema.Number,
  numFailures: Schema.Number,
  reasons: Schema.Array(Schema.Struct({ address: Schema.String, reason: Schema.Number }))
}

/**
 * 0x1300: a replica failed a read (e.g. too many tombstones).
 *
 * @since 0.1.0
 */
export class ReadFailure extends Schema.TaggedError<ReadFailure>()("ReadFailure", {
  ...failureFields,
  dataPresent: Schema.Boolean
}) {
  /** The protocol error code, 0x1300. */
  get code(): number {
    return 0x1300
  }
  /**
   * true when every replica's reason (v5) is UNKNOWN (0) or INCOMPATIBLE_SCHEMA (3): what a replica that
   * has not applied a schema change yet answers (Cassandra 5.0 says UNKNOWN), which passes once it has.
   * false for too many tombstones (1), a read too large (4) or an index (6, 7), which fail again, and
   * when no reason is given (v3, v4).
   */
  get isRetryable(): boolean {
    return this.reasons.length > 0 && this.reasons.every((r) => r.reason === 0 || r.reason === 3)
  }
}

/**
 * 0x1500: a replica failed a write.
 *
 * @since 0.1.0
 */
export class WriteFailure extends Schema.TaggedError<WriteFailure>()("WriteFailure", {
  ...failureFields,
  writeType: Schema.String
}) {
  /** The protocol error code, 0x1500. */
  get code(): number {
    return 0x1500
  }
  /** false: a replica failed the write itself: it fails again. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 0x1400: a user-defined function failed.
 *
 * @since 0.1.0
 */
export class FunctionFailure extends Schema.TaggedError<FunctionFailure>()("FunctionFailure", {
  ...fields,
  keyspace: Schema.String,
  functionName: Schema.String,
  argTypes: Schema.Array(Schema.String)
}) {
  /** The protocol error code, 0x1400. */
  get code(): number {
    return 0x1400
  }
  /** false: the function fails again on the same arguments. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 0x1600: a CDC write failed.
 *
 * @since 0.1.0
 */
export class CdcWriteFailure extends Schema.TaggedError<CdcWriteFailure>()("CdcWriteFailure", fields) {
  /** The protocol error code, 0x1600. */
  get code(): number {
    return 0x1600
  }
  /** true: CDC space may be freed. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * 0x1700: a CAS write's outcome is unknown.
 *
 * @since 0.1.0
 */
export class CasWriteUnknown extends Schema.TaggedError<CasWriteUnknown>()("CasWriteUnknown", {
  ...fields,
  consistency: Schema.String,
  received: Schema.Number,
  blockFor: Schema.Number
}) {
  /** The protocol error code, 0x1700. */
  get code(): number {
    return 0x1700
  }
  /** true: a conditional write can be tried again: its condition is checked again. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * 0x2000: the CQL text does not parse. Named so that it does not shadow the global `SyntaxError`;
 * its `_tag` stays `"SyntaxError"`, so `Effect.catchTag("SyntaxError")`, retry policies and the
 * metrics' `outcome` keep working.
 *
 * @since 0.2.0
 */
export class CqlSyntaxError extends Schema.TaggedError<CqlSyntaxError>()("SyntaxError", fields) {
  /** The protocol error code, 0x2000. */
  get code(): number {
    return 0x2000
  }
  /** false: the same text does not parse again. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * The former name of `CqlSyntaxError`.
 *
 * @deprecated Use `CqlSyntaxError`: `SyntaxError` shadows the global of the same name.
 * @since 0.1.0
 */
export const SyntaxError = CqlSyntaxError

/**
 * The former name of `CqlSyntaxError`.
 *
 * @deprecated Use `CqlSyntaxError`.
 * @since 0.1.0
 */
export type SyntaxError = CqlSyntaxError

/**
 * 0x2100: the user lacks a permission.
 *
 * @since 0.1.0
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", fields) {
  /** The protocol error code, 0x2100. */
  get code(): number {
    return 0x2100
  }
  /** false: the permission is still missing. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 0x2200: the query is syntactically right but invalid.
 *
 * @since 0.1.0
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", fields) {
  /** The protocol error code, 0x2200. */
  get code(): number {
    return 0x2200
  }
  /** false: the same request is invalid again. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 0x2300: the query is invalid because of a configuration issue.
 *
 * @since 0.1.0
 */
export class ConfigurationError extends Schema.TaggedError<ConfigurationError>()("ConfigurationError", fields) {
  /** The protocol error code, 0x2300. */
  get code(): number {
    return 0x2300
  }
  /** false: the configuration does not change by itself. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 0x2400: a keyspace or table that already exists.
 *
 * @since 0.1.0
 */
export class AlreadyExists extends Schema.TaggedError<AlreadyExists>()("AlreadyExists", {
  ...fields,
  keyspace: Schema.String,
  table: Schema.String
}) {
  /** The protocol error code, 0x2400. */
  get code(): number {
    return 0x2400
  }
  /** false: it still exists. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 0x2500: the prepared statement is unknown to the host (the driver re-prepares transparently).
 *
 * @since 0.1.0
 */
export class Unprepared extends Schema.TaggedError<Unprepared>()("Unprepared", {
  ...fields,
  id: Schema.Uint8Array
}) {
  /** The protocol error code, 0x2500. */
  get code(): number {
    return 0x2500
  }
  /** true: the statement is prepared again (the driver does it transparently). */
  get isRetryable(): boolean {
    return true
  }
}

// ---------------------------------------------------------------------------
// Client-side errors
// ---------------------------------------------------------------------------

/**
 * A connection could not be opened, or died with the request in flight.
 *
 * @since 0.1.0
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  ...fields,
  cause: Schema.optional(Schema.Defect()),
  /**
   * false: the request was never written (the connection was already closed, or had no free stream
   * id), so trying another host is safe even for a non-idempotent statement. Absent: it may have been.
   */
  sent: Schema.optional(Schema.Boolean)
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** true: another connection or host may serve it. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * The client-side timeout elapsed before an answer arrived.
 *
 * @since 0.1.0
 */
export class OperationTimedOut extends Schema.TaggedError<OperationTimedOut>()("OperationTimedOut", {
  ...fields,
  timeoutMillis: Schema.Number
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** true: the answer may come in time next attempt (safe only for an idempotent statement). */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * Bad input: wrong number of values, an unknown name, a value that does not fit its column. Nothing was sent.
 *
 * @since 0.1.0
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  message: Schema.String,
  /** Where the bad value sits, e.g. `values[2]` or `values.name`. */
  path: Schema.optional(Schema.String),
  /** The CQL type the value should have had. */
  expected: Schema.optional(Schema.String)
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** false: the same input is refused again. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * A frame the driver could not decode (corrupt or unexpected bytes from the server).
 *
 * @since 0.1.0
 */
export class DriverError extends Schema.TaggedError<DriverError>()("DriverError", fields) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** false: the bytes the server sent could not be read. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * Rows that do not match the `schema` given to `execute`/`stream`.
 *
 * @since 0.1.0
 */
export class RowDecodeError extends Schema.TaggedError<RowDecodeError>()("RowDecodeError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** false: the same rows do not match the schema again. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * Every server error type.
 *
 * @since 0.1.0
 */
export type ServerErrorResponse =
  | ServerError
  | ProtocolError
  | AuthenticationError
  | Unavailable
  | Overloaded
  | IsBootstrapping
  | TruncateError
  | WriteTimeout
  | ReadTimeout
  | ReadFailure
  | WriteFailure
  | FunctionFailure
  | CdcWriteFailure
  | CasWriteUnknown
  | CqlSyntaxError
  | Unauthorized
  | InvalidRequest
  | ConfigurationError
  | AlreadyExists
  | Unprepared

/**
 * What one attempt on one host can fail with.
 *
 * @since 0.1.0
 */
export type RequestError = ServerErrorResponse | ConnectionError | OperationTimedOut | DriverError

/**
 * No host could serve the request; `errors` holds the error of each host tried, keyed by address.
 *
 * @since 0.1.0
 */
export class NoHostAvailable extends Schema.TaggedError<NoHostAvailable>()("NoHostAvailable", {
  message: Schema.String,
  errors: Schema.Record(Schema.String, Schema.Defect())
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** Whether a host's error may pass: false only when every host tried failed with an error that is not retryable (e.g. bad credentials). */
  get isRetryable(): boolean {
    const errors = Object.values(this.errors)
    return errors.length === 0 || errors.some((e) => (e as { readonly isRetryable?: unknown }).isRetryable !== false)
  }
}

/**
 * Every connection of the query plan's hosts was saturated (no free stream id, or writes held back by
 * a peer that stopped reading) and the host's queue of waiting requests was full: nothing was sent.
 * `host` is the host whose queue was full, `maxQueuedRequests` its bound (the Cluster option).
 *
 * @since 0.2.0
 */
export class HostBusy extends Schema.TaggedError<HostBusy>()("HostBusy", {
  message: Schema.String,
  host: Schema.String,
  maxQueuedRequests: Schema.Number
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** true: nothing was sent; stream ids free as answers come. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * A session throttler (`policies/Throttling.ts`) was at its limit and its queue was full: nothing was
 * sent. `throttler` names its kind, `limit` its current limit, `maxQueued` its queue bound.
 *
 * @since 0.2.0
 */
export class RequestThrottled extends Schema.TaggedError<RequestThrottled>()("RequestThrottled", {
  message: Schema.String,
  throttler: Schema.Literals(["concurrency", "rate", "adaptive"]),
  limit: Schema.Number,
  maxQueued: Schema.Number
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** true: nothing was sent; the throttler lets it through later. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * A query trace was not complete in system_traces within the wait (the server writes traces asynchronously).
 *
 * @since 0.1.0
 */
export class TraceUnavailable extends Schema.TaggedError<TraceUnavailable>()("TraceUnavailable", {
  message: Schema.String,
  sessionId: Schema.String
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** true: the server writes traces asynchronously: a later read may find it. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * The session was shut down (its scope closed): the request was not sent.
 *
 * @since 0.2.0
 */
export class SessionClosed extends Schema.TaggedError<SessionClosed>()("SessionClosed", {
  message: Schema.String
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** false: this session will not run requests again (a new one may). */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * The up hosts did not report the same schema version within the wait of a metadata refresh: nothing
 * was read, the metadata is as it was (the Python driver raises for the same reason).
 *
 * @since 0.2.0
 */
export class SchemaDisagreement extends Schema.TaggedError<SchemaDisagreement>()("SchemaDisagreement", {
  message: Schema.String
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** true: the hosts may agree a little later. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * `nextPage` on the last page: there is no page after it.
 *
 * @since 0.2.0
 */
export class QueryExhausted extends Schema.TaggedError<QueryExhausted>()("QueryExhausted", {
  message: Schema.String
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** false: there is still no page after the last. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * `ResultSet.all()` read more rows than its `maxRows` guard allows: it stops there instead of holding
 * an unbounded result in memory (use `Session.stream` for large results).
 *
 * @since 0.2.0
 */
export class TooManyRows extends Schema.TaggedError<TooManyRows>()("TooManyRows", {
  message: Schema.String,
  /** The guard that was passed. */
  maxRows: Schema.Number
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** false: the same query has as many rows again. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * `registerUserType` named a user type the cluster's metadata does not have (the keyspace or the type
 * is unknown, or schema metadata is off).
 *
 * @since 0.2.0
 */
export class UserTypeDoesNotExist extends Schema.TaggedError<UserTypeDoesNotExist>()("UserTypeDoesNotExist", {
  message: Schema.String,
  keyspace: Schema.String,
  type: Schema.String
}) {
  /** No protocol error code: the driver raised it. */
  get code(): undefined {
    return undefined
  }
  /** false: until the type is created and the schema read again. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * Any error of the driver.
 *
 * @since 0.1.0
 */
export type CassandraError =
  | RequestError
  | NoHostAvailable
  | HostBusy
  | RequestThrottled
  | InvalidInput
  | RowDecodeError
  | TraceUnavailable
  | QueryExhausted
  | TooManyRows
  | SessionClosed
  | SchemaDisagreement
  | UserTypeDoesNotExist
