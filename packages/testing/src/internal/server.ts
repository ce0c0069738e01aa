/**
 * One server-side connection of a mock host, over any Duplex (an in-memory pair or a TCP socket):
 * version check, OPTIONS/STARTUP/auth handshake, v5 segment framing, v3/v4 body compression, events,
 * and the answers to QUERY/PREPARE/EXECUTE/BATCH. Everything runs synchronously in the `data`
 * callback; delayed answers are scheduled on the simulation's clock.
 *
 * @internal
 */
import {
  type BodyCompression,
  ByteWriter,
  decodeRequest,
  type EncodeError,
  ErrorCode,
  type Event,
  FrameDecoder,
  FrameEncoder,
  frameSegments,
  type ProtocolVersion,
  type RawEnvelope,
  type RawRequest,
  type RawValue,
  type Response,
  type ResponseEncodeOptions,
  type Row
} from "@effect-cassandra/protocol"
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import type { Duplex } from "node:stream"
import { type Answer, consistencyName, describe, errorBody } from "../Answer.ts"
import { normalizeCached } from "./cql.ts"
import type { Activity, BatchActivity, RequestKind } from "../Model.ts"
import {
  decodePagingState,
  decodeValues,
  encodePagingState,
  type Match,
  type MatchInput,
  metadataIdOf,
  type PreparedInfo,
  sameColumns,
  type SimHost,
  type SimPrime,
  type SimulatedCluster,
  idKey,
  LazyActivity,
  toHex
} from "./simulation.ts"

const encoders = new Map<string, FrameEncoder>()

/** One response envelope (unframed, stream `stream`), with the connection's v3/v4 body compression. */
export const encodeEnvelope = (
  version: ProtocolVersion,
  compression: BodyCompression | undefined,
  stream: number,
  response: Response,
  options?: ResponseEncodeOptions
): Result.Result<Uint8Array, EncodeError> => {
  const key = `${version}|${compression ?? ""}`
  let enc = encoders.get(key)
  if (enc === undefined) {
    enc = new FrameEncoder({ version, initialCapacity: 4096 })
    if (compression !== undefined && version < 5) enc.setCompression(compression)
    encoders.set(key, enc)
  }
  const r = enc.encodeResponse(stream, response, options)
  if (Result.isFailure(r)) return Result.fail(r.failure)
  return Result.succeed(enc.takeBatch()!)
}

const KIND_BY_OPCODE: Record<number, RequestKind> = {
  0x01: "startup",
  0x05: "options",
  0x07: "query",
  0x09: "prepare",
  0x0a: "execute",
  0x0b: "register",
  0x0d: "batch",
  0x0f: "authResponse"
}

const OPCODE_NAMES: Record<number, string> = {
  0x01: "STARTUP",
  0x05: "OPTIONS",
  0x07: "QUERY",
  0x09: "PREPARE",
  0x0a: "EXECUTE",
  0x0b: "REGISTER",
  0x0d: "BATCH",
  0x0f: "AUTH_RESPONSE"
}

/** What answering one request needs to know about it. */
interface RequestContext {
  readonly stream: number
  readonly kind: RequestKind
  readonly consistency: number | undefined
  readonly preparedId: Uint8Array | undefined
  readonly prepared: PreparedInfo | undefined
  readonly pageSize: number | undefined
  readonly offset: number
  readonly skipMetadata: boolean
  readonly tracing: boolean
  readonly text: string | undefined
}

const NO_VALUES: ReadonlyArray<RawValue> = []

/** The fast path's answer to one prepared statement on one connection. */
interface FastEntry {
  readonly epoch: number
  readonly keyspace: string | undefined
  /** The answer with result metadata, or undefined when the statement takes the slow path. */
  readonly full: Uint8Array | undefined
  /** The answer to a request with skip_metadata. */
  readonly skip: Uint8Array | undefined
  readonly rows: number
  readonly prime: SimPrime | undefined
  readonly info: PreparedInfo | undefined
  readonly answer: string
}

export class ServerConnection {
  readonly id: number
  readonly sim: SimulatedCluster
  readonly host: SimHost
  readonly socket: Duplex
  version: ProtocolVersion | undefined = undefined
  keyspace: string | undefined = undefined
  compression: BodyCompression | undefined = undefined
  closed = false
  readonly registered = new Set<string>()
  private readonly decoder = new FrameDecoder({ version: 5 })
  private ready = false
  private authenticating = false
  private framing: "none" | "lz4" | undefined = undefined
  private readonly out = new ByteWriter(16 * 1024)
  private framedFrom = 0
  private readonly ends: Array<number> = []
  private closeAfterFlush = false

