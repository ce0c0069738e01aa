/**
 * The incremental decoder of one connection: bytes in (chunks of any size), envelopes out. It does not
 * decode message bodies (see `decodeResponse` in FrameCodec.ts) and never touches a socket.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { DecodeError } from "../Errors.ts"
import type { ProtocolVersion } from "../Messages.ts"
import { ChunkQueue } from "./ChunkQueue.ts"
import { type BodyCompression, decompressBody } from "./Compression.ts"
import { DEFAULT_MAX_FRAME_SIZE, HEADER_LENGTH, type RawEnvelope, RESPONSE_BIT } from "./Envelope.ts"
import { readSegment, type SegmentCompression } from "./Segment.ts"

/**
 * Options of a {@link FrameDecoder}.
 *
 * @since 0.1.0
 */
export interface FrameDecoderOptions {
  /** The connection's protocol version. */
  readonly version: ProtocolVersion
  /** Largest envelope body accepted (default 256 MiB); a larger declared length is a DecodeError. */
  readonly maxFrameSize?: number | undefined
  /**
   * Free the bytes of the envelopes returned so far at each `release()` (default false): the copies the
   * decoder made (a body spanning chunks, a decompressed body, a v5 segment payload spanning chunks), and
   * the chunks pushed as disposable once read to their end. Their ArrayBuffers are detached, which
   * returns their memory at once: otherwise a large page's bytes wait for the next scavenge, and a
   * consumer that takes long over each page lets many pages' worth pile up between two. With this on,
   * a body is valid only until the next `release()`: decode it, keep no view of it, then release.
   */
  readonly releaseBuffers?: boolean | undefined
}

/** v5 input chunks waiting for a moment with no envelope pending, beyond which they are left to the GC. */
const MAX_DEFERRED_CHUNKS = 256

const NEED_MORE: Result.Result<RawEnvelope | undefined, DecodeError> = Result.succeed(undefined)

/**
 * Decodes envelopes from a byte stream. `push` the socket's chunks, then call `next` until it
 * yields `undefined` (more bytes needed). Bodies are views of the pushed chunks when an envelope lies
 * in one chunk (so `push` takes ownership of the chunk: do not modify it afterwards), else one copy.
 *
 * After `enableFraming` the stream is read as v5 segments (CRC-checked, optionally LZ4), whose
 * payloads carry the envelopes. An error is sticky: every later `next` returns it (close the
 * connection).
 *
 * @since 0.1.0
 */
export class FrameDecoder {
  readonly version: ProtocolVersion
  readonly maxFrameSize: number
  private readonly input = new ChunkQueue()
  /** Where envelopes are read from: `input` until framing starts, then the segment payloads. */
  private envelopes: ChunkQueue
  private framing: SegmentCompression | undefined = undefined
  private compression: BodyCompression | undefined = undefined
  private failed: Result.Result<never, DecodeError> | undefined = undefined
  private readonly scratch = new Uint8Array(16)
  private readonly releasing: boolean

  constructor(options: FrameDecoderOptions) {
    this.version = options.version
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
    this.releasing = options.releaseBuffers === true
    this.envelopes = this.input
  }

  /** Bytes received and not yet returned as envelopes. */
  get buffered(): number {
    return this.input.length + (this.envelopes === this.input ? 0 : this.envelopes.length)
  }

  get framingEnabled(): boolean {
    return this.framing !== undefined
  }

  /**
   * Appends received bytes. `disposable`: the chunk is the whole of an ArrayBuffer that nobody else
   * holds or reuses (a node:net or node:tls read is), so with `releaseBuffers` it is freed once read.
   */
  push(chunk: Uint8Array, disposable = false): void {
    this.input.push(chunk, disposable && this.releasing)
  }

  /**
   * With `releaseBuffers`: frees the bytes of every envelope returned so far (see the option). Call it
   * once they are decoded and nothing keeps a view of them. Without the option it does nothing.
   */
  release(): void {
    if (!this.releasing) return
    if (this.envelopes === this.input) return this.input.release()
    this.envelopes.release()
    // v5: a segment payload can be a view of the input chunk it lay in, still queued in `envelopes` (the
    // start of an envelope) after that chunk was read to its end: free the input once no envelope is pending
    if (this.envelopes.length === 0) this.input.release()
    else if (this.input.spentCount > MAX_DEFERRED_CHUNKS) this.input.forgetSpent()
  }

  /** v3/v4 body compression negotiated in STARTUP (call it once STARTUP is sent). */
  setCompression(compression: BodyCompression | undefined): void {
    this.compression = compression
  }

