/**
 * The message model: requests the client sends and responses it receives, independent of the
 * protocol version (the encoder/decoder applies the version's wire format). Types and constants
 * only: nothing here encodes or decodes.
 *
 * @since 0.1.0
 */
import type { CqlType } from "./CqlType.ts"
import type { RowCursor } from "./types/Decode.ts"

/**
 * The native protocol versions the codec speaks.
 *
 * @since 0.1.0
 */
export type ProtocolVersion = 3 | 4 | 5

/**
 * Message opcodes of the envelope header.
 *
 * @since 0.1.0
 */
export const Opcode = {
  ERROR: 0x00,
  STARTUP: 0x01,
  READY: 0x02,
  AUTHENTICATE: 0x03,
  OPTIONS: 0x05,
  SUPPORTED: 0x06,
  QUERY: 0x07,
  RESULT: 0x08,
  PREPARE: 0x09,
  EXECUTE: 0x0a,
  REGISTER: 0x0b,
  EVENT: 0x0c,
  BATCH: 0x0d,
  AUTH_CHALLENGE: 0x0e,
  AUTH_RESPONSE: 0x0f,
  AUTH_SUCCESS: 0x10
} as const

/**
 * Envelope header flags.
 *
 * @since 0.1.0
 */
export const HeaderFlag = {
  COMPRESSION: 0x01,
  TRACING: 0x02,
  CUSTOM_PAYLOAD: 0x04,
  WARNING: 0x08,
  USE_BETA: 0x10
} as const

/**
 * Consistency level codes, as sent in QUERY, EXECUTE and BATCH and received in ERROR bodies.
 *
 * @since 0.1.0
 */
export const Consistency = {
  ANY: 0x0000,
  ONE: 0x0001,
  TWO: 0x0002,
  THREE: 0x0003,
  QUORUM: 0x0004,
  ALL: 0x0005,
  LOCAL_QUORUM: 0x0006,
  EACH_QUORUM: 0x0007,
  SERIAL: 0x0008,
  LOCAL_SERIAL: 0x0009,
  LOCAL_ONE: 0x000a
} as const

/**
 * The name of a consistency level (`"QUORUM"`, `"LOCAL_ONE"`...).
 *
 * @since 0.1.0
 */
export type ConsistencyName = keyof typeof Consistency

/**
 * A bound value to send: `UNSET` leaves the column untouched (v4+), `null` writes a null.
 *
 * @since 0.1.0
 */
export const UNSET: unique symbol = Symbol.for("@effect-cassandra/protocol/UNSET")

/**
 * The type of {@link UNSET}.
 *
 * @since 0.1.0
 */
export type Unset = typeof UNSET

/**
 * Bound values with the types to encode them as. `types[i]` is the CQL type of `values[i]`; when
 * `types` is absent (simple statements with no metadata) each value's type is inferred from its JS value.
 * `names` (QUERY only, v3+) sends the values by name.
 *
 * @since 0.1.0
 */
export interface BoundValues {
  readonly values: ReadonlyArray<unknown>
  readonly types?: ReadonlyArray<CqlType> | undefined
  readonly names?: ReadonlyArray<string> | undefined
}

/**
 * Shared QUERY/EXECUTE parameters.
 *
 * @since 0.1.0
 */
export interface QueryParameters {
  readonly consistency: number
  readonly values?: BoundValues | undefined
  readonly skipMetadata?: boolean | undefined
  readonly pageSize?: number | undefined
  readonly pagingState?: Uint8Array | undefined
  readonly serialConsistency?: number | undefined
  /** Client-side timestamp, microseconds since the epoch. */
  readonly timestamp?: bigint | undefined
  /** v5 only. */
  readonly keyspace?: string | undefined
  /** v5 only. */
  readonly nowInSeconds?: number | undefined
}

/**
 * A request message the client sends, by `_tag`: STARTUP, OPTIONS, QUERY, PREPARE, EXECUTE, BATCH,
 * REGISTER or AUTH_RESPONSE.
 *
 * @since 0.1.0
 */
