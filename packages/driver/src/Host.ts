/**
 * Hosts of the cluster and their events.
 *
 * Types only: the host registry (internal/cluster) owns the state behind them.
 *
 * @since 0.1.0
 */

/** A node as the driver sees it. */
export interface Host {
  /** `address:port` of the native transport: the host's identity in the driver. */
  readonly endpoint: string
  readonly address: string
  readonly port: number
  readonly datacenter: string | undefined
  readonly rack: string | undefined
  readonly hostId: string | undefined
  readonly releaseVersion: string | undefined
  readonly tokens: ReadonlyArray<string>
  /** Whether the driver currently considers the host up. */
  readonly isUp: boolean
}

/**
 * Host state changes (the Python driver's host listeners), published as a Stream by `Cluster.events`.
 *
 * @since 0.1.0
 */
export type HostEvent =
  | { readonly _tag: "HostAdded"; readonly host: Host }
  | { readonly _tag: "HostRemoved"; readonly host: Host }
  | { readonly _tag: "HostUp"; readonly host: Host }
  | { readonly _tag: "HostDown"; readonly host: Host; readonly reason: string }
