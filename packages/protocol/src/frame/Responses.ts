/**
 * Response bodies: decoding (client side) for every opcode, result kind, event and error code in
 * their v3/v4/v5 forms, and encoding (server side, e.g. a mock server). Bodies only: the envelope
 * header and the tracing id / warnings / custom payload prefix are FrameEncoder's and FrameCodec's.
 *
 * @since 0.1.0
 */
import type { ByteReader, ByteWriter } from "../Buffers.ts"
import { DecodeError, EncodeError } from "../Errors.ts"
import {
  type ColumnSpec,
  ErrorCode,
  type ErrorBody,
  type Event,
  Opcode,
  type ProtocolVersion,
  type Response,
  type ResultBody,
  type RowsMetadata,
  type SchemaChange
} from "../Messages.ts"
import { checkCount, copy, readInetAddrString, writeInetAddr } from "./Envelope.ts"
import { decodeRows, encodeValue, makeRowDecoder, readTypeOption, RowCursor, type RowDecoder, writeTypeOption } from "./Values.ts"

/**
 * RESULT kinds.
 *
 * @since 0.1.0
 */
export const ResultKind = {
  VOID: 0x0001,
  ROWS: 0x0002,
  SET_KEYSPACE: 0x0003,
  PREPARED: 0x0004,
  SCHEMA_CHANGE: 0x0005
} as const

/**
 * Rows metadata flags.
 *
 * @since 0.1.0
 */
export const RowsFlag = {
  GLOBAL_TABLES_SPEC: 0x0001,
  HAS_MORE_PAGES: 0x0002,
  NO_METADATA: 0x0004,
  /** v5 */
  METADATA_CHANGED: 0x0008
} as const

/**
 * Context for decoding a response: the prepared result metadata for rows sent with NO_METADATA.
 *
 * @since 0.1.0
 */
export interface DecodeResponseContext {
  readonly resultColumns?: ReadonlyArray<ColumnSpec> | undefined
  /**
   * Rows on demand: a Rows result comes with a `RowCursor` over a copy of its rows' bytes (and empty
   * `rows`), for a consumer that takes them a few at a time (a stream). Default: every row decoded now.
   */
  readonly lazyRows?: boolean | undefined
}

// ---------------------------------------------------------------------------------------------
// Row decoders and column specs, cached

const rowDecoders = new WeakMap<ReadonlyArray<ColumnSpec>, RowDecoder>()

/**
 * The row decoder of a column array, built once per array (WeakMap).
 *
 * @since 0.1.0
 */
export const rowDecoderFor = (columns: ReadonlyArray<ColumnSpec>): RowDecoder => {
  let d = rowDecoders.get(columns)
  if (d === undefined) {
    d = makeRowDecoder(columns)
    rowDecoders.set(columns, d)
  }
  return d
}

/**
 * Column specs seen recently, keyed by their exact bytes: pages of the same query carry the same
 * bytes, so they share one `ColumnSpec` array (and so one cached row decoder).
 */
const columnsByBytes = new Map<string, ReadonlyArray<ColumnSpec>>()
const MAX_CACHED_COLUMN_SETS = 1024
/** Bound on the cache's keys in total (a wide table's specs take ~30 bytes per column). */
const MAX_CACHED_KEY_CHARS = 4 * 1024 * 1024
let cachedKeyChars = 0
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, s: number, e: number) => string })
  .latin1Slice

const readColumnSpecs = (r: ByteReader, flags: number, count: number): ReadonlyArray<ColumnSpec> => {
  const start = r.pos
  const global = (flags & RowsFlag.GLOBAL_TABLES_SPEC) !== 0
  checkCount(r, count, global ? 4 : 8, "column")
  let ks = ""
  let table = ""
  if (global) {
    ks = r.readString()
    table = r.readString()
  }
  const columns = new Array<ColumnSpec>(count)
  for (let i = 0; i < count; i++) {
    const keyspace = global ? ks : r.readString()
    const tableName = global ? table : r.readString()
    const name = r.readString()
    const type = readTypeOption(r)
    columns[i] = { keyspace, table: tableName, name, type }
  }
  const key = (global ? "g" : "c") + count + ":" + latin1Slice.call(r.buf, start, r.pos)
  const cached = columnsByBytes.get(key)
  if (cached !== undefined) return cached
  if (columnsByBytes.size >= MAX_CACHED_COLUMN_SETS || cachedKeyChars + key.length > MAX_CACHED_KEY_CHARS) {
    columnsByBytes.clear()
    cachedKeyChars = 0
  }
  columnsByBytes.set(key, columns)
  cachedKeyChars += key.length
  return columns
}