  constructor(sim: SimulatedCluster, host: SimHost, socket: Duplex) {
    this.id = ++sim.connectionIds
    this.sim = sim
    this.host = host
    this.socket = socket
    host.connections.add(this)
    socket.on("data", (chunk: Uint8Array) => this.onData(chunk))
    socket.on("error", () => this.onClosed())
    socket.on("close", () => this.onClosed())
  }

  private onClosed(): void {
    if (this.closed) return
    this.closed = true
    this.host.connections.delete(this)
  }

  /** Closes the connection now (host down, test request). */
  destroy(): void {
    this.onClosed()
    this.socket.destroy()
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return
    this.decoder.push(chunk)
    for (;;) {
      const r = this.decoder.next()
      if (Result.isFailure(r)) {
        this.refuse(0, ErrorCode.PROTOCOL_ERROR, `Invalid frame: ${r.failure.message}`, this.version ?? this.host.maxVersion)
        break
      }
      if (r.success === undefined) break
      this.handle(r.success)
      if (this.closed || this.closeAfterFlush) break
    }
    this.flush()
  }

  // ---- output --------------------------------------------------------------------------------

  /** Appends an encoded envelope, patching its stream id. */
  private append(envelope: Uint8Array, stream: number): void {
    const w = this.out
    const at = w.pos
    w.writeRaw(envelope)
    w.buf[at + 2] = (stream >> 8) & 0xff
    w.buf[at + 3] = stream & 0xff
    if (this.framing !== undefined) this.ends.push(w.pos)
  }

  private respond(stream: number, response: Response, options?: ResponseEncodeOptions): void {
    const version = this.version ?? this.host.maxVersion
    const r = encodeEnvelope(version, this.compression, stream, response, options)
    if (Result.isFailure(r)) {
      const fallback = encodeEnvelope(version, this.compression, stream, {
        _tag: "Error",
        error: { code: ErrorCode.SERVER_ERROR, message: `mock host: cannot encode the answer: ${r.failure.message} (at ${r.failure.path})` }
      })
      if (Result.isSuccess(fallback)) this.append(fallback.success, stream)
      return
    }
    this.append(r.success, stream)
  }

  private flush(): void {
    const w = this.out
    if (w.pos > 0 && !this.closed) {
      let bytes: Uint8Array
      if (this.framing !== undefined && this.ends.length > 0) {
        bytes = frameSegments(w.buf, this.framedFrom, this.ends, this.ends.length, this.framing)
      } else {
        bytes = Buffer.allocUnsafe(w.pos)
        bytes.set(w.buf.subarray(0, w.pos))
      }
      w.reset()
      this.framedFrom = 0
      this.ends.length = 0
      this.socket.write(bytes)
    } else {
      w.reset()
      this.framedFrom = 0
      this.ends.length = 0
    }
    if (this.closeAfterFlush && !this.closed) {
      this.onClosed()
      const s = this.socket as Duplex & { destroySoon?: () => void }
      if (typeof s.destroySoon === "function") s.destroySoon()
      else s.destroy()
    }
  }

  /** Answers an error and closes the connection (what Cassandra does with a broken or unsupported frame). */
  private refuse(stream: number, code: number, message: string, version: ProtocolVersion): void {
    const r = encodeEnvelope(version, undefined, stream, { _tag: "Error", error: { code, message } })
    if (Result.isSuccess(r)) this.append(r.success, stream)
    this.closeAfterFlush = true
  }

  /** Sends an event if this connection registered for it. */
  sendEvent(event: Event): boolean {
    if (this.closed || !this.ready || !this.registered.has(event.type) || this.host.state !== "up") return false
    this.respond(-1, { _tag: "Event", event })
    this.flush()
    return true
  }

  // ---- requests ------------------------------------------------------------------------------

