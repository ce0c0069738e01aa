/**
 * Value encoding straight into a `ByteWriter`: fixed-size values are written in place, collections and
 * other variable-size values reserve their length and patch it. An encoder is built once per type (cached).
 * A value that does not fit its type is an `EncodeError` naming its position and the expected type.
 * Values only: where they sit in a request (counts, names, flags) is `../frame/Requests.ts`'s.
 *
 * @since 0.1.0
 */
import * as BigDecimal from "effect/BigDecimal"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { ByteWriter } from "../Buffers.ts"
import type { CqlType } from "../CqlType.ts"
import { EncodeError } from "../Errors.ts"
import { type ProtocolVersion, UNSET } from "../Messages.ts"
import { vectorElementSize } from "./Decode.ts"
import {
  parseInetInto,
  parseUuidInto,
  writeSignedVInt32,
  writeSignedVInt64,
  writeUnsignedVInt,
  writeVarint
} from "./Primitives.ts"
import { formatType, nativeType } from "./TypeNames.ts"
import { CqlDuration, EMPTY, LocalDate, LocalTime } from "./Values.ts"

/** A value that does not fit its type, thrown inside the encoders; the entry points turn it into an EncodeError. */
class Mismatch {
  readonly type: CqlType
  readonly value: unknown
  readonly reason: string | undefined
  /** Position relative to the value given to the entry point, e.g. `[2].street`; built while unwinding. */
  suffix = ""
  constructor(type: CqlType, value: unknown, reason?: string) {
    this.type = type
    this.value = value
    this.reason = reason
  }
}

const mismatch = (type: CqlType, value: unknown, reason?: string): never => {
  throw new Mismatch(type, value, reason)
}

const describe = (v: unknown): string => {
  switch (typeof v) {
    case "string":
      return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`
    case "number":
      return `number ${v}`
    case "bigint":
      return `bigint ${v}n`
    case "boolean":
      return `boolean ${v}`
    case "symbol":
      return String(v)
    case "function":
      return "a function"
    case "undefined":
      return "undefined"
    default:
      if (v === null) return "null"
      if (Array.isArray(v)) return `an array of ${v.length} elements`
      if (v instanceof Map) return `a Map of ${v.size} entries`
      if (v instanceof Set) return `a Set of ${v.size} elements`
      if (v instanceof Date) return `a Date (${Number.isNaN(v.getTime()) ? "invalid" : v.toISOString()})`
      if (ArrayBuffer.isView(v)) {
        return `a ${v.constructor.name} of ${"length" in v ? (v as { length: number }).length : v.byteLength} elements`
      }
      {
        const name = (v as object).constructor?.name
        return name === undefined || name === "Object" ? "an object" : `a ${name}`
      }
  }
}

const segment = (key: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`)

const toEncodeError = (e: unknown, path: string, type: CqlType, value: unknown): EncodeError => {
  if (e instanceof Mismatch) {
    const where = path + e.suffix
    const expected = formatType(e.type)
    const reason = e.reason === undefined ? "" : ` (${e.reason})`
    return new EncodeError({
      message: `${where}: expected ${expected}, got ${describe(e.value)}${reason}`,
      path: where,
      expected
    })
  }
  if (e instanceof EncodeError) return e
  const expected = formatType(type)
  return new EncodeError({
    message: `${path}: cannot encode ${describe(value)} as ${expected}: ${String((e as Error)?.message ?? e)}`,
    path,
    expected
  })
}

/** Writes the content of a (non-null, non-EMPTY) value, without its length. */
type ContentEncoder = (w: ByteWriter, v: unknown) => void

interface Codec {
  /** Content byte size when fixed for every value of the type, else -1. */
  readonly size: number
  readonly content: ContentEncoder
}

/** Writes a [value]: i32 length + content; `v` is not null/undefined/UNSET. */
const writeValue = (w: ByteWriter, c: Codec, v: unknown): void => {
  if (v === EMPTY) {
    w.writeInt(0)
  } else if (c.size >= 0) {
    w.writeInt(c.size)
    c.content(w, v)
  } else {
    const at = w.skip(4)
    c.content(w, v)
    w.view.setInt32(at, w.pos - at - 4)
  }
}

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const TWO_32 = 4294967296

const integer = (type: CqlType, min: number, max: number) => (v: unknown): number => {
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= min && v <= max) return v
    return mismatch(type, v, Number.isInteger(v) ? `out of the ${type.kind} range` : "not an integer")
  }
  if (typeof v === "bigint") {
    if (v >= BigInt(min) && v <= BigInt(max)) return Number(v)
    return mismatch(type, v, `out of the ${type.kind} range`)
  }
  return mismatch(type, v)
}

