/**
 * Session throttlers: optional limits on the requests a session sends, each with a bounded queue of
 * waiting requests and a typed error (`RequestThrottled`) past it. Given to `Session.layer({ throttler })`.
 *
 * - `concurrencyLimit({ maxInFlight, maxQueued })`: at most `maxInFlight` requests at once (the Java
 *   driver's ConcurrencyLimitingRequestThrottler).
 * - `rateLimit({ perSecond, maxQueued, burst })`: at most `perSecond` requests a second, spaced evenly
 *   (the Java driver's RateLimitingRequestThrottler).
 * - `adaptive({ ... })`: a concurrency limit that follows latency, as Netflix's concurrency-limits Vegas
 *   limit: it grows while the latency stays near the lowest seen, and shrinks when requests queue up in
 *   the server (the latency rises) or are dropped (timeouts, Overloaded).
 *
 * Waiting in a throttler's queue is interruptible and does not count against the request's timeout
 * (which starts when the request leaves the throttler). A throttler is a mutable object: one instance
 * limits every session it is given to. Every wait is on the Effect `Clock` (virtual under `TestClock`).
 *
 * It does not send, retry or time requests out (the request path does).
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as E from "../Errors.ts"

/**
 * A throttler: `run` wraps one request.
 *
 * @since 0.2.0
 * @category models
 */
export interface Throttler {
  readonly kind: "concurrency" | "rate" | "adaptive"
  /** Runs `effect` when the throttler allows it; `RequestThrottled` at once when its queue is full. */
  readonly run: <A, Err, R>(effect: Effect.Effect<A, Err, R>) => Effect.Effect<A, Err | E.RequestThrottled, R>
  /** The current limit: requests in flight (concurrency, adaptive) or per second (rate). */
  readonly limit: number
  /** Requests running now (started and not finished). */
  readonly inFlight: number
  /** Requests waiting in the queue. */
  readonly queued: number
  /** Set when the options were bad: the Session fails with it when it starts. */
  readonly invalid: E.InvalidInput | undefined
}

/**
 * Default queue bound of every throttler (the Java driver's `max-queue-size`).
 *
 * @since 0.2.0
 */
export const DEFAULT_MAX_QUEUED = 10_000

const check = (ok: boolean, path: string, value: unknown, expected: string): E.InvalidInput | undefined =>
  ok ? undefined : new E.InvalidInput({ message: `throttler ${path}: ${String(value)} is not ${expected}`, path: `throttler.${path}`, expected })

const positiveInt = (x: number | undefined, path: string, optional: boolean): E.InvalidInput | undefined =>
  x === undefined && optional ? undefined : check(Number.isInteger(x) && x! > 0, path, x, "a positive integer")

const queueBound = (x: number | undefined): E.InvalidInput | undefined =>
  x === undefined ? undefined : check(Number.isInteger(x) && x >= 0, "maxQueued", x, "an integer >= 0")

/** A waiting request of a limiter: resumed when a permit frees. */
interface Waiter {
  granted: boolean
  readonly resume: (effect: Effect.Effect<void>) => void
}

/** Permits, a FIFO of waiters and an adjustable limit: the concurrency and adaptive throttlers. */
class Limiter implements Throttler {
  readonly kind: "concurrency" | "adaptive"
  limit: number
  inFlight = 0
  readonly invalid: E.InvalidInput | undefined
  private readonly maxQueued: number
  private readonly waiters: Array<Waiter> = []
  private readonly acquire: Effect.Effect<void, E.RequestThrottled>

  constructor(kind: "concurrency" | "adaptive", limit: number, maxQueued: number, invalid: E.InvalidInput | undefined) {
    this.kind = kind
    this.limit = limit
    this.maxQueued = maxQueued
    this.invalid = invalid
    this.acquire = Effect.callback<void, E.RequestThrottled>((resume) => {
      if (this.inFlight < this.limit) {
        this.inFlight++
        return resume(Effect.void)
      }
      if (this.waiters.length >= this.maxQueued) return resume(Effect.fail(this.throttled()))
      const waiter: Waiter = { granted: false, resume }
      this.waiters.push(waiter)
      return Effect.sync(() => this.leave(waiter))
    })
  }

  get queued(): number {
    return this.waiters.length
  }

  run<A, Err, R>(effect: Effect.Effect<A, Err, R>): Effect.Effect<A, Err | E.RequestThrottled, R> {
    return Effect.uninterruptibleMask((restore) => Effect.flatMap(restore(this.acquire), () => this.observe(restore(effect))))
  }

  /** Runs a request that holds a permit; its end frees the permit. */
  protected observe<A, Err, R>(effect: Effect.Effect<A, Err, R>): Effect.Effect<A, Err, R> {
    return Effect.onExit(effect, () => Effect.sync(() => this.release()))
  }

  protected release(): void {
    this.inFlight--
    this.grant()
  }

