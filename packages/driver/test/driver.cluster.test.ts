/**
 * The driver against three real Cassandra 5.0 nodes: discovery, a node going down and coming back.
 */
import { Cluster, type Host, Session } from "@effect-cassandra/driver"
import { LocalCassandra } from "@effect-cassandra/local/LocalCassandra"
import { testCluster, testClusterLayer } from "@effect-cassandra/local/vitest"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"

const info = testCluster()
const ks = "cluster_it"

const clusterLayer = Cluster.layer({
  contactPoints: [info.contactPoints[0]!],
  localDc: info.localDatacenter,
  // quick reconnection so a restarted node is picked up during the test
  reconnection: Schedule.spaced("2 seconds"),
  idleHeartbeatInterval: "2 seconds"
})
const live = Layer.mergeAll(Session.layer(), testClusterLayer()).pipe(Layer.provideMerge(clusterLayer))

layer(live, { excludeTestServices: true, timeout: "300 seconds" })("three nodes", (it) => {
  it.effect("discovers every host from one contact point", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const hosts = cluster.hosts()
      expect(hosts.length).toBe(3)
      expect(hosts.every((h) => h.datacenter === info.localDatacenter && h.tokens.length === 1)).toBe(true)
      expect(hosts.map((h) => h.address).sort()).toEqual(info.hosts.slice().sort())
      yield* Session.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`)
      yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.kv (k int PRIMARY KEY, v text)`)
      const agreed = yield* cluster.waitForSchemaAgreement
      expect(agreed).toBe(true)
      // every host serves requests
      const seen = new Set<string>()
      for (const h of hosts) {
        const rs = yield* Session.execute("SELECT * FROM system.local", [], { host: h })
        seen.add(rs.host.endpoint)
      }
      expect(seen.size).toBe(3)
    }))

  it.effect("routes prepared statements to the replica (token-aware)", () =>
    Effect.gen(function*() {
      yield* Session.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks}_rf1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)
      yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}_rf1.kv (k int PRIMARY KEY, v text)`)
      const cluster = yield* Cluster.Cluster
      yield* cluster.waitForSchemaAgreement
      yield* cluster.metadata.refreshSchema
      // the ring from the nodes' own tokens; a range (previous token, token] belongs to the node of `token`
      const ring = cluster.hosts().map((h) => ({ token: BigInt(h.tokens[0]!), endpoint: h.endpoint })).sort((a, b) => (a.token < b.token ? -1 : 1))
      const ownerOf = (t: bigint) => (ring.find((r) => r.token >= t) ?? ring[0]!).endpoint
      const select = yield* Session.prepare(`SELECT k FROM ${ks}_rf1.kv WHERE k = ?`)
      const update = yield* Session.prepare(`UPDATE ${ks}_rf1.kv SET v = ? WHERE k = ?`)
      for (let k = 0; k < 30; k++) {
        // the server computes the token itself
        const t = yield* Session.execute(`INSERT INTO ${ks}_rf1.kv (k, v) VALUES (${k}, 'x')`).pipe(
          Effect.andThen(Session.execute(`SELECT token(k) AS t FROM ${ks}_rf1.kv WHERE k = ${k}`)),
          Effect.map((rs) => rs.rows[0]!["t"] as bigint)
        )
        const rs = yield* Session.execute(select, [k])
        expect(rs.host.endpoint).toBe(ownerOf(t))
        // a batch goes to the replica of its first prepared statement's partition
        const batch = yield* Session.batch([{ query: update, params: ["y", k] }, { query: `UPDATE ${ks}_rf1.kv SET v = 'z' WHERE k = ${k}` }], { type: "unlogged" })
        expect(batch.host.endpoint).toBe(ownerOf(t))
      }
    }))

  it.effect("a stopped node is marked down and skipped, and used again after it restarts", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const local = yield* LocalCassandra
      const events: Array<Host.HostEvent> = []
      const watcher = yield* cluster.events.pipe(Stream.runForEach((e) => Effect.sync(() => { events.push(e) })), Effect.forkChild)
      const insert = yield* Session.prepare(`INSERT INTO ${ks}.kv (k, v) VALUES (?, ?)`)
      const node3 = local.node(3)
      const endpoint3 = cluster.hosts().find((h) => h.address === node3.address)!.endpoint
      yield* node3.stop({ grace: "5 seconds" })
      // writes at QUORUM keep working with two of three replicas
      for (let i = 0; i < 50; i++) {
        yield* Session.execute(insert, [i, `v${i}`], { consistency: "QUORUM", idempotent: true })
      }
      // the driver noticed: host 3 is down and no request went there
      yield* Effect.gen(function*() {
        while (cluster.getHost(endpoint3)?.isUp !== false) yield* Effect.sleep("100 millis")
      }).pipe(Effect.timeout("30 seconds"))
      expect(events.some((e) => e._tag === "HostDown" && e.host.endpoint === endpoint3)).toBe(true)
      const hostsUsed = new Set<string>()
      for (let i = 0; i < 30; i++) {
        const rs = yield* Session.execute(`SELECT v FROM ${ks}.kv WHERE k = ?`, [i], { consistency: "QUORUM" })
        hostsUsed.add(rs.host.endpoint)
        expect(rs.rows[0]!["v"]).toBe(`v${i}`)
      }
      expect(hostsUsed.has(endpoint3)).toBe(false)

      yield* node3.start
      yield* Effect.gen(function*() {
        while (cluster.getHost(endpoint3)?.isUp !== true) yield* Effect.sleep("200 millis")
      }).pipe(Effect.timeout("90 seconds"))
      expect(events.some((e) => e._tag === "HostUp" && e.host.endpoint === endpoint3)).toBe(true)
      // and it serves requests again
      const back = new Set<string>()
      for (let i = 0; i < 60 && !back.has(endpoint3); i++) {
        const rs = yield* Session.execute(`SELECT v FROM ${ks}.kv WHERE k = ?`, [i % 50], { consistency: "QUORUM" })
        back.add(rs.host.endpoint)
      }
      expect(back.has(endpoint3)).toBe(true)
      yield* Fiber.interrupt(watcher)
    }), { timeout: 240_000 })

  it.effect("the control connection moves to another host when its host stops, and events keep flowing", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const local = yield* LocalCassandra
      const controlEndpoint = cluster.controlHost()!
      const controlNode = local.nodes.find((n) => controlEndpoint.startsWith(`${n.address}:`))!
      yield* controlNode.stop({ grace: "5 seconds" })
      yield* Effect.gen(function*() {
        while (cluster.controlHost() === undefined || cluster.controlHost() === controlEndpoint) yield* Effect.sleep("100 millis")
      }).pipe(Effect.timeout("60 seconds"))
      expect(cluster.controlHost()).not.toBe(controlEndpoint)
      // schema events arrive on the new control connection (it registered for them): the event of a
      // table created now, and metadata that follows it
      const schemaEvents: Array<string> = []
      const listener = yield* cluster.schemaChanges.pipe(
        Stream.runForEach((e) => Effect.sync(() => {
          if (e.type === "SCHEMA_CHANGE") schemaEvents.push(`${e.change.changeType} ${e.change.target} ${e.change.keyspace}.${e.change.name ?? ""}`)
        })),
        Effect.forkChild
      )
      yield* Effect.sleep("100 millis")
      yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.after_failover (k int PRIMARY KEY)`, [], { consistency: "QUORUM" })
      yield* Effect.gen(function*() {
        while (!schemaEvents.includes(`CREATED TABLE ${ks}.after_failover`)) yield* Effect.sleep("100 millis")
      }).pipe(Effect.timeout("30 seconds"))
      yield* Fiber.interrupt(listener)
      yield* Effect.gen(function*() {
        while (cluster.metadata.table(ks, "after_failover") === undefined) yield* Effect.sleep("200 millis")
      }).pipe(Effect.timeout("30 seconds"))
      const rs = yield* Session.execute(`SELECT * FROM ${ks}.kv WHERE k = 1`, [], { consistency: "QUORUM" })
      expect(rs.rows.length).toBe(1)
      yield* controlNode.start
      yield* Effect.gen(function*() {
        while (cluster.hosts().some((h) => !h.isUp)) yield* Effect.sleep("200 millis")
      }).pipe(Effect.timeout("90 seconds"))
      expect(cluster.hosts().every((h) => h.isUp)).toBe(true)
    }), { timeout: 240_000 })
})
