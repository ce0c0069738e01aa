/**
 * Host control and the less common primes, driven through the real driver: primes by prepared id and
 * on PREPARE, schema-change and set-keyspace answers, events sent by hand, hosts removed (in memory and
 * over TCP, then added again at the same address), and the activity log switched off.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"

const env = (options: MockCluster.MockClusterOptions = {}, cluster: Partial<Cluster.ClusterOptions> = {}) =>
  Session.layer().pipe(
    Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, ...cluster })),
    Layer.provideMerge(MockCluster.layer(options))
  )

const tick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
const eventually = (condition: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) {
      if (condition()) return
      yield* tick
    }
    throw new Error(`never happened: ${what}`)
  })
/** `eventually` in real time (for tests on real sockets and the real clock): up to 10 s. */
const eventuallyLive = (condition: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000; i++) {
      if (condition()) return
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 10)))
    }
    throw new Error(`never happened: ${what}`)
  })
const failureTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>) =>
  Exit.isSuccess(exit) ? "success" : exit.cause.reasons.map((r) => (r._tag === "Fail" ? r.error._tag : r._tag)).join(",")

describe("primes", () => {
  it.effect("by prepared id: only EXECUTEs of that statement match", () =>
    Effect.gen(function*() {
      const a = yield* Session.prepare("SELECT * FROM app.users WHERE id = ?")
      const b = yield* Session.prepare("SELECT * FROM app.users WHERE name = ?")
      yield* MockCluster.prime({ preparedId: a.id, then: Answer.rows({ n: "int" }, [{ n: 7 }]) })
      expect((yield* Session.execute(a, [1])).rows).toEqual([{ n: 7 }])
      expect((yield* Session.execute(b, ["x"])).rows).toEqual([])
    }).pipe(Effect.provide(env({ tables: { "app.users": { id: "int", name: "text" } } }))))

  it.effect("kind prepare: a PREPARE that fails", () =>
    Effect.gen(function*() {
      const q = "SELECT nope FROM app.users"
      yield* MockCluster.prime({ query: q, kind: "prepare", then: Answer.invalid({ message: "Undefined column name nope" }) })
      expect(failureTag(yield* Effect.exit(Session.prepare(q)))).toBe("InvalidRequest")
      // the same text as a simple statement is not a PREPARE: the default answer
      expect((yield* Session.execute(q)).rows).toEqual([])
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("schema change and set keyspace answers reach the driver as such", () =>
    Effect.gen(function*() {
      const ddl = "CREATE TABLE app.t (id int PRIMARY KEY)"
      yield* MockCluster.prime({
        query: ddl,
        then: Answer.schemaChange({ changeType: "CREATED", target: "TABLE", keyspace: "app", name: "t" })
      })
      yield* MockCluster.prime({ query: "USE other", then: Answer.setKeyspace("other") })
      yield* MockCluster.clearActivity
      const rs = yield* Session.execute(ddl)
      expect(rs.schemaChange).toEqual({ changeType: "CREATED", target: "TABLE", keyspace: "app", name: "t" })
      expect(rs.schemaAgreed).toBe(true)
      // after a schema change the driver waits for schema agreement (system.local / system.peers queries)
      const log = yield* MockCluster.activity({ includeControl: true })
      expect(log[0]?.answer).toBe("SchemaChange(CREATED TABLE app.t)")
      expect(log.slice(1).some((a) => a.control && (a.query ?? "").includes("schema_version"))).toBe(true)
      const use = yield* Session.execute("USE other")
      expect(use.setKeyspace).toBe("other")
      expect(use.schemaAgreed).toBeUndefined()
    }).pipe(Effect.provide(env({ hosts: 1 }))))
})

describe("events and host control", () => {
  it.effect("emit, statusChange, topologyChange and schemaChange reach the registered connection", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const changes: Array<string> = []
      yield* cluster.schemaChanges.pipe(
        Stream.runForEach((e) => Effect.sync(() => changes.push(e.type === "SCHEMA_CHANGE" ? `${e.change.changeType} ${e.change.keyspace}` : e.type))),
        Effect.forkScoped
      )
      yield* tick
      // one registered connection: the driver's control connection
      expect(yield* MockCluster.statusChange("UP", 1)).toBe(1)
      expect(yield* MockCluster.topologyChange("NEW_NODE", 1)).toBe(1)
      expect(yield* MockCluster.schemaChange({ changeType: "CREATED", target: "KEYSPACE", keyspace: "ks1" })).toBe(1)
      expect(yield* MockCluster.emit({ type: "SCHEMA_CHANGE", change: { changeType: "DROPPED", target: "KEYSPACE", keyspace: "ks2" } })).toBe(1)
      yield* eventually(() => changes.length === 2, "two schema changes")
      expect(changes).toEqual(["CREATED ks1", "DROPPED ks2"])
      // an event to a host no connection registered with reaches nobody
      expect(yield* MockCluster.emit({ type: "STATUS_CHANGE", change: "UP", address: "127.0.0.9", port: 9042 }, { hosts: [1] })).toBe(0)
    }).pipe(Effect.provide(env({ hosts: 2 }))))

  it.effect("removeHost with notify: REMOVED_NODE, and the driver drops the host after its refresh window", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const events: Array<string> = []
      yield* cluster.events.pipe(Stream.runForEach((e) => Effect.sync(() => events.push(`${e._tag} ${e.host.endpoint}`))), Effect.forkScoped)
      yield* tick
      yield* MockCluster.removeHost(2, { notify: true })
      yield* TestClock.adjust("10 seconds")
      yield* eventually(() => cluster.hosts().length === 2, "host 3 gone from the driver")
      expect(cluster.getHost("127.0.0.3:9042")).toBeUndefined()
      expect(events).toContain("HostRemoved 127.0.0.3:9042")
      const rest = yield* MockCluster.MockCluster.use((m) => m.hosts)
      expect(rest.map((h) => h.endpoint)).toEqual(["127.0.0.1:9042", "127.0.0.2:9042"])
    }).pipe(Effect.provide(env({ hosts: 3 }))))

  it.live("over TCP: a host removed and added again at its address serves connections", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const mock = yield* MockCluster.MockCluster
      const endpoint = `127.0.0.2:${(yield* mock.host(1)).port}`
      yield* mock.removeHost(1, { notify: true })
      yield* eventuallyLive(() => cluster.getHost(endpoint) === undefined, "host 2 removed in the driver")
      const added = yield* mock.addHost({ address: "127.0.0.2" }, { notify: true })
      expect(added.endpoint).toBe(endpoint)
      yield* eventuallyLive(() => cluster.getHost(endpoint)?.isUp === true, "host 2 back in the driver")
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
      const host = yield* mock.host(endpoint)
      expect(host.connectAttempts).toBeGreaterThan(0)
      expect(host.connections).toBeGreaterThan(0)
      expect(cluster.getHost(endpoint)?.isUp).toBe(true)
    }).pipe(Effect.provide(
      Session.layer().pipe(
        Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, topologyEventRefreshWindow: "10 millis" })),
        Layer.provideMerge(MockCluster.layerServer({ hosts: 2 }))
      )
    )), { timeout: 20_000 })

  it.effect("with the activity log off, awaitActivity dies at once instead of waiting forever", () =>
    Effect.gen(function*() {
      yield* Session.execute("SELECT * FROM app.users")
      expect(yield* MockCluster.activity()).toEqual([])
      const exit = yield* Effect.exit(MockCluster.awaitActivity({ kind: "query" }))
      expect(Exit.isFailure(exit) && exit.cause.reasons[0]?._tag).toBe("Die")
    }).pipe(Effect.provide(env({ hosts: 1, activityLimit: 0 }))))
})
