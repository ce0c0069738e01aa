/**
 * One connection to one host: the stream-id table, coalesced writes, and the dispatch of each answer
 * to the handler waiting for it.
 *
 * The hot path is plain code driven by socket callbacks: a request is encoded straight into the
 * connection's pending batch, written once per event-loop turn with every other request of that
 * turn, and its answer is decoded in the `data` callback and handed to its `ResponseHandler`. There
 * is no fiber, promise or closure per request.
 *
 * Writes honour the socket's back-pressure: once `socket.write` returns false nothing more is written
 * until `drain`; requests keep being encoded into the pending batch (one write on `drain`) until it
 * holds `MAX_PENDING_BYTES`, after which the connection takes no more (`accepting` is false) and the
 * pool queues them. A timed-out request keeps its stream id (orphaned) until its late answer; past
 * `maxOrphanedRequests` orphaned ids the connection retires: it takes no new requests and closes once
 * its live requests are done, and its pool replaces it. Both judgements on the connection's health
 * (retiring, and closing it as dead after `defunctTimeoutThreshold` timeouts in a row) wait for the next
 * sweep to confirm them: a sweep that runs after the event loop was busy (a burst of requests being
 * started) finds every request in flight past its deadline while their answers sit unread in the socket,
 * and the poll phase before the next sweep reads them.
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
} from "@effect-cassandra/protocol/Messages"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Duplex } from "node:stream"
import * as E from "../../Errors.ts"
import { type Compression, makeCodec, type WireCodec } from "./codec.ts"
import { fromErrorBody } from "./serverErrors.ts"
import { TimeoutsOfOnePass } from "./stackless.ts"
import { readsAreFresh } from "./transport.ts"

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
 * Bytes encoded but held back (the peer stopped reading) after which a connection takes no more requests.
 *
 * @since 0.2.0
 */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024

/**
 * Orphaned stream ids (timed out, no answer yet) after which a connection is replaced by default: a
 * quarter of its ids, the Java driver's ratio (`max-orphan-requests` 256 of 1024).
 *
 * @since 0.2.0
 */
export const DEFAULT_MAX_ORPHANED = MAX_STREAMS / 4

/**
 * Who waits for a stream id of a connection (its host pool's queue): told when ids free or writes resume.
 *
 * @since 0.2.0
 */
