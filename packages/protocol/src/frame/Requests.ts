/**
 * Request bodies: encoding for v3, v4 and v5 (client side) and decoding (server side, e.g. a mock
 * server: bound values stay raw [value] bytes since the server side does not know their types).
 * Bodies only: the envelope header, its flags and the custom payload are FrameEncoder's and FrameCodec's.
 *
 * @since 0.1.0
 */
import type { ByteReader, ByteWriter } from "../Buffers.ts"
import { DecodeError, EncodeError } from "../Errors.ts"
import {
  type BoundValues,
  Opcode,
  type ProtocolVersion,
  type QueryParameters,
  type Request,
  UNSET,
  type Unset
} from "../Messages.ts"
import { checkCount, copy } from "./Envelope.ts"
import { encodeInferredValue, encodeValue } from "./Values.ts"

/**
 * QUERY/EXECUTE/BATCH flags.
 *
 * @since 0.1.0
 */
export const QueryFlag = {
  VALUES: 0x01,
  SKIP_METADATA: 0x02,
  PAGE_SIZE: 0x04,
  WITH_PAGING_STATE: 0x08,
  WITH_SERIAL_CONSISTENCY: 0x10,
  WITH_DEFAULT_TIMESTAMP: 0x20,
  WITH_NAMES_FOR_VALUES: 0x40,
  /** v5 */
  WITH_KEYSPACE: 0x80,
  /** v5 */
  WITH_NOW_IN_SECONDS: 0x100
} as const

/**
 * v5 PREPARE flags.
 *
 * @since 0.1.0
 */
export const PrepareFlag = { WITH_KEYSPACE: 0x01 } as const

/**
 * The opcode of a request message.
 *
 * @since 0.1.0
 */
export const requestOpcode = (request: Request): number => {
  switch (request._tag) {
    case "Execute":
      return Opcode.EXECUTE
    case "Query":
      return Opcode.QUERY
    case "Batch":
      return Opcode.BATCH
    case "Prepare":
      return Opcode.PREPARE
    case "Startup":
      return Opcode.STARTUP
    case "Options":
      return Opcode.OPTIONS
    case "Register":
      return Opcode.REGISTER
    case "AuthResponse":
      return Opcode.AUTH_RESPONSE
  }
}

function fail(message: string, path: string, expected: string): never {
  throw new EncodeError({ message, path, expected })
}

const INT32_MIN = -0x80000000
const INT32_MAX = 0x7fffffff
const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n

const checkShort = (v: number, path: string): void => {
  if (!(Number.isInteger(v) && v >= 0 && v <= 0xffff)) fail(`${v} is not a [short]`, path, "0..65535")
}
const checkInt = (v: number, path: string): void => {
  if (!(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX)) fail(`${v} is not an [int]`, path, "int32")
}

const writeShortBytesChecked = (w: ByteWriter, b: Uint8Array, path: string): void => {
  if (!(b instanceof Uint8Array)) fail("not bytes", path, "Uint8Array")
  if (b.length > 0xffff) fail(`${b.length} bytes do not fit [short bytes]`, path, "<= 65535 bytes")
  w.writeShortBytes(b)
}

/** UTF-8 cannot carry a lone UTF-16 surrogate: encoding would silently replace it with U+FFFD. */
const checkWellFormed = (s: string, path: string): void => {
  if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    fail("contains a lone UTF-16 surrogate (UTF-8 cannot carry it)", path, "well-formed UTF-16 text")
  }
}

/** A query's text as a [long string], refused unless it is a well-formed string. */
const writeQueryText = (w: ByteWriter, query: string, path: string): void => {
  if (typeof query !== "string") fail("query is not a string", path, "string")
  checkWellFormed(query, path)
  w.writeLongString(query)
}

const writeStringChecked = (w: ByteWriter, s: string, path: string): void => {
  if (typeof s !== "string") fail(`not a string: ${String(s)}`, path, "string")
  checkWellFormed(s, path)
  const at = w.pos
  w.ensure(2)
  w.pos += 2
  const n = w.writeUtf8(s)
  if (n > 0xffff) fail(`string of ${n} UTF-8 bytes does not fit a [string]`, path, "<= 65535 bytes")
  w.view.setUint16(at, n)
}

// "values[i]" path strings, built once
const PATHS: Array<string> = []
const valuePath = (i: number): string => {
  if (i < 256) {
    let p = PATHS[i]
    if (p === undefined) PATHS[i] = p = `values[${i}]`
    return p
  }
  return `values[${i}]`
}

