/**
 * Byte-level helpers of the value codecs: Cassandra's vint, varint (minimal two's complement), UUID and
 * inet text forms, UTF-8 text. They know no CQL types: Decode.ts and Encode.ts choose the helper
 * for each type.
 *
 * @since 0.1.0
 */
import type { ByteWriter } from "../Buffers.ts"
import { DecodeError } from "../Errors.ts"

// ---------------------------------------------------------------------------------------------------------
// UTF-8

const textDecoder = new TextDecoder("utf-8", { fatal: false })
type Utf8Slice = (this: Uint8Array, start: number, end: number) => string
/** Node's native `Buffer#utf8Slice` works on any Uint8Array and is ~2x faster than TextDecoder on short text. */
const nodeUtf8Slice: Utf8Slice | undefined = (() => {
  const B = (globalThis as { Buffer?: { prototype?: { utf8Slice?: Utf8Slice } } }).Buffer
  const f = B?.prototype?.utf8Slice
  if (typeof f !== "function") return undefined
  try {
    return f.call(new Uint8Array([0x68, 0xc3, 0xa9]), 0, 3) === "hé" ? f : undefined
  } catch {
    return undefined
  }
})()

/**
 * Decodes UTF-8 from `buf[start, end)` (bounds already checked). Invalid sequences become U+FFFD (the
 * WHATWG decoder's replacement behaviour), never an error.
 *
 * @since 0.1.0
 */
export const decodeUtf8: (buf: Uint8Array, start: number, end: number) => string = nodeUtf8Slice !== undefined
  ? (buf, start, end) => nodeUtf8Slice.call(buf, start, end)
  : (buf, start, end) => textDecoder.decode(buf.subarray(start, end))

// ---------------------------------------------------------------------------------------------------------
// vint (org.apache.cassandra.utils.vint.VIntCoding): the number of leading 1-bits of the first byte is the
// number of extra bytes; the remaining bits of the first byte and the extra bytes are the big-endian value.

/** Number of bytes of the unsigned vint of a non-negative safe integer or a 64-bit unsigned bigint. */
const vintSizeOfBits = (bits: number): number => (bits <= 7 ? 1 : bits > 56 ? 9 : Math.ceil((bits - 7) / 7) + 1)

const bitLength = (v: bigint): number => (v === 0n ? 0 : v.toString(2).length)

/**
 * Writes an unsigned vint (`v` must be in [0, 2^64)).
 *
 * @since 0.1.0
 */
export const writeUnsignedVInt = (w: ByteWriter, v: bigint | number): void => {
  if (typeof v === "number") {
    if (v < 0x80) {
      w.writeByte(v)
      return
    }
    if (v < 2 ** 31) {
      const bits = 32 - Math.clz32(v)
      const extra = vintSizeOfBits(bits) - 1
      w.ensure(extra + 1)
      const buf = w.buf
      let p = w.pos + extra
      let x = v
      for (let i = 0; i < extra; i++) {
        buf[p--] = x & 0xff
        x = x >>> 8
      }
      buf[p] = ((0xff << (8 - extra)) & 0xff) | x
      w.pos += extra + 1
      return
    }
    v = BigInt(v)
  }
  const extra = vintSizeOfBits(bitLength(v)) - 1
  w.ensure(extra + 1)
  const buf = w.buf
  let p = w.pos + extra
  let x = v
  for (let i = 0; i < extra; i++) {
    buf[p--] = Number(x & 0xffn)
    x >>= 8n
  }
  buf[p] = ((0xff << (8 - extra)) & 0xff) | Number(x)
  w.pos += extra + 1
}

/**
 * Writes a signed vint (zigzag) of a 64-bit signed bigint.
 *
 * @since 0.1.0
 */
export const writeSignedVInt64 = (w: ByteWriter, v: bigint): void => {
  writeUnsignedVInt(w, BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)))
}

/**
 * Writes a signed vint (zigzag) of a 32-bit signed integer.
 *
 * @since 0.1.0
 */
export const writeSignedVInt32 = (w: ByteWriter, v: number): void => {
  writeUnsignedVInt(w, ((v << 1) ^ (v >> 31)) >>> 0)
}

/**
 * End offset of the last vint read by {@link readUnsignedVInt}/{@link readUnsignedVIntNumber}.
 *
 * @since 0.1.0
 */
export let vintEnd = 0

