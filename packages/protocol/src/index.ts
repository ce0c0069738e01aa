/**
 * @effect-cassandra/protocol: the Cassandra native protocol (v3, v4, v5) codec. Pure: no I/O.
 * Nothing here opens a socket, pools connections or retries: that is `@effect-cassandra/driver`'s.
 *
 * @since 0.1.0
 */

/**
 * Typed errors of the codec: `DecodeError` and `EncodeError`.
 *
 * @since 0.1.0
 */
export * from "./Errors.ts"

/**
 * `ByteWriter` and `ByteReader`: the byte-level writer and reader of every codec.
 *
 * @since 0.1.0
 */
export * from "./Buffers.ts"

/**
 * CQL type descriptors (`CqlType`) and the [option] ids (`TypeCode`).
 *
 * @since 0.1.0
 */
export * from "./CqlType.ts"

/**
 * The message model: requests, responses, results, events, errors and the protocol's constants.
 *
 * @since 0.1.0
 */
export * from "./Messages.ts"

/**
 * CQL values: codecs, type options, type names and value classes.
 *
 * @since 0.1.0
 */
export * from "./types/index.ts"

/**
 * Partition tokens (Murmur3, Random, ByteOrdered partitioners) and routing keys.
 *
 * @since 0.1.0
 */
export * from "./Token.ts"

// frames: envelopes, v5 segments, compression, request/response messages
/**
 * The body compression algorithms of v3/v4.
 *
 * @since 0.1.0
 */
export { type BodyCompression } from "./frame/Compression.ts"

/**
 * The default envelope size cap and the raw envelope read off the wire.
 *
 * @since 0.1.0
 */
export { DEFAULT_MAX_FRAME_SIZE, type RawEnvelope } from "./frame/Envelope.ts"

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
 * The incremental envelope decoder of one connection.
 *
 * @since 0.1.0
 */
export { FrameDecoder, type FrameDecoderOptions } from "./frame/FrameDecoder.ts"

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
 * Request flags and the raw requests a server decodes.
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

/**
 * v5 segment framing.
 *
 * @since 0.1.0
 */
export { frameSegments, MAX_SEGMENT_PAYLOAD } from "./frame/Segment.ts"
