/**
 * A host's queue of requests waiting for a stream id: when every connection of a request's plan's
 * hosts is saturated (no free stream id, or writes held back by a peer that stopped reading), the
 * request waits here, first in first out, up to `maxQueuedRequests`. Its connections serve it when an
 * id frees or writes resume (`serve`, from the connection's answer path), its sweep fails waiting
 * requests whose deadline passed with `OperationTimedOut`, and a pool that lost every connection
 * hands them back (`failAll`), so they try the next host.
 *
 * A request whose deadline passed while it waited is never sent: `serve` fails it in its turn instead
 * (its answer could only be thrown away, and its stream id is better spent on a request that can still
 * make its deadline). While the deadlines of the waiting requests are in the order they came (requests
 * of one timeout: the usual case), a sweep only looks at the head, so it costs what it fails, not the
 * length of the queue (a burst queues up to a million); otherwise it scans the queue, at most once
 * per earliest deadline. The errors of one pass are shared and carry no stack (`stackless.ts`).
 *
 * It does not choose the host to wait for (the request path does) nor own connections (the host pool does).
 *
 * @since 0.2.0
 * @internal
 */
import * as E from "../../Errors.ts"
import type { Connection, StreamWaiters } from "../connection/Connection.ts"
import { stackless, TimeoutsOfOnePass } from "../connection/stackless.ts"

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
  /** The deadlines from `head` on do not decrease (a sweep stops at the first one not passed). */
  private ordered = true
  /** The deadline of the last request offered. */
  private lastDeadline = Number.NEGATIVE_INFINITY

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
    const deadline = request.deadline
    if (deadline < this.minDeadline) this.minDeadline = deadline
    if (deadline < this.lastDeadline) this.ordered = false
    this.lastDeadline = deadline
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
    let now = -1
    let timeouts: TimeoutsOfOnePass | undefined
    while (this.head < items.length && conn.accepting) {
      const request = items[this.head]!
      items[this.head++] = undefined as never
      if (request.leftQueue) {
        this.left--
        continue
      }
      if (now < 0) now = conn.now()
      if (request.deadline > now) {
        request.sendOn(conn)
        continue
      }
      // its deadline passed while it waited: it fails in its turn, unsent
      request.leftQueue = true
      request.onFailure((timeouts ??= this.timeouts()).get(request.timeoutMillis))
    }
    this.compact()
  }

  sweep(now: number): void {
    if (now < this.minDeadline || this.items.length === this.head) return
    if (this.ordered) return this.sweepHead(now)
    // compacts in place; the earliest deadline left tells when the next sweep has something to do
    const items = this.items
    let expired: Array<QueuedRequest> | undefined
    let min = Number.POSITIVE_INFINITY
    let last = Number.NEGATIVE_INFINITY
    let ordered = true
    let w = this.head
    for (let r = this.head; r < items.length; r++) {
      const request = items[r]!
      if (request.leftQueue) continue
      const deadline = request.deadline
      if (deadline <= now) {
        ;(expired ??= []).push(request)
      } else {
        items[w++] = request
        if (deadline < min) min = deadline
        if (deadline < last) ordered = false
        last = deadline
      }
    }
    items.length = w
    this.left = 0
    this.minDeadline = min
    // the requests left may be in order again (the early ones went): then the next sweeps look at the head only
    this.ordered = ordered
    this.lastDeadline = last
    if (expired === undefined) return
    const timeouts = this.timeouts()
    for (const request of expired) {
      request.leftQueue = true
      request.onFailure(timeouts.get(request.timeoutMillis))
    }
    this.compact()
  }

  /** Deadlines in order: the passed ones are the head's run. */
  private sweepHead(now: number): void {
    const items = this.items
    let timeouts: TimeoutsOfOnePass | undefined
    while (this.head < items.length) {
      const request = items[this.head]!
      if (request.leftQueue) {
        items[this.head++] = undefined as never
        this.left--
        continue
      }
      if (request.deadline > now) break
      items[this.head++] = undefined as never
      request.leftQueue = true
      request.onFailure((timeouts ??= this.timeouts()).get(request.timeoutMillis))
    }
    if (this.head < items.length) this.minDeadline = items[this.head]!.deadline
    this.compact()
  }

  private timeouts(): TimeoutsOfOnePass {
    return new TimeoutsOfOnePass(this.host, ` (no stream id of ${this.host} freed)`)
  }

  /** Every waiting request leaves with a `ConnectionError` (never sent: the next host is safe). */
  failAll(reason: string): void {
    if (this.items.length === this.head) return
    const waiting = this.items.slice(this.head)
    this.items.length = 0
    this.head = 0
    this.left = 0
    this.minDeadline = Number.POSITIVE_INFINITY
    this.ordered = true
    this.lastDeadline = Number.NEGATIVE_INFINITY
    // one error for all (never sent: the next host is safe)
    const error = stackless(() => new E.ConnectionError({ message: reason, host: this.host, sent: false }))
    for (const request of waiting) {
      if (request.leftQueue) continue
      request.leftQueue = true
      request.onFailure(error)
    }
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
      this.left = 0
      this.minDeadline = Number.POSITIVE_INFINITY
      this.ordered = true
      this.lastDeadline = Number.NEGATIVE_INFINITY
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head)
      this.head = 0
    }
  }
}