const readRowsMetadata = (r: ByteReader, version: number): RowsMetadata => {
  const flags = r.readInt()
  const columnCount = r.readInt()
  if (columnCount < 0) throw new DecodeError({ message: `negative column count ${columnCount}`, offset: r.pos - 4 })
  let pagingState: Uint8Array | undefined
  let newMetadataId: Uint8Array | undefined
  if ((flags & RowsFlag.HAS_MORE_PAGES) !== 0) {
    const s = r.readBytes()
    if (s !== null) pagingState = copy(s)
  }
  if (version >= 5 && (flags & RowsFlag.METADATA_CHANGED) !== 0) newMetadataId = copy(r.readShortBytes())
  const columns = (flags & RowsFlag.NO_METADATA) !== 0 ? undefined : readColumnSpecs(r, flags, columnCount)
  return { flags, columnCount, columns, pagingState, newMetadataId }
}

const readRows = (r: ByteReader, version: number, ctx: DecodeResponseContext | undefined): ResultBody => {
  const metadata = readRowsMetadata(r, version)
  const columns = metadata.columns ?? ctx?.resultColumns
  if (columns === undefined) {
    throw new DecodeError({ message: "rows without metadata (NO_METADATA) and no result columns given" })
  }
  const n = metadata.columnCount
  if (columns.length !== n) {
    throw new DecodeError({
      message: `rows have ${n} columns, the given result metadata ${columns.length}`,
      staleResultColumns: metadata.columns === undefined
    })
  }
  const rowCount = r.readInt()
  // decodeRows and RowCursor.at check the count against the bytes left before allocating
  if (rowCount !== 0 && ctx?.lazyRows === true) {
    return { kind: "Rows", metadata, columns, rows: [], cursor: RowCursor.at(r, rowCount, rowDecoderFor(columns)) }
  }
  const rows = rowCount === 0 ? [] : decodeRows(r, rowCount, rowDecoderFor(columns))
  return { kind: "Rows", metadata, columns, rows }
}

const readPrepared = (r: ByteReader, version: number): ResultBody => {
  const id = copy(r.readShortBytes())
  const resultMetadataId = version >= 5 ? copy(r.readShortBytes()) : undefined
  const flags = r.readInt()
  const count = r.readInt()
  const pkIndexes: Array<number> = []
  if (version >= 4) {
    const pkCount = r.readInt()
    checkCount(r, pkCount, 2, "partition key index")
    for (let i = 0; i < pkCount; i++) pkIndexes.push(r.readShort())
  }
  const variables = readColumnSpecs(r, flags & RowsFlag.GLOBAL_TABLES_SPEC, count)
  const resultMetadata = readRowsMetadata(r, version)
  return { kind: "Prepared", id, resultMetadataId, variables, pkIndexes, resultMetadata }
}

const CHANGE_TYPES = new Set(["CREATED", "UPDATED", "DROPPED"])

const readSchemaChange = (r: ByteReader): SchemaChange => {
  const changeType = r.readString()
  if (!CHANGE_TYPES.has(changeType)) throw new DecodeError({ message: `unknown schema change type ${JSON.stringify(changeType)}` })
  const target = r.readString()
  const keyspace = r.readString()
  const ct = changeType as SchemaChange["changeType"]
  switch (target) {
    case "KEYSPACE":
      return { changeType: ct, target, keyspace }
    case "TABLE":
    case "TYPE":
      return { changeType: ct, target, keyspace, name: r.readString() }
    case "FUNCTION":
    case "AGGREGATE": {
      const name = r.readString()
      return { changeType: ct, target, keyspace, name, argTypes: r.readStringList() }
    }
  }
  throw new DecodeError({ message: `unknown schema change target ${JSON.stringify(target)}` })
}

