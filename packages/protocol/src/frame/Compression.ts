/**
 * Body compression of v3/v4 envelopes (LZ4 with Cassandra's big-endian length prefix, Snappy raw
 * blocks) and the raw LZ4 blocks of v5 segments, over the napi `lz4-napi` and `snappy` packages.
 *
 * Decompression never trusts a declared length: it is bounded by the format's best compression
 * ratio and by the caller's maximum before anything is allocated, and the output length is checked.
 * Whether an envelope is compressed, and its header flag, are the encoder's and decoder's business.
 *
 * @since 0.1.0
 */
import { compressSync as lz4Compress, uncompressSync as lz4Uncompress } from "lz4-napi"
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from "snappy"
import { DecodeError } from "../Errors.ts"

/**
 * Body compression algorithms of v3/v4 (v5 segments only know lz4).
 *
 * @since 0.1.0
 */
export type BodyCompression = "lz4" | "snappy"

/** A plain Uint8Array view (napi results are Buffers, whose `slice` does not copy). */
const plain = (b: Uint8Array): Uint8Array =>
  b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

const asBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)

/** LZ4 expands at most ~255x (a 255-byte match length costs one byte). */
const lz4Bound = (compressedLength: number): number => compressedLength * 256 + 64
/** A Snappy element expands at most 64 bytes from 3 (copy-2): ~21.4x. */
const snappyBound = (compressedLength: number): number => compressedLength * 22 + 64

/**
 * lz4-napi's `compressSync` output: a 4-byte LITTLE-endian uncompressed length, then the raw block.
 * @internal
 * @since 0.1.0
 */
export const lz4CompressPrefixedLE = (data: Uint8Array): Buffer => lz4Compress(asBuffer(data))

/**
 * Decompresses a raw LZ4 block whose uncompressed length is known (v5 segment).
 *
 * @since 0.1.0
 */
export const lz4DecompressBlock = (block: Uint8Array, uncompressedLength: number, max: number): Uint8Array => {
  if (uncompressedLength < 0 || uncompressedLength > max || uncompressedLength > lz4Bound(block.length)) {
    throw new DecodeError({ message: `implausible LZ4 uncompressed length ${uncompressedLength} for ${block.length} bytes` })
  }
  const input = Buffer.allocUnsafe(4 + block.length)
  input.writeUInt32LE(uncompressedLength, 0)
  input.set(block, 4)
  let out: Uint8Array
  try {
    out = lz4Uncompress(input)
  } catch (e) {
    throw new DecodeError({ message: `LZ4: ${e instanceof Error ? e.message : String(e)}` })
  }
  if (out.length !== uncompressedLength) {
    throw new DecodeError({ message: `LZ4 block gave ${out.length} bytes, ${uncompressedLength} declared` })
  }
  return plain(out)
}

/**
 * v3/v4 LZ4 body: [int] (big-endian) uncompressed length + raw LZ4 block.
 *
 * @since 0.1.0
 */
export const lz4DecompressBody = (body: Uint8Array, max: number): Uint8Array => {
  if (body.length < 4) throw new DecodeError({ message: "LZ4 body shorter than its length prefix" })
  const n = ((body[0]! << 24) | (body[1]! << 16) | (body[2]! << 8) | body[3]!)
  if (n === 0) return new Uint8Array(0)
  return lz4DecompressBlock(body.subarray(4), n, max)
}

/**
 * Snappy raw block (its own varint length preamble).
 *
 * @since 0.1.0
 */
export const snappyDecompressBody = (body: Uint8Array, max: number): Uint8Array => {
  // the preamble: a little-endian base-128 varint of the uncompressed length
  let n = 0
  let shift = 1
  let i = 0
  for (;;) {
    if (i >= body.length || i >= 5) throw new DecodeError({ message: "bad Snappy length preamble" })
    const b = body[i++]!
    n += (b & 0x7f) * shift
    if ((b & 0x80) === 0) break
    shift *= 128
  }
  if (n > max || n > snappyBound(body.length)) {
    throw new DecodeError({ message: `implausible Snappy uncompressed length ${n} for ${body.length} bytes` })
  }
  let out: Uint8Array
  try {
    out = snappyUncompress(asBuffer(body), { asBuffer: true }) as Buffer
  } catch (e) {
    throw new DecodeError({ message: `Snappy: ${e instanceof Error ? e.message : String(e)}` })
  }
  if (out.length !== n) throw new DecodeError({ message: `Snappy block gave ${out.length} bytes, ${n} declared` })
  return plain(out)
}

/**
 * Decompresses a v3/v4 envelope body compressed with `algorithm`, refusing more than `max` bytes.
 *
 * @since 0.1.0
 */
export const decompressBody = (algorithm: BodyCompression, body: Uint8Array, max: number): Uint8Array =>
  algorithm === "lz4" ? lz4DecompressBody(body, max) : snappyDecompressBody(body, max)

/**
 * Compresses a v3/v4 body. Returns the compressed body (LZ4: big-endian length + block), or
 * `undefined` when compression would not make it smaller (the envelope then goes uncompressed).
 *
 * @since 0.1.0
 */
export const compressBody = (algorithm: BodyCompression, body: Uint8Array): Uint8Array | undefined => {
  if (algorithm === "lz4") {
    const c = lz4Compress(asBuffer(body))
    if (c.length >= body.length) return undefined
    // lz4-napi prefixes a little-endian length; Cassandra wants big-endian
    c.writeUInt32BE(body.length, 0)
    return c
  }
  const c = snappyCompress(asBuffer(body))
  return c.length >= body.length ? undefined : c
}
