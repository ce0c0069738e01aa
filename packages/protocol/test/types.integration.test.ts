/**
 * The value codecs against a real node, over a plain socket with this package's frame layer:
 * - literals cast to every type (`SELECT (vector<time, 2>)[...] FROM system.local`) decode to the expected
 *   values, on v4 (duration and vectors as custom types) and v5: this pins the byte layouts the server uses
 *   (e.g. vector<smallint/date/time> elements are vint-length-prefixed in Cassandra 5.0);
 * - every type bound with `encodeValue` (the server validates the bytes) and read back is the same value;
 * - `murmur3Token(routingKey(...))` equals `SELECT token(...)` for single and composite partition keys.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as BigDecimal from "effect/BigDecimal"
import * as Result from "effect/Result"
import { testCluster } from "@effect-cassandra/local/vitest"
import { type CqlType, formatType, parseCqlType } from "@effect-cassandra/protocol/CqlType"
import { CqlDuration, EMPTY, LocalDate, LocalTime, serializeValue } from "@effect-cassandra/protocol/CqlValues"
import type { BoundValues, Row } from "@effect-cassandra/protocol/Messages"
import { murmur3Token, routingKey } from "@effect-cassandra/protocol/Token"
import { Connection } from "./fixtures/connection.ts"

const info = testCluster()
const [host, portText] = info.contactPoints[0]!.split(":")
const port = Number(portText ?? 9042)
const KS = "protocol_types_it"

/** A QUERY's rows and the CQL text of its column types. */
const rowsOf = async (c: Connection, query: string, values?: BoundValues): Promise<{ rows: Array<Row>; types: Record<string, string> }> => {
  const r = (await c.query(query, values)).response
  if (r._tag !== "Result") throw new Error(`${query}: unexpected ${r._tag}`)
  if (r.result.kind !== "Rows") return { rows: [], types: {} }
  return { rows: r.result.rows, types: Object.fromEntries(r.result.columns.map((col) => [col.name, formatType(col.type)])) }
}

const T = (s: string): CqlType => parseCqlType(s)
const ser = (type: string, v: unknown): Uint8Array => Result.getOrThrow(serializeValue(T(type), v))

/** Normalises decoded values for toEqual: BigDecimal as [value, scale], classes as their text. */
const plain = (v: unknown): unknown => {
  if (BigDecimal.isBigDecimal(v)) return { decimal: [v.value, v.scale] }
  if (v instanceof LocalDate || v instanceof LocalTime || v instanceof CqlDuration) return `${v.constructor.name}(${v.toString()})`
  if (v instanceof Date) return `Date(${v.toISOString()})`
  if (v instanceof Float32Array) return { float32: Array.from(v) }
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString("hex") }
  if (Array.isArray(v)) return v.map(plain)
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [plain(k), plain(x)]) }
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}

/** [CQL type, CQL literal, the value it decodes to, a value to bind (default: the decoded value)] */
const CASES: ReadonlyArray<readonly [string, string, unknown, unknown?]> = [
  ["int", "-2147483648", -2147483648],
  ["bigint", "-9007199254740993", -9007199254740993n],
  ["smallint", "-32768", -32768],
  ["tinyint", "-128", -128],
  ["varint", "-123456789012345678901234567890", -123456789012345678901234567890n],
  ["decimal", "-1234567890123456.7890", BigDecimal.make(-12345678901234567890n, 4)],
  ["float", "1.5", 1.5],
  ["double", "3.141592653589793", 3.141592653589793],
  ["boolean", "true", true],
  ["text", "'héllo wörld ✓'", "héllo wörld ✓"],
  ["ascii", "'ascii text'", "ascii text"],
  ["blob", "0x0001ff", new Uint8Array([0, 1, 255])],
  ["uuid", "0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e"],
  ["timeuuid", "d2177dd0-eaa2-11de-a572-001b779c76e3", "d2177dd0-eaa2-11de-a572-001b779c76e3"],
  ["timestamp", "'2024-01-02T03:04:05.678Z'", new Date("2024-01-02T03:04:05.678Z")],
  ["date", "'2024-02-29'", LocalDate.fromString("2024-02-29")],
  ["time", "'13:14:15.123456789'", LocalTime.fromString("13:14:15.123456789")],
  ["inet", "'2001:db8::1'", "2001:db8::1"],
  ["inet", "'10.0.0.1'", "10.0.0.1"],
  ["duration", "1y2mo3d4h5m6s7ms8us9ns", CqlDuration.fromString("P1Y2M3DT4H5M6.007008009S")],
  ["duration", "-3d", new CqlDuration(0, -3, 0n)],
  ["frozen<list<int>>", "[3, 1, 2]", [3, 1, 2]],
  ["frozen<set<text>>", "{'b', 'a'}", ["a", "b"], new Set(["b", "a"])],
  ["frozen<map<text, int>>", "{'y': 2, 'x': 1}", new Map([["x", 1], ["y", 2]])],
  ["frozen<tuple<int, text, boolean>>", "(7, 'seven', false)", [7, "seven", false]],
  ["frozen<map<text, frozen<list<frozen<set<int>>>>>>", "{'k': [{2, 1}, {3}]}", new Map([["k", [[1, 2], [3]]]])],
  ["vector<float, 3>", "[1.5, -2.25, 3]", new Float32Array([1.5, -2.25, 3])],
  ["vector<int, 2>", "[1, -1]", [1, -1]],
  ["vector<bigint, 1>", "[5]", [5n]],
  ["vector<text, 2>", "['one', 'two']", ["one", "two"]],
  ["vector<smallint, 2>", "[1, 2]", [1, 2]],
  ["vector<tinyint, 1>", "[3]", [3]],
  ["vector<date, 2>", "['2024-02-29', '1970-01-01']", [LocalDate.fromString("2024-02-29"), LocalDate.fromDays(0)]],
  ["vector<time, 2>", "['12:00:00', '13:00:00.5']", [LocalTime.fromString("12:00"), LocalTime.fromString("13:00:00.5")]],
  ["vector<uuid, 1>", "[0f8fad5b-d9cb-469f-a165-70867728950e]", ["0f8fad5b-d9cb-469f-a165-70867728950e"]],
  ["vector<frozen<list<int>>, 2>", "[[1], [2, 3]]", [[1], [2, 3]]]
]