/** Writes `<n>[name_1]<value_1>...` (the count as a [short]). */
const writeValues = (
  w: ByteWriter,
  version: ProtocolVersion,
  bound: BoundValues,
  prefix: string,
  allowNames: boolean
): void => {
  const values = bound.values
  const types = bound.types
  const names = bound.names
  const n = values.length
  if (n > 0xffff) fail(`${n} values, at most 65535 can be bound`, prefix + "values", "<= 65535 values")
  if (types !== undefined && types.length !== n) {
    fail(`${types.length} types for ${n} values`, prefix + "types", `${n} types`)
  }
  if (names !== undefined) {
    if (!allowNames) fail("named values are not supported here", prefix + "names", "positional values")
    if (names.length !== n) fail(`${names.length} names for ${n} values`, prefix + "names", `${n} names`)
  }
  w.writeShort(n)
  for (let i = 0; i < n; i++) {
    let path: string
    if (names !== undefined) {
      path = prefix + "values." + names[i]
      writeStringChecked(w, names[i]!, prefix + `names[${i}]`)
    } else {
      path = prefix === "" ? valuePath(i) : prefix + valuePath(i)
    }
    const v = values[i]
    if (v === null || v === undefined) {
      w.writeInt(-1)
      continue
    }
    if (v === UNSET) {
      if (version < 4) fail("unset values need protocol v4+", path, "a value or null")
      w.writeInt(-2)
      continue
    }
    if (types !== undefined) encodeValue(w, types[i]!, v, path)
    else encodeInferredValue(w, v, path)
  }
}

const writeQueryParameters = (w: ByteWriter, version: ProtocolVersion, p: QueryParameters): void => {
  checkShort(p.consistency, "consistency")
  w.writeShort(p.consistency)
  let flags = 0
  const bound = p.values
  const n = bound === undefined ? 0 : bound.values.length
  if (n > 0) {
    flags |= QueryFlag.VALUES
    if (bound!.names !== undefined) flags |= QueryFlag.WITH_NAMES_FOR_VALUES
  }
  if (p.skipMetadata === true) flags |= QueryFlag.SKIP_METADATA
  if (p.pageSize !== undefined) flags |= QueryFlag.PAGE_SIZE
  if (p.pagingState !== undefined) flags |= QueryFlag.WITH_PAGING_STATE
  if (p.serialConsistency !== undefined) flags |= QueryFlag.WITH_SERIAL_CONSISTENCY
  if (p.timestamp !== undefined) flags |= QueryFlag.WITH_DEFAULT_TIMESTAMP
  if (p.keyspace !== undefined) {
    if (version < 5) fail("a per-query keyspace needs protocol v5", "keyspace", "undefined")
    flags |= QueryFlag.WITH_KEYSPACE
  }
  if (p.nowInSeconds !== undefined) {
    if (version < 5) fail("now_in_seconds needs protocol v5", "nowInSeconds", "undefined")
    flags |= QueryFlag.WITH_NOW_IN_SECONDS
  }
  if (version >= 5) w.writeInt(flags)
  else w.writeByte(flags)
  if (n > 0) writeValues(w, version, bound!, "", true)
  if (p.pageSize !== undefined) {
    checkInt(p.pageSize, "pageSize")
    w.writeInt(p.pageSize)
  }
  if (p.pagingState !== undefined) {
    if (!(p.pagingState instanceof Uint8Array)) fail("paging state is not bytes", "pagingState", "Uint8Array")
    w.writeBytes(p.pagingState)
  }
  if (p.serialConsistency !== undefined) {
    checkShort(p.serialConsistency, "serialConsistency")
    w.writeShort(p.serialConsistency)
  }
  if (p.timestamp !== undefined) writeTimestamp(w, p.timestamp)
  if (p.keyspace !== undefined) writeStringChecked(w, p.keyspace, "keyspace")
  if (p.nowInSeconds !== undefined) {
    checkInt(p.nowInSeconds, "nowInSeconds")
    w.writeInt(p.nowInSeconds)
  }
}

const writeTimestamp = (w: ByteWriter, ts: bigint): void => {
  // Long.MIN_VALUE means "no timestamp" to Cassandra and is refused
  if (typeof ts !== "bigint" || ts <= INT64_MIN || ts > INT64_MAX) {
    fail(`timestamp ${String(ts)} out of range`, "timestamp", "bigint in (-2^63, 2^63)")
  }
  w.writeLong(ts)
}

