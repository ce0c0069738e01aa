/**
 * One connection to one host: the stream-id table, coalesced writes, and the dispatch of each answer
 * to the handler waiting for it.
 *
 * The hot path is plain code driven by socket callbacks: a request is encoded straight into the
 * connection's pending batch, written once per event-loop turn with every other request of that
 * turn, and its answer is decoded in the `data` callback and handed to its `ResponseHandler`. There
 * is no fiber, promise or closure per request.
 *
 * It does not open itself (the handshake is `handshake.ts`), check its own timeouts on a timer or send
 * heartbeats (`timeouts.ts`), nor know about hosts, pools or retries.
 *
 * @since 0.1.0
 * @internal
 */
import {
  type ColumnSpec,
  type Event,
  type ProtocolVersion,
  type Request,
  type ResponseFrame,
  Opcode
} from "@effect-cassandra/protocol"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Duplex } from "node:stream"
import * as E from "../../Errors.ts"
import { type Compression, makeCodec, type WireCodec } from "./codec.ts"
import { fromErrorBody } from "./serverErrors.ts"

/**
 * Stream ids per connection (protocol v3+).
 *
 * @since 0.1.0
 */
export const MAX_STREAMS = 32768

/**
 * Requests per batch after which the batch is written at once instead of at the end of the turn.
 *
 * @since 0.1.0
 */
export const FLUSH_EARLY_AT = 32

/**
 * What a connection needs to know of its peer once its socket is open.
 *
 * @since 0.1.0
 */
export interface ConnectionSettings {
  readonly host: string
  readonly port: number
  readonly version: ProtocolVersion
  readonly onEvent?: ((event: Event) => void) | undefined
  /** Client timeouts in a row (no answer in between) after which the connection is closed as dead; 0 never. */
  readonly defunctTimeoutThreshold?: number | undefined
}

/**
 * Per-request options at the connection level.
 *
 * @since 0.1.0
 */
export interface SendOptions {
  /** Result metadata to decode rows sent without metadata (skip_metadata). */
  readonly columns?: ReadonlyArray<ColumnSpec> | undefined
  /** Absolute deadline in Clock millis; 0 = none. */
  readonly deadline?: number | undefined
  readonly tracing?: boolean | undefined
  readonly customPayload?: ReadonlyMap<string, Uint8Array | null> | undefined
}

/**
 * Who waits for an answer. The connection calls exactly one of `onResponse` / `onFailure`, from its
 * socket callbacks (or synchronously from `sendWith` when the request cannot be sent).
 *
 * @since 0.1.0
 */
export interface ResponseHandler {
  /** Result metadata to decode rows sent without metadata (skip_metadata). */
  readonly columns: ReadonlyArray<ColumnSpec> | undefined
  /** Absolute deadline in Clock millis; 0 = none. */
  readonly deadline: number
  /** The timeout the deadline came from, for the OperationTimedOut it fails with (default 0: unknown). */
  readonly timeoutMillis?: number | undefined
  onResponse(frame: ResponseFrame): void
  onFailure(error: E.RequestError | E.InvalidInput): void
  /** Before `onFailure`, when the failed request was traced: the trace of the error answer. */
  onTracedError?(tracingId: string): void
}

/** Keeps a stream id reserved after its request timed out, until the late answer arrives. */
const ABANDONED: ResponseHandler = {
  columns: undefined,
  deadline: 0,
  onResponse: () => {},
  onFailure: () => {}
}

type Resume = (effect: Effect.Effect<ResponseFrame, E.RequestError | E.InvalidInput>) => void

/** Adapts a handler to an Effect waiting in `Connection.send`. */
class ResumeHandler implements ResponseHandler {
  readonly resume: Resume
  readonly columns: ReadonlyArray<ColumnSpec> | undefined
  readonly deadline: number
  readonly timeoutMillis: number
  constructor(resume: Resume, columns: ReadonlyArray<ColumnSpec> | undefined, deadline: number, now: number) {
    this.resume = resume
    this.columns = columns
    this.deadline = deadline
    this.timeoutMillis = deadline === 0 ? 0 : Math.max(0, deadline - now)
  }
  onResponse(frame: ResponseFrame): void {
    this.resume(Effect.succeed(frame))
  }
  onFailure(error: E.RequestError | E.InvalidInput): void {
    this.resume(Effect.fail(error))
  }
}

/**
 * A connection to one host, multiplexing up to `MAX_STREAMS` requests.
 *
 * @since 0.1.0
 */
