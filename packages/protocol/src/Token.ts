/**
 * Partition tokens and routing keys, exactly as Cassandra computes them: Murmur3Partitioner (below),
 * RandomPartitioner (`randomToken`: MD5) and ByteOrderedPartitioner (`byteOrderedToken`: the key bytes).
 *
 * MurmurHash3 x64_128 with seed 0; the token is the first 64-bit half read as signed. Cassandra's
 * implementation reads the tail bytes (length mod 16) as *signed* bytes, so bytes >= 0x80 sign-extend
 * into the higher bits; an empty key is `Long.MIN_VALUE`, and a hash equal to `Long.MIN_VALUE` becomes
 * `Long.MAX_VALUE` (MIN_VALUE is reserved for the minimum token).
 *
 * The 64-bit arithmetic is done on pairs of unsigned 32-bit halves (plain numbers, no BigInt in the loop).
 * It only hashes: parsing the ring's tokens, the ring itself and replica placement are the driver's.
 *
 * @since 0.1.0
 */

// 64-bit values are hi/lo uint32 pairs; the helpers leave their result in R = [hi, lo] (a typed array is
// measurably faster here than module-level variables).
const R = new Uint32Array(2)

/** R = low 64 bits of (ah, al) * (bh, bl). */
const mul64 = (ah: number, al: number, bh: number, bl: number): void => {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff)
  R[1] = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0
  R[0] = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0
}

/** R = (h, l) rotated left by r (0 < r < 64, r !== 32). */
const rotl64 = (h: number, l: number, r: number): void => {
  if (r < 32) {
    R[0] = ((h << r) | (l >>> (32 - r))) >>> 0
    R[1] = ((l << r) | (h >>> (32 - r))) >>> 0
  } else {
    const s = r - 32
    R[0] = ((l << s) | (h >>> (32 - s))) >>> 0
    R[1] = ((h << s) | (l >>> (32 - s))) >>> 0
  }
}

/** R = (ah, al) + (bh, bl) mod 2^64. */
const add64 = (ah: number, al: number, bh: number, bl: number): void => {
  const lo = al + bl
  R[1] = lo >>> 0
  R[0] = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0
}

/** R = fmix64(h, l). */
const fmix64 = (h: number, l: number): void => {
  l = (l ^ (h >>> 1)) >>> 0 // k ^= k >>> 33
  mul64(h, l, 0xff51afd7, 0xed558ccd)
  h = R[0]!
  l = (R[1]! ^ (h >>> 1)) >>> 0
  mul64(h, l, 0xc4ceb9fe, 0x1a85ec53)
  h = R[0]!
  R[1] = (R[1]! ^ (h >>> 1)) >>> 0
  R[0] = h
}

const C1H = 0x87c37b91, C1L = 0x114253d5
const C2H = 0x4cf5ad43, C2L = 0x2745937f

const readLE32 = (b: Uint8Array, o: number): number =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0

const LONG_MIN = -(2n ** 63n)
const LONG_MAX = 2n ** 63n - 1n

/**
 * The Murmur3Partitioner token of a partition key (its routing key bytes), as a signed 64-bit bigint.
 *
 * @since 0.1.0
 */
