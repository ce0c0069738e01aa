/**
 * Fuzzing of the decoding side: random, truncated, bit-flipped and length-lied envelopes and v5
 * segments through FrameDecoder + decodeResponse (and decodeRequest), for v3/v4/v5, framing on/off,
 * compression on/off. Every input must give decoded messages or a DecodeError: nothing may throw,
 * hang, or fail with an unexpected (non-DecodeError) exception, which the decoders would wrap as
 * "unexpected ...": those count as failures too.
 *
 * Deterministic: seed FUZZ_SEED (default below), total FUZZ_ITERATIONS (default 1,000,000) split over
 * the modes. A failure prints the seed, mode and iteration with the input bytes, so it replays.
 */
import { describe, expect, it } from "vitest"
import * as Result from "effect/Result"
import type { DecodeError } from "../src/Errors.ts"
import { compressBody } from "../src/frame/Compression.ts"
import { crc24, crc32 } from "../src/frame/Crc.ts"
import { decodeRequest, decodeResponse } from "../src/frame/FrameCodec.ts"
import { FrameDecoder } from "../src/frame/FrameDecoder.ts"
import { FrameEncoder } from "../src/frame/FrameEncoder.ts"
import { frameSegments } from "../src/frame/Segment.ts"
import type { ProtocolVersion } from "../src/Messages.ts"
import { requests, responses, wideColumns } from "./fixtures/corpus.ts"
import { toHex } from "./fixtures/bytes.ts"
import { prng } from "./fixtures/streams.ts"

const SEED = process.env["FUZZ_SEED"] !== undefined ? Number(process.env["FUZZ_SEED"]) : 0x5eed2025
const TOTAL = process.env["FUZZ_ITERATIONS"] !== undefined ? Number(process.env["FUZZ_ITERATIONS"]) : 1_000_000

interface Mode {
  readonly name: string
  readonly version: ProtocolVersion
  readonly body?: "lz4" | "snappy"
  readonly framing?: "none" | "lz4"
}

const MODES: ReadonlyArray<Mode> = [
  { name: "v3", version: 3 },
  { name: "v3 snappy", version: 3, body: "snappy" },
  { name: "v4", version: 4 },
  { name: "v4 lz4", version: 4, body: "lz4" },
  { name: "v4 snappy", version: 4, body: "snappy" },
  { name: "v5 unframed", version: 5 },
  { name: "v5 framed", version: 5, framing: "none" },
  { name: "v5 framed lz4", version: 5, framing: "lz4" }
]

/** Envelopes (unframed, uncompressed) of every response kind, with and without body prefixes. */
const seeds = (mode: Mode): { responses: Array<Uint8Array>; requests: Array<Uint8Array> } => {
  const enc = new FrameEncoder({ version: mode.version })
  const res: Array<Uint8Array> = []
  let stream = 0
  for (const r of responses(mode.version)) {
    const opts = mode.version >= 4 && stream % 3 === 0
      ? { tracingId: "0e33d4d0-5f4b-11ef-8a9f-1b2c3d4e5f60", warnings: ["w"], customPayload: new Map([["k", Uint8Array.from([1])]]) }
      : stream % 3 === 1
      ? { tracingId: "0e33d4d0-5f4b-11ef-8a9f-1b2c3d4e5f60" }
      : undefined
    const e = enc.encodeResponse(r._tag === "Event" ? -1 : stream++, r, opts)
    if (Result.isFailure(e)) throw e.failure
    res.push(enc.takeBatch()!)
  }
  const req: Array<Uint8Array> = []
  for (const r of requests(mode.version)) {
    const e = enc.encode(stream++ & 0x7fff, r, mode.version >= 4 ? { tracing: true, customPayload: new Map([["p", null]]) } : undefined)
    if (Result.isFailure(e)) throw e.failure
    req.push(enc.takeBatch()!)
  }
  return { responses: res, requests: req }
}

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x1ffff, 0x20000, 0x7fffffff, -1, -2, -3, 0x80000000 | 0, 0x40000000, 1 << 24]

class Fuzzer {
  readonly rnd: () => number
  constructor(seed: number) {
    this.rnd = prng(seed)
  }
  int(n: number): number {
    return Math.floor(this.rnd() * n)
  }
  pick<A>(xs: ReadonlyArray<A>): A {
    return xs[this.int(xs.length)]!
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }

  /** One mutation of a well-formed envelope (or a concatenation of them). */
  mutate(env: Uint8Array): Uint8Array {
    const b = new Uint8Array(env)
    switch (this.int(9)) {
      case 0: // untouched
        return b
      case 1: // truncated
        return b.subarray(0, this.int(b.length))
      case 2: { // bit flips
        const n = 1 + this.int(4)
        for (let i = 0; i < n; i++) b[this.int(b.length)]! ^= 1 << this.int(8)
        return b
      }
      case 3: { // the envelope length lies
        if (b.length < 9) return b
        const dv = new DataView(b.buffer, b.byteOffset, b.length)
        const len = b.length - 9
        dv.setInt32(5, this.pick([0, len - 1, len + 1, len * 2, this.int(0x7fffffff), -1 - this.int(100), 0x7fffffff, 0x10000000]))
        return b
      }
      case 4: { // a count or length inside the body lies
        if (b.length <= 13) return b
        const at = 9 + this.int(b.length - 12)
        const v = this.pick(INTERESTING)
        if (this.int(2) === 0) new DataView(b.buffer, b.byteOffset).setInt32(at, v)
        else new DataView(b.buffer, b.byteOffset).setUint16(at, v & 0xffff)
        return b
      }
      case 5: { // a random run of bytes overwritten
        const at = this.int(b.length)
        const n = Math.min(b.length - at, 1 + this.int(16))
        b.set(this.bytes(n), at)
        return b
      }
      case 6: { // bytes inserted or removed in the body (length kept: misaligned fields)
        if (b.length <= 10) return b
        const at = 9 + this.int(b.length - 9)
        const n = 1 + this.int(8)
        if (this.int(2) === 0) return concat(b.subarray(0, at), this.bytes(n), b.subarray(at))
        return concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + n)))
      }
      case 7: { // a random header in front of random bytes
        const body = this.bytes(this.int(64))
        const h = new Uint8Array(9)
        h[0] = this.pick([0x83, 0x84, 0x85, 0x03, 0x04, 0x05, 0x82, 0x86, this.int(256)])
        h[1] = this.int(32)
        h[2] = this.int(256)
        h[3] = this.int(256)
        h[4] = this.pick([0, 2, 3, 6, 8, 12, 14, 16, this.int(256)])
        new DataView(h.buffer).setInt32(5, this.int(3) === 0 ? this.int(0x7fffffff) : body.length)
        return concat(h, body)
      }
      default: // plain garbage
        return this.bytes(this.int(80))
    }
  }
}

const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Compresses the body of a (possibly mutated) v3/v4 envelope, as a peer would. */
const compressEnvelope = (env: Uint8Array, algorithm: "lz4" | "snappy"): Uint8Array => {
  if (env.length <= 9) return env
  const c = compressBody(algorithm, env.subarray(9))
  if (c === undefined) return env
  const out = concat(env.subarray(0, 9), c)
  out[1]! |= 0x01
  new DataView(out.buffer).setInt32(5, c.length)
  return out
}

/** A segment around `payload` with correct CRCs (its header may still lie if `length` is given). */
const segment = (payload: Uint8Array, selfContained: boolean, length = payload.length): Uint8Array => {
  const v = (length & 0x1ffff) | (selfContained ? 0x20000 : 0)
  const h = Uint8Array.from([v & 0xff, (v >> 8) & 0xff, v >> 16])
  const c = crc24(h, 0, 3)
  const t = crc32(payload)
  return concat(h, Uint8Array.from([c & 0xff, (c >> 8) & 0xff, c >> 16]), payload, Uint8Array.from([t & 0xff, (t >>> 8) & 0xff, (t >>> 16) & 0xff, t >>> 24]))
}

interface Stats {
  iterations: number
  envelopes: number
  decoded: number
  decodeErrors: number
  streamErrors: number
  slowestMs: number
}

