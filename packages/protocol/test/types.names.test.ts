/**
 * Type options ([option] of metadata), marshal class names, CQL type text.
 */
import { describe, expect, it } from "@effect/vitest"
import { ByteReader, ByteWriter } from "@effect-cassandra/protocol/Buffers"
import {
  type CqlType,
  formatType,
  marshalClassName,
  parseCqlType,
  parseMarshalType,
  readTypeOption,
  writeTypeOption
} from "@effect-cassandra/protocol/CqlType"
import { DecodeError } from "@effect-cassandra/protocol/Errors"

const M = "org.apache.cassandra.db.marshal."
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"))
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")
const str = (s: string) => {
  const w = new ByteWriter()
  w.writeString(s)
  return hex(w.toBytes())
}
const int: CqlType = { kind: "int" }
const text: CqlType = { kind: "text" }
const float: CqlType = { kind: "float" }

describe("readTypeOption", () => {
  it("native ids; varchar (0x000D) reads as text", () => {
    expect(readTypeOption(new ByteReader(unhex("0009")))).toEqual(int)
    expect(readTypeOption(new ByteReader(unhex("000d")))).toEqual(text)
    expect(readTypeOption(new ByteReader(unhex("0015")))).toEqual({ kind: "duration" })
    expect(readTypeOption(new ByteReader(unhex("0020 0009")))).toEqual({ kind: "list", element: int })
    expect(readTypeOption(new ByteReader(unhex("0021 000d 0022 0009")))).toEqual({
      kind: "map",
      key: text,
      value: { kind: "set", element: int }
    })
    expect(readTypeOption(new ByteReader(unhex("0031 0002 0009 000d")))).toEqual({ kind: "tuple", elements: [int, text] })
  })

  it("UDT", () => {
    const bytes = "0030" + str("ks") + str("address") + "0002" + str("street") + "000d" + str("zip") + "0009"
    expect(readTypeOption(new ByteReader(unhex(bytes)))).toEqual({
      kind: "udt",
      keyspace: "ks",
      name: "address",
      fields: [{ name: "street", type: text }, { name: "zip", type: int }]
    })
  })

  it("custom: duration on v4, vectors, unknown classes", () => {
    expect(readTypeOption(new ByteReader(unhex("0000" + str(`${M}DurationType`))))).toEqual({ kind: "duration" })
    expect(readTypeOption(new ByteReader(unhex("0000" + str(`${M}VectorType(${M}FloatType , 3)`))))).toEqual({
      kind: "vector",
      element: float,
      dimension: 3
    })
    expect(readTypeOption(new ByteReader(unhex("0000" + str("com.example.Geo"))))).toEqual({
      kind: "custom",
      className: "com.example.Geo"
    })
  })

  it("errors: unknown id, truncation, nesting too deep", () => {
    expect(() => readTypeOption(new ByteReader(unhex("00ff")))).toThrow(/unknown type id 0x00ff/)
    expect(() => readTypeOption(new ByteReader(unhex("0020")))).toThrow(DecodeError)
    expect(() => readTypeOption(new ByteReader(unhex("0030 0002 6b73")))).toThrow(DecodeError)
    expect(() => readTypeOption(new ByteReader(unhex("0020".repeat(10000) + "0009")))).toThrow(/nested too deeply/)
    // a class name that cannot be parsed is an opaque custom type, not an error
    expect(readTypeOption(new ByteReader(unhex("0000" + str(`${M}VectorType(${M}FloatType , x)`))))).toEqual({
      kind: "custom",
      className: `${M}VectorType(${M}FloatType , x)`
    })
  })
})

