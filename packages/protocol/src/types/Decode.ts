/**
 * Value decoding. Decoders are chosen once per type (a closure per type, collections composing their
 * element decoders), never by a switch per cell; `makeRowDecoder` builds one specialised function per result
 * metadata. Every malformed input is a `DecodeError`: lengths are checked before any read, counts are
 * checked against the bytes left before anything is allocated. Values only: the [option] of a type is
 * read in TypeOption.ts, and a result's column specs in `../frame/Responses.ts`.
 *
 * @since 0.1.0
 */
import * as BigDecimal from "effect/BigDecimal"
import * as Result from "effect/Result"
import { ByteReader } from "../Buffers.ts"
import type { CqlType } from "../CqlType.ts"
import { DecodeError } from "../Errors.ts"
import type { ColumnSpec, Row } from "../Messages.ts"
import {
  decodeUtf8,
  formatInet,
  formatUuid,
  readUnsignedVInt,
  readUnsignedVIntNumber,
  readVarint,
  vintEnd,
  zigzagDecode64
} from "./Primitives.ts"
import { setOwn } from "../internal/own.ts"
import { formatType } from "./TypeNames.ts"
import { CqlDuration, EMPTY, LocalDate, LocalTime } from "./Values.ts"

/**
 * Decodes the content (no length prefix) of a value at `buf[off, off + len)`; `view` is a DataView over the
 * whole of `buf` (same indices), `len >= 0` and the range is within `buf` (the caller checked).
 *
 * @since 0.1.0
 */
export type ValueDecoder = (buf: Uint8Array, view: DataView, off: number, len: number) => unknown

const fixedLength = (type: string, expected: number, len: number, off: number): typeof EMPTY => {
  if (len === 0) return EMPTY
  throw new DecodeError({ message: `${type}: expected ${expected} bytes, got ${len}`, offset: off })
}

const MAX_DATE_MS = 8.64e15
const TWO_32 = 4294967296

/** Date for a timestamp within Date's range; a bigint of milliseconds beyond it (lossless). */
const timestampAt = (view: DataView, off: number): Date | bigint => {
  const ms = view.getInt32(off) * TWO_32 + view.getUint32(off + 4)
  // exact whenever |ms| <= 2^53, which covers Date's range (8.64e15 < 2^53)
  if (ms >= -MAX_DATE_MS && ms <= MAX_DATE_MS) return new Date(ms)
  return view.getBigInt64(off)
}

const NANOS_PER_DAY = 86_400_000_000_000n

const decodeInt: ValueDecoder = (_b, v, o, n) => (n === 4 ? v.getInt32(o) : fixedLength("int", 4, n, o))
const decodeBigint: ValueDecoder = (_b, v, o, n) => (n === 8 ? v.getBigInt64(o) : fixedLength("bigint", 8, n, o))
const decodeCounter: ValueDecoder = (_b, v, o, n) => (n === 8 ? v.getBigInt64(o) : fixedLength("counter", 8, n, o))
const decodeSmallint: ValueDecoder = (_b, v, o, n) => (n === 2 ? v.getInt16(o) : fixedLength("smallint", 2, n, o))
const decodeTinyint: ValueDecoder = (_b, v, o, n) => (n === 1 ? v.getInt8(o) : fixedLength("tinyint", 1, n, o))
const decodeFloat: ValueDecoder = (_b, v, o, n) => (n === 4 ? v.getFloat32(o) : fixedLength("float", 4, n, o))
const decodeDouble: ValueDecoder = (_b, v, o, n) => (n === 8 ? v.getFloat64(o) : fixedLength("double", 8, n, o))
const decodeBoolean: ValueDecoder = (b, _v, o, n) => (n === 1 ? b[o] !== 0 : fixedLength("boolean", 1, n, o))
const decodeText: ValueDecoder = (b, _v, o, n) => (n === 0 ? "" : decodeUtf8(b, o, o + n))
/**
 * A copy of `b[o, o + n)` as a plain Uint8Array (frame buffers get reused, so values must not be views).
 * Not `b.slice` on a Node Buffer: that is a view there.
 */