  /** Hands free permits to waiters, oldest first (after a release or a higher limit). */
  protected grant(): void {
    while (this.inFlight < this.limit && this.waiters.length > 0) {
      const waiter = this.waiters.shift()!
      waiter.granted = true
      this.inFlight++
      waiter.resume(Effect.void)
    }
  }

  /** An interrupted waiter: out of the queue, or its permit back when it had just been granted one. */
  private leave(waiter: Waiter): void {
    if (waiter.granted) return this.release()
    const i = this.waiters.indexOf(waiter)
    if (i >= 0) this.waiters.splice(i, 1)
  }

  private throttled(): E.RequestThrottled {
    return new E.RequestThrottled({
      message: `${this.kind} throttler: ${this.inFlight} requests in flight (limit ${this.limit}) and ${this.waiters.length} waiting (maxQueued ${this.maxQueued})`,
      throttler: this.kind,
      limit: this.limit,
      maxQueued: this.maxQueued
    })
  }
}

/**
 * At most `maxInFlight` requests at once; up to `maxQueued` (default 10,000) more wait, first come first served.
 *
 * @since 0.2.0
 * @category constructors
 */
export const concurrencyLimit = (options: { readonly maxInFlight: number; readonly maxQueued?: number | undefined }): Throttler =>
  new Limiter(
    "concurrency",
    options.maxInFlight,
    options.maxQueued ?? DEFAULT_MAX_QUEUED,
    positiveInt(options.maxInFlight, "maxInFlight", false) ?? queueBound(options.maxQueued)
  )

/** Even spacing of requests at `perSecond`, with up to `burst` saved up while idle. */
class RateLimiter implements Throttler {
  readonly kind = "rate" as const
  readonly limit: number
  inFlight = 0
  queued = 0
  readonly invalid: E.InvalidInput | undefined
  private readonly interval: number
  private readonly burst: number
  private readonly maxQueued: number
  /** Clock millis of the next free slot (undefined before the first request). */
  private next: number | undefined = undefined

  constructor(perSecond: number, burst: number, maxQueued: number, invalid: E.InvalidInput | undefined) {
    this.limit = perSecond
    this.interval = 1000 / perSecond
    this.burst = burst
    this.maxQueued = maxQueued
    this.invalid = invalid
  }

  run<A, Err, R>(effect: Effect.Effect<A, Err, R>): Effect.Effect<A, Err | E.RequestThrottled, R> {
    return Effect.flatMap(Effect.clockWith((clock) => Effect.succeed(this.reserve(clock.currentTimeMillisUnsafe()))), (wait): Effect.Effect<A, Err | E.RequestThrottled, R> => {
      if (wait < 0) return Effect.fail(this.throttled())
      const counted = Effect.onExit(effect, () => Effect.sync(() => { this.inFlight-- }))
      const start = Effect.suspend(() => {
        this.inFlight++
        return counted
      })
      if (wait === 0) return start
      this.queued++
      return Effect.andThen(Effect.ensuring(Effect.sleep(wait), Effect.sync(() => { this.queued-- })), start)
    })
  }

  /** Takes the next slot: how long to wait for it, or -1 when the queue is full. */
  private reserve(now: number): number {
    // idle time saves up to `burst` slots
    const earliest = now - (this.burst - 1) * this.interval
    const slot = this.next === undefined ? now : Math.max(this.next, earliest)
    const wait = Math.max(0, slot - now)
    if (wait > 0 && this.queued >= this.maxQueued) return -1
    this.next = slot + this.interval
    return Math.ceil(wait)
  }

  private throttled(): E.RequestThrottled {
    return new E.RequestThrottled({
      message: `rate throttler: ${this.queued} requests already wait for a slot at ${this.limit} per second (maxQueued ${this.maxQueued})`,
      throttler: "rate",
      limit: this.limit,
      maxQueued: this.maxQueued
    })
  }
}

/**
 * At most `perSecond` requests a second, spaced evenly; `burst` (default 1) slots are saved up while
 * idle; up to `maxQueued` (default 10,000) requests wait for their slot.
 *
 * @since 0.2.0
 * @category constructors
 */
export const rateLimit = (options: {
  readonly perSecond: number
  readonly burst?: number | undefined
  readonly maxQueued?: number | undefined
}): Throttler =>
  new RateLimiter(
    options.perSecond,
    options.burst ?? 1,
    options.maxQueued ?? DEFAULT_MAX_QUEUED,
    check(Number.isFinite(options.perSecond) && options.perSecond > 0, "perSecond", options.perSecond, "a positive number") ??
      positiveInt(options.burst, "burst", true) ?? queueBound(options.maxQueued)
  )

/**
 * What `adaptive` takes.
 *
 * @since 0.2.0
 * @category models
 */
