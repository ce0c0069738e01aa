/**
 * Value classes (LocalDate, LocalTime, CqlDuration), text forms (uuid, inet), type inference, row decoders.
 */
import { describe, expect, it } from "@effect/vitest"
import { ByteReader, ByteWriter } from "@effect-cassandra/protocol/Buffers"
import { type CqlType, formatType, parseCqlType } from "@effect-cassandra/protocol/CqlType"
import {
  CqlDuration,
  decodeRows,
  deserializeValue,
  EMPTY,
  encodeInferredValue,
  encodeValue,
  formatInet,
  formatUuid,
  inferType,
  LocalDate,
  LocalTime,
  makeRowDecoder,
  parseInet,
  parseUuid
} from "@effect-cassandra/protocol/CqlValues"
import { UNSET } from "@effect-cassandra/protocol/Messages"
import * as BigDecimal from "effect/BigDecimal"
import * as Result from "effect/Result"
import fc from "fast-check"

const SEED = 20240601

describe("LocalDate", () => {
  it("ISO strings, both ways, over the whole 32-bit range", () => {
    expect(LocalDate.fromString("1970-01-01").days).toBe(0)
    expect(LocalDate.fromString("2000-03-01").toString()).toBe("2000-03-01")
    expect(LocalDate.fromDays(-1).toString()).toBe("1969-12-31")
    expect(LocalDate.fromDays(2147483647).toString()).toBe("+5881580-07-11")
    expect(LocalDate.fromDays(-2147483648).toString()).toBe("-5877641-06-23")
    expect(LocalDate.fromString("-000001-01-01").year).toBe(-1)
    expect(LocalDate.fromString("0000-02-29").toString()).toBe("0000-02-29") // year 0 is a leap year
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (d) => {
        expect(LocalDate.fromString(LocalDate.fromDays(d).toString()).days).toBe(d)
      }),
      { seed: SEED, numRuns: 2000 }
    )
  })

  it("agrees with Date where Date reaches", () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000_000, max: 100_000_000 }), (d) => {
        const date = new Date(d * 86_400_000)
        const ld = LocalDate.fromDays(d)
        expect([ld.year, ld.month, ld.day]).toEqual([date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()])
        expect(LocalDate.fromDate(date).days).toBe(d)
        expect(ld.toDate().getTime()).toBe(date.getTime())
        if (ld.year >= 0 && ld.year <= 9999) expect(ld.toString()).toBe(date.toISOString().slice(0, 10))
      }),
      { seed: SEED, numRuns: 2000 }
    )
  })

  it("refuses bad input with a RangeError", () => {
    for (const s of ["2023-02-29", "2023-13-01", "2023-1-01", "20230101", "2023-01-32", ""]) {
      expect(() => LocalDate.fromString(s)).toThrow(RangeError)
    }
    expect(() => LocalDate.fromDays(2 ** 31)).toThrow(RangeError)
    expect(() => LocalDate.fromDays(1.5)).toThrow(RangeError)
    expect(() => LocalDate.fromDate(new Date(Number.NaN))).toThrow(RangeError)
    expect(() => LocalDate.fromDays(2147483647).toDate()).toThrow(RangeError)
  })
})

describe("LocalTime", () => {
  it("HH:MM:SS.nnnnnnnnn", () => {
    expect(LocalTime.fromString("12:34:56.789").toString()).toBe("12:34:56.789000000")
    expect(LocalTime.fromString("00:00").nanos).toBe(0n)
    expect(LocalTime.fromNanos(86_399_999_999_999n).toString()).toBe("23:59:59.999999999")
    expect(LocalTime.of(1, 2, 3, 4).toString()).toBe("01:02:03.000000004")
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 86_399_999_999_999n }), (n) => {
        expect(LocalTime.fromString(new LocalTime(n).toString()).nanos).toBe(n)
      }),
      { seed: SEED, numRuns: 1000 }
    )
    for (const s of ["24:00", "12:60", "12:00:60", "12:00:00.1234567890", "1200", "-01:00"]) {
      expect(() => LocalTime.fromString(s)).toThrow(RangeError)
    }
    expect(() => new LocalTime(-1n)).toThrow(RangeError)
  })
})