/** A 64-bit value from a bigint (range-checked) or a safe-integer number, written big-endian. */
const writeInt64 = (w: ByteWriter, type: CqlType, v: unknown): void => {
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) mismatch(type, v, Number.isInteger(v) ? "not a safe integer: pass a bigint" : "not an integer")
    const hi = Math.floor(v / TWO_32)
    w.ensure(8)
    w.view.setInt32(w.pos, hi)
    w.view.setUint32(w.pos + 4, v - hi * TWO_32)
    w.pos += 8
    return
  }
  if (typeof v === "bigint") {
    if (v < INT64_MIN || v > INT64_MAX) mismatch(type, v, "out of the 64-bit range")
    w.writeLong(v)
    return
  }
  mismatch(type, v)
}

const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function"
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)

const textCodec = (type: CqlType): Codec => ({
  size: -1,
  content: (w, v) => {
    if (typeof v !== "string") return mismatch(type, v)
    const n = v.length
    if (n <= 64) {
      // short strings: copy ASCII directly, falling back to the UTF-8 encoder at the first other character
      w.ensure(n)
      const buf = w.buf
      const p = w.pos
      let i = 0
      for (; i < n; i++) {
        const c = v.charCodeAt(i)
        if (c > 0x7f) break
        buf[p + i] = c
      }
      if (i === n) {
        w.pos = p + n
        return
      }
    }
    if (!isWellFormed(v)) mismatch(type, v, "lone UTF-16 surrogate")
    w.writeUtf8(v)
  }
})

const asciiCodec = (type: CqlType): Codec => ({
  size: -1,
  content: (w, v) => {
    if (typeof v !== "string") return mismatch(type, v)
    const n = v.length
    w.ensure(n)
    const buf = w.buf
    const p = w.pos
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i)
      if (c > 0x7f) mismatch(type, v, `non-ASCII character at ${i}`)
      buf[p + i] = c
    }
    w.pos = p + n
  }
})

const uuidCodec = (type: CqlType, timeBased: boolean): Codec => ({
  size: 16,
  content: (w, v) => {
    w.ensure(16)
    if (typeof v === "string") {
      if (!parseUuidInto(v, w.buf, w.pos)) mismatch(type, v, "not a UUID")
    } else if (v instanceof Uint8Array && v.length === 16) {
      w.buf.set(v, w.pos)
    } else mismatch(type, v)
    if (timeBased && (w.buf[w.pos + 6]! >> 4) !== 1) mismatch(type, v, "not a version 1 (time-based) UUID")
    w.pos += 16
  }
})

const timestampCodec = (type: CqlType): Codec => ({
  size: 8,
  content: (w, v) => {
    if (v instanceof Date) {
      const t = v.getTime()
      if (Number.isNaN(t)) mismatch(type, v, "invalid Date")
      writeInt64(w, type, t)
    } else if (typeof v === "number" || typeof v === "bigint") writeInt64(w, type, v)
    else mismatch(type, v)
  }
})

const wrapRange = <A>(type: CqlType, v: unknown, f: () => A): A => {
  try {
    return f()
  } catch (e) {
    return mismatch(type, v, (e as Error).message)
  }
}

const dateCodec = (type: CqlType): Codec => ({
  size: 4,
  content: (w, v) => {
    let d: LocalDate
    if (v instanceof LocalDate) d = v
    else if (typeof v === "string") d = wrapRange(type, v, () => LocalDate.fromString(v))
    else if (v instanceof Date) d = wrapRange(type, v, () => LocalDate.fromDate(v))
    else return mismatch(type, v)
    w.ensure(4)
    w.view.setUint32(w.pos, d.days + 2147483648)
    w.pos += 4
  }
})

