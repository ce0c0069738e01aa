// Three real nodes (started by the cluster globalSetup): a keyspace with RF=3, a write at QUORUM read back
// through each node; one node stopped (the other two still serve QUORUM) and started again on its data.
import { assert, describe, it } from "@effect/vitest"
import { LocalCassandra } from "@effect-cassandra/local/LocalCassandra"
import { testCluster, testClusterLayer } from "@effect-cassandra/local/vitest"
import cassandra from "cassandra-driver"
import { Effect } from "effect"

const info = testCluster()
const { consistencies } = cassandra.types

const clientOptions = (contactPoints: ReadonlyArray<string>): cassandra.DseClientOptions => ({
  contactPoints: [...contactPoints],
  localDataCenter: info.localDatacenter,
  ...(info.credentials === undefined ? {} : { credentials: info.credentials }),
  ...(info.caCertPem === undefined ? {} : { sslOptions: { ca: [info.caCertPem] } })
})

/** A client that only ever talks to `contactPoint` (allow-list load balancing). */
const pinnedClient = (contactPoint: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new cassandra.Client({
        ...clientOptions([contactPoint]),
        policies: {
          loadBalancing: new cassandra.policies.loadBalancing.AllowListPolicy(
            new cassandra.policies.loadBalancing.DCAwareRoundRobinPolicy(info.localDatacenter),
            [contactPoint]
          )
        }
      })
      await client.connect()
      return client
    }),
    (client) => Effect.promise(() => client.shutdown())
  )

const run = (client: cassandra.Client, cql: string, params: Array<unknown>, consistency: number) =>
  Effect.promise(() => client.execute(cql, params, { prepare: true, consistency }))

const readValue = (contactPoint: string, id: number, consistency: number) =>
  Effect.scoped(
    Effect.gen(function*() {
      const client = yield* pinnedClient(contactPoint)
      const rs = yield* run(client, "SELECT v FROM harness.kv WHERE id = ?", [id], consistency)
      const coordinator = rs.info.queriedHost
      return { value: rs.first()?.get("v") as string | undefined, coordinator }
    })
  )

describe.skipIf(!info.managed || info.nodes.length < 3)("three local nodes (cluster globalSetup)", () => {
  it.live("RF=3: a QUORUM write is read back through each node", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(info.contactPoints, ["127.0.0.1:9042", "127.0.0.2:9042", "127.0.0.3:9042"])
      const admin = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const c = new cassandra.Client(clientOptions(info.contactPoints))
          await c.connect()
          return c
        }),
        (c) => Effect.promise(() => c.shutdown())
      )
      const hosts = admin.getState().getConnectedHosts().map((h) => h.address)
      assert.strictEqual(admin.hosts.length, 3, `driver sees ${admin.hosts.length} hosts`)
      yield* Effect.promise(() => admin.execute("DROP KEYSPACE IF EXISTS harness"))
      yield* Effect.promise(() =>
        admin.execute("CREATE KEYSPACE harness WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
      )
      yield* Effect.promise(() => admin.execute("CREATE TABLE harness.kv (id int PRIMARY KEY, v text)"))
      yield* run(admin, "INSERT INTO harness.kv (id, v) VALUES (?, ?)", [1, "written at QUORUM"], consistencies.quorum)
      assert.isAtLeast(hosts.length, 1)
      for (const cp of info.contactPoints) {
        const one = yield* readValue(cp, 1, consistencies.one)
        assert.strictEqual(one.value, "written at QUORUM", `read at ONE through ${cp}`)
        assert.strictEqual(one.coordinator, cp)
        const quorum = yield* readValue(cp, 1, consistencies.quorum)
        assert.strictEqual(quorum.value, "written at QUORUM", `read at QUORUM through ${cp}`)
      }
    }))

  it.live("a stopped node: the other two serve QUORUM; started again, it serves the data", () =>
    Effect.gen(function*() {
      const cluster = yield* LocalCassandra
      const node3 = cluster.node(3)
      assert.strictEqual(yield* node3.status, "running")
      yield* node3.stop({ grace: "5 seconds" })
      assert.strictEqual(yield* node3.status, "stopped")

      for (const cp of ["127.0.0.1:9042", "127.0.0.2:9042"]) {
        yield* Effect.scoped(Effect.gen(function*() {
          const client = yield* pinnedClient(cp)
          yield* run(client, "INSERT INTO harness.kv (id, v) VALUES (?, ?)", [2, `while node3 was down, via ${cp}`], consistencies.quorum)
        }))
        const back = yield* readValue(cp, 2, consistencies.quorum)
        assert.strictEqual(back.value, `while node3 was down, via ${cp}`)
      }

      yield* node3.start
      assert.strictEqual(yield* node3.status, "running")
      const old = yield* readValue("127.0.0.3:9042", 1, consistencies.one)
      assert.strictEqual(old.value, "written at QUORUM", "node3 kept its data across the restart")
      const missed = yield* readValue("127.0.0.3:9042", 2, consistencies.quorum)
      assert.strictEqual(missed.value, "while node3 was down, via 127.0.0.2:9042")
    }).pipe(Effect.provide(testClusterLayer())))

  it.live("pause and resume: a QUORUM write succeeds while one replica is frozen", () =>
    Effect.gen(function*() {
      const cluster = yield* LocalCassandra
      const node2 = cluster.node(2)
      yield* node2.pause
      assert.strictEqual(yield* node2.status, "paused")
      yield* Effect.gen(function*() {
        const client = yield* pinnedClient("127.0.0.1:9042")
        yield* run(client, "INSERT INTO harness.kv (id, v) VALUES (?, ?)", [3, "while node2 was paused"], consistencies.quorum)
      }).pipe(Effect.scoped, Effect.ensuring(node2.resume.pipe(Effect.orDie)))
      assert.strictEqual(yield* node2.status, "running")
      const back = yield* readValue("127.0.0.2:9042", 3, consistencies.quorum)
      assert.strictEqual(back.value, "while node2 was paused")
    }).pipe(Effect.provide(testClusterLayer())))
})
