// A canned CQL responder for the benchmarks, in its own process:
//
//   node --conditions=source bench/responder.ts [--host 127.0.0.50] [--port 9042] [--stream-rows 1000000]
//
// Speaks protocol v3, v4 and v5 (v5 segment framing after the READY that answers STARTUP, no
// compression). Answers OPTIONS, STARTUP, REGISTER, QUERY on the system tables (a system.local row,
// empty system.peers / peers_v2 / system_schema.*), PREPARE (a fixed id and metadata per known statement,
// see common.ts) and EXECUTE. Every frame is built once with the protocol package (`encodeResponse`); the
// per-request path for EXECUTE of SMALL_QUERY and PAGE_QUERY reads the envelope header, the prepared id and
// the skip_metadata flag in place, then copies the pre-built RESULT into the output batch and patches its
// stream id (one output buffer and one socket write per input chunk). STREAM_QUERY pages carry a paging
// state (the offset) until the number of rows given as the bound value (or `--stream-rows`) was served.
//
// Prints one line `{"ready":true,"host":...,"port":...,"pid":...}` on stdout when listening.
import type { CqlType } from "@effect-cassandra/protocol/CqlType"
import { decodeRequest, encodeResponse, type RawEnvelope, RowsFlag } from "@effect-cassandra/protocol/Frames"
import type { ColumnSpec, ProtocolVersion, Response, Row } from "@effect-cassandra/protocol/Messages"
import * as Result from "effect/Result"
import * as net from "node:net"
import { frameSegments } from "../packages/protocol/src/frame/Segment.ts"
import { PAGE_QUERY, PAGE_ROWS, parseArgs, SMALL_QUERY, STREAM_QUERY, WIDE_COLUMNS } from "./common.ts"

const args = parseArgs(process.argv.slice(2))
const HOST = args.str("host", "127.0.0.50")
const PORT = args.num("port", 9042)
const STREAM_ROWS = args.num("stream-rows", 1_000_000)

const VERSIONS: ReadonlyArray<ProtocolVersion> = [3, 4, 5]

// ---------------------------------------------------------------------------------------------------
// frames, built once

const t = (kind: string): CqlType => ({ kind } as CqlType)
const col = (table: string, name: string, type: CqlType, keyspace = "bench"): ColumnSpec => ({ keyspace, table, name, type })

const encode = (version: ProtocolVersion, response: Response): Uint8Array => {
  const r = encodeResponse(version, 0, response)
  if (Result.isFailure(r)) throw new Error(`encodeResponse: ${r.failure.message}`)
  return r.success
}

const rows = (
  version: ProtocolVersion,
  columns: ReadonlyArray<ColumnSpec>,
  data: Array<Row>,
  opts: { noMetadata?: boolean; pagingState?: Uint8Array } = {}
): Uint8Array =>
  encode(version, {
    _tag: "Result",
    result: {
      kind: "Rows",
      metadata: {
        flags: RowsFlag.GLOBAL_TABLES_SPEC | (opts.noMetadata ? RowsFlag.NO_METADATA : 0),
        columnCount: columns.length,
        columns: opts.noMetadata ? undefined : columns,
        pagingState: opts.pagingState,
        newMetadataId: undefined
      },
      columns,
      rows: data
    }
  })

const HOST_ID = "2a1f4c3e-8b7d-4e6a-9c5b-0d1e2f3a4b5c"
const SCHEMA_VERSION = "59adb24e-f3cd-3e02-97f0-5b395827453f"

const localColumns: Array<ColumnSpec> = [
  ["key", t("text")],
  ["bootstrapped", t("text")],
  ["broadcast_address", t("inet")],
  ["broadcast_port", t("int")],
  ["cluster_name", t("text")],
  ["cql_version", t("text")],
  ["data_center", t("text")],
  ["gossip_generation", t("int")],
  ["host_id", t("uuid")],
  ["listen_address", t("inet")],
  ["listen_port", t("int")],
  ["native_protocol_version", t("text")],
  ["partitioner", t("text")],
  ["rack", t("text")],
  ["release_version", t("text")],
  ["rpc_address", t("inet")],
  ["rpc_port", t("int")],
  ["schema_version", t("uuid")],
  ["tokens", { kind: "set", element: t("text") } as CqlType]
].map(([n, ty]) => col("local", n as string, ty as CqlType, "system"))

