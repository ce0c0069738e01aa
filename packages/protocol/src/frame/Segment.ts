/**
 * v5 segment framing (the outer "frames" of protocol v5; all integers little-endian).
 *
 * - Uncompressed: 3-byte header (payload length: 17 bits, self-contained: bit 17) + CRC24 of those
 *   3 bytes (3 bytes) + payload (<= 131071 bytes) + CRC32 of the payload (4 bytes).
 * - LZ4: 5-byte header (compressed length: 17 bits, uncompressed length: 17 bits, self-contained:
 *   bit 34) + CRC24 of those 5 bytes (3 bytes) + payload + CRC32 of the (compressed) payload.
 *   An uncompressed length of 0 means the payload is stored uncompressed.
 *
 * A self-contained segment holds one or more whole envelopes; an envelope larger than the maximum
 * payload travels alone in a run of non-self-contained segments. Segments never look inside the
 * envelopes they carry: the caller gives their boundaries (encoding) or checks them (FrameDecoder).
 *
 * @since 0.1.0
 */
import { DecodeError } from "../Errors.ts"
import type { ChunkQueue } from "./ChunkQueue.ts"
import { lz4CompressPrefixedLE, lz4DecompressBlock } from "./Compression.ts"
import { crc24, crc32 } from "./Crc.ts"

/**
 * Largest payload of one v5 segment (a 17-bit length).
 *
 * @since 0.1.0
 */
export const MAX_SEGMENT_PAYLOAD = 131071

/**
 * Payload compression of v5 segments: none or LZ4.
 *
 * @since 0.1.0
 */
export type SegmentCompression = "none" | "lz4"

/**
 * `n` uninitialised bytes (Node's pooled allocator for small sizes) as a plain Uint8Array: callers
 * get a Uint8Array whose `slice` copies, unlike a Buffer's.
 * @internal
 * @since 0.1.0
 */
export const allocUnsafe = (n: number): Uint8Array => {
  const b = Buffer.allocUnsafe(n)
  return new Uint8Array(b.buffer, b.byteOffset, n)
}

const headerLength = (c: SegmentCompression) => (c === "lz4" ? 8 : 6)

/**
 * Frames `src[from, to)` (whose envelope end offsets are `ends[0..count)`, the last one `to`) into
 * segments written after `src[0, from)` (bytes sent unframed, e.g. a STARTUP queued before framing
 * began). Payloads shorter than `compressionThreshold` are stored uncompressed. Returns a fresh buffer.
 * @internal
 * @since 0.1.0
 */
export const frameSegments = (
  src: Uint8Array,
  from: number,
  ends: ArrayLike<number>,
  count: number,
  compression: SegmentCompression,
  compressionThreshold = 0
): Uint8Array => {
  // plan: [start, end, selfContained] triples
  const plan: Array<number> = []
  let segStart = from
  let envStart = from
  for (let k = 0; k < count; k++) {
    const envEnd = ends[k]!
    if (envEnd - envStart > MAX_SEGMENT_PAYLOAD) {
      if (segStart < envStart) plan.push(segStart, envStart, 1)
      for (let s = envStart; s < envEnd; s += MAX_SEGMENT_PAYLOAD) {
        plan.push(s, Math.min(s + MAX_SEGMENT_PAYLOAD, envEnd), 0)
      }
      segStart = envEnd
    } else if (envEnd - segStart > MAX_SEGMENT_PAYLOAD) {
      plan.push(segStart, envStart, 1)
      segStart = envStart
    }
    envStart = envEnd
  }
  if (segStart < envStart) plan.push(segStart, envStart, 1)

  if (compression === "none") {
    let total = from
    for (let i = 0; i < plan.length; i += 3) total += plan[i + 1]! - plan[i]! + 10
    const out = allocUnsafe(total)
    out.set(src.subarray(0, from), 0)
    let p = from
    for (let i = 0; i < plan.length; i += 3) {
      const payload = src.subarray(plan[i]!, plan[i + 1]!)
      p = writeSegment(out, p, payload, 0, plan[i + 2] === 1, false)
    }
    return out
  }

  // LZ4: compress every payload first to size the output
  const payloads: Array<Uint8Array> = []
  const uncompressed: Array<number> = []
  let total = from
  for (let i = 0; i < plan.length; i += 3) {
    const raw = src.subarray(plan[i]!, plan[i + 1]!)
    const c = raw.length >= compressionThreshold ? lz4CompressPrefixedLE(raw) : undefined
    if (c !== undefined && c.length - 4 < raw.length) {
      payloads.push(c.subarray(4))
      uncompressed.push(raw.length)
    } else {
      payloads.push(raw)
      uncompressed.push(0)
    }
    total += payloads[payloads.length - 1]!.length + 12
  }
  const out = allocUnsafe(total)
  out.set(src.subarray(0, from), 0)
  let p = from
  for (let i = 0; i < payloads.length; i++) {
    p = writeSegment(out, p, payloads[i]!, uncompressed[i]!, plan[i * 3 + 2] === 1, true)
  }
  return out
}

