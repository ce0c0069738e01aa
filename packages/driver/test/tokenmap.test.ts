/**
 * The token map: replica placement as Cassandra does it (NetworkTopologyStrategy with racks, SimpleStrategy,
 * EverywhereStrategy, LocalStrategy), the three partitioners, and bad input. Small rings are worked by
 * hand from Cassandra's rules; synthetic rings (vnodes, several DCs and racks) are compared range by range
 * with a plain transcription of those rules and with cassandra-driver 4.10's token map, a second,
 * independent implementation.
 */
import type { Host as HostModule } from "@effect-cassandra/driver"
import { murmur3Token, randomToken } from "@effect-cassandra/protocol/Token"
import { describe, expect, it } from "@effect/vitest"
import { byteOrdered, murmur3, partitionerNamed, random } from "../src/internal/routing/Partitioner.ts"
import { TokenMap } from "../src/internal/routing/TokenMap.ts"
import { host, peerTokenMap, type RingSpec, seeded, syntheticRing } from "./helpers/rings.ts"

type Host = HostModule.Host
const NTS = "org.apache.cassandra.locator.NetworkTopologyStrategy"
const SIMPLE = "org.apache.cassandra.locator.SimpleStrategy"
const nts = (rfs: Record<string, string>) => ({ class: NTS, ...rfs })
const simple = (rf: string) => ({ class: SIMPLE, replication_factor: rf })
const names = (hosts: ReadonlyArray<Host>) => hosts.map((h) => h.address)

/** One host per token: [name, dc, rack, token]. */
const ringOf = (spec: ReadonlyArray<readonly [string, string, string, number | bigint]>) =>
  new TokenMap(spec.map(([name, dc, rack, token]) => host(name, dc, rack, [String(token)])))

describe("NetworkTopologyStrategy with racks (hand-worked rings)", () => {
  it("takes hosts on unused racks first: a second host of a used rack is passed over", () => {
    const ring = ringOf([["a1", "dc1", "r1", 10], ["a2", "dc1", "r1", 20], ["b1", "dc1", "r2", 30], ["c1", "dc1", "r3", 40], ["a3", "dc1", "r1", 50], ["b2", "dc1", "r2", 60]])
    expect(names(ring.replicas("ks", nts({ dc1: "3" }), 5n))).toEqual(["a1", "b1", "c1"])
    // from 25: b1, c1, then a3 (r1 not used yet in this walk)
    expect(names(ring.replicas("ks", nts({ dc1: "3" }), 25n))).toEqual(["b1", "c1", "a3"])
    // RF 2 with 3 racks: two distinct racks
    expect(names(ring.replicas("ks", nts({ dc1: "2" }), 45n))).toEqual(["a3", "b2"])
  })

  it("RF > racks: the first RF - racks hosts of used racks met in ring order fill the rest", () => {
    const ring = ringOf([["a1", "dc1", "r1", 10], ["a2", "dc1", "r1", 20], ["a3", "dc1", "r1", 30], ["b1", "dc1", "r2", 40], ["b2", "dc1", "r2", 50]])
    // racks r1, r2; RF 3 allows one repeat: a2 (the first repeat met), not a3
    expect(names(ring.replicas("ks", nts({ dc1: "3" }), 5n))).toEqual(["a1", "a2", "b1"])
    // RF 4: two repeats
    expect(names(ring.replicas("ks", nts({ dc1: "4" }), 5n))).toEqual(["a1", "a2", "a3", "b1"])
    // from 35: b1, b2 (repeat), then a1 (new rack) wrapping
    expect(names(ring.replicas("ks", nts({ dc1: "3" }), 35n))).toEqual(["b1", "b2", "a1"])
  })

  it("RF > hosts in a DC: every host of the DC, once", () => {
    const ring = ringOf([["a", "dc1", "r1", 10], ["x", "dc2", "r1", 20], ["b", "dc1", "r2", 30]])
    expect(names(ring.replicas("ks", nts({ dc1: "3", dc2: "3" }), 0n))).toEqual(["a", "x", "b"])
  })

  it("several DCs fill independently, in ring order; a DC the replication does not name gets none", () => {
    const ring = ringOf([
      ["a1", "dc1", "r1", 10], ["x1", "dc2", "r1", 15], ["a2", "dc1", "r1", 20], ["x2", "dc2", "r2", 25],
      ["b1", "dc1", "r2", 30], ["y1", "dc3", "r1", 35], ["x3", "dc2", "r1", 40], ["c1", "dc1", "r3", 50]
    ])
    expect(names(ring.replicas("ks", nts({ dc1: "2", dc2: "2" }), 0n))).toEqual(["a1", "x1", "x2", "b1"])
    expect(names(ring.replicas("ks", nts({ dc1: "3", dc2: "1", dc3: "0" }), 0n))).toEqual(["a1", "x1", "b1", "c1"])
    // a DC in the replication that has no host is ignored
    expect(names(ring.replicas("ks", nts({ dc9: "3", dc3: "1" }), 0n))).toEqual(["y1"])
  })

  it("same-named racks of two DCs are different racks", () => {
    const ring = ringOf([["a1", "dc1", "r1", 10], ["x1", "dc2", "r1", 20], ["a2", "dc1", "r2", 30], ["x2", "dc2", "r2", 40]])
    expect(names(ring.replicas("ks", nts({ dc1: "2", dc2: "2" }), 0n))).toEqual(["a1", "x1", "a2", "x2"])
  })

  it("vnodes: a host met again on the walk is not counted twice", () => {
    const ring = new TokenMap([
      host("a", "dc1", "r1", ["10", "20", "30"]),
      host("b", "dc1", "r2", ["40"]),
      host("c", "dc1", "r1", ["50"])
    ])
    expect(names(ring.replicas("ks", nts({ dc1: "2" }), 0n))).toEqual(["a", "b"])
    expect(names(ring.replicas("ks", simple("2"), 0n))).toEqual(["a", "b"])
    expect(names(ring.replicas("ks", simple("3"), 15n))).toEqual(["a", "b", "c"])
  })

  it("transient replication (3/1) counts all replicas", () => {
    const ring = ringOf([["a", "dc1", "r1", 10], ["b", "dc1", "r2", 20], ["c", "dc1", "r3", 30], ["d", "dc1", "r1", 40]])
    expect(names(ring.replicas("ks", nts({ dc1: "3/1" }), 0n))).toEqual(["a", "b", "c"])
  })
})