describe("CqlDuration", () => {
  it("ISO 8601 toString, parsed back; Cassandra's unit form parsed", () => {
    expect(new CqlDuration(14, 3, 4n * 3_600_000_000_000n + 5n * 60_000_000_000n + 6_000_000_007n).toString())
      .toBe("P1Y2M3DT4H5M6.000000007S")
    expect(new CqlDuration(0, 0, 0n).toString()).toBe("PT0S")
    expect(new CqlDuration(-1, 0, -500_000_000n).toString()).toBe("-P1MT0.5S")
    expect(CqlDuration.fromString("P2W")).toEqual(new CqlDuration(0, 14, 0n))
    expect(CqlDuration.fromString("1y2mo3w4d5h6m7s8ms9us10ns")).toEqual(
      new CqlDuration(14, 25, 5n * 3_600_000_000_000n + 6n * 60_000_000_000n + 7_008_009_010n)
    )
    expect(CqlDuration.fromString("-1d")).toEqual(new CqlDuration(0, -1, 0n))
    expect(CqlDuration.fromString("3µs")).toEqual(new CqlDuration(0, 0, 3000n))
    const arb = fc.tuple(
      fc.integer({ min: 0, max: 2147483647 }),
      fc.integer({ min: 0, max: 2147483647 }),
      fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      fc.boolean()
    ).map(([m, d, n, neg]) => (neg ? new CqlDuration(-m, -d, -n) : new CqlDuration(m, d, n)))
    fc.assert(
      fc.property(arb, (d) => {
        expect(CqlDuration.fromString(d.toString())).toEqual(d)
      }),
      { seed: SEED, numRuns: 1000 }
    )
  })

  it("all components share a sign; ranges are checked", () => {
    expect(() => new CqlDuration(1, -1, 0n)).toThrow(/same sign/)
    expect(() => new CqlDuration(2 ** 31, 0, 0n)).toThrow(RangeError)
    expect(() => new CqlDuration(0, 0, 2n ** 63n)).toThrow(RangeError)
    for (const s of ["P", "PT", "", "1x", "P1H", "-"]) expect(() => CqlDuration.fromString(s)).toThrow(RangeError)
  })
})

describe("uuid and inet text", () => {
  it("uuid formatting matches a naive formatter; parsing accepts either case only in canonical layout", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const h = Buffer.from(b).toString("hex")
        const expected = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
        expect(formatUuid(b, 0)).toBe(expected)
        expect(parseUuid(expected.toUpperCase())).toEqual(b)
      }),
      { seed: SEED, numRuns: 1000 }
    )
    for (const bad of ["", "00112233-4455-6677-8899-aabbccddeef", "00112233-4455-6677-8899_aabbccddeeff", "0011223g-4455-6677-8899-aabbccddeeff"]) {
      expect(parseUuid(bad)).toBeUndefined()
    }
  })

  it("IPv6 text is RFC 5952 (checked against the WHATWG URL serializer)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (b, zero) => {
        zero.forEach((z, i) => z && (b[2 * i] = b[2 * i + 1] = 0))
        if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return
        const groups = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16))
        const viaUrl = new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1)
        expect(formatInet(b, 0, 16)).toBe(viaUrl)
        expect(parseInet(viaUrl)).toEqual(b)
      }),
      { seed: SEED, numRuns: 2000 }
    )
    expect(formatInet(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1]), 0, 16)).toBe("::ffff:10.0.0.1")
    expect(parseInet("::ffff:10.0.0.1")).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 0, 1]))
    expect(parseInet("64:ff9b::192.0.2.33")?.length).toBe(16)
    for (const bad of ["1.2.3.256", "1.2.3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", ":::", "1::2::3", "[::1]", "::1%1", "g::1", "12345::"]) {
      expect(parseInet(bad)).toBeUndefined()
    }
  })
})

