/**
 * CQL values: codecs, type options and type names.
 *
 * @since 0.1.0
 */
export * from "./Decode.ts"
export * from "./Encode.ts"
export { formatInet, formatUuid, parseInet, parseUuid } from "./Primitives.ts"
export * from "./TypeNames.ts"
export * from "./TypeOption.ts"
export * from "./Values.ts"
