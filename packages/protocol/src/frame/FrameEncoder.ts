/**
 * The encoder of one connection: requests (or, server side, responses) are appended back to back
 * into one reusable buffer, and `takeBatch` hands them out as one buffer for one socket write.
 * It never writes to the socket itself: the caller does.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { ByteWriter } from "../Buffers.ts"
import { EncodeError } from "../Errors.ts"
import { HeaderFlag, type ProtocolVersion, type Request, type Response } from "../Messages.ts"
import { type BodyCompression, compressBody } from "./Compression.ts"
import { checkStream, DEFAULT_MAX_FRAME_SIZE, HEADER_LENGTH, RESPONSE_BIT, writeHeader, writeUuid } from "./Envelope.ts"
import { encodeRequestBody, requestOpcode } from "./Requests.ts"
import { encodeResponseBody, responseOpcode } from "./Responses.ts"
import { allocUnsafe, frameSegments, type SegmentCompression } from "./Segment.ts"

/**
 * Options of a {@link FrameEncoder}.
 *
 * @since 0.1.0
 */
export interface FrameEncoderOptions {
  readonly version: ProtocolVersion
  /** Initial size of the pending buffer (default 16 KiB). */
  readonly initialCapacity?: number | undefined
  /** Largest envelope body produced (default 256 MiB); a larger one is an EncodeError. */
  readonly maxFrameSize?: number | undefined
  /**
   * Bodies (v3/v4) and segment payloads (v5) shorter than this go uncompressed even when compression
   * is on (default 512 bytes): a napi compression call costs ~2 us whatever the size, and small
   * payloads barely shrink. Both formats allow uncompressed envelopes/segments at any time.
   */
  readonly compressionThreshold?: number | undefined
}

/**
 * Per-request envelope options.
 *
 * @since 0.1.0
 */
export interface RequestEncodeOptions {
  /** Sets the tracing flag (QUERY, PREPARE, EXECUTE, BATCH). */
  readonly tracing?: boolean | undefined
  /** v4+: a custom payload for the server's QueryHandler. */
  readonly customPayload?: ReadonlyMap<string, Uint8Array | null> | undefined
  /** Sets the USE_BETA flag (0x10): required by a server to accept a protocol version it marks beta. */
  readonly beta?: boolean | undefined
}

/**
 * Per-response envelope options (server side).
 *
 * @since 0.1.0
 */
export interface ResponseEncodeOptions {
  readonly tracingId?: string | undefined
  /** v4+ */
  readonly warnings?: ReadonlyArray<string> | undefined
  /** v4+ */
  readonly customPayload?: ReadonlyMap<string, Uint8Array | null> | undefined
}

const OK: Result.Result<void, EncodeError> = Result.succeed(undefined)
/** The pending buffer is reallocated at its initial size after a batch that grew it beyond this. */
const SHRINK_ABOVE = 1024 * 1024

/**
 * Appends envelopes to a pending batch. `encode` either appends one whole envelope or, on an
 * EncodeError, nothing at all (the buffer is rolled back). `takeBatch` returns every pending byte
 * as one fresh buffer (safe to hand to `socket.write`: it is never written again), framed into v5
 * segments once `enableFraming` was called.
 *
 * @since 0.1.0
 */
export class FrameEncoder {
  readonly version: ProtocolVersion
  readonly maxFrameSize: number
  private readonly initialCapacity: number
  private readonly compressionThreshold: number
  private w: ByteWriter
  private compression: BodyCompression | undefined = undefined
  private framing: SegmentCompression | undefined = undefined
  /** Bytes before this offset were queued before framing started and go unframed. */
  private framedFrom = 0
  /** End offsets of the pending framed envelopes. */
  private readonly ends: Array<number> = []
  private count = 0

  constructor(options: FrameEncoderOptions) {
    this.version = options.version
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
    this.initialCapacity = options.initialCapacity ?? 16 * 1024
    this.compressionThreshold = options.compressionThreshold ?? 512
    this.w = new ByteWriter(this.initialCapacity)
  }

  /** Bytes pending (before framing). */
  get pendingBytes(): number {
    return this.w.pos
  }

  /** Envelopes pending. */
  get pendingCount(): number {
    return this.count
  }

  get framingEnabled(): boolean {
    return this.framing !== undefined
  }

  /**
   * v3/v4 body compression for the envelopes encoded from now on (STARTUP is never compressed; a
   * body that does not shrink goes uncompressed). Ignored on v5, where segments are compressed.
   */
  setCompression(compression: BodyCompression | undefined): void {
    this.compression = compression
  }

  /**
   * Frames every envelope encoded from now on into v5 segments (call it once READY or
   * AUTHENTICATE answered a v5 STARTUP). Envelopes already pending go unframed.
   */
  enableFraming(options?: { readonly compression?: "lz4" | undefined }): void {
    if (this.framing === undefined) {
      this.framedFrom = this.w.pos
      this.ends.length = 0
    }
    this.framing = options?.compression === "lz4" ? "lz4" : "none"
  }

