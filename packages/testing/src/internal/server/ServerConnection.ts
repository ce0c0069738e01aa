/**
 * One server-side connection of a mock host, over any Duplex (an in-memory pair or a TCP socket):
 * reading frames, the protocol version check, the OPTIONS/STARTUP/auth handshake and REGISTER,
 * dispatching the other requests (`requests.ts`, or the EXECUTE fast path of `fastPath.ts`), events,
 * and the output: v5 segment framing, v3/v4 body compression, closing. Everything runs
 * synchronously in the `data` callback; delayed answers are scheduled on the simulation's clock.
 *
 * @internal
 */
import { ByteWriter } from "@effect-cassandra/protocol/Buffers"
import {
  type BodyCompression,
  decodeRequest,
  FrameDecoder,
  frameSegments,
  type RawEnvelope,
  type RawRequest,
  type ResponseEncodeOptions
} from "@effect-cassandra/protocol/Frames"
import { ErrorCode, type Event, type ProtocolVersion, type Response } from "@effect-cassandra/protocol/Messages"
import * as Result from "effect/Result"
import type { Duplex } from "node:stream"
import { normalizeCached } from "../cql.ts"
import type { HostConnection, SimHost } from "../sim/hosts.ts"
import type { SimulatedCluster } from "../sim/SimulatedCluster.ts"
import { encodeEnvelope } from "./envelope.ts"
import { FastPath } from "./fastPath.ts"
import { RequestLog } from "./requestLog.ts"
import { answerBatch, answerExecute, answerPrepare, answerQuery, type RequestConnection } from "./requests.ts"

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

/**
 * A connection to a mock host: it registers with the host on creation and leaves it on close.
 *
 * @since 0.1.0
 */
export class ServerConnection implements RequestConnection, HostConnection {
  readonly id: number
  readonly sim: SimulatedCluster
  readonly host: SimHost
  readonly socket: Duplex
  readonly log: RequestLog
  version: ProtocolVersion | undefined = undefined
  keyspace: string | undefined = undefined
  compression: BodyCompression | undefined = undefined
  /** The custom payload of the request being answered, when the cluster echoes payloads. */
  echoPayload: ReadonlyMap<string, Uint8Array | null> | undefined = undefined
  closed = false
  readonly registered = new Set<string>()
  private readonly decoder = new FrameDecoder({ version: 5 })
  private readonly fastPath: FastPath
  private ready = false
  private authenticating = false
  private framing: "none" | "lz4" | undefined = undefined
  private readonly out = new ByteWriter(16 * 1024)
  private framedFrom = 0
  private readonly ends: Array<number> = []
  private closing = false

  constructor(sim: SimulatedCluster, host: SimHost, socket: Duplex) {
    this.id = ++sim.connectionIds
    this.sim = sim
    this.host = host
    this.socket = socket
    this.log = new RequestLog(sim, host, this.id)
    this.fastPath = new FastPath(this)
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

  /** Stops or resumes reading the socket (a stuck peer: the client's writes back up). */
  setReading(reading: boolean): void {
    if (reading) this.socket.resume()
    else this.socket.pause()
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
      if (this.closed || this.closing) break
    }
    this.flush()
  }

  // ---- output --------------------------------------------------------------------------------

  /** Appends an encoded envelope, patching its stream id. */
  append(envelope: Uint8Array, stream: number): void {
    const w = this.out
    const at = w.pos
    w.writeRaw(envelope)
    w.buf[at + 2] = (stream >> 8) & 0xff
    w.buf[at + 3] = stream & 0xff
    if (this.framing !== undefined) this.ends.push(w.pos)
  }

