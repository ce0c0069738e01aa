/**
 * CQL values in JavaScript: the classes of the values that have no JavaScript type of their own
 * (`LocalDate`, `LocalTime`, `CqlDuration`) and the `EMPTY` marker, the text forms of UUIDs and inet
 * addresses, and the value codecs: encoders into a `ByteWriter`, decoders from bytes, type inference and
 * the row decoders of a result. Values only: types are `CqlType`'s, messages and envelopes `Frames`'.
 *
 * The code lives in `types/` (not an entry point); this module re-exports its public names, not the
 * byte-level helpers (vints, varints, UTF-8) the codecs share.
 *
 * @since 0.2.0
 */

/**
 * Value classes (`LocalDate`, `LocalTime`, `CqlDuration`) and the `EMPTY` marker of a zero-length value.
 *
 * @since 0.1.0
 */
export { CqlDuration, EMPTY, type Empty, LocalDate, LocalTime } from "./types/Values.ts"

/**
 * The text forms of UUIDs and inet addresses.
 *
 * @since 0.1.0
 */
export { formatInet, formatUuid, parseInet, parseUuid } from "./types/Primitives.ts"

/**
 * Value encoding (into a `ByteWriter`, or to bytes with `serializeValue`) and type inference.
 *
 * @since 0.1.0
 */
export { encodeInferredValue, type EncodeOptions, encodeValue, inferType, serializeValue } from "./types/Encode.ts"

/**
 * Value decoding (from bytes, from a `ByteReader`, or to a `Result` with `deserializeValue`) and the row
 * decoders of a result.
 *
 * @since 0.1.0
 */
export {
  decoderFor,
  decodeRows,
  decodeValue,
  deserializeValue,
  makeRowDecoder,
  readValue,
  RowCursor,
  type RowDecoder,
  type ValueDecoder,
  vectorElementSize
} from "./types/Decode.ts"
