/**
 * The policies production topologies need, on their own (plans over plain hosts) and end to end on mock
 * hosts in virtual time: LOCAL_* consistencies stay in the local datacenter, host filters / allow-lists,
 * rack-aware routing and latency-aware routing (slow hosts last, re-probed after the retry period).
 */
import { Cluster, type Host as HostModule, HostFilter, LatencyAware, LoadBalancing, RackAware, Session } from "@effect-cassandra/driver"
import { murmur3Token } from "@effect-cassandra/protocol/Token"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import { env, eventually, tick } from "./helpers/mock.ts"

/** Waits (in real event-loop turns) until `condition` succeeds with true. */
const eventuallyEffect = <E, R>(condition: Effect.Effect<boolean, E, R>, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (yield* condition) return
      yield* tick
    }
    throw new Error(`never happened: ${what}`)
  })

type Host = HostModule.Host

const host = (address: string, dc: string, rack: string, isUp = true): Host => ({
  endpoint: `${address}:9042`,
  address,
  port: 9042,
  datacenter: dc,
  rack,
  hostId: undefined,
  releaseVersion: "5.0.9",
  tokens: [],
  isUp
})

const LOCAL_ONE = 0x0a
const LOCAL_QUORUM = 0x06
const QUORUM = 0x04
const addresses = (plan: Iterable<Host>) => [...plan].map((h) => h.address)

describe("LOCAL_* consistencies stay in the local datacenter", () => {
  const hosts = [host("a1", "dc1", "r1"), host("a2", "dc1", "r1", false), host("b1", "dc2", "r1"), host("b2", "dc2", "r1")]
  const policy = LoadBalancing.dcAwareRoundRobin({ usedHostsPerRemoteDc: 1 })

  it("remote hosts come after the local ones for QUORUM, never for LOCAL_ONE / LOCAL_QUORUM / LOCAL_SERIAL", () => {
    expect(addresses(policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined, consistency: QUORUM }))).toEqual(["a1", expect.stringMatching(/^b/)])
    for (const c of [LOCAL_ONE, LOCAL_QUORUM, 0x09]) {
      expect(addresses(policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined, consistency: c }))).toEqual(["a1"])
    }
    // a PREPARE has no consistency: it may go anywhere
    expect(addresses(policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined })).length).toBe(2)
  })

  it("allowRemoteDcsForLocalConsistency lets them out", () => {
    const open = LoadBalancing.dcAwareRoundRobin({ usedHostsPerRemoteDc: 1, allowRemoteDcsForLocalConsistency: true })
    expect(addresses(open.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined, consistency: LOCAL_ONE })).length).toBe(2)
  })

  it.effect("end to end: with the local datacenter down, ONE fails over and LOCAL_ONE does not", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const q = "SELECT * FROM app.t"
      yield* Session.execute(q) // warm: every pool open
      yield* mock.hostDown(1)
      const cluster = yield* Cluster.Cluster
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === false, "host 2 seen down")
      // LOCAL_ONE: host 1 is down, the remote host is not allowed
      const local = yield* Effect.flip(Session.execute(q, [], { consistency: "LOCAL_ONE" }))
      expect(local._tag).toBe("NoHostAvailable")
      const rs = yield* Session.execute(q, [], { consistency: "ONE" })
      expect(rs.host.datacenter).toBe("dc2")
    }).pipe(Effect.provide(env(
      { hosts: [{ datacenter: "dc2" }, { datacenter: "dc1" }] },
      { contactPoints: ["127.0.0.1"], localDc: "dc1", loadBalancing: LoadBalancing.dcAwareRoundRobin({ usedHostsPerRemoteDc: 1 }) }
    ))))
})

describe("host filter / allow-list", () => {
  const hosts = [host("a1", "dc1", "r1"), host("a2", "dc1", "r1"), host("a3", "dc1", "r2"), host("a4", "dc1", "r2")]

  it("plans only accepted hosts, rotating over them, and ignores the rest", () => {
    const policy = HostFilter.hostFilter((h) => h.rack === "r2")
    const plans = [0, 1, 2, 3].map(() => addresses(policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined })))
    expect(plans.every((p) => p.length === 2 && p.every((a) => a === "a3" || a === "a4"))).toBe(true)
    expect(new Set(plans.map((p) => p[0])).size).toBe(2)
    expect(policy.distance(hosts[0]!, "dc1")).toBe("ignored")
    expect(policy.distance(hosts[2]!, "dc1")).toBe("local")
  })

  it("drops rejected replicas before the wrapped policy sees them", () => {
    const policy = HostFilter.allowList(["a2", "a4:9042"])
    const plan = addresses(policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: "ks", replicas: [hosts[0]!, hosts[3]!] }))
    expect(plan).toEqual(["a4", "a2"])
  })

  it("keeps its accepted list until the host list changes", () => {
    let asked = 0
    const policy = HostFilter.hostFilter((h) => (asked++, h.address !== "a1"))
    for (let i = 0; i < 10; i++) policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined })
    expect(asked).toBe(4)
    policy.newQueryPlan({ hosts: hosts.slice(1), localDc: "dc1", keyspace: undefined })
    expect(asked).toBe(7)
  })

  it.effect("end to end: requests and pools only on the allowed hosts", () =>
    Effect.gen(function*() {
      const q = "SELECT * FROM app.t"
      for (let i = 0; i < 20; i++) yield* Session.execute(q)
      const seen = new Set((yield* MockCluster.activity({ query: q })).map((a) => a.hostIndex))
      expect([...seen].sort()).toEqual([1, 2])
      // no session connection to host 4 (index 3): it only ever saw nothing at all
      expect(yield* MockCluster.activity({ host: 3, includeControl: true })).toEqual([])
    }).pipe(Effect.provide(env({ hosts: 4 }, { loadBalancing: HostFilter.allowList(["127.0.0.2", "127.0.0.3:9042"]) }))))
})

