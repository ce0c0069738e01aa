/**
 * Regression tests of the defects of issue 14, on mock hosts in virtual time (the TestClock of
 * `it.effect`): bad options and inputs are typed errors before anything is sent, the request timeout
 * bounds the PREPAREs inside a request, pools follow the reconnection Schedule and the session's
 * keyspace, host events during start-up are not lost, and a closed session says so.
 */
import { Cluster, Errors, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import { TestClock } from "effect/testing"
import { buildSchema } from "../src/internal/metadata/schemaRows.ts"
import { env, eventually, tick } from "./helpers/mock.ts"

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${String(exit.value)}`)
  const f = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (f?._tag !== "Fail") throw new Error(`expected a Fail, got ${String(exit.cause)}`)
  return f.error
}

const select = "SELECT * FROM app.users WHERE id = ?"
const row = Answer.rows({ id: "int", name: "text" }, [{ id: 1, name: "ada" }])
/** The outcome of a forked `Effect.exit(...)`, once it is done. */
const outcome = <A, E>(fiber: Fiber.Fiber<Exit.Exit<A, E>>): Exit.Exit<A, E> => {
  const done = fiber.pollUnsafe()
  if (done === undefined) throw new Error("the request is still running")
  if (Exit.isFailure(done)) throw new Error(`the fiber failed: ${String(done.cause)}`)
  return done.value
}
const ticks = (n: number) => Effect.gen(function*() { for (let i = 0; i < n; i++) yield* tick })

/** Builds a Cluster on a fresh mock with `options`: its exit (the mock is shared with the caller's scope). */
const buildCluster = (options: Partial<Cluster.ClusterOptions>) =>
  Effect.gen(function*() {
    const mock = yield* Layer.build(MockCluster.layer({ hosts: 1 }))
    const exit = yield* Effect.exit(Layer.build(MockCluster.clusterLayer({ schemaMetadataEnabled: false, ...options })).pipe(Effect.provide(mock)))
    return { exit, mock: Context.get(mock, MockCluster.MockCluster) }
  })

describe("bad Cluster options are InvalidInput before anything connects", () => {
  it.effect("a duration that is not one (connectTimeout: \"soon\")", () =>
    Effect.gen(function*() {
      const { exit, mock } = yield* buildCluster({ connectTimeout: "soon" as never })
      expect(failure(exit)).toMatchObject({ _tag: "InvalidInput", path: "connectTimeout" })
      expect((yield* mock.host(0)).connectAttempts).toBe(0)
      for (const key of ["controlConnectionTimeout", "idleHeartbeatInterval", "maxSchemaAgreementWait", "schemaEventRefreshWindow", "topologyEventRefreshWindow"]) {
        const r = Cluster.resolveOptions({ contactPoints: ["a"], [key]: "whenever" })
        expect(r).toBeInstanceOf(Errors.InvalidInput)
        expect((r as Errors.InvalidInput).path).toBe(key)
      }
    }))

  it.effect("port 99999 in a contact point, or as the port", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(Cluster.layer({ contactPoints: ["127.0.0.1:99999"] })))
      expect(failure(exit)).toMatchObject({ _tag: "InvalidInput", path: "contactPoints[0]" })
      expect(Cluster.resolveOptions({ contactPoints: ["a"], port: 0 })).toMatchObject({ _tag: "InvalidInput", path: "port" })
      expect(Cluster.resolveOptions({ contactPoints: ["a:9043"], port: 9042 })).toMatchObject({ contactPoints: [{ address: "a", port: 9043 }] })
    }))

  it.effect("an addressTranslator that throws during discovery", () =>
    Effect.gen(function*() {
      const { exit } = yield* buildCluster({
        addressTranslator: () => {
          throw new Error("no route")
        }
      })
      expect(failure(exit)).toMatchObject({ _tag: "InvalidInput", path: "addressTranslator" })
      expect((failure(exit) as Errors.InvalidInput).message).toMatch(/no route/)
    }))

  it.effect("an addressTranslator that answers no usable port", () =>
    Effect.gen(function*() {
      const { exit } = yield* buildCluster({ addressTranslator: (address) => ({ address, port: 99999 }) })
      expect(failure(exit)).toMatchObject({ _tag: "InvalidInput", path: "addressTranslator" })
    }))
})

describe("bad request input is InvalidInput and nothing is sent", () => {
  it.effect("fetchSize of 0 or below (Cassandra would read it as unpaged)", () =>
    Effect.gen(function*() {
      const q = "SELECT * FROM app.users"
      for (const fetchSize of [0, -1, 1.5]) {
        expect(failure(yield* Effect.exit(Session.execute(q, undefined, { fetchSize })))).toMatchObject({ _tag: "InvalidInput", path: "options.fetchSize" })
      }
      expect(yield* MockCluster.activity({ query: q })).toEqual([])
      const bad = yield* Effect.exit(Layer.build(Session.layer({ defaults: { fetchSize: 0 } }).pipe(Layer.provide(MockCluster.clusterLayer({ schemaMetadataEnabled: false })))))
      expect(failure(bad)).toMatchObject({ _tag: "InvalidInput", path: "options.fetchSize" })
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("lone surrogates in query text (execute, prepare, batch)", () =>
    Effect.gen(function*() {
      const q = "SELECT * FROM app.users WHERE name = 'a\ud800'"
      expect(failure(yield* Effect.exit(Session.execute(q)))).toMatchObject({ _tag: "InvalidInput", path: "query" })
      expect(failure(yield* Effect.exit(Session.prepare(q)))).toMatchObject({ _tag: "InvalidInput", path: "query" })
      expect(failure(yield* Effect.exit(Session.batch([{ query: "DELETE FROM app.users WHERE name = '\udc00'" }])))).toMatchObject({
        _tag: "InvalidInput",
        path: "statements[0].query"
      })
      expect((yield* MockCluster.activity({ query: /app\.users/ })).length).toBe(0)
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("a BoundStatement (or a SimpleStatement) is a batch entry; anything else is InvalidInput", () =>
    Effect.gen(function*() {
      const insert = "INSERT INTO app.users (id, name) VALUES (?, ?)"
      yield* MockCluster.prime({ query: insert, variables: { id: "int", name: "text" }, then: Answer.void })
      const p = yield* Session.prepare(insert)
      yield* Session.batch([p.bind([1, "a"]), Session.statement("DELETE FROM app.users WHERE id = 3"), { query: p.bind([2, "b"]) } as never])
      const [batch] = yield* MockCluster.activity({ kind: "batch" })
      expect(batch!.batch!.map((s) => [s.query, s.decodedValues])).toEqual([
        [insert, [1, "a"]],
        ["DELETE FROM app.users WHERE id = 3", undefined],
        [insert, [2, "b"]]
      ])
      const bad = failure(yield* Effect.exit(Session.batch([p.bind([1, "a"]), 42 as never])))
      expect(bad).toMatchObject({ _tag: "InvalidInput", path: "statements[1]" })
      expect((yield* MockCluster.activity({ kind: "batch" })).length).toBe(1)
    }).pipe(Effect.provide(env({ hosts: 1 }))))
})

describe("values of a simple statement go prepared", () => {
  it.effect("Date.now() into a bigint column is sent as the column's 8-byte bigint, not a double", () =>
    Effect.gen(function*() {
      const insert = "INSERT INTO app.events (id, at) VALUES (?, ?)"
      yield* MockCluster.prime({ query: insert, variables: { id: "int", at: "bigint" }, then: Answer.void })
      const now = Date.now()
      yield* Session.execute(insert, [1, now])
      yield* Session.execute(insert, [2, now])
      const log = yield* MockCluster.activity({ query: insert, kind: ["prepare", "execute", "query"] })
      // one PREPARE (cached), then EXECUTEs with the column's types
      expect(log.map((a) => a.kind)).toEqual(["prepare", "execute", "execute"])
      expect(log[1]!.decodedValues).toEqual([1, BigInt(now)])
      // a value that does not fit the column is refused before it is sent
      const bad = failure(yield* Effect.exit(Session.execute(insert, [3, "soon"])))
      expect(bad).toMatchObject({ _tag: "InvalidInput", path: "values[1]" })
      expect((yield* MockCluster.activity({ query: insert, kind: "execute" })).length).toBe(2)
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("in a batch too", () =>
    Effect.gen(function*() {
      const insert = "INSERT INTO app.events (id, at) VALUES (?, ?)"
      yield* MockCluster.prime({ query: insert, variables: { id: "int", at: "bigint" }, then: Answer.void })
      yield* Session.batch([{ query: insert, params: [1, 1_700_000_000_000] }, { query: "DELETE FROM app.events WHERE id = 9" }])
      const [batch] = yield* MockCluster.activity({ kind: "batch" })
      expect(batch!.batch!.map((s) => [s.preparedId === undefined ? "query" : "prepared", s.decodedValues])).toEqual([
        ["prepared", [1, 1_700_000_000_000n]],
        ["query", undefined]
      ])
    }).pipe(Effect.provide(env({ hosts: 1 }))))
})

describe("a per-request keyspace below protocol v5", () => {
  const v4 = (keyspace?: string) =>
    Session.layer(keyspace === undefined ? {} : { keyspace }).pipe(
      Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false })),
      Layer.provideMerge(MockCluster.layer({ hosts: 1, protocolVersions: [3, 4] }))
    )

  it.effect("is InvalidInput on execute, prepare and batch, unless it is the session's; nothing is sent", () =>
    Effect.gen(function*() {
      const q = "SELECT * FROM users WHERE id = 1"
      const cluster = yield* Cluster.Cluster
      expect(cluster.protocolVersion).toBe(4)
      const cases = [
        Session.execute(q, undefined, { keyspace: "other" }),
        Session.execute(q, [1], { keyspace: "other" }),
        Session.execute(q, undefined, { keyspace: "other", prepare: true }),
        Session.prepare(q, { keyspace: "other" }),
        Session.batch([{ query: "DELETE FROM users WHERE id = 1" }], { keyspace: "other" })
      ]
      for (const effect of cases) {
        expect(failure(yield* Effect.exit(effect as Effect.Effect<unknown, Errors.CassandraError, Session.Session>))).toMatchObject({
          _tag: "InvalidInput",
          path: "options.keyspace"
        })
      }
      expect(yield* MockCluster.activity({ query: /users/, kind: ["query", "prepare", "batch", "execute"] })).toEqual([])
      // the session's own keyspace is no lie
      yield* MockCluster.prime({ query: q, then: row })
      expect((yield* Session.execute(q, undefined, { keyspace: "app" })).rows.length).toBe(1)
      expect((yield* Session.prepare(q, { keyspace: "app" })).keyspace).toBe("app")
    }).pipe(Effect.provide(v4("app"))))
})

describe("the request timeout bounds everything inside the request", () => {
  it.effect("the re-prepare after UNPREPARED", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: select, variables: { id: "int" }, then: row })
      const p = yield* Session.prepare(select)
      yield* MockCluster.prime({ query: select, kind: "execute", then: Answer.unprepared(), times: 1 })
      yield* MockCluster.prime({ query: select, kind: "prepare", then: Answer.noAnswer })
      const fiber = yield* Effect.forkChild(Effect.exit(Session.execute(p, [1], { timeout: "300 millis" })))
      yield* MockCluster.awaitActivity({ query: select, kind: "prepare", count: 2 })
      yield* TestClock.adjust("400 millis")
      yield* ticks(5)
      expect(failure(outcome(fiber))).toMatchObject({ _tag: "OperationTimedOut", timeoutMillis: 300 })
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("the PREPARE of `prepare: true` (and of a simple statement with values)", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: select, kind: "prepare", then: Answer.noAnswer })
      yield* MockCluster.prime({ query: "SELECT * FROM app.users", kind: "prepare", then: Answer.noAnswer })
      const a = yield* Effect.forkChild(Effect.exit(Session.execute(select, [1], { timeout: "300 millis" })))
      const b = yield* Effect.forkChild(Effect.exit(Session.execute("SELECT * FROM app.users", undefined, { prepare: true, timeout: "300 millis" })))
      yield* MockCluster.awaitActivity({ kind: "prepare", count: 2 })
      yield* TestClock.adjust("400 millis")
      yield* ticks(5)
      for (const f of [a, b]) {
        expect(failure(outcome(f))).toMatchObject({ _tag: "OperationTimedOut", timeoutMillis: 300 })
      }
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("time spent preparing is taken from the execution's budget", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: select, variables: { id: "int" }, then: Answer.noAnswer })
      yield* MockCluster.prime({ query: select, kind: "prepare", then: Answer.delayed("200 millis", Answer.void), times: 1 })
      const fiber = yield* Effect.forkChild(Effect.exit(Session.execute(select, [1], { timeout: "300 millis" })))
      yield* MockCluster.awaitActivity({ query: select, kind: "prepare", count: 1 })
      yield* TestClock.adjust("200 millis")
      yield* MockCluster.awaitActivity({ query: select, kind: "execute", count: 1 })
      yield* TestClock.adjust("150 millis")
      yield* ticks(5)
      expect(failure(outcome(fiber))).toMatchObject({ _tag: "OperationTimedOut", timeoutMillis: 300 })
    }).pipe(Effect.provide(env({ hosts: 1 }))))
})

describe("pools", () => {
  it.effect("every reconnection waits its Schedule delay: no storm from connections dropped right after the handshake", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      const start = (yield* mock.host(1)).connectAttempts
      // twenty times: the host's connection is dropped (as soon as it exists)
      for (let i = 0; i < 20; i++) {
        yield* mock.closeConnections(1)
        yield* ticks(10)
      }
      expect((yield* mock.host(1)).connectAttempts - start).toBe(0)
      expect(cluster.getHost("127.0.0.2:9042")?.isUp).toBe(false)
      // one attempt per delay
      yield* TestClock.adjust("1 second")
      yield* eventually(() => Effect.runSync(Effect.map(mock.host(1), (h) => h.connectAttempts)) - start === 1, "one attempt")
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === true, "host 2 up")
      yield* mock.closeConnections(1)
      yield* ticks(20)
      expect((yield* mock.host(1)).connectAttempts - start).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* eventually(() => Effect.runSync(Effect.map(mock.host(1), (h) => h.connectAttempts)) - start === 2, "a second attempt")
    }).pipe(Effect.provide(env({ hosts: 2 }, { reconnection: Schedule.spaced("1 second") }))))

  it.effect("a lost connection of several is replaced after the Schedule's delay too", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const q = "SELECT * FROM app.users WHERE id = 1"
      yield* MockCluster.prime({ query: q, then: Answer.closeConnection, times: 1 })
      const start = (yield* mock.host(0)).connectAttempts
      yield* Effect.exit(Session.execute(q))
      yield* ticks(20)
      expect((yield* mock.host(0)).connectAttempts).toBe(start)
      yield* TestClock.adjust("1 second")
      yield* eventually(() => Effect.runSync(Effect.map(mock.host(0), (h) => h.connections)) === 3, "pool back to two connections")
    }).pipe(Effect.provide(env({ hosts: 1 }, { connectionsPerHost: 2, reconnection: Schedule.spaced("1 second") }))))

  it.effect("a down/up race (HostUp while a pool's own attempt opens) leaves the configured one connection", () =>
    Effect.gen(function*() {
      const mockContext = yield* Layer.build(MockCluster.layer({ hosts: 2 }))
      const mock = Context.get(mockContext, MockCluster.MockCluster)
      const clusterContext = yield* Layer.build(
        MockCluster.clusterLayer({ schemaMetadataEnabled: false, reconnection: Schedule.spaced("1 second") })
      ).pipe(Effect.provide(mockContext))
      const cluster = Context.get(clusterContext, Cluster.Cluster)
      // two sessions: the first to reconnect marks the host up while the other's attempt is opening
      yield* Layer.build(Session.layer()).pipe(Effect.provide(clusterContext))
      yield* Layer.build(Session.layer()).pipe(Effect.provide(clusterContext))
      expect((yield* mock.host(1)).connections).toBe(2)
      yield* mock.hostDown(1)
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === false, "host 2 down")
      yield* mock.hostUp(1)
      yield* TestClock.adjust("1 second")
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === true, "host 2 up")
      yield* ticks(50)
      expect((yield* mock.host(1)).connections).toBe(2)
    }))

  it.effect("a USE that fails on one pooled connection: that connection is replaced, never left in the old keyspace", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      const first = cluster.getHost("127.0.0.1:9042")!
      // the session's USE goes to host 1; host 2's connection then fails it once
      yield* MockCluster.prime({ query: "USE ks2", host: 1, then: Answer.serverError({ message: "boom" }), times: 1, system: true })
      yield* Session.execute("USE ks2", undefined, { host: first })
      expect(yield* Session.Session.use((s) => Effect.succeed(s.keyspace()))).toBe("ks2")
      yield* TestClock.adjust("1 second")
      yield* eventually(() => Effect.runSync(Effect.map(mock.host(1), (h) => h.connections)) === 1, "host 2 reconnected")
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === true, "host 2 up")
      // every connection host 2 serves requests on has answered USE "ks2"
      const q = "SELECT * FROM users WHERE id = 1"
      yield* MockCluster.prime({ query: q, then: row })
      const second = cluster.getHost("127.0.0.2:9042")!
      for (let i = 0; i < 3; i++) yield* Session.execute(q, undefined, { host: second })
      const log = yield* MockCluster.activity({ host: 1, includeControl: true })
      const served = log.flatMap((a, i) => a.query === q ? [i] : [])
      expect(served.length).toBe(3)
      for (const i of served) {
        const uses = log.slice(0, i).filter((x) => x.connection === log[i]!.connection && x.query?.startsWith("USE") === true)
        expect(uses.at(-1)).toMatchObject({ query: "USE ks2", answer: "SetKeyspace(ks2)" })
      }
      // the failed USE was on a connection that serves nothing any more
      const failed = log.find((x) => x.query === "USE ks2" && x.answer === "Error(SERVER_ERROR)")
      expect(failed).toBeDefined()
      expect(served.every((i) => log[i]!.connection !== failed!.connection)).toBe(true)
    }).pipe(Effect.provide(env({ hosts: 2 }, { reconnection: Schedule.spaced("1 second") }))))

  it.effect("a host added while the Session opens its first pools gets a pool", () =>
    Effect.gen(function*() {
      const mockContext = yield* Layer.build(MockCluster.layer({ hosts: 2 }))
      const mock = Context.get(mockContext, MockCluster.MockCluster)
      const clusterContext = yield* Layer.build(MockCluster.clusterLayer({ schemaMetadataEnabled: false })).pipe(Effect.provide(mockContext))
      const cluster = Context.get(clusterContext, Cluster.Cluster)
      // host 2 does not answer the handshake: the session's start waits for its connect timeout
      yield* mock.hostUnresponsive(1)
      const starting = yield* Effect.forkChild(Layer.build(Session.layer()).pipe(Effect.provide(clusterContext)))
      yield* MockCluster.awaitActivity({ host: 1, includeControl: true, kind: "options" }).pipe(Effect.provide(mockContext))
      const added = yield* mock.addHost({ address: "127.0.0.3" })
      yield* cluster.refreshTopology
      expect(cluster.getHost("127.0.0.3:9042")).toBeDefined()
      yield* TestClock.adjust("5 seconds")
      const session = Context.get(yield* Fiber.join(starting), Session.Session)
      yield* eventually(() => Effect.runSync(Effect.map(mock.host(added.index), (h) => h.connections)) === 1, "a pool for the new host")
      yield* mock.prime({ query: "SELECT * FROM app.users WHERE id = 1", then: row })
      const rs = yield* session.execute("SELECT * FROM app.users WHERE id = 1", undefined, { host: cluster.getHost("127.0.0.3:9042")! })
      expect(rs.host.endpoint).toBe("127.0.0.3:9042")
    }))
})

describe("NoHostAvailable and shutdown", () => {
  it.effect("when every host is already down, NoHostAvailable carries each host's last reason", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      yield* mock.hostDown(0)
      yield* mock.hostDown(1)
      yield* eventually(() => cluster.hosts().every((h) => !h.isUp), "every host down")
      const error = failure(yield* Effect.exit(Session.execute("SELECT * FROM app.users WHERE id = 1")))
      expect(error._tag).toBe("NoHostAvailable")
      const errors = (error as Errors.NoHostAvailable).errors
      expect(Object.keys(errors).sort()).toEqual(["127.0.0.1:9042", "127.0.0.2:9042"])
      for (const e of Object.values(errors)) expect(e).toMatchObject({ _tag: "ConnectionError", sent: false })
      expect((error as Errors.NoHostAvailable).message).toMatch(/127\.0\.0\.1:9042: host down: /)
    }).pipe(Effect.provide(env({ hosts: 2 }, { reconnection: Schedule.spaced("1 hour") }))))

  it.effect("after shutdown, requests fail with SessionClosed and nothing is sent", () =>
    Effect.gen(function*() {
      const mockContext = yield* Layer.build(MockCluster.layer({ hosts: 1 }))
      const mock = Context.get(mockContext, MockCluster.MockCluster)
      const inner = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        Session.layer().pipe(Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false }))),
        inner
      ).pipe(Effect.provide(mockContext))
      const session = Context.get(context, Session.Session)
      yield* Scope.close(inner, Exit.void)
      for (const effect of [session.execute("SELECT * FROM app.users WHERE id = 1"), session.prepare(select), session.batch([{ query: "DELETE FROM app.users WHERE id = 1" }])]) {
        expect(failure(yield* Effect.exit(effect as Effect.Effect<unknown, Errors.CassandraError>))).toMatchObject({ _tag: "SessionClosed" })
      }
      expect(yield* mock.activity({ query: /app\.users/ })).toEqual([])
    }))
})

describe("metadata from server rows", () => {
  /** A row as the protocol decodes it: `__proto__` an own property, as any other column name. */
  const rowWith = (fields: Record<string, unknown>, proto: unknown) => {
    const row: Record<string, unknown> = { ...fields }
    Object.defineProperty(row, "__proto__", { value: proto, enumerable: true, writable: true, configurable: true })
    return row
  }

  it("a server column or map key named __proto__ is an own property, not the metadata object's prototype", () => {
    const evil = { polluted: true }
    const schema = buildSchema({
      keyspaces: [{ keyspace_name: "ks", replication: new Map([["class", "SimpleStrategy"], ["__proto__", "x"]]), durable_writes: true }],
      tables: [rowWith({ keyspace_name: "ks", table_name: "t", id: "x", comment: "c" }, evil)],
      columns: [{ keyspace_name: "ks", table_name: "t", column_name: "id", kind: "partition_key", position: 0, type: "int", clustering_order: "none" }],
      types: [],
      functions: [],
      aggregates: [],
      indexes: [{ keyspace_name: "ks", table_name: "t", index_name: "i", kind: "COMPOSITES", options: new Map([["__proto__", "y"]]) }]
    })
    const ks = schema.get("ks")!
    const options = ks.tables.get("t")!.options as Record<string, unknown>
    expect(Object.getPrototypeOf(options)).toBe(Object.prototype)
    expect(options["polluted"]).toBeUndefined()
    expect(Object.getOwnPropertyDescriptor(options, "__proto__")?.value).toBe(evil)
    expect(options["comment"]).toBe("c")
    expect(Object.getPrototypeOf(ks.replication)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(ks.replication, "__proto__")?.value).toBe("x")
    const index = ks.tables.get("t")!.indexes[0]!
    expect(Object.getPrototypeOf(index.options)).toBe(Object.prototype)
  })
})