describe("inferType", () => {
  const inferred = (v: unknown) => {
    const t = inferType(v)
    return t === undefined ? undefined : formatType(t)
  }
  it("chooses types the server accepts most often", () => {
    expect(inferred(1)).toBe("int")
    expect(inferred(-2147483648)).toBe("int")
    expect(inferred(2147483648)).toBe("double")
    expect(inferred(1.5)).toBe("double")
    expect(inferred(1n)).toBe("bigint")
    expect(inferred("x")).toBe("text")
    expect(inferred(true)).toBe("boolean")
    expect(inferred(new Date())).toBe("timestamp")
    expect(inferred(new Uint8Array(2))).toBe("blob")
    expect(inferred(Buffer.alloc(2))).toBe("blob")
    expect(inferred(LocalDate.fromDays(1))).toBe("date")
    expect(inferred(LocalTime.fromNanos(1n))).toBe("time")
    expect(inferred(new CqlDuration(1, 1, 1n))).toBe("duration")
    expect(inferred(BigDecimal.fromStringUnsafe("1.5"))).toBe("decimal")
    expect(inferred(new Float32Array(3))).toBe("vector<float, 3>")
    expect(inferred([1, 2])).toBe("list<int>")
    expect(inferred([1, 2.5])).toBe("list<double>")
    expect(inferred([null, "a"])).toBe("list<text>")
    expect(inferred([])).toBe("list<blob>")
    expect(inferred(new Set([1n]))).toBe("set<bigint>")
    expect(inferred(new Map([["a", [1]]]))).toBe("map<text, list<int>>")
    expect(inferred([[1], ["x"]])).toBe("list<list<int>>") // the first element decides (then fails to encode)
    for (const v of [null, undefined, UNSET, EMPTY, { a: 1 }, Symbol("s"), () => 1, [{ a: 1 }], [1, "a"]]) {
      expect(inferred(v)).toBeUndefined()
    }
  })

  it("encodeInferredValue writes nulls, unsets and empties without a type", () => {
    const w = new ByteWriter()
    for (const v of [null, undefined, UNSET, EMPTY, 7, "a"]) encodeInferredValue(w, v, "v")
    expect(Buffer.from(w.toBytes()).toString("hex")).toBe("ffffffff" + "ffffffff" + "fffffffe" + "00000000" + "0000000400000007" + "0000000161")
  })
})

describe("varint and decimal", () => {
  it("large values (the linear path above 64 bytes) round-trip, positive and negative", () => {
    const varint = parseCqlType("varint")
    const decimal = parseCqlType("decimal")
    for (const bits of [8 * 64, 8 * 65, 8 * 1000, 8 * 100_000]) {
      for (const n of [(1n << BigInt(bits - 2)) + 12345n, -(1n << BigInt(bits - 2)) - 777n, -(1n << BigInt(bits - 1))]) {
        const w = new ByteWriter()
        encodeValue(w, varint, n, "v")
        const bytes = w.toBytes()
        const r = new ByteReader(bytes)
        const len = r.readInt()
        expect(len).toBe(bits / 8)
        const back = deserializeValue(varint, bytes.subarray(4))
        expect(back).toEqual(Result.succeed(n))
        const d = BigDecimal.make(n, 3)
        const dw = new ByteWriter()
        encodeValue(dw, decimal, d, "d")
        const dback = deserializeValue(decimal, dw.toBytes().subarray(4))
        expect(Result.isSuccess(dback) && BigDecimal.equals(dback.success as BigDecimal.BigDecimal, d)).toBe(true)
      }
    }
  })
})

