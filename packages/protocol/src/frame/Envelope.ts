/**
 * Envelopes: the 9-byte header (version with the 0x80 response bit, flags, i16 stream, opcode,
 * i32 body length) and the notations shared by request and response bodies ([uuid], [inet]).
 * It does not read envelopes off a byte stream (FrameDecoder does) nor encode message bodies.
 *
 * @since 0.1.0
 */
import type { ByteReader, ByteWriter } from "../Buffers.ts"
import { DecodeError, EncodeError } from "../Errors.ts"
import { formatInet, formatUuid, parseInet, parseUuid } from "./Values.ts"

/**
 * Length of an envelope header, in bytes.
 *
 * @since 0.1.0
 */
export const HEADER_LENGTH = 9

/**
 * The response bit of the version byte.
 *
 * @since 0.1.0
 */
export const RESPONSE_BIT = 0x80

/**
 * Default cap on an envelope body (the spec's 256 MiB; Cassandra 4.1+ defaults to 16 MiB).
 *
 * @since 0.1.0
 */
export const DEFAULT_MAX_FRAME_SIZE = 256 * 1024 * 1024

/**
 * One envelope as read off the wire. `body` is a view of the received bytes when possible, already
 * decompressed when the envelope was compressed (v3/v4); on v5 the compression flag is ignored.
 *
 * @since 0.1.0
 */
export interface RawEnvelope {
  readonly _tag: "RawEnvelope"
  /** The protocol version (version byte without the response bit). */
  readonly version: number
  /** True for a response (server to client). */
  readonly response: boolean
  readonly flags: number
  readonly stream: number
  readonly opcode: number
  readonly body: Uint8Array
}

/**
 * Writes a header with a zero length; returns the offset of the length field to patch.
 *
 * @since 0.1.0
 */
export const writeHeader = (
  w: ByteWriter,
  versionByte: number,
  flags: number,
  stream: number,
  opcode: number
): number => {
  w.ensure(HEADER_LENGTH)
  const buf = w.buf
  const p = w.pos
  buf[p] = versionByte
  buf[p + 1] = flags
  buf[p + 2] = (stream >> 8) & 0xff
  buf[p + 3] = stream & 0xff
  buf[p + 4] = opcode
  w.pos = p + HEADER_LENGTH
  return p + 5
}

/**
 * Throws an EncodeError unless `stream` is a stream id: 0..32767, or -1 too when `allowEvent`.
 *
 * @since 0.1.0
 */
export const checkStream = (stream: number, allowEvent: boolean): void => {
  if (!Number.isInteger(stream) || stream > 32767 || stream < (allowEvent ? -1 : 0)) {
    throw new EncodeError({
      message: `stream id ${stream} out of range`,
      path: "stream",
      expected: allowEvent ? "-1..32767" : "0..32767"
    })
  }
}

// ---------------------------------------------------------------------------------------------
// [uuid], [inetaddr]

/**
 * 16 bytes at the reader's position -> lowercase canonical uuid string.
 *
 * @since 0.1.0
 */
export const readUuid = (r: ByteReader): string => {
  r.need(16)
  const s = formatUuid(r.buf, r.pos)
  r.pos += 16
  return s
}

/**
 * Writes a [uuid] from its canonical text; an EncodeError naming `path` when it is not one.
 *
 * @since 0.1.0
 */
export const writeUuid = (w: ByteWriter, uuid: string, path: string): void => {
  const b = typeof uuid === "string" ? parseUuid(uuid) : undefined
  if (b === undefined) throw new EncodeError({ message: `not a uuid: ${String(uuid)}`, path, expected: "uuid" })
  w.writeRaw(b)
}

/**
 * Writes an [inetaddr] (a size byte, then 4 or 16 address bytes) from IP text; an EncodeError naming
 * `path` when it is not an address.
 *
 * @since 0.1.0
 */
export const writeInetAddr = (w: ByteWriter, address: string, path: string): void => {
  const b = typeof address === "string" ? parseInet(address) : undefined
  if (b === undefined) throw new EncodeError({ message: `not an IP address: ${String(address)}`, path, expected: "inet" })
  w.writeByte(b.length)
  w.writeRaw(b)
}

/**
 * [inetaddr] -> "a.b.c.d" or IPv6 text.
 *
 * @since 0.1.0
 */
export const readInetAddrString = (r: ByteReader): string => {
  const b = r.readInetAddr()
  return formatInet(b, 0, b.length as 4 | 16)
}

/**
 * A bounded count check: `count` items of at least `minBytes` each must fit in what is left.
 *
 * @since 0.1.0
 */
export const checkCount = (r: ByteReader, count: number, minBytes: number, what: string): void => {
  if (count < 0 || count * minBytes > r.remaining) {
    throw new DecodeError({ message: `${what} count ${count} does not fit in ${r.remaining} bytes`, offset: r.pos })
  }
}

/**
 * A copy as a plain Uint8Array (never `slice`: on a Node Buffer it is a view).
 *
 * @since 0.1.0
 */
export const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b)

