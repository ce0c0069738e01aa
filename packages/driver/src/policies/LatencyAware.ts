/**
 * Latency-aware routing: a load-balancing policy over another that moves hosts much slower than the
 * fastest to the end of each plan (the Java driver's `LatencyAwarePolicy`, with its defaults).
 *
 * Each host's latency is an average over a decaying window: every attempt's latency (the driver calls
 * `onRequestComplete`) weighs `exp(-age / scale)`, so a host's average follows it within a few `scale`s.
 * Every `updateRate` the policy finds the best average and the hosts slower than `exclusionThreshold`
 * times it (`minimumLatency` at least, the clock's resolution); those go last. A host that got no answer
 * for `retryPeriod` is not held back any more: it gets its share of requests again and is measured anew,
 * so a host that recovered comes back, and one still slow goes back to the end.
 *
 * It does not choose which hosts are in a plan (the wrapped policy does), nor time requests (the driver
 * does, on the Effect clock, so `TestClock` drives it in tests).
 *
 * @since 0.2.0
 */
import * as Duration from "effect/Duration"
import type { Host } from "../Host.ts"
import { dcAwareRoundRobin, type LoadBalancingPolicyShape, type PlanContext } from "./LoadBalancing.ts"

/**
 * Options of {@link latencyAware}; every field is optional.
 *
 * @since 0.2.0
 */
export interface LatencyAwareOptions {
  /** The policy whose plans are reordered (default: token-aware DC-aware round robin). */
  readonly child?: LoadBalancingPolicyShape | undefined
  /** A host whose average exceeds this factor of the best goes last (default 2). */
  readonly exclusionThreshold?: number | undefined
  /** The decay time of the window: a latency measured `scale` ago weighs 1/e (default 100 ms). */
  readonly scale?: Duration.Input | undefined
  /** A host held back this long without a new measurement is tried again (default 10 s). */
  readonly retryPeriod?: Duration.Input | undefined
  /** How often the best average and the slow hosts are recomputed (default 100 ms). */
  readonly updateRate?: Duration.Input | undefined
  /** Measurements a host needs before it can be held back, or count as the best (default 50). */
  readonly minimumMeasurements?: number | undefined
  /** Latencies below this count as this (default 1 ms: the Effect clock reads milliseconds). */
  readonly minimumLatency?: Duration.Input | undefined
}

/**
 * One host's measurements, as {@link LatencyAwarePolicy.stats} reports them.
 *
 * @since 0.2.0
 */
export interface HostLatency {
  /** The decayed average latency, in milliseconds. */
  readonly averageMillis: number
  /** Every measurement so far. */
  readonly measurements: number
  /** Clock time (ms) of the last measurement. */
  readonly lastMillis: number
}

/**
 * A latency-aware policy: a load-balancing policy with the per-host figures it decides on.
 *
 * @since 0.2.0
 */
export interface LatencyAwarePolicy extends LoadBalancingPolicyShape {
  /** Records one attempt's latency (the driver calls it). */
  readonly onRequestComplete: (host: Host, latencyMillis: number, nowMillis: number) => void
  /** Each measured host's figures, by endpoint. */
  readonly stats: () => ReadonlyMap<string, HostLatency>
  /** The endpoints currently moved to the end of plans. */
  readonly slowHosts: () => ReadonlySet<string>
}

/**
 * Latency-aware routing over `options.child` (see the module documentation).
 *
 * @since 0.2.0
 */
export const latencyAware = (options: LatencyAwareOptions = {}): LatencyAwarePolicy => {
  const millis = (d: Duration.Input | undefined, fallback: number) => d === undefined ? fallback : Duration.toMillis(Duration.fromInputUnsafe(d))
  return new LatencyTracker(options.child ?? dcAwareRoundRobin(), {
    threshold: options.exclusionThreshold ?? 2,
    scaleMillis: Math.max(1, millis(options.scale, 100)),
    retryMillis: millis(options.retryPeriod, 10_000),
    updateMillis: millis(options.updateRate, 100),
    minimumMeasurements: options.minimumMeasurements ?? 50,
    minimumLatencyMillis: millis(options.minimumLatency, 1)
  })
}