describe("rack-aware routing", () => {
  const hosts = [
    host("a1", "dc1", "r1"),
    host("a2", "dc1", "r2"),
    host("a3", "dc1", "r1"),
    host("a4", "dc1", "r2"),
    host("b1", "dc2", "r2")
  ]
  const policy = RackAware.rackAware({ localRack: "r2", child: LoadBalancing.dcAwareRoundRobin({ usedHostsPerRemoteDc: 1 }) })

  it("replicas in the local rack, then local-DC replicas, then the local rack, then the rest", () => {
    const replicas = [hosts[0]!, hosts[3]!, hosts[4]!]
    for (let i = 0; i < 4; i++) {
      const plan = addresses(policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: "ks", replicas, consistency: QUORUM }))
      expect(plan.slice(0, 3)).toEqual(["a4", "a1", "a2"])
      expect(plan.slice(3).sort()).toEqual(["a3", "b1"])
      // a remote host in the same-named rack is not "the local rack"
      expect(plan.at(-1)).toBe("b1")
    }
  })

  it("without replicas the local rack comes first, rotating", () => {
    const firsts = new Set<string>()
    for (let i = 0; i < 4; i++) {
      const plan = addresses(policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined, consistency: LOCAL_ONE }))
      expect(plan.slice(0, 2).sort()).toEqual(["a2", "a4"])
      expect(plan.slice(2).sort()).toEqual(["a1", "a3"])
      firsts.add(plan[0]!)
    }
    expect(firsts.size).toBe(2)
  })

  it.effect("end to end: every request goes to the client's rack while it is up, then to the datacenter", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const q = "SELECT * FROM app.t"
      for (let i = 0; i < 12; i++) yield* Session.execute(q)
      const racks = (yield* MockCluster.activity({ query: q })).map((a) => a.hostIndex)
      expect(new Set(racks)).toEqual(new Set([1, 3]))
      yield* mock.clearActivity
      yield* mock.hostDown(1)
      yield* mock.hostDown(3)
      const cluster = yield* Cluster.Cluster
      yield* eventually(() => cluster.hosts().filter((h) => h.rack === "r2").every((h) => !h.isUp), "rack r2 seen down")
      const rs = yield* Session.execute(q)
      expect(rs.host.rack).toBe("r1")
    }).pipe(Effect.provide(env(
      // the table is declared: a simple statement with values is prepared, and its partition key routes it
      { hosts: [{ rack: "r1" }, { rack: "r2" }, { rack: "r1" }, { rack: "r2" }], tables: { "app.t": { columns: { k: "int", v: "int" }, partitionKey: ["k"] } } },
      { loadBalancing: RackAware.rackAware({ localRack: "r2" }) }
    ))))
})

describe("rack-aware routing with token-aware replicas, end to end", () => {
  it.effect("the replica coordinates, in the local rack or not; never a non-replica of the local rack", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const tokenMap = cluster.metadata.tokenMap()!
      const q = "SELECT * FROM app.t WHERE k = ?"
      const racks = new Set<string>()
      for (let k = 0; k < 24; k++) {
        const key = new Uint8Array([0, 0, 0, k])
        // SimpleStrategy with one replica (no schema metadata): exactly one replica per key
        const [replica] = tokenMap.replicas("app", undefined, murmur3Token(key))
        const rs = yield* Session.execute(q, [k], { routingKey: key, keyspace: "app" })
        expect(rs.host.endpoint).toBe(replica!.endpoint)
        racks.add(rs.host.rack ?? "")
      }
      // both racks held replicas: the local rack did not take the other rack's keys
      expect(racks).toEqual(new Set(["r1", "r2"]))
    }).pipe(Effect.provide(env(
      // the table is declared: a simple statement with values is prepared, and its partition key routes it
      { hosts: [{ rack: "r1" }, { rack: "r2" }, { rack: "r1" }, { rack: "r2" }], tables: { "app.t": { columns: { k: "int", v: "int" }, partitionKey: ["k"] } } },
      { loadBalancing: RackAware.rackAware({ localRack: "r2" }) }
    ))))
})