export type Request =
  | { readonly _tag: "Startup"; readonly options: Readonly<Record<string, string>> }
  | { readonly _tag: "Options" }
  | { readonly _tag: "Query"; readonly query: string; readonly params: QueryParameters }
  | { readonly _tag: "Prepare"; readonly query: string; readonly keyspace?: string | undefined }
  | {
    readonly _tag: "Execute"
    readonly id: Uint8Array
    /** v5 only: the result metadata id from the Prepared result (or the last METADATA_CHANGED). */
    readonly resultMetadataId?: Uint8Array | undefined
    readonly params: QueryParameters
  }
  | {
    readonly _tag: "Batch"
    /** 0 logged, 1 unlogged, 2 counter. */
    readonly batchType: 0 | 1 | 2
    readonly statements: ReadonlyArray<
      | { readonly kind: "query"; readonly query: string; readonly values?: BoundValues | undefined }
      | { readonly kind: "prepared"; readonly id: Uint8Array; readonly values?: BoundValues | undefined }
    >
    readonly consistency: number
    readonly serialConsistency?: number | undefined
    readonly timestamp?: bigint | undefined
    readonly keyspace?: string | undefined
    readonly nowInSeconds?: number | undefined
  }
  | { readonly _tag: "Register"; readonly events: ReadonlyArray<"TOPOLOGY_CHANGE" | "STATUS_CHANGE" | "SCHEMA_CHANGE"> }
  | { readonly _tag: "AuthResponse"; readonly token: Uint8Array | null }

/**
 * Column specification of result/prepared metadata.
 *
 * @since 0.1.0
 */
export interface ColumnSpec {
  readonly keyspace: string
  readonly table: string
  readonly name: string
  readonly type: CqlType
}

/**
 * The metadata of a Rows result (and of a Prepared result's result columns): flags, column count,
 * column specs, paging state.
 *
 * @since 0.1.0
 */
export interface RowsMetadata {
  readonly flags: number
  readonly columnCount: number
  /** Absent when the server sent NO_METADATA (skip_metadata on EXECUTE): use the prepared result metadata. */
  readonly columns: ReadonlyArray<ColumnSpec> | undefined
  readonly pagingState: Uint8Array | undefined
  /** v5: METADATA_CHANGED brings the new result metadata id. */
  readonly newMetadataId: Uint8Array | undefined
}

/**
 * A decoded row: a plain object keyed by column name.
 *
 * @since 0.1.0
 */
export type Row = Record<string, unknown>

/**
 * The body of a RESULT message, by `kind`: Void, Rows, SetKeyspace, Prepared or SchemaChange.
 *
 * @since 0.1.0
 */
export type ResultBody =
  | { readonly kind: "Void" }
  | {
    readonly kind: "Rows"
    readonly metadata: RowsMetadata
    /** The columns used to decode the rows (from the message or from the caller's prepared metadata). */
    readonly columns: ReadonlyArray<ColumnSpec>
    /** Empty when `cursor` is set. */
    readonly rows: Array<Row>
    /** Only when the decoder was asked for rows on demand (`lazyRows`) and there are rows: read them from here. */
    readonly cursor?: RowCursor | undefined
  }
  | { readonly kind: "SetKeyspace"; readonly keyspace: string }
  | {
    readonly kind: "Prepared"
    readonly id: Uint8Array
    /** v5 only. */
    readonly resultMetadataId: Uint8Array | undefined
    /** Bind variables. */
    readonly variables: ReadonlyArray<ColumnSpec>
    /** Indexes of the partition key among the bind variables (v4+). */
    readonly pkIndexes: ReadonlyArray<number>
    readonly resultMetadata: RowsMetadata
  }
  | { readonly kind: "SchemaChange"; readonly change: SchemaChange }

/**
 * What a schema change touched: carried by a SchemaChange result and by SCHEMA_CHANGE events.
 *
 * @since 0.1.0
 */
export interface SchemaChange {
  readonly changeType: "CREATED" | "UPDATED" | "DROPPED"
  readonly target: "KEYSPACE" | "TABLE" | "TYPE" | "FUNCTION" | "AGGREGATE"
  readonly keyspace: string
  /** Table/type/function/aggregate name, when the target is not a keyspace. */
  readonly name?: string | undefined
  /** Argument types of a function/aggregate. */
  readonly argTypes?: ReadonlyArray<string> | undefined
}