const timeCodec = (type: CqlType): Codec => ({
  size: 8,
  content: (w, v) => {
    let t: LocalTime
    if (v instanceof LocalTime) t = v
    else if (typeof v === "bigint") t = wrapRange(type, v, () => new LocalTime(v))
    else if (typeof v === "string") t = wrapRange(type, v, () => LocalTime.fromString(v))
    else return mismatch(type, v)
    w.writeLong(t.nanos)
  }
})

const inetCodec = (type: CqlType): Codec => ({
  size: -1,
  content: (w, v) => {
    if (typeof v === "string") {
      w.ensure(16)
      const n = parseInetInto(v, w.buf, w.pos)
      if (n === 0) return mismatch(type, v, "not an IPv4 or IPv6 address")
      w.pos += n
    } else if (v instanceof Uint8Array && (v.length === 4 || v.length === 16)) w.writeRaw(v)
    else mismatch(type, v)
  }
})

const toBigDecimal = (type: CqlType, v: unknown): BigDecimal.BigDecimal => {
  if (BigDecimal.isBigDecimal(v)) return v
  if (typeof v === "bigint") return BigDecimal.make(v, 0)
  if (typeof v === "number") {
    if (Number.isSafeInteger(v)) return BigDecimal.make(BigInt(v), 0)
    if (!Number.isFinite(v)) return mismatch(type, v, "not finite")
    const o = BigDecimal.fromString(String(v))
    return Option.isSome(o) ? o.value : mismatch(type, v)
  }
  if (typeof v === "string" && v.trim() !== "") {
    const o = BigDecimal.fromString(v.trim())
    return Option.isSome(o) ? o.value : mismatch(type, v, "not a decimal number")
  }
  return mismatch(type, v)
}

const decimalCodec = (type: CqlType): Codec => ({
  size: -1,
  content: (w, v) => {
    const d = toBigDecimal(type, v)
    if (d.scale < INT32_MIN || d.scale > INT32_MAX) mismatch(type, v, "scale out of the 32-bit range")
    w.writeInt(d.scale)
    writeVarint(w, d.value)
  }
})

const varintCodec = (type: CqlType): Codec => ({
  size: -1,
  content: (w, v) => {
    if (typeof v === "bigint") writeVarint(w, v)
    else if (typeof v === "number" && Number.isSafeInteger(v)) writeVarint(w, BigInt(v))
    else mismatch(type, v, typeof v === "number" ? (Number.isInteger(v) ? "not a safe integer: pass a bigint" : "not an integer") : undefined)
  }
})

const durationCodec = (type: CqlType): Codec => ({
  size: -1,
  content: (w, v) => {
    let d: CqlDuration
    if (v instanceof CqlDuration) d = v
    else if (typeof v === "string") d = wrapRange(type, v, () => CqlDuration.fromString(v))
    else return mismatch(type, v)
    writeSignedVInt32(w, d.months)
    writeSignedVInt32(w, d.days)
    writeSignedVInt64(w, d.nanoseconds)
  }
})

const bytesCodec = (type: CqlType): Codec => ({
  size: -1,
  content: (w, v) => {
    if (v instanceof Uint8Array) w.writeRaw(v)
    else mismatch(type, v)
  }
})

const nativeCodec = (type: CqlType): Codec => {
  switch (type.kind) {
    case "int": {
      const check = integer(type, INT32_MIN, INT32_MAX)
      return { size: 4, content: (w, v) => w.writeInt(check(v)) }
    }
    case "smallint": {
      const check = integer(type, -32768, 32767)
      return { size: 2, content: (w, v) => w.writeShort(check(v) & 0xffff) }
    }
    case "tinyint": {
      const check = integer(type, -128, 127)
      return { size: 1, content: (w, v) => w.writeByte(check(v)) }
    }
    case "bigint":
    case "counter":
      return { size: 8, content: (w, v) => writeInt64(w, type, v) }
    case "float":
      return { size: 4, content: (w, v) => (typeof v === "number" ? w.writeFloat(v) : mismatch(type, v)) }
    case "double":
      return { size: 8, content: (w, v) => (typeof v === "number" ? w.writeDouble(v) : mismatch(type, v)) }
    case "boolean":
      return { size: 1, content: (w, v) => (typeof v === "boolean" ? w.writeByte(v ? 1 : 0) : mismatch(type, v)) }
    case "text":
    case "varchar":
      return textCodec(type)
    case "ascii":
      return asciiCodec(type)
    case "blob":
      return bytesCodec(type)
    case "uuid":
      return uuidCodec(type, false)
    case "timeuuid":
      return uuidCodec(type, true)
    case "timestamp":
      return timestampCodec(type)
    case "date":
      return dateCodec(type)
    case "time":
      return timeCodec(type)
    case "inet":
      return inetCodec(type)
    case "decimal":
      return decimalCodec(type)
    case "varint":
      return varintCodec(type)
    case "duration":
      return durationCodec(type)
    default:
      return bytesCodec(type)
  }
}

