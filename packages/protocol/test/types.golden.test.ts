/**
 * Golden bytes of every CQL type. The expected bytes were computed independently with the DataStax Python
 * driver 3.30.1 (`cassandra.cqltypes.<Type>.serialize(...)`, protocol v4) where that driver supports the
 * type, and by hand from protocol-notes.md / the v5 spec for the others (marked "spec").
 */
import { describe, expect, it } from "@effect/vitest"
import { ByteReader, ByteWriter } from "@effect-cassandra/protocol/Buffers"
import { type CqlType, parseCqlType } from "@effect-cassandra/protocol/CqlType"
import {
  CqlDuration,
  decodeValue,
  deserializeValue,
  EMPTY,
  encodeValue,
  LocalDate,
  LocalTime,
  readValue,
  serializeValue
} from "@effect-cassandra/protocol/CqlValues"
import { UNSET } from "@effect-cassandra/protocol/Messages"
import * as BigDecimal from "effect/BigDecimal"
import * as Result from "effect/Result"

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"))
const T = (s: string): CqlType => parseCqlType(s)

/** The serialized bytes (no length prefix) of `value` as `type`. */
const ser = (type: string, value: unknown): string => {
  const r = serializeValue(T(type), value)
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return hex(r.success)
}
const de = (type: string, bytes: string): unknown => decodeValue(T(type), unhex(bytes))

/** Encodes to the golden bytes and decodes them back to the canonical value. */
const golden = (type: string, value: unknown, bytes: string, decoded: unknown = value) => {
  expect(ser(type, value)).toBe(bytes.replace(/\s+/g, ""))
  expect(de(type, bytes)).toEqual(decoded)
}