/**
 * Encodes the message body of `request` (no envelope prefix). Throws EncodeError.
 *
 * @since 0.1.0
 */
export const encodeRequestBody = (w: ByteWriter, version: ProtocolVersion, request: Request): void => {
  switch (request._tag) {
    case "Execute": {
      writeShortBytesChecked(w, request.id, "id")
      if (version >= 5) {
        const rid = request.resultMetadataId
        if (rid === undefined) fail("EXECUTE on v5 needs the result metadata id", "resultMetadataId", "Uint8Array")
        writeShortBytesChecked(w, rid!, "resultMetadataId")
      }
      writeQueryParameters(w, version, request.params)
      return
    }
    case "Query": {
      writeQueryText(w, request.query, "query")
      writeQueryParameters(w, version, request.params)
      return
    }
    case "Batch":
      return writeBatch(w, version, request)
    case "Prepare": {
      writeQueryText(w, request.query, "query")
      if (version >= 5) {
        if (request.keyspace !== undefined) {
          w.writeInt(PrepareFlag.WITH_KEYSPACE)
          writeStringChecked(w, request.keyspace, "keyspace")
        } else {
          w.writeInt(0)
        }
      } else if (request.keyspace !== undefined) {
        fail("PREPARE with a keyspace needs protocol v5", "keyspace", "undefined")
      }
      return
    }
    case "Startup": {
      const keys = Object.keys(request.options)
      w.writeShort(keys.length)
      for (const k of keys) {
        writeStringChecked(w, k, "options")
        writeStringChecked(w, request.options[k]!, `options.${k}`)
      }
      return
    }
    case "Options":
      return
    case "Register": {
      w.writeShort(request.events.length)
      for (let i = 0; i < request.events.length; i++) writeStringChecked(w, request.events[i]!, `events[${i}]`)
      return
    }
    case "AuthResponse": {
      const t = request.token
      if (t !== null && !(t instanceof Uint8Array)) fail("token is not bytes", "token", "Uint8Array | null")
      w.writeBytes(t)
      return
    }
  }
  fail(`unknown request ${String((request as { _tag?: unknown })._tag)}`, "_tag", "a Request")
}

const writeBatch = (w: ByteWriter, version: ProtocolVersion, b: Extract<Request, { _tag: "Batch" }>): void => {
  if (b.batchType !== 0 && b.batchType !== 1 && b.batchType !== 2) fail(`batch type ${b.batchType}`, "batchType", "0 | 1 | 2")
  w.writeByte(b.batchType)
  const n = b.statements.length
  if (n > 0xffff) fail(`${n} statements, at most 65535`, "statements", "<= 65535 statements")
  w.writeShort(n)
  for (let i = 0; i < n; i++) {
    const s = b.statements[i]!
    const prefix = `statements[${i}].`
    if (s.kind === "query") {
      w.writeByte(0)
      writeQueryText(w, s.query, prefix + "query")
    } else if (s.kind === "prepared") {
      w.writeByte(1)
      writeShortBytesChecked(w, s.id, prefix + "id")
    } else {
      fail(`statement kind ${String((s as { kind?: unknown }).kind)}`, prefix + "kind", `"query" | "prepared"`)
    }
    if (s.values === undefined) w.writeShort(0)
    else writeValues(w, version, s.values, prefix, false)
  }
  checkShort(b.consistency, "consistency")
  w.writeShort(b.consistency)
  let flags = 0
  if (b.serialConsistency !== undefined) flags |= QueryFlag.WITH_SERIAL_CONSISTENCY
  if (b.timestamp !== undefined) flags |= QueryFlag.WITH_DEFAULT_TIMESTAMP
  if (b.keyspace !== undefined) {
    if (version < 5) fail("a per-batch keyspace needs protocol v5", "keyspace", "undefined")
    flags |= QueryFlag.WITH_KEYSPACE
  }
  if (b.nowInSeconds !== undefined) {
    if (version < 5) fail("now_in_seconds needs protocol v5", "nowInSeconds", "undefined")
    flags |= QueryFlag.WITH_NOW_IN_SECONDS
  }
  if (version >= 5) w.writeInt(flags)
  else w.writeByte(flags)
  if (b.serialConsistency !== undefined) {
    checkShort(b.serialConsistency, "serialConsistency")
    w.writeShort(b.serialConsistency)
  }
  if (b.timestamp !== undefined) writeTimestamp(w, b.timestamp)
  if (b.keyspace !== undefined) writeStringChecked(w, b.keyspace, "keyspace")
  if (b.nowInSeconds !== undefined) {
    checkInt(b.nowInSeconds, "nowInSeconds")
    w.writeInt(b.nowInSeconds)
  }
}

