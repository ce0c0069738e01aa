/**
 * Start options with every default filled in: `PlanInput`, what a cluster's plan (folders, addresses,
 * ports, configuration) is computed from, and `ResolvedOptions`, the plan input plus what the node
 * runtime needs besides (version, data reuse, timeouts).
 *
 * Types only. Filling in the defaults is `resolveOptions` in LocalCassandra.ts; planning is
 * `internal/layout.ts`'s and running the nodes `internal/cluster.ts`'s. They live here, outside
 * `internal/`, so that the public `resolveOptions` and the internal modules share them without the
 * public declarations naming an internal module. A support module: neither in the barrel nor a subpath.
 *
 * @since 0.1.0
 */

/**
 * What a cluster plan is computed from: the resolved options that shape folders, addresses, ports
 * and configuration.
 *
 * @since 0.1.0
 */
export interface PlanInput {
  readonly nodes: number
  /** Datacenters the nodes are spread over (round-robin): 1..nodes. */
  readonly dcs: number
  /** Racks per datacenter (a datacenter's nodes go round-robin over them). */
  readonly racks: number
  readonly name: string
  readonly clusterName: string
  readonly dir: string
  readonly firstAddress: number
  readonly nativePort: number
  readonly storagePort: number
  readonly jmxPortBase: number
  readonly heap: string
  readonly auth: boolean
  readonly tls: boolean
  readonly customPayloadMirroring: boolean
  readonly extraJvmArgs: ReadonlyArray<string>
}

/**
 * Start options with every default filled in (see `resolveOptions` in LocalCassandra.ts).
 *
 * @since 0.1.0
 */
export interface ResolvedOptions extends PlanInput {
  readonly version: string
  readonly keepData: boolean
  readonly startTimeoutMillis: number
  readonly stopGraceMillis: number
}
