/**
 * Server events: what the control connection receives, dispatched. A TOPOLOGY_CHANGE asks for a
 * debounced topology refresh; a REMOVED_NODE also removes the host at once (as the Python and Java
 * drivers do): a decommissioned node closes its CQL port a ring delay after it left, and its pools must
 * not reconnect to it while the refresh waits out its window. A STATUS_CHANGE UP hints pools to try the
 * host now (DOWN is left to the pools, which see for themselves whether the host is reachable from here);
 * a SCHEMA_CHANGE is published and asks for a debounced refresh of its keyspace.
 *
 * It runs in the socket's data callback: it only forks, and nothing thrown escapes it.
 *
 * @since 0.1.0
 * @internal
 */
import type { Event } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as E from "../../Errors.ts"
import type { Debouncer } from "./debounce.ts"
import type { HostRegistry, HostState } from "./HostRegistry.ts"
import type { SchemaRefresh } from "./SchemaRefresh.ts"

/**
 * Dispatches the control connection's events.
 *
 * @since 0.1.0
 */
export class EventDispatcher {
  private readonly registry: HostRegistry
  private readonly topology: Debouncer<never>
  private readonly schema: SchemaRefresh
  private readonly schemaEvents: PubSub.PubSub<Event>
  private readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => unknown
  private readonly removeHost: (host: HostState) => Effect.Effect<void>

  constructor(args: {
    readonly registry: HostRegistry
    readonly topology: Debouncer<never>
    readonly schema: SchemaRefresh
    readonly schemaEvents: PubSub.PubSub<Event>
    readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => unknown
    /** Forgets a host the cluster announced REMOVED_NODE (the registry and what is built from it). */
    readonly removeHost: (host: HostState) => Effect.Effect<void>
  }) {
    this.registry = args.registry
    this.topology = args.topology
    this.schema = args.schema
    this.schemaEvents = args.schemaEvents
    this.runFork = args.runFork
    this.removeHost = args.removeHost
  }

  /** Called by the control connection for each event. */
  readonly onEvent = (event: Event): void => {
    // rare (topology, status and schema changes): each is logged at Debug, what the server said as it said it
    this.runFork(Effect.logDebug("server event", event))
    switch (event.type) {
      case "TOPOLOGY_CHANGE":
        if (event.change === "REMOVED_NODE") this.removed(event.address, event.port)
        this.runFork(this.topology.request(undefined))
        break
      case "STATUS_CHANGE":
        if (event.change === "UP") this.statusUp(event.address, event.port)
        break
      case "SCHEMA_CHANGE":
        this.runFork(PubSub.publish(this.schemaEvents, event))
        this.runFork(this.schema.onSchemaEvent(event.change.keyspace))
        break
    }
  }

  private removed(address: string, port: number): void {
    const host = this.registry.getTranslated(address, port)
    if (host instanceof E.InvalidInput) {
      // runs in the socket's data callback: a failing translator is logged, the removal left to the refresh
      this.runFork(Effect.logWarning(host.message))
      return
    }
    if (host !== undefined) this.runFork(this.removeHost(host))
  }

  private statusUp(address: string, port: number): void {
    const host = this.registry.getTranslated(address, port)
    if (host instanceof E.InvalidInput) {
      // runs in the socket's data callback: a failing translator is logged, the event dropped
      this.runFork(Effect.logWarning(host.message))
      return
    }
    if (host !== undefined && !host.isUp) this.runFork(PubSub.publish(this.registry.upHints, host))
  }
}
