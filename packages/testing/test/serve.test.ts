/**
 * The simulated cluster on real TCP ports: the driver over sockets (v4 and v5, compression), the same
 * primed scenario giving the same result in memory and over TCP, hosts going down (connections
 * refused), and the DataStax Node.js driver connecting and querying.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import cassandra from "cassandra-driver"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as net from "node:net"

const tables = { "app.users": { id: "int", name: "text", emails: "set<text>" } }

/** A scenario run through the driver: primes, then a mix of reads, writes, paging, errors, prepared statements. */
const scenario = Effect.gen(function*() {
  const mock = yield* MockCluster.MockCluster
  const select = "SELECT id, name, emails FROM app.users WHERE id = ?"
  yield* mock.prime({
    query: select,
    values: [1],
    then: Answer.rows({ id: "int", name: "text", emails: "set<text>" }, [{ id: 1, name: "ada", emails: ["ada@example.com"] }])
  })
  yield* mock.prime({ query: select, values: [2], then: Answer.readTimeout({ dataPresent: true }) })
  yield* mock.prime({
    query: "SELECT id FROM app.users",
    then: Answer.rows({ id: "int" }, Array.from({ length: 25 }, (_, i) => ({ id: i })))
  })
  yield* mock.prime({ query: "INSERT INTO app.users (id, name) VALUES (?, ?)", values: [3, "bad"], then: Answer.invalid({ message: "nope" }) })
  const outcome = <A, R>(e: Effect.Effect<A, { readonly _tag: string }, R>) =>
    Effect.map(Effect.exit(e), (exit) =>
      Exit.isSuccess(exit)
        ? { ok: exit.value }
        : { error: exit.cause.reasons.map((r) => (r._tag === "Fail" ? r.error._tag : r._tag)) })
  const results: Array<unknown> = []
  results.push(yield* outcome(Effect.map(Session.execute(select, [1]), (rs) => rs.rows)))
  results.push(yield* outcome(Effect.map(Session.execute(select, [2]), (rs) => rs.rows)))
  results.push(yield* outcome(Effect.map(Session.execute(select, [9]), (rs) => rs.rows)))
  const prepared = yield* Session.prepare(select)
  results.push(prepared.variables.map((v) => `${v.name}:${v.type.kind}`))
  results.push(yield* outcome(Effect.map(Session.execute(prepared, [1]), (rs) => rs.rows)))
  results.push(yield* outcome(Effect.map(Stream.runCollect(Session.stream("SELECT id FROM app.users", undefined, { fetchSize: 10 })), (c) => [...c].length)))
  const insert = yield* Session.prepare("INSERT INTO app.users (id, name) VALUES (?, ?)")
  results.push(yield* outcome(Effect.map(Session.execute(insert, [3, "bad"]), (rs) => rs.rows)))
  results.push(yield* outcome(Effect.map(Session.execute(insert, [4, "good"]), (rs) => rs.rows)))
  results.push(yield* outcome(Effect.map(Session.batch([{ query: insert, params: [5, "x"] }, { query: "DELETE FROM app.users WHERE id = 6" }]), (rs) => rs.rows)))
  const log = yield* mock.activity()
  results.push(log.map((a) => `${a.kind} ${a.query ?? ""} ${a.consistency ?? ""} ${a.answer}`))
  results.push(log.filter((a) => a.kind === "execute").map((a) => a.decodedValues))
  return results
})

const inMemory = (cluster: Partial<Cluster.ClusterOptions> = { protocolVersion: 4 }) =>
  Session.layer().pipe(
    Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, ...cluster })),
    Layer.provideMerge(MockCluster.layer({ hosts: 1, tables }))
  )

const overTcp = (cluster: Partial<Cluster.ClusterOptions> = {}, options: MockCluster.ServeOptions = { hosts: 1, tables }) =>
  Session.layer().pipe(
    Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, ...cluster })),
    Layer.provideMerge(MockCluster.layerServer(options))
  )

