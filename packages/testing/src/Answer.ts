/**
 * What a mock host answers a primed request with: rows (typed columns), void, a schema change, a
 * keyspace change, any server error, a closed connection or no answer at all, optionally after a
 * delay (measured on the Effect `Clock`, so `TestClock.adjust` drives it).
 *
 * Error constructors fill what you leave out from the request: `consistency` defaults to the
 * request's consistency level, `unprepared()` to the id the request executed.
 *
 * Answers are plain data: which request gets one is the prime's business (`MockCluster.prime`).
 *
 * @since 0.1.0
 */
import { type CqlType, parseCqlType } from "@effect-cassandra/protocol/CqlType"
import {
  type ColumnSpec,
  Consistency,
  type ConsistencyName,
  ErrorCode,
  type ErrorBody,
  type Row,
  type SchemaChange
} from "@effect-cassandra/protocol/Messages"
import * as Duration from "effect/Duration"

/**
 * A column type: a descriptor (`{ kind: "int" }`, `{ kind: "list", element: { kind: "text" } }`) or
 * its CQL text (`"int"`, `"list<text>"`, `"frozen<map<text, int>>"`).
 *
 * @since 0.1.0
 */
export type ColumnType = CqlType | string

/**
 * Columns: `{ id: "uuid", name: "text" }` (in order), or full specs.
 *
 * @since 0.1.0
 */
export type Columns = Readonly<Record<string, ColumnType>> | ReadonlyArray<ColumnSpec>

/**
 * Error fields a test may give: those of the protocol's ERROR body, with the consistency by name and the
 * UNPREPARED id as `id`; the rest comes from the request or sensible defaults.
 *
 * @since 0.1.0
 */
export interface ErrorFields extends Partial<Omit<ErrorBody, "code" | "message" | "consistency" | "unpreparedId">> {
  readonly message?: string | undefined
  readonly consistency?: ConsistencyName | undefined
  /** UNPREPARED: default the id of the statement the request executed. */
  readonly id?: Uint8Array | undefined
}

/**
 * Options of a successful answer.
 *
 * @since 0.1.0
 */
export interface ResultOptions {
  /** Server warnings sent with the result (v4+). */
  readonly warnings?: ReadonlyArray<string> | undefined
}

/**
 * What a mock host answers a request with (build one with the constructors of this module).
 *
 * @since 0.1.0
 */
export type Answer =
  | {
    readonly _tag: "Rows"
    readonly columns: ReadonlyArray<ColumnSpec>
    readonly rows: ReadonlyArray<Row>
    readonly warnings: ReadonlyArray<string> | undefined
  }
  | { readonly _tag: "Void"; readonly warnings: ReadonlyArray<string> | undefined }
  | { readonly _tag: "SchemaChange"; readonly change: SchemaChange; readonly warnings: ReadonlyArray<string> | undefined }
  | { readonly _tag: "SetKeyspace"; readonly keyspace: string }
  | { readonly _tag: "Error"; readonly code: number; readonly fields: ErrorFields }
  /** Closes the connection the request came on (the driver sees the connection die mid-request). */
  | { readonly _tag: "CloseConnection" }
  /** Never answers (the driver's client-side timeout fires). */
  | { readonly _tag: "NoAnswer" }
  | { readonly _tag: "Delayed"; readonly delay: Duration.Duration; readonly answer: Answer }

const toType = (t: ColumnType): CqlType => (typeof t === "string" ? parseCqlType(t) : t)

/**
 * Column specs from the shorthand record or specs; keyspace/table default to `ks`/`tbl`.
 *
 * @since 0.1.0
 */
export const columnSpecs = (
  columns: Columns,
  options?: { readonly keyspace?: string | undefined; readonly table?: string | undefined }
): ReadonlyArray<ColumnSpec> => {
  if (Array.isArray(columns)) return columns as ReadonlyArray<ColumnSpec>
  const keyspace = options?.keyspace ?? "ks"
  const table = options?.table ?? "tbl"
  return Object.entries(columns as Readonly<Record<string, ColumnType>>).map(([name, type]) => ({
    keyspace,
    table,
    name,
    type: toType(type)
  }))
}

/**
 * Rows with typed columns. Values are the driver's JavaScript representations (number, bigint,
 * string, Date, Uint8Array, LocalDate, BigDecimal, arrays, Sets, Maps...). A request with a page size
 * smaller than the rows gets them page by page, with a paging state the mock understands.
 *
 * @since 0.1.0
 */
