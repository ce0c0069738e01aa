import { describe, expect, it } from "vitest"
import * as Result from "effect/Result"
import { crc24, crc32 } from "../src/frame/Crc.ts"
import { FrameDecoder } from "../src/frame/FrameDecoder.ts"
import { FrameEncoder } from "../src/frame/FrameEncoder.ts"
import { MAX_SEGMENT_PAYLOAD } from "../src/frame/Segment.ts"
import { Opcode, type Request } from "../src/Messages.ts"
import { bytes, envelope, hex, int, toHex } from "./fixtures/bytes.ts"
import { drain, feed, prng } from "./fixtures/streams.ts"

interface SegmentInfo {
  payloadLength: number
  uncompressedLength: number
  selfContained: boolean
  payload: Uint8Array
}

/** Walks segments independently of the decoder (LE headers, CRCs checked). */
const segments = (b: Uint8Array, lz4: boolean): Array<SegmentInfo> => {
  const out: Array<SegmentInfo> = []
  let p = 0
  while (p < b.length) {
    const hl = lz4 ? 5 : 3
    let v = 0
    for (let i = hl - 1; i >= 0; i--) v = v * 256 + b[p + i]!
    const crc = b[p + hl]! | (b[p + hl + 1]! << 8) | (b[p + hl + 2]! << 16)
    expect(crc).toBe(crc24(b, p, hl))
    const payloadLength = v % 2 ** 17
    const uncompressedLength = lz4 ? Math.floor(v / 2 ** 17) % 2 ** 17 : 0
    const selfContained = Math.floor(v / 2 ** (lz4 ? 34 : 17)) % 2 === 1
    const payload = b.subarray(p + hl + 3, p + hl + 3 + payloadLength)
    const t = p + hl + 3 + payloadLength
    expect(((b[t]! | (b[t + 1]! << 8) | (b[t + 2]! << 16) | (b[t + 3]! << 24)) >>> 0)).toBe(crc32(payload))
    out.push({ payloadLength, uncompressedLength, selfContained, payload })
    p = t + 4
  }
  return out
}

/** An uncompressed v5 segment around `payload`, with valid checksums. */
const seg = (payload: Uint8Array, sc: boolean) => {
  const h = new Uint8Array(3)
  const v = payload.length | (sc ? 1 << 17 : 0)
  h[0] = v & 0xff
  h[1] = (v >> 8) & 0xff
  h[2] = v >> 16
  const c = crc24(h, 0, 3)
  const t = crc32(payload)
  return bytes(h, [c & 0xff, (c >> 8) & 0xff, c >> 16], payload, [t & 0xff, (t >>> 8) & 0xff, (t >>> 16) & 0xff, t >>> 24])
}

const query = (n: number, fill = "x"): Request => ({ _tag: "Query", query: fill.repeat(n), params: { consistency: 1 } })
const randomQuery = (n: number, seed: number): Request => {
  const rnd = prng(seed)
  let s = ""
  for (let i = 0; i < n; i++) s += String.fromCharCode(33 + Math.floor(rnd() * 90))
  return { _tag: "Query", query: s, params: { consistency: 1 } }
}

describe("v5 segments: checksums", () => {
  it("CRC24 (init 0x875060, poly 0x1974F0B, LSB first) and primed CRC32 match the OPTIONS vector", () => {
    expect(crc24(hex("090002"), 0, 3)).toBe(0xc1c8a4)
    expect(crc32(hex("050000010500000000"))).toBe(0x867455b5)
  })

  it("OPTIONS in v5 framing = 09 00 02 a4 c8 c1 05 00 00 01 05 00 00 00 00 b5 55 74 86", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming()
    enc.encode(1, { _tag: "Options" })
    expect(toHex(enc.takeBatch()!)).toBe("090002a4c8c1050000010500000000b5557486")
  })
})