  private handle(env: RawEnvelope): void {
    const sim = this.sim
    const at = sim.env.now()
    if (env.response) {
      this.refuse(env.stream, ErrorCode.PROTOCOL_ERROR, "Invalid frame: a response sent to the server", this.host.maxVersion)
      return
    }
    if (this.version === undefined) {
      if (!this.host.versions.has(env.version)) {
        const supported = [...this.host.versions].sort().map((v) => `${v}/v${v}`).join(", ")
        this.logRaw(env, at, `Error(PROTOCOL_ERROR) unsupported version ${env.version}`)
        if (this.host.state !== "up") return
        this.refuse(
          env.stream,
          ErrorCode.PROTOCOL_ERROR,
          `Invalid or unsupported protocol version (${env.version}); supported versions are (${supported})`,
          this.host.maxVersion
        )
        return
      }
      this.version = env.version as ProtocolVersion
    } else if (env.version !== this.version) {
      this.refuse(
        env.stream,
        ErrorCode.PROTOCOL_ERROR,
        `Invalid message version. Got ${env.version} but previous messages on this connection had version ${this.version}`,
        this.version
      )
      return
    }
    if (env.opcode === 0x0a && this.ready && (env.flags & 0x06) === 0 && this.host.state === "up" && this.fastExecute(env, at)) return
    const decoded = decodeRequest(env)
    if (Result.isFailure(decoded)) {
      this.logRaw(env, at, "Error(PROTOCOL_ERROR)")
      if (this.host.state === "up") this.respond(env.stream, protocolError(`Invalid request: ${decoded.failure.message}`))
      return
    }
    const request = decoded.success.request
    const tracing = decoded.success.tracing
    const stream = env.stream
    if (this.host.state === "unresponsive") {
      this.log(request, env, at, tracing, "NoAnswer (unresponsive)", undefined, isControlRequest(request, sim))
      return
    }
    switch (request._tag) {
      case "Options":
        this.respond(stream, {
          _tag: "Supported",
          options: {
            CQL_VERSION: ["3.4.7"],
            COMPRESSION: [...this.host.compression],
            PROTOCOL_VERSIONS: [...this.host.versions].sort().map((v) => `${v}/v${v}`)
          }
        })
        this.log(request, env, at, tracing, "Supported", undefined, true)
        return
      case "Startup":
        return this.startup(request, env, at)
      case "AuthResponse":
        return this.authResponse(request, env, at)
      default:
        break
    }
    if (!this.ready) {
      const expecting = this.authenticating ? "AUTH_RESPONSE" : "STARTUP or OPTIONS"
      this.respond(stream, protocolError(`Unexpected message ${OPCODE_NAMES[env.opcode] ?? env.opcode}, expecting ${expecting}`))
      this.log(request, env, at, tracing, "Error(PROTOCOL_ERROR)", undefined, false)
      return
    }
    switch (request._tag) {
      case "Register":
        for (const e of request.events) this.registered.add(e)
        this.respond(stream, { _tag: "Ready" })
        this.log(request, env, at, tracing, "Ready", undefined, true)
        return
      case "Query":
        return this.query(request, env, at, tracing)
      case "Prepare":
        return this.prepareRequest(request, env, at, tracing)
      case "Execute":
        return this.execute(request, env, at, tracing)
      case "Batch":
        return this.batch(request, env, at, tracing)
    }
  }

  private startup(request: Extract<RawRequest, { _tag: "Startup" }>, env: RawEnvelope, at: number): void {
    const stream = env.stream
    const requested = request.options["COMPRESSION"]?.toLowerCase()
    if (requested !== undefined && requested !== "") {
      const supported = (this.host.compression as ReadonlyArray<string>).includes(requested) &&
        (this.version !== 5 || requested === "lz4")
      if (!supported) {
        this.respond(stream, protocolError(`Unknown compression algorithm: ${requested}`))
        this.log(request, env, at, false, "Error(PROTOCOL_ERROR)", undefined, true)
        return
      }
    }
    const compression = requested === "lz4" || requested === "snappy" ? requested : undefined
    const auth = this.sim.auth
    if (auth !== undefined) {
      this.authenticating = true
      this.respond(stream, { _tag: "Authenticate", authenticator: "org.apache.cassandra.auth.PasswordAuthenticator" })
    } else {
      this.ready = true
      this.respond(stream, { _tag: "Ready" })
    }
    this.log(request, env, at, false, auth !== undefined ? "Authenticate" : "Ready", undefined, true)
    if (this.version === 5) {
      // everything after this answer is framed, both ways
      this.framing = compression === "lz4" ? "lz4" : "none"
      this.framedFrom = this.out.pos
      this.ends.length = 0
      this.decoder.enableFraming(compression === "lz4" ? { compression: "lz4" } : undefined)
    } else if (compression !== undefined) {
      this.compression = compression
      this.decoder.setCompression(compression)
    }
  }