describe("over TCP", () => {
  it.effect("the same primed scenario gives the same result in memory and over TCP", () =>
    Effect.gen(function*() {
      const memory = yield* Effect.provide(scenario, inMemory())
      const tcp = yield* Effect.provide(scenario, overTcp({ protocolVersion: 4 }))
      expect(tcp).toEqual(memory)
      // and on v5 with LZ4 segments, in memory and over TCP alike
      const v5 = { protocolVersion: 5, compression: "lz4" } as const
      expect(yield* Effect.provide(scenario, overTcp(v5))).toEqual(yield* Effect.provide(scenario, inMemory(v5)))
      expect(yield* Effect.provide(scenario, inMemory(v5))).toEqual(memory)
      expect(memory[0]).toEqual({ ok: [{ id: 1, name: "ada", emails: ["ada@example.com"] }] })
      expect(memory[1]).toEqual({ error: ["ReadTimeout"] })
      expect(memory[5]).toEqual({ ok: 25 })
      expect(memory[6]).toEqual({ error: ["InvalidRequest"] })
    }))

  for (const { version, compression } of [
    { version: 5, compression: "lz4" },
    { version: 5, compression: false },
    { version: 4, compression: "lz4" },
    { version: 4, compression: "snappy" }
  ] as const) {
    it.live(`the driver over sockets, v${version} ${compression || "uncompressed"}, three hosts`, () =>
      Effect.gen(function*() {
        const mock = yield* MockCluster.MockCluster
        const cluster = yield* Cluster.Cluster
        expect(cluster.protocolVersion).toBe(version)
        expect(cluster.hosts().map((h) => h.address).sort()).toEqual(["127.0.0.1", "127.0.0.2", "127.0.0.3"])
        const big = Array.from({ length: 300 }, (_, i) => ({ id: i, name: `name-${i}`, emails: [`${i}@example.com`] }))
        yield* mock.prime({ query: "SELECT * FROM app.users", then: Answer.rows({ id: "int", name: "text", emails: "set<text>" }, big) })
        const rows = yield* Stream.runCollect(Session.stream("SELECT * FROM app.users", undefined, { fetchSize: 100 }))
        expect([...rows].length).toBe(300)
        const p = yield* Session.prepare("SELECT * FROM app.users WHERE id = ?")
        const results = yield* Effect.forEach(Array.from({ length: 200 }, (_, i) => i), (i) => Session.execute(p, [i]), { concurrency: 50 })
        expect(results.length).toBe(200)
        const hosts = new Set((yield* mock.activity({ kind: "execute" })).map((a) => a.host))
        expect(hosts.size).toBe(3)
      }).pipe(Effect.provide(overTcp({ protocolVersion: version, compression }, { hosts: 3, tables }))))
  }

  it.live("a host down refuses connections; up again, it accepts them", () =>
    Effect.gen(function*() {
      const server = yield* MockCluster.serve({ hosts: 2 })
      const connect = (address: string) =>
        Effect.callback<string>((resume) => {
          const s = net.connect({ host: address, port: server.port })
          s.once("connect", () => {
            s.destroy()
            resume(Effect.succeed("connected"))
          })
          s.once("error", (e) => resume(Effect.succeed((e as NodeJS.ErrnoException).code ?? e.message)))
        })
      expect(yield* connect("127.0.0.2")).toBe("connected")
      yield* server.hostDown(1)
      expect(yield* connect("127.0.0.2")).toBe("ECONNREFUSED")
      expect(yield* connect("127.0.0.1")).toBe("connected")
      yield* server.hostUp(1)
      expect(yield* connect("127.0.0.2")).toBe("connected")
    }).pipe(Effect.scoped))

  it.live("the DataStax Node.js driver connects and runs queries", () =>
    Effect.gen(function*() {
      const server = yield* MockCluster.serve({ hosts: 2, tables })
      yield* server.prime({
        query: /^SELECT name, emails FROM app\.users WHERE id = /,
        then: Answer.rows({ name: "text", emails: "set<text>" }, [{ name: "ada", emails: ["a@example.com", "b@example.com"] }])
      })
      const client = new cassandra.Client({
        contactPoints: [`127.0.0.1:${server.port}`],
        localDataCenter: "dc1",
        protocolOptions: { port: server.port, maxVersion: 4 },
        isMetadataSyncEnabled: false
      })
      yield* Effect.addFinalizer(() => Effect.promise(() => client.shutdown()))
      yield* Effect.promise(() => client.connect())
      const simple = yield* Effect.promise(() => client.execute("SELECT name, emails FROM app.users WHERE id = 1"))
      expect(simple.rows[0]?.["name"]).toBe("ada")
      const prepared = yield* Effect.promise(() => client.execute("SELECT name, emails FROM app.users WHERE id = ?", [1], { prepare: true }))
      expect(prepared.rows[0]?.["name"]).toBe("ada")
      expect(prepared.rows[0]?.["emails"]).toEqual(["a@example.com", "b@example.com"])
      expect(client.getState().getConnectedHosts().map((h) => h.address).sort()).toEqual([
        `127.0.0.1:${server.port}`,
        `127.0.0.2:${server.port}`
      ])
      const log = yield* server.activity({ kind: ["query", "prepare", "execute"] })
      // it prepares on every host, then executes with the variable types the mock declared (from `tables`)
      expect(log.map((a) => a.kind).sort()).toEqual(["execute", "prepare", "prepare", "query"])
      expect(new Set(log.filter((a) => a.kind === "prepare").map((a) => a.host)).size).toBe(2)
      expect(log.find((a) => a.kind === "execute")).toMatchObject({ version: 4, decodedValues: [1], answer: "Rows(1)" })
      // and it read the topology from the system tables
      const control = yield* server.activity({ includeControl: true, query: /system\./ })
      expect(control.map((a) => a.answer)).toContain("Rows(1)")
    }).pipe(Effect.scoped))
})