/** Rethrows `e`, prefixing the position of a mismatch with `seg`. */
const at = (e: unknown, seg: string): never => {
  if (e instanceof Mismatch) e.suffix = seg + e.suffix
  throw e
}

const NULL_ELEMENT = "null and unset are not allowed inside collections"

const collectionCodec = (type: CqlType & { kind: "list" | "set" }): Codec => {
  const ec = codecFor(type.element)
  const element = type.element
  const writeElements = (w: ByteWriter, items: Iterable<unknown>, count: number): void => {
    w.writeInt(count)
    let i = 0
    try {
      for (const x of items) {
        if (x === null || x === undefined || x === UNSET) mismatch(element, x, NULL_ELEMENT)
        writeValue(w, ec, x)
        i++
      }
    } catch (e) {
      at(e, `[${i}]`)
    }
  }
  return {
    size: -1,
    content: type.kind === "list"
      ? (w, v) => (Array.isArray(v) ? writeElements(w, v, v.length) : mismatch(type, v))
      : (w, v) =>
        Array.isArray(v)
          ? writeElements(w, v, v.length)
          : v instanceof Set
          ? writeElements(w, v, v.size)
          : mismatch(type, v)
  }
}

const isTextKind = (t: CqlType): boolean => t.kind === "text" || t.kind === "varchar" || t.kind === "ascii"

const keyLabel = (k: unknown, i: number): string =>
  typeof k === "string"
    ? `[${JSON.stringify(k)}]`
    : typeof k === "number" || typeof k === "boolean"
    ? `[${k}]`
    : typeof k === "bigint"
    ? `[${k}n]`
    : `[#${i}]`

/** Plain data objects (not arrays, maps, sets, dates, byte arrays or the codec's value classes). */
const isRecord = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

const mapCodec = (type: CqlType & { kind: "map" }): Codec => {
  const kc = codecFor(type.key)
  const vc = codecFor(type.value)
  const keyType = type.key
  const valueType = type.value
  const entry = (w: ByteWriter, k: unknown, x: unknown, i: number): void => {
    try {
      if (k === null || k === undefined || k === UNSET) mismatch(keyType, k, NULL_ELEMENT)
      writeValue(w, kc, k)
    } catch (e) {
      at(e, `.keys[${i}]`)
    }
    try {
      if (x === null || x === undefined || x === UNSET) mismatch(valueType, x, NULL_ELEMENT)
      writeValue(w, vc, x)
    } catch (e) {
      at(e, keyLabel(k, i))
    }
  }
  const textKeys = isTextKind(type.key)
  return {
    size: -1,
    content: (w, v) => {
      if (v instanceof Map) {
        w.writeInt(v.size)
        let i = 0
        for (const [k, x] of v) entry(w, k, x, i++)
      } else if (textKeys && isRecord(v)) {
        const keys = Object.keys(v)
        w.writeInt(keys.length)
        for (let i = 0; i < keys.length; i++) entry(w, keys[i], v[keys[i]!], i)
      } else mismatch(type, v, isRecord(v) ? "a plain object is accepted only for text keys: pass a Map" : undefined)
    }
  }
}

