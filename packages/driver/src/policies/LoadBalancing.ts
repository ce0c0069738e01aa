/**
 * Load balancing: which hosts a request tries, in which order (the query plan).
 *
 * The policy only orders hosts: it does not skip hosts without connections nor send anything.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type { Host } from "../Host.ts"

/**
 * What a policy knows when it plans a request.
 *
 * @since 0.1.0
 */
export interface PlanContext {
  /** Every known host (up and down). */
  readonly hosts: ReadonlyArray<Host>
  /** The local datacenter (configured, or the contact point's). */
  readonly localDc: string | undefined
  readonly keyspace: string | undefined
  /** Replicas of the request's partition key, best first, when the driver could compute them. */
  readonly replicas?: ReadonlyArray<Host> | undefined
  /**
   * Requests in flight from this session on a host (answers awaited, including timed-out ones whose
   * answer never came): a host that stops answering piles them up.
   *
   * @since 0.2.0
   */
  readonly inFlight?: ((host: Host) => number) | undefined
  /**
   * The request's consistency (protocol code, e.g. 0x0A for LOCAL_ONE); undefined for requests without one
   * (PREPARE).
   *
   * @since 0.2.0
   */
  readonly consistency?: number | undefined
}

/**
 * Whether a consistency is datacenter-local: LOCAL_QUORUM, LOCAL_SERIAL, LOCAL_ONE. A coordinator in another
 * datacenter would count its own datacenter's replicas for it, so such requests stay in the local one.
 *
 * @since 0.2.0
 */
export const isLocalConsistency = (consistency: number | undefined): boolean =>
  consistency === 0x0006 || consistency === 0x0009 || consistency === 0x000a

/**
 * A load-balancing policy: the query plan of each request, and each host's distance.
 *
 * @since 0.1.0
 */
export interface LoadBalancingPolicyShape {
  /** The hosts to try, in order. Only up hosts are tried; the plan is consumed lazily. */
  readonly newQueryPlan: (context: PlanContext) => Iterable<Host>
  /** Whether the driver should keep connections to this host at all ("ignored" hosts get none). */
  readonly distance: (host: Host, localDc: string | undefined) => "local" | "remote" | "ignored"
  /**
   * Told of each attempt's latency (milliseconds on the Effect clock, from the write to the answer or the
   * client timeout; not for requests that never reached the host) and the clock's time, when the policy
   * has it. A policy without it costs the request path nothing (see `LatencyAware`).
   *
   * @since 0.2.0
   */
  readonly onRequestComplete?: ((host: Host, latencyMillis: number, nowMillis: number) => void) | undefined
}

/**
 * Of the first two hosts of a plan's group (its local replicas, or its local hosts), the one with
 * fewer requests in flight goes first ("power of two choices"): a host that stopped answering, or is
 * much slower, piles up requests and stops being chosen first, while balanced hosts keep their
 * round-robin order.
 */
const lessLoadedFirst = (plan: Array<Host>, start: number, end: number, inFlight: ((host: Host) => number) | undefined): void => {
  if (inFlight === undefined || end - start < 2) return
  const a = plan[start]!
  const b = plan[start + 1]!
  if (inFlight(a) > inFlight(b)) {
    plan[start] = b
    plan[start + 1] = a
  }
}

/**
 * DC-aware round robin: the up hosts of the local DC in rotating order, then up to
 * `usedHostsPerRemoteDc` hosts of each remote DC. With `tokenAware`, replicas of the partition
 * key (local first) come before everything else. Of the first two candidates, the one with fewer
 * requests in flight goes first (when the driver gives the policy in-flight counts). Requests at a
 * LOCAL_* consistency never go to a remote DC unless `allowRemoteDcsForLocalConsistency` (the Java
 * driver's option of that name).
 *
 * @since 0.1.0
 */
export const dcAwareRoundRobin = (options?: {
  readonly usedHostsPerRemoteDc?: number | undefined
  readonly tokenAware?: boolean | undefined
  /** @since 0.2.0 */
  readonly allowRemoteDcsForLocalConsistency?: boolean | undefined
}): LoadBalancingPolicyShape => {
  const remotePerDc = options?.usedHostsPerRemoteDc ?? 0
  const remoteForLocal = options?.allowRemoteDcsForLocalConsistency ?? false
  const tokenAware = options?.tokenAware ?? true
  let counter = 0
  const distance = (host: Host, localDc: string | undefined) =>
    localDc === undefined || host.datacenter === localDc ? "local" as const : remotePerDc > 0 ? "remote" as const : "ignored" as const
  return {
    distance,
    newQueryPlan: ({ consistency, hosts, inFlight, localDc, replicas }) => {
      const start = counter++
      if (counter > 0x3fffffff) counter = 0
      const plan: Array<Host> = []
      const n = hosts.length
      // token-aware: the up local replicas first, rotating among them
      let firstReplicas = 0
      if (tokenAware && replicas !== undefined && replicas.length > 0) {
        for (let i = 0; i < replicas.length; i++) {
          const r = replicas[(start + i) % replicas.length]!
          if (r.isUp && distance(r, localDc) === "local") plan.push(r)
        }
        firstReplicas = plan.length
      }
      // then every up local host in rotating order
      for (let i = 0; i < n; i++) {
        const h = hosts[(start + i) % n]!
        if (!h.isUp || (localDc !== undefined && h.datacenter !== localDc)) continue
        if (firstReplicas > 0 && plan.indexOf(h) !== -1) continue
        plan.push(h)
      }
      // the less busy of the first two replicas (or, without replicas, of the first two local hosts)
      lessLoadedFirst(plan, 0, firstReplicas > 0 ? firstReplicas : plan.length, inFlight)
      // then up to `usedHostsPerRemoteDc` hosts of each remote datacenter
      if (remotePerDc > 0 && localDc !== undefined && (remoteForLocal || !isLocalConsistency(consistency))) {
        const taken = new Map<string, number>()
        for (let i = 0; i < n; i++) {
          const h = hosts[(start + i) % n]!
          if (!h.isUp || h.datacenter === localDc) continue
          const dc = h.datacenter ?? ""
          const k = taken.get(dc) ?? 0
          if (k >= remotePerDc) continue
          taken.set(dc, k + 1)
          plan.push(h)
        }
      }
      return plan
    }
  }
}

/**
 * The load balancing policy service. Defaults to token-aware DC-aware round robin.
 *
 * @since 0.1.0
 */
export const LoadBalancingPolicy: Context.Reference<LoadBalancingPolicyShape> = Context.Reference<LoadBalancingPolicyShape>(
  "@effect-cassandra/driver/LoadBalancingPolicy",
  { defaultValue: () => dcAwareRoundRobin() }
)

/**
 * Provides a load balancing policy.
 *
 * @since 0.1.0
 */
export const layer = (policy: LoadBalancingPolicyShape): Layer.Layer<never> => Layer.succeed(LoadBalancingPolicy, policy)
