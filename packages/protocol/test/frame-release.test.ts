/**
 * FrameDecoder with `releaseBuffers`: at `release()` the bytes of the envelopes it returned are freed (the
 * copies it made of bodies spanning chunks, decompressed bodies, disposable chunks read to their end), never
 * a chunk that still has unread bytes nor one the caller did not give away; the envelopes are the same
 * whatever the chunking. And decoded responses keep no view of their body, which is what makes freeing it
 * right after decoding safe. With `lazyRows`, the rows of a result come as a `RowCursor` over its own copy
 * of their bytes, decoded a few at a time.
 */
import { describe, expect, it } from "vitest"
import * as Result from "effect/Result"
import { decodeResponse, encodeResponse } from "../src/frame/FrameCodec.ts"
import { FrameDecoder } from "../src/frame/FrameDecoder.ts"
import { FrameEncoder } from "../src/frame/FrameEncoder.ts"
import type { CqlType } from "../src/CqlType.ts"
import type { RawEnvelope } from "../src/frame/Envelope.ts"
import { RowsFlag } from "../src/frame/Responses.ts"
import { type ColumnSpec, Opcode, type Request, type Response, type ResponseFrame } from "../src/Messages.ts"
import { envelope } from "./fixtures/bytes.ts"
import { drain, type PlainEnvelope, prng } from "./fixtures/streams.ts"

const big = (stream: number, n: number) => {
  const body = new Uint8Array(n)
  for (let i = 0; i < n; i++) body[i] = (i * 7 + stream) & 0xff
  return envelope(0x84, 0, stream, Opcode.RESULT, body)
}
const detached = (b: Uint8Array) => (b.buffer as ArrayBuffer & { readonly detached: boolean }).detached
const next = (d: FrameDecoder): RawEnvelope => {
  const r = d.next()
  if (Result.isFailure(r) || r.success === undefined) throw new Error("expected an envelope")
  return r.success
}
/** Feeds `bytes` as disposable chunks (each a buffer of its own) of the given sizes, releasing after each drain. */
const feedReleasing = (d: FrameDecoder, bytes: Uint8Array, sizes: ReadonlyArray<number>): Array<PlainEnvelope> => {
  const out: Array<PlainEnvelope> = []
  let o = 0
  let k = 0
  while (o < bytes.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!)
    d.push(bytes.slice(o, o + n), true)
    o += n
    out.push(...drain(d))
    d.release()
  }
  return out
}