describe("SimpleStrategy, EverywhereStrategy, LocalStrategy", () => {
  const ring = ringOf([["a", "dc1", "r1", 10], ["b", "dc2", "r1", 20], ["c", "dc1", "r1", 30]])

  it("SimpleStrategy: RF distinct hosts walking the ring, whatever their DC and rack; at most every host", () => {
    expect(names(ring.replicas("ks", simple("2"), 15n))).toEqual(["b", "c"])
    expect(names(ring.replicas("ks", simple("5"), 25n))).toEqual(["c", "a", "b"])
  })

  it("EverywhereStrategy: every host, from the token's owner on", () => {
    expect(names(ring.replicas("ks", { class: "com.datastax.bdp.cassandra.replication.EverywhereStrategy" }, 25n))).toEqual(["c", "a", "b"])
  })

  it("LocalStrategy: no replica set (each node has its own copy), so routing is not token-aware", () => {
    expect(ring.replicas("system", { class: "org.apache.cassandra.locator.LocalStrategy" }, 15n)).toEqual([])
  })

  it("no replication known (keyspace not in the metadata): the token's owner", () => {
    expect(names(ring.replicas("unknown", undefined, 15n))).toEqual(["b"])
  })
})

describe("bad input", () => {
  const ring = ringOf([["a", "dc1", "r1", 10], ["b", "dc1", "r2", 20]])

  it("an unknown replication class, a missing, unparsable or zero RF: an empty replica set", () => {
    expect(ring.replicas("k1", { class: "com.example.MyStrategy", replication_factor: "3" }, 0n)).toEqual([])
    expect(ring.replicas("k2", { class: SIMPLE }, 0n)).toEqual([])
    expect(ring.replicas("k3", simple("0"), 0n)).toEqual([])
    expect(ring.replicas("k4", simple("three"), 0n)).toEqual([])
    expect(ring.replicas("k5", { class: NTS }, 0n)).toEqual([])
    expect(ring.replicas("k6", nts({ dc1: "0" }), 0n)).toEqual([])
    expect(ring.replicas("k7", nts({ dc1: "x" }), 0n)).toEqual([])
    expect(ring.replicas("k8", {}, 0n)).toEqual([])
  })

  it("tokens that do not parse for the partitioner are skipped and reported, per host", () => {
    const map = new TokenMap([
      host("a", "dc1", "r1", ["10", "abc", "9223372036854775808", "-9223372036854775809"]),
      host("b", "dc1", "r1", ["20", "1.5"]),
      host("c", "dc1", "r1", ["", " 30"])
    ])
    expect(names(map.owners)).toEqual(["a", "b"])
    expect(map.ring).toEqual([10n, 20n])
    expect(map.skipped).toEqual([
      `host a:9042: 3 token(s) skipped, not Murmur3Partitioner tokens (the first: "abc")`,
      `host b:9042: 1 token(s) skipped, not Murmur3Partitioner tokens (the first: "1.5")`,
      `host c:9042: 2 token(s) skipped, not Murmur3Partitioner tokens (the first: "")`
    ])
    // c is not on the ring: it is nobody's replica
    expect(names(map.replicas("ks", simple("3"), 0n))).toEqual(["a", "b"])
  })

  it("a token two hosts claim: the first host listed keeps it, the other's is reported", () => {
    const map = new TokenMap([host("a", "dc1", "r1", ["10"]), host("b", "dc1", "r1", ["10", "20"])])
    expect(map.ring).toEqual([10n, 20n])
    expect(names(map.owners)).toEqual(["a", "b"])
    expect(map.skipped).toEqual(["host b:9042: 1 token(s) skipped, listed twice or owned by another host"])
  })

  it("a token of another partitioner's kind finds no replicas; an empty ring has none", () => {
    expect(ring.replicas("ks", simple("1"), new Uint8Array([1]))).toEqual([])
    expect(new TokenMap([]).replicas("ks", simple("1"), 0n)).toEqual([])
    expect(new TokenMap([host("a", "dc1", "r1", ["zz"])]).replicas("ks", simple("1"), 0n)).toEqual([])
  })

  it("an unknown partitioner has no token map; Murmur3 is assumed when none is reported", () => {
    expect(partitionerNamed("org.apache.cassandra.dht.OrderPreservingPartitioner")).toBeUndefined()
    expect(partitionerNamed("org.apache.cassandra.dht.LocalPartitioner")).toBeUndefined()
    expect(partitionerNamed(undefined)).toBe(murmur3)
    expect(partitionerNamed("org.apache.cassandra.dht.RandomPartitioner")).toBe(random)
    expect(partitionerNamed("ByteOrderedPartitioner")).toBe(byteOrdered)
  })
})

