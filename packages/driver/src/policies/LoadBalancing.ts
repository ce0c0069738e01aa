/**
 * Load balancing: which hosts a request tries, in which order (the query plan).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type { Host } from "../Host.ts"

/** What a policy knows when it plans a request. */
export interface PlanContext {
  /** Every known host (up and down). */
  readonly hosts: ReadonlyArray<Host>
  /** The local datacenter (configured, or the contact point's). */
  readonly localDc: string | undefined
  readonly keyspace: string | undefined
  /** Replicas of the request's partition key, best first, when the driver could compute them. */
  readonly replicas?: ReadonlyArray<Host> | undefined
}

export interface LoadBalancingPolicyShape {
  /** The hosts to try, in order. Only up hosts are tried; the plan is consumed lazily. */
  readonly newQueryPlan: (context: PlanContext) => Iterable<Host>
  /** Whether the driver should keep connections to this host at all ("ignored" hosts get none). */
  readonly distance: (host: Host, localDc: string | undefined) => "local" | "remote" | "ignored"
}

/**
 * DC-aware round robin: the up hosts of the local DC in rotating order, then up to
 * `usedHostsPerRemoteDc` hosts of each remote DC. With `tokenAware`, replicas of the partition
 * key (local first) come before everything else.
 */
export const dcAwareRoundRobin = (options?: {
  readonly usedHostsPerRemoteDc?: number | undefined
  readonly tokenAware?: boolean | undefined
}): LoadBalancingPolicyShape => {
  const remotePerDc = options?.usedHostsPerRemoteDc ?? 0
  const tokenAware = options?.tokenAware ?? true
  let counter = 0
  const distance = (host: Host, localDc: string | undefined) =>
    localDc === undefined || host.datacenter === localDc ? "local" as const : remotePerDc > 0 ? "remote" as const : "ignored" as const
  return {
    distance,
    newQueryPlan: ({ hosts, localDc, replicas }) => {
      const start = counter++
      if (counter > 0x3fffffff) counter = 0
      const local: Array<Host> = []
      const remote = new Map<string, Array<Host>>()
      for (const h of hosts) {
        if (!h.isUp) continue
        if (localDc === undefined || h.datacenter === localDc) local.push(h)
        else if (remotePerDc > 0) {
          const dc = h.datacenter ?? ""
          const list = remote.get(dc) ?? []
          if (list.length < remotePerDc) list.push(h)
          remote.set(dc, list)
        }
      }
      const plan: Array<Host> = []
      const seen = new Set<string>()
      if (tokenAware && replicas !== undefined) {
        const localReplicas = replicas.filter((r) => r.isUp && distance(r, localDc) === "local")
        // rotate among the local replicas so load spreads over them
        for (let i = 0; i < localReplicas.length; i++) {
          const r = localReplicas[(start + i) % localReplicas.length]!
          plan.push(r)
          seen.add(r.endpoint)
        }
      }
      for (let i = 0; i < local.length; i++) {
        const h = local[(start + i) % local.length]!
        if (!seen.has(h.endpoint)) plan.push(h)
      }
      for (const list of remote.values()) for (const h of list) if (!seen.has(h.endpoint)) plan.push(h)
      return plan
    }
  }
}

/** The load balancing policy service. Defaults to token-aware DC-aware round robin. */
export const LoadBalancingPolicy: Context.Reference<LoadBalancingPolicyShape> = Context.Reference<LoadBalancingPolicyShape>(
  "@effect-cassandra/driver/LoadBalancingPolicy",
  { defaultValue: () => dcAwareRoundRobin() }
)

/** Provides a load balancing policy. */
export const layer = (policy: LoadBalancingPolicyShape): Layer.Layer<never> => Layer.succeed(LoadBalancingPolicy, policy)
