/**
 * Row decoding micro-benchmark: a RESULT page of 5000 rows x 10 columns (int, bigint, text ~20 B, uuid,
 * timestamp, double, boolean, blob 16 B, float, inet) as raw row bytes, decoded with `makeRowDecoder`, every
 * cell read (uuid -> string, bigint -> bigint, timestamp -> Date, blob -> a copy); and the time to encode the
 * same values with `encodeValue`.
 *
 *   node --conditions=source packages/protocol/bench/rows.bench.ts [runs]
 *
 * Reports the median of the runs in rows/s.
 */
import { ByteReader, ByteWriter } from "@effect-cassandra/protocol/Buffers"
import { parseCqlType } from "@effect-cassandra/protocol/CqlType"
import { decodeRows, encodeValue, makeRowDecoder } from "@effect-cassandra/protocol/CqlValues"
import type { ColumnSpec } from "@effect-cassandra/protocol/Messages"

const ROWS = 5000
const RUNS = Number(process.argv[2] ?? 30)

const spec = (name: string, type: string): ColumnSpec => ({ keyspace: "ks", table: "t", name, type: parseCqlType(type) })
const columns: ReadonlyArray<ColumnSpec> = [
  spec("id", "int"),
  spec("big", "bigint"),
  spec("name", "text"),
  spec("uid", "uuid"),
  spec("ts", "timestamp"),
  spec("score", "double"),
  spec("flag", "boolean"),
  spec("data", "blob"),
  spec("ratio", "float"),
  spec("addr", "inet")
]

// deterministic pseudo-random data
let seed = 0x12345678
const rand = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return seed
}
const hex = (n: number): string => (rand() >>> 0).toString(16).padStart(8, "0").slice(0, n)

const rowsValues: Array<Array<unknown>> = []
for (let i = 0; i < ROWS; i++) {
  const blob = new Uint8Array(16)
  for (let j = 0; j < 16; j++) blob[j] = rand() & 0xff
  const values: Array<unknown> = [
    i,
    BigInt(rand()) * 4096n + BigInt(i),
    `user-name-${String(i).padStart(10, "0")}`, // 20 bytes
    `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(8)}${hex(4)}`,
    new Date(1_700_000_000_000 + i * 1000),
    rand() / 7,
    (i & 1) === 0,
    blob,
    (rand() & 0xffff) / 8,
    `10.${rand() & 0xff}.${rand() & 0xff}.${rand() & 0xff}`
  ]
  rowsValues.push(values)
}
const PATHS = columns.map((_, c) => `values[${c}]`)
const encodePage = (w: ByteWriter): void => {
  for (let i = 0; i < ROWS; i++) {
    const values = rowsValues[i]!
    for (let c = 0; c < columns.length; c++) encodeValue(w, columns[c]!.type, values[c], PATHS[c])
  }
}
const w = new ByteWriter(1 << 20)
encodePage(w)
const page = w.toBytes()
console.log(`page: ${ROWS} rows x ${columns.length} columns, ${page.length} bytes`)

const sink: Array<unknown> = []
const measure = (label: string, source: Uint8Array, codegen: boolean): number => {
  const decoder = makeRowDecoder(columns, { codegen })
  const once = (): number => {
    const r = new ByteReader(source)
    const t0 = process.hrtime.bigint()
    const rows = decodeRows(r, ROWS, decoder)
    const t1 = process.hrtime.bigint()
    if (r.pos !== source.length) throw new Error("did not consume the page")
    sink[0] = rows
    return Number(t1 - t0) / 1e9
  }
  for (let i = 0; i < 50; i++) once() // warm up
  const times: Array<number> = []
  for (let i = 0; i < RUNS; i++) times.push(once())
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]!
  const best = times[0]!
  console.log(
    `${label}: median ${(ROWS / median / 1e6).toFixed(3)} M rows/s (${((median * 1e9) / ROWS).toFixed(0)} ns/row, ` +
      `${(median * 1e3).toFixed(2)} ms/page); best ${(ROWS / best / 1e6).toFixed(3)} M rows/s; ${RUNS} runs`
  )
  return ROWS / median
}

// encoding the same values (as bound values of EXECUTE requests would be), into a reused writer
{
  const times: Array<number> = []
  for (let i = 0; i < 20 + RUNS; i++) {
    w.reset()
    const t0 = process.hrtime.bigint()
    encodePage(w)
    const t1 = process.hrtime.bigint()
    if (i >= 20) times.push(Number(t1 - t0) / 1e9)
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]!
  console.log(`encode: median ${((median * 1e9) / ROWS).toFixed(0)} ns per row of ${columns.length} values (${RUNS} runs)`)
}

// a Node Buffer holding the page, as socket data arrives
const nodeBuffer = Buffer.from(page)
measure("generated decoder, Uint8Array page", page, true)
measure("generated decoder, Buffer page    ", nodeBuffer, true)
measure("interpreted decoder, Uint8Array page", page, false)
const headline = measure("generated decoder, Uint8Array page", page, true)
console.log("sample row:", (sink[0] as Array<Record<string, unknown>>)[ROWS - 1])
console.log(`result: ${(headline / 1e6).toFixed(2)} M rows/s`)