describe("row decoders", () => {
  const col = (name: string, type: string) => ({ keyspace: "k", table: "t", name, type: parseCqlType(type) })
  const encodeRow = (types: ReadonlyArray<CqlType>, values: ReadonlyArray<unknown>) => {
    const w = new ByteWriter()
    types.forEach((t, i) => encodeValue(w, t, values[i], `v[${i}]`))
    return w.toBytes()
  }

  it("plain objects with the columns in order; odd column names are own properties", () => {
    const cols = [col("__proto__", "int"), col("a b", "text"), col("constructor", "boolean"), col("x\"'\\\n", "int")]
    const bytes = encodeRow(cols.map((c) => c.type), [1, "s", true, null])
    for (const codegen of [true, false]) {
      const row = makeRowDecoder(cols, { codegen })(new ByteReader(bytes))
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype)
      expect(Object.keys(row)).toEqual(["__proto__", "a b", "constructor", "x\"'\\\n"])
      expect(Object.getOwnPropertyDescriptor(row, "__proto__")?.value).toBe(1)
      expect(row["a b"]).toBe("s")
      expect(row["constructor"]).toBe(true)
      expect(row["x\"'\\\n"]).toBe(null)
    }
  })

  it("a result too wide for a generated function decodes interpreted, and later results still get generated decoders", () => {
    const wide = Array.from({ length: 70_000 }, (_, i) => col(`c${i}`, "int"))
    const values = wide.map((_, i) => i)
    const row = makeRowDecoder(wide)(new ByteReader(encodeRow(wide.map((c) => c.type), values)))
    expect(row["c69999"]).toBe(69999)
    expect(makeRowDecoder([col("k", "int")]).name).toBe("decodeRow")
  })

  it("rows built by the generated constructor are indistinguishable from literals", () => {
    const cols = [col("toString", "int"), col("a b", "text"), col("constructor", "boolean"), col("0", "int"), col("a b", "int")]
    const bytes = encodeRow(cols.map((c) => c.type), [1, "s", true, 7, 9])
    const generated = makeRowDecoder(cols)(new ByteReader(bytes))
    const interpreted = makeRowDecoder(cols, { codegen: false })(new ByteReader(bytes))
    for (const row of [generated, interpreted]) {
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype)
      expect(Object.keys(row)).toEqual(["0", "toString", "a b", "constructor"])
      expect(row).toStrictEqual({ toString: 1, "a b": 9, constructor: true, "0": 7 })
    }
    const plain = makeRowDecoder([col("k", "int")])(new ByteReader(encodeRow([cols[0]!.type], [5])))
    expect(plain.constructor).toBe(Object)
    expect(plain).toStrictEqual({ k: 5 })
    expect(JSON.stringify(plain)).toBe(`{"k":5}`)
  })

  it("all rows of a page share a hidden class-friendly shape and decode every type", () => {
    const cols = [col("i", "int"), col("b", "bigint"), col("d", "double"), col("f", "float"), col("o", "boolean"),
      col("u", "uuid"), col("ts", "timestamp"), col("l", "list<int>"), col("m", "map<text, int>"), col("c", "counter")]
    const values = [1, 2n, 1.5, 0.25, true, "00112233-4455-6677-8899-aabbccddeeff", new Date(5), [1], new Map([["a", 1]]), 3n]
    const one = encodeRow(cols.map((c) => c.type), values)
    const nulls = encodeRow(cols.map((c) => c.type), values.map(() => null))
    const empties = encodeRow(cols.map((c) => c.type), values.map(() => EMPTY))
    const page = new Uint8Array([...one, ...nulls, ...empties])
    for (const codegen of [true, false]) {
      const rows = decodeRows(new ByteReader(page), 3, makeRowDecoder(cols, { codegen }))
      expect(Object.values(rows[0]!)).toEqual(values)
      expect(Object.values(rows[1]!)).toEqual(values.map(() => null))
      expect(Object.values(rows[2]!)).toEqual(values.map(() => EMPTY))
    }
  })

  it("reads from a reader window (start/end) and from a Node Buffer", () => {
    const cols = [col("a", "text"), col("b", "blob")]
    const row = encodeRow(cols.map((c) => c.type), ["héllo", new Uint8Array([1, 2])])
    const framed = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(row), Buffer.from([7])])
    const r = new ByteReader(framed, 3, 3 + row.length)
    const decoded = makeRowDecoder(cols)(r)
    expect(decoded).toEqual({ a: "héllo", b: new Uint8Array([1, 2]) })
    expect((decoded["b"] as Uint8Array).constructor).toBe(Uint8Array)
    expect(r.pos).toBe(3 + row.length)
    expect(() => makeRowDecoder(cols)(new ByteReader(framed, 3, 3 + row.length - 1))).toThrow()
  })
})
