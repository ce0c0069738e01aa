/**
 * Replica placement: which hosts hold a ring range under a keyspace's replication, as Cassandra places
 * them (its `calculateNaturalReplicas`), computed on demand for one range at a time and cached per range.
 *
 * - NetworkTopologyStrategy: walk the ring from the range's token; in each datacenter with an RF take a
 *   host on a rack not used yet; a host on a used rack only while the DC has fewer racks than its RF allows
 *   repeats (RF − racks of them, the first met in ring order); at most as many as the DC has hosts.
 * - SimpleStrategy: the first RF distinct hosts of the walk. EverywhereStrategy: every host, in walk order.
 * - LocalStrategy: no replica set (every node holds its own copy: any coordinator answers), so routing is
 *   not token-aware, as in the Python driver.
 * - An unknown class, a missing or unparsable RF, or RFs that are all 0: no replica set.
 *
 * A range's replicas cost one walk of at most the whole ring (usually a few steps) the first time, an
 * array read after. It does not hold the ring (the token map does) nor compute tokens.
 *
 * @since 0.2.0
 * @internal
 */
import type { Host } from "../../Host.ts"

/**
 * The ring as placement reads it: the owner of each ring position and each host's datacenter and rack,
 * as small integers.
 *
 * @since 0.2.0
 */
export interface RingTopology {
  /** Ring positions (tokens). */
  readonly size: number
  /** The host index of each ring position. */
  readonly ownerAt: Int32Array
  readonly hosts: ReadonlyArray<Host>
  /** The datacenter index of each host. */
  readonly hostDc: Int32Array
  /** The rack index of each host (a rack is a (datacenter, rack) pair: same-named racks of two DCs differ). */
  readonly hostRack: Int32Array
  readonly dcIndex: ReadonlyMap<string, number>
  /** Hosts per datacenter index. */
  readonly dcHosts: Int32Array
  /** Racks per datacenter index. */
  readonly dcRacks: Int32Array
  readonly rackCount: number
  /** Scratch marks of the walks on this ring. */
  readonly marks: WalkMarks
}

const EMPTY: ReadonlyArray<Host> = Object.freeze([])

/**
 * The replicas of each ring range under one replication.
 *
 * @since 0.2.0
 */
export abstract class Placement {
  /** The replicas of the range that ends at ring position `i`. */
  abstract at(i: number): ReadonlyArray<Host>
}

/**
 * No replica set: routing falls back to the load-balancing policy's plain order.
 *
 * @since 0.2.0
 */
export class NoReplicas extends Placement {
  at(_i: number): ReadonlyArray<Host> {
    return EMPTY
  }
}

/**
 * Marks shared by the walks of one ring: a host (or rack) is taken in the current walk when its mark
 * equals the walk's stamp, so a walk clears nothing and allocates nothing but its result.
 *
 * @since 0.2.0
 */
export class WalkMarks {
  readonly host: Int32Array
  readonly rack: Int32Array
  private stamp = 0
  constructor(hosts: number, racks: number) {
    this.host = new Int32Array(hosts)
    this.rack = new Int32Array(racks)
  }
  /** The stamp of a new walk. */
  next(): number {
    if (this.stamp === 0x7fffffff) {
      this.stamp = 0
      this.host.fill(0)
      this.rack.fill(0)
    }
    return ++this.stamp
  }
}

/** A placement whose ranges are computed the first time they are asked for, then kept. */
abstract class CachedPlacement extends Placement {
  protected readonly ring: RingTopology
  private readonly cache: Array<ReadonlyArray<Host> | undefined>
  constructor(ring: RingTopology) {
    super()
    this.ring = ring
    this.cache = new Array(ring.size)
  }
  at(i: number): ReadonlyArray<Host> {
    const hit = this.cache[i]
    if (hit !== undefined) return hit
    const computed = this.compute(i)
    this.cache[i] = computed
    return computed
  }
  protected abstract compute(i: number): ReadonlyArray<Host>
}

/**
 * The owner of the range alone (a keyspace whose replication is not known).
 *
 * @since 0.2.0
 */
export class PrimaryOwner extends CachedPlacement {
  protected compute(i: number): ReadonlyArray<Host> {
    return [this.ring.hosts[this.ring.ownerAt[i]!]!]
  }
}

/**
 * SimpleStrategy (RF distinct hosts in ring order) and EverywhereStrategy (all of them).
 *
 * @since 0.2.0
 */
export class RingWalk extends CachedPlacement {
  private readonly rf: number
  constructor(ring: RingTopology, rf: number) {
    super(ring)
    this.rf = Math.min(rf, ring.hosts.length)
  }
  protected compute(i: number): ReadonlyArray<Host> {
    const { ownerAt, hosts, size } = this.ring
    const m = this.ring.marks
    const stamp = m.next()
    const out: Array<Host> = []
    for (let j = 0, p = i; j < size && out.length < this.rf; j++, p = p + 1 === size ? 0 : p + 1) {
      const h = ownerAt[p]!
      if (m.host[h] === stamp) continue
      m.host[h] = stamp
      out.push(hosts[h]!)
    }
    return out
  }
}