  private authResponse(request: Extract<RawRequest, { _tag: "AuthResponse" }>, env: RawEnvelope, at: number): void {
    const auth = this.sim.auth
    if (!this.authenticating || auth === undefined) {
      this.respond(env.stream, protocolError("Unexpected message AUTH_RESPONSE"))
      this.log(request, env, at, false, "Error(PROTOCOL_ERROR)", undefined, true)
      return
    }
    const parts = request.token === null ? [] : new TextDecoder().decode(request.token).split("\u0000")
    const username = parts.length >= 3 ? parts[1] : parts[0]
    const password = parts.length >= 3 ? parts[2] : parts[1]
    if (username === auth.username && password === auth.password) {
      this.authenticating = false
      this.ready = true
      this.respond(env.stream, { _tag: "AuthSuccess", token: null })
      this.log(request, env, at, false, "AuthSuccess", undefined, true)
    } else {
      this.respond(env.stream, {
        _tag: "Error",
        error: { code: ErrorCode.AUTH_ERROR, message: `Provided username ${username ?? ""} and/or password are incorrect` }
      })
      this.log(request, env, at, false, "Error(AUTH_ERROR)", undefined, true)
    }
  }

  private query(request: Extract<RawRequest, { _tag: "Query" }>, env: RawEnvelope, at: number, tracing: boolean): void {
    const sim = this.sim
    const p = request.params
    const normalized = normalizeCached(request.query)
    const system = sim.isSystemQuery(normalized)
    const values = p.values?.values ?? NO_VALUES
    const input: MatchInput = {
      kind: "query",
      query: normalized,
      preparedId: undefined,
      values,
      names: p.values?.names,
      variables: undefined,
      consistency: p.consistency,
      host: this.host,
      system
    }
    const paging = decodePagingState(p.pagingState)
    const resumed = paging !== undefined && paging.primeId !== 0 ? sim.primeById(paging.primeId) : undefined
    const match: Match | undefined = resumed !== undefined
      ? { prime: resumed, answerIndex: paging!.answerIndex, answer: resumed.answers[paging!.answerIndex] ?? resumed.answers[0]! }
      : sim.match(input)
    const decodedValues = decodeValues(values, match?.prime.variables)
    let answer: Answer
    let control = false
    if (match !== undefined) answer = match.answer
    else {
      const builtin = system ? sim.builtinAnswer(this.host, normalized, decodedValues ?? values) : undefined
      control = builtin !== undefined
      answer = builtin ?? sim.defaultAnswer(normalized, p.keyspace ?? this.keyspace)
    }
    const ctx: RequestContext = {
      stream: env.stream,
      kind: "query",
      consistency: p.consistency,
      preparedId: undefined,
      prepared: undefined,
      pageSize: p.pageSize,
      offset: paging?.offset ?? 0,
      skipMetadata: false,
      tracing,
      text: request.query
    }
    this.log(request, env, at, tracing, describe(answer), decodedValues, control)
    this.deliver(ctx, answer, match)
  }

  private prepareRequest(request: Extract<RawRequest, { _tag: "Prepare" }>, env: RawEnvelope, at: number, tracing: boolean): void {
    const sim = this.sim
    const normalized = normalizeCached(request.query)
    const keyspace = request.keyspace ?? this.keyspace
    const match = sim.match({
      kind: "prepare",
      query: normalized,
      preparedId: undefined,
      values: NO_VALUES,
      names: undefined,
      variables: undefined,
      consistency: undefined,
      host: this.host,
      system: sim.isSystemQuery(normalized)
    })
    const ctx: RequestContext = {
      stream: env.stream,
      kind: "prepare",
      consistency: undefined,
      preparedId: undefined,
      prepared: undefined,
      pageSize: undefined,
      offset: 0,
      skipMetadata: false,
      tracing,
      text: request.query
    }
    const answerPrepared = (): void => {
      const info = sim.prepare(this.host, request.query, keyspace)
      this.respondTraced(ctx, {
        _tag: "Result",
        result: {
          kind: "Prepared",
          id: info.id,
          resultMetadataId: info.resultMetadataId,
          variables: info.variables,
          pkIndexes: info.pkIndexes,
          resultMetadata: {
            flags: 0x0001,
            columnCount: info.resultColumns.length,
            columns: info.resultColumns,
            pagingState: undefined,
            newMetadataId: undefined
          }
        }
      })
    }
    // a prime only overrides PREPARE with a failure (or a delay, or silence)
    const override = (answer: Answer): boolean => {
      switch (answer._tag) {
        case "Error":
        case "CloseConnection":
        case "NoAnswer":
          this.deliver(ctx, answer, match)
          return true
        case "Delayed": {
          const inner = answer.answer
          this.sim.env.schedule(Duration.toMillis(answer.delay), () => {
            if (this.closed || this.host.state !== "up") return
            if (!override(inner)) answerPrepared()
            this.flush()
          })
          return true
        }
        default:
          return false
      }
    }
    const label = match === undefined ? "Prepared" : describe(match.answer) === "Void" ? "Prepared" : describe(match.answer)
    this.log(request, env, at, tracing, label, undefined, false)
    if (match !== undefined && override(match.answer)) return
    answerPrepared()
  }