describe("writeTypeOption", () => {
  const write = (t: CqlType, v: 3 | 4 | 5 = 5) => {
    const w = new ByteWriter()
    writeTypeOption(w, t, v)
    return hex(w.toBytes())
  }
  it("as a server of each version writes it", () => {
    expect(write(text)).toBe("000d")
    expect(write({ kind: "varchar" })).toBe("000d")
    expect(write({ kind: "duration" }, 5)).toBe("0015")
    expect(write({ kind: "duration" }, 4)).toBe("0000" + str(`${M}DurationType`))
    expect(write({ kind: "vector", element: float, dimension: 3 })).toBe("0000" + str(`${M}VectorType(${M}FloatType , 3)`))
    expect(write({ kind: "map", key: text, value: { kind: "list", element: int } })).toBe("0021000d00200009")
  })
})

describe("marshal class names", () => {
  it("every native class", () => {
    const pairs: Array<[string, string]> = [
      ["AsciiType", "ascii"], ["LongType", "bigint"], ["BytesType", "blob"], ["BooleanType", "boolean"],
      ["CounterColumnType", "counter"], ["DecimalType", "decimal"], ["DoubleType", "double"], ["FloatType", "float"],
      ["Int32Type", "int"], ["TimestampType", "timestamp"], ["DateType", "timestamp"], ["UUIDType", "uuid"],
      ["UTF8Type", "text"], ["IntegerType", "varint"], ["TimeUUIDType", "timeuuid"], ["InetAddressType", "inet"],
      ["SimpleDateType", "date"], ["TimeType", "time"], ["ShortType", "smallint"], ["ByteType", "tinyint"],
      ["DurationType", "duration"]
    ]
    for (const [cls, kind] of pairs) {
      expect(parseMarshalType(M + cls)).toEqual({ kind })
      expect(parseMarshalType(cls)).toEqual({ kind }) // the package prefix is optional, as in Cassandra's TypeParser
    }
  })

  it("parameterised classes, Frozen/Reversed unwrapped, nested vectors", () => {
    expect(parseMarshalType(`${M}ReversedType(${M}FrozenType(${M}ListType(${M}Int32Type)))`)).toEqual({
      kind: "list",
      element: int
    })
    expect(parseMarshalType(`${M}MapType(${M}UTF8Type,${M}SetType(${M}UUIDType))`)).toEqual({
      kind: "map",
      key: text,
      value: { kind: "set", element: { kind: "uuid" } }
    })
    expect(parseMarshalType(`${M}TupleType(${M}Int32Type,${M}UTF8Type)`)).toEqual({ kind: "tuple", elements: [int, text] })
    expect(
      parseMarshalType(`${M}VectorType(${M}FrozenType(${M}VectorType(${M}FloatType , 2)) , 3)`)
    ).toEqual({ kind: "vector", element: { kind: "vector", element: float, dimension: 2 }, dimension: 3 })
    expect(parseMarshalType(`${M}VectorType(${M}ListType(${M}Int32Type),2)`)).toEqual({
      kind: "vector",
      element: { kind: "list", element: int },
      dimension: 2
    })
  })

  it("UserType with hex names", () => {
    expect(
      parseMarshalType(`${M}UserType(ks,61646472657373,737472656574:${M}UTF8Type,7a6970:${M}Int32Type)`)
    ).toEqual({
      kind: "udt",
      keyspace: "ks",
      name: "address",
      fields: [{ name: "street", type: text }, { name: "zip", type: int }]
    })
  })

  it("unknown classes keep their whole text", () => {
    const dyn = `${M}DynamicCompositeType(s=>${M}UTF8Type,i=>${M}Int32Type)`
    expect(parseMarshalType(dyn)).toEqual({ kind: "custom", className: dyn })
    expect(parseMarshalType(`${M}VectorType(${dyn} , 2)`)).toEqual({
      kind: "vector",
      element: { kind: "custom", className: dyn },
      dimension: 2
    })
    expect(() => parseMarshalType(`${M}ListType(${M}Int32Type`)).toThrow(DecodeError)
  })

  it("marshalClassName is parsed back to the same type", () => {
    const types = [
      "int", "list<frozen<map<text, frozen<set<int>>>>>", "vector<float, 3>", "vector<vector<int, 2>, 2>",
      "tuple<int, text, 'com.example.X'>", "vector<list<text>, 2>", "duration"
    ]
    for (const s of types) expect(parseMarshalType(marshalClassName(parseCqlType(s)))).toEqual(parseCqlType(s))
    const udt: CqlType = { kind: "udt", keyspace: "ks", name: "Ünï", fields: [{ name: "a b", type: int }] }
    expect(parseMarshalType(marshalClassName(udt))).toEqual(udt)
  })
})

