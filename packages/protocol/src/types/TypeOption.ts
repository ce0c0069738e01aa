/**
 * The [option] of result/prepared metadata: a type id, with parameters for collections, UDTs, tuples and
 * custom types (whose class names are parsed: duration on v3/v4, vectors, and any type id the connection's
 * version lacks), and the type ids themselves (`TypeCode`). The type descriptor only: values of the type are
 * read and written by Decode.ts and Encode.ts. Public through `../CqlType.ts`.
 *
 * @since 0.1.0
 */
import type { ByteReader, ByteWriter } from "../Buffers.ts"
import type { CqlType } from "../CqlType.ts"
import { DecodeError } from "../Errors.ts"
import type { ProtocolVersion } from "../Messages.ts"
import { MAX_TYPE_DEPTH, marshalClassName, nativeType, parseMarshalTypeOrCustom } from "./TypeNames.ts"

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

const BY_CODE: Array<CqlType | undefined> = []
BY_CODE[TypeCode.ascii] = nativeType("ascii")
BY_CODE[TypeCode.bigint] = nativeType("bigint")
BY_CODE[TypeCode.blob] = nativeType("blob")
BY_CODE[TypeCode.boolean] = nativeType("boolean")
BY_CODE[TypeCode.counter] = nativeType("counter")
BY_CODE[TypeCode.decimal] = nativeType("decimal")
BY_CODE[TypeCode.double] = nativeType("double")
BY_CODE[TypeCode.float] = nativeType("float")
BY_CODE[TypeCode.int] = nativeType("int")
BY_CODE[0x000a] = nativeType("text") // "text" of protocol v1/v2, never sent by v3+ servers
BY_CODE[TypeCode.timestamp] = nativeType("timestamp")
BY_CODE[TypeCode.uuid] = nativeType("uuid")
BY_CODE[TypeCode.varchar] = nativeType("text")
BY_CODE[TypeCode.varint] = nativeType("varint")
BY_CODE[TypeCode.timeuuid] = nativeType("timeuuid")
BY_CODE[TypeCode.inet] = nativeType("inet")
BY_CODE[TypeCode.date] = nativeType("date")
BY_CODE[TypeCode.time] = nativeType("time")
BY_CODE[TypeCode.smallint] = nativeType("smallint")
BY_CODE[TypeCode.tinyint] = nativeType("tinyint")
BY_CODE[TypeCode.duration] = nativeType("duration")

/**
 * Reads an [option]. `varchar` (0x000D) reads as `{ kind: "text" }` (the same CQL type). Custom class names
 * are parsed with `parseMarshalType` (duration, vectors, nested marshal types); one it cannot parse is an
 * opaque `custom` type (raw bytes). Throws a `DecodeError` on truncated input, an unknown type id or nesting
 * deeper than 64.
 *
 * @since 0.1.0
 */
export const readTypeOption = (r: ByteReader): CqlType => readOptionAt(r, 0)

const readOptionAt = (r: ByteReader, depth: number): CqlType => {
  if (depth > MAX_TYPE_DEPTH) throw new DecodeError({ message: "type option nested too deeply", offset: r.pos })
  const at = r.pos
  const id = r.readShort()
  const simple = BY_CODE[id]
  if (simple !== undefined) return simple
  switch (id) {
    case TypeCode.custom:
      return parseMarshalTypeOrCustom(r.readString())
    case TypeCode.list:
      return { kind: "list", element: readOptionAt(r, depth + 1) }
    case TypeCode.set:
      return { kind: "set", element: readOptionAt(r, depth + 1) }
    case TypeCode.map: {
      const key = readOptionAt(r, depth + 1)
      return { kind: "map", key, value: readOptionAt(r, depth + 1) }
    }
    case TypeCode.udt: {
      const keyspace = r.readString()
      const name = r.readString()
      const n = r.readShort()
      const fields: Array<{ name: string; type: CqlType }> = []
      for (let i = 0; i < n; i++) {
        const fieldName = r.readString()
        fields.push({ name: fieldName, type: readOptionAt(r, depth + 1) })
      }
      return { kind: "udt", keyspace, name, fields }
    }
    case TypeCode.tuple: {
      const n = r.readShort()
      const elements: Array<CqlType> = []
      for (let i = 0; i < n; i++) elements.push(readOptionAt(r, depth + 1))
      return { kind: "tuple", elements }
    }
    default:
      throw new DecodeError({ message: `unknown type id 0x${id.toString(16).padStart(4, "0")}`, offset: at })
  }
}

/**
 * Writes an [option] as a server of protocol `version` (default 5) would: `text`/`varchar` as varchar
 * (0x000D); `duration` natively on v5 and as the custom `org.apache.cassandra.db.marshal.DurationType` on
 * v3/v4; vectors always as custom `VectorType(...)` class names.
 *
 * @since 0.1.0
 */
export const writeTypeOption = (w: ByteWriter, type: CqlType, version: ProtocolVersion = 5): void => {
  switch (type.kind) {
    case "text":
    case "varchar":
      w.writeShort(TypeCode.varchar)
      return
    case "duration":
      if (version >= 5) w.writeShort(TypeCode.duration)
      else {
        w.writeShort(TypeCode.custom)
        w.writeString(marshalClassName(type))
      }
      return
    case "list":
    case "set":
      w.writeShort(TypeCode[type.kind])
      writeTypeOption(w, type.element, version)
      return
    case "map":
      w.writeShort(TypeCode.map)
      writeTypeOption(w, type.key, version)
      writeTypeOption(w, type.value, version)
      return
    case "tuple":
      w.writeShort(TypeCode.tuple)
      w.writeShort(type.elements.length)
      for (const e of type.elements) writeTypeOption(w, e, version)
      return
    case "udt":
      w.writeShort(TypeCode.udt)
      w.writeString(type.keyspace)
      w.writeString(type.name)
      w.writeShort(type.fields.length)
      for (const f of type.fields) {
        w.writeString(f.name)
        writeTypeOption(w, f.type, version)
      }
      return
    case "vector":
    case "custom":
      w.writeShort(TypeCode.custom)
      w.writeString(marshalClassName(type))
      return
    default:
      w.writeShort(TypeCode[type.kind])
  }
}