  /** Encodes and appends a response (a SERVER_ERROR when it does not encode). */
  respond(stream: number, response: Response, options?: ResponseEncodeOptions): void {
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

  /** Writes what was appended (framed in v5 segments once STARTUP is answered), then closes if asked. */
  flush(): void {
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
    if (this.closing && !this.closed) {
      this.onClosed()
      const s = this.socket as Duplex & { destroySoon?: () => void }
      if (typeof s.destroySoon === "function") s.destroySoon()
      else s.destroy()
    }
  }

  /** Closes the connection after the next flush. */
  closeAfterFlush(): void {
    this.closing = true
  }

  /** Answers an error and closes the connection (what Cassandra does with a broken or unsupported frame). */
  private refuse(stream: number, code: number, message: string, version: ProtocolVersion): void {
    const r = encodeEnvelope(version, undefined, stream, { _tag: "Error", error: { code, message } })
    if (Result.isSuccess(r)) this.append(r.success, stream)
    this.closing = true
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
    const at = this.sim.env.now()
    if (!this.accepts(env, at)) return
    if (env.opcode === 0x0a && this.ready && (env.flags & 0x06) === 0 && this.host.state === "up" && this.fastPath.execute(env, at)) return
    const decoded = decodeRequest(env)
    if (Result.isFailure(decoded)) {
      this.log.recordRaw(env, at, "Error(PROTOCOL_ERROR)")
      if (this.host.state === "up") this.respond(env.stream, protocolError(`Invalid request: ${decoded.failure.message}`))
      return
    }
    const request = decoded.success.request
    const tracing = decoded.success.tracing
    if (this.host.state === "unresponsive") {
      this.log.record(request, env, at, tracing, "NoAnswer (unresponsive)", undefined, isControlRequest(request, this.sim))
      return
    }
    const payload = decoded.success.customPayload
    this.echoPayload = this.sim.options.echoCustomPayload === true ? payload : undefined
    this.log.currentPayload = payload
    this.dispatch(request, env, at, tracing)
    this.echoPayload = undefined
    this.log.currentPayload = undefined
  }

  /**
   * Whether the envelope may be handled: a response, a version the host does not speak or a change
   * of version on the connection is refused (and the connection closed).
   */
  private accepts(env: RawEnvelope, at: number): boolean {
    if (env.response) {
      this.refuse(env.stream, ErrorCode.PROTOCOL_ERROR, "Invalid frame: a response sent to the server", this.host.maxVersion)
      return false
    }
    if (this.version === undefined) {
      if (!this.host.versions.has(env.version)) {
        const supported = [...this.host.versions].sort().map((v) => `${v}/v${v}`).join(", ")
        this.log.recordRaw(env, at, `Error(PROTOCOL_ERROR) unsupported version ${env.version}`)
        if (this.host.state !== "up") return false
        this.refuse(
          env.stream,
          ErrorCode.PROTOCOL_ERROR,
          `Invalid or unsupported protocol version (${env.version}); supported versions are (${supported})`,
          this.host.maxVersion
        )
        return false
      }
      this.version = env.version as ProtocolVersion
    } else if (env.version !== this.version) {
      this.refuse(
        env.stream,
        ErrorCode.PROTOCOL_ERROR,
        `Invalid message version. Got ${env.version} but previous messages on this connection had version ${this.version}`,
        this.version
      )
      return false
    }
    return true
  }

  /** The handshake requests, then (once ready) REGISTER and the statements. */
  private dispatch(request: RawRequest, env: RawEnvelope, at: number, tracing: boolean): void {
    const stream = env.stream
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
        this.log.record(request, env, at, tracing, "Supported", undefined, true)
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
      this.log.record(request, env, at, tracing, "Error(PROTOCOL_ERROR)", undefined, false)
      return
    }
    switch (request._tag) {
      case "Register":
        for (const e of request.events) this.registered.add(e)
        this.respond(stream, { _tag: "Ready" })
        this.log.record(request, env, at, tracing, "Ready", undefined, true)
        return
      case "Query":
        return answerQuery(this, request, env, at, tracing)
      case "Prepare":
        return answerPrepare(this, request, env, at, tracing)
      case "Execute":
        return answerExecute(this, request, env, at, tracing)
      case "Batch":
        return answerBatch(this, request, env, at, tracing)
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
        this.log.record(request, env, at, false, "Error(PROTOCOL_ERROR)", undefined, true)
        return
      }
    }
    const cqlRefusal = refuseCqlVersion(request.options["CQL_VERSION"])
    if (cqlRefusal !== undefined) {
      this.respond(stream, protocolError(cqlRefusal))
      this.log.record(request, env, at, false, "Error(PROTOCOL_ERROR)", undefined, true)
      return
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
    this.log.record(request, env, at, false, auth !== undefined ? "Authenticate" : "Ready", undefined, true)
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
      this.log.record(request, env, at, false, "Error(PROTOCOL_ERROR)", undefined, true)
      return
    }
    const parts = request.token === null ? [] : new TextDecoder().decode(request.token).split("\u0000")
    const username = parts.length >= 3 ? parts[1] : parts[0]
    const password = parts.length >= 3 ? parts[2] : parts[1]
    if (username === auth.username && password === auth.password) {
      this.authenticating = false
      this.ready = true
      this.respond(env.stream, { _tag: "AuthSuccess", token: null })
      this.log.record(request, env, at, false, "AuthSuccess", undefined, true)
    } else {
      this.respond(env.stream, {
        _tag: "Error",
        error: { code: ErrorCode.AUTH_ERROR, message: `Provided username ${username ?? ""} and/or password are incorrect` }
      })
      this.log.record(request, env, at, false, "Error(AUTH_ERROR)", undefined, true)
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
      return sim.builtins.isSystemQuery(normalizeCached(request.query))
    default:
      return false
  }
}

/**
 * Why Cassandra refuses a STARTUP's CQL_VERSION (missing, not a version, or below 2.99.0; it accepts
 * any 3.x and above, however high), undefined when it does not.
 */
const refuseCqlVersion = (version: string | undefined): string | undefined => {
  if (version === undefined) return "Missing value CQL_VERSION in STARTUP message"
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:-[.\w]+)?(?:[.+][.\w]+)?$/.exec(version)
  if (m === null) return `Invalid version value: ${version}`
  // Cassandra compares with 2.99.0
  const [major, minor] = [Number(m[1]), Number(m[2])]
  if (major < 2 || (major === 2 && minor < 99)) return `CQL version ${version} is not supported by the binary protocol (supported version are >= 3.0.0)`
  return undefined
}
