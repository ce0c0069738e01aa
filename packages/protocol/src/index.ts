/**
 * @effect-cassandra/protocol: the Cassandra native protocol (v3, v4, v5) codec. Pure: no I/O.
 *
 * @since 0.1.0
 */
export * from "./Errors.ts"
export * from "./Buffers.ts"
export * from "./CqlType.ts"
export * from "./Messages.ts"
export * from "./types/index.ts"
export * from "./Token.ts"
// frames: envelopes, v5 segments, compression, request/response messages
export { type BodyCompression } from "./frame/Compression.ts"
export { DEFAULT_MAX_FRAME_SIZE, type RawEnvelope } from "./frame/Envelope.ts"
export {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type RequestFrame
} from "./frame/FrameCodec.ts"
export { FrameDecoder, type FrameDecoderOptions } from "./frame/FrameDecoder.ts"
export {
  FrameEncoder,
  type FrameEncoderOptions,
  type RequestEncodeOptions,
  type ResponseEncodeOptions
} from "./frame/FrameEncoder.ts"
export {
  PrepareFlag,
  QueryFlag,
  type RawBoundValues,
  type RawQueryParameters,
  type RawRequest,
  type RawValue
} from "./frame/Requests.ts"
export { type DecodeResponseContext, ResultKind, rowDecoderFor, RowsFlag } from "./frame/Responses.ts"
export { frameSegments, MAX_SEGMENT_PAYLOAD } from "./frame/Segment.ts"