describe("ring lookups", () => {
  it("tokens that round to the same double are told apart exactly", () => {
    const t = 2n ** 62n
    expect(Number(t)).toBe(Number(t + 1n))
    const map = ringOf([["a", "dc1", "r1", t], ["b", "dc1", "r1", t + 1n], ["c", "dc1", "r1", t + 2n]])
    expect(names(map.replicas("ks", simple("1"), t))).toEqual(["a"])
    expect(names(map.replicas("ks", simple("1"), t + 1n))).toEqual(["b"])
    expect(names(map.replicas("ks", simple("1"), t + 2n))).toEqual(["c"])
    expect(names(map.replicas("ks", simple("1"), t + 3n))).toEqual(["a"])
    expect(names(map.replicas("ks", simple("1"), t - 1n))).toEqual(["a"])
  })

  it("agrees with a linear scan of the ring on random tokens of a vnode ring", () => {
    const hosts = syntheticRing({ hosts: 20, vnodes: 16, dcs: 2, racks: 3, seed: 7 })
    const map = new TokenMap(hosts)
    const sorted = [...map.ring] as Array<bigint>
    const rand = seeded(99)
    for (let k = 0; k < 2000; k++) {
      const token = murmur3Token(new Uint8Array([k & 255, k >> 8, Math.floor(rand() * 256)]))
      let i = sorted.findIndex((t) => t >= token)
      if (i < 0) i = 0
      expect(map.indexOf(token)).toBe(i)
    }
  })

  it("a replication change takes effect on the next lookup; keyspaces with the same replication share a placement", () => {
    const map = ringOf([["a", "dc1", "r1", 10], ["b", "dc1", "r2", 20], ["c", "dc1", "r3", 30]])
    expect(names(map.replicas("ks", simple("1"), 0n))).toEqual(["a"])
    expect(names(map.replicas("ks", simple("2"), 0n))).toEqual(["a", "b"])
    // the same replica arrays for two keyspaces with equal replications
    expect(map.replicas("one", nts({ dc1: "2" }), 15n)).toBe(map.replicas("two", nts({ dc1: "2" }), 15n))
  })

  it("isBuiltFrom: true for the same hosts and tokens (even copied), false when a token, rack or host changed", () => {
    const hosts = [host("a", "dc1", "r1", ["10"]), host("b", "dc1", "r2", ["20"])]
    const map = new TokenMap(hosts)
    expect(map.isBuiltFrom(hosts, murmur3)).toBe(true)
    expect(map.isBuiltFrom([hosts[0]!, { ...hosts[1]!, tokens: ["20"] }], murmur3)).toBe(false) // another host object
    const mutable = hosts.map((h) => ({ ...h })) as Array<{ -readonly [K in keyof Host]: Host[K] }>
    const map2 = new TokenMap(mutable)
    mutable[1]!.tokens = ["20"]
    expect(map2.isBuiltFrom(mutable, murmur3)).toBe(true)
    mutable[1]!.tokens = ["21"]
    expect(map2.isBuiltFrom(mutable, murmur3)).toBe(false)
    mutable[1]!.tokens = ["20"]
    mutable[1]!.rack = "r1"
    expect(map2.isBuiltFrom(mutable, murmur3)).toBe(false)
    mutable[1]!.rack = "r2"
    expect(map2.isBuiltFrom(mutable, random)).toBe(false)
    expect(map2.isBuiltFrom(mutable.slice(0, 1), murmur3)).toBe(false)
  })
})

