/**
 * The value codecs the frame layer uses (bound values, [option] types, rows), provided by
 * `../types/`: one import point so the frame layer depends on a single module. It adds no code.
 *
 * @internal
 */

/**
 * The value decoders of `../types/` that the frame layer uses.
 *
 * @since 0.1.0
 */
export { decodeRows, makeRowDecoder, RowCursor, type RowDecoder } from "../types/Decode.ts"

/**
 * The value encoders of `../types/` that the frame layer uses.
 *
 * @since 0.1.0
 */
export { encodeInferredValue, encodeValue } from "../types/Encode.ts"

/**
 * The text forms of UUIDs and inet addresses, for the [uuid] and [inet] notations.
 *
 * @since 0.1.0
 */
export { formatInet, formatUuid, parseInet, parseUuid } from "../types/Primitives.ts"

/**
 * The [option] codec, for result and prepared metadata.
 *
 * @since 0.1.0
 */
export { readTypeOption, writeTypeOption } from "../types/TypeOption.ts"