const localRow: Row = {
  key: "local",
  bootstrapped: "COMPLETED",
  broadcast_address: HOST,
  broadcast_port: 7000,
  cluster_name: "bench",
  cql_version: "3.4.7",
  data_center: "datacenter1",
  gossip_generation: 1700000000,
  host_id: HOST_ID,
  listen_address: HOST,
  listen_port: 7000,
  native_protocol_version: "5",
  partitioner: "org.apache.cassandra.dht.Murmur3Partitioner",
  rack: "rack1",
  release_version: "5.0.9",
  rpc_address: HOST,
  rpc_port: PORT,
  schema_version: SCHEMA_VERSION,
  tokens: ["-9223372036854775808"]
}

const peersV2Columns = [
  ["peer", t("inet")], ["peer_port", t("int")], ["data_center", t("text")], ["host_id", t("uuid")],
  ["native_address", t("inet")], ["native_port", t("int")], ["preferred_ip", t("inet")], ["preferred_port", t("int")],
  ["rack", t("text")], ["release_version", t("text")], ["schema_version", t("uuid")],
  ["tokens", { kind: "set", element: t("text") } as CqlType]
].map(([n, ty]) => col("peers_v2", n as string, ty as CqlType, "system"))
const peersColumns = [
  ["peer", t("inet")], ["data_center", t("text")], ["host_id", t("uuid")], ["preferred_ip", t("inet")],
  ["rack", t("text")], ["release_version", t("text")], ["rpc_address", t("inet")], ["schema_version", t("uuid")],
  ["tokens", { kind: "set", element: t("text") } as CqlType]
].map(([n, ty]) => col("peers", n as string, ty as CqlType, "system"))
const schemaColumns = [col("keyspaces", "keyspace_name", t("text"), "system_schema")]

// statements ------------------------------------------------------------------------------------------

const smallColumns = [col("small", "id", t("int")), col("small", "name", t("text")), col("small", "value", t("bigint"))]
const smallRow: Row = { id: 42, name: "a small row, 27 bytes long", value: 1234567890123n }

const wideColumns = WIDE_COLUMNS.map(([n, ty]) => col("wide", n, t(ty)))
const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, "0")
const wideRow = (i: number): Row => {
  const blob = new Uint8Array(16)
  for (let k = 0; k < 16; k++) blob[k] = (i * 31 + k) & 0xff
  const u = [i >>> 24, i >>> 16, i >>> 8, i, 0x5a, 0x11, 0x4e, 0x22, 0x9b, 0x33, 0, 0, 0x12, 0x34, i >>> 8, i].map(hex2).join("")
  return {
    c_int: i,
    c_bigint: BigInt(i) * 1_000_003n - 5_000_000_000n,
    c_text: `row-${String(i).padStart(8, "0")}-textvalu`, // 21 bytes
    c_uuid: `${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20)}`,
    c_timestamp: new Date(1_700_000_000_000 + i * 1000),
    c_double: i * 1.25 + 0.5,
    c_boolean: i % 2 === 0,
    c_blob: blob,
    c_float: (i % 1000) * 0.5,
    c_inet: `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`
  }
}
const widePage: Array<Row> = Array.from({ length: PAGE_ROWS }, (_, i) => wideRow(i))

interface Statement {
  readonly index: number
  readonly query: string
  readonly variables: ReadonlyArray<ColumnSpec>
  readonly columns: ReadonlyArray<ColumnSpec>
  /** canned EXECUTE answers by version: [with metadata, without (skip_metadata)] */
  readonly results: Map<ProtocolVersion, readonly [Uint8Array, Uint8Array]>
  readonly prepared: Map<ProtocolVersion, Uint8Array>
  readonly paging: boolean
}

/** Prepared ids: 16 bytes, the first one is the statement's index (the per-request lookup key). */
const preparedId = (index: number) => {
  const id = new Uint8Array(16)
  id[0] = index
  for (let k = 1; k < 16; k++) id[k] = (index * 73 + k * 29) & 0xff
  return id
}
const resultMetadataId = (index: number) => new Uint8Array([0xee, index, 1, 2, 3, 4, 5, 6])

