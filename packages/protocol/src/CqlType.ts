/**
 * CQL types: the type descriptor (`CqlType`), as it arrives in result/prepared metadata ([option]) or as a
 * user declares it, its CQL text and Cassandra marshal class name, and its [option] form on the wire.
 * Types only, never values: reading, writing and representing values is `CqlValues`'.
 *
 * The descriptors are declared here; the text forms and the [option] codec live in `types/TypeNames.ts` and
 * `types/TypeOption.ts` (not entry points), and this module re-exports their public names.
 *
 * @since 0.1.0
 */

/**
 * Native (non-parameterised) CQL types. `duration` arrives as a custom type on v3/v4.
 *
 * @since 0.1.0
 */
export type NativeTypeName =
  | "ascii" | "bigint" | "blob" | "boolean" | "counter" | "decimal" | "double" | "float" | "int"
  | "timestamp" | "uuid" | "varchar" | "varint" | "timeuuid" | "inet" | "date" | "time" | "smallint"
  | "tinyint" | "duration" | "text"

/**
 * A CQL type descriptor: a native type, a collection, a tuple, a UDT, a vector or a custom type,
 * tagged by `kind`.
 *
 * @since 0.1.0
 */
export type CqlType =
  | { readonly kind: NativeTypeName }
  | { readonly kind: "list"; readonly element: CqlType }
  | { readonly kind: "set"; readonly element: CqlType }
  | { readonly kind: "map"; readonly key: CqlType; readonly value: CqlType }
  | { readonly kind: "tuple"; readonly elements: ReadonlyArray<CqlType> }
  | {
    readonly kind: "udt"
    readonly keyspace: string
    readonly name: string
    readonly fields: ReadonlyArray<{ readonly name: string; readonly type: CqlType }>
  }
  | { readonly kind: "vector"; readonly element: CqlType; readonly dimension: number }
  /** A custom type the codec does not know: values are raw bytes. */
  | { readonly kind: "custom"; readonly className: string }

/**
 * The `kind` tags of {@link CqlType}.
 *
 * @since 0.1.0
 */
export type CqlTypeKind = CqlType["kind"]

/**
 * CQL type text (`formatType`, `parseCqlType`) and Cassandra marshal class names (`parseMarshalType`,
 * `marshalClassName`), with the native descriptors (`nativeType`) and the deepest nesting accepted.
 *
 * @since 0.1.0
 */
export {
  formatType,
  MAX_TYPE_DEPTH,
  marshalClassName,
  nativeType,
  parseCqlType,
  parseMarshalType,
  parseMarshalTypeOrCustom,
  type UdtResolver
} from "./types/TypeNames.ts"

/**
 * The [option] of result and prepared metadata: its type ids (`TypeCode`) and its codec.
 *
 * @since 0.1.0
 */
export { readTypeOption, TypeCode, writeTypeOption } from "./types/TypeOption.ts"
