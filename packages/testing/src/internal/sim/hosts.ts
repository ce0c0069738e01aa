/**
 * One simulated host: its description (address, datacenter, rack, tokens, protocol versions,
 * compression), its state, its open connections and the ids of the statements prepared on it, and
 * the view a test gets of it. It does not know the cluster around it (peers, primes, the activity
 * log) and does no I/O: a server connection registers itself here as a `HostConnection`.
 *
 * @internal
 */
import type { Event, ProtocolVersion } from "@effect-cassandra/protocol/Messages"
import type { HostState, MockHost } from "../../Model.ts"

/**
 * What the simulation needs of a connection open on one of its hosts (the server's connections
 * implement it; the simulation never imports them).
 *
 * @since 0.1.0
 */
export interface HostConnection {
  /** Sends an event if the connection registered for it and is ready; true when it was sent. */
  sendEvent(event: Event): boolean
  /** Closes the connection now (host down, test request). */
  destroy(): void
  /** Stops (false) or resumes (true) reading the socket: the client's writes back up while stopped. */
  setReading(reading: boolean): void
}

/**
 * A simulated host and its mutable state.
 *
 * @since 0.1.0
 */
export class SimHost {
  index: number
  readonly address: string
  readonly port: number
  readonly endpoint: string
  readonly datacenter: string
  readonly rack: string
  readonly hostId: string
  readonly tokens: ReadonlyArray<string>
  readonly releaseVersion: string
  readonly versions: ReadonlySet<number>
  readonly maxVersion: ProtocolVersion
  readonly compression: ReadonlyArray<"lz4" | "snappy">
  schemaVersion: string
  state: HostState = "up"
  removed = false
  connectAttempts = 0
  readonly connections = new Set<HostConnection>()
  /** Ids (`idKey`) of the statements prepared on this host. */
  readonly prepared = new Set<string>()
  constructor(args: {
    index: number
    address: string
    port: number
    datacenter: string
    rack: string
    hostId: string
    tokens: ReadonlyArray<string>
    releaseVersion: string
    versions: ReadonlyArray<ProtocolVersion>
    compression: ReadonlyArray<"lz4" | "snappy">
    schemaVersion: string
  }) {
    this.index = args.index
    this.address = args.address
    this.port = args.port
    this.endpoint = args.address.includes(":") ? `[${args.address}]:${args.port}` : `${args.address}:${args.port}`
    this.datacenter = args.datacenter
    this.rack = args.rack
    this.hostId = args.hostId
    this.tokens = args.tokens
    this.releaseVersion = args.releaseVersion
    this.versions = new Set(args.versions)
    this.maxVersion = Math.max(...args.versions) as ProtocolVersion
    this.compression = args.compression
    this.schemaVersion = args.schemaVersion
  }
  view(): MockHost {
    return {
      index: this.index,
      address: this.address,
      port: this.port,
      endpoint: this.endpoint,
      datacenter: this.datacenter,
      rack: this.rack,
      hostId: this.hostId,
      tokens: this.tokens,
      protocolVersions: [...this.versions].sort() as Array<ProtocolVersion>,
      state: this.state,
      connections: this.connections.size,
      connectAttempts: this.connectAttempts
    }
  }
}

/**
 * Evenly spread Murmur3 tokens, one per host.
 *
 * @since 0.1.0
 */
export const defaultToken = (index: number, count: number): string => {
  const min = -(1n << 63n)
  const step = (1n << 64n) / BigInt(Math.max(count, 1))
  return String(min + BigInt(index) * step)
}

/**
 * The default address of host `index` (0-based): 127.0.0.1 .. 127.0.0.254, then on through 127/8
 * (127.0.0.255, 127.0.1.0, ...), so that a simulated cluster can have thousands of hosts.
 *
 * @since 0.2.0
 */
export const defaultAddress = (index: number): string => {
  const n = index + 1
  return `127.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}
