/**
 * Bodies that lie in one larger buffer (the envelopes of one socket read) are decoded by readers that
 * share that buffer's DataView (`ByteReader.within`): each body decodes to what it decodes to in a
 * buffer of its own, reads stop at its own end (never in the next envelope's bytes), and a
 * DecodeError's offset is counted in the body, whatever buffer the body lies in.
 */
import { describe, expect, it } from "vitest"
import * as Result from "effect/Result"
import { ByteReader } from "../src/Buffers.ts"
import type { CqlType } from "../src/CqlType.ts"
import { DecodeError } from "../src/Errors.ts"
import { decodeResponse, encodeResponse } from "../src/frame/FrameCodec.ts"
import type { RawEnvelope } from "../src/frame/Envelope.ts"
import { FrameDecoder } from "../src/frame/FrameDecoder.ts"
import { RowsFlag } from "../src/frame/Responses.ts"
import { frameSegments } from "../src/frame/Segment.ts"
import type { ColumnSpec, ProtocolVersion, Response } from "../src/Messages.ts"
import { bytes } from "./fixtures/bytes.ts"

const t = (kind: string): CqlType => ({ kind } as CqlType)
const col = (name: string, type: CqlType): ColumnSpec => ({ keyspace: "ks", table: "t", name, type })
const columns: Array<ColumnSpec> = [col("id", t("int")), col("name", t("text")), col("value", t("bigint")), col("d", t("double")), col("f", t("float"))]
const rows = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => ({ id: from + i, name: `row ${from + i}`, value: BigInt(from + i) * 1_000_000_007n, d: (from + i) / 3, f: 0.5 }))
const page = (n: number, from: number): Response => ({
  _tag: "Result",
  result: {
    kind: "Rows",
    metadata: { flags: RowsFlag.GLOBAL_TABLES_SPEC, columnCount: columns.length, columns, pagingState: undefined, newMetadataId: undefined },
    columns,
    rows: rows(n, from)
  }
} as unknown as Response)
const responses: Array<[Response, Parameters<typeof encodeResponse>[3]]> = [
  [page(1, 0), undefined],
  [page(3, 10), { warnings: ["careful"] }],
  [{ _tag: "Result", result: { kind: "SetKeyspace", keyspace: "app" } } as Response, undefined],
  [page(0, 0), { tracingId: "2a1f4c3e-8b7d-4e6a-9c5b-0d1e2f3a4b5c" }],
  [{ _tag: "Error", error: { code: 0x2200, message: "bad" } } as unknown as Response, undefined],
  [page(2, 100), undefined]
]

const encode = (v: ProtocolVersion, stream: number, response: Response, options: Parameters<typeof encodeResponse>[3]): Uint8Array => {
  const r = encodeResponse(v, stream, response, options)
  if (Result.isFailure(r)) throw r.failure
  return r.success
}
const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => bytes(...parts)
const envelopes = (d: FrameDecoder): Array<RawEnvelope> => {
  const out: Array<RawEnvelope> = []
  for (;;) {
    const r = d.next()
    if (Result.isFailure(r)) throw r.failure
    if (r.success === undefined) return out
    out.push(r.success)
  }
}
/** The envelope decoded from a buffer of its own. */
const alone = (env: RawEnvelope) => decodeResponse({ ...env, body: new Uint8Array(env.body) })

describe("ByteReader.within: bodies of one buffer share its view", () => {
  for (const v of [3, 4, 5] as const) {
    it(`v${v}: every envelope of one read decodes as it does in a buffer of its own`, () => {
      // v3 has no warnings
      const parts = responses.map(([r, o], i) => encode(v, i, r, v === 3 && o?.warnings !== undefined ? undefined : o))
      const ends = parts.map((_, i) => parts.slice(0, i + 1).reduce((n, p) => n + p.length, 0))
      const wire = v === 5 ? segmentsOf(concat(parts), ends) : concat(parts)
      for (const chunk of [wire, Buffer.from(wire)]) {
        const d = new FrameDecoder({ version: v })
        if (v === 5) d.enableFraming(undefined)
        d.push(chunk)
        const envs = envelopes(d)
        expect(envs.length).toBe(responses.length)
        for (const [i, env] of envs.entries()) {
          const shared = decodeResponse(env)
          expect(Result.isSuccess(shared)).toBe(true)
          expect(shared).toEqual(alone(env))
          expect(Result.isSuccess(shared) && shared.success.stream).toBe(i)
        }
      }
    })
  }

  it("a body cut short fails at its own end, not in the next envelope's bytes, with the offset counted in the body", () => {
    const full = encode(4, 1, page(4, 0), undefined)
    const d = new FrameDecoder({ version: 4 })
    d.push(full)
    const env = envelopes(d)[0]!
    // the same body less its last 3 bytes, followed in its buffer by bytes that would complete it
    const cut = env.body.length - 3
    const buffer = concat([new Uint8Array(50).fill(7), env.body, new Uint8Array(50)])
    const inside = { ...env, body: buffer.subarray(50, 50 + cut) }
    const own = { ...env, body: env.body.slice(0, cut) }
    const a = decodeResponse(inside)
    const b = decodeResponse(own)
    expect(Result.isFailure(a) && Result.isFailure(b)).toBe(true)
    const ea = (a as Result.Failure<never, DecodeError>).failure
    const eb = (b as Result.Failure<never, DecodeError>).failure
    expect(ea).toBeInstanceOf(DecodeError)
    expect({ message: ea.message, offset: ea.offset }).toEqual({ message: eb.message, offset: eb.offset })
    expect(ea.offset).toBeGreaterThan(0)
    expect(ea.offset).toBeLessThanOrEqual(cut)
  })

  it("positions are in the buffer; a body that is its buffer, or a Node Buffer's, reads through a plain Uint8Array", () => {
    const buffer = Uint8Array.of(9, 9, 0, 0, 0, 42, 9)
    const r = ByteReader.within(buffer.subarray(2, 6))
    expect([r.pos, r.end, r.buf.length]).toEqual([2, 6, 7])
    expect(r.readInt()).toBe(42)
    expect(() => r.readByte()).toThrow(DecodeError)
    const own = ByteReader.within(Uint8Array.of(0, 0, 0, 7))
    expect([own.pos, own.end, own.readInt()]).toEqual([0, 4, 7])
    const node = ByteReader.within(Buffer.from([0, 0, 0, 5]))
    expect(node.buf.constructor).toBe(Uint8Array)
    expect(node.readInt()).toBe(5)
  })
})

/** v5: the envelopes in uncompressed self-contained segments, as a node sends them. */
const segmentsOf = (payload: Uint8Array, ends: ReadonlyArray<number>): Uint8Array => frameSegments(payload, 0, ends, ends.length, "none")