const readEvent = (r: ByteReader): Event => {
  const type = r.readString()
  switch (type) {
    case "TOPOLOGY_CHANGE": {
      const change = r.readString()
      if (change !== "NEW_NODE" && change !== "REMOVED_NODE") {
        throw new DecodeError({ message: `unknown topology change ${JSON.stringify(change)}` })
      }
      const address = readInetAddrString(r)
      return { type, change, address, port: r.readInt() }
    }
    case "STATUS_CHANGE": {
      const change = r.readString()
      if (change !== "UP" && change !== "DOWN") throw new DecodeError({ message: `unknown status change ${JSON.stringify(change)}` })
      const address = readInetAddrString(r)
      return { type, change, address, port: r.readInt() }
    }
    case "SCHEMA_CHANGE":
      return { type, change: readSchemaChange(r) }
  }
  throw new DecodeError({ message: `unknown event type ${JSON.stringify(type)}` })
}

type MutableError = { -readonly [K in keyof ErrorBody]: ErrorBody[K] }

const readError = (r: ByteReader, version: number): ErrorBody => {
  const code = r.readInt()
  const message = r.readString()
  const e: MutableError = { code, message }
  switch (code) {
    case ErrorCode.UNAVAILABLE:
      e.consistency = r.readShort()
      e.required = r.readInt()
      e.alive = r.readInt()
      break
    case ErrorCode.WRITE_TIMEOUT:
      e.consistency = r.readShort()
      e.received = r.readInt()
      e.blockFor = r.readInt()
      e.writeType = r.readString()
      // v5: CAS write timeouts append the contention count (only CasWriteTimeoutException does)
      if (version >= 5 && e.writeType === "CAS" && r.remaining >= 2) e.contentions = r.readShort()
      break
    case ErrorCode.READ_TIMEOUT:
      e.consistency = r.readShort()
      e.received = r.readInt()
      e.blockFor = r.readInt()
      e.dataPresent = r.readByte() !== 0
      break
    case ErrorCode.READ_FAILURE:
    case ErrorCode.WRITE_FAILURE: {
      e.consistency = r.readShort()
      e.received = r.readInt()
      e.blockFor = r.readInt()
      const n = r.readInt()
      if (version >= 5) {
        // the count is the size of the reason map: <endpoint [inetaddr]><failure code [short]>
        checkCount(r, n, 7, "failure reason")
        const reasonMap: Array<{ address: string; reason: number }> = []
        for (let i = 0; i < n; i++) {
          const address = readInetAddrString(r)
          reasonMap.push({ address, reason: r.readShort() })
        }
        e.reasonMap = reasonMap
      }
      e.numFailures = n
      if (code === ErrorCode.WRITE_FAILURE) e.writeType = r.readString()
      else e.dataPresent = r.readByte() !== 0
      break
    }
    case ErrorCode.CAS_WRITE_UNKNOWN:
      e.consistency = r.readShort()
      e.received = r.readInt()
      e.blockFor = r.readInt()
      break
    case ErrorCode.FUNCTION_FAILURE:
      e.keyspace = r.readString()
      e.functionName = r.readString()
      e.argTypes = r.readStringList()
      break
    case ErrorCode.ALREADY_EXISTS:
      e.keyspace = r.readString()
      e.table = r.readString()
      break
    case ErrorCode.UNPREPARED:
      e.unpreparedId = copy(r.readShortBytes())
      break
  }
  return e
}

const readToken = (r: ByteReader): Uint8Array | null => {
  const t = r.readBytes()
  return t === null ? null : copy(t)
}

/**
 * Decodes a response message body (after the tracing/warnings/payload prefix). Throws DecodeError.
 *
 * @since 0.1.0
 */