const statements: Array<Statement> = []
const defineStatement = (
  query: string,
  variables: ReadonlyArray<ColumnSpec>,
  columns: ReadonlyArray<ColumnSpec>,
  data: Array<Row> | undefined,
  paging = false
) => {
  const index = statements.length
  const s: Statement = { index, query, variables, columns, results: new Map(), prepared: new Map(), paging }
  for (const v of VERSIONS) {
    s.prepared.set(v, encode(v, {
      _tag: "Result",
      result: {
        kind: "Prepared",
        id: preparedId(index),
        resultMetadataId: v >= 5 ? resultMetadataId(index) : undefined,
        variables,
        pkIndexes: variables.length > 0 ? [0] : [],
        resultMetadata: {
          flags: columns.length > 0 ? RowsFlag.GLOBAL_TABLES_SPEC : RowsFlag.NO_METADATA,
          columnCount: columns.length,
          columns: columns.length > 0 ? columns : undefined,
          pagingState: undefined,
          newMetadataId: undefined
        }
      }
    }))
    if (data !== undefined && !paging) {
      s.results.set(v, [rows(v, columns, data), rows(v, columns, data, { noMetadata: true })])
    } else if (data === undefined) {
      const voidFrame = encode(v, { _tag: "Result", result: { kind: "Void" } })
      s.results.set(v, [voidFrame, voidFrame])
    }
  }
  statements.push(s)
  return s
}

defineStatement(SMALL_QUERY, [col("small", "id", t("int"))], smallColumns, [smallRow])
defineStatement(PAGE_QUERY, [col("wide", "p", t("int"))], wideColumns, widePage)
const streamStatement = defineStatement(STREAM_QUERY, [col("stream", "p", t("int"))], wideColumns.map((c) => ({ ...c, table: "stream" })), [], true)
const byQuery = new Map(statements.map((s) => [s.query, s]))
/** Any other statement prepares as a write with no bind variables and answers VOID (created on demand). */
const otherStatement = (query: string): Statement => {
  let s = byQuery.get(query)
  if (s === undefined) {
    if (statements.length > 255) throw new Error("too many distinct prepared statements")
    s = defineStatement(query, [], [], undefined)
    byQuery.set(query, s)
  }
  return s
}

/** Stream pages: pre-built per (version, page size, skip_metadata, last); the 8-byte paging state is patched. */
const PAGING_MARK = new Uint8Array([0xba, 0xdc, 0x0f, 0xfe, 0xe0, 0xdd, 0xf0, 0x0d])
const streamPages = new Map<string, { frame: Uint8Array; pagingAt: number }>()
const streamPage = (v: ProtocolVersion, pageSize: number, skip: boolean, last: boolean) => {
  const key = `${v}/${pageSize}/${skip}/${last}`
  let p = streamPages.get(key)
  if (p === undefined) {
    const data = Array.from({ length: pageSize }, (_, i) => widePage[i % PAGE_ROWS]!)
    const frame = rows(v, streamStatement.columns, data, { noMetadata: skip, ...(last ? {} : { pagingState: PAGING_MARK }) })
    let pagingAt = -1
    if (!last) {
      outer: for (let i = 9; i < 200; i++) {
        for (let k = 0; k < 8; k++) if (frame[i + k] !== PAGING_MARK[k]) continue outer
        pagingAt = i
        break
      }
      if (pagingAt < 0) throw new Error("paging state not found in the page frame")
    }
    p = { frame, pagingAt }
    streamPages.set(key, p)
  }
  return p
}

const supported = new Map(VERSIONS.map((v) => [v, encode(v, {
  _tag: "Supported",
  options: { CQL_VERSION: ["3.4.7"], COMPRESSION: [], PROTOCOL_VERSIONS: ["3/v3", "4/v4", "5/v5"] }
})]))
const ready = new Map(VERSIONS.map((v) => [v, encode(v, { _tag: "Ready" })]))

const queryAnswer = (v: ProtocolVersion, query: string): Uint8Array => {
  const q = query.trim().replace(/\s+/g, " ")
  const lower = q.toLowerCase()
  if (lower.includes("system.local")) return rows(v, localColumns, [localRow])
  if (lower.includes("system.peers_v2")) return rows(v, peersV2Columns, [])
  if (lower.includes("system.peers")) return rows(v, peersColumns, [])
  if (lower.includes("system_schema.")) return rows(v, schemaColumns, [])
  const use = /^use\s+"?([A-Za-z0-9_]+)"?$/i.exec(q)
  if (use) return encode(v, { _tag: "Result", result: { kind: "SetKeyspace", keyspace: use[1]! } })
  const s = byQuery.get(q)
  if (s !== undefined && s.results.has(v)) return s.results.get(v)![0]
  return encode(v, { _tag: "Result", result: { kind: "Void" } })
}

