import { describe, expect, it } from "vitest"
import * as Result from "effect/Result"
import { compressSync as lz4Compress } from "lz4-napi"
import { compressSync as snappyCompress } from "snappy"
import { DecodeError } from "../src/Errors.ts"
import { FrameDecoder } from "../src/frame/FrameDecoder.ts"
import { FrameEncoder } from "../src/frame/FrameEncoder.ts"
import { Consistency, Opcode } from "../src/Messages.ts"
import { bytes, envelope, hex, int, lstr, short, toHex } from "./fixtures/bytes.ts"
import { drain, feed, prng } from "./fixtures/streams.ts"

const ready = (stream: number) => envelope(0x84, 0, stream, Opcode.READY, new Uint8Array(0))
const voidResult = (stream: number) => envelope(0x84, 0, stream, Opcode.RESULT, int(1))
const event = envelope(0x84, 0, -1, Opcode.EVENT, bytes("000d", Buffer.from("STATUS_CHANGE"), "0002", Buffer.from("UP"), "04 7f000001 00002352"))
const big = (stream: number, n: number) => {
  const body = new Uint8Array(n)
  for (let i = 0; i < n; i++) body[i] = (i * 7) & 0xff
  return envelope(0x84, 0, stream, Opcode.RESULT, body)
}

const stream = bytes(ready(0), voidResult(1), event, big(2, 5000), ready(32767), voidResult(3))

describe("FrameDecoder: envelopes", () => {
  it("reads the 9-byte header: version, response bit, flags, signed stream, opcode, length", () => {
    const d = new FrameDecoder({ version: 4 })
    d.push(bytes(event, voidResult(32767)))
    const out = drain(d)
    expect(out).toEqual([
      { version: 4, response: true, flags: 0, stream: -1, opcode: Opcode.EVENT, body: toHex(event.subarray(9)) },
      { version: 4, response: true, flags: 0, stream: 32767, opcode: Opcode.RESULT, body: "00000001" }
    ])
  })

  it("returns undefined until an envelope is complete, and bodies are views of a single chunk", () => {
    const d = new FrameDecoder({ version: 4 })
    const chunk = voidResult(7)
    d.push(chunk.subarray(0, 12))
    const r0 = d.next()
    expect(Result.isSuccess(r0) && r0.success === undefined).toBe(true)
    const d2 = new FrameDecoder({ version: 4 })
    d2.push(chunk)
    const r = d2.next()
    if (!Result.isSuccess(r) || r.success === undefined) throw new Error("expected an envelope")
    expect(r.success.body.buffer).toBe(chunk.buffer)
    expect(d2.buffered).toBe(0)
  })

  it("gives identical envelopes whatever the chunking: every split point, 1 byte at a time, random sizes", () => {
    const whole = (() => {
      const d = new FrameDecoder({ version: 4 })
      d.push(stream)
      return drain(d)
    })()
    expect(whole.length).toBe(6)
    for (let cut = 1; cut < stream.length; cut++) {
      const d = new FrameDecoder({ version: 4 })
      expect(feed(d, stream, [cut, stream.length])).toEqual(whole)
    }
    expect(feed(new FrameDecoder({ version: 4 }), stream, [1])).toEqual(whole)
    const rnd = prng(42)
    for (let t = 0; t < 200; t++) {
      const sizes = Array.from({ length: 20 }, () => 1 + Math.floor(rnd() * 700))
      expect(feed(new FrameDecoder({ version: 4 }), stream, sizes)).toEqual(whole)
    }
  })

  it("refuses a lying length before allocating: above maxFrameSize or negative", () => {
    const d = new FrameDecoder({ version: 4 })
    d.push(hex("84 00 0001 08 7fffffff"))
    const r = d.next()
    expect(Result.isFailure(r) && r.failure instanceof DecodeError).toBe(true)
    const small = new FrameDecoder({ version: 4, maxFrameSize: 1024 })
    small.push(hex("84 00 0001 08 00000401"))
    expect(Result.isFailure(small.next())).toBe(true)
    const neg = new FrameDecoder({ version: 4 })
    neg.push(hex("84 00 0001 08 ffffffff"))
    expect(Result.isFailure(neg.next())).toBe(true)
  })

  it("a stream id below -1 is a DecodeError (ids are 0..32767, -1 for events)", () => {
    const d = new FrameDecoder({ version: 4 })
    d.push(envelope(0x84, 0, -2, Opcode.RESULT, int(1)))
    const r = d.next()
    expect(Result.isFailure(r) && r.failure.message).toMatch(/stream id -2/)
  })

  it("errors are sticky", () => {
    const d = new FrameDecoder({ version: 4 })
    d.push(hex("82 00 0001 08 00000000"))
    const r1 = d.next()
    expect(Result.isFailure(r1)).toBe(true)
    if (Result.isFailure(r1)) expect(r1.failure.message).toMatch(/protocol version 2/)
    d.push(ready(1))
    expect(Result.isFailure(d.next())).toBe(true)
  })

  it("reports envelopes of another version (a server downgrading) as they are", () => {
    const d = new FrameDecoder({ version: 5 })
    d.push(envelope(0x84, 0, 0, Opcode.ERROR, bytes(int(0x000a), short(3), Buffer.from("bad"))))
    expect(drain(d)[0]!.version).toBe(4)
  })
})