export class Connection {
  readonly host: string
  readonly address: string
  readonly version: ProtocolVersion
  compression: Compression | undefined = undefined
  keyspace: string | undefined = undefined
  /** Set once the connection is dead; every later request fails with it. */
  closed: E.ConnectionError | undefined = undefined
  inFlight = 0
  lastWrite = 0

  private readonly socket: Duplex
  private readonly codec: WireCodec
  // Both grow with the stream ids actually used (an idle connection holds a few bytes, not 32768 slots):
  // an id is reused from `freeIds` (LIFO) when one is free, else the next never-used id `fresh`.
  private readonly slots: Array<ResponseHandler | undefined> = []
  private readonly freeIds: Array<number> = []
  private freeTop = 0
  private fresh = 0
  private highWater = 0
  private flushScheduled = false
  /** Requests encoded since the last write. */
  private pendingRequests = 0
  private readonly onEvent: ((event: Event) => void) | undefined
  private readonly closeListeners: Array<(error: E.ConnectionError) => void> = []
  private readonly clock: Clock.Clock
  /** Set while a v5 handshake waits for READY/AUTHENTICATE, after which framing starts. */
  private framingPending = false
  /** Requests timed out since the last answer; at `defunctAfter` the connection is given up. */
  private timeoutsInARow = 0
  private readonly defunctAfter: number

  constructor(socket: Duplex, options: ConnectionSettings, clock: Clock.Clock) {
    this.socket = socket
    this.host = options.host
    this.address = `${options.host}:${options.port}`
    this.version = options.version
    this.onEvent = options.onEvent
    this.clock = clock
    this.defunctAfter = options.defunctTimeoutThreshold ?? 0
    this.codec = makeCodec(options.version)
    this.flush = this.flush.bind(this)
    socket.on("data", (chunk: Uint8Array) => this.onData(chunk))
    socket.on("error", (err: Error) => this.fail(new E.ConnectionError({ message: err.message, host: this.address, cause: err })))
    socket.on("close", () => this.fail(new E.ConnectionError({ message: "connection closed", host: this.address })))
  }

  onClose(listener: (error: E.ConnectionError) => void): void {
    if (this.closed) listener(this.closed)
    else this.closeListeners.push(listener)
  }

  get availableStreams(): number {
    return this.freeTop + MAX_STREAMS - this.fresh
  }

  /** Sends one request and waits for its answer. Interrupting keeps the stream id until the late answer. */
  send(request: Request, options?: SendOptions): Effect.Effect<ResponseFrame, E.RequestError | E.InvalidInput> {
    // No cancel hook: when the waiting fiber is interrupted, Effect ignores a later resume, and the
    // stream id stays reserved in its slot until the server's late answer frees it.
    return Effect.callback<ResponseFrame, E.RequestError | E.InvalidInput>((resume) => {
      this.sendWith(
        request,
        new ResumeHandler(resume, options?.columns, options?.deadline ?? 0, this.clock.currentTimeMillisUnsafe()),
        options?.tracing,
        options?.customPayload
      )
    })
  }

  /**
   * Encodes `request` into the pending batch (written once per event-loop turn) and registers
   * `handler` for its answer. Failures to send (dead connection, no stream id, a value that does not
   * encode) are reported to the handler at once; nothing is half-sent.
   */
  sendWith(
    request: Request,
    handler: ResponseHandler,
    tracing: boolean | undefined,
    customPayload: ReadonlyMap<string, Uint8Array | null> | undefined
  ): void {
    if (this.closed !== undefined) {
      return handler.onFailure(new E.ConnectionError({ message: this.closed.message, host: this.address, sent: false }))
    }
    if (this.freeTop === 0 && this.fresh === MAX_STREAMS) {
      return handler.onFailure(new E.ConnectionError({ message: "no free stream id", host: this.address, sent: false }))
    }
    const id = this.freeTop > 0 ? this.freeIds[--this.freeTop]! : this.fresh++
    const error = this.codec.encode(id, request, tracing, customPayload)
    if (error !== undefined) {
      this.freeIds[this.freeTop++] = id
      return handler.onFailure(new E.InvalidInput({ message: error.message, path: error.path, expected: error.expected }))
    }
    this.slots[id] = handler
    if (id >= this.highWater) this.highWater = id + 1
    this.inFlight++
    if (++this.pendingRequests === FLUSH_EARLY_AT) {
      // the first FLUSH_EARLY_AT requests of a turn go out at once, so the server starts on them while
      // the rest of the turn is encoded (one extra write per turn at most)
      this.write()
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(this.flush)
    }
  }