/**
 * NetworkTopologyStrategy with racks, as Cassandra 4.0+ places replicas.
 *
 * @since 0.2.0
 */
export class NetworkTopology extends CachedPlacement {
  /** Replicas still wanted per DC index at the start of a walk: min(RF, hosts of the DC); 0 for DCs without RF. */
  private readonly rfInit: Int32Array
  /** Rack repeats allowed per DC index at the start of a walk: RF − racks of the DC. */
  private readonly repeatsInit: Int32Array
  private readonly rfLeft: Int32Array
  private readonly repeats: Int32Array
  private readonly dcsToFill: number

  constructor(ring: RingTopology, rfByDc: ReadonlyMap<string, number>) {
    super(ring)
    const dcs = ring.dcHosts.length
    this.rfInit = new Int32Array(dcs)
    this.repeatsInit = new Int32Array(dcs)
    this.rfLeft = new Int32Array(dcs)
    this.repeats = new Int32Array(dcs)
    let toFill = 0
    for (const [dc, rf] of rfByDc) {
      const d = ring.dcIndex.get(dc)
      if (d === undefined || rf <= 0) continue
      this.rfInit[d] = Math.min(rf, ring.dcHosts[d]!)
      this.repeatsInit[d] = rf - ring.dcRacks[d]!
      toFill++
    }
    this.dcsToFill = toFill
  }

  protected compute(i: number): ReadonlyArray<Host> {
    const { ownerAt, hosts, hostDc, hostRack, size } = this.ring
    const m = this.ring.marks
    const stamp = m.next()
    const rfLeft = this.rfLeft
    const repeats = this.repeats
    rfLeft.set(this.rfInit)
    repeats.set(this.repeatsInit)
    let toFill = this.dcsToFill
    const out: Array<Host> = []
    for (let j = 0, p = i; j < size && toFill > 0; j++, p = p + 1 === size ? 0 : p + 1) {
      const h = ownerAt[p]!
      const d = hostDc[h]!
      if (rfLeft[d] === 0 || m.host[h] === stamp) continue
      const r = hostRack[h]!
      if (m.rack[r] !== stamp) m.rack[r] = stamp // a new rack of this DC
      else if (repeats[d]! > 0) repeats[d]!-- // a used rack, while the DC has fewer racks than its RF
      else continue
      m.host[h] = stamp
      out.push(hosts[h]!)
      if (--rfLeft[d]! === 0) toFill--
    }
    return out
  }
}

/** A replication factor as system_schema writes it: `3`, or `3/1` (3 replicas of which 1 transient). */
const parseRf = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const m = /^\s*(\d+)(?:\/\d+)?\s*$/.exec(text)
  return m === null ? undefined : Number(m[1])
}

/** The class name without its package. */
const strategyName = (cls: string): string => cls.slice(cls.lastIndexOf(".") + 1)

/**
 * The placement of a keyspace's replication on a ring (see the module's description for each class).
 *
 * @since 0.2.0
 */
export const placementOf = (ring: RingTopology, replication: Readonly<Record<string, string>> | undefined): Placement => {
  if (ring.size === 0) return new NoReplicas()
  if (replication === undefined) return new PrimaryOwner(ring)
  const cls = strategyName(replication["class"] ?? "")
  switch (cls) {
    case "SimpleStrategy": {
      const rf = parseRf(replication["replication_factor"])
      return rf === undefined || rf <= 0 ? new NoReplicas() : new RingWalk(ring, rf)
    }
    case "EverywhereStrategy":
      return new RingWalk(ring, ring.hosts.length)
    case "NetworkTopologyStrategy": {
      const rfByDc = new Map<string, number>()
      for (const [key, value] of Object.entries(replication)) {
        if (key === "class" || key === "replication_factor") continue
        const rf = parseRf(value)
        if (rf === undefined) return new NoReplicas()
        if (rf > 0) rfByDc.set(key, rf)
      }
      return rfByDc.size === 0 ? new NoReplicas() : new NetworkTopology(ring, rfByDc)
    }
    default:
      // LocalStrategy and classes the driver does not know
      return new NoReplicas()
  }
}

/**
 * A key that is the same for two replications that place replicas alike (same class and options).
 *
 * @since 0.2.0
 */
export const replicationKey = (replication: Readonly<Record<string, string>> | undefined): string => {
  if (replication === undefined) return ""
  const keys = Object.keys(replication).sort()
  let out = "\u0001"
  for (const k of keys) out += `${k}=${replication[k]}\u0000`
  return out
}