/**
 * Reads an unsigned vint at `pos` (not past `end`) as a bigint; the next offset is in {@link vintEnd}.
 *
 * @since 0.1.0
 */
export const readUnsignedVInt = (buf: Uint8Array, pos: number, end: number): bigint => {
  if (pos >= end) throw new DecodeError({ message: "truncated vint", offset: pos })
  const first = buf[pos]!
  const extra = Math.clz32(~(first << 24))
  if (pos + 1 + extra > end) throw new DecodeError({ message: `truncated vint (${extra + 1} bytes)`, offset: pos })
  let hi = first & (0xff >> extra)
  let p = pos + 1
  if (extra <= 6) {
    for (let i = 0; i < extra; i++) hi = hi * 256 + buf[p++]!
    vintEnd = p
    return BigInt(hi)
  }
  let v = BigInt(hi)
  for (let i = 0; i < extra; i++) v = (v << 8n) | BigInt(buf[p++]!)
  vintEnd = p
  return v
}

/**
 * Reads an unsigned vint that must be below 2^31 (a length); the next offset is in {@link vintEnd}.
 *
 * @since 0.1.0
 */
export const readUnsignedVIntNumber = (buf: Uint8Array, pos: number, end: number): number => {
  if (pos >= end) throw new DecodeError({ message: "truncated vint", offset: pos })
  const first = buf[pos]!
  if (first < 0x80) {
    vintEnd = pos + 1
    return first
  }
  const v = readUnsignedVInt(buf, pos, end)
  if (v > 0x7fffffffn) throw new DecodeError({ message: `vint length too large: ${v}`, offset: pos })
  return Number(v)
}

/**
 * Undoes the zigzag mapping of a signed vint: the signed 64-bit value of `v`.
 *
 * @since 0.1.0
 */
export const zigzagDecode64 = (v: bigint): bigint => (v >> 1n) ^ -(v & 1n)

// ---------------------------------------------------------------------------------------------------------
// varint: minimal big-endian two's complement.

const HEX_CHARS = "0123456789abcdef"

/**
 * Writes the minimal two's complement bytes of `n` (at least one byte).
 *
 * @since 0.1.0
 */
export const writeVarint = (w: ByteWriter, n: bigint): void => {
  if (n >= -128n && n <= 127n) {
    w.writeByte(Number(n) & 0xff)
    return
  }
  // bits needed excluding the sign bit
  const mag = n < 0n ? ~n : n
  const len = (bitLength(mag) >> 3) + 1
  if (len <= 6) {
    let x = Number(n)
    w.ensure(len)
    const buf = w.buf
    for (let i = w.pos + len - 1; i >= w.pos; i--) {
      const b = ((x % 256) + 256) % 256
      buf[i] = b
      x = (x - b) / 256
    }
    w.pos += len
    return
  }
  const hex = BigInt.asUintN(len * 8, n).toString(16).padStart(len * 2, "0")
  w.ensure(len)
  const buf = w.buf
  let p = w.pos
  for (let i = 0; i < hex.length; i += 2) {
    buf[p++] = (HEX_VALUE_256[hex.charCodeAt(i)]! << 4) | HEX_VALUE_256[hex.charCodeAt(i + 1)]!
  }
  w.pos = p
}

/**
 * Reads the two's complement big-endian integer of `buf[off, off + len)` (`len >= 1`).
 *
 * @since 0.1.0
 */
export const readVarint = (buf: Uint8Array, off: number, len: number): bigint => {
  if (len <= 6) {
    let v = buf[off]!
    if (v >= 0x80) v -= 256
    for (let i = 1; i < len; i++) v = v * 256 + buf[off + i]!
    return BigInt(v)
  }
  let hex: string
  if (len <= 64) {
    hex = "0x"
    for (let i = 0; i < len; i++) hex += HEX_PAIRS[buf[off + i]!]
  } else {
    // large values: hex digits as ASCII bytes, decoded at once (linear, ~1 ns/byte, not a rope of pairs)
    const ascii = new Uint8Array(2 * len + 2)
    ascii[0] = 48 // "0"
    ascii[1] = 120 // "x"
    for (let i = 0, j = 2; i < len; i++, j += 2) {
      const c = buf[off + i]! << 1
      ascii[j] = HEX_CODES[c]!
      ascii[j + 1] = HEX_CODES[c + 1]!
    }
    hex = ASCII.decode(ascii)
  }
  const u = BigInt(hex)
  return buf[off]! >= 0x80 ? u - (1n << BigInt(len * 8)) : u
}

