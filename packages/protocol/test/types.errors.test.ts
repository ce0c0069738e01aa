/**
 * Encode errors name the value's position and the expected type; decode errors are DecodeErrors that fail
 * fast on lying lengths and counts.
 */
import { describe, expect, it } from "@effect/vitest"
import { ByteReader, ByteWriter } from "@effect-cassandra/protocol/Buffers"
import { type CqlType, parseCqlType } from "@effect-cassandra/protocol/CqlType"
import {
  CqlDuration,
  decodeRows,
  decodeValue,
  encodeInferredValue,
  encodeValue,
  LocalDate,
  makeRowDecoder
} from "@effect-cassandra/protocol/CqlValues"
import { DecodeError, EncodeError } from "@effect-cassandra/protocol/Errors"
import { UNSET } from "@effect-cassandra/protocol/Messages"

const T = (s: string): CqlType => parseCqlType(s)
const address: CqlType = {
  kind: "udt",
  keyspace: "ks",
  name: "address",
  fields: [{ name: "street", type: T("text") }, { name: "zip", type: T("int") }]
}
const person: CqlType = {
  kind: "udt",
  keyspace: "ks",
  name: "person",
  fields: [{ name: "name", type: address }, { name: "tags", type: T("list<text>") }]
}

const encodeError = (type: CqlType, value: unknown, path = "values[2]"): EncodeError => {
  try {
    encodeValue(new ByteWriter(), type, value, path)
  } catch (e) {
    expect(e).toBeInstanceOf(EncodeError)
    return e as EncodeError
  }
  throw new Error(`encoded ${String(value)} as ${JSON.stringify(type)} without an error`)
}

const expectError = (type: CqlType | string, value: unknown, path: string, expected: string, message?: RegExp) => {
  const e = encodeError(typeof type === "string" ? T(type) : type, value)
  expect(e.path).toBe(path)
  expect(e.expected).toBe(expected)
  expect(e.message.startsWith(`${path}: expected ${expected}, got `)).toBe(true)
  if (message !== undefined) expect(e.message).toMatch(message)
}

