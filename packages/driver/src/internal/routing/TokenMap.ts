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

/** The tokens that parse, in host order, before sorting (the first `count` entries of the arrays). */
interface Parsed {
  readonly hosts: Array<Host>
  readonly texts: Array<string>
  readonly approx: Float64Array
  readonly owner: Int32Array
  readonly count: number
  readonly skipped: Array<string>
}

/** The ring in order: for each position the index of its token in `Parsed`, and the exact tokens known. */
interface Sorted {
  readonly order: Int32Array
  /** Exact tokens of the positions whose `approx` another position shares (parsed to order them). */
  readonly exact: Map<number, Metadata.Token>
  /** How many tokens were dropped as listed twice, per host index. */
  readonly dropped: Map<number, number>
}

/**
 * The ring: each host's tokens, sorted, and the replicas of each range per keyspace replication.
 *
 * @since 0.1.0
 */
export class TokenMap implements Metadata.TokenMap {
  readonly partitioner: string
  /** What the build skipped, one line per host (tokens that do not parse, tokens listed twice). */
  readonly skipped: ReadonlyArray<string>
  private readonly kind: Partitioner
  /** `approx` of each ring token, in ring order: the binary search runs on these. */
  private readonly keys: Float64Array
  /** Each ring token as the system tables wrote it. */
  private readonly texts: ReadonlyArray<string>
  /** Exact ring tokens parsed so far, by ring position (for ties of `keys`, and `ring`). */
  private readonly exact: Map<number, Metadata.Token>
  private readonly topology: RingTopology
  /** What the map was built from, to tell whether a refresh changed anything. */
  private readonly source: ReadonlyArray<{ readonly host: Host; readonly tokens: ReadonlyArray<string>; readonly dc: string | undefined; readonly rack: string | undefined }>
  private readonly byKeyspace = new Map<string, KeyspacePlacement>()
  private readonly byReplication = new Map<string, Placement>()
  private ringCache: ReadonlyArray<Metadata.Token> | undefined = undefined
  private ownersCache: ReadonlyArray<Host> | undefined = undefined
  private tokensCache: BigInt64Array | undefined = undefined

  constructor(hosts: ReadonlyArray<Host>, partitioner: Partitioner = murmur3) {
    this.kind = partitioner
    this.partitioner = partitioner.name
    this.source = hosts.map((host) => ({ host, tokens: host.tokens, dc: host.datacenter, rack: host.rack }))
    const parsed = parseTokens(hosts, partitioner)
    const sorted = sortTokens(parsed, partitioner)
    const n = sorted.order.length
    const keys = new Float64Array(n)
    const texts: Array<string> = new Array(n)
    const ownerAt = new Int32Array(n)
    const exact = new Map<number, Metadata.Token>()
    for (let k = 0; k < n; k++) {
      const i = sorted.order[k]!
      keys[k] = parsed.approx[i]!
      texts[k] = parsed.texts[i]!
      ownerAt[k] = parsed.owner[i]!
    }
    if (sorted.exact.size > 0) {
      for (let k = 0; k < n; k++) {
        const e = sorted.exact.get(sorted.order[k]!)
        if (e !== undefined) exact.set(k, e)
      }
    }
    for (const [h, count] of sorted.dropped) {
      parsed.skipped.push(`host ${parsed.hosts[h]!.endpoint}: ${count} token(s) skipped, listed twice or owned by another host`)
    }
    this.keys = keys
    this.texts = texts
    this.exact = exact
    this.skipped = parsed.skipped
    this.topology = topologyOf(parsed.hosts, ownerAt)
  }

  /** Every token of the ring, sorted (parsed on first use). */
  get ring(): ReadonlyArray<Metadata.Token> {
    if (this.ringCache === undefined) this.ringCache = Array.from(this.texts, (_, k) => this.tokenAt(k))
    return this.ringCache
  }

  /** The host owning each token of `ring`. */
  get owners(): ReadonlyArray<Host> {
    if (this.ownersCache === undefined) {
      const { hosts, ownerAt } = this.topology
      this.ownersCache = Array.from(ownerAt, (h) => hosts[h]!)
    }
    return this.ownersCache
  }