export const rows = (
  columns: Columns,
  rows: ReadonlyArray<Row>,
  options?: ResultOptions & { readonly keyspace?: string | undefined; readonly table?: string | undefined }
): Answer => ({ _tag: "Rows", columns: columnSpecs(columns, options), rows, warnings: options?.warnings })

/**
 * A void result (what writes get).
 *
 * @since 0.1.0
 */
export const void_: Answer = { _tag: "Void", warnings: undefined }
/**
 * `void_` under its natural name: `Answer.void`.
 *
 * @since 0.1.0
 */
export { void_ as void }

/**
 * A void result with server warnings.
 *
 * @since 0.1.0
 */
export const voidWith = (options: ResultOptions): Answer => ({ _tag: "Void", warnings: options.warnings })

/**
 * A SCHEMA_CHANGE result (what DDL gets).
 *
 * @since 0.1.0
 */
export const schemaChange = (change: SchemaChange, options?: ResultOptions): Answer => ({
  _tag: "SchemaChange",
  change,
  warnings: options?.warnings
})

/**
 * A SET_KEYSPACE result (what `USE` gets).
 *
 * @since 0.1.0
 */
export const setKeyspace = (keyspace: string): Answer => ({ _tag: "SetKeyspace", keyspace })

/**
 * Closes the connection instead of answering.
 *
 * @since 0.1.0
 */
export const closeConnection: Answer = { _tag: "CloseConnection" }

/**
 * Never answers.
 *
 * @since 0.1.0
 */
export const noAnswer: Answer = { _tag: "NoAnswer" }

/**
 * Answers `answer` after `delay` of Effect `Clock` time.
 *
 * @since 0.1.0
 */
export const delayed = (delay: Duration.Input, answer: Answer): Answer => ({
  _tag: "Delayed",
  delay: Duration.fromInputUnsafe(delay),
  answer
})

/**
 * Any ERROR response: `code` from `ErrorCode`, the code's fields as needed.
 *
 * @since 0.1.0
 */
export const error = (code: number, fields: ErrorFields = {}): Answer => ({ _tag: "Error", code, fields })

/**
 * Fails the request with `SERVER_ERROR` (0x0000).
 *
 * @since 0.1.0
 */
export const serverError = (fields?: ErrorFields): Answer => error(ErrorCode.SERVER_ERROR, fields)
/**
 * Fails the request with `PROTOCOL_ERROR` (0x000A).
 *
 * @since 0.1.0
 */
export const protocolError = (fields?: ErrorFields): Answer => error(ErrorCode.PROTOCOL_ERROR, fields)
/**
 * Fails the request with `AUTH_ERROR` (0x0100).
 *
 * @since 0.1.0
 */
export const authError = (fields?: ErrorFields): Answer => error(ErrorCode.AUTH_ERROR, fields)
/**
 * Fails the request with `UNAVAILABLE` (0x1000): defaults required 1, alive 0.
 *
 * @since 0.1.0
 */
export const unavailable = (fields?: ErrorFields): Answer => error(ErrorCode.UNAVAILABLE, fields)
/**
 * Fails the request with `OVERLOADED` (0x1001).
 *
 * @since 0.1.0
 */
export const overloaded = (fields?: ErrorFields): Answer => error(ErrorCode.OVERLOADED, fields)
/**
 * Fails the request with `IS_BOOTSTRAPPING` (0x1002).
 *
 * @since 0.1.0
 */
export const isBootstrapping = (fields?: ErrorFields): Answer => error(ErrorCode.IS_BOOTSTRAPPING, fields)
/**
 * Fails the request with `TRUNCATE_ERROR` (0x1003).
 *
 * @since 0.1.0
 */
export const truncateError = (fields?: ErrorFields): Answer => error(ErrorCode.TRUNCATE_ERROR, fields)
/**
 * Fails the request with `WRITE_TIMEOUT` (0x1100): defaults received 0, blockFor 1, writeType SIMPLE.
 *
 * @since 0.1.0
 */
export const writeTimeout = (fields?: ErrorFields): Answer => error(ErrorCode.WRITE_TIMEOUT, fields)
/**
 * Fails the request with `READ_TIMEOUT` (0x1200): defaults received 1, blockFor 1, dataPresent false (the case the default policy retries).
 *
 * @since 0.1.0
 */