  private execute(request: Extract<RawRequest, { _tag: "Execute" }>, env: RawEnvelope, at: number, tracing: boolean): void {
    const sim = this.sim
    const p = request.params
    const idHex = idKey(request.id)
    let info = this.host.prepared.has(idHex) ? sim.prepared.get(idHex) : undefined
    const values = p.values?.values ?? NO_VALUES
    const ctxBase = {
      stream: env.stream,
      kind: "execute" as const,
      consistency: p.consistency,
      preparedId: request.id,
      pageSize: p.pageSize,
      skipMetadata: p.skipMetadata === true,
      tracing
    }
    if (info === undefined) {
      const answer: Answer = { _tag: "Error", code: ErrorCode.UNPREPARED, fields: { id: request.id } }
      this.log(request, env, at, tracing, describe(answer), undefined, false)
      this.deliver({ ...ctxBase, prepared: undefined, offset: 0, text: undefined }, answer, undefined)
      return
    }
    const system = info.system
    const decodedValues = decodeValues(values, info.variables)
    const paging = decodePagingState(p.pagingState)
    const resumed = paging !== undefined && paging.primeId !== 0 ? sim.primeById(paging.primeId) : undefined
    const match: Match | undefined = resumed !== undefined
      ? { prime: resumed, answerIndex: paging!.answerIndex, answer: resumed.answers[paging!.answerIndex] ?? resumed.answers[0]! }
      : sim.match({
        kind: "execute",
        query: info.normalized,
        preparedId: request.id,
        values,
        names: p.values?.names,
        variables: info.variables,
        consistency: p.consistency,
        host: this.host,
        system
      })
    let answer: Answer
    let control = false
    if (match !== undefined) answer = match.answer
    else {
      const builtin = system ? sim.builtinAnswer(this.host, info.normalized, decodedValues ?? values) : undefined
      control = builtin !== undefined
      answer = builtin ?? sim.defaultAnswer(info.normalized, info.keyspace ?? this.keyspace)
    }
    if (info.resultColumns.length === 0 && answer._tag === "Rows" && answer.columns.length > 0) {
      // primed after the PREPARE: the statement's metadata follows the prime, as after a schema change
      info = sim.refreshPrepared(info, this.host)
    }
    this.log(request, env, at, tracing, describe(answer), decodedValues, control, info)
    this.deliver({ ...ctxBase, prepared: info, offset: paging?.offset ?? 0, text: info.query }, answer, match)
  }

  private batch(request: Extract<RawRequest, { _tag: "Batch" }>, env: RawEnvelope, at: number, tracing: boolean): void {
    const sim = this.sim
    const ctx: RequestContext = {
      stream: env.stream,
      kind: "batch",
      consistency: request.consistency,
      preparedId: undefined,
      prepared: undefined,
      pageSize: undefined,
      offset: 0,
      skipMetadata: false,
      tracing,
      text: "BATCH"
    }
    const entries: Array<BatchActivity> = []
    const queries: Array<string | undefined> = []
    let unknown: Uint8Array | undefined
    for (const s of request.statements) {
      if (s.kind === "query") {
        queries.push(normalizeCached(s.query))
        entries.push({ query: s.query, preparedId: undefined, values: s.values, decodedValues: undefined })
      } else {
        const idHex = idKey(s.id)
        const info = this.host.prepared.has(idHex) ? sim.prepared.get(idHex) : undefined
        if (info === undefined && unknown === undefined) unknown = s.id
        queries.push(info?.normalized)
        entries.push({
          query: info?.query,
          preparedId: s.id,
          values: s.values,
          decodedValues: info === undefined ? undefined : decodeValues(s.values, info.variables)
        })
      }
    }
    let answer: Answer
    let match: Match | undefined
    if (unknown !== undefined) {
      answer = { _tag: "Error", code: ErrorCode.UNPREPARED, fields: { id: unknown } }
    } else {
      match = sim.match({
        kind: "batch",
        query: undefined,
        batchQueries: queries,
        preparedId: undefined,
        values: NO_VALUES,
        names: undefined,
        variables: undefined,
        consistency: request.consistency,
        host: this.host,
        system: false
      })
      answer = match?.answer ?? { _tag: "Void", warnings: undefined }
    }
    this.log(request, env, at, tracing, describe(answer), undefined, false, undefined, entries)
    this.deliver({ ...ctx, preparedId: unknown }, answer, match)
  }

  // ---- fast path -------------------------------------------------------------------------------

  /** Per prepared statement (by id): how this connection answers its EXECUTEs without decoding them. */
  private readonly fast = new Map<string, FastEntry>()