export interface StreamWaiters {
  /** Requests waiting (a cheap check on the answer path). */
  readonly waiting: number
  /** Hands waiting requests to `conn` while it accepts them (those whose deadline passed fail instead). */
  serve(conn: Connection): void
  /** Fails the waiting requests whose deadline has passed. */
  sweep(now: number): void
}

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
  /** Orphaned stream ids after which the connection retires and is replaced (default `DEFAULT_MAX_ORPHANED`); 0 never. */
  readonly maxOrphanedRequests?: number | undefined
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
  /** Rows on demand: a Rows answer comes with a cursor over its rows' bytes instead of decoded rows (Session.stream). */
  readonly lazyRows?: boolean | undefined
  /** Absolute deadline in Clock millis; 0 = none. */
  readonly deadline: number
  /** The timeout the deadline came from, for the OperationTimedOut it fails with (default 0: unknown). */
  readonly timeoutMillis?: number | undefined
  onResponse(frame: ResponseFrame): void
  onFailure(error: E.RequestError | E.InvalidInput): void
  /** Before `onFailure`, when the failed request was traced: the trace of the error answer. */
  onTracedError?(tracingId: string): void
  /**
   * Rows came without metadata and with another number of columns than `columns` (stale after an
   * ALTER TABLE, below v5); without this method the request fails with a DriverError.
   */
  onStaleColumns?(): void
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
  /** Socket writes so far: the heartbeat compares it between two of its checks (a count, not a clock read per write). */
  writes = 0
  /** Stream ids whose request timed out and whose answer has not arrived (part of `inFlight`). */
  orphaned = 0
  /** Too many orphaned ids: takes no new requests, closes once the live ones are done. */
  retiring = false
  /** Takes no new requests for now (retiring, or writes held back with a full pending batch). */
  paused = false
  /** The requests waiting for a stream id of this connection's pool, served as ids free. */
  waiters: StreamWaiters | undefined = undefined
  /** Called once when the connection starts retiring (its pool opens a replacement). */
  onRetire: (() => void) | undefined = undefined

  private readonly socket: Duplex
  /** The socket's reads are ArrayBuffers of their own (the default transport): freed once decoded. */
  private readonly freshReads: boolean
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
  private readonly maxOrphaned: number
  /** A sweep found `defunctAfter` timeouts in a row: dead if nothing arrived by the next sweep. */
  private defunctSuspected = false
  /** A sweep found `maxOrphaned` orphaned ids: retired if still so at the next sweep. */
  private orphansSuspected = false
  /** `socket.write` returned false: nothing is written until `drain`. */
  private writeBlocked = false

  constructor(socket: Duplex, options: ConnectionSettings, clock: Clock.Clock) {
    this.socket = socket
    this.host = options.host
    this.address = `${options.host}:${options.port}`
    this.version = options.version
    this.onEvent = options.onEvent
    this.clock = clock
    this.defunctAfter = options.defunctTimeoutThreshold ?? 0
    this.maxOrphaned = options.maxOrphanedRequests ?? DEFAULT_MAX_ORPHANED
    this.codec = makeCodec(options.version)
    this.flush = this.flush.bind(this)
    this.freshReads = readsAreFresh(socket)
    socket.on("data", (chunk: Uint8Array) => this.onData(chunk))
    socket.on("drain", () => this.onDrain())
    socket.on("error", (err: Error) => this.fail(new E.ConnectionError({ message: err.message, host: this.address, cause: err })))
    socket.on("close", () => this.fail(new E.ConnectionError({ message: "connection closed", host: this.address })))
  }

  onClose(listener: (error: E.ConnectionError) => void): void {
    if (this.closed) listener(this.closed)
    else this.closeListeners.push(listener)
  }

  /** The connection's clock, in millis. */
  now(): number {
    return this.clock.currentTimeMillisUnsafe()
  }

  get availableStreams(): number {
    return this.freeTop + MAX_STREAMS - this.fresh
  }

  /** Open, not paused, with a free stream id: a request given now is encoded at once. */
  get accepting(): boolean {
    return this.closed === undefined && (this.freeTop > 0 || this.fresh < MAX_STREAMS) && !this.paused
  }

  /** Bytes encoded and not yet written. */
  get pendingBytes(): number {
    return this.codec.pendingBytes()
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
    if (this.writeBlocked && this.codec.pendingBytes() >= MAX_PENDING_BYTES) this.paused = true
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
    if (this.closed !== undefined || this.writeBlocked) return
    const bytes = this.codec.takeBatch()
    if (bytes !== undefined) {
      this.writes++
      // false: the socket buffers more than its high-water mark; hold the next batches until `drain`
      if (!this.socket.write(bytes)) this.writeBlocked = true
    }
  }

  /** The socket wrote out its buffer: write what was held back, then serve the pool's waiting requests. */
  private onDrain(): void {
    if (!this.writeBlocked) return
    this.writeBlocked = false
    if (!this.retiring) this.paused = false
    this.write()
    this.serveWaiters()
  }

  private serveWaiters(): void {
    const waiters = this.waiters
    if (waiters !== undefined && waiters.waiting > 0 && this.accepting) waiters.serve(this)
  }

  private onData(chunk: Uint8Array): void {
    const codec = this.codec
    codec.push(chunk, this.freshReads)
    // the host is alive: a suspicion of the last sweep is off
    this.defunctSuspected = false
    for (;;) {
      const env = codec.next()
      if (env === undefined) break
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
      if (handler === ABANDONED) {
        // the late answer of a timed-out request: its id is free again
        if (--this.orphaned === 0) this.orphansSuspected = false
        continue
      }
      const decoded = codec.decode(env, handler.columns, handler.lazyRows === true)
      if (decoded._tag === "DecodeError") {
        if (decoded.staleResultColumns === true && handler.onStaleColumns !== undefined) handler.onStaleColumns()
        else handler.onFailure(new E.DriverError({ message: `undecodable response: ${decoded.message}`, host: this.address }))
      } else if (decoded.frame.response._tag === "Error") {
        if (decoded.frame.tracingId !== undefined) handler.onTracedError?.(decoded.frame.tracingId)
        handler.onFailure(fromErrorBody(decoded.frame.response.error, this.address))
      } else {
        handler.onResponse(decoded.frame)
      }
    }
    // every envelope read so far is decoded (into copies): free the page copies and the reads now rather
    // than at the next scavenge, which a slow consumer can put many pages away
    codec.release()
    if (this.retiring) this.closeIfIdle()
    else this.serveWaiters()
  }

  /**
   * Fails every request in flight whose deadline has passed (its id stays reserved until the late
   * answer), then the waiting ones; judges the connection's health (see the module's docstring).
   */
  sweep(now: number): void {
    const slots = this.slots
    let timeouts: TimeoutsOfOnePass | undefined
    for (let i = 0; i < this.highWater; i++) {
      const handler = slots[i]
      if (handler === undefined || handler.deadline === 0 || handler.deadline > now) continue
      slots[i] = ABANDONED
      this.orphaned++
      this.timeoutsInARow++
      handler.onFailure((timeouts ??= new TimeoutsOfOnePass(this.address, "")).get(handler.timeoutMillis ?? 0))
    }
    this.waiters?.sweep(now)
    if (this.closed !== undefined) return
    if (this.defunctAfter > 0 && this.timeoutsInARow >= this.defunctAfter) {
      // the host stopped answering while requests keep coming (so the idle heartbeat never runs),
      // unless it answered since the last sweep (which may have run late, before the socket was read)
      if (!this.defunctSuspected) {
        this.defunctSuspected = true
      } else {
        return this.fail(new E.ConnectionError({
          message: `${this.timeoutsInARow} requests in a row timed out without any answer: connection considered dead`,
          host: this.address
        }))
      }
    }
    if (this.maxOrphaned > 0 && this.orphaned >= this.maxOrphaned && !this.retiring) {
      if (this.orphansSuspected) this.retire()
      else this.orphansSuspected = true
    } else {
      this.orphansSuspected = false
    }
    if (this.retiring) this.closeIfIdle()
  }

  /** Too many orphaned ids: take no new requests, let the pool open a replacement, close once the live requests are done. */
  private retire(): void {
    this.retiring = true
    this.paused = true
    this.onRetire?.()
  }

  private closeIfIdle(): void {
    if (this.inFlight > this.orphaned || this.closed !== undefined) return
    this.fail(new E.ConnectionError({
      message: `${this.orphaned} stream ids orphaned by timed-out requests (maxOrphanedRequests ${this.maxOrphaned}): connection replaced`,
      host: this.address
    }))
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
    this.orphaned = 0
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

