import { describe, expect, it } from "vitest"
import * as Result from "effect/Result"
import type { CqlType } from "../src/CqlType.ts"
import { DecodeError } from "../src/Errors.ts"
import type { RawEnvelope } from "../src/frame/Envelope.ts"
import { decodeResponse, encodeResponse } from "../src/frame/FrameCodec.ts"
import { FrameDecoder } from "../src/frame/FrameDecoder.ts"
import { FrameEncoder } from "../src/frame/FrameEncoder.ts"
import {
  type ColumnSpec,
  ErrorCode,
  type ErrorBody,
  type ProtocolVersion,
  type Response,
  type ResponseFrame
} from "../src/Messages.ts"
import { blob, bytes, envelope, hex, int, sblob, short, str, strList, toHex } from "./fixtures/bytes.ts"

const VERSIONS = [3, 4, 5] as const
const INT: CqlType = { kind: "int" }
const TEXT: CqlType = { kind: "text" }
const col = (name: string, type: CqlType, table = "t"): ColumnSpec => ({ keyspace: "ks", table, name, type })
const COLS = [col("k", INT), col("v", TEXT)]

const raw = (b: Uint8Array): RawEnvelope => {
  const d = new FrameDecoder({ version: 5 })
  d.push(b)
  const r = d.next()
  if (Result.isFailure(r) || r.success === undefined) throw new Error("no envelope")
  return r.success
}
const decode = (b: Uint8Array, ctx?: Parameters<typeof decodeResponse>[1]): ResponseFrame => {
  const r = decodeResponse(raw(b), ctx)
  if (Result.isFailure(r)) throw r.failure
  return r.success
}
const decodeErr = (b: Uint8Array, ctx?: Parameters<typeof decodeResponse>[1]): DecodeError => {
  const r = decodeResponse(raw(b), ctx)
  if (Result.isSuccess(r)) throw new Error("expected a DecodeError")
  expect(r.failure).toBeInstanceOf(DecodeError)
  return r.failure
}
const encode = (v: ProtocolVersion, stream: number, response: Response, opts?: Parameters<typeof encodeResponse>[3]) => {
  const r = encodeResponse(v, stream, response, opts)
  if (Result.isFailure(r)) throw r.failure
  return r.success
}
const i32 = (n: number) => bytes(int(4), int(n))
const txt = (s: string) => blob(new TextEncoder().encode(s))

/** Golden: the spec's bytes decode to `response`, and encodeResponse gives those bytes back. */
const golden = (v: ProtocolVersion, stream: number, opcode: number, body: Uint8Array, response: Response) => {
  const wire = envelope(0x80 | v, 0, stream, opcode, body)
  const frame = decode(wire)
  expect(frame).toMatchObject({ version: v, stream, opcode, tracingId: undefined, warnings: undefined, customPayload: undefined })
  expect(frame.response).toEqual(response)
  expect(toHex(encode(v, stream, response))).toBe(toHex(wire))
}

