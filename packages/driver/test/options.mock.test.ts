/**
 * Small seed options on mock hosts: `cqlVersion` (sent in STARTUP, refused by the mock as Cassandra
 * refuses it), the socket options of the default transport (over real TCP to the mock's ports), and
 * `Session.setKeyspace`.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { MockCluster } from "@effect-cassandra/testing"
import { afterEach, describe, expect, it, vi } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as net from "node:net"
import { env } from "./helpers/mock.ts"

describe("cqlVersion", () => {
  it.effect("a CQL version the server accepts connects", () =>
    Effect.gen(function*() {
      const rs = yield* Session.execute("SELECT * FROM system.local")
      expect(rs.rows.length).toBe(1)
    }).pipe(Effect.provide(env({ hosts: 1 }, { cqlVersion: "3.4.5" }))))

  for (const [version, message] of [
    ["2.0.0", "CQL version 2.0.0 is not supported by the binary protocol (supported version are >= 3.0.0)"],
    ["three", "Invalid version value: three"]
  ] as const) {
    it.effect(`one it refuses (${version}) fails the cluster with NoHostAvailable naming the reason`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Layer.build(env({ hosts: 1 }, { cqlVersion: version })))
        expect(error._tag).toBe("NoHostAvailable")
        expect(JSON.stringify(error)).toContain(message)
      }).pipe(Effect.scoped))
  }
})

describe("socket options", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  /** The mock hosts' port (the driver's sockets connect to it; the mock's own sockets listen on it). */
  const serverPort = Effect.map(MockCluster.MockCluster, (m) => Number(m.contactPoints[0]!.split(":")[1]))
  /** The calls made on the driver's sockets (those whose remote end is the mock), not on the mock's. */
  const clientCalls = <Args extends Array<unknown>>(mock: { readonly calls: Array<Args>; readonly contexts: Array<unknown> }, port: number) =>
    mock.calls.filter((_, i) => (mock.contexts[i] as net.Socket).remotePort === port)

  const overTcp = (cluster: Partial<Cluster.ClusterOptions>) =>
    Session.layer().pipe(
      Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, ...cluster })),
      Layer.provideMerge(MockCluster.layerServer({ hosts: 1 }))
    )

  it.live("are set on every socket of the default transport", () => {
    const keepAlive = vi.spyOn(net.Socket.prototype, "setKeepAlive")
    const noDelay = vi.spyOn(net.Socket.prototype, "setNoDelay")
    return Effect.gen(function*() {
      const rs = yield* Session.execute("SELECT * FROM system.local")
      expect(rs.rows.length).toBe(1)
      const port = yield* serverPort
      // the control connection and the session's pool connection, at least
      const ka = clientCalls(keepAlive.mock, port)
      expect(ka.length).toBeGreaterThanOrEqual(2)
      expect(ka.every((args) => args[0] === true && args[1] === 30_000)).toBe(true)
      const nd = clientCalls(noDelay.mock, port)
      expect(nd.length).toBeGreaterThanOrEqual(2)
      expect(nd.every((args) => args[0] === false)).toBe(true)
    }).pipe(Effect.provide(overTcp({ socketOptions: { noDelay: false, keepAlive: true, keepAliveDelay: "30 seconds" } })))
  })

  it.live("defaults: TCP_NODELAY and keep-alive on, the system's keep-alive delay", () => {
    const keepAlive = vi.spyOn(net.Socket.prototype, "setKeepAlive")
    const noDelay = vi.spyOn(net.Socket.prototype, "setNoDelay")
    return Effect.gen(function*() {
      yield* Session.execute("SELECT * FROM system.local")
      const port = yield* serverPort
      const ka = clientCalls(keepAlive.mock, port)
      expect(ka.length).toBeGreaterThanOrEqual(2)
      expect(ka.every((args) => args[0] === true && args[1] === 0)).toBe(true)
      const nd = clientCalls(noDelay.mock, port)
      expect(nd.length).toBeGreaterThanOrEqual(2)
      expect(nd.every((args) => args[0] === true)).toBe(true)
    }).pipe(Effect.provide(overTcp({})))
  })

  it.live("keep-alive off", () => {
    const keepAlive = vi.spyOn(net.Socket.prototype, "setKeepAlive")
    return Effect.gen(function*() {
      yield* Session.execute("SELECT * FROM system.local")
      const ka = clientCalls(keepAlive.mock, yield* serverPort)
      expect(ka.length).toBeGreaterThanOrEqual(2)
      expect(ka.every((args) => args[0] === false)).toBe(true)
    }).pipe(Effect.provide(overTcp({ socketOptions: { keepAlive: false } })))
  })
})

describe("Session.setKeyspace", () => {
  it.effect("switches the session's connections: later unqualified statements run there", () =>
    Effect.gen(function*() {
      const session = yield* Session.Session
      expect(session.keyspace()).toBeUndefined()
      yield* Session.setKeyspace("app")
      expect(session.keyspace()).toBe("app")
      const uses = yield* MockCluster.activity({ query: /^USE /, includeControl: true })
      expect(uses.map((a) => a.query)).toContain("USE app")
      // the mock answers an unqualified SELECT from the connection's keyspace: app.users' columns, on every host
      for (let i = 0; i < 4; i++) {
        const rs = yield* Session.execute("SELECT * FROM users")
        expect(rs.columns.map((c) => c.name)).toEqual(["id", "name"])
      }
      expect(new Set((yield* MockCluster.activity({ query: "SELECT * FROM users" })).map((a) => a.host)).size).toBe(2)
    }).pipe(Effect.provide(env({ hosts: 2, tables: { "app.users": { id: "int", name: "text" } } }))))

  it.effect("an empty name is InvalidInput, and nothing is sent", () =>
    Effect.gen(function*() {
      yield* MockCluster.clearActivity
      const error = yield* Effect.flip(Session.setKeyspace(""))
      expect(error).toMatchObject({ _tag: "InvalidInput", path: "keyspace" })
      expect(yield* MockCluster.activity({ query: /^USE /, includeControl: true })).toEqual([])
    }).pipe(Effect.provide(env({ hosts: 1 }))))
})