const errorFrame = (v: ProtocolVersion, code: number, message: string) =>
  encode(v, { _tag: "Error", error: { code, message } })

// ---------------------------------------------------------------------------------------------------
// connections

const NO_PATCH = -1

class Conn {
  version: ProtocolVersion = 4
  framed = false
  /** unprocessed input (raw socket bytes: envelopes, or segments once framed) */
  pending: Buffer | undefined = undefined
  /** framed: the payload bytes of an envelope split over several segments */
  envPending: Buffer | undefined = undefined
  // the output batch: frames to copy, stream ids to patch into them (NO_PATCH: already patched)
  outFrames: Array<Uint8Array> = []
  outStreams: Array<number> = []
  outBytes = 0
  readonly socket: net.Socket
  constructor(socket: net.Socket) {
    this.socket = socket
  }

  push(frame: Uint8Array, stream: number) {
    this.outFrames.push(frame)
    this.outStreams.push(stream)
    this.outBytes += frame.length
  }

  flush() {
    const n = this.outFrames.length
    if (n === 0) return
    const out = Buffer.allocUnsafe(this.outBytes)
    const ends = this.framed ? new Array<number>(n) : undefined
    let p = 0
    for (let i = 0; i < n; i++) {
      const f = this.outFrames[i]!
      out.set(f, p)
      const s = this.outStreams[i]!
      if (s !== NO_PATCH) {
        out[p + 2] = (s >> 8) & 0xff
        out[p + 3] = s & 0xff
      }
      p += f.length
      if (ends !== undefined) ends[i] = p
    }
    this.outFrames = []
    this.outStreams = []
    this.outBytes = 0
    this.socket.write(ends === undefined ? out : frameSegments(out, 0, ends, n, "none"))
  }

