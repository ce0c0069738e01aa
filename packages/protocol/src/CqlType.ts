/**
 * CQL type descriptors, as they arrive in result/prepared metadata ([option]) or as a user declares them.
 * Plain data only: reading, writing and naming types and their values is done in `types/`.
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
 * [option] ids of the native protocol.
 *
 * @since 0.1.0
 */
export const TypeCode = {
  custom: 0x0000,
  ascii: 0x0001,
  bigint: 0x0002,
  blob: 0x0003,
  boolean: 0x0004,
  counter: 0x0005,
  decimal: 0x0006,
  double: 0x0007,
  float: 0x0008,
  int: 0x0009,
  timestamp: 0x000b,
  uuid: 0x000c,
  varchar: 0x000d,
  varint: 0x000e,
  timeuuid: 0x000f,
  inet: 0x0010,
  date: 0x0011,
  time: 0x0012,
  smallint: 0x0013,
  tinyint: 0x0014,
  duration: 0x0015,
  list: 0x0020,
  map: 0x0021,
  set: 0x0022,
  udt: 0x0030,
  tuple: 0x0031
} as const
