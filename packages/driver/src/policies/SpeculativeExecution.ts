/**
 * Speculative execution policies: when to start the same request on the next host of its query plan
 * while no answer came. A policy gives the delays before each extra execution as a `Schedule` (one
 * step per extra execution; when the Schedule ends, no more start) and caps them with `maxExecutions`.
 *
 * - `none`: never (the default);
 * - `constant({ delay, maxExecutions })`: every `delay` (the Python driver's
 *   ConstantSpeculativeExecutionPolicy);
 * - `percentile({ percentile, maxExecutions })`: after the first host's recent p-th percentile
 *   latency (like scylla-rust-driver's PercentileSpeculativeExecutionPolicy, per host).
 *
 * A policy only gives delays (and the percentile one keeps latencies): it does not decide whether a
 * request may speculate (only idempotent requests not pinned to a `host` do) nor run the executions
 * (`internal/request/speculative.ts` does, each under the request's retry policy).
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type { Host } from "../Host.ts"

/**
 * A setting of a policy that cannot work, reported as `InvalidInput` before a request is sent.
 *
 * @since 0.2.0
 * @category models
 */
export interface InvalidSetting {
  /** The option at fault, relative to the policy (e.g. `delay`). */
  readonly path: string
  readonly message: string
  readonly expected: string
}

/**
 * A speculative execution policy.
 *
 * @since 0.2.0
 * @category models
 */
export interface SpeculativeExecutionPolicyShape {
  /**
   * The most extra executions of one request (not counting the first): a finite integer >= 0. Another
   * value is `InvalidInput` for every request that uses the policy.
   */
  readonly maxExecutions: number
  /**
   * The delays before each extra execution of a request whose query plan starts at `host`: one step of
   * the Schedule per extra execution (its sleep is the delay since the previous one). When it ends,
   * no more executions start.
   */
  readonly delays: (host: Host) => Schedule.Schedule<unknown>
  /** Told the latency of each answer (ms) from a host, for requests under this policy. */
  readonly observe?: ((host: Host, latencyMillis: number) => void) | undefined
  /** Set by the constructors when a setting cannot work (checked before a request is sent). */
  readonly invalid?: InvalidSetting | undefined
}

const decodeDelay = (input: Duration.Input, path: string): Duration.Duration | InvalidSetting => {
  const d = Duration.fromInput(input)
  return Option.isSome(d) && Duration.toMillis(d.value) >= 0
    ? d.value
    : { path, message: `${path}: not a duration: ${String(input)}`, expected: "a non-negative Duration input" }
}

/**
 * Never speculates.
 *
 * @since 0.2.0
 * @category policies
 */
export const none: SpeculativeExecutionPolicyShape = { maxExecutions: 0, delays: () => Schedule.recurs(0) }

/**
 * Starts an extra execution every `delay` while no answer came, up to `maxExecutions` of them (the
 * Python driver's ConstantSpeculativeExecutionPolicy). The `speculativeExecution: { delay,
 * maxExecutions }` option is this policy.
 *
 * @since 0.2.0
 * @category policies
 */
export const constant = (options: { readonly delay: Duration.Input; readonly maxExecutions: number }): SpeculativeExecutionPolicyShape => {
  const delay = decodeDelay(options.delay, "delay")
  if (!Duration.isDuration(delay)) return { maxExecutions: options.maxExecutions, delays: none.delays, invalid: delay }
  const schedule = Schedule.spaced(delay)
  return { maxExecutions: options.maxExecutions, delays: () => schedule }
}

/**
 * The recent latencies of each host, for the percentile policy: the last `window` answers of each
 * host, their p-th percentile computed again every `window / 16` new answers.
 *
 * @since 0.2.0
 * @category models
 */
export class LatencyTracker {
  private readonly hosts = new Map<string, HostLatencies>()
  private readonly window: number
  private readonly percentile: number

  constructor(window: number, percentile: number) {
    this.window = window
    this.percentile = percentile
  }

  /** Records one answer's latency from `host`. */
  record(host: Host, latencyMillis: number): void {
    let h = this.hosts.get(host.endpoint)
    if (h === undefined) {
      h = new HostLatencies(this.window)
      this.hosts.set(host.endpoint, h)
    }
    h.record(latencyMillis)
  }

