/**
 * Every failure of the driver is one of these tagged errors, in the Effect error channel.
 *
 * Server errors (one class per protocol error code, with the code's fields), client-side errors
 * (connection, timeout, bad input, no host available) and the union `CassandraError`.
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
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", fields) {}

/**
 * 0x000A: the server says the client broke the protocol.
 *
 * @since 0.1.0
 */
export class ProtocolError extends Schema.TaggedError<ProtocolError>()("ProtocolError", fields) {}

/**
 * 0x0100, or an authenticator refusing the credentials.
 *
 * @since 0.1.0
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", fields) {}

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
}) {}

/**
 * 0x1001: the coordinator is overloaded.
 *
 * @since 0.1.0
 */
export class Overloaded extends Schema.TaggedError<Overloaded>()("Overloaded", fields) {}

/**
 * 0x1002: the coordinator is bootstrapping.
 *
 * @since 0.1.0
 */
export class IsBootstrapping extends Schema.TaggedError<IsBootstrapping>()("IsBootstrapping", fields) {}

/**
 * 0x1003: a TRUNCATE failed.
 *
 * @since 0.1.0
 */
export class TruncateError extends Schema.TaggedError<TruncateError>()("TruncateError", fields) {}

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
}) {}

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
}) {}

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
}) {}

/**
 * 0x1500: a replica failed a write.
 *
 * @since 0.1.0
 */
export class WriteFailure extends Schema.TaggedError<WriteFailure>()("WriteFailure", {
  ...failureFields,
  writeType: Schema.String
}) {}

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
}) {}

/**
 * 0x1600: a CDC write failed.
 *
 * @since 0.1.0
 */
export class CdcWriteFailure extends Schema.TaggedError<CdcWriteFailure>()("CdcWriteFailure", fields) {}

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
}) {}

/**
 * 0x2000: the CQL text does not parse.
 *
 * @since 0.1.0
 */
export class SyntaxError extends Schema.TaggedError<SyntaxError>()("SyntaxError", fields) {}

/**
 * 0x2100: the user lacks a permission.
 *
 * @since 0.1.0
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", fields) {}

/**
 * 0x2200: the query is syntactically right but invalid.
 *
 * @since 0.1.0
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", fields) {}

/**
 * 0x2300: the query is invalid because of a configuration issue.
 *
 * @since 0.1.0
 */
export class ConfigurationError extends Schema.TaggedError<ConfigurationError>()("ConfigurationError", fields) {}

/**
 * 0x2400: a keyspace or table that already exists.
 *
 * @since 0.1.0
 */
export class AlreadyExists extends Schema.TaggedError<AlreadyExists>()("AlreadyExists", {
  ...fields,
  keyspace: Schema.String,
  table: Schema.String
}) {}

/**
 * 0x2500: the prepared statement is unknown to the host (the driver re-prepares transparently).
 *
 * @since 0.1.0
 */
export class Unprepared extends Schema.TaggedError<Unprepared>()("Unprepared", {
  ...fields,
  id: Schema.Uint8Array
}) {}

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
}) {}

/**
 * The client-side timeout elapsed before an answer arrived.
 *
 * @since 0.1.0
 */
export class OperationTimedOut extends Schema.TaggedError<OperationTimedOut>()("OperationTimedOut", {
  ...fields,
  timeoutMillis: Schema.Number
}) {}

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
}) {}

/**
 * A frame the driver could not decode (corrupt or unexpected bytes from the server).
 *
 * @since 0.1.0
 */
export class DriverError extends Schema.TaggedError<DriverError>()("DriverError", fields) {}

/**
 * Rows that do not match the `schema` given to `execute`/`stream`.
 *
 * @since 0.1.0
 */
export class RowDecodeError extends Schema.TaggedError<RowDecodeError>()("RowDecodeError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

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
  | SyntaxError
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
}) {}

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
}) {}

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
}) {}

/**
 * A query trace was not complete in system_traces within the wait (the server writes traces asynchronously).
 *
 * @since 0.1.0
 */
export class TraceUnavailable extends Schema.TaggedError<TraceUnavailable>()("TraceUnavailable", {
  message: Schema.String,
  sessionId: Schema.String
}) {}

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