describe("FrameDecoder releaseBuffers", () => {
  it("a body spanning chunks is a copy, freed at release() with the chunks it emptied", () => {
    const wire = big(1, 20_000)
    const chunks = [wire.slice(0, 7000), wire.slice(7000, 14_000), wire.slice(14_000)]
    const d = new FrameDecoder({ version: 4, releaseBuffers: true })
    for (const c of chunks) d.push(c, true)
    const env = next(d)
    expect(env.body.length).toBe(20_000)
    expect(env.body[19_999]).toBe((19_999 * 7 + 1) & 0xff)
    expect(chunks.some((c) => c.buffer === env.body.buffer)).toBe(false)
    // valid until release()
    expect(detached(env.body) || chunks.some(detached)).toBe(false)
    d.release()
    expect(detached(env.body)).toBe(true)
    expect(chunks.map(detached)).toEqual([true, true, true])
  })

  it("a chunk with unread bytes is kept; one that was not given away is never freed", () => {
    const a = big(1, 5000)
    const b = big(2, 9000)
    const wire = new Uint8Array(a.length + b.length)
    wire.set(a)
    wire.set(b, a.length)
    for (const disposable of [true, false]) {
      const first = wire.slice(0, a.length + 4000)
      const second = wire.slice(a.length + 4000)
      const d = new FrameDecoder({ version: 4, releaseBuffers: true })
      d.push(first, disposable)
      const envA = next(d)
      expect(envA.body.buffer).toBe(first.buffer) // a view of the chunk
      d.release()
      // `first` still holds the start of b
      expect(detached(first)).toBe(false)
      expect(envA.body[4999]).toBe((4999 * 7 + 1) & 0xff)
      d.push(second, disposable)
      const envB = next(d)
      expect(envB.body[8999]).toBe((8999 * 7 + 2) & 0xff)
      d.release()
      expect(detached(envB.body)).toBe(true) // the decoder's own copy
      expect([detached(first), detached(second)]).toEqual([disposable, disposable])
    }
  })

  it("without the option release() frees nothing, disposable or not", () => {
    const wire = big(1, 20_000)
    const chunks = [wire.slice(0, 10_000), wire.slice(10_000)]
    const d = new FrameDecoder({ version: 4 })
    for (const c of chunks) d.push(c, true)
    const env = next(d)
    d.release()
    expect([detached(env.body), ...chunks.map(detached)]).toEqual([false, false, false])
    expect(env.body[19_999]).toBe((19_999 * 7 + 1) & 0xff)
  })

  it("v4: the same envelopes whatever the chunking, releasing after every read", () => {
    const wire = new Uint8Array([...big(1, 5000), ...big(2, 70_000), ...big(3, 10), ...big(4, 200_000), ...big(5, 4096)])
    const plainDecoder = new FrameDecoder({ version: 4 })
    plainDecoder.push(wire)
    const whole = drain(plainDecoder)
    expect(whole.length).toBe(5)
    const rnd = prng(7)
    for (let t = 0; t < 40; t++) {
      const sizes = Array.from({ length: 16 }, () => 1 + Math.floor(rnd() * (t % 2 === 0 ? 70_000 : 9000)))
      expect(feedReleasing(new FrameDecoder({ version: 4, releaseBuffers: true }), wire, sizes)).toEqual(whole)
    }
  })

  for (const algorithm of ["lz4", "snappy"] as const) {
    it(`v4 ${algorithm}: compressed bodies decode the same, releasing after every read`, () => {
      const enc = new FrameEncoder({ version: 4, compressionThreshold: 0 })
      enc.setCompression(algorithm)
      const rnd = prng(3)
      for (let i = 0; i < 4; i++) {
        let s = ""
        for (let k = 0; k < 30_000; k++) s += String.fromCharCode(97 + Math.floor(rnd() * (i + 2)))
        enc.encode(i, { _tag: "Query", query: s, params: { consistency: 1 } })
      }
      const wire = enc.takeBatch()!
      const plainDecoder = new FrameDecoder({ version: 4 })
      plainDecoder.setCompression(algorithm)
      plainDecoder.push(wire)
      const whole = drain(plainDecoder)
      for (const size of [1000, 5000, 65_536]) {
        const d = new FrameDecoder({ version: 4, releaseBuffers: true })
        d.setCompression(algorithm)
        expect(feedReleasing(d, wire, [size])).toEqual(whole)
      }
    })
  }

  for (const lz4 of [false, true]) {
    it(`v5 segments${lz4 ? " (LZ4)" : ""}: the same envelopes whatever the chunking, releasing after every read`, () => {
      const enc = new FrameEncoder({ version: 5 })
      enc.enableFraming(lz4 ? { compression: "lz4" } : undefined)
      const rnd = prng(11)
      const queries: Array<Request> = [10, 5000, 300_000, 200, 140_000].map((n, i) => {
        let s = ""
        for (let k = 0; k < n; k++) s += String.fromCharCode(33 + Math.floor(rnd() * (i + 3)))
        return { _tag: "Query", query: s, params: { consistency: 1 } }
      })
      queries.forEach((q, i) => enc.encode(i, q))
      const wire = enc.takeBatch()!
      const framed = (releaseBuffers: boolean) => {
        const d = new FrameDecoder({ version: 5, releaseBuffers })
        d.enableFraming(lz4 ? { compression: "lz4" } : undefined)
        return d
      }
      const w = framed(false)
      w.push(wire)
      const whole = drain(w)
      expect(whole.length).toBe(5)
      for (const sizes of [[65_536], [1000, 70_000, 4096], [131_072, 7]]) {
        expect(feedReleasing(framed(true), wire, sizes)).toEqual(whole)
      }
    })
  }

  it("v5: a read is freed only once no envelope is pending (segment payloads may be views of it)", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming()
    enc.encode(1, { _tag: "Query", query: "x".repeat(50_000), params: { consistency: 1 } })
    enc.encode(2, { _tag: "Query", query: "y".repeat(300_000), params: { consistency: 1 } })
    const wire = enc.takeBatch()!
    // the first envelope's segment ends in `a`; the second (three segments) starts in `a` and ends in `c`
    const a = wire.slice(0, 60_000)
    const b = wire.slice(60_000, 200_000)
    const c = wire.slice(200_000)
    const d = new FrameDecoder({ version: 5, releaseBuffers: true })
    d.enableFraming()
    d.push(a, true)
    expect(drain(d).length).toBe(1)
    d.release()
    expect(detached(a)).toBe(false)
    d.push(b, true)
    expect(drain(d).length).toBe(0)
    d.release()
    // `a` is read to its end, but the second envelope is still pending
    expect([detached(a), detached(b)]).toEqual([false, false])
    d.push(c, true)
    const [second] = drain(d)
    expect(second!.body.length).toBeGreaterThan(300_000)
    d.release()
    expect([detached(a), detached(b), detached(c)]).toEqual([true, true, true])
  })
})