const tupleCodec = (type: CqlType & { kind: "tuple" }): Codec => {
  const codecs = type.elements.map(codecFor)
  const n = codecs.length
  return {
    size: -1,
    content: (w, v) => {
      if (!Array.isArray(v)) return mismatch(type, v)
      if (v.length !== n) return mismatch(type, v, `a tuple of ${n} elements`)
      let i = 0
      try {
        for (; i < n; i++) {
          const x = v[i]
          if (x === null || x === undefined) w.writeInt(-1)
          else if (x === UNSET) mismatch(type.elements[i]!, x, "unset is not allowed inside a tuple")
          else writeValue(w, codecs[i]!, x)
        }
      } catch (e) {
        at(e, `[${i}]`)
      }
    }
  }
}

/** Objects that can stand for a UDT value: plain objects and instances of user classes, not built-in values. */
const isUdtLike = (v: unknown): v is object =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof Map) &&
  !(v instanceof Set) && !(v instanceof Date) && !(v instanceof ArrayBuffer) && !(v instanceof RegExp) &&
  !(v instanceof Error) && !(v instanceof LocalDate) && !(v instanceof LocalTime) && !(v instanceof CqlDuration) &&
  !BigDecimal.isBigDecimal(v)

const udtCodec = (type: CqlType & { kind: "udt" }): Codec => {
  const codecs = type.fields.map((f) => codecFor(f.type))
  const names = type.fields.map((f) => f.name)
  const known = new Set(names)
  const n = codecs.length
  return {
    size: -1,
    content: (w, v) => {
      if (!isUdtLike(v)) return mismatch(type, v)
      const o = v as Record<string, unknown>
      for (const k of Object.keys(o)) {
        if (!known.has(k)) {
          const e = new Mismatch(type, v, `unknown field ${JSON.stringify(k)}`)
          throw e
        }
      }
      let i = 0
      try {
        for (; i < n; i++) {
          const name = names[i]!
          const x = Object.prototype.hasOwnProperty.call(o, name) ? o[name] : undefined
          if (x === null || x === undefined) w.writeInt(-1)
          else if (x === UNSET) mismatch(type.fields[i]!.type, x, "unset is not allowed inside a UDT")
          else writeValue(w, codecs[i]!, x)
        }
      } catch (e) {
        at(e, segment(names[i]!))
      }
    }
  }
}

const VECTOR_NULL = "vector elements cannot be null, unset or empty"

const vectorCodec = (type: CqlType & { kind: "vector" }): Codec => {
  const dim = type.dimension
  const element = type.element
  const size = vectorElementSize(element)
  const ec = codecFor(element)
  const isArrayLike = (v: unknown): v is ArrayLike<unknown> =>
    Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView) && typeof v !== "bigint")
  const checkShape = (v: unknown): ArrayLike<unknown> => {
    if (!isArrayLike(v)) return mismatch(type, v)
    if (v.length !== dim) return mismatch(type, v, `wrong dimension: ${v.length} elements`)
    return v
  }
  if (element.kind === "float") {
    return {
      size: 4 * dim,
      content: (w, v) => {
        const a = checkShape(v)
        w.ensure(4 * dim)
        const view = w.view
        let p = w.pos
        for (let i = 0; i < dim; i++) {
          const x = a[i]
          if (typeof x !== "number") {
            const m = new Mismatch(element, x, x === null || x === undefined ? VECTOR_NULL : undefined)
            m.suffix = `[${i}]`
            throw m
          }
          view.setFloat32(p, x)
          p += 4
        }
        w.pos = p
      }
    }
  }
  return {
    size: size >= 0 ? size * dim : -1,
    content: (w, v) => {
      const a = checkShape(v)
      let i = 0
      try {
        for (; i < dim; i++) {
          const x = a[i]
          if (x === null || x === undefined || x === UNSET || x === EMPTY) mismatch(element, x, VECTOR_NULL)
          if (size >= 0) ec.content(w, x)
          else {
            const start = w.pos
            ec.content(w, x)
            const len = w.pos - start
            // prefix the element with its unsigned vint length: write the vint, then move the content after it
            const tmp = vintScratch
            tmp.reset()
            writeUnsignedVInt(tmp, len)
            const s = tmp.pos
            w.ensure(s)
            w.buf.copyWithin(start + s, start, start + len)
            w.buf.set(tmp.buf.subarray(0, s), start)
            w.pos = start + s + len
          }
        }
      } catch (e) {
        at(e, `[${i}]`)
      }
    }
  }
}

const vintScratch = new ByteWriter(16)

