/**
 * Host filters: a load-balancing policy over another that only ever plans the hosts a predicate accepts,
 * and keeps no connections to the others (their distance is "ignored"). The Python driver's
 * `HostFilterPolicy`, and `allowList`, its `WhiteListRoundRobinPolicy`.
 *
 * It does not order hosts (the wrapped policy does), nor filter the control connection's contact points.
 *
 * @since 0.2.0
 */
import type { Host } from "../Host.ts"
import { dcAwareRoundRobin, type LoadBalancingPolicyShape, type PlanContext } from "./LoadBalancing.ts"

/**
 * A policy that plans only the hosts `accept` says yes to, in the order `child` gives them (default:
 * token-aware DC-aware round robin). The child plans over the accepted hosts and replicas only, so its
 * round robin rotates over them. `accept` should depend on what a host is (address, datacenter, rack),
 * not on its state: the accepted list is kept until the cluster's host list changes.
 *
 * @since 0.2.0
 */
export const hostFilter = (
  accept: (host: Host) => boolean,
  child: LoadBalancingPolicyShape = dcAwareRoundRobin()
): LoadBalancingPolicyShape => new HostFilterPolicy(accept, child)

/**
 * Only the hosts named in `hosts` (`address` or `address:port`), over `child` (default: DC-aware round
 * robin, token-aware). The Python driver's `WhiteListRoundRobinPolicy`.
 *
 * @since 0.2.0
 */
export const allowList = (hosts: ReadonlyArray<string>, child: LoadBalancingPolicyShape = dcAwareRoundRobin()): LoadBalancingPolicyShape => {
  const allowed = new Set(hosts)
  return hostFilter((h) => allowed.has(h.endpoint) || allowed.has(h.address), child)
}

/** The filter's state: the accepted hosts of the last host list seen. */
class HostFilterPolicy implements LoadBalancingPolicyShape {
  readonly onRequestComplete: LoadBalancingPolicyShape["onRequestComplete"]
  private readonly accept: (host: Host) => boolean
  private readonly child: LoadBalancingPolicyShape
  private seen: ReadonlyArray<Host> | undefined = undefined
  private accepted: ReadonlyArray<Host> = []

  constructor(accept: (host: Host) => boolean, child: LoadBalancingPolicyShape) {
    this.accept = accept
    this.child = child
    // a latency-aware child keeps hearing about the requests
    const hook = child.onRequestComplete
    this.onRequestComplete = hook === undefined ? undefined : (host, latency, now) => hook.call(child, host, latency, now)
  }

  distance(host: Host, localDc: string | undefined): "local" | "remote" | "ignored" {
    return this.accept(host) ? this.child.distance(host, localDc) : "ignored"
  }

  newQueryPlan(context: PlanContext): Iterable<Host> {
    if (context.hosts !== this.seen) {
      this.seen = context.hosts
      this.accepted = context.hosts.filter(this.accept)
    }
    const replicas = context.replicas
    let kept = replicas
    if (replicas !== undefined) {
      for (let i = 0; i < replicas.length; i++) {
        if (!this.accept(replicas[i]!)) {
          kept = replicas.filter(this.accept)
          break
        }
      }
    }
    return this.child.newQueryPlan({ ...context, hosts: this.accepted, replicas: kept })
  }
}
