/**
 * The host registry: every host the driver knows, its state (up or down) and the `HostEvent`s that
 * announce changes. It is the one owner of up/down state: pools report what they see through
 * `markDown` / `markUp`, and everyone else reads.
 *
 * It does not query the cluster (topology refresh feeds it) nor open connections.
 *
 * @since 0.1.0
 * @internal
 */
import type { Row } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as E from "../../Errors.ts"
import type { Host, HostEvent } from "../../Host.ts"
import type { AddressTranslator } from "../../policies/AddressTranslation.ts"

/**
 * The endpoint (`address:port`, IPv6 in brackets) that identifies a host.
 *
 * @since 0.1.0
 */
export const endpointOf = (address: string, port: number): string =>
  address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`

/**
 * Splits an endpoint back into address and port text.
 *
 * @since 0.1.0
 */
export const splitEndpoint = (endpoint: string): [string, string] => {
  const i = endpoint.lastIndexOf(":")
  const host = endpoint.slice(0, i)
  return [host.startsWith("[") ? host.slice(1, -1) : host, endpoint.slice(i + 1)]
}

/**
 * A string column of a system table row.
 *
 * @since 0.1.0
 */
export const rowString = (row: Row, key: string): string | undefined => {
  const v = row[key]
  return typeof v === "string" ? v : undefined
}

/**
 * A reported address through the user's translator: a translator that throws, or answers something
 * other than an address and a port in 1..65535, is an `InvalidInput` (never a defect).
 *
 * @since 0.2.0
 */
export const translateAddress = (
  translate: AddressTranslator,
  address: string,
  port: number
): { readonly address: string; readonly port: number } | E.InvalidInput => {
  let out: { readonly address: string; readonly port: number }
  try {
    out = translate(address, port)
  } catch (e) {
    return new E.InvalidInput({ message: `addressTranslator failed on ${endpointOf(address, port)}: ${e instanceof Error ? e.message : String(e)}`, path: "addressTranslator" })
  }
  if (
    out === null || typeof out !== "object" || typeof out.address !== "string" || out.address.length === 0 ||
    !Number.isInteger(out.port) || out.port < 1 || out.port > 65535
  ) {
    return new E.InvalidInput({
      message: `addressTranslator answered ${endpointOf(address, port)} with no usable address and port`,
      path: "addressTranslator",
      expected: "{ address: string, port: 1..65535 }"
    })
  }
  return out
}

/**
 * The mutable record behind the read-only `Host` view.
 *
 * @since 0.1.0
 */
export class HostState implements Host {
  readonly endpoint: string
  readonly address: string
  readonly port: number
  datacenter: string | undefined = undefined
  rack: string | undefined = undefined
  hostId: string | undefined = undefined
  releaseVersion: string | undefined = undefined
  schemaVersion: string | undefined = undefined
  tokens: ReadonlyArray<string> = []
  isUp = true
  /** Why the host went down (a pool's last error), while it is down. */
  downReason: string | undefined = undefined
  constructor(address: string, port: number) {
    this.address = address
    this.port = port
    this.endpoint = endpointOf(address, port)
  }
  /** A copy for events: later changes of the host do not show in it. */
  snapshot(): Host {
    return {
      endpoint: this.endpoint,
      address: this.address,
      port: this.port,
      datacenter: this.datacenter,
      rack: this.rack,
      hostId: this.hostId,
      releaseVersion: this.releaseVersion,
      tokens: this.tokens,
      isUp: this.isUp
    }
  }
  /** Takes what a system.local / system.peers row says of the host. */
  update(row: Row): void {
    this.datacenter = rowString(row, "data_center") ?? this.datacenter
    this.rack = rowString(row, "rack") ?? this.rack
    this.hostId = rowString(row, "host_id") ?? this.hostId
    this.releaseVersion = rowString(row, "release_version") ?? this.releaseVersion
    this.schemaVersion = rowString(row, "schema_version") ?? this.schemaVersion
    const tokens = row["tokens"]
    if (Array.isArray(tokens)) this.tokens = tokens.map(String)
  }
}

/**
 * Hosts by endpoint, their states, and the streams that announce their changes.
 *
 * @since 0.1.0
 */
export class HostRegistry {
  private readonly hosts = new Map<string, HostState>()
  /**
   * `hosts` as an array, rebuilt on the first read after a host was added or removed (not when it goes up
   * or down): a discovery of N hosts copies the map once, not N times.
   */
  private list: ReadonlyArray<HostState> | undefined = []
  readonly events: PubSub.PubSub<HostEvent>
  /** Hosts a STATUS_CHANGE UP reported: a hint for pools to try them now. */
  readonly upHints: PubSub.PubSub<Host>
  private readonly translate: AddressTranslator

  constructor(events: PubSub.PubSub<HostEvent>, upHints: PubSub.PubSub<Host>, translate: AddressTranslator) {
    this.events = events
    this.upHints = upHints
    this.translate = translate
  }

  static make(translate: AddressTranslator): Effect.Effect<HostRegistry> {
    return Effect.map(
      Effect.all([PubSub.unbounded<HostEvent>(), PubSub.unbounded<Host>()]),
      ([events, upHints]) => new HostRegistry(events, upHints, translate)
    )
  }

  all(): ReadonlyArray<HostState> {
    if (this.list === undefined) this.list = [...this.hosts.values()]
    return this.list
  }

  get(endpoint: string): HostState | undefined {
    return this.hosts.get(endpoint)
  }

  /** The host at a reported address, after address translation (`InvalidInput` when the translator fails). */
  getTranslated(address: string, port: number): HostState | undefined | E.InvalidInput {
    const translated = translateAddress(this.translate, address, port)
    return translated instanceof E.InvalidInput ? translated : this.hosts.get(endpointOf(translated.address, translated.port))
  }

  /** Records what a system table row says of the host at `address:port` (translated); announces a new host. */
  upsert(address: string, port: number, row: Row): Effect.Effect<HostState, E.InvalidInput> {
    return Effect.suspend(() => {
      const translated = translateAddress(this.translate, address, port)
      if (translated instanceof E.InvalidInput) return Effect.fail(translated)
      const key = endpointOf(translated.address, translated.port)
      let host = this.hosts.get(key)
      const added = host === undefined
      if (host === undefined) {
        host = new HostState(translated.address, translated.port)
        this.hosts.set(key, host)
        this.list = undefined
      }
      host.update(row)
      return added ? Effect.as(this.publish({ _tag: "HostAdded", host: host.snapshot() }), host) : Effect.succeed(host)
    })
  }

  /** Forgets every host whose endpoint is not in `seen`, announcing each removal. */
  removeAllBut(seen: ReadonlySet<string>): Effect.Effect<void> {
    return Effect.suspend(() => {
      const removed: Array<HostState> = []
      for (const [key, host] of this.hosts) {
        if (seen.has(key)) continue
        this.hosts.delete(key)
        removed.push(host)
      }
      if (removed.length === 0) return Effect.void
      this.list = undefined
      return Effect.forEach(removed, (host) => this.publish({ _tag: "HostRemoved", host: host.snapshot() }), { discard: true })
    })
  }

  /**
   * Forgets one host (the cluster announced it REMOVED_NODE), announcing its removal; nothing when it is
   * not known. A later refresh that still finds it in the system tables adds it again.
   */
  remove(endpoint: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      const host = this.hosts.get(endpoint)
      if (host === undefined) return Effect.void
      this.hosts.delete(endpoint)
      this.list = undefined
      return this.publish({ _tag: "HostRemoved", host: host.snapshot() })
    })
  }

  /** Every down host's reason, by endpoint, as the error a request would have met there. */
  downReasons(): Record<string, E.ConnectionError> {
    const out: Record<string, E.ConnectionError> = {}
    for (const h of this.all()) {
      if (!h.isUp) out[h.endpoint] = new E.ConnectionError({ message: `host down: ${h.downReason ?? "unknown reason"}`, host: h.endpoint, sent: false })
    }
    return out
  }

  /** Records a host as down (a session's pool lost it); announced once. */
  markDown(host: Host, reason: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      const h = this.hosts.get(host.endpoint)
      if (h === undefined || !h.isUp) return Effect.void
      h.isUp = false
      h.downReason = reason
      return this.publish({ _tag: "HostDown", host: h.snapshot(), reason })
    })
  }

  /** Records a host as up again (a pool reopened); announced once. */
  markUp(host: Host): Effect.Effect<void> {
    return Effect.suspend(() => {
      const h = this.hosts.get(host.endpoint)
      if (h === undefined || h.isUp) return Effect.void
      h.isUp = true
      h.downReason = undefined
      return this.publish({ _tag: "HostUp", host: h.snapshot() })
    })
  }

  private publish(event: HostEvent): Effect.Effect<void> {
    return Effect.asVoid(PubSub.publish(this.events, event))
  }
}