describe("FrameDecoder/FrameEncoder: v3/v4 body compression", () => {
  const query = { _tag: "Query", query: "SELECT * FROM t WHERE k = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'", params: { consistency: Consistency.ONE } } as const

  for (const algorithm of ["lz4", "snappy"] as const) {
    it(`${algorithm}: compressed requests decode to the same body`, () => {
      const plainEnc = new FrameEncoder({ version: 4 })
      plainEnc.encode(1, query)
      const plainBytes = plainEnc.takeBatch()!
      const enc = new FrameEncoder({ version: 4, compressionThreshold: 0 })
      enc.setCompression(algorithm)
      enc.encode(1, query)
      const c = enc.takeBatch()!
      expect(c[1]! & 0x01).toBe(1)
      expect(c.length).toBeLessThan(plainBytes.length)
      const body = c.subarray(9)
      if (algorithm === "lz4") {
        // Cassandra's format: big-endian uncompressed length first
        expect(new DataView(body.buffer, body.byteOffset).getInt32(0)).toBe(plainBytes.length - 9)
      }
      const d = new FrameDecoder({ version: 4 })
      d.setCompression(algorithm)
      d.push(c)
      const [env] = drain(d)
      expect(env!.body).toBe(toHex(plainBytes.subarray(9)))
    })
  }

  it("decodes Cassandra-style LZ4 and Snappy bodies built by the libraries directly", () => {
    const body = bytes(int(1))
    const lz = lz4Compress(Buffer.from(body))
    lz.writeUInt32BE(body.length, 0)
    const d = new FrameDecoder({ version: 4 })
    d.setCompression("lz4")
    d.push(envelope(0x84, 0x01, 1, Opcode.RESULT, lz))
    expect(drain(d)[0]!.body).toBe("00000001")
    const d2 = new FrameDecoder({ version: 3 })
    d2.setCompression("snappy")
    d2.push(envelope(0x83, 0x01, 1, Opcode.RESULT, snappyCompress(Buffer.from(body))))
    expect(drain(d2)[0]!.body).toBe("00000001")
  })

  it("bodies under the threshold (default 512 B) go uncompressed", () => {
    const enc = new FrameEncoder({ version: 4 })
    enc.setCompression("lz4")
    enc.encode(1, query)
    enc.encode(2, { ...query, query: query.query.repeat(10) })
    const d = new FrameDecoder({ version: 4 })
    d.setCompression("lz4")
    d.push(enc.takeBatch()!)
    expect(drain(d).map((e) => e.flags)).toEqual([0, 1])
  })

  it("never compresses STARTUP, and leaves a body that would not shrink uncompressed", () => {
    const enc = new FrameEncoder({ version: 4, compressionThreshold: 0 })
    enc.setCompression("lz4")
    enc.encode(0, { _tag: "Startup", options: { CQL_VERSION: "3.0.0", COMPRESSION: "lz4" } })
    enc.encode(1, { _tag: "Options" })
    const out = enc.takeBatch()!
    expect(out[1]).toBe(0)
    const d = new FrameDecoder({ version: 4 })
    d.push(out)
    const envs = drain(d)
    expect(envs.map((e) => e.flags)).toEqual([0, 0])
  })

  it("a compressed envelope without negotiated compression, or a lying LZ4 length, is a DecodeError", () => {
    const d = new FrameDecoder({ version: 4 })
    d.push(envelope(0x84, 0x01, 1, Opcode.RESULT, hex("00000004 40 00000001")))
    expect(Result.isFailure(d.next())).toBe(true)
    const lying = new FrameDecoder({ version: 4 })
    lying.setCompression("lz4")
    lying.push(envelope(0x84, 0x01, 1, Opcode.RESULT, hex("7fffffff 40 00000001")))
    const t0 = performance.now()
    expect(Result.isFailure(lying.next())).toBe(true)
    expect(performance.now() - t0).toBeLessThan(50)
    const wrong = new FrameDecoder({ version: 4 })
    wrong.setCompression("lz4")
    wrong.push(envelope(0x84, 0x01, 1, Opcode.RESULT, hex("00000010 40 00000001")))
    expect(Result.isFailure(wrong.next())).toBe(true)
  })

  it("v5 ignores the deprecated compression flag", () => {
    const d = new FrameDecoder({ version: 5 })
    d.setCompression("lz4")
    d.push(envelope(0x85, 0x01, 1, Opcode.RESULT, int(1)))
    expect(drain(d)[0]!.body).toBe("00000001")
  })
})