interface Settings {
  readonly threshold: number
  readonly scaleMillis: number
  readonly retryMillis: number
  readonly updateMillis: number
  readonly minimumMeasurements: number
  readonly minimumLatencyMillis: number
}

/** One host's decaying window: the decayed sums of latencies and of weights. */
class Window implements HostLatency {
  private sum = 0
  private weight = 0
  measurements = 0
  lastMillis = 0

  add(latencyMillis: number, nowMillis: number, scaleMillis: number): void {
    const age = nowMillis - this.lastMillis
    const decay = this.measurements === 0 || age <= 0 ? 1 : Math.exp(-age / scaleMillis)
    this.sum = this.sum * decay + latencyMillis
    this.weight = this.weight * decay + 1
    this.measurements++
    if (nowMillis > this.lastMillis) this.lastMillis = nowMillis
  }

  get averageMillis(): number {
    return this.weight === 0 ? 0 : this.sum / this.weight
  }
}

/** The windows of every host, the slow set and when it was last computed. */
class LatencyTracker implements LatencyAwarePolicy {
  private readonly child: LoadBalancingPolicyShape
  private readonly settings: Settings
  private readonly windows = new Map<string, Window>()
  private slow: ReadonlySet<string> = new Set()
  private now = 0
  private updatedAt = Number.NEGATIVE_INFINITY

  constructor(child: LoadBalancingPolicyShape, settings: Settings) {
    this.child = child
    this.settings = settings
  }

  distance(host: Host, localDc: string | undefined): "local" | "remote" | "ignored" {
    return this.child.distance(host, localDc)
  }

  onRequestComplete(host: Host, latencyMillis: number, nowMillis: number): void {
    let w = this.windows.get(host.endpoint)
    if (w === undefined) {
      w = new Window()
      this.windows.set(host.endpoint, w)
    }
    w.add(Math.max(latencyMillis, 0), nowMillis, this.settings.scaleMillis)
    if (nowMillis > this.now) this.now = nowMillis
    this.child.onRequestComplete?.(host, latencyMillis, nowMillis)
  }

  newQueryPlan(context: PlanContext): Iterable<Host> {
    const plan = this.child.newQueryPlan(context)
    if (this.now - this.updatedAt >= this.settings.updateMillis) this.update()
    if (this.slow.size === 0) return plan
    const fast: Array<Host> = []
    const slow: Array<Host> = []
    for (const h of plan) (this.slow.has(h.endpoint) ? slow : fast).push(h)
    return slow.length === 0 ? fast : fast.concat(slow)
  }

  stats(): ReadonlyMap<string, HostLatency> {
    return this.windows
  }

  slowHosts(): ReadonlySet<string> {
    return this.slow
  }

  /** Recomputes the best average and the slow hosts from the windows measured recently enough. */
  private update(): void {
    const s = this.settings
    this.updatedAt = this.now
    let best = Number.POSITIVE_INFINITY
    for (const w of this.windows.values()) {
      if (this.counts(w) && w.averageMillis < best) best = w.averageMillis
    }
    if (best === Number.POSITIVE_INFINITY) {
      if (this.slow.size > 0) this.slow = new Set()
      return
    }
    const limit = s.threshold * Math.max(best, s.minimumLatencyMillis)
    const slow = new Set<string>()
    for (const [endpoint, w] of this.windows) {
      if (this.counts(w) && w.averageMillis > limit) slow.add(endpoint)
    }
    this.slow = slow
  }

  /** Whether a window has enough measurements, and a recent one, to count. */
  private counts(w: Window): boolean {
    return w.measurements >= this.settings.minimumMeasurements && this.now - w.lastMillis <= this.settings.retryMillis
  }
}