  /**
   * EXECUTE of a statement whose answer cannot depend on the request (the newest prime that could
   * match has no conditions and one answer, rows or void; or no prime and a default void/empty rows):
   * peek the parameters without allocating, append the answer encoded once for this connection
   * (only the stream id changes), and log lazily. Anything unusual returns false: the slow path
   * decodes the request and answers it.
   */
  private fastExecute(env: RawEnvelope, at: number): boolean {
    const b = env.body
    const n = b.length
    if (n < 2) return false
    const idLength = (b[0]! << 8) | b[1]!
    let p = 2 + idLength
    if (p > n) return false
    const key = idKey(b, 2, p)
    const sim = this.sim
    let entry = this.fast.get(key)
    if (entry === undefined || entry.epoch !== sim.epoch || entry.keyspace !== this.keyspace) {
      entry = this.fastEntry(key)
      if (this.fast.size > 1024) this.fast.clear()
      this.fast.set(key, entry)
    }
    if (entry.full === undefined) return false
    const version = this.version!
    if (version >= 5) {
      if (p + 2 > n) return false
      p += 2 + ((b[p]! << 8) | b[p + 1]!)
    }
    if (p + 3 > n) return false
    p += 2 // consistency
    let flags: number
    if (version >= 5) {
      if (p + 4 > n) return false
      flags = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
      p += 4
    } else {
      flags = b[p++]!
    }
    // paging states and named values take the slow path
    if ((flags & 0x48) !== 0) return false
    if ((flags & 0x01) !== 0) {
      if (p + 2 > n) return false
      const count = (b[p]! << 8) | b[p + 1]!
      p += 2
      for (let i = 0; i < count; i++) {
        if (p + 4 > n) return false
        const len = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
        p += 4
        if (len > 0) p += len
        // malformed lengths (below -2) get the slow path's PROTOCOL_ERROR
        else if (len < -2) return false
        if (p > n) return false
      }
    }
    if ((flags & 0x04) !== 0) {
      if (p + 4 > n) return false
      const pageSize = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
      if (pageSize > 0 && entry.rows > pageSize) return false
    }
    if (entry.prime !== undefined) entry.prime.used++
    this.append((flags & 0x02) !== 0 ? entry.skip! : entry.full, env.stream)
    if (sim.activityLimit > 0) {
      const copy: RawEnvelope = { ...env, body: new Uint8Array(b) }
      const info = entry.info!
      const answer = entry.answer
      sim.record(new LazyActivity(this.host.index, "execute", info.query, () => {
        const r = decodeRequest(copy)
        const request = Result.isSuccess(r) ? r.success.request : { _tag: "Options" as const }
        const values = request._tag === "Execute" ? request.params.values?.values ?? NO_VALUES : NO_VALUES
        return this.activityOf(request, copy, at, false, answer, decodeValues(values, info.variables), false, info)
      }))
    }
    return true
  }

  private fastEntry(key: string): FastEntry {
    const sim = this.sim
    const none: FastEntry = { epoch: sim.epoch, keyspace: this.keyspace, full: undefined, skip: undefined, rows: 0, prime: undefined, info: undefined, answer: "" }
    const info = this.host.prepared.has(key) ? sim.prepared.get(key) : undefined
    if (info === undefined || info.system) return none
    let prime: SimPrime | undefined
    for (let i = sim.primes.length - 1; i >= 0; i--) {
      const candidate = sim.primes[i]!
      if (candidate.exhausted || !candidate.kinds.has("execute") || !candidate.queryMatches(info.normalized)) continue
      prime = candidate
      break
    }
    let answer: Answer
    if (prime !== undefined) {
      const s = prime.spec
      if (s.values !== undefined || s.consistency !== undefined || s.host !== undefined || s.preparedId !== undefined || s.times !== undefined) return none
      if (prime.answers.length !== 1) return none
      answer = prime.answers[0]!
    } else {
      answer = sim.defaultAnswer(info.normalized, info.keyspace ?? this.keyspace)
    }
    const version = this.version!
    const encode = (response: Response): Uint8Array | undefined => {
      const r = encodeEnvelope(version, this.compression, 0, response)
      return Result.isSuccess(r) ? r.success : undefined
    }
    let full: Uint8Array | undefined
    let skip: Uint8Array | undefined
    let rows = 0
    if (answer._tag === "Void" && answer.warnings === undefined) {
      full = skip = encode({ _tag: "Result", result: { kind: "Void" } })
    } else if (answer._tag === "Rows" && answer.warnings === undefined) {
      if (info.resultColumns.length === 0 && answer.columns.length > 0) return none // the slow path refreshes the metadata first
      rows = answer.rows.length
      const same = sameColumns(answer.columns, info.resultColumns)
      const build = (noMetadata: boolean): Response => ({
        _tag: "Result",
        result: {
          kind: "Rows",
          metadata: {
            flags: noMetadata ? 0x0004 : 0x0001,
            columnCount: answer.columns.length,
            columns: noMetadata ? undefined : answer.columns,
            pagingState: undefined,
            newMetadataId: !same && version >= 5 ? metadataIdOf(answer.columns) : undefined
          },
          columns: answer.columns,
          rows: answer.rows as Array<Row>
        }
      })
      full = encode(build(false))
      skip = same ? encode(build(true)) : full
    } else {
      return none
    }
    if (full === undefined || skip === undefined) return none
    return { epoch: sim.epoch, keyspace: this.keyspace, full, skip, rows, prime, info, answer: describe(answer) }
  }