  onData(chunk: Buffer) {
    let buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
    this.pending = undefined
    let p = 0
    try {
      while (p < buf.length) {
        if (!this.framed) {
          if (buf.length - p < 9) break
          const len = buf.readInt32BE(p + 5)
          if (buf.length - p < 9 + len) break
          this.envelope(buf, p, len)
          p += 9 + len
        } else {
          if (buf.length - p < 6) break
          const h = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16)
          const len = h & 0x1ffff
          const selfContained = (h & 0x20000) !== 0
          if (buf.length - p < 6 + len + 4) break
          const payloadStart = p + 6
          p += 6 + len + 4
          if (selfContained && this.envPending === undefined) this.envelopes(buf, payloadStart, payloadStart + len)
          else {
            const part = buf.subarray(payloadStart, payloadStart + len)
            this.envPending = this.envPending === undefined ? Buffer.from(part) : Buffer.concat([this.envPending, part])
            const e = this.envPending
            const done = this.envelopes(e, 0, e.length)
            this.envPending = done < e.length ? e.subarray(done) : undefined
          }
        }
      }
    } catch (e) {
      console.error(`responder: ${e instanceof Error ? e.stack : String(e)}`)
      this.socket.destroy()
      return
    }
    if (p < buf.length) this.pending = Buffer.from(buf.subarray(p))
    this.flush()
  }

  /** Whole envelopes in buf[from, to); returns where the first incomplete one starts. */
  envelopes(buf: Buffer, from: number, to: number): number {
    let p = from
    while (to - p >= 9) {
      const len = buf.readInt32BE(p + 5)
      if (to - p < 9 + len) break
      this.envelope(buf, p, len)
      p += 9 + len
    }
    return p
  }

  envelope(buf: Buffer, p: number, len: number) {
    const versionByte = buf[p]!
    const stream = (buf[p + 2]! << 8) | buf[p + 3]!
    const opcode = buf[p + 4]!
    const b = p + 9
    if (opcode === 0x0a) {
      // EXECUTE: [short bytes id] ([short bytes result_metadata_id] v5) [consistency short] [flags]
      const idLen = buf.readUInt16BE(b)
      const s = statements[buf[b + 2]!]
      if (s !== undefined && !s.paging) {
        let q = b + 2 + idLen
        if (this.version >= 5) q += 2 + buf.readUInt16BE(q)
        const flags = buf[this.version >= 5 ? q + 5 : q + 2]!
        this.push(s.results.get(this.version)![(flags & 0x02) !== 0 ? 1 : 0], stream)
        return
      }
    }
    this.slow(buf, p, len, versionByte & 0x7f, stream, opcode)
  }

  /** Everything but the canned EXECUTEs: decoded with the protocol package. */
  slow(buf: Buffer, p: number, len: number, version: number, stream: number, opcode: number) {
    if (version !== 3 && version !== 4 && version !== 5) {
      this.push(errorFrame(4, 0x000a, `Invalid or unsupported protocol version (${version}); supported versions are (3/v3, 4/v4, 5/v5)`), stream)
      return
    }
    const v = version as ProtocolVersion
    const env: RawEnvelope = {
      _tag: "RawEnvelope",
      version: v,
      response: false,
      flags: buf[p + 1]!,
      stream,
      opcode,
      body: new Uint8Array(buf.buffer, buf.byteOffset + p + 9, len)
    }
    const decoded = decodeRequest(env)
    if (Result.isFailure(decoded)) {
      this.push(errorFrame(v, 0x000a, decoded.failure.message), stream)
      return
    }
    const req = decoded.success.request
    switch (req._tag) {
      case "Options":
        this.push(supported.get(v)!, stream)
        return
      case "Startup":
        this.version = v
        this.push(ready.get(v)!, stream)
        if (v >= 5) {
          this.flush() // READY goes unframed; everything after it is framed, both ways
          this.framed = true
        }
        return
      case "Register":
        this.push(ready.get(v)!, stream)
        return
      case "Query":
        this.push(queryAnswer(v, req.query), stream)
        return
      case "Prepare": {
        const s = byQuery.get(req.query) ?? otherStatement(req.query)
        this.push(s.prepared.get(v)!, stream)
        return
      }
      case "Execute": {
        const s = statements[req.id[0]!]
        if (s === undefined) {
          this.push(errorFrame(v, 0x2500, "unknown prepared statement"), stream)
          return
        }
        if (!s.paging) {
          this.push(s.results.get(v)![(req.params.flags & 0x02) !== 0 ? 1 : 0], stream)
          return
        }
        const pageSize = req.params.pageSize !== undefined && req.params.pageSize > 0 ? req.params.pageSize : PAGE_ROWS
        const ps = req.params.pagingState
        const offset = ps !== undefined && ps.length === 8 ? Number(new DataView(ps.buffer, ps.byteOffset, 8).getBigUint64(0)) : 0
        // the bound value (int) is the number of rows to serve in all; 0: --stream-rows
        const bound = req.params.values?.values[0]
        const wanted = bound instanceof Uint8Array && bound.length === 4
          ? new DataView(bound.buffer, bound.byteOffset, 4).getInt32(0)
          : 0
        const total = wanted > 0 ? wanted : STREAM_ROWS
        const n = Math.max(0, Math.min(pageSize, total - offset))
        const last = offset + n >= total
        const page = streamPage(v, n, (req.params.flags & 0x02) !== 0, last)
        const frame = Uint8Array.from(page.frame)
        if (!last) new DataView(frame.buffer).setBigUint64(page.pagingAt, BigInt(offset + n))
        frame[2] = (stream >> 8) & 0xff
        frame[3] = stream & 0xff
        this.push(frame, NO_PATCH)
        return
      }
      case "Batch":
        this.push(encode(v, { _tag: "Result", result: { kind: "Void" } }), stream)
        return
      default:
        this.push(errorFrame(v, 0x000a, `unexpected ${req._tag}`), stream)
    }
  }
}

const server = net.createServer({ noDelay: true }, (socket) => {
  const conn = new Conn(socket)
  socket.on("data", (chunk: Buffer) => conn.onData(chunk))
  socket.on("error", () => socket.destroy())
})
server.listen(PORT, HOST, () => {
  process.stdout.write(JSON.stringify({ ready: true, host: HOST, port: PORT, pid: process.pid }) + "\n")
})
const stop = () => {
  server.close()
  process.exit(0)
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
