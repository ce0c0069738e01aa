/**
 * The connector: opens connections to hosts with the cluster's settings and its negotiated protocol
 * version, which it owns. The first connection settles the version; a host that refuses it lowers it
 * for every later connection, and a mixed-version cluster caps it (topology refresh calls `cap`).
 *
 * It does not keep connections (pools and the control connection do) nor choose hosts.
 *
 * @since 0.1.0
 * @internal
 */
import type { Event, ProtocolVersion } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ResolvedOptions } from "../../ClusterOptions.ts"
import type * as E from "../../Errors.ts"
import type { Connection } from "../connection/Connection.ts"
import { type ConnectionOptions, openWithNegotiation } from "../connection/handshake.ts"

/**
 * The highest native protocol version a Cassandra release speaks (v5 from 4.0, v4 from 2.2).
 *
 * @since 0.1.0
 */
export const maxProtocolVersion = (releaseVersion: string | undefined): ProtocolVersion => {
  const m = releaseVersion === undefined ? undefined : /^(\d+)\.(\d+)/.exec(releaseVersion)
  if (m === undefined || m === null) return 5
  const major = Number(m[1])
  const minor = Number(m[2])
  if (major >= 4) return 5
  if (major === 3 || (major === 2 && minor >= 2)) return 4
  return 3
}

/**
 * Opens the cluster's connections.
 *
 * @since 0.1.0
 */
export class Connector {
  version: ProtocolVersion
  private readonly options: ResolvedOptions
  /** Every open connection of this cluster (control and pools): one timer checks their timeouts. */
  readonly sweepSet = new Set<Connection>()

  constructor(options: ResolvedOptions) {
    this.options = options
    this.version = options.protocolVersion
  }

  /** Opens a pool connection to `address:port` (in `keyspace`); it closes with the Scope. */
  open(address: string, port: number, keyspace: string | undefined): Effect.Effect<Connection, E.ConnectionError | E.AuthenticationError, Scope.Scope> {
    return Effect.tap(
      openWithNegotiation(this.settings(address, port, { keyspace })),
      (conn) =>
        Effect.sync(() => {
          // a host that refused the cluster's version lowers it for every later connection
          if (conn.version < this.version) this.version = conn.version
        })
    )
  }

  /** Opens a control connection, registered for every event; the cluster's version becomes its version. */
  openControl(address: string, port: number, onEvent: (event: Event) => void): Effect.Effect<Connection, E.ConnectionError | E.AuthenticationError, Scope.Scope> {
    return Effect.tap(
      openWithNegotiation(this.settings(address, port, { events: ["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"], onEvent })),
      (conn) => Effect.sync(() => { this.version = conn.version })
    )
  }

  /** A mixed cluster: settle on the highest version every host supports (as the Java driver does). */
  cap(releaseVersion: string | undefined): void {
    const max = maxProtocolVersion(releaseVersion)
    if (max < this.version) this.version = max
  }

  private settings(address: string, port: number, extra: Partial<ConnectionOptions>): ConnectionOptions {
    const o = this.options
    return {
      host: address,
      port,
      version: this.version,
      compression: o.compression,
      auth: o.auth,
      transport: o.transport,
      connectTimeout: o.connectTimeout,
      heartbeatInterval: o.idleHeartbeatInterval,
      defunctTimeoutThreshold: o.defunctTimeoutThreshold,
      cqlVersion: o.cqlVersion,
      maxOrphanedRequests: o.maxOrphanedRequests,
      sweepSet: this.sweepSet,
      ...extra
    }
  }
}