const codecCache = new WeakMap<CqlType, Codec>()
const nativeCodecs = new Map<string, Codec>()

const codecFor = (type: CqlType): Codec => {
  const nc = nativeCodecs.get(type.kind)
  if (nc !== undefined) return nc
  let c = codecCache.get(type)
  if (c !== undefined) return c
  switch (type.kind) {
    case "list":
    case "set":
      c = collectionCodec(type)
      break
    case "map":
      c = mapCodec(type)
      break
    case "tuple":
      c = tupleCodec(type)
      break
    case "udt":
      c = udtCodec(type)
      break
    case "vector":
      c = vectorCodec(type)
      break
    case "custom":
      c = bytesCodec(type)
      break
    default: {
      // one codec per native kind, shared by every descriptor object of that kind
      c = nativeCodecs.get(type.kind)
      if (c === undefined) {
        c = nativeCodec(nativeType(type.kind))
        nativeCodecs.set(type.kind, c)
      }
    }
  }
  codecCache.set(type, c)
  return c
}

/**
 * Options of {@link encodeValue} and {@link encodeInferredValue}: whether unset values may be written.
 *
 * @since 0.1.0
 */
export interface EncodeOptions {
  /** Whether `UNSET` may be written (length -2). Default: true, or `version >= 4` when `version` is given. */
  readonly allowUnset?: boolean | undefined
  /** The connection's protocol version: v3 has no unset values. */
  readonly version?: ProtocolVersion | undefined
}

const unsetAllowed = (options: EncodeOptions | undefined): boolean =>
  options === undefined ? true : options.allowUnset ?? (options.version === undefined || options.version >= 4)

/**
 * Writes the full [value] of `value` as `type` into `w`: i32 length + bytes. `null`/`undefined` write a
 * null (-1), `UNSET` an unset value (-2; an error when unset is not allowed, e.g. protocol v3), `EMPTY` a
 * zero-length value. Throws an `EncodeError` (only) naming `path` (plus the position inside the value, e.g.
 * `values[2][1]`, `values[0].street`) and the expected type. On error the writer holds partial output.
 *
 * @since 0.1.0
 */