export const readTimeout = (fields?: ErrorFields): Answer => error(ErrorCode.READ_TIMEOUT, fields)
/**
 * Fails the request with `READ_FAILURE` (0x1300).
 *
 * @since 0.1.0
 */
export const readFailure = (fields?: ErrorFields): Answer => error(ErrorCode.READ_FAILURE, fields)
/**
 * Fails the request with `FUNCTION_FAILURE` (0x1400).
 *
 * @since 0.1.0
 */
export const functionFailure = (fields?: ErrorFields): Answer => error(ErrorCode.FUNCTION_FAILURE, fields)
/**
 * Fails the request with `WRITE_FAILURE` (0x1500).
 *
 * @since 0.1.0
 */
export const writeFailure = (fields?: ErrorFields): Answer => error(ErrorCode.WRITE_FAILURE, fields)
/**
 * Fails the request with `CDC_WRITE_FAILURE` (0x1600).
 *
 * @since 0.1.0
 */
export const cdcWriteFailure = (fields?: ErrorFields): Answer => error(ErrorCode.CDC_WRITE_FAILURE, fields)
/**
 * Fails the request with `CAS_WRITE_UNKNOWN` (0x1700).
 *
 * @since 0.1.0
 */
export const casWriteUnknown = (fields?: ErrorFields): Answer => error(ErrorCode.CAS_WRITE_UNKNOWN, fields)
/**
 * Fails the request with `SYNTAX_ERROR` (0x2000).
 *
 * @since 0.1.0
 */
export const syntaxError = (fields?: ErrorFields): Answer => error(ErrorCode.SYNTAX_ERROR, fields)
/**
 * Fails the request with `UNAUTHORIZED` (0x2100).
 *
 * @since 0.1.0
 */
export const unauthorized = (fields?: ErrorFields): Answer => error(ErrorCode.UNAUTHORIZED, fields)
/**
 * Fails the request with `INVALID` (0x2200).
 *
 * @since 0.1.0
 */
export const invalid = (fields?: ErrorFields): Answer => error(ErrorCode.INVALID, fields)
/**
 * Fails the request with `CONFIG_ERROR` (0x2300).
 *
 * @since 0.1.0
 */
export const configError = (fields?: ErrorFields): Answer => error(ErrorCode.CONFIG_ERROR, fields)
/**
 * Fails the request with `ALREADY_EXISTS` (0x2400): defaults keyspace "ks", table "".
 *
 * @since 0.1.0
 */
export const alreadyExists = (fields?: ErrorFields): Answer => error(ErrorCode.ALREADY_EXISTS, fields)
/**
 * Fails the request with `UNPREPARED` (0x2500): defaults to the id the request executed.
 *
 * @since 0.1.0
 */
export const unprepared = (fields?: ErrorFields): Answer => error(ErrorCode.UNPREPARED, fields)

const DEFAULT_MESSAGES: Record<number, string> = {
  [ErrorCode.SERVER_ERROR]: "mock server error",
  [ErrorCode.PROTOCOL_ERROR]: "mock protocol error",
  [ErrorCode.AUTH_ERROR]: "Provided username and/or password are incorrect",
  [ErrorCode.UNAVAILABLE]: "Cannot achieve consistency level",
  [ErrorCode.OVERLOADED]: "Server is in overloaded state. Cannot accept more requests at this point",
  [ErrorCode.IS_BOOTSTRAPPING]: "Cannot read from a bootstrapping node",
  [ErrorCode.TRUNCATE_ERROR]: "Error during truncate",
  [ErrorCode.WRITE_TIMEOUT]: "Operation timed out - received only 0 responses.",
  [ErrorCode.READ_TIMEOUT]: "Operation timed out - received only 1 responses.",
  [ErrorCode.READ_FAILURE]: "Operation failed - received 0 responses and 1 failures",
  [ErrorCode.FUNCTION_FAILURE]: "execution of function failed",
  [ErrorCode.WRITE_FAILURE]: "Operation failed - received 0 responses and 1 failures",
  [ErrorCode.CDC_WRITE_FAILURE]: "Rejecting mutation to table with CDC enabled",
  [ErrorCode.CAS_WRITE_UNKNOWN]: "CAS operation result is unknown - proposal accepted by 1 but not a quorum.",
  [ErrorCode.SYNTAX_ERROR]: "line 1:0 no viable alternative at input",
  [ErrorCode.UNAUTHORIZED]: "User has no permission",
  [ErrorCode.INVALID]: "Invalid request",
  [ErrorCode.CONFIG_ERROR]: "Configuration error",
  [ErrorCode.ALREADY_EXISTS]: "Cannot add already existing table",
  [ErrorCode.UNPREPARED]: "Prepared query with ID not found"
}