  private flush(): void {
    this.flushScheduled = false
    this.pendingRequests = 0
    this.write()
  }

  private write(): void {
    if (this.closed !== undefined) return
    const bytes = this.codec.takeBatch()
    if (bytes !== undefined) {
      this.lastWrite = this.clock.currentTimeMillisUnsafe()
      this.socket.write(bytes)
    }
  }

  private onData(chunk: Uint8Array): void {
    const codec = this.codec
    codec.push(chunk)
    for (;;) {
      const env = codec.next()
      if (env === undefined) return
      if (env._tag === "DecodeError") {
        return this.fail(new E.ConnectionError({ message: `undecodable frame: ${env.message}`, host: this.address }))
      }
      const stream = env.stream
      if (this.framingPending && (env.opcode === Opcode.READY || env.opcode === Opcode.AUTHENTICATE)) {
        this.framingPending = false
        codec.enableFraming(this.compression === "lz4")
      }
      if (stream < 0) {
        if (this.onEvent !== undefined) {
          const frame = codec.decode(env, undefined)
          if (frame._tag === "ResponseFrame" && frame.frame.response._tag === "Event") this.onEvent(frame.frame.response.event)
        }
        continue
      }
      const handler = this.slots[stream]
      if (handler === undefined) continue // answer to nothing: ignore
      this.timeoutsInARow = 0
      this.slots[stream] = undefined
      this.freeIds[this.freeTop++] = stream
      this.inFlight--
      if (handler === ABANDONED) continue // timed out earlier
      const decoded = codec.decode(env, handler.columns)
      if (decoded._tag === "DecodeError") {
        handler.onFailure(new E.DriverError({ message: `undecodable response: ${decoded.message}`, host: this.address }))
      } else if (decoded.frame.response._tag === "Error") {
        if (decoded.frame.tracingId !== undefined) handler.onTracedError?.(decoded.frame.tracingId)
        handler.onFailure(fromErrorBody(decoded.frame.response.error, this.address))
      } else {
        handler.onResponse(decoded.frame)
      }
    }
  }

  /** Fails every waiting request with a timeout when its deadline has passed. */
  sweep(now: number): void {
    const slots = this.slots
    for (let i = 0; i < this.highWater; i++) {
      const handler = slots[i]
      if (handler === undefined || handler.deadline === 0 || handler.deadline > now) continue
      slots[i] = ABANDONED
      this.timeoutsInARow++
      const timeoutMillis = handler.timeoutMillis ?? 0
      handler.onFailure(new E.OperationTimedOut({
        message: timeoutMillis > 0 ? `no answer within ${timeoutMillis} ms` : "client-side timeout",
        host: this.address,
        timeoutMillis
      }))
    }
    if (this.defunctAfter > 0 && this.timeoutsInARow >= this.defunctAfter && this.closed === undefined) {
      // the host stopped answering while requests keep coming (so the idle heartbeat never runs)
      this.fail(new E.ConnectionError({
        message: `${this.timeoutsInARow} requests in a row timed out without any answer: connection considered dead`,
        host: this.address
      }))
    }
  }

  /** Marks the connection dead, fails every request in flight, and closes the socket. */
  fail(error: E.ConnectionError): void {
    if (this.closed !== undefined) return
    this.closed = error
    const failed: Array<ResponseHandler> = []
    for (let i = 0; i < this.highWater; i++) {
      const handler = this.slots[i]
      if (handler === undefined) continue
      this.slots[i] = undefined
      if (handler !== ABANDONED) failed.push(handler)
    }
    this.inFlight = 0
    this.socket.destroy()
    for (const h of failed) h.onFailure(error)
    const listeners = this.closeListeners.splice(0)
    for (const l of listeners) l(error)
  }

  close(): Effect.Effect<void> {
    return Effect.sync(() => this.fail(new E.ConnectionError({ message: "connection closed by the client", host: this.address })))
  }

  /** v5: the next READY/AUTHENTICATE switches both directions to segment framing. */
  expectFraming(): void {
    if (this.version >= 5) this.framingPending = true
  }

  startFramingOut(): void {
    this.codec.enableFramingOut(this.compression === "lz4")
  }

  /** v3/v4: the answer to STARTUP may already be compressed. */
  expectCompression(compression: Compression | undefined): void {
    this.compression = compression
    if (this.version < 5 && compression !== undefined) this.codec.setDecoderCompression(compression)
  }

  /** v3/v4: compress what is sent after STARTUP. */
  startCompressionOut(): void {
    if (this.version < 5 && this.compression !== undefined) this.codec.setEncoderCompression(this.compression)
  }
}

