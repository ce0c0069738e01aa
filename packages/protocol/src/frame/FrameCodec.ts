/**
 * Decoding of whole envelopes into messages, and one-shot encoders (tests, mock servers). It works on
 * one complete envelope at a time: splitting a byte stream into envelopes is FrameDecoder's job.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { ByteReader } from "../Buffers.ts"
import { DecodeError, type EncodeError } from "../Errors.ts"
import { HeaderFlag, type ProtocolVersion, type Request, type Response, type ResponseFrame } from "../Messages.ts"
import type { BodyCompression } from "./Compression.ts"
import { type RawEnvelope, readUuid } from "./Envelope.ts"
import { toDecodeError } from "./FrameDecoder.ts"
import { FrameEncoder, type RequestEncodeOptions, type ResponseEncodeOptions } from "./FrameEncoder.ts"
import { decodeRequestBody, type RawRequest } from "./Requests.ts"
import { decodeResponseBody, type DecodeResponseContext } from "./Responses.ts"

const checkVersion = (version: number): ProtocolVersion => {
  if (version !== 3 && version !== 4 && version !== 5) {
    throw new DecodeError({ message: `unsupported protocol version ${version}` })
  }
  return version
}

/**
 * Decodes a response envelope: the body prefix (tracing id, warnings, custom payload, as flagged)
 * then the message. Rows sent with NO_METADATA are decoded with `ctx.resultColumns`.
 *
 * @since 0.1.0
 */
export const decodeResponse = (
  env: RawEnvelope,
  ctx?: DecodeResponseContext
): Result.Result<ResponseFrame, DecodeError> => {
  // where the body starts in the buffer the reader reads (`ByteReader.within`): errors give offsets in the body
  let base = 0
  try {
    if (!env.response) throw new DecodeError({ message: "not a response envelope (request direction bit)" })
    const version = checkVersion(env.version)
    const r = ByteReader.within(env.body)
    base = r.pos
    const flags = env.flags
    const tracingId = (flags & HeaderFlag.TRACING) !== 0 ? readUuid(r) : undefined
    const warnings = (flags & HeaderFlag.WARNING) !== 0 ? r.readStringList() : undefined
    const customPayload = (flags & HeaderFlag.CUSTOM_PAYLOAD) !== 0 ? r.readBytesMap() : undefined
    const response = decodeResponseBody(r, version, env.opcode, ctx)
    return Result.succeed({
      version,
      flags,
      stream: env.stream,
      opcode: env.opcode,
      tracingId,
      warnings,
      customPayload,
      response
    })
  } catch (e) {
    return Result.fail(bodyRelative(toDecodeError(e), base))
  }
}

/** The error with its offset in the body rather than in the buffer the body lies in (`ByteReader.within`). */
const bodyRelative = (e: DecodeError, base: number): DecodeError =>
  base === 0 || e.offset === undefined
    ? e
    : new DecodeError({ message: e.message, offset: e.offset - base, staleResultColumns: e.staleResultColumns })

/**
 * A decoded request envelope (server side).
 *
 * @since 0.1.0
 */
export interface RequestFrame {
  readonly version: ProtocolVersion
  readonly flags: number
  readonly stream: number
  readonly opcode: number
  /** The client asked for tracing. */
  readonly tracing: boolean
  readonly customPayload: ReadonlyMap<string, Uint8Array | null> | undefined
  readonly request: RawRequest
}

/**
 * Decodes a request envelope (server side); bound values stay raw [value] bytes.
 *
 * @since 0.1.0
 */
export const decodeRequest = (env: RawEnvelope): Result.Result<RequestFrame, DecodeError> => {
  let base = 0
  try {
    if (env.response) throw new DecodeError({ message: "not a request envelope (response direction bit)" })
    const version = checkVersion(env.version)
    const r = ByteReader.within(env.body)
    base = r.pos
    const customPayload = (env.flags & HeaderFlag.CUSTOM_PAYLOAD) !== 0 ? r.readBytesMap() : undefined
    const request = decodeRequestBody(r, version, env.opcode)
    return Result.succeed({
      version,
      flags: env.flags,
      stream: env.stream,
      opcode: env.opcode,
      tracing: (env.flags & HeaderFlag.TRACING) !== 0,
      customPayload,
      request
    })
  } catch (e) {
    return Result.fail(bodyRelative(toDecodeError(e), base))
  }
}

/**
 * One-shot: one request envelope (unframed).
 *
 * @since 0.1.0
 */
export const encodeRequest = (
  version: ProtocolVersion,
  stream: number,
  request: Request,
  options?: RequestEncodeOptions & { readonly compression?: BodyCompression | undefined }
): Result.Result<Uint8Array, EncodeError> => {
  const enc = new FrameEncoder({ version, initialCapacity: 256 })
  if (options?.compression !== undefined) enc.setCompression(options.compression)
  const r = enc.encode(stream, request, options)
  return Result.isFailure(r) ? Result.fail(r.failure) : Result.succeed(enc.takeBatch()!)
}

/**
 * One-shot: one response envelope (unframed), e.g. for a mock server.
 *
 * @since 0.1.0
 */
export const encodeResponse = (
  version: ProtocolVersion,
  stream: number,
  response: Response,
  options?: ResponseEncodeOptions & { readonly compression?: BodyCompression | undefined }
): Result.Result<Uint8Array, EncodeError> => {
  const enc = new FrameEncoder({ version, initialCapacity: 256 })
  if (options?.compression !== undefined) enc.setCompression(options.compression)
  const r = enc.encodeResponse(stream, response, options)
  return Result.isFailure(r) ? Result.fail(r.failure) : Result.succeed(enc.takeBatch()!)
}