describe("golden bytes", () => {
  it("int, smallint, tinyint, bigint, counter", () => {
    golden("int", 1, "00000001")
    golden("int", -1, "ffffffff")
    golden("int", 2147483647, "7fffffff")
    golden("int", -2147483648, "80000000")
    golden("smallint", -2, "fffe")
    golden("smallint", 32767, "7fff")
    golden("tinyint", -128, "80")
    golden("tinyint", 127, "7f")
    golden("bigint", -1n, "ffffffffffffffff")
    golden("bigint", 9007199254740993n, "0020000000000001")
    golden("bigint", -(2n ** 63n), "8000000000000000")
    golden("counter", 42n, "000000000000002a")
    // a safe-integer number is accepted for bigint and decodes as a bigint
    golden("bigint", -2, "fffffffffffffffe", -2n)
    golden("bigint", 2 ** 53 - 1, "001fffffffffffff", 2n ** 53n - 1n)
  })

  it("float, double, boolean", () => {
    golden("float", 1.5, "3fc00000")
    golden("float", -0, "80000000")
    golden("double", 1.5, "3ff8000000000000")
    golden("double", Number.POSITIVE_INFINITY, "7ff0000000000000")
    expect(Number.isNaN(de("double", "7ff8000000000000"))).toBe(true)
    golden("boolean", true, "01")
    golden("boolean", false, "00")
    expect(de("boolean", "02")).toBe(true) // any non-zero byte
  })

  it("varint: minimal two's complement (python driver)", () => {
    const cases: Array<[bigint, string]> = [
      [0n, "00"], [1n, "01"], [127n, "7f"], [128n, "0080"], [255n, "00ff"], [256n, "0100"], [-1n, "ff"],
      [-128n, "80"], [-129n, "ff7f"], [-32768n, "8000"], [-32769n, "ff7fff"], [2n ** 63n, "008000000000000000"],
      [-(2n ** 63n), "8000000000000000"], [2n ** 100n, "10000000000000000000000000"]
    ]
    for (const [n, bytes] of cases) golden("varint", n, bytes)
    golden("varint", 128, "0080", 128n) // safe-integer number accepted
  })

  it("decimal: [int] scale + varint, scale preserved (python driver)", () => {
    const bd = (s: string) => BigDecimal.fromStringUnsafe(s)
    golden("decimal", bd("1.10"), "000000026e")
    golden("decimal", bd("-0.5"), "00000001fb")
    golden("decimal", bd("0"), "0000000000")
    golden("decimal", bd("123456789012345678901234567890.123"), "0000000306163e665beb7ca6a2e1a64244cb")
    golden("decimal", BigDecimal.make(1n, -3), "fffffffd01") // 1E+3
    golden("decimal", bd("-1E-10"), "0000000aff")
    // scale survives the round trip exactly: 1.10 stays (110, 2), not normalised to (11, 1)
    const back = de("decimal", "000000026e") as BigDecimal.BigDecimal
    expect([back.value, back.scale]).toEqual([110n, 2])
    // other accepted inputs
    expect(ser("decimal", "1.10")).toBe("000000026e")
    expect(ser("decimal", 12n)).toBe("000000000c")
    expect(ser("decimal", 0.5)).toBe("0000000105")
  })

  it("text, ascii, varchar, blob", () => {
    golden("text", "héllo", "68c3a96c6c6f")
    golden("varchar", "😀", "f09f9880")
    golden("text", "abcé", "616263c3a9") // an ASCII prefix, then the UTF-8 encoder
    golden("text", "é".repeat(40), "c3a9".repeat(40))
    golden("text", "a".repeat(100), "61".repeat(100))
    golden("ascii", "abc", "616263")
    golden("text", "", "")
    golden("blob", unhex("00ff10"), "00ff10")
    golden("blob", new Uint8Array(0), "")
    // invalid UTF-8 decodes with U+FFFD replacement, never an error
    expect(de("text", "ff41")).toBe("\ufffdA")
  })

  it("uuid and timeuuid: lowercase canonical strings; upper case accepted", () => {
    golden("uuid", "550e8400-e29b-41d4-a716-446655440000", "550e8400e29b41d4a716446655440000")
    golden("uuid", "550E8400-E29B-41D4-A716-446655440000", "550e8400e29b41d4a716446655440000",
      "550e8400-e29b-41d4-a716-446655440000")
    golden("timeuuid", "c0d5a3a0-9b4b-11ee-8c90-0242ac120002", "c0d5a3a09b4b11ee8c900242ac120002")
    golden("uuid", unhex("00112233445566778899aabbccddeeff"), "00112233445566778899aabbccddeeff",
      "00112233-4455-6677-8899-aabbccddeeff")
  })

  it("timestamp: Date, ms number and bigint in; Date out (bigint beyond Date's range)", () => {
    golden("timestamp", new Date(0), "0000000000000000")
    golden("timestamp", new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 123)), "0000018df4bc567b") // python driver
    golden("timestamp", new Date(-1), "ffffffffffffffff")
    golden("timestamp", 1709208000123, "0000018df4bc567b", new Date(1709208000123))
    golden("timestamp", 2n ** 62n, "4000000000000000") // beyond Date: stays a bigint
    golden("timestamp", new Date(8.64e15), "001eb208c2dc0000")
    expect(de("timestamp", "001eb208c2dc0001")).toBe(8640000000000001n)
    expect(de("timestamp", "8000000000000000")).toBe(-(2n ** 63n))
  })

  it("date: u32 days with 2^31 = 1970-01-01 (python driver)", () => {
    golden("date", LocalDate.fromString("1970-01-01"), "80000000")
    golden("date", LocalDate.fromString("1969-12-31"), "7fffffff")
    golden("date", LocalDate.fromString("2024-02-29"), "80004d46")
    golden("date", LocalDate.fromString("0001-01-01"), "7ff506c6")
    golden("date", LocalDate.fromString("9999-12-31"), "802cc0a0")
    golden("date", "2024-02-29", "80004d46", LocalDate.fromString("2024-02-29"))
    golden("date", new Date(Date.UTC(2024, 1, 29, 23, 59)), "80004d46", LocalDate.fromString("2024-02-29"))
    golden("date", LocalDate.fromDays(-2147483648), "00000000")
    golden("date", LocalDate.fromDays(2147483647), "ffffffff")
  })

  it("time: i64 nanoseconds since midnight (python driver)", () => {
    golden("time", LocalTime.fromString("00:00:00.000000001"), "0000000000000001")
    golden("time", LocalTime.fromString("12:34:56.789"), "000029327b048f40")
    golden("time", LocalTime.fromString("23:59:59.999999999"), "00004e94914effff")
    golden("time", 1n, "0000000000000001", LocalTime.fromNanos(1n))
  })

  it("inet: IPv4 dotted, IPv6 canonical compressed (python driver)", () => {
    golden("inet", "127.0.0.1", "7f000001")
    golden("inet", "::1", "00000000000000000000000000000001")
    golden("inet", "2001:db8::ff00:42:8329", "20010db8000000000000ff0000428329")
    golden("inet", "fe80::1:2", "fe800000000000000000000000010002")
    golden("inet", "::", "00000000000000000000000000000000")
    golden("inet", "::ffff:192.0.2.1", "00000000000000000000ffffc0000201")
    // non-canonical input forms are accepted and decode to the canonical form
    golden("inet", "2001:0DB8:0:0:0:0:0:1", "20010db8000000000000000000000001", "2001:db8::1")
    golden("inet", "1:0:0:2:0:0:0:3", "00010000000000020000000000000003", "1:0:0:2::3")
    golden("inet", "1:0:0:2:0:0:3:4", "00010000000000020000000000030004", "1::2:0:0:3:4") // first of equal runs
    golden("inet", "1:2:3:4:5:6:0:8", "00010002000300040005000600000008", "1:2:3:4:5:6:0:8") // no :: for one group
  })

  it("duration: zigzag vints (python driver); vint 256000 = C3 E8 00", () => {
    golden("duration", new CqlDuration(1, 2, 3n), "020406")
    golden("duration", new CqlDuration(0, 128000, 0n), "00c3e80000") // zigzag(128000) = 256000 -> c3 e8 00
    golden("duration", new CqlDuration(0, 0, 256000n), "0000c7d000")
    golden("duration", new CqlDuration(-1, -2, -3n), "010305")
    golden("duration", new CqlDuration(0, 0, 2n ** 63n - 1n), "0000fffffffffffffffffe")
    golden("duration", new CqlDuration(0, 0, -(2n ** 63n)), "0000ffffffffffffffffff")
    golden("duration", new CqlDuration(2147483647, 0, 0n), "f0fffffffe0000")
    golden("duration", new CqlDuration(-2147483648, 0, 0n), "f0ffffffff0000")
    golden("duration", "1mo2d3ns", "020406", new CqlDuration(1, 2, 3n))
  })

  it("list, set, map and nested frozen collections (python driver)", () => {
    golden("list<int>", [1, 2], "00000002 00000004 00000001 00000004 00000002")
    golden("set<text>", ["a", "bc"], "00000002 00000001 61 00000002 6263")
    golden("set<text>", new Set(["a", "bc"]), "00000002 00000001 61 00000002 6263", ["a", "bc"])
    golden("map<text, int>", new Map([["a", 1]]), "00000001 00000001 61 00000004 00000001")
    golden("map<text, int>", { a: 1 }, "00000001 00000001 61 00000004 00000001", new Map([["a", 1]]))
    golden("list<int>", [], "00000000")
    golden(
      "list<frozen<map<text, frozen<list<int>>>>>",
      [new Map([["a", [1, 2]]]), new Map()],
      "00000002000000210000000100000001610000001400000002000000040000000100000004000000020000000400000000"
    )
  })

  it("tuple with nulls (python driver) and UDT (spec)", () => {
    golden("tuple<int, text, boolean>", [1, null, true], "00000004 00000001 ffffffff 00000001 01")
    const udt: CqlType = {
      kind: "udt",
      keyspace: "ks",
      name: "address",
      fields: [{ name: "street", type: T("text") }, { name: "zip", type: T("int") }]
    }
    const w = new ByteWriter()
    encodeValue(w, udt, { street: "Main" }, "v") // missing field -> null
    expect(hex(w.toBytes())).toBe("0000000c" + "00000004" + "4d61696e" + "ffffffff")
    expect(decodeValue(udt, w.toBytes(), 4)).toEqual({ street: "Main", zip: null })
    // a value written before a field was added to the type: missing trailing fields are null
    expect(decodeValue(udt, unhex("000000044d61696e"))).toEqual({ street: "Main", zip: null })
    // same for tuples
    expect(de("tuple<int, text>", "0000000400000007")).toEqual([7, null])
  })

  it("vector: fixed-size elements concatenated, variable-size ones vint-prefixed (python driver)", () => {
    golden("vector<float, 3>", new Float32Array([1, 2, 3]), "3f800000 40000000 40400000")
    golden("vector<float, 3>", [1, 2, 3], "3f800000 40000000 40400000", new Float32Array([1, 2, 3]))
    golden("vector<text, 2>", ["a", "bc"], "01 61 02 6263")
    golden("vector<smallint, 2>", [1, 2], "02 0001 02 0002") // smallint is variable-size in Cassandra 5.0
    golden("vector<int, 2>", [1, -1], "00000001 ffffffff")
    golden("vector<bigint, 1>", [5n], "0000000000000005")
    golden("vector<uuid, 1>", ["00112233-4455-6677-8899-aabbccddeeff"], "00112233445566778899aabbccddeeff")
    golden("vector<vector<float, 2>, 2>", [new Float32Array([1, 2]), new Float32Array([3, 4])],
      "3f800000 40000000 40400000 40800000")
    golden("vector<list<int>, 1>", [[7]], "0c 00000001 00000004 00000007")
    expect(ser("vector<text, 1>", ["x".repeat(300)]).slice(0, 12)).toBe("812c78787878") // python driver
  })

  it("custom types are raw bytes", () => {
    golden("'org.example.Foo'", unhex("0102"), "0102")
    golden("'org.apache.cassandra.db.marshal.DynamicCompositeType(s=>UTF8Type)'", unhex("ff"), "ff")
  })
})