/**
 * The ERROR body of an error answer for a request made at `consistency` (code), executing `id`.
 *
 * @internal
 * @since 0.1.0
 */
export const errorBody = (
  code: number,
  fields: ErrorFields,
  request: { readonly consistency: number | undefined; readonly preparedId: Uint8Array | undefined }
): ErrorBody => {
  const consistency = fields.consistency !== undefined ? consistencyCode(fields.consistency) : request.consistency ?? 1
  const message = fields.message ?? DEFAULT_MESSAGES[code] ?? `mock error 0x${code.toString(16)}`
  switch (code) {
    case ErrorCode.UNAVAILABLE:
      return { code, message, consistency, required: fields.required ?? 1, alive: fields.alive ?? 0 }
    case ErrorCode.WRITE_TIMEOUT:
      return {
        code,
        message,
        consistency,
        received: fields.received ?? 0,
        blockFor: fields.blockFor ?? 1,
        writeType: fields.writeType ?? "SIMPLE",
        contentions: fields.contentions
      }
    case ErrorCode.READ_TIMEOUT:
      return {
        code,
        message,
        consistency,
        received: fields.received ?? 1,
        blockFor: fields.blockFor ?? 1,
        dataPresent: fields.dataPresent ?? false
      }
    case ErrorCode.READ_FAILURE:
    case ErrorCode.WRITE_FAILURE:
      return {
        code,
        message,
        consistency,
        received: fields.received ?? 0,
        blockFor: fields.blockFor ?? 1,
        numFailures: fields.numFailures ?? fields.reasonMap?.length ?? 1,
        reasonMap: fields.reasonMap ?? [],
        dataPresent: fields.dataPresent ?? false,
        writeType: fields.writeType ?? "SIMPLE"
      }
    case ErrorCode.CAS_WRITE_UNKNOWN:
      return { code, message, consistency, received: fields.received ?? 1, blockFor: fields.blockFor ?? 2 }
    case ErrorCode.FUNCTION_FAILURE:
      return {
        code,
        message,
        keyspace: fields.keyspace ?? "ks",
        functionName: fields.functionName ?? "fn",
        argTypes: fields.argTypes ?? []
      }
    case ErrorCode.ALREADY_EXISTS:
      return { code, message, keyspace: fields.keyspace ?? "ks", table: fields.table ?? "" }
    case ErrorCode.UNPREPARED:
      return { code, message, unpreparedId: fields.id ?? request.preparedId ?? new Uint8Array(16) }
    default:
      return { code, message }
  }
}

/**
 * The protocol code of a consistency level.
 *
 * @internal
 * @since 0.1.0
 */
export const consistencyCode = (name: ConsistencyName): number => Consistency[name]

/**
 * The name of a consistency code (undefined for an unknown code).
 *
 * @internal
 * @since 0.1.0
 */
export const consistencyName = (code: number): ConsistencyName | undefined =>
  (Object.keys(Consistency) as Array<ConsistencyName>).find((k) => Consistency[k] === code)

/**
 * A short description of an answer, for the activity log.
 *
 * @internal
 * @since 0.1.0
 */
export const describe = (answer: Answer): string => {
  switch (answer._tag) {
    case "Rows":
      return `Rows(${answer.rows.length})`
    case "Error": {
      const name = Object.entries(ErrorCode).find(([, c]) => c === answer.code)?.[0]
      return `Error(${name ?? `0x${answer.code.toString(16)}`})`
    }
    case "Delayed":
      return `${describe(answer.answer)} after ${Duration.format(answer.delay)}`
    case "SchemaChange":
      return `SchemaChange(${answer.change.changeType} ${answer.change.target} ${answer.change.keyspace}${answer.change.name ? "." + answer.change.name : ""})`
    case "SetKeyspace":
      return `SetKeyspace(${answer.keyspace})`
    default:
      return answer._tag
  }
}
