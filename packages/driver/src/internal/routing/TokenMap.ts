/**
 * The token map: the ring of every host's tokens, sorted, and the replicas of each range per keyspace
 * under its replication strategy, computed on the first lookup of a keyspace and cached.
 *
 * It does not compute a request's token (`replicas.ts` does) nor read the ring (topology refresh does).
 *
 * @since 0.1.0
 * @internal
 */
import type { Host } from "../../Host.ts"
import type * as Metadata from "../../Metadata.ts"

/**
 * The ring: each host's tokens, sorted, and the replicas of each range per keyspace.
 *
 * @since 0.1.0
 */
export class TokenMap implements Metadata.TokenMap {
  readonly tokens: BigInt64Array
  readonly owners: ReadonlyArray<Host>
  private readonly replicaCache = new Map<string, ReadonlyArray<ReadonlyArray<Host>>>()

  constructor(hosts: ReadonlyArray<Host>) {
    const entries: Array<[bigint, Host]> = []
    for (const h of hosts) {
      for (const t of h.tokens) {
        try {
          entries.push([BigInt(t), h])
        } catch {
          // not a Murmur3 token: ignore
        }
      }
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    this.tokens = BigInt64Array.from(entries.map((e) => e[0]))
    this.owners = entries.map((e) => e[1])
  }

  /** Index of the first ring token >= `token` (wrapping to 0). */
  private indexOf(token: bigint): number {
    const tokens = this.tokens
    let lo = 0
    let hi = tokens.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (tokens[mid]! < token) lo = mid + 1
      else hi = mid
    }
    return lo === tokens.length ? 0 : lo
  }

  /** The replicas of `token` for a keyspace with this replication. */
  replicas(keyspace: string, replication: Readonly<Record<string, string>> | undefined, token: bigint): ReadonlyArray<Host> {
    if (this.tokens.length === 0) return []
    let perRange = this.replicaCache.get(keyspace)
    if (perRange === undefined) {
      perRange = this.computeReplicas(replication)
      this.replicaCache.set(keyspace, perRange)
    }
    return perRange[this.indexOf(token)]!
  }

  private computeReplicas(replication: Readonly<Record<string, string>> | undefined): ReadonlyArray<ReadonlyArray<Host>> {
    const cls = replication?.["class"] ?? "SimpleStrategy"
    const n = this.owners.length
    const result: Array<ReadonlyArray<Host>> = new Array(n)
    if (cls.endsWith("NetworkTopologyStrategy")) {
      const wanted = new Map<string, number>()
      for (const [k, v] of Object.entries(replication ?? {})) {
        if (k === "class") continue
        const rf = Number.parseInt(v, 10)
        if (rf > 0) wanted.set(k, rf)
      }
      const dcSizes = new Map<string, number>()
      for (const h of new Set(this.owners)) dcSizes.set(h.datacenter ?? "", (dcSizes.get(h.datacenter ?? "") ?? 0) + 1)
      for (let i = 0; i < n; i++) {
        const picked: Array<Host> = []
        const seen = new Set<string>()
        const perDc = new Map<string, number>()
        for (let j = 0; j < n; j++) {
          const h = this.owners[(i + j) % n]!
          if (seen.has(h.endpoint)) continue
          const dc = h.datacenter ?? ""
          const rf = Math.min(wanted.get(dc) ?? 0, dcSizes.get(dc) ?? 0)
          const have = perDc.get(dc) ?? 0
          if (have >= rf) continue
          seen.add(h.endpoint)
          perDc.set(dc, have + 1)
          picked.push(h)
        }
        result[i] = picked
      }
      return result
    }
    const rf = cls.endsWith("LocalStrategy") || cls.endsWith("EverywhereStrategy")
      ? (cls.endsWith("LocalStrategy") ? 1 : n)
      : Math.max(1, Number.parseInt(replication?.["replication_factor"] ?? "1", 10) || 1)
    for (let i = 0; i < n; i++) {
      const picked: Array<Host> = []
      const seen = new Set<string>()
      for (let j = 0; j < n && picked.length < rf; j++) {
        const h = this.owners[(i + j) % n]!
        if (seen.has(h.endpoint)) continue
        seen.add(h.endpoint)
        picked.push(h)
      }
      result[i] = picked
    }
    return result
  }
}