const runMode = (mode: Mode, seed: number, iterations: number): Stats => {
  const f = new Fuzzer(seed)
  const corpus = seeds(mode)
  const stats: Stats = { iterations, envelopes: 0, decoded: 0, decodeErrors: 0, streamErrors: 0, slowestMs: 0 }
  const unexpected = (e: DecodeError, input: Uint8Array, i: number) => {
    if (e.message.startsWith("unexpected")) {
      throw new Error(`${mode.name}: ${e.message}\nreplay: FUZZ_SEED=${SEED} mode "${mode.name}" iteration ${i}\ninput: ${toHex(input.subarray(0, 4096))}`)
    }
  }
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now()
    const server = f.int(10) === 0 // 10%: requests through decodeRequest (the mock server side)
    const pool = server ? corpus.requests : corpus.responses
    // 1 to 3 envelopes, each possibly mutated
    const n = 1 + (f.int(4) === 0 ? f.int(3) : 0)
    const envs: Array<Uint8Array> = []
    for (let k = 0; k < n; k++) {
      let e = f.mutate(f.pick(pool))
      if (mode.body !== undefined && f.int(3) !== 0) {
        // compress the (mutated) envelope, then sometimes mutate the compressed bytes too
        e = compressEnvelope(e, mode.body)
        if (f.int(3) === 0) e = f.mutate(e)
      }
      envs.push(e)
    }
    let input: Uint8Array
    if (mode.framing !== undefined) {
      const inner = concat(...envs)
      const how = f.int(6)
      if (how <= 2) {
        // well-formed segments around mutated envelopes (so the mutation reaches the envelope decoder)
        input = frameSegments(inner, 0, [inner.length], 1, mode.framing)
      } else if (how === 3) {
        // a segment whose header lies about its length, with a valid header CRC
        input = mode.framing === "none" ? segment(inner, f.int(2) === 0, f.int(0x20000)) : f.mutate(inner)
      } else if (how === 4) {
        // mutated segment bytes (CRC failures, bad LZ4 blocks)
        input = f.mutate(frameSegments(inner, 0, [inner.length], 1, mode.framing))
      } else {
        // an envelope split across non-self-contained segments, or a self-contained one too early
        const cut = f.int(inner.length + 1)
        input = mode.framing === "none"
          ? concat(segment(inner.subarray(0, cut), f.int(4) === 0), segment(inner.subarray(cut), f.int(2) === 0))
          : frameSegments(inner, 0, [cut, inner.length], 2, mode.framing)
      }
    } else {
      input = concat(...envs)
    }

    const d = new FrameDecoder({ version: mode.version, maxFrameSize: f.int(2) === 0 ? 1 << 20 : undefined })
    if (mode.framing !== undefined) d.enableFraming(mode.framing === "lz4" ? { compression: "lz4" } : undefined)
    if (mode.body !== undefined) d.setCompression(mode.body)
    const ctx = f.int(2) === 0 ? { resultColumns: wideColumns } : undefined
    // pushed in 1 to 3 chunks
    const cuts = [0, f.int(input.length + 1), f.int(input.length + 1), input.length].sort((a, b) => a - b)
    let dead = false
    for (let c = 0; c + 1 < cuts.length && !dead; c++) {
      d.push(input.subarray(cuts[c]!, cuts[c + 1]!))
      for (let guard = 0; guard < 64; guard++) {
        const r = d.next()
        if (Result.isFailure(r)) {
          unexpected(r.failure, input, i)
          stats.streamErrors++
          dead = true
          break
        }
        if (r.success === undefined) break
        stats.envelopes++
        const m: Result.Result<unknown, DecodeError> = server ? decodeRequest(r.success) : decodeResponse(r.success, ctx)
        if (Result.isSuccess(m)) stats.decoded++
        else {
          unexpected(m.failure, input, i)
          stats.decodeErrors++
        }
        if (guard === 63) throw new Error(`${mode.name}: more than 63 envelopes from one input (iteration ${i})`)
      }
    }
    const ms = performance.now() - t0
    if (ms > stats.slowestMs) stats.slowestMs = ms
  }
  return stats
}

describe(`fuzz (FUZZ_SEED=${SEED}, FUZZ_ITERATIONS=${TOTAL})`, () => {
  const per = Math.ceil(TOTAL / MODES.length)
  MODES.forEach((mode, m) => {
    it(`${mode.name}: ${per} inputs decode or fail with a DecodeError`, { timeout: 600_000 }, () => {
      const seed = (SEED ^ Math.imul(m + 1, 0x9e3779b1)) >>> 0
      const t0 = performance.now()
      let stats: Stats
      try {
        stats = runMode(mode, seed, per)
      } catch (e) {
        throw new Error(`fuzz failure with FUZZ_SEED=${SEED} (mode "${mode.name}"): ${e instanceof Error ? e.stack ?? e.message : String(e)}`)
      }
      const s = (performance.now() - t0) / 1000
      console.log(
        `fuzz ${mode.name}: ${stats.iterations} inputs in ${s.toFixed(1)} s (${Math.round(stats.iterations / s)}/s), ` +
          `${stats.envelopes} envelopes, ${stats.decoded} decoded, ${stats.decodeErrors} message errors, ` +
          `${stats.streamErrors} stream errors, slowest input ${stats.slowestMs.toFixed(1)} ms`
      )
      // every kind of outcome happened, and no input took long (no hang, no huge allocation)
      expect(stats.decoded).toBeGreaterThan(0)
      expect(stats.decodeErrors + stats.streamErrors).toBeGreaterThan(0)
      expect(stats.slowestMs).toBeLessThan(2000)
      expect(process.memoryUsage().rss).toBeLessThan(2 * 1024 ** 3)
    })
  })
})