export const murmur3Token = (key: Uint8Array): bigint => {
  const len = key.length
  if (len === 0) return LONG_MIN
  let h1h = 0, h1l = 0, h2h = 0, h2l = 0
  let k1h = 0, k1l = 0, k2h = 0, k2l = 0
  const nblocks = len >>> 4
  for (let i = 0; i < nblocks; i++) {
    const o = i << 4
    k1l = readLE32(key, o)
    k1h = readLE32(key, o + 4)
    k2l = readLE32(key, o + 8)
    k2h = readLE32(key, o + 12)

    // k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1
    mul64(k1h, k1l, C1H, C1L)
    rotl64(R[0]!, R[1]!, 31)
    mul64(R[0]!, R[1]!, C2H, C2L)
    h1h = (h1h ^ R[0]!) >>> 0
    h1l = (h1l ^ R[1]!) >>> 0
    // h1 = rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729
    rotl64(h1h, h1l, 27)
    add64(R[0]!, R[1]!, h2h, h2l)
    mul64(R[0]!, R[1]!, 0, 5)
    add64(R[0]!, R[1]!, 0, 0x52dce729)
    h1h = R[0]!
    h1l = R[1]!

    // k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2
    mul64(k2h, k2l, C2H, C2L)
    rotl64(R[0]!, R[1]!, 33)
    mul64(R[0]!, R[1]!, C1H, C1L)
    h2h = (h2h ^ R[0]!) >>> 0
    h2l = (h2l ^ R[1]!) >>> 0
    // h2 = rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5
    rotl64(h2h, h2l, 31)
    add64(R[0]!, R[1]!, h1h, h1l)
    mul64(R[0]!, R[1]!, 0, 5)
    add64(R[0]!, R[1]!, 0, 0x38495ab5)
    h2h = R[0]!
    h2l = R[1]!
  }

  // tail: Cassandra reads these bytes as signed (sign-extended to 64 bits before the shift)
  const tail = nblocks << 4
  const rem = len & 15
  if (rem > 0) {
    k1h = 0
    k1l = 0
    k2h = 0
    k2l = 0
    for (let j = rem - 1; j >= 0; j--) {
      const x = (key[tail + j]! << 24) >> 24 // signed byte
      const s = (j & 7) * 8
      // (long) x << s, as hi/lo
      let xh: number, xl: number
      if (s === 0) {
        xh = x >> 31
        xl = x
      } else if (s < 32) {
        xh = ((x >> 31) << s) | (x >>> (32 - s))
        xl = x << s
      } else {
        xh = x << (s - 32)
        xl = 0
      }
      if (j >= 8) {
        k2h = (k2h ^ xh) >>> 0
        k2l = (k2l ^ xl) >>> 0
      } else {
        k1h = (k1h ^ xh) >>> 0
        k1l = (k1l ^ xl) >>> 0
      }
    }
    if (rem > 8) {
      mul64(k2h, k2l, C2H, C2L)
      rotl64(R[0]!, R[1]!, 33)
      mul64(R[0]!, R[1]!, C1H, C1L)
      h2h = (h2h ^ R[0]!) >>> 0
      h2l = (h2l ^ R[1]!) >>> 0
    }
    mul64(k1h, k1l, C1H, C1L)
    rotl64(R[0]!, R[1]!, 31)
    mul64(R[0]!, R[1]!, C2H, C2L)
    h1h = (h1h ^ R[0]!) >>> 0
    h1l = (h1l ^ R[1]!) >>> 0
  }

  // h1 ^= len; h2 ^= len (len < 2^32: only the low halves change, as unsigned 64-bit)
  h1l = (h1l ^ len) >>> 0
  h2l = (h2l ^ len) >>> 0
  h1h = (h1h ^ Math.floor(len / 4294967296)) >>> 0
  h2h = (h2h ^ Math.floor(len / 4294967296)) >>> 0

  add64(h1h, h1l, h2h, h2l) // h1 += h2
  h1h = R[0]!
  h1l = R[1]!
  add64(h2h, h2l, h1h, h1l) // h2 += h1
  h2h = R[0]!
  h2l = R[1]!
  fmix64(h1h, h1l)
  h1h = R[0]!
  h1l = R[1]!
  fmix64(h2h, h2l)
  h2h = R[0]!
  h2l = R[1]!
  add64(h1h, h1l, h2h, h2l) // h1 += h2 (h2 += h1 is not needed for the first half)
  h1h = R[0]!
  h1l = R[1]!

  if (h1h === 0x80000000 && h1l === 0) return LONG_MAX
  // signed 64-bit value of (h1h, h1l): one BigInt allocation
  OUT.setUint32(0, h1h)
  OUT.setUint32(4, h1l)
  return OUT.getBigInt64(0)
}

const OUT = new DataView(new ArrayBuffer(8))

/**
 * The routing key of a partition key from its components' serialized values: one component is its bytes
 * (returned as is, not copied); several are each written as a u16 length, the bytes and a 0x00 byte
 * (Cassandra's CompositeType). Like Cassandra, a component over 65535 bytes has its length truncated to 16
 * bits (such a key is refused by the server anyway). No components give an empty key.
 *
 * @since 0.1.0
 */