describe("v5 segments: encoder", () => {
  it("puts several envelopes in one self-contained segment", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming()
    enc.encode(1, { _tag: "Options" })
    enc.encode(2, query(10))
    enc.encode(3, { _tag: "Options" })
    const segs = segments(enc.takeBatch()!, false)
    expect(segs.length).toBe(1)
    expect(segs[0]!.selfContained).toBe(true)
    expect(segs[0]!.payloadLength).toBe(9 + (9 + 4 + 10 + 2 + 4) + 9)
  })

  it("starts a new self-contained segment when the next envelope would not fit, never splitting one", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming()
    for (let i = 0; i < 10; i++) enc.encode(i, query(30000))
    const segs = segments(enc.takeBatch()!, false)
    const envLength = 9 + 4 + 30000 + 2 + 4
    expect(segs.map((s) => s.payloadLength)).toEqual([4 * envLength, 4 * envLength, 2 * envLength])
    expect(segs.every((s) => s.selfContained && s.payloadLength <= MAX_SEGMENT_PAYLOAD)).toBe(true)
  })

  it("splits a large envelope into non-self-contained segments of its own", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming()
    enc.encode(1, { _tag: "Options" })
    enc.encode(2, query(300000))
    enc.encode(3, { _tag: "Options" })
    const segs = segments(enc.takeBatch()!, false)
    const envLength = 9 + 4 + 300000 + 2 + 4
    expect(segs.map((s) => [s.payloadLength, s.selfContained])).toEqual([
      [9, true],
      [MAX_SEGMENT_PAYLOAD, false],
      [MAX_SEGMENT_PAYLOAD, false],
      [envLength - 2 * MAX_SEGMENT_PAYLOAD, false],
      [9, true]
    ])
  })

  it("LZ4 segments: compressed payload with its uncompressed length, or stored (length 0) when it would not shrink", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming({ compression: "lz4" })
    enc.encode(1, query(5000, "ab"))
    const [s] = segments(enc.takeBatch()!, true)
    expect(s!.uncompressedLength).toBe(9 + 4 + 10000 + 2 + 4)
    expect(s!.payloadLength).toBeLessThan(200)
    expect(s!.selfContained).toBe(true)
    enc.encode(2, randomQuery(3000, 7))
    const [r] = segments(enc.takeBatch()!, true)
    expect(r!.uncompressedLength).toBe(0)
    expect(r!.payloadLength).toBe(9 + 4 + 3000 + 2 + 4)
  })

  it("frames only what is encoded after enableFraming (STARTUP queued before goes unframed)", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.encode(0, { _tag: "Startup", options: { CQL_VERSION: "3.0.0" } })
    enc.enableFraming()
    enc.encode(1, { _tag: "Options" })
    const out = enc.takeBatch()!
    const startupLength = 9 + 2 + 2 + 11 + 2 + 5
    expect(out[0]).toBe(5)
    expect(toHex(out.subarray(startupLength))).toBe("090002a4c8c1050000010500000000b5557486")
  })
})

