/**
 * Token-aware routing on mock hosts under each partitioner, and what bad ring or replication data does:
 * tokens that do not parse are skipped with a logged warning, and a keyspace without a usable replication
 * is routed like a request without a routing key.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { serializeValue } from "@effect-cassandra/protocol/CqlValues"
import { randomToken } from "@effect-cassandra/protocol/Token"
import { MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Result from "effect/Result"

const sessionOn = (mock: MockCluster.MockClusterOptions) =>
  Session.layer().pipe(
    Layer.provideMerge(MockCluster.clusterLayer()),
    Layer.provideMerge(MockCluster.layer(mock))
  )

/** A logger that keeps `level message` lines. */
const captureLogs = (logs: Array<string>) =>
  Logger.layer([Logger.make((o) => {
    const m = o.message
    logs.push(`${o.logLevel} ${Array.isArray(m) ? m.join(" ") : String(m)}`)
  })])

const intKey = (id: number) => Result.getOrThrow(serializeValue({ kind: "int" }, id))

/** RandomPartitioner tokens, one per host, spread over [0, 2^127]. */
const RANDOM_TOKENS = [1n, 2n, 3n, 4n, 5n].map((i) => ((2n ** 127n) * i) / 5n)

describe("token-aware routing under RandomPartitioner", () => {
  it.effect("a key goes to a replica of its MD5 token; the first replica is the owner of the token's range", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const tokenMap = cluster.metadata.tokenMap()!
      expect(tokenMap.partitioner).toBe("RandomPartitioner")
      const replication = cluster.metadata.keyspace("app")?.replication
      expect(replication?.["replication_factor"]).toBe("3")
      for (let id = 0; id < 30; id++) {
        const key = intKey(id)
        const token = randomToken(key)
        // the owner by a linear scan: the first ring token >= the key's token, wrapping
        const ownerIndex = RANDOM_TOKENS.findIndex((t) => t >= token)
        const owner = `127.0.0.${(ownerIndex < 0 ? 0 : ownerIndex) + 1}:9042`
        const replicas = tokenMap.replicas("app", replication, tokenMap.tokenOf(key)).map((h) => h.endpoint)
        expect(replicas.length).toBe(3)
        expect(replicas[0]).toBe(owner)
        const rs = yield* Session.execute(`SELECT * FROM app.users WHERE id = ${id}`, [], { routingKey: key, keyspace: "app" })
        expect(replicas).toContain(rs.host.endpoint)
      }
    }).pipe(Effect.provide(sessionOn({
      hosts: RANDOM_TOKENS.map((t) => ({ tokens: [String(t)] })),
      partitioner: "org.apache.cassandra.dht.RandomPartitioner",
      tables: { "app.users": { id: "int", name: "text" } }
    }))))
})

describe("bad ring and replication data", () => {
  const logs: Array<string> = []
  it.effect("tokens that do not parse are skipped with a logged warning; the rest of the ring routes", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const tokenMap = cluster.metadata.tokenMap()!
      expect(tokenMap.ring).toEqual([-3000000000000000000n, 3000000000000000000n])
      const warnings = logs.filter((l) => l.startsWith("Warn") && l.includes("token map"))
      expect(warnings).toEqual([
        `Warn token map: host 127.0.0.2:9042: 1 token(s) skipped, not Murmur3Partitioner tokens (the first: "not-a-token")`,
        `Warn token map: host 127.0.0.3:9042: 1 token(s) skipped, not Murmur3Partitioner tokens (the first: "99999999999999999999")`
      ])
      // requests still run, token-aware on what parsed
      for (let id = 0; id < 10; id++) {
        const rs = yield* Session.execute(`SELECT * FROM app.users WHERE id = ${id}`, [], { routingKey: intKey(id), keyspace: "app" })
        expect(["127.0.0.1:9042", "127.0.0.2:9042"]).toContain(rs.host.endpoint)
      }
      // a topology refresh that changes nothing neither rebuilds the map nor warns again
      yield* cluster.refreshTopology
      expect(cluster.metadata.tokenMap()).toBe(tokenMap)
      expect(logs.filter((l) => l.includes("token map")).length).toBe(2)
    }).pipe(Effect.provide(sessionOn({
      hosts: [
        { tokens: ["-3000000000000000000"] },
        { tokens: ["3000000000000000000", "not-a-token"] },
        { tokens: ["99999999999999999999"] }
      ],
      tables: { "app.users": { id: "int", name: "text" } }
    })), Effect.provide(captureLogs(logs))))

  it.effect("a keyspace without a usable replication (LocalStrategy here) is routed as if there were no routing key", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const replication = cluster.metadata.keyspace("system")?.replication
      expect(replication?.["class"]).toMatch(/LocalStrategy$/)
      const key = intKey(7)
      expect(cluster.metadata.tokenMap()!.replicas("system", replication, cluster.metadata.tokenMap()!.tokenOf(key))).toEqual([])
      const hosts = new Set<string>()
      for (let i = 0; i < 12; i++) {
        const rs = yield* Session.execute("SELECT * FROM app.users WHERE id = 7", [], { routingKey: key, keyspace: "system" })
        hosts.add(rs.host.endpoint)
      }
      // the same key, yet the plan rotates over the hosts
      expect(hosts.size).toBe(3)
    }).pipe(Effect.provide(sessionOn({ hosts: 3, tables: { "app.users": { id: "int", name: "text" } } }))))

  const unknownLogs: Array<string> = []
  it.effect("a partitioner the driver cannot route by: no token map, one warning, requests still run", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(cluster.metadata.tokenMap()).toBeUndefined()
      expect(unknownLogs.filter((l) => l.includes("token map"))).toEqual([
        "Warn token map: partitioner org.apache.cassandra.dht.OrderPreservingPartitioner: the driver computes no tokens for it, routing is not token-aware"
      ])
      const rs = yield* Session.execute("SELECT * FROM app.users WHERE id = 1", [], { routingKey: intKey(1), keyspace: "app" })
      expect(rs.host.endpoint).toMatch(/^127\.0\.0\.[12]:9042$/)
    }).pipe(
      Effect.provide(sessionOn({ hosts: 2, partitioner: "org.apache.cassandra.dht.OrderPreservingPartitioner", tables: { "app.users": { id: "int", name: "text" } } })),
      Effect.provide(captureLogs(unknownLogs))
    ))

  it.effect("a schema refresh keeps the token map and the replicas it computed", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const before = cluster.metadata.tokenMap()!
      const replication = cluster.metadata.keyspace("app")!.replication
      const replicas = before.replicas("app", replication, before.tokenOf(intKey(3)))
      yield* cluster.metadata.refreshSchema
      const after = cluster.metadata.tokenMap()!
      expect(after).toBe(before)
      // a new keyspace object after the refresh, the same placement: the very same replica array
      expect(cluster.metadata.keyspace("app")!.replication).not.toBe(replication)
      expect(after.replicas("app", cluster.metadata.keyspace("app")!.replication, after.tokenOf(intKey(3)))).toBe(replicas)
    }).pipe(Effect.provide(sessionOn({ hosts: 4, tables: { "app.users": { id: "int", name: "text" } } }))))
})