const copyBytes = (b: Uint8Array, o: number, n: number): Uint8Array => {
  if (b.constructor === Uint8Array) return b.slice(o, o + n)
  const out = new Uint8Array(n)
  if (n <= 64) for (let i = 0; i < n; i++) out[i] = b[o + i]!
  else out.set(new Uint8Array(b.buffer, b.byteOffset + o, n))
  return out
}
const decodeBlob: ValueDecoder = (b, _v, o, n) => copyBytes(b, o, n)
const decodeUuid: ValueDecoder = (b, _v, o, n) => (n === 16 ? formatUuid(b, o) : fixedLength("uuid", 16, n, o))
const decodeTimeuuid: ValueDecoder = (b, _v, o, n) => (n === 16 ? formatUuid(b, o) : fixedLength("timeuuid", 16, n, o))
const decodeTimestamp: ValueDecoder = (_b, v, o, n) => (n === 8 ? timestampAt(v, o) : fixedLength("timestamp", 8, n, o))
const decodeDate: ValueDecoder = (_b, v, o, n) =>
  n === 4 ? new LocalDate(v.getUint32(o) - 2147483648) : fixedLength("date", 4, n, o)
const decodeTime: ValueDecoder = (_b, v, o, n) => {
  if (n !== 8) return fixedLength("time", 8, n, o)
  const ns = v.getBigInt64(o)
  if (ns < 0n || ns >= NANOS_PER_DAY) throw new DecodeError({ message: `time out of range: ${ns}`, offset: o })
  return new LocalTime(ns)
}
const decodeInet: ValueDecoder = (b, _v, o, n) => {
  if (n === 4 || n === 16) return formatInet(b, o, n)
  if (n === 0) return EMPTY
  throw new DecodeError({ message: `inet: expected 4 or 16 bytes, got ${n}`, offset: o })
}
const decodeVarint: ValueDecoder = (b, _v, o, n) => (n === 0 ? EMPTY : readVarint(b, o, n))
const decodeDecimal: ValueDecoder = (b, v, o, n) => {
  if (n === 0) return EMPTY
  if (n < 5) throw new DecodeError({ message: `decimal: expected at least 5 bytes, got ${n}`, offset: o })
  return BigDecimal.make(readVarint(b, o + 4, n - 4), v.getInt32(o))
}
const decodeDuration: ValueDecoder = (b, _v, o, n) => {
  if (n === 0) return EMPTY
  const end = o + n
  const m = zigzagDecode64(readUnsignedVInt(b, o, end))
  const d = zigzagDecode64(readUnsignedVInt(b, vintEnd, end))
  const ns = BigInt.asIntN(64, zigzagDecode64(readUnsignedVInt(b, vintEnd, end)))
  if (vintEnd !== end) throw new DecodeError({ message: `duration: ${end - vintEnd} extra bytes`, offset: vintEnd })
  if (m < -2147483648n || m > 2147483647n || d < -2147483648n || d > 2147483647n) {
    throw new DecodeError({ message: "duration: months or days out of the 32-bit range", offset: o })
  }
  try {
    return new CqlDuration(Number(m), Number(d), ns)
  } catch (e) {
    throw new DecodeError({ message: `duration: ${(e as Error).message}`, offset: o })
  }
}

const NATIVE_DECODERS: Readonly<Record<string, ValueDecoder>> = {
  ascii: decodeText,
  text: decodeText,
  varchar: decodeText,
  bigint: decodeBigint,
  counter: decodeCounter,
  blob: decodeBlob,
  boolean: decodeBoolean,
  decimal: decodeDecimal,
  double: decodeDouble,
  float: decodeFloat,
  int: decodeInt,
  smallint: decodeSmallint,
  tinyint: decodeTinyint,
  timestamp: decodeTimestamp,
  uuid: decodeUuid,
  timeuuid: decodeTimeuuid,
  varint: decodeVarint,
  inet: decodeInet,
  date: decodeDate,
  time: decodeTime,
  duration: decodeDuration
}