  /** Murmur3 rings: every token, sorted (empty for other partitioners: see `ring`). */
  get tokens(): BigInt64Array {
    if (this.tokensCache === undefined) {
      this.tokensCache = this.kind === murmur3 ? BigInt64Array.from(this.ring as ReadonlyArray<bigint>) : new BigInt64Array(0)
    }
    return this.tokensCache
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
    while (lo < n && keys[lo] === x && this.kind.compare(this.tokenAt(lo), token) < 0) lo++
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

  /** The exact token at ring position `k`, parsed once. */
  private tokenAt(k: number): Metadata.Token {
    let t = this.exact.get(k)
    if (t === undefined) {
      t = this.kind.parse(this.texts[k]!)!
      this.exact.set(k, t)
    }
    return t
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
  let total = 0
  for (const host of hosts) total += host.tokens.length
  const parsedHosts: Array<Host> = []
  const texts: Array<string> = []
  const approx = new Float64Array(total)
  const owner = new Int32Array(total)
  const skipped: Array<string> = []
  let count = 0
  for (const host of hosts) {
    let index = -1
    let bad = 0
    let firstBad = ""
    const tokens = host.tokens
    for (let t = 0; t < tokens.length; t++) {
      const text = tokens[t]!
      const x = partitioner.approxOf(text)
      if (Number.isNaN(x)) {
        if (bad++ === 0) firstBad = text
        continue
      }
      if (index < 0) {
        index = parsedHosts.length
        parsedHosts.push(host)
      }
      texts.push(text)
      approx[count] = x
      owner[count] = index
      count++
    }
    if (bad > 0) {
      skipped.push(`host ${host.endpoint}: ${bad} token(s) skipped, not ${partitioner.name} tokens (the first: ${JSON.stringify(firstBad.slice(0, 80))})`)
    }
  }
  return { hosts: parsedHosts, texts, approx, owner, count, skipped }
}

/**
 * The ring order of the parsed tokens, without a comparison function: the doubles are sorted natively, each
 * token goes to the first free place of its double in that order (so equal doubles keep host order), and
 * only runs of equal doubles (rare: tokens closer than the double's precision) are ordered exactly, where a
 * token listed twice keeps its first host.
 */
const sortTokens = (parsed: Parsed, partitioner: Partitioner): Sorted => {
  const n = parsed.count
  const approx = parsed.approx.subarray(0, n)
  const sorted = approx.slice().sort()
  const order = new Int32Array(n)
  const used = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const x = approx[i]!
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (sorted[mid]! < x) lo = mid + 1
      else hi = mid
    }
    order[lo + used[lo]!++] = i
  }
  const exact = new Map<number, Metadata.Token>()
  const dropped = new Map<number, number>()
  let keep: Array<number> | undefined
  for (let a = 0; a < n;) {
    let b = a + 1
    while (b < n && sorted[b] === sorted[a]) b++
    if (b - a > 1) {
      const run = Array.from(order.subarray(a, b))
      for (const i of run) exact.set(i, partitioner.parse(parsed.texts[i]!)!)
      run.sort((i, j) => partitioner.compare(exact.get(i)!, exact.get(j)!) || i - j)
      for (let k = 0; k < run.length; k++) order[a + k] = run[k]!
      for (let k = 1; k < run.length; k++) {
        if (partitioner.compare(exact.get(run[k]!)!, exact.get(run[k - 1]!)!) !== 0) continue
        keep ??= Array.from({ length: n }, () => 1)
        keep[a + k] = 0
        const h = parsed.owner[run[k]!]!
        dropped.set(h, (dropped.get(h) ?? 0) + 1)
      }
    }
    a = b
  }
  if (keep === undefined) return { order, exact, dropped }
  return { order: order.filter((_, k) => keep[k] === 1), exact, dropped }
}

/** Datacenter and rack indexes of the hosts on the ring. */
const topologyOf = (hosts: ReadonlyArray<Host>, ownerAt: Int32Array): RingTopology => {
  const dcIndex = new Map<string, number>()
  const rackIndex = new Map<string, number>()
  const hostDc = new Int32Array(hosts.length)
  const hostRack = new Int32Array(hosts.length)
  const dcHosts: Array<number> = []
  const dcRacks: Array<number> = []
  // a host whose every token another host owns is not on the ring: it counts in no DC
  const owns = new Uint8Array(hosts.length)
  for (let k = 0; k < ownerAt.length; k++) owns[ownerAt[k]!] = 1
  for (let h = 0; h < hosts.length; h++) {
    if (owns[h] === 0) continue
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