export const encodeValue = (
  w: ByteWriter,
  type: CqlType,
  value: unknown,
  path = "value",
  options?: EncodeOptions
): void => {
  if (value === null || value === undefined) {
    w.writeInt(-1)
    return
  }
  if (value === UNSET) {
    if (!unsetAllowed(options)) {
      throw new EncodeError({
        message: `${path}: unset values need protocol v4 or later`,
        path,
        expected: formatType(type)
      })
    }
    w.writeInt(-2)
    return
  }
  try {
    writeValue(w, codecFor(type), value)
  } catch (e) {
    throw toEncodeError(e, path, type, value)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Inference, for values sent without metadata (simple statements)

const INFERRED: { readonly [k: string]: CqlType } = {
  int: nativeType("int"),
  double: nativeType("double"),
  text: nativeType("text"),
  bigint: nativeType("bigint"),
  boolean: nativeType("boolean"),
  timestamp: nativeType("timestamp"),
  blob: nativeType("blob"),
  date: nativeType("date"),
  time: nativeType("time"),
  duration: nativeType("duration"),
  decimal: nativeType("decimal")
}

const isInt32 = (v: number): boolean => Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX

/** The common type of a collection's elements: the first non-null element's, widening int to double. */
const inferElements = (items: Iterable<unknown>): CqlType | undefined => {
  let found: CqlType | undefined
  let allInt = true
  let numbers = false
  for (const x of items) {
    if (x === null || x === undefined) continue
    if (typeof x === "number") {
      numbers = true
      if (!isInt32(x)) allInt = false
      continue
    }
    if (found === undefined) {
      found = inferType(x)
      if (found === undefined) return undefined
    }
  }
  if (numbers) return found === undefined ? (allInt ? INFERRED["int"] : INFERRED["double"]) : undefined
  return found ?? INFERRED["blob"]
}

/**
 * Guesses the CQL type of a JavaScript value sent without metadata (the server then checks the bytes
 * against the column's type, and refuses a mismatch such as 8 bytes for an `int`):
 * an int32 `number` -> `int`, any other `number` -> `double`; `bigint` -> `bigint`; `string` -> `text`;
 * `boolean`; `Date` -> `timestamp`; `Uint8Array` -> `blob`; `LocalDate` -> `date`; `LocalTime` -> `time`;
 * `CqlDuration` -> `duration`; `BigDecimal` -> `decimal`; `Float32Array` -> `vector<float, n>`;
 * an `Array` -> `list<...>` and a `Set` -> `set<...>` of their elements' type (numbers: `int` when all are
 * int32, else `double`; empty: `list<blob>`, whose bytes are the same); a `Map` -> `map<K, V>` likewise.
 * Undefined for `null`, `undefined`, `UNSET`, `EMPTY` (they need no type: see `encodeInferredValue`) and
 * for values with no obvious type (plain objects, which could be a UDT or a map, symbols, functions...).
 *
 * @since 0.1.0
 */
export const inferType = (value: unknown): CqlType | undefined => {
  switch (typeof value) {
    case "number":
      return isInt32(value) ? INFERRED["int"] : INFERRED["double"]
    case "string":
      return INFERRED["text"]
    case "bigint":
      return INFERRED["bigint"]
    case "boolean":
      return INFERRED["boolean"]
    case "object": {
      if (value === null) return undefined
      if (value instanceof Date) return INFERRED["timestamp"]
      if (value instanceof Uint8Array) return INFERRED["blob"]
      if (value instanceof LocalDate) return INFERRED["date"]
      if (value instanceof LocalTime) return INFERRED["time"]
      if (value instanceof CqlDuration) return INFERRED["duration"]
      if (BigDecimal.isBigDecimal(value)) return INFERRED["decimal"]
      if (value instanceof Float32Array) {
        return value.length > 0 ? { kind: "vector", element: nativeType("float"), dimension: value.length } : undefined
      }
      if (Array.isArray(value)) {
        const element = inferElements(value)
        return element === undefined ? undefined : { kind: "list", element }
      }
      if (value instanceof Set) {
        const element = inferElements(value)
        return element === undefined ? undefined : { kind: "set", element }
      }
      if (value instanceof Map) {
        const key = inferElements(value.keys())
        const val = inferElements(value.values())
        return key === undefined || val === undefined ? undefined : { kind: "map", key, value: val }
      }
      return undefined
    }
    default:
      return undefined
  }
}

/**
 * `encodeValue` with the type inferred by `inferType`; null, undefined, UNSET and EMPTY are written
 * without a type. A value whose type cannot be inferred is an `EncodeError`.
 *
 * @since 0.1.0
 */
export const encodeInferredValue = (w: ByteWriter, value: unknown, path = "value", options?: EncodeOptions): void => {
  if (value === null || value === undefined || value === UNSET || value === EMPTY) {
    encodeValue(w, INFERRED["blob"]!, value, path, options)
    return
  }
  const type = inferType(value)
  if (type === undefined) {
    throw new EncodeError({
      message: `${path}: cannot infer a CQL type for ${describe(value)}: prepare the statement or give the types`,
      path,
      expected: "a value of an inferable type"
    })
  }
  encodeValue(w, type, value, path, options)
}

let scratch: ByteWriter | undefined

/**
 * The serialized bytes of a value (without the [value] length), e.g. a routing key component. Never throws:
 * a value that does not fit, and null/unset (which have no bytes), are a failed `Result`.
 *
 * @since 0.1.0
 */
export const serializeValue = (
  type: CqlType,
  value: unknown,
  options?: { readonly path?: string | undefined }
): Result.Result<Uint8Array, EncodeError> => {
  const path = options?.path ?? "value"
  if (value === null || value === undefined || value === UNSET) {
    return Result.fail(
      new EncodeError({ message: `${path}: a null or unset value has no serialized bytes`, path, expected: formatType(type) })
    )
  }
  // reuse one scratch writer; a re-entrant call (from a getter, say) gets its own
  const w = scratch ?? new ByteWriter(256)
  scratch = undefined
  try {
    w.reset()
    encodeValue(w, type, value, path)
    return Result.succeed(w.toBytes(4, w.pos))
  } catch (e) {
    return Result.fail(toEncodeError(e, path, type, value))
  } finally {
    if (w.buf.length <= 1 << 20) scratch = w
  }
}