describe("RandomPartitioner and ByteOrderedPartitioner rings", () => {
  it("Random: decimal tokens in [0, 2^127]; a key routes by its MD5 token", () => {
    const top = 2n ** 127n
    const map = new TokenMap([
      host("a", "dc1", "r1", [String(top / 3n)]),
      host("b", "dc1", "r1", [String((2n * top) / 3n), "-5", String(top + 1n)]),
      host("c", "dc1", "r1", [String(top)])
    ], random)
    expect(map.partitioner).toBe("RandomPartitioner")
    expect(map.tokens.length).toBe(0)
    expect(map.ring).toEqual([top / 3n, (2n * top) / 3n, top])
    expect(map.skipped).toEqual([`host b:9042: 2 token(s) skipped, not RandomPartitioner tokens (the first: "-5")`])
    const key = new Uint8Array([0, 0, 0, 1])
    expect(map.tokenOf(key)).toBe(randomToken(key))
    // 19580090105725936846312850328329299579 (0x0eba...) < 2^127 / 3: a's range
    expect(names(map.replicas("ks", simple("1"), map.tokenOf(key)))).toEqual(["a"])
    expect(names(map.replicas("ks", simple("1"), top / 3n + 1n))).toEqual(["b"])
    expect(names(map.replicas("ks", simple("1"), -1n))).toEqual(["a"]) // the minimum token
    expect(map.replicas("ks", simple("1"), new Uint8Array([1]))).toEqual([])
  })

  it("ByteOrdered: hex tokens compared as unsigned bytes, a proper prefix first; bad hex skipped", () => {
    const map = new TokenMap([
      host("a", "dc1", "r1", ["61"]),
      host("b", "dc1", "r1", ["6100", "6"]),
      host("c", "dc1", "r1", ["62", "zz"]),
      host("d", "dc1", "r1", ["ff00"])
    ], byteOrdered)
    expect(map.ring.map((t) => Buffer.from(t as Uint8Array).toString("hex"))).toEqual(["61", "6100", "62", "ff00"])
    expect(map.skipped.length).toBe(2)
    const owner = (hex: string) => names(map.replicas("ks", simple("1"), map.tokenOf(Buffer.from(hex, "hex"))))[0]
    expect(owner("")).toBe("a") // the minimum token
    expect(owner("60ff")).toBe("a")
    expect(owner("61")).toBe("a")
    expect(owner("6100")).toBe("b")
    expect(owner("610000")).toBe("c")
    expect(owner("6101")).toBe("c")
    expect(owner("62")).toBe("c")
    expect(owner("80")).toBe("d")
    expect(owner("ff01")).toBe("a") // wraps
    expect(map.replicas("ks", simple("1"), 5n)).toEqual([])
  })

  it("ByteOrdered: keys sharing their first six bytes are told apart exactly", () => {
    const map = new TokenMap([host("a", "dc1", "r1", ["0102030405060708"]), host("b", "dc1", "r1", ["0102030405060709"])], byteOrdered)
    const owner = (hex: string) => names(map.replicas("ks", simple("1"), Buffer.from(hex, "hex")))[0]
    expect(owner("0102030405060708")).toBe("a")
    expect(owner("010203040506070801")).toBe("b")
    expect(owner("01020304050607")).toBe("a")
    expect(owner("010203040506070a")).toBe("a")
  })
})