describe("responses: golden bytes and round trips", () => {
  for (const v of VERSIONS) {
    describe(`v${v}`, () => {
      it("READY, AUTHENTICATE, AUTH_CHALLENGE, AUTH_SUCCESS", () => {
        golden(v, 0, 0x02, new Uint8Array(0), { _tag: "Ready" })
        golden(v, 0, 0x03, str("org.apache.cassandra.auth.PasswordAuthenticator"), {
          _tag: "Authenticate",
          authenticator: "org.apache.cassandra.auth.PasswordAuthenticator"
        })
        golden(v, 1, 0x0e, blob(hex("0102")), { _tag: "AuthChallenge", token: hex("0102") })
        golden(v, 1, 0x10, int(-1), { _tag: "AuthSuccess", token: null })
      })

      it("SUPPORTED: [string multimap]", () => {
        golden(v, 0, 0x06, bytes(short(2), str("COMPRESSION"), strList(["lz4", "snappy"]), str("PROTOCOL_VERSIONS"), strList(["3/v3", "4/v4", "5/v5"])), {
          _tag: "Supported",
          options: { COMPRESSION: ["lz4", "snappy"], PROTOCOL_VERSIONS: ["3/v3", "4/v4", "5/v5"] }
        })
      })

      it("SUPPORTED: a key named __proto__ is an own property, not the prototype", () => {
        const d = decodeResponse(raw(envelope(0x80 | v, 0, 0, 0x06, bytes(short(1), str("__proto__"), strList(["x"])))))
        expect(Result.isSuccess(d)).toBe(true)
        const options = Result.isSuccess(d) && d.success.response._tag === "Supported" ? d.success.response.options : undefined
        expect(Object.getPrototypeOf(options)).toBe(Object.prototype)
        expect(Object.getOwnPropertyDescriptor(options, "__proto__")?.value).toEqual(["x"])
      })

      it("RESULT Void and Set_keyspace", () => {
        golden(v, 3, 0x08, int(1), { _tag: "Result", result: { kind: "Void" } })
        golden(v, 3, 0x08, bytes(int(3), str("ks")), { _tag: "Result", result: { kind: "SetKeyspace", keyspace: "ks" } })
      })

      it("RESULT Rows with a global table spec", () => {
        const body = bytes(int(2), int(0x0001), int(2), str("ks"), str("t"), str("k"), short(0x0009), str("v"), short(0x000d), int(2), i32(1), txt("one"), i32(2), int(-1))
        golden(v, 4, 0x08, body, {
          _tag: "Result",
          result: {
            kind: "Rows",
            metadata: { flags: 1, columnCount: 2, columns: COLS, pagingState: undefined, newMetadataId: undefined },
            columns: COLS,
            rows: [{ k: 1, v: "one" }, { k: 2, v: null }]
          }
        })
      })

      it("RESULT Rows with per-column specs and a paging state (HAS_MORE_PAGES)", () => {
        const cols = [col("a", INT, "t1"), col("b", INT, "t2")]
        const body = bytes(int(2), int(0x0002), int(2), blob(hex("abcd")), str("ks"), str("t1"), str("a"), short(9), str("ks"), str("t2"), str("b"), short(9), int(1), i32(5), i32(6))
        golden(v, 4, 0x08, body, {
          _tag: "Result",
          result: {
            kind: "Rows",
            metadata: { flags: 2, columnCount: 2, columns: cols, pagingState: hex("abcd"), newMetadataId: undefined },
            columns: cols,
            rows: [{ a: 5, b: 6 }]
          }
        })
      })

      it("RESULT Rows with NO_METADATA decode with the given result columns", () => {
        const body = bytes(int(2), int(0x0004), int(2), int(1), i32(9), txt("nine"))
        const wire = envelope(0x80 | v, 0, 4, 0x08, body)
        const f = decode(wire, { resultColumns: COLS })
        expect(f.response).toEqual({
          _tag: "Result",
          result: {
            kind: "Rows",
            metadata: { flags: 4, columnCount: 2, columns: undefined, pagingState: undefined, newMetadataId: undefined },
            columns: COLS,
            rows: [{ k: 9, v: "nine" }]
          }
        })
        expect(toHex(encode(v, 4, f.response))).toBe(toHex(wire))
        expect(decodeErr(wire).message).toMatch(/NO_METADATA/)
        expect(decodeErr(wire, { resultColumns: [COLS[0]!] }).message).toMatch(/columns/)
      })

      it("RESULT Prepared (pk_indexes from v4, result_metadata_id on v5)", () => {
        const id = hex("0011223344")
        const rmid = hex("aabb")
        const body = bytes(
          int(4),
          sblob(id),
          v >= 5 ? sblob(rmid) : new Uint8Array(0),
          int(1), int(2), v >= 4 ? bytes(int(1), short(0)) : new Uint8Array(0), str("ks"), str("t"), str("k"), short(9), str("v"), short(0x0d),
          int(1), int(1), str("ks"), str("t"), str("v"), short(0x0d)
        )
        golden(v, 5, 0x08, body, {
          _tag: "Result",
          result: {
            kind: "Prepared",
            id,
            resultMetadataId: v >= 5 ? rmid : undefined,
            variables: COLS,
            pkIndexes: v >= 4 ? [0] : [],
            resultMetadata: { flags: 1, columnCount: 1, columns: [COLS[1]!], pagingState: undefined, newMetadataId: undefined }
          }
        })
        // a non-SELECT: empty result metadata with NO_METADATA
        const body2 = bytes(int(4), sblob(id), v >= 5 ? sblob(rmid) : new Uint8Array(0), int(0), int(0), v >= 4 ? int(0) : new Uint8Array(0), int(4), int(0))
        golden(v, 5, 0x08, body2, {
          _tag: "Result",
          result: {
            kind: "Prepared",
            id,
            resultMetadataId: v >= 5 ? rmid : undefined,
            variables: [],
            pkIndexes: [],
            resultMetadata: { flags: 4, columnCount: 0, columns: undefined, pagingState: undefined, newMetadataId: undefined }
          }
        })
      })

      it("RESULT Schema_change of every target", () => {
        const sc = (...parts: Array<Uint8Array>) => bytes(int(5), ...parts)
        golden(v, 6, 0x08, sc(str("CREATED"), str("KEYSPACE"), str("ks")), {
          _tag: "Result",
          result: { kind: "SchemaChange", change: { changeType: "CREATED", target: "KEYSPACE", keyspace: "ks" } }
        })
        golden(v, 6, 0x08, sc(str("UPDATED"), str("TABLE"), str("ks"), str("t")), {
          _tag: "Result",
          result: { kind: "SchemaChange", change: { changeType: "UPDATED", target: "TABLE", keyspace: "ks", name: "t" } }
        })
        golden(v, 6, 0x08, sc(str("DROPPED"), str("TYPE"), str("ks"), str("u")), {
          _tag: "Result",
          result: { kind: "SchemaChange", change: { changeType: "DROPPED", target: "TYPE", keyspace: "ks", name: "u" } }
        })
        golden(v, 6, 0x08, sc(str("CREATED"), str("FUNCTION"), str("ks"), str("f"), strList(["int", "text"])), {
          _tag: "Result",
          result: { kind: "SchemaChange", change: { changeType: "CREATED", target: "FUNCTION", keyspace: "ks", name: "f", argTypes: ["int", "text"] } }
        })
        golden(v, 6, 0x08, sc(str("DROPPED"), str("AGGREGATE"), str("ks"), str("g"), strList([])), {
          _tag: "Result",
          result: { kind: "SchemaChange", change: { changeType: "DROPPED", target: "AGGREGATE", keyspace: "ks", name: "g", argTypes: [] } }
        })
      })

      it("EVENT: topology, status (IPv4 and IPv6 [inet]), schema", () => {
        golden(v, -1, 0x0c, bytes(str("TOPOLOGY_CHANGE"), str("NEW_NODE"), "04 0a000001", int(9042)), {
          _tag: "Event",
          event: { type: "TOPOLOGY_CHANGE", change: "NEW_NODE", address: "10.0.0.1", port: 9042 }
        })
        golden(v, -1, 0x0c, bytes(str("STATUS_CHANGE"), str("DOWN"), "10 20010db8000000000000000000000001", int(19042)), {
          _tag: "Event",
          event: { type: "STATUS_CHANGE", change: "DOWN", address: "2001:db8::1", port: 19042 }
        })
        golden(v, -1, 0x0c, bytes(str("SCHEMA_CHANGE"), str("CREATED"), str("AGGREGATE"), str("ks"), str("agg"), strList(["int"])), {
          _tag: "Event",
          event: { type: "SCHEMA_CHANGE", change: { changeType: "CREATED", target: "AGGREGATE", keyspace: "ks", name: "agg", argTypes: ["int"] } }
        })
      })
    })
  }

  it("v5 RESULT Rows with METADATA_CHANGED carries the new result metadata id", () => {
    const body = bytes(int(2), int(0x0009), int(1), sblob(hex("beef")), str("ks"), str("t"), str("k"), short(9), int(0))
    golden(5, 1, 0x08, body, {
      _tag: "Result",
      result: {
        kind: "Rows",
        metadata: { flags: 9, columnCount: 1, columns: [COLS[0]!], pagingState: undefined, newMetadataId: hex("beef") },
        columns: [COLS[0]!],
        rows: []
      }
    })
  })

  it("the body prefix: tracing id, warnings, custom payload, in that order", () => {
    const uuid = "0e33d4d0-5f4b-11ef-8a9f-1b2c3d4e5f60"
    const payload = new Map<string, Uint8Array | null>([["x", hex("01")]])
    const wire = envelope(0x84, 0x0e, 2, 0x08, bytes("0e33d4d05f4b11ef8a9f1b2c3d4e5f60", strList(["careful"]), short(1), str("x"), blob(hex("01")), int(1)))
    const f = decode(wire)
    expect(f).toMatchObject({ tracingId: uuid, warnings: ["careful"], customPayload: payload, response: { _tag: "Result", result: { kind: "Void" } } })
    expect(toHex(encode(4, 2, f.response, { tracingId: uuid, warnings: ["careful"], customPayload: payload }))).toBe(toHex(wire))
  })

  it("the same column specs on every page share one ColumnSpec array (one cached row decoder)", () => {
    const page = (n: number) =>
      envelope(0x84, 0, 1, 0x08, bytes(int(2), int(3), int(2), blob(int(n)), str("ks"), str("t"), str("k"), short(9), str("v"), short(0x0d), int(0)))
    const a = decode(page(1)).response
    const b = decode(page(2)).response
    if (a._tag !== "Result" || a.result.kind !== "Rows" || b._tag !== "Result" || b.result.kind !== "Rows") throw new Error("rows")
    expect(a.result.columns).toBe(b.result.columns)
    expect(b.result.metadata.pagingState).toEqual(int(2))
  })

  it("events come on stream -1; responses may not use streams below -1", () => {
    expect(Result.isFailure(encodeResponse(4, -2, { _tag: "Ready" }))).toBe(true)
    expect(Result.isFailure(encodeResponse(4, 32768, { _tag: "Ready" }))).toBe(true)
  })
})

