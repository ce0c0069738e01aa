/**
 * A host's queue of requests waiting for a stream id: when every connection of a request's plan's
 * hosts is saturated (no free stream id, or writes held back by a peer that stopped reading), the
 * request waits here, first in first out, up to `maxQueuedRequests`. Its connections serve it when an
 * id frees or writes resume (`serve`, from the connection's answer path), its sweep fails waiting
 * requests whose deadline passed with `OperationTimedOut`, and a pool that lost every connection
 * hands them back (`failAll`), so they try the next host.
 *
 * It does not choose the host to wait for (the request path does) nor own connections (the host pool does).
 *
 * @since 0.2.0
 * @internal
 */
import * as E from "../../Errors.ts"
import type { Connection, StreamWaiters } from "../connection/Connection.ts"

/**
 * A request waiting in a host's queue (a request execution).
 *
 * @since 0.2.0
 */
export interface QueuedRequest {
  /** Absolute deadline in Clock millis (Infinity: none). */
  readonly deadline: number
  readonly timeoutMillis: number
  /** Set by `remove`: the request left the queue (its fiber was interrupted) and is skipped. */
  leftQueue: boolean
  /** Sends the request on `conn`, which accepts requests now. */
  sendOn(conn: Connection): void
  /** The request leaves the queue unsent (timed out, or its host lost every connection). */
  onFailure(error: E.RequestError | E.InvalidInput): void
}

/**
 * Default of `maxQueuedRequests`: 1,000,000 requests started at once on one connection (32,768 stream
 * ids) all get through. The queue holds a reference per request: the waiting fibers are the caller's.
 *
 * @since 0.2.0
 */
export const DEFAULT_MAX_QUEUED = 1_048_576

/**
 * The waiting requests of one host.
 *
 * @since 0.2.0
 */
export class RequestQueue implements StreamWaiters {
  readonly host: string
  readonly capacity: number
  /** Entries from `head` on, oldest first. */
  private readonly items: Array<QueuedRequest> = []
  private head = 0
  /** Entries that left (interrupted) but are still in `items`. */
  private left = 0
  /** No waiting request's deadline is earlier (a sweep before it has nothing to do). */
  private minDeadline = Number.POSITIVE_INFINITY

  constructor(host: string, capacity: number) {
    this.host = host
    this.capacity = capacity
  }

  get waiting(): number {
    return this.items.length - this.head - this.left
  }

  /** Adds a request at the tail; false when the queue is full. */
  offer(request: QueuedRequest): boolean {
    if (this.waiting >= this.capacity) return false
    request.leftQueue = false
    this.items.push(request)
    if (request.deadline < this.minDeadline) this.minDeadline = request.deadline
    return true
  }

  /** A waiting request leaves (its fiber was interrupted): skipped when its turn comes. */
  remove(request: QueuedRequest): void {
    if (request.leftQueue) return
    request.leftQueue = true
    this.left++
  }

  serve(conn: Connection): void {
    const items = this.items
    while (this.head < items.length && conn.accepting) {
      const request = items[this.head]!
      items[this.head++] = undefined as never
      if (request.leftQueue) this.left--
      else request.sendOn(conn)
    }
    this.compact()
  }

  sweep(now: number): void {
    if (now < this.minDeadline || this.items.length === this.head) return
    // compacts in place; the earliest deadline left tells when the next sweep has something to do
    const items = this.items
    let expired: Array<QueuedRequest> | undefined
    let min = Number.POSITIVE_INFINITY
    let w = this.head
    for (let r = this.head; r < items.length; r++) {
      const request = items[r]!
      if (request.leftQueue) continue
      if (request.deadline <= now) {
        ;(expired ??= []).push(request)
      } else {
        items[w++] = request
        if (request.deadline < min) min = request.deadline
      }
    }
    items.length = w
    this.left = 0
    this.minDeadline = min
    if (expired === undefined) return
    for (const request of expired) {
      request.leftQueue = true
      request.onFailure(new E.OperationTimedOut({
        message: `no answer within ${request.timeoutMillis} ms (no stream id of ${this.host} freed)`,
        host: this.host,
        timeoutMillis: request.timeoutMillis
      }))
    }
  }

  /** Every waiting request leaves with a `ConnectionError` (never sent: the next host is safe). */
  failAll(reason: string): void {
    if (this.items.length === this.head) return
    const waiting = this.items.slice(this.head)
    this.items.length = 0
    this.head = 0
    this.left = 0
    this.minDeadline = Number.POSITIVE_INFINITY
    for (const request of waiting) {
      if (request.leftQueue) continue
      request.leftQueue = true
      request.onFailure(new E.ConnectionError({ message: reason, host: this.host, sent: false }))
    }
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
      this.left = 0
      this.minDeadline = Number.POSITIVE_INFINITY
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head)
      this.head = 0
    }
  }
}