/**
 * Element byte size of a vector element type whose values all have the same size (Cassandra 5.0's
 * `valueLengthIfFixed`): boolean 1, int and float 4, bigint, double and timestamp 8, uuid and timeuuid 16, and
 * vectors of those; -1 for the others (smallint, tinyint, date, time, counter... are variable-size there and
 * each element is prefixed by its unsigned vint length).
 *
 * @since 0.1.0
 */
export const vectorElementSize = (t: CqlType): number => {
  switch (t.kind) {
    case "boolean":
      return 1
    case "int":
    case "float":
      return 4
    case "bigint":
    case "double":
    case "timestamp":
      return 8
    case "uuid":
    case "timeuuid":
      return 16
    case "vector": {
      const s = vectorElementSize(t.element)
      return s < 0 ? -1 : s * t.dimension
    }
    default:
      return -1
  }
}

/** Reads the [bytes] length of a collection element at `p` (within `end`); -1 is null, < -1 is an error. */
const elementLength = (view: DataView, p: number, end: number, what: string): number => {
  if (end - p < 4) throw new DecodeError({ message: `${what}: truncated element length`, offset: p })
  const n = view.getInt32(p)
  if (n < -1) throw new DecodeError({ message: `${what}: negative element length ${n}`, offset: p })
  if (n > end - p - 4) throw new DecodeError({ message: `${what}: element of ${n} bytes overruns the value`, offset: p })
  return n
}

const makeCollectionDecoder = (type: CqlType & { kind: "list" | "set" }): ValueDecoder => {
  const elem = decoderFor(type.element)
  const what = type.kind
  return (b, v, o, n) => {
    if (n === 0) return EMPTY
    if (n < 4) throw new DecodeError({ message: `${what}: truncated element count`, offset: o })
    const count = v.getInt32(o)
    if (count < 0 || count > (n - 4) / 4) {
      throw new DecodeError({ message: `${what}: element count ${count} does not fit in ${n} bytes`, offset: o })
    }
    const end = o + n
    let p = o + 4
    const out = new Array<unknown>(count)
    for (let i = 0; i < count; i++) {
      const len = elementLength(v, p, end, what)
      p += 4
      if (len < 0) out[i] = null
      else {
        out[i] = elem(b, v, p, len)
        p += len
      }
    }
    if (p !== end) throw new DecodeError({ message: `${what}: ${end - p} extra bytes`, offset: p })
    return out
  }
}

const makeMapDecoder = (type: CqlType & { kind: "map" }): ValueDecoder => {
  const kd = decoderFor(type.key)
  const vd = decoderFor(type.value)
  return (b, v, o, n) => {
    if (n === 0) return EMPTY
    if (n < 4) throw new DecodeError({ message: "map: truncated entry count", offset: o })
    const count = v.getInt32(o)
    if (count < 0 || count > (n - 4) / 8) {
      throw new DecodeError({ message: `map: entry count ${count} does not fit in ${n} bytes`, offset: o })
    }
    const end = o + n
    let p = o + 4
    const out = new Map<unknown, unknown>()
    for (let i = 0; i < count; i++) {
      const kl = elementLength(v, p, end, "map")
      p += 4
      let key: unknown = null
      if (kl >= 0) {
        key = kd(b, v, p, kl)
        p += kl
      }
      const vl = elementLength(v, p, end, "map")
      p += 4
      let value: unknown = null
      if (vl >= 0) {
        value = vd(b, v, p, vl)
        p += vl
      }
      out.set(key, value)
    }
    if (p !== end) throw new DecodeError({ message: `map: ${end - p} extra bytes`, offset: p })
    return out
  }
}