describe("encode errors name the position and the expected type", () => {
  it("scalars", () => {
    expectError("int", "12", "values[2]", "int", /got string "12"/)
    expectError("int", 2 ** 40, "values[2]", "int", /1099511627776 \(out of the int range\)/)
    expectError("int", 1.5, "values[2]", "int", /not an integer/)
    expectError("int", 2n ** 31n, "values[2]", "int", /out of the int range/)
    expectError("bigint", Number.NaN, "values[2]", "bigint", /NaN/)
    expectError("bigint", 1.5, "values[2]", "bigint", /not an integer/)
    expectError("bigint", 2 ** 60, "values[2]", "bigint", /not a safe integer: pass a bigint/)
    expectError("bigint", 2n ** 63n, "values[2]", "bigint", /out of the 64-bit range/)
    expectError("varint", 0.5, "values[2]", "varint", /not an integer/)
    expectError("tinyint", 128, "values[2]", "tinyint", /out of the tinyint range/)
    expectError("smallint", -32769, "values[2]", "smallint")
    expectError("float", "1", "values[2]", "float")
    expectError("boolean", 1, "values[2]", "boolean")
    expectError("text", 5, "values[2]", "text")
    expectError("text", "\ud800x", "values[2]", "text", /lone UTF-16 surrogate/)
    expectError("text", "abc\udc00", "values[2]", "text", /lone UTF-16 surrogate/)
    expectError("text", "x".repeat(100) + "\ud800", "values[2]", "text", /lone UTF-16 surrogate/)
    expectError("ascii", "héllo", "values[2]", "ascii", /non-ASCII character at 1/)
    expectError("blob", "00ff", "values[2]", "blob")
    expectError("uuid", "not-a-uuid", "values[2]", "uuid", /not a UUID/)
    expectError("uuid", "550e8400e29b41d4a716446655440000", "values[2]", "uuid") // no dashes
    expectError("timeuuid", "550e8400-e29b-41d4-a716-446655440000", "values[2]", "timeuuid", /version 1/)
    expectError("timestamp", new Date(Number.NaN), "values[2]", "timestamp", /invalid Date/)
    expectError("timestamp", "2024-01-01", "values[2]", "timestamp")
    expectError("date", "2023-02-29", "values[2]", "date", /day out of range/)
    expectError("date", 19000, "values[2]", "date")
    expectError("time", "25:00", "values[2]", "time")
    expectError("time", 86_400_000_000_000n, "values[2]", "time")
    expectError("inet", "1.2.3", "values[2]", "inet", /not an IPv4 or IPv6 address/)
    expectError("inet", "01.2.3.4", "values[2]", "inet")
    expectError("inet", "fe80::1%eth0", "values[2]", "inet")
    expectError("inet", "1::2::3", "values[2]", "inet")
    expectError("decimal", "1.2.3", "values[2]", "decimal", /not a decimal number/)
    expectError("decimal", Number.POSITIVE_INFINITY, "values[2]", "decimal", /not finite/)
    expectError("duration", "forever", "values[2]", "duration")
    expectError("duration", 5, "values[2]", "duration")
    expectError("'org.example.X'", "raw", "values[2]", "'org.example.X'")
  })

  it("collections name the element's position", () => {
    expectError("list<text>", "abc", "values[2]", "list<text>", /got string "abc"/)
    expectError("list<int>", [1, 2, "3"], "values[2][2]", "int")
    expectError("list<frozen<list<int>>>", [[1], [2, 2 ** 40]], "values[2][1][1]", "int")
    expectError("list<int>", [1, null], "values[2][1]", "int", /null and unset are not allowed inside collections/)
    expectError("set<int>", new Set([1, "x"]), "values[2][1]", "int")
    expectError("set<int>", { a: 1 }, "values[2]", "set<int>")
    expectError("map<text, int>", new Map<string, unknown>([["a", 1], ["b", "x"]]), 'values[2]["b"]', "int")
    expectError("map<text, int>", { a: 1, b: 1.5 }, 'values[2]["b"]', "int")
    expectError("map<int, text>", new Map([[1, "a"], [2 ** 33, "b"]]), "values[2].keys[1]", "int")
    expectError("map<int, text>", { 1: "a" }, "values[2]", "map<int, text>", /plain object is accepted only for text keys/)
    expectError("map<int, text>", new Map([[7, 7]]), "values[2][7]", "text")
    expectError("tuple<int, text>", [1, 2], "values[2][1]", "text")
    expectError("tuple<int, text>", [1], "values[2]", "tuple<int, text>", /a tuple of 2 elements/)
    expectError("tuple<int, text>", [UNSET, "a"], "values[2][0]", "int", /unset is not allowed/)
  })

  it("vectors: wrong size, wrong element", () => {
    expectError("vector<float, 3>", [1, 2], "values[2]", "vector<float, 3>", /wrong dimension: 2 elements/)
    expectError("vector<float, 3>", new Float32Array(4), "values[2]", "vector<float, 3>", /wrong dimension/)
    expectError("vector<float, 3>", [1, "2", 3], "values[2][1]", "float")
    expectError("vector<float, 3>", [1, null, 3], "values[2][1]", "float", /cannot be null/)
    expectError("vector<text, 2>", ["a", 2], "values[2][1]", "text")
    expectError("vector<int, 2>", [1, 1.5], "values[2][1]", "int")
    expectError("vector<float, 2>", "1,2", "values[2]", "vector<float, 2>")
    expectError("list<vector<float, 2>>", [[1, 2], [1]], "values[2][1]", "vector<float, 2>")
  })

  it("UDTs: field paths, unknown fields are errors, missing fields are null", () => {
    expectError(address, { street: "Main", zip: "12345" }, "values[2].zip", "int")
    expectError(address, { street: "Main", city: "X" }, "values[2]", "address", /unknown field "city"/)
    expectError(person, { name: { street: 5 } }, "values[2].name.street", "text")
    expectError(person, { tags: ["a", 1] }, "values[2].tags[1]", "text")
    expectError(address, [1, 2], "values[2]", "address")
    expectError(address, new Date(), "values[2]", "address")
    const w = new ByteWriter()
    encodeValue(w, address, {}, "v") // every field missing -> nulls
    expect(Buffer.from(w.toBytes()).toString("hex")).toBe("00000008ffffffffffffffff")
  })

  it("unset outside v4+, and values whose type cannot be inferred", () => {
    expect(() => encodeValue(new ByteWriter(), T("int"), UNSET, "values[0]", { version: 3 })).toThrow(EncodeError)
    expect(() => encodeInferredValue(new ByteWriter(), { a: 1 }, "values[1]")).toThrow(/values\[1\]: cannot infer/)
    expect(() => encodeInferredValue(new ByteWriter(), Symbol("x"), "values[1]")).toThrow(EncodeError)
  })

  it("nothing but EncodeError escapes, whatever the value (getters that throw included)", () => {
    const hostile = {
      get street(): string {
        throw new TypeError("boom")
      }
    }
    const e = encodeError(address, hostile)
    expect(e.message).toMatch(/boom/)
    expect(encodeError(T("duration"), new CqlDuration(0, 0, 0n).toString() + "x")).toBeInstanceOf(EncodeError)
    expect(encodeError(T("date"), new LocalDate(0).toString().slice(1))).toBeInstanceOf(EncodeError)
  })
})