describe("FrameEncoder: batches", () => {
  it("appends requests back to back and hands out one fresh buffer per batch", () => {
    const enc = new FrameEncoder({ version: 4, initialCapacity: 16 })
    expect(enc.takeBatch()).toBeUndefined()
    enc.encode(1, { _tag: "Options" })
    enc.encode(2, { _tag: "Query", query: "SELECT 1", params: { consistency: 1 } })
    expect(enc.pendingCount).toBe(2)
    const first = enc.takeBatch()!
    const copy = first.slice()
    enc.encode(3, { _tag: "Query", query: "SELECT 2222222222222222222222222222", params: { consistency: 1 } })
    const second = enc.takeBatch()!
    expect(toHex(first)).toBe(toHex(copy))
    expect(toHex(first)).toBe(toHex(bytes("04 00 0001 05 00000000", "04 00 0002 07", int(4 + 8 + 3), lstr("SELECT 1"), "0001 00")))
    expect(second.length).toBeGreaterThan(0)
  })

  it("rolls back a failed request: nothing of it is sent", () => {
    for (const framing of [false, true]) {
      const enc = new FrameEncoder({ version: 5 })
      if (framing) enc.enableFraming()
      enc.encode(1, { _tag: "Options" })
      const bad = enc.encode(2, {
        _tag: "Query",
        query: "INSERT",
        params: { consistency: 1, values: { values: [1, "x"], types: [{ kind: "int" }, { kind: "int" }] } }
      })
      expect(Result.isFailure(bad)).toBe(true)
      if (Result.isFailure(bad)) expect(bad.failure.path).toBe("values[1]")
      enc.encode(3, { _tag: "Options" })
      const d = new FrameDecoder({ version: 5 })
      if (framing) d.enableFraming()
      d.push(enc.takeBatch()!)
      expect(drain(d).map((e) => e.stream)).toEqual([1, 3])
    }
  })

  it("stream ids: 0..32767 for requests", () => {
    const enc = new FrameEncoder({ version: 4 })
    for (const s of [-1, 32768, 1.5, Number.NaN]) expect(Result.isFailure(enc.encode(s, { _tag: "Options" }))).toBe(true)
    expect(Result.isSuccess(enc.encode(32767, { _tag: "Options" }))).toBe(true)
    expect(enc.pendingCount).toBe(1)
  })

  it("refuses a body above maxFrameSize", () => {
    const enc = new FrameEncoder({ version: 4, maxFrameSize: 100 })
    expect(Result.isFailure(enc.encode(1, { _tag: "Query", query: "x".repeat(200), params: { consistency: 1 } }))).toBe(true)
    expect(enc.pendingBytes).toBe(0)
  })
})