describe("null, unset and empty are distinct", () => {
  const full = (type: string, value: unknown, options?: Parameters<typeof encodeValue>[4]) => {
    const w = new ByteWriter()
    encodeValue(w, T(type), value, "v", options)
    return hex(w.toBytes())
  }

  it("null and undefined write length -1; UNSET writes -2; EMPTY writes 0", () => {
    expect(full("int", null)).toBe("ffffffff")
    expect(full("int", undefined)).toBe("ffffffff")
    expect(full("int", UNSET)).toBe("fffffffe")
    expect(full("int", EMPTY)).toBe("00000000")
    expect(full("text", "")).toBe("00000000")
    expect(full("list<int>", [EMPTY])).toBe("0000000800000001" + "00000000")
  })

  it("UNSET is refused on protocol v3 (or with allowUnset: false)", () => {
    expect(() => full("int", UNSET, { version: 3 })).toThrow(/unset/)
    expect(() => full("int", UNSET, { allowUnset: false })).toThrow(/unset/)
    expect(full("int", UNSET, { version: 4 })).toBe("fffffffe")
  })

  it("a zero-length value decodes to EMPTY for types without an empty value, \"\" / empty bytes otherwise", () => {
    for (const t of ["int", "bigint", "uuid", "timestamp", "date", "time", "inet", "varint", "decimal", "duration",
      "boolean", "double", "float", "smallint", "tinyint", "list<int>", "map<int, int>", "tuple<int>",
      "vector<float, 2>", "vector<text, 2>"]) {
      expect(de(t, "")).toBe(EMPTY)
    }
    expect(de("text", "")).toBe("")
    expect(de("ascii", "")).toBe("")
    expect(de("blob", "")).toEqual(new Uint8Array(0))
    expect(de("'x.Y'", "")).toEqual(new Uint8Array(0))
  })

  it("readValue reads a [value]: -1 is null, other negative lengths are errors", () => {
    expect(readValue(new ByteReader(unhex("ffffffff")), T("int"))).toBe(null)
    expect(readValue(new ByteReader(unhex("0000000400000005")), T("int"))).toBe(5)
    expect(() => readValue(new ByteReader(unhex("fffffffe")), T("int"))).toThrow(/negative/)
  })

  it("blobs decode as copies, not views of the frame buffer (also from a Node Buffer)", () => {
    for (const frame of [unhex("0102030405"), Buffer.from("0102030405", "hex")]) {
      const v = decodeValue(T("blob"), frame, 1, 4) as Uint8Array
      expect(v.constructor).toBe(Uint8Array)
      frame[2] = 0xee
      expect(hex(v)).toBe("020304")
    }
  })

  it("deserializeValue/serializeValue never throw", () => {
    expect(Result.isFailure(deserializeValue(T("int"), unhex("01")))).toBe(true)
    expect(Result.isFailure(serializeValue(T("int"), "x"))).toBe(true)
    expect(Result.isFailure(serializeValue(T("int"), null))).toBe(true)
    expect(Result.getOrThrow(serializeValue(T("int"), EMPTY))).toEqual(new Uint8Array(0))
  })
})