  /** The host's p-th percentile latency (ms), undefined with fewer than `minSamples` answers. */
  percentileOf(host: Host, minSamples: number): number | undefined {
    const h = this.hosts.get(host.endpoint)
    return h === undefined || h.count < minSamples ? undefined : h.percentile(this.percentile)
  }
}

/** One host's ring of latencies and its cached percentile. */
class HostLatencies {
  count = 0
  private readonly samples: Float64Array
  private next = 0
  private sinceComputed = 0
  private cached: number | undefined = undefined
  private readonly recomputeEvery: number

  constructor(window: number) {
    this.samples = new Float64Array(window)
    this.recomputeEvery = Math.max(1, Math.floor(window / 16))
  }

  record(latencyMillis: number): void {
    this.samples[this.next] = latencyMillis
    this.next = (this.next + 1) % this.samples.length
    if (this.count < this.samples.length) this.count++
    this.sinceComputed++
  }

  percentile(p: number): number {
    if (this.cached === undefined || this.sinceComputed >= this.recomputeEvery) {
      const sorted = this.samples.slice(0, this.count).sort()
      // nearest rank
      const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
      this.cached = sorted[rank]!
      this.sinceComputed = 0
    }
    return this.cached
  }
}

/**
 * Starts an extra execution after the p-th percentile of the recent latencies of the first host of the
 * request's query plan, then again after each such delay, up to `maxExecutions` (like
 * scylla-rust-driver's PercentileSpeculativeExecutionPolicy, which takes the session's latencies; this
 * one keeps each host's). The latencies are those of answers to requests under this policy: the last
 * `window` (default 1000) of each host. Until a host has `minSamples` answers (default 100), the delay
 * is `fallback` (default 100 ms, scylla-rust-driver's).
 *
 * @since 0.2.0
 * @category policies
 */
export const percentile = (options: {
  /** In (0, 100), e.g. 99. */
  readonly percentile: number
  readonly maxExecutions: number
  readonly window?: number | undefined
  readonly minSamples?: number | undefined
  readonly fallback?: Duration.Input | undefined
}): SpeculativeExecutionPolicyShape => {
  const window = options.window ?? 1000
  const minSamples = options.minSamples ?? 100
  const fallback = decodeDelay(options.fallback ?? "100 millis", "fallback")
  const invalid: InvalidSetting | undefined = !(options.percentile > 0 && options.percentile < 100)
    ? { path: "percentile", message: `percentile: not in (0, 100): ${options.percentile}`, expected: "a number between 0 and 100, exclusive" }
    : !(Number.isInteger(window) && window >= 1)
    ? { path: "window", message: `window: not a positive integer: ${window}`, expected: "a positive integer" }
    : !(Number.isInteger(minSamples) && minSamples >= 1 && minSamples <= window)
    ? { path: "minSamples", message: `minSamples: not an integer in [1, window]: ${minSamples}`, expected: "an integer between 1 and window" }
    : Duration.isDuration(fallback)
    ? undefined
    : fallback
  if (invalid !== undefined) return { maxExecutions: options.maxExecutions, delays: none.delays, invalid }
  const tracker = new LatencyTracker(window, options.percentile)
  const fallbackSchedule = Schedule.spaced(fallback as Duration.Duration)
  return {
    maxExecutions: options.maxExecutions,
    delays: (host) => {
      const p = tracker.percentileOf(host, minSamples)
      return p === undefined ? fallbackSchedule : Schedule.spaced(Duration.millis(p))
    },
    observe: (host, latencyMillis) => tracker.record(host, latencyMillis)
  }
}

/**
 * The speculative execution policy service: the sessions' default (under their profiles' and each
 * request's). Defaults to `none`.
 *
 * @since 0.2.0
 * @category services
 */
export const SpeculativeExecutionPolicy: Context.Reference<SpeculativeExecutionPolicyShape> = Context.Reference<SpeculativeExecutionPolicyShape>(
  "@effect-cassandra/driver/SpeculativeExecutionPolicy",
  { defaultValue: () => none }
)

/**
 * Provides a speculative execution policy.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (policy: SpeculativeExecutionPolicyShape): Layer.Layer<never> => Layer.succeed(SpeculativeExecutionPolicy, policy)
