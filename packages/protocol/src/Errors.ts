/**
 * Typed errors of the codec. Internal code throws these (and only these); every public
 * entry point catches at its boundary and returns a `Result`, so nothing escapes as a throw.
 * An ERROR message from the server is not one of these: it decodes to data (`ErrorBody`).
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * A frame, segment or value that cannot be decoded (truncated, malformed, lying lengths...).
 *
 * @since 0.1.0
 */
export class DecodeError extends Data.TaggedError("DecodeError")<{
  readonly message: string
  /** Byte offset in the buffer being decoded, when known. */
  readonly offset?: number | undefined
  /**
   * Rows sent without metadata (skip_metadata) have another number of columns than the result
   * columns given to decode them: the caller's metadata is stale, the frame itself is sound.
   */
  readonly staleResultColumns?: boolean | undefined
}> {}

/**
 * A value that does not fit its CQL type, or a request that cannot be encoded.
 *
 * @since 0.1.0
 */
export class EncodeError extends Data.TaggedError("EncodeError")<{
  readonly message: string
  /** Where the value sits, e.g. `values[2]`, `values[2].name`, `values[0][3]` or `values.id`. */
  readonly path: string
  /** The expected CQL type, e.g. `int`, `list<text>`. */
  readonly expected: string
}> {}