  // ---- answers -------------------------------------------------------------------------------

  private respondTraced(ctx: RequestContext, response: Response, warnings?: ReadonlyArray<string>): void {
    const options = this.responseOptions(ctx, warnings)
    this.respond(ctx.stream, response, options)
  }

  private responseOptions(ctx: RequestContext, warnings: ReadonlyArray<string> | undefined): ResponseEncodeOptions | undefined {
    const tracingId = ctx.tracing ? this.sim.startTrace(this.host, ctx.text ?? "") : undefined
    const w = warnings !== undefined && warnings.length > 0 && (this.version ?? 4) >= 4 ? warnings : undefined
    if (tracingId === undefined && w === undefined) return undefined
    return { ...(tracingId === undefined ? {} : { tracingId }), ...(w === undefined ? {} : { warnings: w }) }
  }

  /** Writes `answer` (or schedules it, or drops it) for the request `ctx`. */
  private deliver(ctx: RequestContext, answer: Answer, match: Match | undefined): void {
    switch (answer._tag) {
      case "Delayed": {
        const inner = answer.answer
        this.sim.env.schedule(Duration.toMillis(answer.delay), () => {
          if (this.closed || this.host.state !== "up") return
          this.deliver(ctx, inner, match)
          this.flush()
        })
        return
      }
      case "NoAnswer":
        return
      case "CloseConnection":
        this.closeAfterFlush = true
        return
      case "Error":
        this.respondTraced(ctx, {
          _tag: "Error",
          error: errorBody(answer.code, answer.fields, { consistency: ctx.consistency, preparedId: ctx.preparedId })
        })
        return
      case "Void":
        return this.respondCached(ctx, match, "v", () => ({ _tag: "Result", result: { kind: "Void" } }), answer.warnings)
      case "SetKeyspace":
        this.keyspace = answer.keyspace
        return this.respondCached(ctx, match, "k", () => ({ _tag: "Result", result: { kind: "SetKeyspace", keyspace: answer.keyspace } }), undefined)
      case "SchemaChange": {
        this.respondCached(ctx, match, "s", () => ({ _tag: "Result", result: { kind: "SchemaChange", change: answer.change } }), answer.warnings)
        // Cassandra pushes the change to every registered connection too
        const change = answer.change
        this.sim.env.schedule(0, () => this.sim.schemaChanged(change))
        return
      }
      case "Rows":
        return this.rows(ctx, answer, match)
    }
  }

  private rows(ctx: RequestContext, answer: Extract<Answer, { _tag: "Rows" }>, match: Match | undefined): void {
    const all = answer.rows
    const columns = answer.columns
    const offset = Math.min(ctx.offset, all.length)
    const pageSize = ctx.pageSize !== undefined && ctx.pageSize > 0 ? ctx.pageSize : undefined
    const end = pageSize === undefined ? all.length : Math.min(all.length, offset + pageSize)
    const more = end < all.length
    let noMetadata = false
    let newMetadataId: Uint8Array | undefined
    const prepared = ctx.prepared
    if (prepared !== undefined) {
      const same = sameColumns(columns, prepared.resultColumns)
      if (ctx.skipMetadata && same) noMetadata = true
      else if (!same && (this.version ?? 4) >= 5) newMetadataId = metadataIdOf(columns)
    }
    const build = (): Response => ({
      _tag: "Result",
      result: {
        kind: "Rows",
        metadata: {
          flags: noMetadata ? 0x0004 : 0x0001,
          columnCount: columns.length,
          columns: noMetadata ? undefined : columns,
          pagingState: more ? encodePagingState(match?.prime.id ?? 0, match?.answerIndex ?? 0, end) : undefined,
          newMetadataId
        },
        columns,
        rows: (offset === 0 && end === all.length ? all : all.slice(offset, end)) as Array<Row>
      }
    })
    if (offset === 0 && !more) {
      return this.respondCached(ctx, match, `r${noMetadata ? 0 : 1}${newMetadataId === undefined ? "" : toHex(newMetadataId)}`, build, answer.warnings)
    }
    this.respondTraced(ctx, build(), answer.warnings)
  }