// ---------------------------------------------------------------------------------------------
// Server side: decoding requests

/**
 * A bound value as sent: the raw [value] bytes, `null`, or `UNSET` (length -2).
 *
 * @since 0.1.0
 */
export type RawValue = Uint8Array | null | Unset

/**
 * Bound values as a server decodes them: raw [value]s, with their names when sent by name.
 *
 * @since 0.1.0
 */
export interface RawBoundValues {
  readonly values: ReadonlyArray<RawValue>
  readonly names?: ReadonlyArray<string> | undefined
}

/**
 * QueryParameters with raw values (and the flags as sent).
 *
 * @since 0.1.0
 */
export interface RawQueryParameters extends Omit<QueryParameters, "values"> {
  readonly flags: number
  readonly values?: RawBoundValues | undefined
}

/**
 * A decoded request: like `Request`, with bound values left as raw [value] bytes.
 *
 * @since 0.1.0
 */
export type RawRequest =
  | Extract<Request, { _tag: "Startup" | "Options" | "Prepare" | "Register" | "AuthResponse" }>
  | { readonly _tag: "Query"; readonly query: string; readonly params: RawQueryParameters }
  | {
    readonly _tag: "Execute"
    readonly id: Uint8Array
    readonly resultMetadataId?: Uint8Array | undefined
    readonly params: RawQueryParameters
  }
  | {
    readonly _tag: "Batch"
    readonly batchType: 0 | 1 | 2
    readonly statements: ReadonlyArray<
      | { readonly kind: "query"; readonly query: string; readonly values: ReadonlyArray<RawValue> }
      | { readonly kind: "prepared"; readonly id: Uint8Array; readonly values: ReadonlyArray<RawValue> }
    >
    readonly flags: number
    readonly consistency: number
    readonly serialConsistency?: number | undefined
    readonly timestamp?: bigint | undefined
    readonly keyspace?: string | undefined
    readonly nowInSeconds?: number | undefined
  }

const readRawValue = (r: ByteReader): RawValue => {
  const n = r.readInt()
  if (n >= 0) return r.readRawCopy(n)
  if (n === -1) return null
  if (n === -2) return UNSET
  throw new DecodeError({ message: `invalid [value] length ${n}`, offset: r.pos - 4 })
}

const readRawValues = (r: ByteReader, withNames: boolean): RawBoundValues => {
  const n = r.readShort()
  checkCount(r, n, withNames ? 6 : 4, "value")
  const values = new Array<RawValue>(n)
  if (!withNames) {
    for (let i = 0; i < n; i++) values[i] = readRawValue(r)
    return { values }
  }
  const names = new Array<string>(n)
  for (let i = 0; i < n; i++) {
    names[i] = r.readString()
    values[i] = readRawValue(r)
  }
  return { values, names }
}

const readQueryParameters = (r: ByteReader, version: number): RawQueryParameters => {
  const consistency = r.readShort()
  const flags = version >= 5 ? r.readInt() : r.readByte()
  const p: {
    -readonly [K in keyof RawQueryParameters]: RawQueryParameters[K]
  } = { consistency, flags }
  if ((flags & QueryFlag.VALUES) !== 0) p.values = readRawValues(r, (flags & QueryFlag.WITH_NAMES_FOR_VALUES) !== 0)
  if ((flags & QueryFlag.SKIP_METADATA) !== 0) p.skipMetadata = true
  if ((flags & QueryFlag.PAGE_SIZE) !== 0) p.pageSize = r.readInt()
  if ((flags & QueryFlag.WITH_PAGING_STATE) !== 0) {
    const s = r.readBytes()
    if (s !== null) p.pagingState = copy(s)
  }
  if ((flags & QueryFlag.WITH_SERIAL_CONSISTENCY) !== 0) p.serialConsistency = r.readShort()
  if ((flags & QueryFlag.WITH_DEFAULT_TIMESTAMP) !== 0) p.timestamp = r.readLong()
  if (version >= 5) {
    if ((flags & QueryFlag.WITH_KEYSPACE) !== 0) p.keyspace = r.readString()
    if ((flags & QueryFlag.WITH_NOW_IN_SECONDS) !== 0) p.nowInSeconds = r.readInt()
  }
  return p
}

