/**
 * CQL values: codecs, type options and type names. Nothing here reads or writes envelopes or
 * message bodies (see `../frame/`).
 *
 * @since 0.1.0
 */

/**
 * Value decoding and row decoders.
 *
 * @since 0.1.0
 */
export * from "./Decode.ts"

/**
 * Value encoding and type inference.
 *
 * @since 0.1.0
 */
export * from "./Encode.ts"

/**
 * The text forms of UUIDs and inet addresses.
 *
 * @since 0.1.0
 */
export { formatInet, formatUuid, parseInet, parseUuid } from "./Primitives.ts"

/**
 * CQL type names and Cassandra marshal class names.
 *
 * @since 0.1.0
 */
export * from "./TypeNames.ts"

/**
 * The [option] type descriptor of result and prepared metadata.
 *
 * @since 0.1.0
 */
export * from "./TypeOption.ts"

/**
 * Value classes (`LocalDate`, `LocalTime`, `CqlDuration`) and the `EMPTY` marker.
 *
 * @since 0.1.0
 */
export * from "./Values.ts"