export const routingKey = (components: ReadonlyArray<Uint8Array>): Uint8Array => {
  if (components.length === 1) return components[0]!
  let size = 0
  for (const c of components) size += c.length + 3
  const out = new Uint8Array(size)
  let p = 0
  for (const c of components) {
    out[p] = (c.length >> 8) & 0xff
    out[p + 1] = c.length & 0xff
    out.set(c, p + 2)
    p += c.length + 3 // the 0x00 end-of-component byte is already zero
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// RandomPartitioner: MD5 (RFC 1321) of the key, its 16 bytes read as a signed big-endian 128-bit integer,
// then its absolute value (Cassandra's `FBUtilities.hashToBigInteger`: `new BigInteger(md5).abs()`), so
// tokens are in [0, 2^127]. An empty key is the minimum token, -1. The digest is computed here (no
// node:crypto): 32-bit words in plain numbers, a scratch block for the padded tail, no allocation but the
// resulting bigint.

/** Per-step left rotations of the four rounds. */
const MD5_S = new Uint8Array([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21
])
/** K[i] = floor(|sin(i + 1)| * 2^32). */
const MD5_K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0)
/** The message word each step adds. */
const MD5_G = Uint8Array.from({ length: 64 }, (_, i) =>
  i < 16 ? i : i < 32 ? (5 * i + 1) & 15 : i < 48 ? (3 * i + 5) & 15 : (7 * i) & 15)
const MD5_STATE = new Int32Array(4)
const MD5_WORDS = new Int32Array(16)
const MD5_TAIL = new Uint8Array(128)

/** Runs the compression function on the 64-byte block of `b` at `o`, updating MD5_STATE. */
const md5Block = (b: Uint8Array, o: number): void => {
  const m = MD5_WORDS
  for (let i = 0; i < 16; i++) {
    const p = o + (i << 2)
    m[i] = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)
  }
  let a = MD5_STATE[0]!, bb = MD5_STATE[1]!, c = MD5_STATE[2]!, d = MD5_STATE[3]!
  for (let i = 0; i < 64; i++) {
    let f: number
    if (i < 16) f = (bb & c) | (~bb & d)
    else if (i < 32) f = (d & bb) | (~d & c)
    else if (i < 48) f = bb ^ c ^ d
    else f = c ^ (bb | ~d)
    f = (f + a + MD5_K[i]! + m[MD5_G[i]!]!) | 0
    a = d
    d = c
    c = bb
    const s = MD5_S[i]!
    bb = (bb + ((f << s) | (f >>> (32 - s)))) | 0
  }
  MD5_STATE[0] = (MD5_STATE[0]! + a) | 0
  MD5_STATE[1] = (MD5_STATE[1]! + bb) | 0
  MD5_STATE[2] = (MD5_STATE[2]! + c) | 0
  MD5_STATE[3] = (MD5_STATE[3]! + d) | 0
}

/** MD5 of `key`, left in MD5_STATE (four little-endian words: the digest's bytes 0-3, 4-7, 8-11, 12-15). */
const md5 = (key: Uint8Array): void => {
  MD5_STATE[0] = 0x67452301
  MD5_STATE[1] = 0xefcdab89 | 0
  MD5_STATE[2] = 0x98badcfe | 0
  MD5_STATE[3] = 0x10325476
  const len = key.length
  const full = len & ~63
  for (let o = 0; o < full; o += 64) md5Block(key, o)
  // the tail, 0x80, zeros, and the bit length (64-bit little-endian) in one or two blocks
  const rest = len - full
  const tail = MD5_TAIL
  tail.fill(0)
  for (let i = 0; i < rest; i++) tail[i] = key[full + i]!
  tail[rest] = 0x80
  const blocks = rest < 56 ? 1 : 2
  const end = blocks * 64 - 8
  const bitsLo = (len << 3) >>> 0
  const bitsHi = Math.floor(len / 0x20000000)
  tail[end] = bitsLo & 0xff
  tail[end + 1] = (bitsLo >>> 8) & 0xff
  tail[end + 2] = (bitsLo >>> 16) & 0xff
  tail[end + 3] = bitsLo >>> 24
  tail[end + 4] = bitsHi & 0xff
  tail[end + 5] = (bitsHi >>> 8) & 0xff
  tail[end + 6] = (bitsHi >>> 16) & 0xff
  tail[end + 7] = bitsHi >>> 24
  md5Block(tail, 0)
  if (blocks === 2) md5Block(tail, 64)
}

const DIGEST = new DataView(new ArrayBuffer(16))
const TWO_128 = 2n ** 128n
const RANDOM_MIN = -1n

/**
 * The RandomPartitioner token of a partition key (its routing key bytes): the absolute value of MD5(key)
 * read as a signed big-endian 128-bit integer, in [0, 2^127]; an empty key is the minimum token, -1.
 *
 * @since 0.2.0
 */
export const randomToken = (key: Uint8Array): bigint => {
  if (key.length === 0) return RANDOM_MIN
  md5(key)
  // the digest's bytes in order: each state word little-endian
  DIGEST.setInt32(0, MD5_STATE[0]!, true)
  DIGEST.setInt32(4, MD5_STATE[1]!, true)
  DIGEST.setInt32(8, MD5_STATE[2]!, true)
  DIGEST.setInt32(12, MD5_STATE[3]!, true)
  const hi = DIGEST.getBigUint64(0)
  const v = (hi << 64n) | DIGEST.getBigUint64(8)
  return hi >= 0x8000000000000000n ? TWO_128 - v : v
}

/**
 * The 16-byte MD5 digest of `bytes` (RFC 1321), as RandomPartitioner hashes keys.
 *
 * @since 0.2.0
 */
export const md5Digest = (bytes: Uint8Array): Uint8Array => {
  md5(bytes)
  const out = new Uint8Array(16)
  const view = new DataView(out.buffer)
  for (let i = 0; i < 4; i++) view.setInt32(i * 4, MD5_STATE[i]!, true)
  return out
}

/**
 * The ByteOrderedPartitioner token of a partition key: its routing key bytes themselves (returned as is,
 * not copied), compared as unsigned bytes, a proper prefix first. An empty key is the minimum token.
 *
 * @since 0.2.0
 */
export const byteOrderedToken = (key: Uint8Array): Uint8Array => key
