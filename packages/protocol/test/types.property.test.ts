/**
 * Property tests: for random (type, value) pairs nested to depth 3, encode then decode is the identity;
 * random, truncated, bit-flipped and length-lied bytes through the decoders give a value or a DecodeError,
 * nothing else, and quickly.
 */
import { describe, expect, it } from "@effect/vitest"
import { ByteReader, ByteWriter } from "@effect-cassandra/protocol/Buffers"
import {
  type CqlType,
  formatType,
  parseCqlType,
  readTypeOption,
  writeTypeOption
} from "@effect-cassandra/protocol/CqlType"
import {
  CqlDuration,
  decodeValue,
  EMPTY,
  encodeValue,
  LocalDate,
  LocalTime,
  makeRowDecoder
} from "@effect-cassandra/protocol/CqlValues"
import { DecodeError } from "@effect-cassandra/protocol/Errors"
import * as BigDecimal from "effect/BigDecimal"
import fc from "fast-check"

// a fixed seed so that a failure replays; FC_SEED=<n> to explore others
const SEED = Number(process.env["FC_SEED"] ?? 20240601)
const native = (kind: string): CqlType => ({ kind }) as CqlType

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

const NATIVE_KINDS = [
  "ascii", "bigint", "blob", "boolean", "counter", "decimal", "double", "float", "int", "timestamp", "uuid",
  "varchar", "text", "varint", "timeuuid", "inet", "date", "time", "smallint", "tinyint", "duration"
] as const

/** Types that can be vector elements (any type can, in Cassandra 5.0; counters cannot). */
const ident = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/)

const typeArb = (depth: number): fc.Arbitrary<CqlType> => {
  const leaf = fc.oneof(
    fc.constantFrom(...NATIVE_KINDS).map(native),
    fc.constant<CqlType>({ kind: "custom", className: "org.example.Custom" })
  )
  if (depth <= 0) return leaf
  const sub = typeArb(depth - 1)
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: sub.map((element): CqlType => ({ kind: "list", element })) },
    { weight: 1, arbitrary: sub.map((element): CqlType => ({ kind: "set", element })) },
    { weight: 1, arbitrary: fc.tuple(sub, sub).map(([key, value]): CqlType => ({ kind: "map", key, value })) },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 1, maxLength: 4 }).map((elements): CqlType => ({ kind: "tuple", elements })) },
    {
      weight: 1,
      arbitrary: fc.uniqueArray(fc.tuple(ident, sub), { minLength: 1, maxLength: 4, selector: ([n]) => n }).map(
        (fields): CqlType => ({ kind: "udt", keyspace: "ks", name: "u", fields: fields.map(([name, type]) => ({ name, type })) })
      )
    },
    {
      weight: 1,
      arbitrary: fc.tuple(sub.filter((t) => t.kind !== "counter"), fc.integer({ min: 1, max: 4 })).map(
        ([element, dimension]): CqlType => ({ kind: "vector", element, dimension })
      )
    }
  )
}

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n }
const sameSign = fc.tuple(
  fc.integer({ min: 0, max: 2147483647 }),
  fc.integer({ min: 0, max: 2147483647 }),
  fc.bigInt({ min: 0n, max: INT64.max }),
  fc.boolean()
).map(([m, d, n, neg]) => (neg ? new CqlDuration(-m, -d, -n) : new CqlDuration(m, d, n)))

const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).chain((b) =>
  // bias towards zero groups so that `::` compression is exercised
  fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }).map((zero) => {
    const out = Uint8Array.from(b)
    zero.forEach((z, i) => {
      if (z) out[2 * i] = out[2 * i + 1] = 0
    })
    return out
  })
)

