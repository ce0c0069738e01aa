/**
 * Frames: the envelopes of v3, v4 and v5 and the v5 segments that carry them, compressed or not, as one
 * connection writes and reads them: the batching `FrameEncoder` and the incremental `FrameDecoder` of a
 * connection, `decodeResponse` and `decodeRequest` for one whole envelope, one-shot encoders, and the wire
 * constants of request and response bodies. Bytes and messages only: nothing here opens a socket, and the
 * messages themselves are `Messages`'.
 *
 * The code lives in `frame/` (not an entry point); this module re-exports its public names, not the header,
 * body, checksum and chunk-queue helpers the encoder and decoder share.
 *
 * @since 0.2.0
 */

/**
 * The batching envelope encoder of one connection and its options.
 *
 * @since 0.1.0
 */
export {
  FrameEncoder,
  type FrameEncoderOptions,
  type RequestEncodeOptions,
  type ResponseEncodeOptions
} from "./frame/FrameEncoder.ts"

/**
 * The incremental envelope decoder of one connection.
 *
 * @since 0.1.0
 */
export { FrameDecoder, type FrameDecoderOptions } from "./frame/FrameDecoder.ts"

/**
 * Decoding of whole envelopes into messages, and one-shot envelope encoders.
 *
 * @since 0.1.0
 */
export {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type RequestFrame
} from "./frame/FrameCodec.ts"

/**
 * The default envelope size cap and the raw envelope read off the wire.
 *
 * @since 0.1.0
 */
export { DEFAULT_MAX_FRAME_SIZE, type RawEnvelope } from "./frame/Envelope.ts"

/**
 * The body compression algorithms of v3/v4.
 *
 * @since 0.1.0
 */
export type { BodyCompression } from "./frame/Compression.ts"

/**
 * v5 segment framing.
 *
 * @since 0.1.0
 */
export { frameSegments, MAX_SEGMENT_PAYLOAD, type SegmentCompression } from "./frame/Segment.ts"

/**
 * Request flags and the raw requests a server decodes (bound values stay `[value]` bytes).
 *
 * @since 0.1.0
 */
export {
  PrepareFlag,
  QueryFlag,
  type RawBoundValues,
  type RawQueryParameters,
  type RawRequest,
  type RawValue
} from "./frame/Requests.ts"

/**
 * RESULT kinds, rows metadata flags, the response decoding context and the cached row decoders.
 *
 * @since 0.1.0
 */
export { type DecodeResponseContext, ResultKind, rowDecoderFor, RowsFlag } from "./frame/Responses.ts"