export interface AdaptiveOptions {
  /** The limit to start from (default 20). */
  readonly initialLimit?: number | undefined
  /** The limit never goes below (default 1) nor above (default 1000) these. */
  readonly minLimit?: number | undefined
  readonly maxLimit?: number | undefined
  /** Requests that may wait (default 10,000). */
  readonly maxQueued?: number | undefined
  /** The limit is multiplied by this on a dropped request (timeout, Overloaded; default 0.9). */
  readonly backoffRatio?: number | undefined
  /** Every `probeInterval` x limit samples the lowest latency is measured afresh (default 30). */
  readonly probeInterval?: number | undefined
}

/** Tags of failures that mean the server or the client is overloaded: the limit backs off. */
const DROPPED: ReadonlySet<string> = new Set(["OperationTimedOut", "Overloaded", "HostBusy", "ReadTimeout", "WriteTimeout"])

/**
 * Netflix's Vegas limit: with the lowest latency seen `rttNoLoad` and a sample `rtt`, the requests queued
 * in the server are about `limit x (1 - rttNoLoad / rtt)`. Below `alpha = 3 log10(limit)` the limit
 * grows by `log10(limit)` (when the limit is in use), above `beta = 6 log10(limit)` it shrinks by as much.
 */
class AdaptiveLimiter extends Limiter {
  /** The lowest latency seen since the last probe (ms; Infinity before the first sample). */
  rttNoLoad = Number.POSITIVE_INFINITY
  private readonly minLimit: number
  private readonly maxLimit: number
  private readonly backoffRatio: number
  private readonly probeInterval: number
  private samples = 0

  constructor(options: AdaptiveOptions, invalid: E.InvalidInput | undefined) {
    super("adaptive", options.initialLimit ?? 20, options.maxQueued ?? DEFAULT_MAX_QUEUED, invalid)
    this.minLimit = options.minLimit ?? 1
    this.maxLimit = options.maxLimit ?? 1000
    this.backoffRatio = options.backoffRatio ?? 0.9
    this.probeInterval = options.probeInterval ?? 30
  }

  /** Also times the request on its Clock. */
  protected override observe<A, Err, R>(effect: Effect.Effect<A, Err, R>): Effect.Effect<A, Err, R> {
    return Effect.clockWith((clock) => {
      const started = clock.currentTimeMillisUnsafe()
      return Effect.onExit(effect, (exit) => Effect.sync(() => this.finished(exit, clock.currentTimeMillisUnsafe() - started)))
    })
  }

  /** A request finished after `rtt` ms: its permit goes back, and the limit follows the outcome. */
  private finished(exit: Exit.Exit<unknown, unknown>, rtt: number): void {
    const inFlight = this.inFlight
    this.release()
    if (Exit.isFailure(exit)) {
      const error = exit.cause.reasons.find((r) => r._tag === "Fail")
      const tag = error?._tag === "Fail" ? (error.error as { _tag?: string })._tag : undefined
      if (tag !== undefined && DROPPED.has(tag)) this.setLimit(Math.floor(this.limit * this.backoffRatio))
      return
    }
    this.sample(Math.max(rtt, 0.001), inFlight)
  }

  private sample(rtt: number, inFlight: number): void {
    if (++this.samples >= this.probeInterval * this.limit) {
      // probe: the lowest latency may have risen for good (a slower server, a longer path)
      this.samples = 0
      this.rttNoLoad = rtt
      return
    }
    if (rtt < this.rttNoLoad) this.rttNoLoad = rtt
    const lg = Math.max(1, Math.log10(this.limit))
    const queue = Math.ceil(this.limit * (1 - this.rttNoLoad / rtt))
    if (queue <= 3 * lg) {
      // grow only while the limit is what holds requests back
      if (inFlight * 2 >= this.limit) this.setLimit(this.limit + lg)
    } else if (queue >= 6 * lg) {
      this.setLimit(this.limit - lg)
    }
  }

  private setLimit(limit: number): void {
    this.limit = Math.min(this.maxLimit, Math.max(this.minLimit, Math.round(limit)))
    this.grant()
  }
}

/**
 * A concurrency limit that follows latency (Netflix concurrency-limits' Vegas): it starts at
 * `initialLimit`, grows while latencies stay near the lowest seen, shrinks when they rise (requests
 * queue in the server) and backs off by `backoffRatio` on a timeout or Overloaded. Latencies are read
 * on the Effect `Clock` of the request.
 *
 * @since 0.2.0
 * @category constructors
 */
export const adaptive = (options: AdaptiveOptions = {}): Throttler => {
  const invalid = positiveInt(options.initialLimit, "initialLimit", true) ??
    positiveInt(options.minLimit, "minLimit", true) ??
    positiveInt(options.maxLimit, "maxLimit", true) ??
    queueBound(options.maxQueued) ??
    check(options.backoffRatio === undefined || (options.backoffRatio > 0 && options.backoffRatio < 1), "backoffRatio", options.backoffRatio, "a number between 0 and 1") ??
    positiveInt(options.probeInterval, "probeInterval", true) ??
    check((options.minLimit ?? 1) <= (options.maxLimit ?? 1000), "minLimit", options.minLimit, "at most maxLimit")
  return new AdaptiveLimiter(options, invalid)
}