const ASCII = new TextDecoder("latin1")

// ---------------------------------------------------------------------------------------------------------
// UUID

/**
 * `HEX_PAIRS[b]` is the two lowercase hex digits of byte `b`.
 *
 * @since 0.1.0
 */
export const HEX_PAIRS: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) => HEX_CHARS[i >> 4]! + HEX_CHARS[i & 15]!)
/** Char codes of the two hex digits of byte `b` at `[2b]` and `[2b+1]`: the 256-entry table of uuid formatting. */
const HEX_CODES = new Uint16Array(512)
for (let i = 0; i < 256; i++) {
  HEX_CODES[2 * i] = HEX_CHARS.charCodeAt(i >> 4)
  HEX_CODES[2 * i + 1] = HEX_CHARS.charCodeAt(i & 15)
}

const fcc = String.fromCharCode

/**
 * Formats the 16 bytes at `off` as a lowercase canonical UUID (`8-4-4-4-12`). Bounds are the caller's.
 *
 * @since 0.1.0
 */
export const formatUuid = (b: Uint8Array, off: number): string => {
  const h = HEX_CODES
  const a0 = b[off]! << 1, a1 = b[off + 1]! << 1, a2 = b[off + 2]! << 1, a3 = b[off + 3]! << 1
  const a4 = b[off + 4]! << 1, a5 = b[off + 5]! << 1, a6 = b[off + 6]! << 1, a7 = b[off + 7]! << 1
  const a8 = b[off + 8]! << 1, a9 = b[off + 9]! << 1, a10 = b[off + 10]! << 1, a11 = b[off + 11]! << 1
  const a12 = b[off + 12]! << 1, a13 = b[off + 13]! << 1, a14 = b[off + 14]! << 1, a15 = b[off + 15]! << 1
  return fcc(
    h[a0]!, h[a0 + 1]!, h[a1]!, h[a1 + 1]!, h[a2]!, h[a2 + 1]!, h[a3]!, h[a3 + 1]!, 45,
    h[a4]!, h[a4 + 1]!, h[a5]!, h[a5 + 1]!, 45,
    h[a6]!, h[a6 + 1]!, h[a7]!, h[a7 + 1]!, 45,
    h[a8]!, h[a8 + 1]!, h[a9]!, h[a9 + 1]!, 45,
    h[a10]!, h[a10 + 1]!, h[a11]!, h[a11 + 1]!, h[a12]!, h[a12 + 1]!, h[a13]!, h[a13 + 1]!, h[a14]!, h[a14 + 1]!,
    h[a15]!, h[a15 + 1]!
  )
}

/** Offsets of the 16 hex-digit pairs in a canonical UUID string. */
const UUID_PAIRS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]
/** Hex digit value of a char code below 256 (either case), -1 otherwise. */
const HEX_VALUE_256 = new Int8Array(256).fill(-1)
for (let i = 0; i < 16; i++) {
  HEX_VALUE_256[HEX_CHARS.charCodeAt(i)] = i
  HEX_VALUE_256[HEX_CHARS.toUpperCase().charCodeAt(i)] = i
}

/**
 * Writes the 16 bytes of a canonical UUID string (`8-4-4-4-12` hex digits, either case) at `out[off]`.
 * Returns false (having possibly written garbage) when `s` is not one.
 *
 * @since 0.1.0
 */
export const parseUuidInto = (s: string, out: Uint8Array, off: number): boolean => {
  if (s.length !== 36) return false
  if (s.charCodeAt(8) !== 45 || s.charCodeAt(13) !== 45 || s.charCodeAt(18) !== 45 || s.charCodeAt(23) !== 45) {
    return false
  }
  let bad = 0
  for (let i = 0; i < 16; i++) {
    const p = UUID_PAIRS[i]!
    const c1 = s.charCodeAt(p), c2 = s.charCodeAt(p + 1)
    const hi = HEX_VALUE_256[c1 & 0xff]!, lo = HEX_VALUE_256[c2 & 0xff]!
    // chars >= 256 could alias a hex digit through `& 0xff`: count them as bad too
    bad |= hi | lo | ((c1 | c2) >> 8 !== 0 ? -1 : 0)
    out[off + i] = (hi << 4) | lo
  }
  return bad >= 0
}

