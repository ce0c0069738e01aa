/**
 * The protocol codec as one connection uses it: an encoder batch, an incremental decoder and the
 * response decoder, behind a small interface that never throws.
 *
 * It does not own the socket or the stream ids (`Connection.ts` does).
 *
 * @since 0.1.0
 * @internal
 */
import type { DecodeError, EncodeError } from "@effect-cassandra/protocol/Errors"
import { FrameDecoder, FrameEncoder, decodeResponse, type RawEnvelope } from "@effect-cassandra/protocol/Frames"
import type { ColumnSpec, ProtocolVersion, Request, ResponseFrame } from "@effect-cassandra/protocol/Messages"
import * as Result from "effect/Result"

/**
 * A body compression of v3/v4 (v5 compresses segments, with lz4 only).
 *
 * @since 0.1.0
 */
export type Compression = "lz4" | "snappy"

/**
 * One connection's encoder and decoder.
 *
 * @since 0.1.0
 */
export interface WireCodec {
  /** Appends a request to the pending batch; on failure nothing was appended. */
  encode(
    stream: number,
    request: Request,
    tracing: boolean | undefined,
    customPayload: ReadonlyMap<string, Uint8Array | null> | undefined
  ): EncodeError | undefined
  /** The pending batch as one buffer for one socket write, or undefined when empty. */
  takeBatch(): Uint8Array | undefined
  /** Bytes in the pending batch. */
  pendingBytes(): number
  /** Received bytes; `fresh`: the chunk is the whole of an ArrayBuffer nothing else uses (freed once read). */
  push(chunk: Uint8Array, fresh: boolean): void
  next(): RawEnvelope | DecodeError | undefined
  /**
   * Frees the bytes of the envelopes `next` returned so far (the copies of bodies that spanned reads, and
   * fresh chunks read to their end): call it once they are decoded. Decoded values are copies, never views.
   */
  release(): void
  /** `lazyRows`: a Rows answer keeps its rows' bytes in a cursor, decoded as they are read (see `RowCursor`). */
  decode(
    env: RawEnvelope,
    columns: ReadonlyArray<ColumnSpec> | undefined,
    lazyRows?: boolean
  ): { readonly _tag: "ResponseFrame"; readonly frame: ResponseFrame } | DecodeError
  /** v5: incoming bytes are segments from now on. */
  enableFraming(lz4: boolean): void
  /** v5: outgoing bytes are segments from now on. */
  enableFramingOut(lz4: boolean): void
  /** v3/v4: incoming bodies may be compressed from now on (set when STARTUP is sent: its answer can be). */
  setDecoderCompression(compression: Compression): void
  /** v3/v4: compress outgoing bodies from now on (after STARTUP, which never is). */
  setEncoderCompression(compression: Compression): void
}

/**
 * A codec for one connection at `version`.
 *
 * @since 0.1.0
 */
export const makeCodec = (version: ProtocolVersion): WireCodec => {
  const encoder = new FrameEncoder({ version })
  // every body is decoded as soon as it is read, into values that are copies: its bytes can go at once
  const decoder = new FrameDecoder({ version, releaseBuffers: true })
  return {
    encode(stream, request, tracing, customPayload) {
      const r = encoder.encode(stream, request, tracing || customPayload ? { tracing, customPayload } : undefined)
      return Result.isFailure(r) ? r.failure : undefined
    },
    takeBatch: () => encoder.takeBatch(),
    pendingBytes: () => encoder.pendingBytes,
    push: (chunk, fresh) => decoder.push(chunk, fresh),
    release: () => decoder.release(),
    next() {
      const r = decoder.next()
      return Result.isFailure(r) ? r.failure : r.success
    },
    decode(env, columns, lazyRows) {
      const ctx = lazyRows === true ? { resultColumns: columns, lazyRows } : columns === undefined ? undefined : { resultColumns: columns }
      const r = decodeResponse(env, ctx)
      return Result.isFailure(r) ? r.failure : { _tag: "ResponseFrame", frame: r.success }
    },
    enableFraming: (lz4) => decoder.enableFraming(lz4 ? { compression: "lz4" } : undefined),
    enableFramingOut: (lz4) => encoder.enableFraming(lz4 ? { compression: "lz4" } : undefined),
    setDecoderCompression: (compression) => decoder.setCompression(compression),
    setEncoderCompression: (compression) => encoder.setCompression(compression)
  }
}