describe("ERROR: every code, v4 and v5 forms", () => {
  const msg = "boom"
  const head = (code: number) => bytes(int(code), str(msg))
  type Case = [string, number, (v: ProtocolVersion) => Uint8Array, (v: ProtocolVersion) => ErrorBody]
  const simple = (name: string, code: number): Case => [name, code, () => head(code), () => ({ code, message: msg })]
  const cases: Array<Case> = [
    simple("Server error", ErrorCode.SERVER_ERROR),
    simple("Protocol error", ErrorCode.PROTOCOL_ERROR),
    simple("Authentication error", ErrorCode.AUTH_ERROR),
    ["Unavailable", ErrorCode.UNAVAILABLE, () => bytes(head(0x1000), short(4), int(3), int(1)), () => ({ code: 0x1000, message: msg, consistency: 4, required: 3, alive: 1 })],
    simple("Overloaded", ErrorCode.OVERLOADED),
    simple("Is_bootstrapping", ErrorCode.IS_BOOTSTRAPPING),
    simple("Truncate_error", ErrorCode.TRUNCATE_ERROR),
    ["Write_timeout", ErrorCode.WRITE_TIMEOUT, () => bytes(head(0x1100), short(1), int(0), int(1), str("SIMPLE")), () => ({
      code: 0x1100, message: msg, consistency: 1, received: 0, blockFor: 1, writeType: "SIMPLE"
    })],
    ["Write_timeout CAS (v5: + contentions [short])", ErrorCode.WRITE_TIMEOUT, (v) => bytes(head(0x1100), short(9), int(1), int(2), str("CAS"), v >= 5 ? short(3) : new Uint8Array(0)), (v) => ({
      code: 0x1100, message: msg, consistency: 9, received: 1, blockFor: 2, writeType: "CAS", ...(v >= 5 ? { contentions: 3 } : {})
    })],
    ["Read_timeout", ErrorCode.READ_TIMEOUT, () => bytes(head(0x1200), short(6), int(1), int(2), 1), () => ({
      code: 0x1200, message: msg, consistency: 6, received: 1, blockFor: 2, dataPresent: true
    })],
    ["Read_failure (v5: reason map)", ErrorCode.READ_FAILURE, (v) => bytes(head(0x1300), short(6), int(1), int(3), v >= 5 ? bytes(int(2), "04 7f000001", short(1), "10 00000000000000000000000000000001", short(0)) : int(2), 0), (v) => ({
      code: 0x1300, message: msg, consistency: 6, received: 1, blockFor: 3, numFailures: 2, dataPresent: false,
      ...(v >= 5 ? { reasonMap: [{ address: "127.0.0.1", reason: 1 }, { address: "::1", reason: 0 }] } : {})
    })],
    ["Function_failure", ErrorCode.FUNCTION_FAILURE, () => bytes(head(0x1400), str("ks"), str("fn"), strList(["int", "text"])), () => ({
      code: 0x1400, message: msg, keyspace: "ks", functionName: "fn", argTypes: ["int", "text"]
    })],
    ["Write_failure (v5: reason map)", ErrorCode.WRITE_FAILURE, (v) => bytes(head(0x1500), short(1), int(0), int(1), v >= 5 ? bytes(int(1), "04 0a000002", short(5)) : int(1), str("BATCH_LOG")), (v) => ({
      code: 0x1500, message: msg, consistency: 1, received: 0, blockFor: 1, numFailures: 1, writeType: "BATCH_LOG",
      ...(v >= 5 ? { reasonMap: [{ address: "10.0.0.2", reason: 5 }] } : {})
    })],
    simple("CDC_write_failure", ErrorCode.CDC_WRITE_FAILURE),
    ["CAS_write_unknown", ErrorCode.CAS_WRITE_UNKNOWN, () => bytes(head(0x1700), short(8), int(1), int(2)), () => ({
      code: 0x1700, message: msg, consistency: 8, received: 1, blockFor: 2
    })],
    simple("Syntax_error", ErrorCode.SYNTAX_ERROR),
    simple("Unauthorized", ErrorCode.UNAUTHORIZED),
    simple("Invalid", ErrorCode.INVALID),
    simple("Config_error", ErrorCode.CONFIG_ERROR),
    ["Already_exists", ErrorCode.ALREADY_EXISTS, () => bytes(head(0x2400), str("ks"), str("")), () => ({ code: 0x2400, message: msg, keyspace: "ks", table: "" })],
    ["Unprepared", ErrorCode.UNPREPARED, () => bytes(head(0x2500), sblob(hex("cafebabe"))), () => ({ code: 0x2500, message: msg, unpreparedId: hex("cafebabe") })],
    simple("an unknown code (just code and message)", 0x7777)
  ]
  for (const v of [4, 5] as const) {
    for (const [name, , body, expected] of cases) {
      it(`v${v} ${name}`, () => golden(v, 1, 0x00, body(v), { _tag: "Error", error: expected(v) }))
    }
  }

  it("a v5 CAS write timeout without contentions (a plain WriteTimeoutException) still decodes", () => {
    const f = decode(envelope(0x85, 0, 1, 0, bytes(head(0x1100), short(9), int(1), int(2), str("CAS"))))
    expect(f.response).toEqual({ _tag: "Error", error: { code: 0x1100, message: msg, consistency: 9, received: 1, blockFor: 2, writeType: "CAS" } })
  })

  it("v3 decodes the v4 forms", () => {
    golden(3, 1, 0x00, bytes(head(0x1300), short(6), int(1), int(3), int(2), 0), {
      _tag: "Error",
      error: { code: 0x1300, message: msg, consistency: 6, received: 1, blockFor: 3, numFailures: 2, dataPresent: false }
    })
  })
})