  /** Appends one request envelope on `stream` (0..32767). */
  encode(stream: number, request: Request, options?: RequestEncodeOptions): Result.Result<void, EncodeError> {
    const w = this.w
    const start = w.pos
    try {
      if (!(stream >= 0 && stream <= 32767 && (stream | 0) === stream)) checkStream(stream, false)
      let flags = 0
      const payload = options?.customPayload
      if (options !== undefined) {
        if (options.tracing === true) flags |= HeaderFlag.TRACING
        if (options.beta === true) flags |= HeaderFlag.USE_BETA
        if (payload !== undefined) {
          if (this.version < 4) throw new EncodeError({ message: "custom payloads need protocol v4+", path: "customPayload", expected: "undefined" })
          flags |= HeaderFlag.CUSTOM_PAYLOAD
        }
      }
      const lenAt = writeHeader(w, this.version, flags, stream, requestOpcode(request))
      if (payload !== undefined) w.writeBytesMap(payload)
      encodeRequestBody(w, this.version, request)
      this.finish(start, lenAt, request._tag !== "Startup")
      return OK
    } catch (e) {
      w.pos = start
      return Result.fail(toEncodeError(e))
    }
  }

  /** Appends one response envelope on `stream` (-1..32767; events use -1). Server side. */
  encodeResponse(stream: number, response: Response, options?: ResponseEncodeOptions): Result.Result<void, EncodeError> {
    const w = this.w
    const start = w.pos
    try {
      checkStream(stream, true)
      let flags = 0
      if (options !== undefined) {
        if (options.tracingId !== undefined) flags |= HeaderFlag.TRACING
        if (options.warnings !== undefined) flags |= HeaderFlag.WARNING
        if (options.customPayload !== undefined) flags |= HeaderFlag.CUSTOM_PAYLOAD
        if (this.version < 4 && (flags & (HeaderFlag.WARNING | HeaderFlag.CUSTOM_PAYLOAD)) !== 0) {
          throw new EncodeError({ message: "warnings and custom payloads need protocol v4+", path: "options", expected: "v4+" })
        }
      }
      const lenAt = writeHeader(w, this.version | RESPONSE_BIT, flags, stream, responseOpcode(response))
      if (options !== undefined) {
        if (options.tracingId !== undefined) writeUuid(w, options.tracingId, "tracingId")
        if (options.warnings !== undefined) w.writeStringList(options.warnings)
        if (options.customPayload !== undefined) w.writeBytesMap(options.customPayload)
      }
      encodeResponseBody(w, this.version, response)
      this.finish(start, lenAt, true)
      return OK
    } catch (e) {
      w.pos = start
      return Result.fail(toEncodeError(e))
    }
  }

  private finish(start: number, lenAt: number, compressible: boolean): void {
    const w = this.w
    const bodyStart = start + HEADER_LENGTH
    let bodyLength = w.pos - bodyStart
    if (this.compression !== undefined && compressible && this.version < 5 && bodyLength >= this.compressionThreshold) {
      const c = compressBody(this.compression, w.buf.subarray(bodyStart, w.pos))
      if (c !== undefined) {
        w.pos = bodyStart
        w.writeRaw(c)
        w.buf[start + 1] |= HeaderFlag.COMPRESSION
        bodyLength = c.length
      }
    }
    if (bodyLength > this.maxFrameSize) {
      throw new EncodeError({
        message: `envelope body of ${bodyLength} bytes exceeds the maximum ${this.maxFrameSize}`,
        path: "",
        expected: `<= ${this.maxFrameSize} bytes`
      })
    }
    w.view.setInt32(lenAt, bodyLength)
    if (this.framing !== undefined) this.ends.push(w.pos)
    this.count++
  }

  /** Every pending byte as one new buffer (segments when framing), or `undefined` if none; resets the batch. */
  takeBatch(): Uint8Array | undefined {
    const w = this.w
    const n = w.pos
    if (n === 0) return undefined
    let out: Uint8Array
    if (this.framing === undefined) {
      out = allocUnsafe(n)
      out.set(w.buf.subarray(0, n))
    } else {
      out = frameSegments(w.buf, this.framedFrom, this.ends, this.ends.length, this.framing, this.compressionThreshold)
    }
    w.pos = 0
    this.framedFrom = 0
    this.ends.length = 0
    this.count = 0
    if (w.buf.length > SHRINK_ABOVE && w.buf.length > this.initialCapacity) this.w = new ByteWriter(this.initialCapacity)
    return out
  }
}

/**
 * Any exception -> EncodeError (internal code only throws EncodeError; others are wrapped).
 *
 * @since 0.1.0
 */
export const toEncodeError = (e: unknown): EncodeError =>
  e instanceof EncodeError
    ? e
    : new EncodeError({
      message: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
      path: "",
      expected: ""
    })