/** Values in the decoder's canonical form, so that decode(encode(v)) deep-equals v. */
const valueArb = (t: CqlType, inCollection = false): fc.Arbitrary<unknown> => {
  const canBeEmpty = !inCollection
  const withEmpty = (a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
    canBeEmpty ? fc.oneof({ weight: 20, arbitrary: a }, { weight: 1, arbitrary: fc.constant(EMPTY) }) : a
  switch (t.kind) {
    case "int":
      return withEmpty(fc.integer())
    case "smallint":
      return withEmpty(fc.integer({ min: -32768, max: 32767 }))
    case "tinyint":
      return withEmpty(fc.integer({ min: -128, max: 127 }))
    case "bigint":
    case "counter":
      return withEmpty(fc.bigInt(INT64))
    case "varint":
      return withEmpty(fc.oneof(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), fc.bigInt({ min: -300n, max: 300n })))
    case "float":
      return withEmpty(fc.float())
    case "double":
      return withEmpty(fc.double())
    case "boolean":
      return withEmpty(fc.boolean())
    case "text":
    case "varchar":
      return fc.string({ unit: "grapheme", maxLength: 12 })
    case "ascii":
      return fc.string({ unit: "binary-ascii", maxLength: 12 })
    case "blob":
    case "custom":
      return fc.uint8Array({ maxLength: 12 })
    case "uuid":
      return withEmpty(fc.uuid())
    case "timeuuid":
      return withEmpty(fc.uuid({ version: 1 }))
    case "timestamp":
      return withEmpty(fc.oneof(
        fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms)),
        fc.oneof(fc.bigInt({ min: INT64.min, max: -8640000000000001n }), fc.bigInt({ min: 8640000000000001n, max: INT64.max }))
      ))
    case "date":
      return withEmpty(fc.integer({ min: -2147483648, max: 2147483647 }).map((d) => new LocalDate(d)))
    case "time":
      return withEmpty(fc.bigInt({ min: 0n, max: 86_399_999_999_999n }).map((n) => new LocalTime(n)))
    case "duration":
      return withEmpty(sameSign)
    case "decimal":
      return withEmpty(
        fc.tuple(fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }), fc.integer()).map(([v, s]) => BigDecimal.make(v, s))
      )
    case "inet":
      return withEmpty(fc.oneof(fc.ipV4(), ipv6.map((b) => Buffer.from(b)).map((b) => formatV6(b))))
    case "list":
    case "set":
      return withEmpty(fc.array(valueArb(t.element, true), { maxLength: 4 }))
    case "map":
      return withEmpty(
        fc.array(fc.tuple(valueArb(t.key, true), valueArb(t.value, true)), { maxLength: 4 }).map((entries) => {
          // keys unique by the Map's SameValueZero (decoded object keys are new objects anyway)
          const m = new Map<unknown, unknown>()
          for (const [k, v] of entries) m.set(k, v)
          return m
        })
      )
    case "tuple":
      return withEmpty(fc.tuple(...t.elements.map((e) => fc.option(valueArb(e), { nil: null, freq: 4 }))))
    case "udt":
      return withEmpty(
        fc.tuple(...t.fields.map((f) => fc.option(valueArb(f.type), { nil: null, freq: 4 }))).map((vs) => {
          const o: Record<string, unknown> = {}
          t.fields.forEach((f, i) => (o[f.name] = vs[i]))
          return o
        })
      )
    case "vector":
      if (t.element.kind === "float") {
        return withEmpty(fc.array(fc.float(), { minLength: t.dimension, maxLength: t.dimension }).map((a) => new Float32Array(a)))
      }
      return withEmpty(fc.array(valueArb(t.element, true), { minLength: t.dimension, maxLength: t.dimension }))
  }
}