const makeTupleDecoder = (type: CqlType & { kind: "tuple" }): ValueDecoder => {
  const decs = type.elements.map(decoderFor)
  const count = decs.length
  return (b, v, o, n) => {
    if (n === 0) return EMPTY
    const end = o + n
    let p = o
    const out = new Array<unknown>(count)
    // a value may hold fewer components than the type (it predates the type's growth): the rest are null
    for (let i = 0; i < count; i++) {
      if (p === end) {
        out[i] = null
        continue
      }
      const len = elementLength(v, p, end, "tuple")
      p += 4
      if (len < 0) out[i] = null
      else {
        out[i] = decs[i]!(b, v, p, len)
        p += len
      }
    }
    if (p !== end) throw new DecodeError({ message: `tuple: ${end - p} extra bytes`, offset: p })
    return out
  }
}

const makeUdtDecoder = (type: CqlType & { kind: "udt" }): ValueDecoder => {
  const decs = type.fields.map((f) => decoderFor(f.type))
  const names = type.fields.map((f) => f.name)
  const count = decs.length
  const what = `udt ${type.name}`
  return (b, v, o, n) => {
    if (n === 0) return EMPTY
    const end = o + n
    let p = o
    const out: Record<string, unknown> = {}
    // fields added to the type after the value was written are missing at the end: null
    for (let i = 0; i < count; i++) {
      let value: unknown = null
      if (p < end) {
        const len = elementLength(v, p, end, what)
        p += 4
        if (len >= 0) {
          value = decs[i]!(b, v, p, len)
          p += len
        }
      }
      setOwn(out, names[i]!, value)
    }
    if (p !== end) throw new DecodeError({ message: `${what}: ${end - p} extra bytes`, offset: p })
    return out
  }
}

const makeVectorDecoder = (type: CqlType & { kind: "vector" }): ValueDecoder => {
  const dim = type.dimension
  const size = vectorElementSize(type.element)
  const what = formatType(type)
  if (type.element.kind === "float") {
    return (_b, v, o, n) => {
      if (n === 0) return EMPTY
      if (n !== 4 * dim) throw new DecodeError({ message: `${what}: expected ${4 * dim} bytes, got ${n}`, offset: o })
      const out = new Float32Array(dim)
      for (let i = 0; i < dim; i++) out[i] = v.getFloat32(o + 4 * i)
      return out
    }
  }
  const elem = decoderFor(type.element)
  if (size >= 0) {
    return (b, v, o, n) => {
      if (n === 0) return EMPTY
      if (n !== size * dim) {
        throw new DecodeError({ message: `${what}: expected ${size * dim} bytes, got ${n}`, offset: o })
      }
      const out = new Array<unknown>(dim)
      for (let i = 0; i < dim; i++) out[i] = elem(b, v, o + size * i, size)
      return out
    }
  }
  return (b, v, o, n) => {
    if (n === 0) return EMPTY
    // each element takes at least one byte (its vint length): refuse before allocating
    if (dim > n) throw new DecodeError({ message: `${what}: ${dim} elements cannot fit in ${n} bytes`, offset: o })
    const end = o + n
    let p = o
    const out = new Array<unknown>(dim)
    for (let i = 0; i < dim; i++) {
      const len = readUnsignedVIntNumber(b, p, end)
      p = vintEnd
      if (len > end - p) throw new DecodeError({ message: `${what}: element of ${len} bytes overruns the value`, offset: p })
      out[i] = elem(b, v, p, len)
      p += len
    }
    if (p !== end) throw new DecodeError({ message: `${what}: ${end - p} extra bytes`, offset: p })
    return out
  }
}

const cache = new WeakMap<CqlType, ValueDecoder>()

/**
 * The decoder of a type's values, built once per type object (cached).
 *
 * @since 0.1.0
 */
export const decoderFor = (type: CqlType): ValueDecoder => {
  const nd = NATIVE_DECODERS[type.kind]
  if (nd !== undefined) return nd
  let d = cache.get(type)
  if (d !== undefined) return d
  switch (type.kind) {
    case "list":
    case "set":
      d = makeCollectionDecoder(type)
      break
    case "map":
      d = makeMapDecoder(type)
      break
    case "tuple":
      d = makeTupleDecoder(type)
      break
    case "udt":
      d = makeUdtDecoder(type)
      break
    case "vector":
      d = makeVectorDecoder(type)
      break
    default:
      d = decodeBlob // custom: raw bytes
  }
  cache.set(type, d)
  return d
}