// ---------------------------------------------------------------------------------------------------

const t = (kind: string): CqlType => ({ kind } as CqlType)
const col = (name: string, type: CqlType): ColumnSpec => ({ keyspace: "ks", table: "t", name, type })
const columns: Array<ColumnSpec> = [
  col("i", t("int")),
  col("b", t("blob")),
  col("s", t("text")),
  col("u", t("uuid")),
  col("ts", t("timestamp")),
  col("n", t("inet")),
  col("v", t("varint")),
  col("bl", { kind: "list", element: t("blob") } as CqlType),
  col("m", { kind: "map", key: t("text"), value: t("blob") } as CqlType),
  col("tu", { kind: "tuple", elements: [t("blob"), t("text")] } as CqlType),
  col("vec", { kind: "vector", element: t("float"), dimension: 3 } as CqlType),
  col("c", { kind: "custom", className: "org.example.Raw" } as CqlType)
]
const row = (i: number) => {
  const bytes = Uint8Array.from({ length: 16 + (i % 40) }, (_, k) => (k * 31 + i) & 0xff)
  return {
    i,
    b: bytes,
    s: `row ${i} ` + "é".repeat(i % 5),
    u: "2a1f4c3e-8b7d-4e6a-9c5b-0d1e2f3a4b5c",
    ts: new Date(1_700_000_000_000 + i),
    n: i % 2 === 0 ? "10.0.0.1" : "::1",
    v: BigInt(i) ** 5n,
    bl: [bytes, bytes.subarray(1)],
    m: new Map([["k", bytes]]),
    tu: [bytes, "t"],
    vec: Float32Array.of(i, 1.5, -2),
    c: bytes.subarray(2)
  }
}

describe("decoded responses keep no view of their body", () => {
  const responses: Array<[string, Response]> = [
    ["a page of every kind of value", {
      _tag: "Result",
      result: {
        kind: "Rows",
        metadata: { flags: RowsFlag.GLOBAL_TABLES_SPEC | RowsFlag.HAS_MORE_PAGES, columnCount: columns.length, columns, pagingState: Uint8Array.of(1, 2, 3, 4), newMetadataId: undefined },
        columns,
        rows: Array.from({ length: 300 }, (_, i) => row(i))
      }
    }],
    ["a prepared statement", {
      _tag: "Result",
      result: {
        kind: "Prepared",
        id: Uint8Array.from({ length: 16 }, (_, i) => i),
        resultMetadataId: Uint8Array.of(9, 9),
        variables: [col("i", t("int"))],
        pkIndexes: [0],
        resultMetadata: { flags: RowsFlag.GLOBAL_TABLES_SPEC, columnCount: 1, columns: [col("b", t("blob"))], pagingState: undefined, newMetadataId: undefined }
      }
    }],
    ["an auth challenge", { _tag: "AuthChallenge", token: Uint8Array.of(1, 2, 3) }],
    ["an unprepared error", { _tag: "Error", error: { code: 0x2500, message: "unprepared", unpreparedId: Uint8Array.of(7, 7, 7) } }]
  ] as unknown as Array<[string, Response]>

  for (const [name, response] of responses) {
    it(`${name}: the same after its body is freed`, () => {
      for (const version of [4, 5] as const) {
        const wire = encodeResponse(version, 1, response, { customPayload: new Map([["p", Uint8Array.of(5, 6)]]), warnings: ["w"] })
        if (Result.isFailure(wire)) throw wire.failure
        const d = new FrameDecoder({ version })
        d.push(wire.success)
        const env = next(d)
        const fresh = () => ({ ...env, body: new Uint8Array(env.body) })
        const ctx = { resultColumns: columns }
        const mine = fresh()
        const decoded = decodeResponse(mine, ctx)
        if (Result.isFailure(decoded)) throw decoded.failure
        ;(mine.body.buffer as ArrayBuffer & { transfer: (n: number) => ArrayBuffer }).transfer(0)
        expect(detached(mine.body)).toBe(true)
        const reference = decodeResponse(fresh(), ctx)
        if (Result.isFailure(reference)) throw reference.failure
        expect(decoded.success).toEqual(reference.success)
      }
    })
  }
})