describe("CQL type text", () => {
  it("parseCqlType: schema forms, frozen dropped, case-insensitive keywords", () => {
    expect(parseCqlType("frozen<map<text, list<int>>>")).toEqual({
      kind: "map",
      key: text,
      value: { kind: "list", element: int }
    })
    expect(parseCqlType("vector<float, 3>")).toEqual({ kind: "vector", element: float, dimension: 3 })
    expect(parseCqlType(" MAP < TEXT , INT > ")).toEqual({ kind: "map", key: text, value: int })
    expect(parseCqlType("tuple<int, frozen<tuple<text>>>")).toEqual({
      kind: "tuple",
      elements: [int, { kind: "tuple", elements: [text] }]
    })
    expect(parseCqlType("'org.apache.cassandra.db.marshal.DurationType'")).toEqual({ kind: "duration" })
    expect(parseCqlType("'com.example.It''s'")).toEqual({ kind: "custom", className: "com.example.It's" })
    expect(parseCqlType(`${M}Int32Type`)).toEqual(int)
    expect(parseCqlType(`list<${M}VectorType(${M}FloatType , 2)>`)).toEqual({
      kind: "list",
      element: { kind: "vector", element: float, dimension: 2 }
    })
  })

  it("UDT names: resolved by the callback, or placeholders", () => {
    const addr: CqlType = { kind: "udt", keyspace: "ks", name: "address", fields: [{ name: "zip", type: int }] }
    const seen: Array<[string | undefined, string]> = []
    const resolve = (ks: string | undefined, name: string) => {
      seen.push([ks, name])
      return name === "address" ? addr : undefined
    }
    expect(parseCqlType("frozen<list<frozen<address>>>", resolve)).toEqual({ kind: "list", element: addr })
    expect(parseCqlType("\"MyType\"", resolve)).toEqual({ kind: "udt", keyspace: "", name: "MyType", fields: [] })
    expect(parseCqlType("other.Thing", resolve)).toEqual({ kind: "udt", keyspace: "other", name: "thing", fields: [] })
    expect(parseCqlType("\"Ks\".\"T\"", resolve)).toEqual({ kind: "udt", keyspace: "Ks", name: "T", fields: [] })
    expect(seen).toEqual([[undefined, "address"], [undefined, "MyType"], ["other", "thing"], ["Ks", "T"]])
  })

  it("syntax errors are DecodeErrors", () => {
    for (const bad of ["list<int", "map<int>", "vector<float>", "vector<float, 0>", "list<int>>", "", "tuple<>", "'x", "int int"]) {
      expect(() => parseCqlType(bad)).toThrow(DecodeError)
    }
    expect(() => parseCqlType("list<".repeat(1000) + "int" + ">".repeat(1000))).toThrow(/nested too deeply/)
  })

  it("formatType", () => {
    expect(formatType(parseCqlType("list<text>"))).toBe("list<text>")
    expect(formatType(parseCqlType("frozen<map<text, frozen<list<int>>>>"))).toBe("map<text, list<int>>")
    expect(formatType(parseCqlType("vector<float, 3>"))).toBe("vector<float, 3>")
    expect(formatType(parseCqlType("tuple<int, 'a.B'>"))).toBe("tuple<int, 'a.B'>")
    expect(formatType({ kind: "udt", keyspace: "ks", name: "Address", fields: [] })).toBe("\"Address\"")
    expect(formatType({ kind: "udt", keyspace: "ks", name: "address", fields: [] })).toBe("address")
  })
})