export const decodeResponseBody = (
  r: ByteReader,
  version: number,
  opcode: number,
  ctx: DecodeResponseContext | undefined
): Response => {
  switch (opcode) {
    case Opcode.RESULT: {
      const kind = r.readInt()
      switch (kind) {
        case ResultKind.ROWS:
          return { _tag: "Result", result: readRows(r, version, ctx) }
        case ResultKind.VOID:
          return { _tag: "Result", result: { kind: "Void" } }
        case ResultKind.SET_KEYSPACE:
          return { _tag: "Result", result: { kind: "SetKeyspace", keyspace: r.readString() } }
        case ResultKind.PREPARED:
          return { _tag: "Result", result: readPrepared(r, version) }
        case ResultKind.SCHEMA_CHANGE:
          return { _tag: "Result", result: { kind: "SchemaChange", change: readSchemaChange(r) } }
      }
      throw new DecodeError({ message: `unknown RESULT kind ${kind}`, offset: r.pos - 4 })
    }
    case Opcode.READY:
      return { _tag: "Ready" }
    case Opcode.ERROR:
      return { _tag: "Error", error: readError(r, version) }
    case Opcode.EVENT:
      return { _tag: "Event", event: readEvent(r) }
    case Opcode.SUPPORTED:
      return { _tag: "Supported", options: r.readStringMultimap() }
    case Opcode.AUTHENTICATE:
      return { _tag: "Authenticate", authenticator: r.readString() }
    case Opcode.AUTH_CHALLENGE:
      return { _tag: "AuthChallenge", token: readToken(r) }
    case Opcode.AUTH_SUCCESS:
      return { _tag: "AuthSuccess", token: readToken(r) }
  }
  throw new DecodeError({ message: `opcode 0x${opcode.toString(16)} is not a response` })
}

// ---------------------------------------------------------------------------------------------
// Encoding (server side)

function fail(message: string, path: string, expected: string): never {
  throw new EncodeError({ message, path, expected })
}

/**
 * The opcode of a response message.
 *
 * @since 0.1.0
 */
export const responseOpcode = (response: Response): number => {
  switch (response._tag) {
    case "Result":
      return Opcode.RESULT
    case "Ready":
      return Opcode.READY
    case "Error":
      return Opcode.ERROR
    case "Event":
      return Opcode.EVENT
    case "Supported":
      return Opcode.SUPPORTED
    case "Authenticate":
      return Opcode.AUTHENTICATE
    case "AuthChallenge":
      return Opcode.AUTH_CHALLENGE
    case "AuthSuccess":
      return Opcode.AUTH_SUCCESS
  }
}

const writeString = (w: ByteWriter, s: string | undefined, path: string): void => {
  if (typeof s !== "string") fail(`not a string: ${String(s)}`, path, "string")
  const at = w.pos
  w.ensure(2)
  w.pos += 2
  const n = w.writeUtf8(s)
  if (n > 0xffff) fail(`string of ${n} UTF-8 bytes does not fit a [string]`, path, "<= 65535 bytes")
  w.view.setUint16(at, n)
}

const writeShortBytes = (w: ByteWriter, b: Uint8Array | undefined, path: string): void => {
  if (!(b instanceof Uint8Array)) fail("not bytes", path, "Uint8Array")
  if (b.length > 0xffff) fail(`${b.length} bytes do not fit [short bytes]`, path, "<= 65535 bytes")
  w.writeShortBytes(b)
}

const num = (v: number | undefined, path: string): number => {
  if (v === undefined || !Number.isInteger(v)) fail(`missing or non-integer ${String(v)}`, path, "integer")
  return v
}

const writeStringList = (w: ByteWriter, list: ReadonlyArray<string> | undefined, path: string): void => {
  const l = list ?? []
  w.writeShort(l.length)
  for (let i = 0; i < l.length; i++) writeString(w, l[i], `${path}[${i}]`)
}

const allInOneTable = (cols: ReadonlyArray<ColumnSpec>): boolean => {
  if (cols.length === 0) return false
  const { keyspace, table } = cols[0]!
  for (const c of cols) if (c.keyspace !== keyspace || c.table !== table) return false
  return true
}

const writeColumnSpecs = (
  w: ByteWriter,
  version: ProtocolVersion,
  cols: ReadonlyArray<ColumnSpec>,
  global: boolean,
  path: string
): void => {
  if (global) {
    writeString(w, cols[0]!.keyspace, `${path}[0].keyspace`)
    writeString(w, cols[0]!.table, `${path}[0].table`)
  }
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i]!
    if (!global) {
      writeString(w, c.keyspace, `${path}[${i}].keyspace`)
      writeString(w, c.table, `${path}[${i}].table`)
    }
    writeString(w, c.name, `${path}[${i}].name`)
    writeTypeOption(w, c.type, version)
  }
}

/**
 * Rows metadata. Flags: GLOBAL_TABLES_SPEC and NO_METADATA come from `m.flags` (GLOBAL only when
 * the columns really share one table); HAS_MORE_PAGES from `pagingState`; METADATA_CHANGED (v5)
 * from `newMetadataId`.
 */