/** Turns anything thrown while decoding into a DecodeError (decoders only throw DecodeErrors by design). */
const asDecodeError = (e: unknown, offset?: number): DecodeError =>
  e instanceof DecodeError ? e : new DecodeError({ message: `decode failed: ${String((e as Error)?.message ?? e)}`, offset })

/**
 * Decodes the content bytes `bytes[start, end)` of a value of `type` (no length prefix). Throws a
 * `DecodeError` (only) on malformed input.
 *
 * @since 0.1.0
 */
export const decodeValue = (type: CqlType, bytes: Uint8Array, start = 0, end = bytes.length): unknown => {
  if (!(start >= 0 && start <= end && end <= bytes.length)) {
    throw new DecodeError({ message: `bad range [${start}, ${end}) of ${bytes.length} bytes`, offset: start })
  }
  try {
    return decoderFor(type)(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), start, end - start)
  } catch (e) {
    throw asDecodeError(e, start)
  }
}

/**
 * Reads a [value] (i32 length + content) of `type` at the reader's position: `null` for a null (-1) value.
 *
 * @since 0.1.0
 */
export const readValue = (r: ByteReader, type: CqlType): unknown => {
  const at = r.pos
  const n = r.readInt()
  if (n < 0) {
    if (n === -1) return null
    throw new DecodeError({ message: `negative value length ${n}`, offset: at })
  }
  r.need(n)
  const p = r.pos
  r.pos += n
  try {
    return decoderFor(type)(r.buf, r.view, p, n)
  } catch (e) {
    throw asDecodeError(e, p)
  }
}

/**
 * Decodes a value's content bytes; never throws.
 *
 * @since 0.1.0
 */