/**
 * The 16 bytes of a canonical UUID string, or undefined.
 *
 * @since 0.1.0
 */
export const parseUuid = (s: string): Uint8Array | undefined => {
  const out = new Uint8Array(16)
  return parseUuidInto(s, out, 0) ? out : undefined
}

// ---------------------------------------------------------------------------------------------------------
// inet

const DEC: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) => String(i))

/**
 * IPv4 dotted quad, or IPv6 in RFC 5952 canonical form (IPv4-mapped addresses as `::ffff:a.b.c.d`).
 *
 * @since 0.1.0
 */
export const formatInet = (b: Uint8Array, off: number, len: 4 | 16): string => {
  if (len === 4) return DEC[b[off]!] + "." + DEC[b[off + 1]!] + "." + DEC[b[off + 2]!] + "." + DEC[b[off + 3]!]
  const g = new Array<number>(8)
  for (let i = 0; i < 8; i++) g[i] = (b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return "::ffff:" + formatInet(b, off + 12, 4)
  }
  // longest run of >= 2 zero groups, the first one on ties
  let bestAt = -1, bestLen = 0
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) {
      bestAt = i
      bestLen = j - i
    }
    i = j
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(":")
  const head = g.slice(0, bestAt).map((x) => x.toString(16)).join(":")
  const tail = g.slice(bestAt + bestLen).map((x) => x.toString(16)).join(":")
  return head + "::" + tail
}

/** Parses a dotted quad (decimal parts 0..255, no leading zeros) into `out[off..off+4)`. */
const parseIpv4Into = (s: string, out: Uint8Array, off: number): boolean => {
  const n = s.length
  let part = 0, value = 0, digits = 0
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46
    if (c === 46) {
      if (digits === 0 || part > 3) return false
      out[off + part++] = value
      value = 0
      digits = 0
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false // leading zero
      value = value * 10 + (c - 48)
      if (value > 255) return false
      digits++
    } else return false
  }
  return part === 4
}

const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/

/**
 * Parses an IPv4 dotted quad (4 bytes; no leading zeros) or an IPv6 address (16 bytes; `::` compression,
 * either case, an embedded IPv4 tail). Zone ids (`%eth0`) and brackets are refused. Undefined when invalid.
 *
 * @since 0.1.0
 */
export const parseInet = (s: string): Uint8Array | undefined => {
  const out = new Uint8Array(16)
  const n = parseInetInto(s, out, 0)
  return n === 0 ? undefined : n === 4 ? out.subarray(0, 4).slice() : out
}

/**
 * {@link parseInet} into `out[off..)` (16 bytes must be available); returns the address length (4 or 16), 0
 * when `s` is not an address.
 *
 * @since 0.1.0
 */
export const parseInetInto = (s: string, out: Uint8Array, off: number): 0 | 4 | 16 => {
  if (s.indexOf(":") < 0) return parseIpv4Into(s, out, off) ? 4 : 0
  const v6 = parseIpv6(s)
  if (v6 === undefined) return 0
  out.set(v6, off)
  return 16
}

const parseIpv6 = (s: string): Uint8Array | undefined => {
  const out = new Uint8Array(16)
  const dbl = s.indexOf("::")
  if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return undefined
  const parseGroups = (part: string, allowV4Tail: boolean): Array<number> | undefined => {
    if (part === "") return []
    const items = part.split(":")
    const groups: Array<number> = []
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!
      if (allowV4Tail && i === items.length - 1 && it.indexOf(".") >= 0) {
        const v4 = new Uint8Array(4)
        if (!parseIpv4Into(it, v4, 0)) return undefined
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      } else {
        if (!IPV6_GROUP.test(it)) return undefined
        groups.push(parseInt(it, 16))
      }
    }
    return groups
  }
  let groups: Array<number>
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl), false)
    const tail = parseGroups(s.slice(dbl + 2), true)
    if (head === undefined || tail === undefined) return undefined
    const zeros = 8 - head.length - tail.length
    if (zeros < 1) return undefined
    groups = [...head, ...new Array<number>(zeros).fill(0), ...tail]
  } else {
    const all = parseGroups(s, true)
    if (all === undefined || all.length !== 8) return undefined
    groups = all
  }
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >> 8
    out[2 * i + 1] = groups[i]! & 0xff
  }
  return out
}