/**
 * Cassandra's `calculateNaturalReplicas`, transcribed literally (sets, one walk per token): the reference the
 * optimized placement is compared with.
 */
const referenceReplicas = (hosts: ReadonlyArray<Host>, rfs: Record<string, number>) => {
  const ring = hosts.flatMap((h) => h.tokens.map((t) => ({ t: BigInt(t), h }))).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0))
  const owners = ring.map((e) => e.h)
  return (position: number): Array<string> => referenceWalk(hosts, owners, rfs, position)
}

const referenceWalk = (hosts: ReadonlyArray<Host>, ring: ReadonlyArray<Host>, rfs: Record<string, number>, position: number): Array<string> => {
  const dcs = new Map<string, { rfLeft: number; repeats: number }>()
  for (const [dc, rf] of Object.entries(rfs)) {
    const members = hosts.filter((h) => h.datacenter === dc)
    if (rf <= 0 || members.length === 0) continue
    dcs.set(dc, { rfLeft: Math.min(rf, members.length), repeats: rf - new Set(members.map((h) => h.rack)).size })
  }
  let toFill = dcs.size
  const racks = new Set<string>()
  const out: Array<Host> = []
  for (let j = 0; j < ring.length && toFill > 0; j++) {
    const h = ring[(position + j) % ring.length]!
    const d = dcs.get(h.datacenter!)
    if (d === undefined || d.rfLeft === 0 || out.includes(h)) continue
    if (!racks.has(`${h.datacenter}/${h.rack}`)) racks.add(`${h.datacenter}/${h.rack}`)
    else if (d.repeats > 0) d.repeats--
    else continue
    out.push(h)
    if (--d.rfLeft === 0) toFill--
  }
  return out.map((h) => h.address)
}