describe("latency-aware routing", () => {
  const q = "SELECT * FROM app.t"
  const row = Answer.rows({ v: "int" }, [{ v: 1 }])

  const policy = LatencyAware.latencyAware({ minimumMeasurements: 5, updateRate: "5 millis", retryPeriod: "500 millis", scale: "50 millis" })

  /** Real event-loop turns, for in-memory sockets to deliver what was written. */
  const settle = Effect.gen(function*() {
    for (let i = 0; i < 5; i++) yield* tick
  })

  /** `n` requests at once, the clock moved past the fast answers, then past the slow ones; the hosts that answered. */
  const round = (n: number) =>
    Effect.gen(function*() {
      const before = (yield* MockCluster.activity({ query: q })).length
      const fibers = []
      for (let i = 0; i < n; i++) fibers.push(yield* Effect.forkChild(Session.execute(q)))
      yield* eventuallyEffect(Effect.map(MockCluster.activity({ query: q }), (a) => a.length - before >= n), "every request arrived")
      yield* TestClock.adjust("2 millis")
      yield* settle
      yield* TestClock.adjust("28 millis")
      yield* settle
      const hosts: Array<string> = []
      for (const f of fibers) hosts.push((yield* Fiber.join(f)).host.address)
      return hosts
    })

  it.effect("a slow host goes last, and comes back once it has recovered and the retry period passed", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* MockCluster.prime({ query: q, host: [0, 2], then: Answer.delayed("2 millis", row) })
      const slowPrime = yield* MockCluster.prime({ query: q, host: 1, then: Answer.delayed("20 millis", row) })
      // measure: round robin gives each host its share
      for (let i = 0; i < 3; i++) yield* round(9)
      expect(policy.stats().get("127.0.0.2:9042")!.averageMillis).toBeGreaterThan(15)
      expect(policy.stats().get("127.0.0.1:9042")!.averageMillis).toBeLessThan(5)
      // the slow host is now last in every plan: no request reaches it
      yield* mock.clearActivity
      for (let i = 0; i < 3; i++) expect(yield* round(9)).not.toContain("127.0.0.2")
      expect([...policy.slowHosts()]).toEqual(["127.0.0.2:9042"])
      // it recovers, but is held back until the retry period has passed without a measurement of it
      yield* slowPrime.remove
      yield* MockCluster.prime({ query: q, host: 1, then: Answer.delayed("2 millis", row) })
      expect(yield* round(9)).not.toContain("127.0.0.2")
      yield* TestClock.adjust("1 second")
      yield* round(9) // these complete after the jump: the policy's clock moves on
      // re-probed: it gets its share again, measures fast, and stays
      const later: Array<string> = []
      for (let i = 0; i < 3; i++) later.push(...(yield* round(9)))
      expect(later.filter((a) => a === "127.0.0.2").length).toBeGreaterThanOrEqual(6)
      expect(policy.slowHosts().size).toBe(0)
    }).pipe(Effect.provide(env({ hosts: 3 }, { loadBalancing: policy }))))

  it("a host still slow when re-probed goes back to the end", () => {
    const hosts = [host("a1", "dc1", "r1"), host("a2", "dc1", "r1")]
    const p = LatencyAware.latencyAware({ minimumMeasurements: 3, updateRate: "0 millis", retryPeriod: "1 second" })
    let now = 0
    const measure = (h: Host, ms: number) => p.onRequestComplete(h, ms, (now += 1))
    for (let i = 0; i < 5; i++) measure(hosts[0]!, 2), measure(hosts[1]!, 30)
    const last = () => addresses(p.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined })).at(-1)
    expect(last()).toBe("a2")
    expect(last()).toBe("a2")
    // a2 gets nothing for over a second: no longer held back
    now += 1500
    measure(hosts[0]!, 2)
    p.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined })
    expect(p.slowHosts().size).toBe(0)
    // probed, still slow: back to the end
    measure(hosts[1]!, 40)
    expect(last()).toBe("a2")
    expect(p.slowHosts().has("a2:9042")).toBe(true)
    // the window decays: the old 30 ms measurements of a2 barely count next to the new 40
    expect(p.stats().get("a2:9042")!.averageMillis).toBeGreaterThan(39)
  })

  it("tells a wrapped latency-aware policy through host filters and rack-aware policies", () => {
    const inner = LatencyAware.latencyAware({ minimumMeasurements: 1 })
    const outer = HostFilter.hostFilter(() => true, RackAware.rackAware({ localRack: "r1", child: inner }))
    outer.onRequestComplete!(host("a1", "dc1", "r1"), 3, 10)
    expect(inner.stats().get("a1:9042")!.measurements).toBe(1)
    // without a latency-aware policy inside, there is no hook: the request path skips timing entirely
    expect(HostFilter.hostFilter(() => true).onRequestComplete).toBeUndefined()
    expect(RackAware.rackAware({ localRack: "r1" }).onRequestComplete).toBeUndefined()
    expect(LoadBalancing.dcAwareRoundRobin().onRequestComplete).toBeUndefined()
  })
})
