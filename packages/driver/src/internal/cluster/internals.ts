/**
 * The Cluster's internal face: what sessions need of a cluster that users must not call (open a
 * connection, mark a host down or up, query the control connection, wait for schema agreement
 * through a given connection). The public `Cluster` service does not show it; a session finds it
 * with `internalsOf(cluster)`.
 *
 * It does not implement any of it (the cluster's runtime does).
 *
 * @since 0.1.0
 * @internal
 */
import type * as Effect from "effect/Effect"
import type * as PubSub from "effect/PubSub"
import type * as Scope from "effect/Scope"
import type { ClusterShape } from "../../Cluster.ts"
import type * as E from "../../Errors.ts"
import type { Host, HostEvent } from "../../Host.ts"
import type { Connection } from "../connection/Connection.ts"
import type { UserTypeRegistry } from "../metadata/userTypes.ts"
import type { AdminQuery } from "./SchemaAgreement.ts"

/**
 * What a Session uses of its Cluster beyond the public service.
 *
 * @since 0.1.0
 */
export interface ClusterInternals {
  /** Opens a connection to a host with the negotiated version; it closes with the Scope. */
  readonly connect: (host: Host, keyspace: string | undefined) => Effect.Effect<Connection, E.ConnectionError | E.AuthenticationError, Scope.Scope>
  /** Records a host as down (a session's pool lost it). */
  readonly markDown: (host: Host, reason: string) => Effect.Effect<void>
  /** Records a host as up again (a session's pool reopened). */
  readonly markUp: (host: Host) => Effect.Effect<void>
  /** The host events (what `Cluster.events` streams), for a subscription taken before reading the hosts. */
  readonly hostEvents: PubSub.PubSub<HostEvent>
  /** Hosts a STATUS_CHANGE UP reported: a hint for pools to try them now. */
  readonly upHints: PubSub.PubSub<Host>
  /** Every down host's last reason, by endpoint (what `NoHostAvailable` carries when no host was tried). */
  readonly downReasons: () => Record<string, E.ConnectionError>
  /** Runs an admin query on the control connection. */
  readonly controlQuery: AdminQuery
  /** Waits for schema agreement asking through `query` (falling back to the control connection). */
  readonly waitForSchemaAgreementVia: (query: AdminQuery) => Effect.Effect<boolean>
  /** Every open connection of the cluster (control and pools), for tests that check stream ids. */
  readonly openConnections: () => ReadonlySet<Connection>
  /** The user types registered on the cluster (`registerUserType`), for decoding results. */
  readonly userTypes: UserTypeRegistry
}

const registry = new WeakMap<ClusterShape, ClusterInternals>()

/**
 * Attaches the internals to a cluster service value.
 *
 * @since 0.1.0
 */
export const registerInternals = (cluster: ClusterShape, internals: ClusterInternals): void => {
  registry.set(cluster, internals)
}

/**
 * The internals of a cluster built by `Cluster.make`.
 *
 * @since 0.1.0
 */
export const internalsOf = (cluster: ClusterShape): ClusterInternals => {
  const internals = registry.get(cluster)
  if (internals === undefined) throw new Error("this Cluster service was not built by Cluster.make")
  return internals
}
