/**
 * Encoding one response envelope for a protocol version and body compression, with one reused
 * encoder per (version, compression). It does not frame v5 segments nor write to sockets: the
 * connection does (`ServerConnection.ts`).
 *
 * @internal
 */
import type { EncodeError } from "@effect-cassandra/protocol/Errors"
import { type BodyCompression, FrameEncoder, type ResponseEncodeOptions } from "@effect-cassandra/protocol/Frames"
import type { ProtocolVersion, Response } from "@effect-cassandra/protocol/Messages"
import * as Result from "effect/Result"

const encoders = new Map<string, FrameEncoder>()

/**
 * One response envelope (unframed, stream `stream`), with the connection's v3/v4 body compression.
 *
 * @since 0.1.0
 */
export const encodeEnvelope = (
  version: ProtocolVersion,
  compression: BodyCompression | undefined,
  stream: number,
  response: Response,
  options?: ResponseEncodeOptions
): Result.Result<Uint8Array, EncodeError> => {
  const key = `${version}|${compression ?? ""}`
  let enc = encoders.get(key)
  if (enc === undefined) {
    enc = new FrameEncoder({ version, initialCapacity: 4096 })
    if (compression !== undefined && version < 5) enc.setCompression(compression)
    encoders.set(key, enc)
  }
  const r = enc.encodeResponse(stream, response, options)
  if (Result.isFailure(r)) return Result.fail(r.failure)
  return Result.succeed(enc.takeBatch()!)
}
