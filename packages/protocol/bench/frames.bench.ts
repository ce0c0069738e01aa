/**
 * Frame-layer benchmark (a plain node script, not a test):
 *
 * 1. EXECUTE encoding: a prepared id (16 B), 3 bound values (int, text, uuid), LOCAL_QUORUM,
 *    skip_metadata, page size, appended to one FrameEncoder and taken as batches of 1 and of 32
 *    requests (one socket write per batch): ns per request for v4, v4 + LZ4 bodies, v5 framed,
 *    v5 framed + LZ4 segments.
 * 2. RESULT decoding: a Rows page of 5000 rows x 10 columns (int, bigint, text, uuid, timestamp,
 *    double, boolean, blob, float, inet) arriving in 64 KiB socket chunks, through FrameDecoder +
 *    decodeResponse, every cell then read: rows/s for v4 (with metadata / NO_METADATA with prepared
 *    columns), v4 + LZ4, v5 framed, v5 framed + LZ4.
 *
 *   node --conditions=source packages/protocol/bench/frames.bench.ts [runs]
 *
 * Reports medians of wall-clock time and of this process's CPU time (`process.cpuUsage`, user +
 * system): on a shared machine the CPU figure is the one that does not move with other processes' load.
 */
import { parseCqlType } from "@effect-cassandra/protocol/CqlType"
import { FrameDecoder, FrameEncoder, decodeResponse } from "@effect-cassandra/protocol/Frames"
import {
  type ColumnSpec,
  Consistency,
  type ProtocolVersion,
  type Request,
  type Response
} from "@effect-cassandra/protocol/Messages"
import * as Result from "effect/Result"

const RUNS = Number(process.argv[2] ?? 15)

/** Wall-clock and CPU nanoseconds of `f()`. */
const measure = (f: () => void): { wall: number; cpu: number } => {
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  f()
  const wall = Number(process.hrtime.bigint() - t0)
  const c = process.cpuUsage(c0)
  return { wall, cpu: (c.user + c.system) * 1000 }
}

const median = (xs: Array<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

// ---------------------------------------------------------------------------------------------
// 1. EXECUTE encoding

const id = Uint8Array.from({ length: 16 }, (_, i) => i * 13)
const resultMetadataId = Uint8Array.from({ length: 16 }, (_, i) => 255 - i)
const INT = parseCqlType("int")
const TEXT = parseCqlType("text")
const UUID = parseCqlType("uuid")
const types = [INT, TEXT, UUID]

const execute = (i: number): Request => ({
  _tag: "Execute",
  id,
  resultMetadataId,
  params: {
    consistency: Consistency.LOCAL_QUORUM,
    values: { values: [i, "user-0000001234", "0e33d4d0-5f4b-11ef-8a9f-1b2c3d4e5f60"], types },
    skipMetadata: true,
    pageSize: 5000
  }
})
// prebuilt requests (the driver builds its Request objects anyway)
const REQUESTS = Array.from({ length: 1024 }, (_, i) => execute(i))

const benchEncode = (version: ProtocolVersion, setup: (e: FrameEncoder) => void, batch: number): { wall: number; cpu: number } => {
  const enc = new FrameEncoder({ version })
  setup(enc)
  const N = 200_000
  let bytes = 0
  const once = () =>
    measure(() => {
      for (let i = 0; i < N; i++) {
        const r = enc.encode(i & 0x7fff, REQUESTS[i & 1023]!)
        if (Result.isFailure(r)) throw r.failure
        if ((i + 1) % batch === 0) bytes += enc.takeBatch()!.length
      }
      const b = enc.takeBatch()
      if (b !== undefined) bytes += b.length
    })
  once() // warm-up
  const walls: Array<number> = []
  const cpus: Array<number> = []
  for (let r = 0; r < RUNS; r++) {
    const m = once()
    walls.push(m.wall / N)
    cpus.push(m.cpu / N)
  }
  void bytes
  return { wall: median(walls), cpu: median(cpus) }
}

// ---------------------------------------------------------------------------------------------
// 2. RESULT Rows decoding

const ROWS = 5000
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
let seed = 0x12345678
const rand = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return seed
}
const hex = (n: number): string => (rand() >>> 0).toString(16).padStart(8, "0").slice(0, n)
const rows = Array.from({ length: ROWS }, (_, i) => {
  const blob = new Uint8Array(16)
  for (let j = 0; j < 16; j++) blob[j] = rand() & 0xff
  return {
    id: i,
    big: BigInt(rand()) * 4096n + BigInt(i),
    name: `user-name-${String(i).padStart(10, "0")}`,
    uid: `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(8)}${hex(4)}`,
    ts: new Date(1_700_000_000_000 + i * 1000),
    score: rand() / 7,
    flag: (i & 1) === 0,
    data: blob,
    ratio: (rand() & 0xffff) / 8,
    addr: `10.${rand() & 0xff}.${rand() & 0xff}.${rand() & 0xff}`
  }
})