const writeRowsMetadata = (
  w: ByteWriter,
  version: ProtocolVersion,
  m: RowsMetadata,
  columns: ReadonlyArray<ColumnSpec> | undefined,
  columnCount: number
): void => {
  const noMetadata = (m.flags & RowsFlag.NO_METADATA) !== 0 || columns === undefined
  let flags = 0
  if (noMetadata) flags |= RowsFlag.NO_METADATA
  else if ((m.flags & RowsFlag.GLOBAL_TABLES_SPEC) !== 0 && allInOneTable(columns)) flags |= RowsFlag.GLOBAL_TABLES_SPEC
  if (m.pagingState !== undefined) flags |= RowsFlag.HAS_MORE_PAGES
  if (version >= 5 && m.newMetadataId !== undefined && !noMetadata) flags |= RowsFlag.METADATA_CHANGED
  w.writeInt(flags)
  w.writeInt(columnCount)
  if (m.pagingState !== undefined) w.writeBytes(m.pagingState)
  if ((flags & RowsFlag.METADATA_CHANGED) !== 0) writeShortBytes(w, m.newMetadataId, "metadata.newMetadataId")
  if (!noMetadata) writeColumnSpecs(w, version, columns, (flags & RowsFlag.GLOBAL_TABLES_SPEC) !== 0, "columns")
}

const writeResult = (w: ByteWriter, version: ProtocolVersion, result: ResultBody): void => {
  switch (result.kind) {
    case "Void":
      w.writeInt(ResultKind.VOID)
      return
    case "Rows": {
      w.writeInt(ResultKind.ROWS)
      const columns = result.columns
      const withSpecs = (result.metadata.flags & RowsFlag.NO_METADATA) === 0
      writeRowsMetadata(w, version, result.metadata, withSpecs ? columns : undefined, columns.length)
      w.writeInt(result.rows.length)
      for (let i = 0; i < result.rows.length; i++) {
        const row = result.rows[i]!
        for (let j = 0; j < columns.length; j++) {
          const c = columns[j]!
          const v = row[c.name]
          if (v === null || v === undefined) w.writeInt(-1)
          else encodeValue(w, c.type, v, `rows[${i}].${c.name}`)
        }
      }
      return
    }
    case "SetKeyspace":
      w.writeInt(ResultKind.SET_KEYSPACE)
      writeString(w, result.keyspace, "keyspace")
      return
    case "Prepared": {
      w.writeInt(ResultKind.PREPARED)
      writeShortBytes(w, result.id, "id")
      if (version >= 5) writeShortBytes(w, result.resultMetadataId ?? new Uint8Array(0), "resultMetadataId")
      const vars = result.variables
      const global = allInOneTable(vars)
      w.writeInt(global ? RowsFlag.GLOBAL_TABLES_SPEC : 0)
      w.writeInt(vars.length)
      if (version >= 4) {
        w.writeInt(result.pkIndexes.length)
        for (let i = 0; i < result.pkIndexes.length; i++) w.writeShort(num(result.pkIndexes[i], `pkIndexes[${i}]`))
      }
      writeColumnSpecs(w, version, vars, global, "variables")
      const rm = result.resultMetadata
      writeRowsMetadata(w, version, rm, rm.columns, rm.columns?.length ?? rm.columnCount)
      return
    }
    case "SchemaChange":
      w.writeInt(ResultKind.SCHEMA_CHANGE)
      writeSchemaChange(w, result.change)
      return
  }
  fail(`unknown result kind ${String((result as { kind?: unknown }).kind)}`, "result.kind", "a ResultBody")
}

const writeSchemaChange = (w: ByteWriter, c: SchemaChange): void => {
  writeString(w, c.changeType, "change.changeType")
  writeString(w, c.target, "change.target")
  writeString(w, c.keyspace, "change.keyspace")
  if (c.target === "KEYSPACE") return
  writeString(w, c.name, "change.name")
  if (c.target === "FUNCTION" || c.target === "AGGREGATE") writeStringList(w, c.argTypes, "change.argTypes")
}