/**
 * An EVENT pushed by the server (after REGISTER): a topology, status or schema change.
 *
 * @since 0.1.0
 */
export type Event =
  | { readonly type: "TOPOLOGY_CHANGE"; readonly change: "NEW_NODE" | "REMOVED_NODE"; readonly address: string; readonly port: number }
  | { readonly type: "STATUS_CHANGE"; readonly change: "UP" | "DOWN"; readonly address: string; readonly port: number }
  | { readonly type: "SCHEMA_CHANGE"; readonly change: SchemaChange }

/**
 * The ERROR body: `code`, `message`, and the code-specific fields (absent fields are undefined).
 *
 * @since 0.1.0
 */
export interface ErrorBody {
  readonly code: number
  readonly message: string
  /** Unavailable, Read/Write timeout, Read/Write failure, CAS_WRITE_UNKNOWN. */
  readonly consistency?: number | undefined
  readonly required?: number | undefined
  readonly alive?: number | undefined
  readonly received?: number | undefined
  readonly blockFor?: number | undefined
  readonly dataPresent?: boolean | undefined
  readonly writeType?: string | undefined
  /** v5 CAS write timeout. */
  readonly contentions?: number | undefined
  readonly numFailures?: number | undefined
  /** v5 Read/Write failure: endpoint address -> failure reason code. */
  readonly reasonMap?: ReadonlyArray<{ readonly address: string; readonly reason: number }> | undefined
  readonly keyspace?: string | undefined
  readonly table?: string | undefined
  readonly functionName?: string | undefined
  readonly argTypes?: ReadonlyArray<string> | undefined
  /** Unprepared: the unknown statement id. */
  readonly unpreparedId?: Uint8Array | undefined
}

/**
 * Error codes of the ERROR message.
 *
 * @since 0.1.0
 */
export const ErrorCode = {
  SERVER_ERROR: 0x0000,
  PROTOCOL_ERROR: 0x000a,
  AUTH_ERROR: 0x0100,
  UNAVAILABLE: 0x1000,
  OVERLOADED: 0x1001,
  IS_BOOTSTRAPPING: 0x1002,
  TRUNCATE_ERROR: 0x1003,
  WRITE_TIMEOUT: 0x1100,
  READ_TIMEOUT: 0x1200,
  READ_FAILURE: 0x1300,
  FUNCTION_FAILURE: 0x1400,
  WRITE_FAILURE: 0x1500,
  CDC_WRITE_FAILURE: 0x1600,
  CAS_WRITE_UNKNOWN: 0x1700,
  SYNTAX_ERROR: 0x2000,
  UNAUTHORIZED: 0x2100,
  INVALID: 0x2200,
  CONFIG_ERROR: 0x2300,
  ALREADY_EXISTS: 0x2400,
  UNPREPARED: 0x2500
} as const

/**
 * A response message the server sends, by `_tag`.
 *
 * @since 0.1.0
 */
export type Response =
  | { readonly _tag: "Ready" }
  | { readonly _tag: "Authenticate"; readonly authenticator: string }
  | { readonly _tag: "AuthChallenge"; readonly token: Uint8Array | null }
  | { readonly _tag: "AuthSuccess"; readonly token: Uint8Array | null }
  | { readonly _tag: "Supported"; readonly options: Readonly<Record<string, ReadonlyArray<string>>> }
  | { readonly _tag: "Result"; readonly result: ResultBody }
  | { readonly _tag: "Event"; readonly event: Event }
  | { readonly _tag: "Error"; readonly error: ErrorBody }

/**
 * A decoded response envelope.
 *
 * @since 0.1.0
 */
export interface ResponseFrame {
  readonly version: ProtocolVersion
  readonly flags: number
  readonly stream: number
  readonly opcode: number
  readonly tracingId: string | undefined
  readonly warnings: ReadonlyArray<string> | undefined
  readonly customPayload: ReadonlyMap<string, Uint8Array | null> | undefined
  readonly response: Response
}