describe("v5 segments: decoder", () => {
  const build = (lz4: boolean) => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming(lz4 ? { compression: "lz4" } : undefined)
    enc.encode(1, { _tag: "Options" })
    enc.encode(2, query(200000, "abc"))
    enc.encode(3, randomQuery(1000, 3))
    for (let i = 0; i < 5; i++) enc.encode(10 + i, query(40000, "q"))
    enc.encode(4, randomQuery(150000, 4))
    return enc.takeBatch()!
  }
  const decodeWith = (lz4: boolean, b: Uint8Array, sizes: Array<number>) => {
    const d = new FrameDecoder({ version: 5 })
    d.enableFraming(lz4 ? { compression: "lz4" } : undefined)
    return feed(d, b, sizes)
  }

  for (const lz4 of [false, true]) {
    it(`${lz4 ? "LZ4" : "uncompressed"}: same envelopes whatever the chunking (1 byte, random, whole)`, () => {
      const b = build(lz4)
      const whole = decodeWith(lz4, b, [b.length])
      expect(whole.map((e) => e.stream)).toEqual([1, 2, 3, 10, 11, 12, 13, 14, 4])
      expect(whole[1]!.body.length / 2).toBe(4 + 600000 + 2 + 4) // v5 flags are an [int]
      const rnd = prng(lz4 ? 1 : 2)
      for (let t = 0; t < 30; t++) {
        const sizes = Array.from({ length: 30 }, () => 1 + Math.floor(rnd() * 20000))
        expect(decodeWith(lz4, b, sizes)).toEqual(whole)
      }
      expect(decodeWith(lz4, b, [1])).toEqual(whole)
    })
  }

  it("every split point of a small framed stream", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming()
    enc.encode(1, { _tag: "Options" })
    enc.encode(2, query(20))
    const b1 = enc.takeBatch()!
    enc.encode(3, { _tag: "Options" })
    const b = bytes(b1, enc.takeBatch()!)
    const whole = decodeWith(false, b, [b.length])
    expect(whole.length).toBe(3)
    for (let cut = 1; cut < b.length; cut++) expect(decodeWith(false, b, [cut, b.length])).toEqual(whole)
  })

  it("switches to segments right after READY, with the framed bytes already in the same chunk", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming()
    enc.encodeResponse(1, { _tag: "Result", result: { kind: "Void" } })
    const framed = enc.takeBatch()!
    const d = new FrameDecoder({ version: 5 })
    d.push(bytes(envelope(0x85, 0, 0, Opcode.READY, new Uint8Array(0)), framed))
    const r = d.next()
    expect(Result.isSuccess(r) && r.success?.opcode).toBe(Opcode.READY)
    d.enableFraming()
    expect(drain(d)).toEqual([{ version: 5, response: true, flags: 0, stream: 1, opcode: Opcode.RESULT, body: "00000001" }])
  })

  it("a corrupted header CRC24, payload CRC32 or LZ4 block is a DecodeError", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming({ compression: "lz4" })
    enc.encode(1, query(3000, "ab"))
    const good = enc.takeBatch()!
    for (const at of [0, 2, 5, 7, 10, good.length - 6, good.length - 1]) {
      const bad = good.slice()
      bad[at]! ^= 0x10
      const d = new FrameDecoder({ version: 5 })
      d.enableFraming({ compression: "lz4" })
      d.push(bad)
      const r = d.next()
      expect(Result.isFailure(r)).toBe(true)
    }
  })

  it("a self-contained segment while an envelope is incomplete is a DecodeError", () => {
    // one self-contained segment holding half an envelope, then another self-contained segment
    const env = envelope(0x85, 0, 1, Opcode.RESULT, int(1))
    const d = new FrameDecoder({ version: 5 })
    d.enableFraming()
    d.push(bytes(seg(env.subarray(0, 5), true), seg(env.subarray(5), true)))
    expect(Result.isFailure(d.next())).toBe(true)
    // the same halves as non-self-contained segments are fine
    const ok = new FrameDecoder({ version: 5 })
    ok.enableFraming()
    ok.push(bytes(seg(env.subarray(0, 5), false), seg(env.subarray(5), false)))
    expect(drain(ok).length).toBe(1)
  })
  it("a self-contained segment must hold whole envelopes; envelopes inside segments must be v5", () => {
    const env = envelope(0x85, 0, 1, Opcode.RESULT, int(1))
    const fail = (b: Uint8Array) => {
      const d = new FrameDecoder({ version: 5 })
      d.enableFraming()
      d.push(b)
      const r = d.next()
      return Result.isFailure(r) ? r.failure.message : "decoded"
    }
    expect(fail(seg(bytes(env, env.subarray(0, 12)), true))).toMatch(/ends inside an envelope body/)
    expect(fail(seg(bytes(env, env.subarray(0, 4)), true))).toMatch(/ends inside an envelope header/)
    expect(fail(seg(bytes(env, env), true))).toBe("decoded")
    expect(fail(seg(envelope(0x84, 0, 1, Opcode.RESULT, int(1)), true))).toMatch(/protocol version 4 in an envelope inside a v5 segment/)
  })
})
