/**
 * The token map: the ring of every host's tokens under the cluster's partitioner, sorted, and the
 * replicas of a token per keyspace replication (placement.ts computes each range's on demand and keeps it).
 *
 * Building it parses and sorts the tokens once (no replica is computed then); a lookup is a binary search
 * on doubles and an array read. Keyspaces with the same replication share their placement, and a keyspace
 * whose replication changed gets the new one on its next lookup, so a schema refresh rebuilds nothing. A
 * token that does not parse for the partitioner is skipped and reported in `skipped`.
 *
 * It does not compute a request's routing key (queryPlan.ts does), read the ring (topology refresh does)
 * nor log (the metadata store logs `skipped`).
 *
 * @since 0.1.0
 * @internal
 */
import type { Host } from "../../Host.ts"
import type * as Metadata from "../../Metadata.ts"
import { murmur3, type Partitioner } from "./Partitioner.ts"
import { type Placement, placementOf, replicationKey, type RingTopology, WalkMarks } from "./placement.ts"

const EMPTY: ReadonlyArray<Host> = Object.freeze([])

/** A keyspace's placement, valid while its replication object is the one it was resolved for. */
interface KeyspacePlacement {
  readonly replication: Readonly<Record<string, string>> | undefined
  readonly placement: Placement
}

/** The parsed tokens before sorting. */
interface Parsed {
  readonly hosts: Array<Host>
  readonly tokens: Array<Metadata.Token>
  readonly owner: Array<number>
  readonly skipped: Array<string>
}

/**
 * The ring: each host's tokens, sorted, and the replicas of each range per keyspace replication.
 *
 * @since 0.1.0
 */
export class TokenMap implements Metadata.TokenMap {
  readonly partitioner: string
  /** Murmur3 rings: every token, sorted (empty for other partitioners: see `ring`). */
  readonly tokens: BigInt64Array
  readonly ring: ReadonlyArray<Metadata.Token>
  readonly owners: ReadonlyArray<Host>
  /** What the build skipped, one line per host (tokens that do not parse, tokens listed twice). */
  readonly skipped: ReadonlyArray<string>
  private readonly kind: Partitioner
  /** `approx` of each ring token: the binary search runs on these. */
  private readonly keys: Float64Array
  private readonly topology: RingTopology
  /** What the map was built from, to tell whether a refresh changed anything. */
  private readonly source: ReadonlyArray<{ readonly host: Host; readonly tokens: ReadonlyArray<string>; readonly dc: string | undefined; readonly rack: string | undefined }>
  private readonly byKeyspace = new Map<string, KeyspacePlacement>()
  private readonly byReplication = new Map<string, Placement>()

  constructor(hosts: ReadonlyArray<Host>, partitioner: Partitioner = murmur3) {
    this.kind = partitioner
    this.partitioner = partitioner.name
    this.source = hosts.map((host) => ({ host, tokens: host.tokens, dc: host.datacenter, rack: host.rack }))
    const parsed = parseTokens(hosts, partitioner)
    const order = sortedOrder(parsed.tokens, partitioner)
    const ring: Array<Metadata.Token> = []
    const owners: Array<Host> = []
    const ownerAt: Array<number> = []
    const duplicates = new Map<Host, number>()
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!
      const token = parsed.tokens[i]!
      // a token two hosts claim (a replaced node still listed): the first host keeps it
      if (ring.length > 0 && partitioner.compare(ring[ring.length - 1]!, token) === 0) {
        const h = parsed.hosts[parsed.owner[i]!]!
        duplicates.set(h, (duplicates.get(h) ?? 0) + 1)
        continue
      }
      ring.push(token)
      ownerAt.push(parsed.owner[i]!)
      owners.push(parsed.hosts[parsed.owner[i]!]!)
    }
    for (const [h, n] of duplicates) parsed.skipped.push(`host ${h.endpoint}: ${n} token(s) skipped, listed twice or owned by another host`)
    this.ring = ring
    this.owners = owners
    this.skipped = parsed.skipped
    this.keys = Float64Array.from(ring, (t) => partitioner.approx(t))
    this.tokens = partitioner === murmur3 ? BigInt64Array.from(ring as ReadonlyArray<bigint>) : new BigInt64Array(0)
    this.topology = topologyOf(parsed.hosts, Int32Array.from(ownerAt))
  }

  /** The token of a routing key under this ring's partitioner. */
  tokenOf(routingKey: Uint8Array): Metadata.Token {
    return this.kind.tokenOf(routingKey)
  }

  /** The ring position whose range holds `token`: the first ring token >= it, wrapping to 0; -1 for none. */
  indexOf(token: Metadata.Token): number {
    const keys = this.keys
    const n = keys.length
    if (n === 0 || !this.kind.accepts(token)) return -1
    const x = this.kind.approx(token)
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (keys[mid]! < x) lo = mid + 1
      else hi = mid
    }
    // ring tokens with the same double as `token`: compare exactly
    while (lo < n && keys[lo] === x && this.kind.compare(this.ring[lo]!, token) < 0) lo++
    return lo === n ? 0 : lo
  }

  /** The replicas of `token` for a keyspace with this replication (empty when the driver cannot tell). */
  replicas(keyspace: string, replication: Readonly<Record<string, string>> | undefined, token: Metadata.Token): ReadonlyArray<Host> {
    const i = this.indexOf(token)
    if (i < 0) return EMPTY
    let entry = this.byKeyspace.get(keyspace)
    if (entry === undefined || entry.replication !== replication) entry = this.resolve(keyspace, replication)
    return entry.placement.at(i)
  }

  /**
   * Whether the map was built from these hosts, in this order, with the same tokens, datacenters and racks
   * (a refresh that changed none of them keeps the map and the replicas it computed).
   */
  isBuiltFrom(hosts: ReadonlyArray<Host>, partitioner: Partitioner): boolean {
    if (partitioner !== this.kind || hosts.length !== this.source.length) return false
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i]!
      const s = this.source[i]!
      if (h !== s.host || h.datacenter !== s.dc || h.rack !== s.rack || !sameTokens(h.tokens, s.tokens)) return false
    }
    return true
  }

  private resolve(keyspace: string, replication: Readonly<Record<string, string>> | undefined): KeyspacePlacement {
    const key = replicationKey(replication)
    let placement = this.byReplication.get(key)
    if (placement === undefined) {
      placement = placementOf(this.topology, replication)
      this.byReplication.set(key, placement)
    }
    const entry = { replication, placement }
    this.byKeyspace.set(keyspace, entry)
    return entry
  }
}