/** RFC 5952 text of 16 bytes, computed independently of the codec by the WHATWG URL parser (plus `::ffff:a.b.c.d`). */
const formatV6 = (b: Uint8Array): string => {
  const groups = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16))
  const host = new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1)
  if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(host)) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`
  return host
}

const pairArb: fc.Arbitrary<[CqlType, unknown]> = typeArb(3).chain((t) => valueArb(t).map((v): [CqlType, unknown] => [t, v]))

// ---------------------------------------------------------------------------------------------------------
// Equality in the decoder's canonical form

const same = (t: CqlType, a: unknown, b: unknown): boolean => {
  if (a === EMPTY || b === EMPTY || a === null || b === null) return a === b
  switch (t.kind) {
    case "float":
    case "double":
    case "int":
    case "smallint":
    case "tinyint":
      return Object.is(a, b)
    case "blob":
    case "custom":
      return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b))
    case "timestamp":
      return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b
    case "date":
    case "time":
    case "duration":
      return (a as LocalDate).equals(b)
    case "decimal": {
      const x = a as BigDecimal.BigDecimal, y = b as BigDecimal.BigDecimal
      return x.value === y.value && x.scale === y.scale
    }
    case "list":
    case "set":
    case "vector": {
      const x = a as ArrayLike<unknown>, y = b as ArrayLike<unknown>
      if (x.length !== y.length) return false
      const e = t.element
      for (let i = 0; i < x.length; i++) if (!same(e, x[i], y[i])) return false
      return true
    }
    case "tuple": {
      const x = a as Array<unknown>, y = b as Array<unknown>
      return x.length === y.length && t.elements.every((e, i) => same(e, x[i], y[i]))
    }
    case "udt": {
      const x = a as Record<string, unknown>, y = b as Record<string, unknown>
      return Object.keys(x).length === Object.keys(y).length && t.fields.every((f) => same(f.type, x[f.name], y[f.name]))
    }
    case "map": {
      const x = [...(a as Map<unknown, unknown>)], y = [...(b as Map<unknown, unknown>)]
      return x.length === y.length &&
        x.every(([k, v], i) => same(t.key, k, y[i]![0]) && same(t.value, v, y[i]![1]))
    }
    default:
      return a === b
  }
}

// ---------------------------------------------------------------------------------------------------------

describe("round trips (fast-check)", () => {
  it("decode(encode(v)) is v for every type, nested to depth 3", () => {
    fc.assert(
      fc.property(pairArb, ([t, v]) => {
        const w = new ByteWriter(16)
        encodeValue(w, t, v, "v")
        const bytes = w.toBytes()
        const len = new DataView(bytes.buffer).getInt32(0)
        expect(len).toBe(bytes.length - 4)
        const back = decodeValue(t, bytes, 4)
        if (!same(t, v, back)) {
          throw new Error(`${formatType(t)}: ${String(v)} came back as ${String(back)}`)
        }
      }),
      { seed: SEED, numRuns: 3000 }
    )
  })

  it("rows: the generated and the interpreted row decoders agree with decodeValue", () => {
    const rowArb = fc.array(pairArb, { minLength: 1, maxLength: 6 })
    fc.assert(
      fc.property(rowArb, fc.boolean(), (cells, nullFirst) => {
        const columns = cells.map(([type], i) => ({ keyspace: "ks", table: "t", name: `c${i}`, type }))
        const w = new ByteWriter(16)
        cells.forEach(([t, v], i) => encodeValue(w, t, nullFirst && i === 0 ? null : v, `c${i}`))
        const bytes = w.toBytes()
        for (const codegen of [true, false]) {
          const r = new ByteReader(bytes)
          const row = makeRowDecoder(columns, { codegen })(r)
          expect(r.pos).toBe(bytes.length)
          expect(Object.keys(row)).toEqual(columns.map((c) => c.name))
          cells.forEach(([t, v], i) => {
            const expected = nullFirst && i === 0 ? null : v
            if (!same(t, expected, row[`c${i}`])) throw new Error(`column c${i} (${formatType(t)})`)
          })
        }
      }),
      { seed: SEED, numRuns: 500 }
    )
  })

  it("type options: readTypeOption(writeTypeOption(t)) is t (varchar reads as text) on v3, v4 and v5; parseCqlType(formatType(t)) is t", () => {
    const canonical = (t: CqlType): CqlType => {
      switch (t.kind) {
        case "varchar":
          return { kind: "text" }
        case "list":
        case "set":
          return { kind: t.kind, element: canonical(t.element) }
        case "map":
          return { kind: "map", key: canonical(t.key), value: canonical(t.value) }
        case "tuple":
          return { kind: "tuple", elements: t.elements.map(canonical) }
        case "udt":
          return { ...t, fields: t.fields.map((f) => ({ name: f.name, type: canonical(f.type) })) }
        case "vector":
          return { kind: "vector", element: canonical(t.element), dimension: t.dimension }
        default:
          return t
      }
    }
    fc.assert(
      fc.property(typeArb(3), fc.constantFrom(3 as const, 4 as const, 5 as const), (t, version) => {
        const w = new ByteWriter(16)
        writeTypeOption(w, t, version)
        const r = new ByteReader(w.toBytes())
        expect(readTypeOption(r)).toEqual(canonical(t))
        expect(r.remaining).toBe(0)
        // and the CQL text form parses back (UDTs aside, which text names only by name)
        if (!JSON.stringify(t).includes("udt")) expect(parseCqlType(formatType(t))).toEqual(t)
      }),
      { seed: SEED, numRuns: 1000 }
    )
  })
})

// ---------------------------------------------------------------------------------------------------------
// Corrupt input

const onlyDecodeErrors = (f: () => unknown): void => {
  try {
    f()
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e
  }
}

describe("corrupt bytes give a DecodeError, never anything else (fast-check)", () => {
  it("random bytes through decodeValue of random types", () => {
    fc.assert(
      fc.property(typeArb(3), fc.uint8Array({ maxLength: 64 }), (t, bytes) => {
        onlyDecodeErrors(() => decodeValue(t, bytes))
      }),
      { seed: SEED, numRuns: 20000 }
    )
  })

  it("truncated, bit-flipped and length-lied encodings of valid values", () => {
    const mutation = fc.record({
      cut: fc.nat(),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 3 }),
      lie: fc.option(fc.tuple(fc.nat(), fc.constantFrom(0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 1)))
    })
    fc.assert(
      fc.property(pairArb, mutation, ([t, v], m) => {
        const w = new ByteWriter(16)
        encodeValue(w, t, v, "v")
        const bytes = w.toBytes().subarray(4)
        const mutated = Uint8Array.from(bytes)
        for (const [at, bit] of m.flips) if (mutated.length > 0) mutated[at % mutated.length]! ^= 1 << bit
        if (m.lie !== null && mutated.length >= 4) {
          new DataView(mutated.buffer).setUint32(m.lie[0] % (mutated.length - 3), m.lie[1])
        }
        onlyDecodeErrors(() => decodeValue(t, mutated))
        onlyDecodeErrors(() => decodeValue(t, mutated.subarray(0, m.cut % (mutated.length + 1))))
      }),
      { seed: SEED, numRuns: 5000 }
    )
  })

  it("random bytes through readTypeOption and row decoders", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        onlyDecodeErrors(() => readTypeOption(new ByteReader(bytes)))
      }),
      { seed: SEED, numRuns: 20000 }
    )
    fc.assert(
      fc.property(fc.array(typeArb(2), { minLength: 1, maxLength: 5 }), fc.uint8Array({ maxLength: 96 }), (types, bytes) => {
        const columns = types.map((type, i) => ({ keyspace: "k", table: "t", name: `c${i}`, type }))
        for (const codegen of [true, false]) onlyDecodeErrors(() => makeRowDecoder(columns, { codegen })(new ByteReader(bytes)))
      }),
      { seed: SEED, numRuns: 5000 }
    )
  })
})
