/**
 * Rack-aware routing: a load-balancing policy over another that prefers the client's rack, like
 * scylla-rust-driver's `prefer_datacenter_and_rack`. A plan is the wrapped policy's plan reordered into
 * the replicas of the partition in the local rack, then the other local-DC replicas, then the other
 * hosts of the local rack, then everything else, each group in the wrapped policy's (rotating) order.
 *
 * It does not decide which hosts are in a plan, nor their distance (the wrapped policy does).
 *
 * @since 0.2.0
 */
import type { Host } from "../Host.ts"
import { dcAwareRoundRobin, type LoadBalancingPolicyShape, type PlanContext } from "./LoadBalancing.ts"

/**
 * Options of {@link rackAware}.
 *
 * @since 0.2.0
 */
export interface RackAwareOptions {
  /** The client's rack, as the nodes name it in `system.local` / `system.peers` (e.g. `rack1`). */
  readonly localRack: string
  /** The policy whose plans are reordered (default: token-aware DC-aware round robin). */
  readonly child?: LoadBalancingPolicyShape | undefined
}

/**
 * Prefers the local rack, then the local datacenter: replicas first (local rack, then local DC), then the
 * rest of the local rack, then the wrapped policy's other hosts in its order. Without replicas (a statement
 * without a routing key), only the rack preference applies.
 *
 * @since 0.2.0
 */
export const rackAware = (options: RackAwareOptions): LoadBalancingPolicyShape =>
  new RackAwarePolicy(options.localRack, options.child ?? dcAwareRoundRobin())

/** The reordering; stateless besides its configuration. */
class RackAwarePolicy implements LoadBalancingPolicyShape {
  readonly onRequestComplete: LoadBalancingPolicyShape["onRequestComplete"]
  private readonly localRack: string
  private readonly child: LoadBalancingPolicyShape

  constructor(localRack: string, child: LoadBalancingPolicyShape) {
    this.localRack = localRack
    this.child = child
    const hook = child.onRequestComplete
    this.onRequestComplete = hook === undefined ? undefined : (host, latency, now) => hook.call(child, host, latency, now)
  }

  distance(host: Host, localDc: string | undefined): "local" | "remote" | "ignored" {
    return this.child.distance(host, localDc)
  }

  newQueryPlan(context: PlanContext): Iterable<Host> {
    const replicas = context.replicas ?? []
    const localDc = context.localDc
    // 0: local-rack replicas, 1: other local-DC replicas, 2: other local-rack hosts, 3: the rest
    const groups: [Array<Host>, Array<Host>, Array<Host>, Array<Host>] = [[], [], [], []]
    for (const h of this.child.newQueryPlan(context)) {
      const local = localDc === undefined || h.datacenter === localDc
      const inRack = local && h.rack === this.localRack
      const replica = local && replicas.length > 0 && replicas.includes(h)
      groups[replica ? (inRack ? 0 : 1) : inRack ? 2 : 3].push(h)
    }
    return groups[0].concat(groups[1], groups[2], groups[3])
  }
}