/** Writes one segment at `p`; returns the offset after it. */
const writeSegment = (
  out: Uint8Array,
  p: number,
  payload: Uint8Array,
  uncompressedLength: number,
  selfContained: boolean,
  lz4: boolean
): number => {
  const len = payload.length
  const h = p
  if (lz4) {
    // 35 bits: compressed length | uncompressed length << 17 | self-contained << 34
    const lo = len | ((uncompressedLength & 0x7fff) << 17) // bits 0..31
    const hi = (uncompressedLength >> 15) | (selfContained ? 4 : 0) // bits 32..34
    out[p++] = lo & 0xff
    out[p++] = (lo >>> 8) & 0xff
    out[p++] = (lo >>> 16) & 0xff
    out[p++] = (lo >>> 24) & 0xff
    out[p++] = hi & 0xff
  } else {
    const v = len | (selfContained ? 0x20000 : 0)
    out[p++] = v & 0xff
    out[p++] = (v >> 8) & 0xff
    out[p++] = (v >> 16) & 0xff
  }
  const c24 = crc24(out, h, p - h)
  out[p++] = c24 & 0xff
  out[p++] = (c24 >> 8) & 0xff
  out[p++] = (c24 >> 16) & 0xff
  out.set(payload, p)
  p += len
  const c32 = crc32(payload)
  out[p++] = c32 & 0xff
  out[p++] = (c32 >>> 8) & 0xff
  out[p++] = (c32 >>> 16) & 0xff
  out[p++] = (c32 >>> 24) & 0xff
  return p
}

/**
 * One decoded segment: its (decompressed) payload.
 *
 * @since 0.1.0
 */
export interface Segment {
  readonly payload: Uint8Array
  readonly selfContained: boolean
  /** The payload is a buffer of its own (copied from several chunks, or decompressed), not a view of the input. */
  readonly copied: boolean
}

/**
 * Reads the next segment from `q`, or `undefined` when it is not complete yet. Checks the header
 * CRC24 before trusting the length, then the payload CRC32, then decompresses.
 * @internal
 * @since 0.1.0
 */
export const readSegment = (q: ChunkQueue, compression: SegmentCompression, scratch: Uint8Array): Segment | undefined => {
  const hl = headerLength(compression)
  if (q.length < hl) return undefined
  let h = q.contiguous(hl)
  let o: number
  if (h === undefined) {
    q.peekInto(scratch, hl)
    h = scratch
    o = 0
  } else {
    o = q.peekOffset
  }
  const n = hl - 3
  const expected = h[o + n]! | (h[o + n + 1]! << 8) | (h[o + n + 2]! << 16)
  const actual = crc24(h, o, n)
  if (expected !== actual) {
    throw new DecodeError({
      message: `segment header CRC24 mismatch (got ${hex(expected)}, computed ${hex(actual)})`
    })
  }
  let payloadLength: number
  let uncompressedLength = 0
  let selfContained: boolean
  if (compression === "lz4") {
    const lo = (h[o]! | (h[o + 1]! << 8) | (h[o + 2]! << 16) | (h[o + 3]! << 24)) >>> 0
    const hi = h[o + 4]!
    payloadLength = lo & 0x1ffff
    uncompressedLength = ((lo >>> 17) | ((hi & 0x03) << 15)) & 0x1ffff
    selfContained = (hi & 0x04) !== 0
  } else {
    const v = h[o]! | (h[o + 1]! << 8) | (h[o + 2]! << 16)
    payloadLength = v & 0x1ffff
    selfContained = (v & 0x20000) !== 0
  }
  if (q.length < hl + payloadLength + 4) return undefined
  q.skip(hl)
  let payload = q.take(payloadLength)
  let copied = q.copied
  const t = q.take(4)
  const expected32 = (t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24)) >>> 0
  const actual32 = crc32(payload)
  if (expected32 !== actual32) {
    throw new DecodeError({ message: `segment payload CRC32 mismatch (got ${hex(expected32)}, computed ${hex(actual32)})` })
  }
  if (uncompressedLength > 0) {
    payload = lz4DecompressBlock(payload, uncompressedLength, MAX_SEGMENT_PAYLOAD)
    copied = true
  }
  return { payload, selfContained, copied }
}

const hex = (n: number) => "0x" + n.toString(16)