export const deserializeValue = (type: CqlType, bytes: Uint8Array): Result.Result<unknown, DecodeError> => {
  try {
    return Result.succeed(decodeValue(type, bytes, 0, bytes.length))
  } catch (e) {
    return Result.fail(asDecodeError(e, 0))
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rows

/**
 * Decodes one row: the reader is at the row's first cell; on return it is past the last.
 *
 * @since 0.1.0
 */
export interface RowDecoder {
  (r: ByteReader): Row
  readonly columnCount: number
}

const truncated = (p: number, e: number, n: number): never => {
  throw new DecodeError({ message: `row cell of ${n} bytes overruns the ${e - p} bytes left`, offset: p })
}
const badLength = (p: number, n: number): never => {
  throw new DecodeError({ message: `negative cell length ${n}`, offset: p })
}

/** A fast path written inline in generated row decoders for the most common fixed-size types. */
const INLINE: Readonly<Record<string, (d: string) => string>> = {
  int: (d) => `n === 4 ? v.getInt32(p) : ${d}(b, v, p, n)`,
  bigint: (d) => `n === 8 ? v.getBigInt64(p) : ${d}(b, v, p, n)`,
  counter: (d) => `n === 8 ? v.getBigInt64(p) : ${d}(b, v, p, n)`,
  double: (d) => `n === 8 ? v.getFloat64(p) : ${d}(b, v, p, n)`,
  float: (d) => `n === 4 ? v.getFloat32(p) : ${d}(b, v, p, n)`,
  boolean: (d) => `n === 1 ? b[p] !== 0 : ${d}(b, v, p, n)`
}

const propertyKey = (name: string): string => (name === "__proto__" ? `["__proto__"]` : JSON.stringify(name))

type Factory = (
  decoders: ReadonlyArray<ValueDecoder>,
  onTruncated: typeof truncated,
  onBadLength: typeof badLength
) => (r: ByteReader) => Row

const generate = (columns: ReadonlyArray<ColumnSpec>): Factory => {
  const n = columns.length
  // Rows are built by a constructor whose prototype is Object.prototype: plain objects to every observer
  // (same prototype, own enumerable properties in column order, one hidden class), but unlike an object
  // literal, `new` carries no allocation site, so V8 never pretenures rows into the old generation. With a
  // literal, a scavenge that finds a whole page of rows alive (a slow consumer) switches the site to
  // old-space allocation, and every later page then waits for a full GC: 2x the heap of a streamed read.
  const ctor = `"use strict";\nfunction Row(${columns.map((_, i) => `c${i}`).join(", ")}) {\n` +
    columns.map((c, i) => `this[${JSON.stringify(c.name)}] = c${i};\n`).join("") +
    `}\nRow.prototype = Object.prototype;\n`
  let src = ``
  for (let i = 0; i < n; i++) src += `const d${i} = D[${i}];\n`
  src += `return function decodeRow(r) {\nconst b = r.buf, v = r.view, e = r.end;\nlet p = r.pos, n = 0;\n`
  for (let i = 0; i < n; i++) {
    const inline = INLINE[columns[i]!.type.kind]
    const call = inline !== undefined ? inline(`d${i}`) : `d${i}(b, v, p, n)`
    src += `if (e - p < 4) T(p, e, 4);\nn = v.getInt32(p); p += 4;\nlet c${i} = null;\n` +
      `if (n >= 0) { if (n > e - p) T(p, e, n); c${i} = ${call}; p += n; } else if (n !== -1) N(p - 4, n);\n`
  }
  if (columns.some((c) => c.name === "__proto__")) {
    // `this.__proto__ = x` would set the prototype: a literal with a computed key defines the property
    src += `r.pos = p;\nreturn {${columns.map((c, i) => `${propertyKey(c.name)}: c${i}`).join(", ")}};\n};\n`
  } else {
    src += `r.pos = p;\nreturn new Row(${columns.map((_, i) => `c${i}`).join(", ")});\n};\n`
  }
  return new Function("D", "T", "N", ctor + src) as Factory
}

/** The portable row decoder, for runtimes that forbid `new Function`. */
const interpreted = (columns: ReadonlyArray<ColumnSpec>, decoders: ReadonlyArray<ValueDecoder>) => {
  const names = columns.map((c) => c.name)
  const count = names.length
  return (r: ByteReader): Row => {
    const b = r.buf, v = r.view, e = r.end
    let p = r.pos
    const out: Row = {}
    for (let i = 0; i < count; i++) {
      if (e - p < 4) truncated(p, e, 4)
      const n = v.getInt32(p)
      p += 4
      let c: unknown = null
      if (n >= 0) {
        if (n > e - p) truncated(p, e, n)
        c = decoders[i]!(b, v, p, n)
        p += n
      } else if (n !== -1) badLength(p - 4, n)
      setOwn(out, names[i]!, c)
    }
    r.pos = p
    return out
  }
}

let canGenerate: boolean | undefined

/**
 * Builds the decoder of the rows of a result with these columns, once per metadata. It reads one [bytes]
 * cell per column (-1 = null; any other negative length or a cell overrunning the reader's end is a
 * `DecodeError`) and returns a plain object with the columns in order, all rows sharing one hidden class.
 * Implemented by a function generated for the column list (`new Function`), with per-column decoders chosen
 * here and the common fixed-size types inlined; an interpreted loop when code generation is not allowed.
 *
 * @since 0.1.0
 */
export const makeRowDecoder = (
  columns: ReadonlyArray<ColumnSpec>,
  options?: { /** false: never generate code (default: generate when the runtime allows it). */ readonly codegen?: boolean }
): RowDecoder => {
  const decoders = columns.map((c) => decoderFor(c.type))
  let fn: ((r: ByteReader) => Row) | undefined
  if (canGenerate !== false && options?.codegen !== false) {
    try {
      fn = generate(columns)(decoders, truncated, badLength)
      canGenerate = true
    } catch (e) {
      // code generation forbidden (CSP, --disallow-code-generation-from-strings): never try again; any
      // other failure (e.g. more columns than a function has parameters) concerns this result only
      if (e instanceof EvalError) canGenerate = false
    }
  }
  if (fn === undefined) fn = interpreted(columns, decoders)
  return Object.assign(fn, { columnCount: columns.length }) as RowDecoder
}

/** Most rows accepted when a result has no columns (they take no bytes, so bytes cannot bound them). */
const MAX_EMPTY_ROWS = 65536

/**
 * Decodes `count` rows with `decoder`. The count is checked against the bytes left first (each cell takes at
 * least 4 bytes), so a lying count fails fast without allocating.
 *
 * @since 0.1.0
 */
export const decodeRows = (r: ByteReader, count: number, decoder: RowDecoder): Array<Row> => {
  checkRowCount(r, count, decoder)
  const rows = new Array<Row>(count)
  for (let i = 0; i < count; i++) rows[i] = decoder(r)
  return rows
}

/** A lying row count fails before anything is allocated: each cell takes at least 4 bytes. */
const checkRowCount = (r: ByteReader, count: number, decoder: RowDecoder): void => {
  const cols = decoder.columnCount
  if (!Number.isInteger(count) || count < 0 || (cols === 0 ? count > MAX_EMPTY_ROWS : count * cols * 4 > r.end - r.pos)) {
    throw new DecodeError({ message: `row count ${count} (x ${cols} columns) does not fit in ${r.end - r.pos} bytes`, offset: r.pos })
  }
}

/**
 * The rows of one result, decoded on demand: `next(n)` decodes the next `n` rows from the cursor's own
 * copy of their bytes, which it frees once the last row is read. A consumer that takes a page's rows a
 * few at a time then holds one page of bytes (outside the JavaScript heap) and the rows it is working
 * on, instead of every row of the page: with a slow consumer, the rows decoded at once all survive the
 * young generation's collections, and V8 grows its young generation with what survives.
 *
 * @since 0.2.0
 */
export class RowCursor {
  /** Rows in all. */
  readonly count: number
  private reader: ByteReader | undefined
  private left: number
  private readonly decoder: RowDecoder

  /** `r` is at the first row (its count already read); checks the count against the bytes left. Throws DecodeError. */
  static at(r: ByteReader, count: number, decoder: RowDecoder): RowCursor {
    checkRowCount(r, count, decoder)
    const bytes = new Uint8Array(r.end - r.pos)
    bytes.set(r.buf.subarray(r.pos, r.end))
    r.pos = r.end
    return new RowCursor(bytes, count, decoder)
  }

  private constructor(bytes: Uint8Array, count: number, decoder: RowDecoder) {
    this.count = count
    this.left = count
    this.decoder = decoder
    this.reader = count === 0 ? undefined : new ByteReader(bytes)
  }

  /** Rows not read yet. */
  get remaining(): number {
    return this.left
  }

  /** The next `min(n, remaining)` rows (`n >= 1`), or the DecodeError of a malformed one (the cursor is then done). */
  next(n: number): Result.Result<Array<Row>, DecodeError> {
    const r = this.reader
    const k = Math.min(n, this.left)
    if (r === undefined || k <= 0) return Result.succeed([])
    const rows = new Array<Row>(k)
    try {
      for (let i = 0; i < k; i++) rows[i] = this.decoder(r)
    } catch (e) {
      this.close()
      return Result.fail(asDecodeError(e, r.pos))
    }
    this.left -= k
    if (this.left === 0) this.close()
    return Result.succeed(rows)
  }

  /** Frees the rows' bytes now (the remaining rows are dropped). */
  close(): void {
    const r = this.reader
    this.left = 0
    if (r === undefined) return
    this.reader = undefined
    const buffer = r.buf.buffer as { readonly transfer?: (newLength: number) => ArrayBuffer; readonly detached?: boolean }
    if (buffer.transfer !== undefined && buffer.detached === false && r.buf.byteLength >= 4096) {
      try {
        buffer.transfer(0)
      } catch {
        // not detachable: the garbage collector frees it
      }
    }
  }
}