const page = (version: ProtocolVersion, noMetadata: boolean, setup: (e: FrameEncoder) => void): Array<Uint8Array> => {
  const enc = new FrameEncoder({ version })
  setup(enc)
  const response: Response = {
    _tag: "Result",
    result: {
      kind: "Rows",
      metadata: {
        flags: noMetadata ? 0x0004 | 0x0002 : 0x0001 | 0x0002,
        columnCount: columns.length,
        columns: noMetadata ? undefined : columns,
        pagingState: Uint8Array.from({ length: 24 }, (_, i) => i),
        newMetadataId: undefined
      },
      columns,
      rows
    }
  }
  const r = enc.encodeResponse(1, response)
  if (Result.isFailure(r)) throw r.failure
  const wire = enc.takeBatch()!
  // as a socket delivers it: 64 KiB chunks (fresh buffers)
  const chunks: Array<Uint8Array> = []
  for (let o = 0; o < wire.length; o += 65536) chunks.push(wire.slice(o, o + 65536))
  return chunks
}

let sink = 0
const readEveryCell = (rs: ReadonlyArray<Record<string, unknown>>): void => {
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!
    sink += (r["id"] as number) + Number((r["big"] as bigint) & 1n) + (r["name"] as string).length +
      (r["uid"] as string).length + (r["ts"] as Date).getTime() % 7 + (r["score"] as number) +
      (r["flag"] ? 1 : 0) + (r["data"] as Uint8Array)[0]! + (r["ratio"] as number) + (r["addr"] as string).length
  }
}

const benchDecode = (
  version: ProtocolVersion,
  noMetadata: boolean,
  setup: (e: FrameEncoder | FrameDecoder) => void
): { wall: number; cpu: number; bytes: number } => {
  const chunks = page(version, noMetadata, setup)
  const bytes = chunks.reduce((n, c) => n + c.length, 0)
  const ctx = noMetadata ? { resultColumns: columns } : undefined
  const once = () => {
    const d = new FrameDecoder({ version })
    setup(d)
    let n = 0
    const m = measure(() => {
    for (const c of chunks) {
      d.push(c)
      for (;;) {
        const e = d.next()
        if (Result.isFailure(e)) throw e.failure
        if (e.success === undefined) break
        const f = decodeResponse(e.success, ctx)
        if (Result.isFailure(f)) throw f.failure
        const res = f.success.response
        if (res._tag !== "Result" || res.result.kind !== "Rows") throw new Error("not rows")
        readEveryCell(res.result.rows)
        n += res.result.rows.length
      }
    }
    })
    if (n !== ROWS) throw new Error(`decoded ${n} rows`)
    return m
  }
  for (let i = 0; i < 5; i++) once() // warm-up
  const walls: Array<number> = []
  const cpus: Array<number> = []
  for (let r = 0; r < RUNS; r++) {
    const m = once()
    walls.push(ROWS / (m.wall / 1e9))
    cpus.push(ROWS / (m.cpu / 1e9))
  }
  return { wall: median(walls), cpu: median(cpus), bytes }
}

// ---------------------------------------------------------------------------------------------

const none = () => {}
const lz4Body = (x: FrameEncoder | FrameDecoder) => x.setCompression("lz4")
const framed = (x: FrameEncoder | FrameDecoder) => x.enableFraming()
const framedLz4 = (x: FrameEncoder | FrameDecoder) => x.enableFraming({ compression: "lz4" })

console.log(`node ${process.version}, ${RUNS} runs, medians\n`)
console.log("EXECUTE encode (id 16 B, 3 values: int, text, uuid), ns per request:")
for (const [name, v, setup] of [
  ["v4", 4, none],
  ["v4 + LZ4 bodies", 4, lz4Body],
  ["v5 framed", 5, framed],
  ["v5 framed + LZ4 segments", 5, framedLz4]
] as const) {
  const one = benchEncode(v, setup, 1)
  const many = benchEncode(v, setup, 32)
  const f = (x: number) => x.toFixed(0).padStart(5)
  console.log(`  ${name.padEnd(26)} batch of 1: ${f(one.wall)} ns (cpu ${f(one.cpu)})   batch of 32: ${f(many.wall)} ns (cpu ${f(many.cpu)})`)
}

console.log(`\nRESULT Rows decode (${ROWS} rows x 10 columns, 64 KiB chunks, every cell read), rows/s:`)
for (const [name, v, noMeta, setup] of [
  ["v4 with metadata", 4, false, none],
  ["v4 NO_METADATA (prepared)", 4, true, none],
  ["v4 + LZ4 body", 4, true, lz4Body],
  ["v5 framed", 5, true, framed],
  ["v5 framed + LZ4 segments", 5, true, framedLz4]
] as const) {
  const { wall, cpu, bytes } = benchDecode(v, noMeta, setup)
  console.log(`  ${name.padEnd(26)} ${(wall / 1e6).toFixed(2)} M rows/s (cpu ${(cpu / 1e6).toFixed(2)})  (${(bytes / 1024).toFixed(0)} KiB on the wire)`)
}
if (sink === 0) console.log("")