describe("responses: malformed bodies are DecodeErrors", () => {
  const bad: Array<[string, Uint8Array]> = [
    ["unknown opcode", envelope(0x84, 0, 1, 0x01, new Uint8Array(0))],
    ["unknown result kind", envelope(0x84, 0, 1, 0x08, int(9))],
    ["truncated rows", envelope(0x84, 0, 1, 0x08, bytes(int(2), int(1), int(1), str("ks"), str("t"), str("k")))],
    ["lying column count", envelope(0x84, 0, 1, 0x08, bytes(int(2), int(1), int(0x7fffffff), str("ks"), str("t")))],
    ["lying row count", envelope(0x84, 0, 1, 0x08, bytes(int(2), int(1), int(1), str("ks"), str("t"), str("k"), short(9), int(0x7fffffff), i32(1)))],
    ["negative row count", envelope(0x84, 0, 1, 0x08, bytes(int(2), int(1), int(1), str("ks"), str("t"), str("k"), short(9), int(-1)))],
    ["unknown event", envelope(0x84, 0, -1, 0x0c, str("NOPE"))],
    ["bad inet size", envelope(0x84, 0, -1, 0x0c, bytes(str("STATUS_CHANGE"), str("UP"), "05 0102030405", int(1)))],
    ["unknown schema change", envelope(0x84, 0, -1, 0x0c, bytes(str("SCHEMA_CHANGE"), str("ALTERED"), str("TABLE"), str("k"), str("t")))],
    ["lying reason map", envelope(0x85, 0, 1, 0x00, bytes(int(0x1300), str(""), short(1), int(0), int(1), int(100000000)))],
    ["truncated tracing id", envelope(0x84, 0x02, 1, 0x02, hex("0102"))],
    ["a request envelope", envelope(0x04, 0, 1, 0x02, new Uint8Array(0))],
    ["an unsupported version", envelope(0x86, 0, 1, 0x02, new Uint8Array(0))]
  ]
  for (const [name, wire] of bad) it(name, () => void decodeErr(wire))
})

