/**
 * Ids and hashes the mock derives: md5 digests, hex text, map keys of id bytes and stable uuids.
 * Pure functions over bytes and text; what the ids identify (statements, hosts, traces) is the
 * business of their users.
 *
 * @internal
 */
import { createHash } from "node:crypto"

/**
 * The md5 digest of a text or bytes.
 *
 * @since 0.1.0
 */
export const md5 = (text: string | Uint8Array): Uint8Array => new Uint8Array(createHash("md5").update(text).digest())

/**
 * Bytes as lower-case hex.
 *
 * @since 0.1.0
 */
export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice

/**
 * A map key for id bytes `b[start, end)` (one char per byte).
 *
 * @since 0.1.0
 */
export const idKey = (b: Uint8Array, start = 0, end = b.length): string => latin1Slice.call(b, start, end)

/**
 * A stable uuid (version 4 layout) derived from a text.
 *
 * @since 0.1.0
 */
export const uuidOf = (text: string): string => {
  const b = md5(text)
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = toHex(b)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