const writeEvent = (w: ByteWriter, e: Event): void => {
  writeString(w, e.type, "event.type")
  if (e.type === "SCHEMA_CHANGE") return writeSchemaChange(w, e.change)
  writeString(w, e.change, "event.change")
  writeInetAddr(w, e.address, "event.address")
  w.writeInt(num(e.port, "event.port"))
}

const writeError = (w: ByteWriter, version: ProtocolVersion, e: ErrorBody): void => {
  w.writeInt(num(e.code, "error.code"))
  writeString(w, e.message, "error.message")
  switch (e.code) {
    case ErrorCode.UNAVAILABLE:
      w.writeShort(num(e.consistency, "error.consistency"))
      w.writeInt(num(e.required, "error.required"))
      w.writeInt(num(e.alive, "error.alive"))
      return
    case ErrorCode.WRITE_TIMEOUT:
      w.writeShort(num(e.consistency, "error.consistency"))
      w.writeInt(num(e.received, "error.received"))
      w.writeInt(num(e.blockFor, "error.blockFor"))
      writeString(w, e.writeType, "error.writeType")
      if (version >= 5 && e.writeType === "CAS" && e.contentions !== undefined) w.writeShort(num(e.contentions, "error.contentions"))
      return
    case ErrorCode.READ_TIMEOUT:
      w.writeShort(num(e.consistency, "error.consistency"))
      w.writeInt(num(e.received, "error.received"))
      w.writeInt(num(e.blockFor, "error.blockFor"))
      w.writeByte(e.dataPresent === true ? 1 : 0)
      return
    case ErrorCode.READ_FAILURE:
    case ErrorCode.WRITE_FAILURE:
      w.writeShort(num(e.consistency, "error.consistency"))
      w.writeInt(num(e.received, "error.received"))
      w.writeInt(num(e.blockFor, "error.blockFor"))
      if (version >= 5) {
        const map = e.reasonMap ?? []
        w.writeInt(map.length)
        for (let i = 0; i < map.length; i++) {
          writeInetAddr(w, map[i]!.address, `error.reasonMap[${i}].address`)
          w.writeShort(num(map[i]!.reason, `error.reasonMap[${i}].reason`))
        }
      } else {
        w.writeInt(e.numFailures ?? e.reasonMap?.length ?? 0)
      }
      if (e.code === ErrorCode.WRITE_FAILURE) writeString(w, e.writeType, "error.writeType")
      else w.writeByte(e.dataPresent === true ? 1 : 0)
      return
    case ErrorCode.CAS_WRITE_UNKNOWN:
      w.writeShort(num(e.consistency, "error.consistency"))
      w.writeInt(num(e.received, "error.received"))
      w.writeInt(num(e.blockFor, "error.blockFor"))
      return
    case ErrorCode.FUNCTION_FAILURE:
      writeString(w, e.keyspace, "error.keyspace")
      writeString(w, e.functionName, "error.functionName")
      writeStringList(w, e.argTypes, "error.argTypes")
      return
    case ErrorCode.ALREADY_EXISTS:
      writeString(w, e.keyspace, "error.keyspace")
      writeString(w, e.table ?? "", "error.table")
      return
    case ErrorCode.UNPREPARED:
      writeShortBytes(w, e.unpreparedId, "error.unpreparedId")
      return
  }
}

/**
 * Encodes a response message body (no envelope prefix). Throws EncodeError.
 *
 * @since 0.1.0
 */
export const encodeResponseBody = (w: ByteWriter, version: ProtocolVersion, response: Response): void => {
  switch (response._tag) {
    case "Result":
      return writeResult(w, version, response.result)
    case "Ready":
      return
    case "Error":
      return writeError(w, version, response.error)
    case "Event":
      return writeEvent(w, response.event)
    case "Supported": {
      const keys = Object.keys(response.options)
      w.writeShort(keys.length)
      for (const k of keys) {
        writeString(w, k, "options")
        writeStringList(w, response.options[k], `options.${k}`)
      }
      return
    }
    case "Authenticate":
      return writeString(w, response.authenticator, "authenticator")
    case "AuthChallenge":
    case "AuthSuccess":
      if (response.token !== null && !(response.token instanceof Uint8Array)) fail("token is not bytes", "token", "Uint8Array | null")
      w.writeBytes(response.token)
      return
  }
  fail(`unknown response ${String((response as { _tag?: unknown })._tag)}`, "_tag", "a Response")
}