const unfrozen = (s: string) => formatType(T(s))

for (const version of [4, 5] as const) {
  describe(`CQL values on a real node, protocol v${version}`, () => {
    let c: Connection
    beforeAll(async () => {
      c = await Connection.open(host!, port, version)
    })
    afterAll(() => c?.close())

    it("literals cast to every type decode to the expected values (and metadata types)", async () => {
      for (const [type, literal, expected] of CASES) {
        const { rows, types } = await rowsOf(c, `SELECT (${type})${literal} AS v FROM system.local`)
        expect([type, types["v"]]).toEqual([type, unfrozen(type)])
        expect([type, plain(rows[0]!["v"])]).toEqual([type, plain(expected)])
      }
    })
  })
}

describe("bound values and tokens on a real node", () => {
  let c: Connection
  const columns = CASES.map(([type], i) => [`c${i}`, type] as const)
  beforeAll(async () => {
    c = await Connection.open(host!, port, 5)
    await rowsOf(c, `CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)
    await rowsOf(c, `CREATE TABLE IF NOT EXISTS ${KS}.all_types (id int PRIMARY KEY, ${columns.map(([n, t]) => `${n} ${t}`).join(", ")})`)
    await rowsOf(c, `CREATE TABLE IF NOT EXISTS ${KS}.composite (a int, b text, c uuid, PRIMARY KEY ((a, b, c)))`)
    await rowsOf(c, `CREATE TABLE IF NOT EXISTS ${KS}.blobs (k blob PRIMARY KEY)`)
  })
  afterAll(async () => {
    await c?.query(`DROP KEYSPACE IF EXISTS ${KS}`).catch(() => undefined)
    c?.close()
  })

  it("every type, bound with encodeValue, reads back as the same value; null and empty too", async () => {
    const insert = `INSERT INTO ${KS}.all_types (id, ${columns.map(([n]) => n).join(", ")}) VALUES (?${", ?".repeat(columns.length)})`
    const types = [T("int"), ...columns.map(([, t]) => T(t))]
    await rowsOf(c, insert, { values: [1, ...CASES.map(([, , decoded, bound]) => bound ?? decoded)], types })
    await rowsOf(c, insert, { values: [2, ...CASES.map(() => null)], types })
    const { rows } = await rowsOf(c, `SELECT * FROM ${KS}.all_types WHERE id IN (1, 2)`)
    const byId = new Map(rows.map((r) => [r["id"], r]))
    CASES.forEach(([type, , decoded], i) => {
      expect([type, plain(byId.get(1)![`c${i}`])]).toEqual([type, plain(decoded)])
      expect([type, byId.get(2)![`c${i}`]]).toEqual([type, null])
    })
    // an empty int is stored and read back as EMPTY, distinct from null
    await rowsOf(c, `INSERT INTO ${KS}.all_types (id, c0) VALUES (3, ?)`, { values: [EMPTY], types: [T("int")] })
    const empty = await rowsOf(c, `SELECT c0 FROM ${KS}.all_types WHERE id = 3`)
    expect(empty.rows[0]!["c0"]).toBe(EMPTY)
  })

  it("murmur3Token(routingKey(...)) equals SELECT token(...) for composite and blob keys", async () => {
    const keys: Array<[number, string, string]> = []
    for (let i = 0; i < 40; i++) {
      const uuid = `${(0x10000000 + i * 7919).toString(16)}-0000-4000-8000-${String(i).padStart(12, "0")}`
      keys.push([i * 1_000_003 - 20_000_000, `key-${"é".repeat(i % 5)}-${i}`, uuid])
    }
    const types = [T("int"), T("text"), T("uuid")]
    for (const k of keys) await rowsOf(c, `INSERT INTO ${KS}.composite (a, b, c) VALUES (?, ?, ?)`, { values: k, types })
    const { rows } = await rowsOf(c, `SELECT a, b, c, token(a, b, c) AS t FROM ${KS}.composite`)
    expect(rows.length).toBe(keys.length)
    for (const r of rows) {
      const key = routingKey([ser("int", r["a"]), ser("text", r["b"]), ser("uuid", r["c"])])
      expect(murmur3Token(key)).toBe(r["t"])
    }

    // blob keys of every length 1..40 with bytes >= 0x80 in the tail (Cassandra's signed tail bytes)
    for (let n = 1; n <= 40; n++) {
      const k = Uint8Array.from({ length: n }, (_, j) => (j * 97 + n * 31 + 0x80) & 0xff)
      await rowsOf(c, `INSERT INTO ${KS}.blobs (k) VALUES (?)`, { values: [k], types: [T("blob")] })
    }
    const blobs = await rowsOf(c, `SELECT k, token(k) AS t FROM ${KS}.blobs`)
    expect(blobs.rows.length).toBe(40)
    for (const r of blobs.rows) expect(murmur3Token(r["k"] as Uint8Array)).toBe(r["t"])
  })
})
