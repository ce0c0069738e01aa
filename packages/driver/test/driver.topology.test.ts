/**
 * The driver against four real Cassandra 5.0 nodes in two datacenters of two racks each (the topology
 * project: node1 dc1/rack1, node2 dc2/rack1, node3 dc1/rack2, node4 dc2/rack2, on 127.0.0.11-14): the
 * datacenters and racks discovered; LOCAL_* requests kept in the local datacenter; replica sets equal to
 * `nodetool getendpoints` and tokens to `token()`; token-aware routing to the local replica; with one
 * datacenter down, requests of a client local to it fail over to the other, LOCAL_* ones do not, and
 * LOCAL_QUORUM in the other datacenter is unaffected.
 */
import { Cluster, type Errors, LoadBalancing, Session } from "@effect-cassandra/driver"
import { LocalCassandra } from "@effect-cassandra/local/LocalCassandra"
import { testCluster, testClusterLayer } from "@effect-cassandra/local/vitest"
import { murmur3Token } from "@effect-cassandra/protocol/Token"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"

const info = testCluster()
const ks1 = "topo_rf1" // one replica per datacenter: token-aware routing has exactly one local choice
const ks2 = "topo_rf2" // two per datacenter: LOCAL_QUORUM needs both local nodes, QUORUM three of four
const dcOf = new Map(info.nodes.map((n) => [n.address, n.datacenter]))

/** A client whose local datacenter is `localDc`, allowed one host of the other datacenter. */
const client = (localDc: string) =>
  Session.layer().pipe(Layer.provideMerge(Cluster.layer({
    contactPoints: info.contactPoints,
    localDc,
    loadBalancing: LoadBalancing.dcAwareRoundRobin({ usedHostsPerRemoteDc: 1 }),
    reconnection: Schedule.spaced("2 seconds"),
    idleHeartbeatInterval: "2 seconds"
  })))

const int32 = (k: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setInt32(0, k)
  return b
}