  /**
   * Answers with the prime's pre-encoded envelope when there is one for this shape (only the stream
   * id is patched): encoded once per prime answer, protocol version, compression and metadata form.
   */
  private respondCached(
    ctx: RequestContext,
    match: Match | undefined,
    shape: string,
    build: () => Response,
    warnings: ReadonlyArray<string> | undefined
  ): void {
    if (match === undefined || ctx.tracing) return this.respondTraced(ctx, build(), warnings)
    const version = this.version ?? 4
    const key = `${match.answerIndex}|${version}|${this.compression ?? ""}|${shape}`
    let envelope = match.prime.cache.get(key)
    if (envelope === undefined) {
      const r = encodeEnvelope(version, this.compression, 0, build(), this.responseOptions(ctx, warnings))
      if (Result.isFailure(r)) return this.respondTraced(ctx, build(), warnings)
      envelope = r.success
      match.prime.cache.set(key, envelope)
    }
    this.append(envelope, ctx.stream)
  }

  // ---- activity ------------------------------------------------------------------------------

  private logRaw(env: RawEnvelope, at: number, answer: string): void {
    this.sim.record({
      host: this.host.endpoint,
      hostIndex: this.host.index,
      connection: this.id,
      at,
      version: env.version,
      stream: env.stream,
      kind: KIND_BY_OPCODE[env.opcode] ?? "options",
      query: undefined,
      preparedId: undefined,
      values: NO_VALUES,
      decodedValues: undefined,
      names: undefined,
      consistency: undefined,
      serialConsistency: undefined,
      pageSize: undefined,
      pagingState: undefined,
      timestamp: undefined,
      keyspace: undefined,
      batch: undefined,
      tracing: false,
      control: true,
      answer
    })
  }

  /** Records an activity (built by `activityOf`) unless the log is off. */
  private log(...args: Parameters<ServerConnection["activityOf"]>): void {
    if (this.sim.activityLimit <= 0) return
    this.sim.record(this.activityOf(...args))
  }

  private activityOf(
    request: RawRequest,
    env: RawEnvelope,
    at: number,
    tracing: boolean,
    answer: string,
    decodedValues: ReadonlyArray<unknown> | undefined,
    control: boolean,
    prepared?: PreparedInfo,
    batch?: ReadonlyArray<BatchActivity>
  ): Activity {
    const params = request._tag === "Query" || request._tag === "Execute" ? request.params : undefined
    return {
      host: this.host.endpoint,
      hostIndex: this.host.index,
      connection: this.id,
      at,
      version: env.version,
      stream: env.stream,
      kind: KIND_BY_OPCODE[env.opcode] ?? "options",
      query: request._tag === "Query" || request._tag === "Prepare"
        ? request.query
        : request._tag === "Execute"
        ? prepared?.query ?? this.sim.prepared.get(idKey(request.id))?.query
        : undefined,
      preparedId: request._tag === "Execute" ? request.id : undefined,
      values: params?.values?.values ?? NO_VALUES,
      decodedValues,
      names: params?.values?.names,
      consistency: request._tag === "Batch"
        ? consistencyName(request.consistency)
        : params === undefined
        ? undefined
        : consistencyName(params.consistency),
      serialConsistency: request._tag === "Batch"
        ? request.serialConsistency === undefined ? undefined : consistencyName(request.serialConsistency)
        : params?.serialConsistency === undefined
        ? undefined
        : consistencyName(params.serialConsistency),
      pageSize: params?.pageSize,
      pagingState: params?.pagingState,
      timestamp: request._tag === "Batch" ? request.timestamp : params?.timestamp,
      keyspace: request._tag === "Prepare" || request._tag === "Batch" ? request.keyspace : params?.keyspace,
      batch,
      tracing,
      control,
      answer
    }
  }
}

const protocolError = (message: string): Response => ({ _tag: "Error", error: { code: ErrorCode.PROTOCOL_ERROR, message } })

const isControlRequest = (request: RawRequest, sim: SimulatedCluster): boolean => {
  switch (request._tag) {
    case "Options":
    case "Startup":
    case "AuthResponse":
    case "Register":
      return true
    case "Query":
      return sim.isSystemQuery(normalizeCached(request.query))
    default:
      return false
  }
}