/**
 * Decodes a request message body (after any custom payload) of `opcode`. Throws DecodeError.
 *
 * @since 0.1.0
 */
export const decodeRequestBody = (r: ByteReader, version: number, opcode: number): RawRequest => {
  switch (opcode) {
    case Opcode.STARTUP:
      return { _tag: "Startup", options: r.readStringMap() }
    case Opcode.OPTIONS:
      return { _tag: "Options" }
    case Opcode.QUERY: {
      const query = r.readLongString()
      return { _tag: "Query", query, params: readQueryParameters(r, version) }
    }
    case Opcode.PREPARE: {
      const query = r.readLongString()
      if (version >= 5) {
        const flags = r.readInt()
        if ((flags & PrepareFlag.WITH_KEYSPACE) !== 0) return { _tag: "Prepare", query, keyspace: r.readString() }
      }
      return { _tag: "Prepare", query }
    }
    case Opcode.EXECUTE: {
      const id = copy(r.readShortBytes())
      if (version >= 5) {
        const resultMetadataId = copy(r.readShortBytes())
        return { _tag: "Execute", id, resultMetadataId, params: readQueryParameters(r, version) }
      }
      return { _tag: "Execute", id, params: readQueryParameters(r, version) }
    }
    case Opcode.BATCH:
      return readBatch(r, version)
    case Opcode.REGISTER: {
      const events = r.readStringList()
      for (const e of events) {
        if (e !== "TOPOLOGY_CHANGE" && e !== "STATUS_CHANGE" && e !== "SCHEMA_CHANGE") {
          throw new DecodeError({ message: `unknown event type ${JSON.stringify(e)}` })
        }
      }
      return { _tag: "Register", events: events as Array<"TOPOLOGY_CHANGE" | "STATUS_CHANGE" | "SCHEMA_CHANGE"> }
    }
    case Opcode.AUTH_RESPONSE: {
      const t = r.readBytes()
      return { _tag: "AuthResponse", token: t === null ? null : copy(t) }
    }
  }
  throw new DecodeError({ message: `opcode 0x${opcode.toString(16)} is not a request` })
}

const readBatch = (r: ByteReader, version: number): RawRequest => {
  const batchType = r.readByte()
  if (batchType > 2) throw new DecodeError({ message: `unknown batch type ${batchType}`, offset: r.pos - 1 })
  const n = r.readShort()
  checkCount(r, n, 5, "batch statement")
  const statements: Array<
    | { readonly kind: "query"; readonly query: string; readonly values: ReadonlyArray<RawValue> }
    | { readonly kind: "prepared"; readonly id: Uint8Array; readonly values: ReadonlyArray<RawValue> }
  > = []
  for (let i = 0; i < n; i++) {
    const kind = r.readByte()
    if (kind === 0) {
      const query = r.readLongString()
      statements.push({ kind: "query", query, values: readRawValues(r, false).values })
    } else if (kind === 1) {
      const id = copy(r.readShortBytes())
      statements.push({ kind: "prepared", id, values: readRawValues(r, false).values })
    } else {
      throw new DecodeError({ message: `unknown batch statement kind ${kind}`, offset: r.pos - 1 })
    }
  }
  const consistency = r.readShort()
  const flags = version >= 5 ? r.readInt() : r.readByte()
  const out: {
    -readonly [K in keyof Extract<RawRequest, { _tag: "Batch" }>]: Extract<RawRequest, { _tag: "Batch" }>[K]
  } = { _tag: "Batch", batchType: batchType as 0 | 1 | 2, statements, flags, consistency }
  if ((flags & QueryFlag.WITH_SERIAL_CONSISTENCY) !== 0) out.serialConsistency = r.readShort()
  if ((flags & QueryFlag.WITH_DEFAULT_TIMESTAMP) !== 0) out.timestamp = r.readLong()
  if (version >= 5) {
    if ((flags & QueryFlag.WITH_KEYSPACE) !== 0) out.keyspace = r.readString()
    if ((flags & QueryFlag.WITH_NOW_IN_SECONDS) !== 0) out.nowInSeconds = r.readInt()
  }
  return out
}