describe("decode errors", () => {
  const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"))
  const decodeError = (type: string, bytes: string): DecodeError => {
    try {
      decodeValue(T(type), unhex(bytes))
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError)
      return e as DecodeError
    }
    throw new Error(`decoded ${bytes} as ${type}`)
  }

  it("wrong fixed lengths", () => {
    expect(decodeError("int", "000001").message).toMatch(/int: expected 4 bytes, got 3/)
    expect(decodeError("bigint", "00").message).toMatch(/expected 8 bytes/)
    expect(decodeError("uuid", "00".repeat(15)).message).toMatch(/expected 16 bytes/)
    expect(decodeError("inet", "00".repeat(5)).message).toMatch(/4 or 16 bytes/)
    expect(decodeError("decimal", "00000001").message).toMatch(/at least 5 bytes/)
    expect(decodeError("vector<float, 3>", "00".repeat(8)).message).toMatch(/expected 12 bytes/)
    expect(decodeError("time", "ffffffffffffffff").message).toMatch(/time out of range/)
    expect(decodeError("duration", "020406 00").message).toMatch(/extra bytes/)
    expect(decodeError("duration", "02 01 06").message).toMatch(/same sign/)
    expect(decodeError("duration", "02 c3").message).toMatch(/truncated vint/)
  })

  it("lying counts fail fast, without allocating", () => {
    const t0 = performance.now()
    expect(decodeError("list<int>", "7fffffff 00000004 00000001").message).toMatch(/element count 2147483647/)
    expect(decodeError("map<int, int>", "7fffffff 00000000").message).toMatch(/entry count/)
    expect(decodeError("set<int>", "ffffffff").message).toMatch(/element count -1/)
    expect(decodeError("vector<text, 2147483647>", "0161").message).toMatch(/cannot fit/)
    expect(decodeError("vector<float, 1073741823>", "00000000").message).toMatch(/expected 4294967292 bytes/)
    expect(performance.now() - t0).toBeLessThan(100)
  })

  it("element lengths: negative (other than -1) and overrunning", () => {
    expect(decodeError("list<int>", "00000001 fffffffe").message).toMatch(/negative element length -2/)
    expect(decodeError("list<int>", "00000001 7fffffff 00").message).toMatch(/overruns/)
    expect(decodeError("list<int>", "00000001 00000004 00000001 00").message).toMatch(/1 extra bytes/)
    expect(decodeError("tuple<int>", "00000004 00000001 ff").message).toMatch(/extra bytes/)
    expect(decodeError("vector<text, 1>", "05 61").message).toMatch(/overruns/)
    expect(decodeError("vector<text, 1>", "ffffffffffffffffff").message).toMatch(/vint length too large/)
    // a null element (-1) decodes as null
    expect(decodeValue(T("list<int>"), unhex("00000001 ffffffff"))).toEqual([null])
  })

  it("row decoding: truncated cells, negative lengths, lying row counts", () => {
    const cols = [{ keyspace: "k", table: "t", name: "a", type: T("int") }, { keyspace: "k", table: "t", name: "b", type: T("text") }]
    for (const codegen of [true, false]) {
      const d = makeRowDecoder(cols, { codegen })
      expect(() => d(new ByteReader(unhex("00000004 00000001 00000005 6162")))).toThrow(DecodeError)
      expect(() => d(new ByteReader(unhex("00000004 00000001 fffffffe")))).toThrow(/negative cell length -2/)
      expect(() => d(new ByteReader(unhex("00000004 000000")))).toThrow(DecodeError)
      expect(() => d(new ByteReader(unhex("00000004 00000001")))).toThrow(DecodeError)
      const t0 = performance.now()
      expect(() => decodeRows(new ByteReader(unhex("ffffffff ffffffff")), 2 ** 31 - 1, d)).toThrow(/row count/)
      expect(() => decodeRows(new ByteReader(unhex("")), -1, d)).toThrow(/row count/)
      expect(performance.now() - t0).toBeLessThan(100)
    }
    const none = makeRowDecoder([])
    expect(decodeRows(new ByteReader(new Uint8Array(0)), 3, none)).toEqual([{}, {}, {}])
    expect(() => decodeRows(new ByteReader(new Uint8Array(0)), 2 ** 31 - 1, none)).toThrow(DecodeError)
  })

  it("decodeValue checks its range", () => {
    expect(() => decodeValue(T("int"), new Uint8Array(4), 2, 8)).toThrow(DecodeError)
    expect(() => decodeValue(T("int"), new Uint8Array(4), 3, 2)).toThrow(DecodeError)
  })
})
