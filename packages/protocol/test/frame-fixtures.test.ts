/**
 * Golden frames captured from a real Cassandra 5.0 node (see test/fixtures/README.md): every
 * response decodes to what the node meant, whole or fed one byte at a time, and every request the
 * node accepted decodes on the server side.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as Result from "effect/Result"
import { decodeRequest, decodeResponse, encodeRequest } from "../src/frame/FrameCodec.ts"
import { FrameDecoder } from "../src/frame/FrameDecoder.ts"
import { type ColumnSpec, Consistency, ErrorCode, type ProtocolVersion, type ResponseFrame } from "../src/Messages.ts"
import { hex, toHex } from "./fixtures/bytes.ts"
import { drain, feed } from "./fixtures/streams.ts"

interface Step {
  name: string
  requestHex: string
  stream: number
  framing: boolean
  bodyCompression?: "lz4" | "snappy"
  responseHex: string
}
interface Session {
  name: string
  version: ProtocolVersion
  compression: "lz4" | "snappy" | undefined
  steps: Array<Step>
}
const fixture = JSON.parse(
  fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), "fixtures", "cassandra-5.0.9.json"), "utf8")
) as { cassandra: string; sessions: Array<Session> }

const decoderFor = (s: Session, step: Step): FrameDecoder => {
  const d = new FrameDecoder({ version: s.version })
  if (step.framing) d.enableFraming(s.compression === "lz4" ? { compression: "lz4" } : undefined)
  if (step.bodyCompression !== undefined) d.setCompression(step.bodyCompression)
  return d
}

const frames = (s: Session, step: Step, columns?: ReadonlyArray<ColumnSpec>): Array<ResponseFrame> => {
  const d = decoderFor(s, step)
  d.push(hex(step.responseHex))
  const out: Array<ResponseFrame> = []
  for (;;) {
    const e = d.next()
    if (Result.isFailure(e)) throw e.failure
    if (e.success === undefined) return out
    const f = decodeResponse(e.success, columns === undefined ? undefined : { resultColumns: columns })
    if (Result.isFailure(f)) throw f.failure
    out.push(f.success)
  }
}

const only = (fs: Array<ResponseFrame>): ResponseFrame => {
  expect(fs.length).toBe(1)
  return fs[0]!
}

describe(`golden frames from Cassandra ${fixture.cassandra}`, () => {
  it("has the sessions", () => {
    expect(fixture.sessions.map((s) => s.name)).toEqual(["v3", "v4", "v5", "v4 lz4", "v4 snappy", "v3 lz4", "v5 lz4", "refused version v7"])
  })

  for (const s of fixture.sessions.filter((x) => x.name !== "refused version v7")) {
    describe(s.name, () => {
      const v = s.version
      const step = (name: string) => s.steps.find((x) => x.name === name)!
      let preparedColumns: ReadonlyArray<ColumnSpec> | undefined

      it("OPTIONS -> SUPPORTED (unframed, uncompressed)", () => {
        const f = only(frames(s, step("OPTIONS")))
        expect(f.response).toMatchObject({ _tag: "Supported" })
        if (f.response._tag !== "Supported") return
        expect(f.response.options["PROTOCOL_VERSIONS"]).toContain(`${v}/v${v}`)
        expect(f.response.options["COMPRESSION"]).toEqual(expect.arrayContaining(["lz4", "snappy"]))
        expect(f.flags).toBe(0)
      })

      it("STARTUP -> READY (v3/v4: already compressed when compression was asked for)", () => {
        const f = only(frames(s, step("STARTUP")))
        expect(f.response).toEqual({ _tag: "Ready" })
        expect(f.version).toBe(v)
        expect(f.flags & 1).toBe(s.compression !== undefined && v < 5 ? 1 : 0)
      })

      it("QUERY system.local -> Rows with metadata", () => {
        const f = only(frames(s, step("QUERY system.local")))
        if (f.response._tag !== "Result" || f.response.result.kind !== "Rows") throw new Error("not rows")
        const r = f.response.result
        expect(r.metadata.flags & 0x0001).toBe(1)
        expect(r.columns.map((c) => [c.name, c.type.kind])).toEqual([
          ["key", "text"],
          ["release_version", "text"],
          ["cluster_name", "text"],
          ["data_center", "text"],
          ["rack", "text"],
          ["partitioner", "text"],
          ["native_protocol_version", "text"],
          ["host_id", "uuid"],
          ["tokens", "set"]
        ])
        expect(r.rows.length).toBe(1)
        expect(r.rows[0]).toMatchObject({ key: "local", release_version: fixture.cassandra, data_center: "datacenter1" })
        expect(r.rows[0]!["host_id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      })

      it("PREPARE -> Prepared (pk_indexes from v4, result_metadata_id on v5)", () => {
        const f = only(frames(s, step("PREPARE")))
        if (f.response._tag !== "Result" || f.response.result.kind !== "Prepared") throw new Error("not prepared")
        const p = f.response.result
        expect(p.id.length).toBe(16)
        expect(p.resultMetadataId?.length).toBe(v >= 5 ? 16 : undefined)
        expect(p.variables.map((c) => [c.keyspace, c.table, c.name, c.type.kind])).toEqual([["system", "local", "key", "text"]])
        expect(p.pkIndexes).toEqual(v >= 4 ? [0] : [])
        expect(p.resultMetadata.columns?.map((c) => c.name)).toEqual(["key", "release_version", "cluster_name"])
        preparedColumns = p.resultMetadata.columns
      })

      it("EXECUTE with skip_metadata -> NO_METADATA rows, decoded with the prepared columns", () => {
        const st = step("EXECUTE skip_metadata")
        expect(() => frames(s, st)).toThrow(/NO_METADATA/)
        const f = only(frames(s, st, preparedColumns))
        if (f.response._tag !== "Result" || f.response.result.kind !== "Rows") throw new Error("not rows")
        expect(f.response.result.metadata.flags & 0x0004).toBe(4)
        expect(f.response.result.metadata.columns).toBeUndefined()
        expect(f.response.result.rows).toEqual([{ key: "local", release_version: fixture.cassandra, cluster_name: expect.any(String) }])
      })

      it("errors: Syntax_error, Invalid, Already_exists, Unprepared", () => {
        expect(only(frames(s, step("QUERY syntax error"))).response).toMatchObject({ _tag: "Error", error: { code: ErrorCode.SYNTAX_ERROR } })
        expect(only(frames(s, step("QUERY invalid (unknown table)"))).response).toMatchObject({
          _tag: "Error",
          error: { code: ErrorCode.INVALID, message: "table no_such_table does not exist" }
        })
        expect(only(frames(s, step("CREATE KEYSPACE again (already exists)"))).response).toMatchObject({
          _tag: "Error",
          error: { code: ErrorCode.ALREADY_EXISTS, keyspace: expect.stringMatching(/^capture_v/), table: "" }
        })
        expect(only(frames(s, step("EXECUTE unknown id (unprepared)"))).response).toMatchObject({
          _tag: "Error",
          error: { code: ErrorCode.UNPREPARED, unpreparedId: hex("000102030405060708090a0b0c0d0e0f") }
        })
      })

      it("warnings (v4+) and tracing ids in the body prefix", () => {
        const w = only(frames(s, step("QUERY with a warning (aggregation without partition key)")))
        expect(w.warnings).toEqual(v >= 4 ? ["Aggregation query used without partition key"] : undefined)
        const t = only(frames(s, step("QUERY traced")))
        expect(t.tracingId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        expect(t.response).toMatchObject({ _tag: "Result", result: { kind: "Rows", rows: [{ release_version: fixture.cassandra }] } })
      })

      it("USE -> Set_keyspace; REGISTER -> READY", () => {
        expect(only(frames(s, step("USE system"))).response).toEqual({ _tag: "Result", result: { kind: "SetKeyspace", keyspace: "system" } })
        expect(only(frames(s, step("REGISTER"))).response).toEqual({ _tag: "Ready" })
      })

      it("schema changes: the EVENT on stream -1 and the Schema_change result", () => {
        for (const [name, changeType] of [["CREATE KEYSPACE (schema change result + event)", "CREATED"], ["DROP KEYSPACE", "DROPPED"]] as const) {
          const fs = frames(s, step(name))
          const keyspace = `capture_v${v}_${s.compression ?? "plain"}`
          const event = fs.find((f) => f.stream === -1)
          const result = fs.find((f) => f.stream !== -1)
          expect(event?.response).toEqual({ _tag: "Event", event: { type: "SCHEMA_CHANGE", change: { changeType, target: "KEYSPACE", keyspace } } })
          expect(result?.response).toEqual({ _tag: "Result", result: { kind: "SchemaChange", change: { changeType, target: "KEYSPACE", keyspace } } })
        }
      })

      it("every response decodes identically fed one byte at a time", () => {
        for (const st of s.steps) {
          const bytes = hex(st.responseHex)
          const whole = decoderFor(s, st)
          whole.push(bytes)
          expect(feed(decoderFor(s, st), bytes, [1])).toEqual(drain(whole))
        }
      })

      it("every request the node accepted decodes on the server side", () => {
        for (const st of s.steps) {
          const d = decoderFor(s, st)
          d.push(hex(st.requestHex))
          const e = d.next()
          if (Result.isFailure(e) || e.success === undefined) throw new Error(`${st.name}: no request envelope`)
          expect(e.success.response).toBe(false)
          expect(e.success.stream).toBe(st.stream)
          const r = decodeRequest(e.success)
          expect(Result.isSuccess(r)).toBe(true)
        }
        // and the encoder still produces the exact bytes of the unframed ones
        const q = encodeRequest(v, 2, {
          _tag: "Query",
          query: "SELECT key, release_version, cluster_name, data_center, rack, partitioner, native_protocol_version, host_id, tokens FROM system.local",
          params: { consistency: Consistency.ONE }
        }, s.compression !== undefined && v < 5 ? { compression: s.compression, } : undefined)
        if (!step("QUERY system.local").framing && s.compression === undefined) {
          expect(Result.isSuccess(q) && toHex(q.success)).toBe(step("QUERY system.local").requestHex)
        }
        const o = encodeRequest(v, 0, { _tag: "Options" })
        expect(Result.isSuccess(o) && toHex(o.success)).toBe(step("OPTIONS").requestHex)
      })
    })
  }

  it("a refused protocol version: a PROTOCOL_ERROR in the node's own (highest) version", () => {
    const s = fixture.sessions.find((x) => x.name === "refused version v7")!
    const d = new FrameDecoder({ version: 5 })
    d.push(hex(s.steps[0]!.responseHex))
    const e = d.next()
    if (Result.isFailure(e) || e.success === undefined) throw new Error("no envelope")
    expect(e.success.version).toBe(5)
    const f = decodeResponse(e.success)
    if (Result.isFailure(f)) throw f.failure
    expect(f.success.response).toMatchObject({
      _tag: "Error",
      error: { code: ErrorCode.PROTOCOL_ERROR, message: expect.stringMatching(/Invalid or unsupported protocol version \(7\)/) }
    })
  })
})