  /**
   * From now on read v5 segments (call it after the READY or AUTHENTICATE that answers a v5 STARTUP;
   * bytes already pushed after that envelope are read as segments).
   */
  enableFraming(options?: { readonly compression?: "lz4" | undefined }): void {
    if (this.framing === undefined) this.envelopes = new ChunkQueue()
    this.framing = options?.compression === "lz4" ? "lz4" : "none"
  }

  /** The next complete envelope, `undefined` when more bytes are needed, or the stream's DecodeError. */
  next(): Result.Result<RawEnvelope | undefined, DecodeError> {
    if (this.failed !== undefined) return this.failed
    try {
      const env = this.framing === undefined ? this.readEnvelope(this.input) : this.nextFramed(this.framing)
      return env === undefined ? NEED_MORE : Result.succeed(env)
    } catch (e) {
      this.failed = Result.fail(toDecodeError(e))
      this.input.clear()
      this.envelopes.clear()
      return this.failed
    }
  }

  private nextFramed(framing: SegmentCompression): RawEnvelope | undefined {
    for (;;) {
      const env = this.readEnvelope(this.envelopes)
      if (env !== undefined) return env
      const segment = readSegment(this.input, framing, this.scratch)
      if (segment === undefined) return undefined
      if (segment.selfContained) {
        if (this.envelopes.length > 0) {
          throw new DecodeError({ message: "self-contained segment while an envelope is still incomplete" })
        }
        checkWholeEnvelopes(segment.payload)
      }
      this.envelopes.push(segment.payload, this.releasing && segment.copied)
    }
  }

  private readEnvelope(q: ChunkQueue): RawEnvelope | undefined {
    if (q.length < HEADER_LENGTH) return undefined
    let h = q.contiguous(HEADER_LENGTH)
    let o: number
    if (h === undefined) {
      q.peekInto(this.scratch, HEADER_LENGTH)
      h = this.scratch
      o = 0
    } else {
      o = q.peekOffset
    }
    const versionByte = h[o]!
    const version = versionByte & 0x7f
    if (version < 3 || (this.framing !== undefined && version !== 5)) {
      throw new DecodeError({
        message: this.framing !== undefined
          ? `protocol version ${version} in an envelope inside a v5 segment`
          : `unsupported protocol version ${version} in envelope header`
      })
    }
    const length = (h[o + 5]! << 24) | (h[o + 6]! << 16) | (h[o + 7]! << 8) | h[o + 8]!
    if (length < 0 || length > this.maxFrameSize) {
      throw new DecodeError({ message: `envelope body length ${length} exceeds the maximum ${this.maxFrameSize}` })
    }
    if (q.length < HEADER_LENGTH + length) return undefined
    const flags = h[o + 1]!
    const stream = ((h[o + 2]! << 24) >> 16) | h[o + 3]!
    if (stream < -1) throw new DecodeError({ message: `stream id ${stream} (only 0..32767 and -1 for events)` })
    const opcode = h[o + 4]!
    q.skip(HEADER_LENGTH)
    let body = q.take(length)
    if (this.releasing && q.copied) q.retire(body)
    if ((flags & 0x01) !== 0 && version < 5) {
      if (this.compression === undefined) {
        throw new DecodeError({ message: "compressed envelope but no compression was negotiated" })
      }
      body = decompressBody(this.compression, body, this.maxFrameSize)
      if (this.releasing) q.retire(body)
    }
    return { _tag: "RawEnvelope", version, response: (versionByte & RESPONSE_BIT) !== 0, flags, stream, opcode, body }
  }
}

/** A self-contained segment holds whole envelopes only: their headers' lengths must add up to its payload. */
const checkWholeEnvelopes = (payload: Uint8Array): void => {
  let p = 0
  while (p < payload.length) {
    if (payload.length - p < HEADER_LENGTH) {
      throw new DecodeError({ message: "self-contained segment ends inside an envelope header" })
    }
    const length = ((payload[p + 5]! << 24) | (payload[p + 6]! << 16) | (payload[p + 7]! << 8) | payload[p + 8]!) >>> 0
    p += HEADER_LENGTH + length
  }
  if (p !== payload.length) throw new DecodeError({ message: "self-contained segment ends inside an envelope body" })
}

/**
 * Any exception -> DecodeError (internal code only throws DecodeError; anything else is a bug).
 *
 * @since 0.1.0
 */
export const toDecodeError = (e: unknown): DecodeError =>
  e instanceof DecodeError
    ? e
    : new DecodeError({ message: `unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` })
