import { describe, expect, it } from "vitest"
import * as Result from "effect/Result"
import { EncodeError } from "../src/Errors.ts"
import { decodeRequest, encodeRequest, type RequestFrame } from "../src/frame/FrameCodec.ts"
import { FrameDecoder } from "../src/frame/FrameDecoder.ts"
import { Consistency, type ProtocolVersion, type Request, UNSET } from "../src/Messages.ts"
import { blob, bytes, envelope, int, long, lstr, sblob, short, str, strList, strMap, toHex } from "./fixtures/bytes.ts"

const enc = (v: ProtocolVersion, stream: number, req: Request, opts?: Parameters<typeof encodeRequest>[3]) => {
  const r = encodeRequest(v, stream, req, opts)
  if (Result.isFailure(r)) throw r.failure
  return r.success
}
const encErr = (v: ProtocolVersion, req: Request, opts?: Parameters<typeof encodeRequest>[3]): EncodeError => {
  const r = encodeRequest(v, 1, req, opts)
  if (Result.isSuccess(r)) throw new Error("expected an EncodeError")
  expect(r.failure).toBeInstanceOf(EncodeError)
  return r.failure
}
const dec = (b: Uint8Array): RequestFrame => {
  const d = new FrameDecoder({ version: 5 })
  d.push(b)
  const e = d.next()
  if (Result.isFailure(e) || e.success === undefined) throw new Error("no envelope")
  const r = decodeRequest(e.success)
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

const VERSIONS = [3, 4, 5] as const
const id = Uint8Array.from([0xde, 0xad, 0xbe, 0xef])
const rmid = Uint8Array.from([0x01, 0x02])
const i32 = (n: number) => bytes(int(4), int(n))
const txt = (s: string) => blob(new TextEncoder().encode(s))
/** <flags>: [byte] on v3/v4, [int] on v5 */
const flags = (v: ProtocolVersion, f: number) => (v >= 5 ? int(f) : new Uint8Array([f]))

describe("requests: golden bytes per version", () => {
  for (const v of VERSIONS) {
    describe(`v${v}`, () => {
      it("STARTUP: [string map]", () => {
        expect(toHex(enc(v, 0, { _tag: "Startup", options: { CQL_VERSION: "3.0.0", COMPRESSION: "lz4" } }))).toBe(
          toHex(envelope(v, 0, 0, 0x01, strMap({ CQL_VERSION: "3.0.0", COMPRESSION: "lz4" })))
        )
      })

      it("OPTIONS: empty body", () => {
        expect(toHex(enc(v, 3, { _tag: "Options" }))).toBe(toHex(envelope(v, 0, 3, 0x05, new Uint8Array(0))))
      })

      it("QUERY without parameters", () => {
        const b = enc(v, 1, { _tag: "Query", query: "SELECT * FROM system.local", params: { consistency: Consistency.ONE } })
        expect(toHex(b)).toBe(toHex(envelope(v, 0, 1, 0x07, bytes(lstr("SELECT * FROM system.local"), short(1), flags(v, 0)))))
      })

      it("QUERY with values, skip metadata, page size, paging state, serial consistency, timestamp", () => {
        const b = enc(v, 2, {
          _tag: "Query",
          query: "SELECT ?",
          params: {
            consistency: Consistency.LOCAL_QUORUM,
            values: { values: [7, "é", null], types: [{ kind: "int" }, { kind: "text" }, { kind: "int" }] },
            skipMetadata: true,
            pageSize: 100,
            pagingState: Uint8Array.from([0xca, 0xfe]),
            serialConsistency: Consistency.LOCAL_SERIAL,
            timestamp: 1234567890123n
          }
        })
        expect(toHex(b)).toBe(toHex(envelope(v, 0, 2, 0x07, bytes(
          lstr("SELECT ?"),
          short(6),
          flags(v, 0x3f),
          short(3), i32(7), txt("é"), int(-1),
          int(100),
          blob(Uint8Array.from([0xca, 0xfe])),
          short(9),
          long(1234567890123n)
        ))))
      })

      it("QUERY with names for values", () => {
        const b = enc(v, 2, { _tag: "Query", query: "q", params: { consistency: 1, values: { values: [1], names: ["k"] } } })
        expect(toHex(b)).toBe(toHex(envelope(v, 0, 2, 0x07, bytes(lstr("q"), short(1), flags(v, 0x41), short(1), str("k"), i32(1)))))
      })

      it("PREPARE", () => {
        const b = enc(v, 4, { _tag: "Prepare", query: "SELECT * FROM t WHERE k = ?" })
        const body = v >= 5 ? bytes(lstr("SELECT * FROM t WHERE k = ?"), int(0)) : lstr("SELECT * FROM t WHERE k = ?")
        expect(toHex(b)).toBe(toHex(envelope(v, 0, 4, 0x09, body)))
      })

      it("EXECUTE (v5: with result_metadata_id)", () => {
        const b = enc(v, 5, {
          _tag: "Execute",
          id,
          resultMetadataId: rmid,
          params: { consistency: 1, values: { values: [1, 2n], types: [{ kind: "int" }, { kind: "bigint" }] }, skipMetadata: true }
        })
        const body = bytes(
          sblob(id),
          v >= 5 ? sblob(rmid) : new Uint8Array(0),
          short(1),
          flags(v, 0x03),
          short(2), i32(1), int(8), long(2n)
        )
        expect(toHex(b)).toBe(toHex(envelope(v, 0, 5, 0x0a, body)))
      })

      it("BATCH with query and prepared statements, serial consistency and timestamp", () => {
        const b = enc(v, 6, {
          _tag: "Batch",
          batchType: 1,
          statements: [
            { kind: "query", query: "INSERT a", values: { values: ["x"], types: [{ kind: "text" }] } },
            { kind: "prepared", id, values: { values: [3], types: [{ kind: "int" }] } },
            { kind: "query", query: "INSERT b" }
          ],
          consistency: Consistency.QUORUM,
          serialConsistency: Consistency.SERIAL,
          timestamp: 99n
        })
        expect(toHex(b)).toBe(toHex(envelope(v, 0, 6, 0x0d, bytes(
          1, short(3),
          0, lstr("INSERT a"), short(1), txt("x"),
          1, sblob(id), short(1), i32(3),
          0, lstr("INSERT b"), short(0),
          short(4), flags(v, 0x30), short(8), long(99n)
        ))))
      })

      it("REGISTER: [string list]", () => {
        const b = enc(v, 7, { _tag: "Register", events: ["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"] })
        expect(toHex(b)).toBe(toHex(envelope(v, 0, 7, 0x0b, strList(["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"]))))
      })

      it("AUTH_RESPONSE: [bytes] token (null too)", () => {
        const token = new TextEncoder().encode("\0cassandra\0cassandra")
        expect(toHex(enc(v, 8, { _tag: "AuthResponse", token }))).toBe(toHex(envelope(v, 0, 8, 0x0f, blob(token))))
        expect(toHex(enc(v, 8, { _tag: "AuthResponse", token: null }))).toBe(toHex(envelope(v, 0, 8, 0x0f, int(-1))))
      })

      it("tracing and beta flags", () => {
        const b = enc(v, 9, { _tag: "Query", query: "q", params: { consistency: 1 } }, { tracing: true })
        expect(b[1]).toBe(0x02)
        expect(enc(v, 9, { _tag: "Options" }, { beta: true })[1]).toBe(0x10)
      })
    })
  }

  it("v4+: UNSET values are length -2; v3 refuses them", () => {
    for (const v of [4, 5] as const) {
      const b = enc(v, 1, { _tag: "Query", query: "q", params: { consistency: 1, values: { values: [UNSET], types: [{ kind: "int" }] } } })
      expect(toHex(b.subarray(b.length - 6))).toBe(toHex(bytes(short(1), int(-2))))
    }
    const e = encErr(3, { _tag: "Query", query: "q", params: { consistency: 1, values: { values: [1, UNSET] } } })
    expect(e.path).toBe("values[1]")
  })

  it("v4+: custom payload ([bytes map]) first in the body with flag 0x04; v3 refuses it", () => {
    const payload = new Map<string, Uint8Array | null>([["k", Uint8Array.from([1, 2])]])
    const b = enc(4, 1, { _tag: "Options" }, { customPayload: payload, tracing: true })
    expect(toHex(b)).toBe(toHex(envelope(4, 0x06, 1, 0x05, bytes(short(1), str("k"), blob(Uint8Array.from([1, 2]))))))
    encErr(3, { _tag: "Options" }, { customPayload: payload })
  })

  it("v5: keyspace and now_in_seconds in QUERY, PREPARE and BATCH", () => {
    const q = enc(5, 1, { _tag: "Query", query: "q", params: { consistency: 1, keyspace: "ks", nowInSeconds: 42 } })
    expect(toHex(q)).toBe(toHex(envelope(5, 0, 1, 0x07, bytes(lstr("q"), short(1), int(0x180), str("ks"), int(42)))))
    const p = enc(5, 2, { _tag: "Prepare", query: "q", keyspace: "ks" })
    expect(toHex(p)).toBe(toHex(envelope(5, 0, 2, 0x09, bytes(lstr("q"), int(1), str("ks")))))
    const b = enc(5, 3, { _tag: "Batch", batchType: 0, statements: [], consistency: 1, keyspace: "ks", nowInSeconds: 7, timestamp: 5n })
    expect(toHex(b)).toBe(toHex(envelope(5, 0, 3, 0x0d, bytes(0, short(0), short(1), int(0x1a0), long(5n), str("ks"), int(7)))))
  })
})

describe("requests: encode errors name the culprit", () => {
  const cases: Array<[string, ProtocolVersion, Request, string]> = [
    ["keyspace on v4", 4, { _tag: "Query", query: "q", params: { consistency: 1, keyspace: "ks" } }, "keyspace"],
    ["now_in_seconds on v4", 4, { _tag: "Query", query: "q", params: { consistency: 1, nowInSeconds: 1 } }, "nowInSeconds"],
    ["PREPARE keyspace on v4", 4, { _tag: "Prepare", query: "q", keyspace: "ks" }, "keyspace"],
    ["BATCH keyspace on v3", 3, { _tag: "Batch", batchType: 0, statements: [], consistency: 1, keyspace: "k" }, "keyspace"],
    ["EXECUTE v5 without result metadata id", 5, { _tag: "Execute", id, params: { consistency: 1 } }, "resultMetadataId"],
    ["consistency out of range", 4, { _tag: "Query", query: "q", params: { consistency: 70000 } }, "consistency"],
    ["types/values length mismatch", 4, { _tag: "Query", query: "q", params: { consistency: 1, values: { values: [1, 2], types: [{ kind: "int" }] } } }, "types"],
    ["a value of the wrong type", 4, { _tag: "Execute", id, params: { consistency: 1, values: { values: [1, "x"], types: [{ kind: "int" }, { kind: "int" }] } } }, "values[1]"],
    ["a value with no inferable type", 4, { _tag: "Query", query: "q", params: { consistency: 1, values: { values: [Symbol("s")] } } }, "values[0]"],
    ["a named value of the wrong type", 4, { _tag: "Query", query: "q", params: { consistency: 1, values: { values: ["x"], names: ["k"], types: [{ kind: "int" }] } } }, "values.k"],
    ["a batch value", 4, { _tag: "Batch", batchType: 0, statements: [{ kind: "query", query: "q" }, { kind: "prepared", id, values: { values: ["x"], types: [{ kind: "int" }] } }], consistency: 1 }, "statements[1].values[0]"],
    ["batch names", 4, { _tag: "Batch", batchType: 0, statements: [{ kind: "query", query: "q", values: { values: [1], names: ["a"] } }], consistency: 1 }, "statements[0].names"],
    ["timestamp Long.MIN_VALUE", 4, { _tag: "Query", query: "q", params: { consistency: 1, timestamp: -(1n << 63n) } }, "timestamp"],
    ["an id longer than [short bytes]", 4, { _tag: "Execute", id: new Uint8Array(70000), params: { consistency: 1 } }, "id"],
    ["a keyspace longer than [string]", 5, { _tag: "Prepare", query: "q", keyspace: "k".repeat(70000) }, "keyspace"],
    ["too many values", 4, { _tag: "Query", query: "q", params: { consistency: 1, values: { values: new Array(70000).fill(null) } } }, "values"],
    // UTF-8 cannot carry a lone surrogate: the text would silently become U+FFFD
    ["a lone surrogate in QUERY text", 4, { _tag: "Query", query: "SELECT '\ud800'", params: { consistency: 1 } }, "query"],
    ["a lone surrogate in PREPARE text", 5, { _tag: "Prepare", query: "SELECT '\udc00'" }, "query"],
    ["a lone surrogate in a batch query", 4, { _tag: "Batch", batchType: 0, statements: [{ kind: "query", query: "q\ud800" }], consistency: 1 }, "statements[0].query"],
    ["a lone surrogate in a value name", 4, { _tag: "Query", query: "q", params: { consistency: 1, values: { values: [1], names: ["k\ud800"] } } }, "names[0]"],
    ["a lone surrogate in a keyspace", 5, { _tag: "Query", query: "q", params: { consistency: 1, keyspace: "\udfff" } }, "keyspace"]
  ]
  for (const [name, v, req, path] of cases) {
    it(name, () => {
      expect(encErr(v, req).path).toBe(path)
    })
  }
})

describe("requests: round trips through decodeRequest (server side)", () => {
  for (const v of VERSIONS) {
    it(`v${v}: every request kind`, () => {
      const payload = new Map<string, Uint8Array | null>([["p", Uint8Array.from([9])], ["n", null]])
      const f = dec(enc(v, 11, { _tag: "Startup", options: { CQL_VERSION: "3.0.0" } }))
      expect(f).toMatchObject({ version: v, stream: 11, tracing: false, request: { _tag: "Startup", options: { CQL_VERSION: "3.0.0" } } })
      expect(dec(enc(v, 1, { _tag: "Options" })).request).toEqual({ _tag: "Options" })
      const q = dec(enc(v, 2, {
        _tag: "Query",
        query: "SELECT",
        params: {
          consistency: 6,
          values: { values: [1, null, ...(v >= 4 ? [UNSET] : [])], names: v >= 4 ? ["a", "b", "c"] : ["a", "b"] },
          pageSize: 5000,
          pagingState: Uint8Array.from([1]),
          serialConsistency: 9,
          timestamp: -5n,
          ...(v >= 5 ? { keyspace: "ks", nowInSeconds: 3 } : {})
        }
      }, v >= 4 ? { tracing: true, customPayload: payload } : { tracing: true }))
      expect(q.tracing).toBe(true)
      if (v >= 4) expect(q.customPayload).toEqual(payload)
      expect(q.request).toEqual({
        _tag: "Query",
        query: "SELECT",
        params: {
          consistency: 6,
          flags: 0x7d | (v >= 5 ? 0x180 : 0),
          values: { values: [Uint8Array.from([0, 0, 0, 1]), null, ...(v >= 4 ? [UNSET] : [])], names: v >= 4 ? ["a", "b", "c"] : ["a", "b"] },
          pageSize: 5000,
          pagingState: Uint8Array.from([1]),
          serialConsistency: 9,
          timestamp: -5n,
          ...(v >= 5 ? { keyspace: "ks", nowInSeconds: 3 } : {})
        }
      })
      expect(dec(enc(v, 3, { _tag: "Prepare", query: "P", ...(v >= 5 ? { keyspace: "k" } : {}) })).request).toEqual({
        _tag: "Prepare",
        query: "P",
        ...(v >= 5 ? { keyspace: "k" } : {})
      })
      expect(dec(enc(v, 4, { _tag: "Execute", id, resultMetadataId: rmid, params: { consistency: 1, skipMetadata: true } })).request).toEqual({
        _tag: "Execute",
        id,
        ...(v >= 5 ? { resultMetadataId: rmid } : {}),
        params: { consistency: 1, flags: 2, skipMetadata: true }
      })
      expect(dec(enc(v, 5, {
        _tag: "Batch",
        batchType: 2,
        statements: [{ kind: "prepared", id, values: { values: [1n] } }, { kind: "query", query: "U" }],
        consistency: 4,
        serialConsistency: 8,
        timestamp: 1n
      })).request).toEqual({
        _tag: "Batch",
        batchType: 2,
        statements: [
          { kind: "prepared", id, values: [Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1])] },
          { kind: "query", query: "U", values: [] }
        ],
        flags: 0x30,
        consistency: 4,
        serialConsistency: 8,
        timestamp: 1n
      })
      expect(dec(enc(v, 6, { _tag: "Register", events: ["SCHEMA_CHANGE"] })).request).toEqual({ _tag: "Register", events: ["SCHEMA_CHANGE"] })
      expect(dec(enc(v, 7, { _tag: "AuthResponse", token: Uint8Array.from([0, 1]) })).request).toEqual({
        _tag: "AuthResponse",
        token: Uint8Array.from([0, 1])
      })
    })
  }

  it("decodeRequest refuses responses, unknown opcodes and bad values", () => {
    const d = (b: Uint8Array) => {
      const fd = new FrameDecoder({ version: 4 })
      fd.push(b)
      const e = fd.next()
      if (Result.isFailure(e) || e.success === undefined) throw new Error("no envelope")
      return decodeRequest(e.success)
    }
    expect(Result.isFailure(d(envelope(0x84, 0, 1, 0x02, new Uint8Array(0))))).toBe(true)
    expect(Result.isFailure(d(envelope(4, 0, 1, 0x02, new Uint8Array(0))))).toBe(true)
    expect(Result.isFailure(d(envelope(4, 0, 1, 0x07, bytes(lstr("q"), short(1), 1, short(1), int(-3)))))).toBe(true)
    expect(Result.isFailure(d(envelope(4, 0, 1, 0x07, bytes(lstr("q"), short(1), 1, short(60000)))))).toBe(true)
  })
})