const sameTokens = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Every host's tokens that parse; one line in `skipped` per host with tokens that do not. */
const parseTokens = (hosts: ReadonlyArray<Host>, partitioner: Partitioner): Parsed => {
  const out: Parsed = { hosts: [], tokens: [], owner: [], skipped: [] }
  for (const host of hosts) {
    let index = -1
    let bad = 0
    let firstBad = ""
    for (const text of host.tokens) {
      const token = partitioner.parse(text)
      if (token === undefined) {
        if (bad++ === 0) firstBad = text
        continue
      }
      if (index < 0) {
        index = out.hosts.length
        out.hosts.push(host)
      }
      out.tokens.push(token)
      out.owner.push(index)
    }
    if (bad > 0) {
      out.skipped.push(
        `host ${host.endpoint}: ${bad} token(s) skipped, not ${partitioner.name} tokens (the first: ${JSON.stringify(firstBad.slice(0, 80))})`
      )
    }
  }
  return out
}

/** The indexes of `tokens` in ring order (ties by index, so the first host listed keeps a shared token). */
const sortedOrder = (tokens: ReadonlyArray<Metadata.Token>, partitioner: Partitioner): Uint32Array => {
  const n = tokens.length
  const keys = new Float64Array(n)
  for (let i = 0; i < n; i++) keys[i] = partitioner.approx(tokens[i]!)
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  return order.sort((a, b) => keys[a]! - keys[b]! || partitioner.compare(tokens[a]!, tokens[b]!) || a - b)
}

/** Datacenter and rack indexes of the hosts on the ring. */
const topologyOf = (hosts: ReadonlyArray<Host>, ownerAt: Int32Array): RingTopology => {
  const dcIndex = new Map<string, number>()
  const rackIndex = new Map<string, number>()
  const hostDc = new Int32Array(hosts.length)
  const hostRack = new Int32Array(hosts.length)
  const dcHosts: Array<number> = []
  const dcRacks: Array<number> = []
  for (let h = 0; h < hosts.length; h++) {
    const dc = hosts[h]!.datacenter ?? ""
    let d = dcIndex.get(dc)
    if (d === undefined) {
      d = dcIndex.size
      dcIndex.set(dc, d)
      dcHosts.push(0)
      dcRacks.push(0)
    }
    dcHosts[d]!++
    const rackKey = `${d}\u0000${hosts[h]!.rack ?? ""}`
    let r = rackIndex.get(rackKey)
    if (r === undefined) {
      r = rackIndex.size
      rackIndex.set(rackKey, r)
      dcRacks[d]!++
    }
    hostDc[h] = d
    hostRack[h] = r
  }
  return {
    size: ownerAt.length,
    ownerAt,
    hosts,
    hostDc,
    hostRack,
    dcIndex,
    dcHosts: Int32Array.from(dcHosts),
    dcRacks: Int32Array.from(dcRacks),
    rackCount: rackIndex.size,
    marks: new WalkMarks(hosts.length, rackIndex.size)
  }
}