describe("FrameEncoder.encodeResponse (server side) with v5 framing", () => {
  it("frames responses like requests", () => {
    const enc = new FrameEncoder({ version: 5 })
    enc.enableFraming({ compression: "lz4" })
    enc.encodeResponse(-1, { _tag: "Event", event: { type: "STATUS_CHANGE", change: "UP", address: "127.0.0.1", port: 9042 } })
    enc.encodeResponse(1, { _tag: "Result", result: { kind: "Rows", metadata: { flags: 1, columnCount: 2, columns: COLS, pagingState: undefined, newMetadataId: undefined }, columns: COLS, rows: Array.from({ length: 500 }, (_, i) => ({ k: i, v: "row" })) } })
    const d = new FrameDecoder({ version: 5 })
    d.enableFraming({ compression: "lz4" })
    d.push(enc.takeBatch()!)
    const a = d.next()
    const b = d.next()
    if (!Result.isSuccess(a) || !Result.isSuccess(b) || a.success === undefined || b.success === undefined) throw new Error("two envelopes")
    expect(a.success.stream).toBe(-1)
    const rows = decodeResponse(b.success)
    if (Result.isFailure(rows) || rows.success.response._tag !== "Result" || rows.success.response.result.kind !== "Rows") throw new Error("rows")
    expect(rows.success.response.result.rows.length).toBe(500)
    expect(rows.success.response.result.rows[499]).toEqual({ k: 499, v: "row" })
  })
})