describe("rows on demand (lazyRows)", () => {
  const page = (version: 4 | 5, count: number) => {
    const response = {
      _tag: "Result",
      result: {
        kind: "Rows",
        metadata: { flags: RowsFlag.GLOBAL_TABLES_SPEC, columnCount: columns.length, columns, pagingState: undefined, newMetadataId: undefined },
        columns,
        rows: Array.from({ length: count }, (_, i) => row(i))
      }
    } as unknown as Response
    const wire = encodeResponse(version, 1, response)
    if (Result.isFailure(wire)) throw wire.failure
    const d = new FrameDecoder({ version })
    d.push(wire.success)
    return next(d)
  }
  const rowsOf = (f: Result.Result<ResponseFrame, unknown>) => {
    if (Result.isFailure(f)) throw f.failure
    const r = f.success.response
    if (r._tag !== "Result" || r.result.kind !== "Rows") throw new Error("expected rows")
    return r.result
  }

  it("a cursor decodes the same rows as an eager decode, a few at a time, from its own copy of the bytes", () => {
    for (const version of [4, 5] as const) {
      const env = page(version, 300)
      const eager = rowsOf(decodeResponse(env))
      const mine = { ...env, body: new Uint8Array(env.body) }
      const lazy = rowsOf(decodeResponse(mine, { lazyRows: true }))
      expect(lazy.rows).toEqual([])
      const cursor = lazy.cursor!
      expect(cursor.count).toBe(300)
      // the body can go: the cursor copied the rows' bytes
      ;(mine.body.buffer as ArrayBuffer & { transfer: (n: number) => ArrayBuffer }).transfer(0)
      const got: Array<unknown> = []
      for (const n of [1, 64, 100, 1000]) {
        const r = cursor.next(n)
        if (Result.isFailure(r)) throw r.failure
        got.push(...r.success)
      }
      expect(cursor.remaining).toBe(0)
      expect(got).toEqual(eager.rows)
      const after = cursor.next(10)
      expect(Result.isSuccess(after) && after.success).toEqual([])
    }
  })

  it("no rows: no cursor; a lying row count fails before anything is allocated", () => {
    expect(rowsOf(decodeResponse(page(4, 0), { lazyRows: true })).cursor).toBeUndefined()
    const env = page(4, 3)
    // the same body without rows ends with the row count: claim 2^30 rows there
    const countAt = page(4, 0).body.length - 4
    const body = new Uint8Array(env.body)
    new DataView(body.buffer).setInt32(countAt, 1 << 30)
    const r = decodeResponse({ ...env, body }, { lazyRows: true })
    expect(Result.isFailure(r) && r.failure.message).toMatch(/row count 1073741824/)
  })

  it("a malformed row is a DecodeError when it is reached, and the cursor is done", () => {
    const env = page(4, 200)
    const body = new Uint8Array(env.body)
    // cut the last row short: the rows before it decode, the last one fails
    const cut = { ...env, body: body.subarray(0, body.length - 3) }
    const cursor = rowsOf(decodeResponse(cut, { lazyRows: true })).cursor!
    const first = cursor.next(150)
    expect(Result.isSuccess(first) && first.success.length).toBe(150)
    const rest = cursor.next(100)
    expect(Result.isFailure(rest)).toBe(true)
    expect(cursor.remaining).toBe(0)
  })
})