describe("synthetic rings: every range against the transcription of Cassandra's rules and against cassandra-driver", () => {
  // peer: "order" compares the lists; "set" the sets (cassandra-driver adds rack repeats once the walk met
  // every rack, Cassandra 3's order, where Cassandra 4+ takes them as met); "none": cassandra-driver 4.10 keeps
  // one list of skipped hosts for all DCs, so with RF > racks in several DCs it gives a DC hosts of another
  // (on this ring, range 21: three dc2 replicas for an RF of 2): the transcription is the only oracle there.
  const cases: ReadonlyArray<{ readonly name: string; readonly ring: RingSpec; readonly rfs: Record<string, number>; readonly peer: "order" | "set" | "none" }> = [
    { name: "60 hosts x 16 vnodes, 2 DCs x 3 racks, {3, 3}", ring: { hosts: 60, vnodes: 16, dcs: 2, racks: 3, seed: 1 }, rfs: { dc1: 3, dc2: 3 }, peer: "order" },
    { name: "30 hosts x 8 vnodes, 3 DCs x 2 racks, {3, 2, 1} (RF > racks)", ring: { hosts: 30, vnodes: 8, dcs: 3, racks: 2, seed: 2 }, rfs: { dc1: 3, dc2: 2, dc3: 1 }, peer: "none" },
    { name: "24 hosts x 8 vnodes, 2 DCs x 4 racks, {3, 4}", ring: { hosts: 24, vnodes: 8, dcs: 2, racks: 4, seed: 9 }, rfs: { dc1: 3, dc2: 4 }, peer: "order" },
    { name: "12 hosts x 4 vnodes, 1 DC x 5 racks, {3}", ring: { hosts: 12, vnodes: 4, dcs: 1, racks: 5, seed: 3 }, rfs: { dc1: 3 }, peer: "order" },
    { name: "7 hosts x 32 vnodes, 2 DCs x 1 rack, {5, 2} (RF > hosts in dc1)", ring: { hosts: 7, vnodes: 32, dcs: 2, racks: 1, seed: 4 }, rfs: { dc1: 5, dc2: 2 }, peer: "set" },
    { name: "40 hosts x 1 token, 1 DC x 4 racks, {6} (RF > racks)", ring: { hosts: 40, vnodes: 1, dcs: 1, racks: 4, seed: 5 }, rfs: { dc1: 6 }, peer: "set" }
  ]
  for (const c of cases) {
    it(c.name, () => {
      const hosts = syntheticRing(c.ring)
      const replication = nts(Object.fromEntries(Object.entries(c.rfs).map(([dc, rf]) => [dc, String(rf)])))
      const ours = new TokenMap(hosts)
      const reference = referenceReplicas(hosts, c.rfs)
      const peer = peerTokenMap(hosts, "org.apache.cassandra.dht.Murmur3Partitioner", replication)
      peer.build()
      peer.setKeyspace()
      expect(peer.ringSize()).toBe(ours.ring.length)
      for (let i = 0; i < ours.ring.length; i++) {
        const token = ours.ring[i] as bigint
        const got = names(ours.replicas("ks", replication, token))
        expect([i, got]).toEqual([i, reference(i)])
        if (c.peer === "none") continue
        const theirs = peer.replicasOf(String(token))
        expect([i, c.peer === "order" ? got : [...got].sort()]).toEqual([i, c.peer === "order" ? theirs : [...theirs].sort()])
      }
    })
  }

  it("SimpleStrategy on a vnode ring equals cassandra-driver's, range by range", () => {
    const hosts = syntheticRing({ hosts: 25, vnodes: 16, dcs: 2, racks: 3, seed: 6 })
    const ours = new TokenMap(hosts)
    const peer = peerTokenMap(hosts, "org.apache.cassandra.dht.Murmur3Partitioner", simple("3"))
    peer.build()
    peer.setKeyspace()
    for (const token of ours.ring) expect(names(ours.replicas("ks", simple("3"), token))).toEqual(peer.replicasOf(String(token)))
  })

  it("RandomPartitioner: keys route to the same replicas as with cassandra-driver", () => {
    const hosts = syntheticRing({
      hosts: 24,
      vnodes: 8,
      dcs: 2,
      racks: 3,
      seed: 8,
      token: (r) => String((BigInt(Math.floor(r() * 2 ** 32)) << 95n) | BigInt(Math.floor(r() * 2 ** 32)))
    })
    const replication = nts({ dc1: "3", dc2: "2" })
    const ours = new TokenMap(hosts, random)
    expect(ours.skipped).toEqual([])
    const peer = peerTokenMap(hosts, "org.apache.cassandra.dht.RandomPartitioner", replication)
    peer.build()
    peer.setKeyspace()
    const rand = seeded(10)
    for (let k = 0; k < 500; k++) {
      const key = Uint8Array.from({ length: 1 + (k % 20) }, () => Math.floor(rand() * 256))
      expect(names(ours.replicas("ks", replication, ours.tokenOf(key)))).toEqual(peer.replicasOfKey(key))
    }
  })

  it("ByteOrderedPartitioner: keys route to the same replicas as with cassandra-driver", () => {
    // tokens and keys without trailing zero bytes (cassandra-driver drops those, Cassandra does not)
    const hex = (r: () => number, n: number) => Array.from({ length: n }, (_, i) => (i === n - 1 ? 1 + Math.floor(r() * 255) : Math.floor(r() * 256)).toString(16).padStart(2, "0")).join("")
    const hosts = syntheticRing({ hosts: 18, vnodes: 4, dcs: 2, racks: 2, seed: 11, token: (r) => hex(r, 1 + Math.floor(r() * 8)) })
    const replication = nts({ dc1: "2", dc2: "2" })
    const ours = new TokenMap(hosts, byteOrdered)
    const peer = peerTokenMap(hosts, "org.apache.cassandra.dht.ByteOrderedPartitioner", replication)
    peer.build()
    peer.setKeyspace()
    const rand = seeded(12)
    for (let k = 0; k < 500; k++) {
      const key = Buffer.from(hex(rand, 1 + (k % 10)), "hex")
      expect(names(ours.replicas("ks", replication, ours.tokenOf(key)))).toEqual(peer.replicasOfKey(key))
    }
  })
})
