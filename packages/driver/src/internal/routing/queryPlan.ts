/**
 * The query plan of a request: the hosts to try, in order. The load-balancing policy orders them (with
 * the session's in-flight count per host, so it can avoid a host that piles requests up);
 * token-aware routing gives it the replicas of the request's partition: a prepared statement's
 * partition key, a batch's first prepared statement's (as the Python driver routes batches), or a
 * simple statement's `routingKey`, hashed by the cluster's partitioner (the token map's `tokenOf`). An empty
 * replica set (LocalStrategy, an unknown replication) leaves the policy's plain order.
 *
 * It does not send anything nor skip hosts without connections (the request execution does).
 *
 * @since 0.1.0
 * @internal
 */
import { serializeValue } from "@effect-cassandra/protocol/CqlValues"
import { routingKey } from "@effect-cassandra/protocol/Token"
import * as Result from "effect/Result"
import type { ClusterShape } from "../../Cluster.ts"
import type { Host } from "../../Host.ts"
import type { LoadBalancingPolicyShape } from "../../policies/LoadBalancing.ts"
import type { RequestPlan } from "../request/plan.ts"

/**
 * The hosts to try for `plan`: its `host` option alone, or the policy's plan.
 *
 * @since 0.1.0
 */
export const queryPlan = (
  plan: RequestPlan,
  lb: LoadBalancingPolicyShape,
  cluster: ClusterShape,
  inFlight: (host: Host) => number
): Iterable<Host> => {
  const host = plan.options.host
  if (host !== undefined) return [host]
  return lb.newQueryPlan({
    hosts: cluster.hosts(),
    localDc: cluster.localDc,
    keyspace: plan.keyspace,
    replicas: replicasOf(plan, cluster),
    inFlight,
    consistency: consistencyOf(plan)
  })
}

/** The consistency of the plan's request; undefined for a PREPARE. */
const consistencyOf = (plan: RequestPlan): number | undefined => {
  const request = plan.request
  return request._tag === "Query" || request._tag === "Execute" ? request.params.consistency : request._tag === "Batch" ? request.consistency : undefined
}

/**
 * The replicas of the plan's partition, when the driver can compute them.
 *
 * @since 0.1.0
 */
export const replicasOf = (plan: RequestPlan, cluster: ClusterShape): ReadonlyArray<Host> | undefined => {
  const key = plan.routingKey
  if (key !== undefined) {
    const tokenMap = cluster.metadata.tokenMap()
    if (tokenMap === undefined || plan.keyspace === undefined || cluster.hosts().length <= 1) return undefined
    const bytes = key instanceof Uint8Array ? key : routingKey(key)
    return tokenMap.replicas(plan.keyspace, cluster.metadata.keyspace(plan.keyspace)?.replication, tokenMap.tokenOf(bytes))
  }
  let prepared = plan.prepared
  let values: ReadonlyArray<unknown> | undefined
  const request = plan.request
  if (request._tag === "Execute") {
    values = request.params.values?.values
  } else if (request._tag === "Batch" && plan.batchPrepared !== undefined) {
    const i = plan.batchPrepared.findIndex((p) => p !== undefined)
    if (i < 0) return undefined
    prepared = plan.batchPrepared[i]
    values = request.statements[i]?.values?.values
  } else {
    return undefined
  }
  if (prepared === undefined || prepared.pkIndexes.length === 0 || values === undefined) return undefined
  // with one host there is nothing to choose
  if (cluster.hosts().length <= 1) return undefined
  const tokenMap = cluster.metadata.tokenMap()
  if (tokenMap === undefined) return undefined
  const ks = prepared.variables[0]?.keyspace ?? plan.keyspace
  if (ks === undefined) return undefined
  const components: Array<Uint8Array> = []
  for (const i of prepared.pkIndexes) {
    const r = serializeValue(prepared.variableTypes[i]!, values[i])
    if (Result.isFailure(r) || r.success === null) return undefined
    components.push(r.success)
  }
  return tokenMap.replicas(ks, cluster.metadata.keyspace(ks)?.replication, tokenMap.tokenOf(routingKey(components)))
}