/** Fails with a message naming what did not happen in 90 s, and the state then. */
const within = (what: string, state: () => string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.timeoutOrElse(effect, {
    duration: "90 seconds",
    orElse: () => Effect.die(new Error(`not within 90 s: ${what} (${state()})`))
  })

/** The addresses `nodetool getendpoints` prints, sorted. */
const endpoints = (out: string) => (out.match(/\d+\.\d+\.\d+\.\d+/g) ?? []).sort()

describe.skipIf(!info.managed || info.nodes.length !== 4)("two datacenters of two racks", () => {
  it.live("discovers each node's datacenter and rack; creates the keyspaces", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const seen = cluster.hosts().map((h) => `${h.address} ${h.datacenter}/${h.rack}`).sort()
      expect(seen).toEqual(info.nodes.map((n) => `${n.address} ${n.datacenter}/${n.rack}`).sort())
      expect(seen).toEqual(["127.0.0.11 dc1/rack1", "127.0.0.12 dc2/rack1", "127.0.0.13 dc1/rack2", "127.0.0.14 dc2/rack2"])
      for (const [ks, rf] of [[ks1, 1], [ks2, 2]] as const) {
        yield* Session.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': ${rf}, 'dc2': ${rf}}`)
        yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.kv (k int PRIMARY KEY, v text)`)
      }
      expect(yield* cluster.waitForSchemaAgreement).toBe(true)
      const insert = yield* Session.prepare(`INSERT INTO ${ks2}.kv (k, v) VALUES (?, ?)`)
      for (let k = 0; k < 20; k++) yield* Session.execute(insert, [k, `v${k}`], { consistency: "ALL" })
    }).pipe(Effect.provide(client("dc1"))))

  it.live("LOCAL_* requests never go to the remote datacenter", () =>
    Effect.gen(function*() {
      const select = yield* Session.prepare(`SELECT v FROM ${ks2}.kv WHERE k = ?`)
      const coordinators = new Set<string>()
      for (let k = 0; k < 20; k++) {
        for (const consistency of ["LOCAL_ONE", "LOCAL_QUORUM"] as const) {
          coordinators.add((yield* Session.execute(select, [k], { consistency })).host.address)
          coordinators.add((yield* Session.execute(`SELECT v FROM ${ks2}.kv`, [], { consistency })).host.address)
        }
      }
      expect(new Set([...coordinators].map((a) => dcOf.get(a)))).toEqual(new Set(["dc2"]))
      // both local nodes coordinate (round robin / token-aware over the local datacenter)
      expect(coordinators.size).toBe(2)
    }).pipe(Effect.provide(client("dc2"))))

  it.live("replica sets equal nodetool getendpoints, tokens equal token(), and a local replica coordinates", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const local = yield* LocalCassandra
      yield* cluster.metadata.refreshSchema
      const tokenMap = cluster.metadata.tokenMap()
      expect(tokenMap).toBeDefined()
      const replicasOf = (ks: string, k: number) =>
        tokenMap!.replicas(ks, cluster.metadata.keyspace(ks)?.replication, murmur3Token(int32(k))).map((h) => h.address).sort()
      const select = yield* Session.prepare(`SELECT token(k) AS t FROM ${ks1}.kv WHERE k = ?`)
      const coordinatorDcs = new Set<string>()
      const coordinators = new Set<string>()
      for (let k = 0; k < 6; k++) {
        for (const ks of [ks1, ks2]) {
          const server = endpoints(yield* local.node(1).nodetool(["getendpoints", ks, "kv", String(k)]))
          expect(server.length).toBe(ks === ks1 ? 2 : 4)
          expect({ ks, k, replicas: replicasOf(ks, k) }).toEqual({ ks, k, replicas: server })
        }
        yield* Session.execute(`INSERT INTO ${ks1}.kv (k, v) VALUES (?, 'x')`, [k], { prepare: true, consistency: "ALL" })
        const rs = yield* Session.execute(select, [k])
        expect(BigInt(String(rs.rows[0]!["t"]))).toBe(murmur3Token(int32(k)))
        // token-aware: the one dc1 replica of k
        const localReplica = replicasOf(ks1, k).filter((a) => dcOf.get(a) === "dc1")
        expect(localReplica.length).toBe(1)
        expect(rs.host.address).toBe(localReplica[0])
        coordinatorDcs.add(rs.host.datacenter ?? "?")
        coordinators.add(rs.host.address)
      }
      expect(coordinatorDcs).toEqual(new Set(["dc1"]))
      // more keys, routed without asking nodetool: always the computed local replica
      for (let k = 6; k < 40; k++) {
        const rs = yield* Session.execute(select, [k])
        expect(rs.host.address).toBe(replicasOf(ks1, k).find((a) => dcOf.get(a) === "dc1"))
        coordinators.add(rs.host.address)
      }
      expect(coordinators.size).toBe(2)
    }).pipe(Effect.provide(Layer.merge(client("dc1"), testClusterLayer()))))

  it.live("with dc2 down: a dc2 client fails over to dc1 (not at LOCAL_ONE), and LOCAL_QUORUM in dc1 is unaffected", () =>
    Effect.scoped(Effect.gen(function*() {
      const local = yield* LocalCassandra
      const dc1 = yield* Layer.build(client("dc1"))
      const dc2 = yield* Layer.build(client("dc2"))
      const select = `SELECT v FROM ${ks2}.kv WHERE k = ?`
      // both clients work before
      expect((yield* Effect.provideContext(Session.execute(select, [1], { prepare: true }), dc2)).host.datacenter).toBe("dc2")
      yield* local.node(2).kill
      yield* local.node(4).kill
      // wait until the dc2 client has seen its datacenter go
      const dc2Cluster = Context.get(dc2, Cluster.Cluster)
      const states = (c: Cluster.ClusterShape) => c.hosts().map((h) => `${h.address} ${h.datacenter} up=${h.isUp}`).join(", ")
      yield* Effect.gen(function*() {
        while (dc2Cluster.hosts().some((h) => h.datacenter === "dc2" && h.isUp)) yield* Effect.sleep("200 millis")
      }).pipe(within("the dc2 client to see dc2 down", () => states(dc2Cluster)))
      yield* Effect.logInfo(`dc2 client: ${states(dc2Cluster)}`)
      // and until both dc1 nodes' gossip has convicted dc2: QUORUM (3 of 4 replicas) is Unavailable on each,
      // which also shows dc2 really is down for what follows (the default retry policy tries the next host
      // after UNAVAILABLE: with the `host` option there is none, so it comes inside NoHostAvailable)
      const unavailable = (e: Errors.CassandraError) =>
        e._tag === "Unavailable" || (e._tag === "NoHostAvailable" && Object.values(e.errors).some((x) => (x as { _tag?: string })._tag === "Unavailable"))
      const dc1Cluster = Context.get(dc1, Cluster.Cluster)
      for (const coordinator of dc1Cluster.hosts().filter((h) => h.datacenter === "dc1")) {
        const quorum = yield* Effect.provideContext(
          Effect.flip(Session.execute(select, [1], { prepare: true, consistency: "QUORUM", host: coordinator })),
          dc1
        ).pipe(
          Effect.tap((e) => Effect.logInfo(`QUORUM on ${coordinator.address}: ${e._tag}`)),
          Effect.repeat({ until: unavailable, schedule: Schedule.spaced("1 second") }),
          within(`QUORUM on ${coordinator.address} to be Unavailable`, () => states(dc1Cluster))
        )
        expect(unavailable(quorum)).toBe(true)
      }
      // ONE fails over to the one allowed dc1 host
      for (let k = 0; k < 10; k++) {
        const rs = yield* Effect.provideContext(Session.execute(select, [k], { prepare: true, consistency: "ONE" }), dc2)
        expect(rs.host.datacenter).toBe("dc1")
        expect(rs.rows).toEqual([{ v: `v${k}` }])
      }
      // LOCAL_ONE stays in dc2, where nothing is left
      const refused = yield* Effect.flip(Effect.provideContext(Session.execute(select, [1], { prepare: true, consistency: "LOCAL_ONE" }), dc2))
      expect(refused._tag).toBe("NoHostAvailable")
      // dc1 at LOCAL_QUORUM: writes and reads as if nothing happened
      for (let k = 0; k < 10; k++) {
        yield* Effect.provideContext(Session.execute(`UPDATE ${ks2}.kv SET v = ? WHERE k = ?`, [`w${k}`, k], { prepare: true, consistency: "LOCAL_QUORUM" }), dc1)
        const rs = yield* Effect.provideContext(Session.execute(select, [k], { prepare: true, consistency: "LOCAL_QUORUM" }), dc1)
        expect(rs.rows).toEqual([{ v: `w${k}` }])
        expect(rs.host.datacenter).toBe("dc1")
      }
    })).pipe(Effect.provide(testClusterLayer())))
})
