/**
 * Checksums of v5 segment framing. Checksums only: the segment layout is in Segment.ts.
 *
 * - CRC24 of the segment header: init 0x875060, polynomial 0x1974F0B, bytes fed in wire order
 *   (the header is little-endian, so least significant byte first).
 * - CRC32 of the payload: zlib's CRC-32 whose state was first run over the bytes FA 2D 55 CA
 *   (Cassandra's `Crc.initialBytes`; not in the spec).
 *
 * @since 0.1.0
 */
import * as zlib from "node:zlib"

const CRC24_INIT = 0x875060
const CRC24_POLY = 0x1974f0b

/**
 * CRC24 of `len` bytes of `buf` starting at `start`.
 *
 * @since 0.1.0
 */
export const crc24 = (buf: Uint8Array, start: number, len: number): number => {
  let crc = CRC24_INIT
  for (let i = 0; i < len; i++) {
    crc ^= buf[start + i]! << 16
    for (let b = 0; b < 8; b++) {
      crc <<= 1
      if ((crc & 0x1000000) !== 0) crc ^= CRC24_POLY
    }
  }
  return crc & 0xffffff
}

/** zlib CRC-32 state after the bytes FA 2D 55 CA. */
const CRC32_SEED = zlib.crc32(new Uint8Array([0xfa, 0x2d, 0x55, 0xca]))

/**
 * The CRC32 trailer of a segment payload (unsigned 32-bit).
 *
 * @since 0.1.0
 */
export const crc32 = (payload: Uint8Array): number => zlib.crc32(payload, CRC32_SEED)
