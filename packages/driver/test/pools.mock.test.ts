/**
 * Connection pools over a host's life, on mock hosts: statements prepared again on a host that comes
 * back, lost connections of a multi-connection pool replaced, STATUS_CHANGE UP as a hint (one HostUp
 * event, once connected), and a shutdown that opens nothing and reports nothing after a reconnect.
 */
import { Cluster, LoadBalancing, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import { env, eventually, tick } from "./helpers/mock.ts"

const select = "SELECT * FROM app.users WHERE id = ?"
const row = Answer.rows({ id: "int", name: "text" }, [{ id: 1, name: "ada" }])

/** Collects the cluster's host events as `Tag endpoint` lines from now on. */
const recordEvents = Effect.gen(function*() {
  const cluster = yield* Cluster.Cluster
  const events: Array<string> = []
  yield* cluster.events.pipe(
    Stream.runForEach((e) => Effect.sync(() => events.push(`${e._tag} ${e.host.endpoint}`))),
    Effect.forkScoped
  )
  yield* tick
  return events
})

describe("pools", () => {
  /** Prepares a statement, takes host 2 down and brings it back; the PREPAREs host 2 got once back. */
  const preparesAfterBounce = Effect.gen(function*() {
    const mock = yield* MockCluster.MockCluster
    const cluster = yield* Cluster.Cluster
    yield* MockCluster.prime({ query: select, variables: { id: "int" }, then: row })
    yield* Session.prepare(select)
    yield* mock.hostDown(1)
    yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === false, "host 2 down")
    yield* MockCluster.forgetPrepared(1)
    yield* mock.clearActivity
    yield* mock.hostUp(1, { notify: true })
    yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === true, "host 2 up again")
    return (yield* mock.activity({ host: 1, kind: "prepare" })).map((a) => a.query)
  })

  it.effect("a host that comes back up gets the session's statements prepared before it is up", () =>
    Effect.gen(function*() {
      expect(yield* preparesAfterBounce).toEqual([select])
    }).pipe(Effect.provide(env({ hosts: 2 }, { reconnection: Schedule.spaced("1 hour") }))))

  it.effect("reprepareOnUp: false leaves it to UNPREPARED", () =>
    Effect.gen(function*() {
      expect(yield* preparesAfterBounce).toEqual([])
    }).pipe(Effect.provide(
      Session.layer({ reprepareOnUp: false }).pipe(
        Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, reconnection: Schedule.spaced("1 hour") })),
        Layer.provideMerge(MockCluster.layer({ hosts: 2 }))
      )
    )))

  it.effect("with two connections per host, a lost one is replaced while the other keeps serving", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      const q = "SELECT * FROM app.users WHERE id = 1"
      expect((yield* mock.host(0)).connections).toBe(3) // two of the session's pool, the control connection
      yield* MockCluster.prime({ query: q, then: Answer.closeConnection, times: 1 })
      yield* Effect.exit(Session.execute(q))
      // replaced after the reconnection Schedule's first delay (1 s, jittered)
      yield* TestClock.adjust("2 seconds")
      yield* eventually(() => Effect.runSync(Effect.map(mock.host(0), (h) => h.connections)) === 3, "pool back to two connections")
      expect(cluster.getHost("127.0.0.1:9042")?.isUp).toBe(true)
      yield* MockCluster.prime({ query: q, then: row })
      expect((yield* Session.execute(q)).rows.length).toBe(1)
    }).pipe(Effect.provide(env({ hosts: 1 }, { connectionsPerHost: 2 }))))

  it.effect("STATUS_CHANGE UP gives one HostUp event, once the host is connected", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      const events = yield* recordEvents
      yield* mock.hostDown(1)
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === false, "host 2 down")
      // an UP for a host that is still refusing connections: no HostUp
      yield* mock.statusChange("UP", 1)
      for (let i = 0; i < 20; i++) yield* tick
      expect(events).toEqual(["HostDown 127.0.0.2:9042"])
      yield* mock.hostUp(1, { notify: true })
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === true, "host 2 up again")
      for (let i = 0; i < 20; i++) yield* tick
      expect(events).toEqual(["HostDown 127.0.0.2:9042", "HostUp 127.0.0.2:9042"])
    }).pipe(Effect.provide(env({ hosts: 2 }, { reconnection: Schedule.spaced("1 hour") }))))

  it.effect("closing the session after a reconnect opens no connection and reports no host down", () =>
    Effect.gen(function*() {
      const mockContext = yield* Layer.build(MockCluster.layer({ hosts: 2 }))
      const mock = Context.get(mockContext, MockCluster.MockCluster)
      const inner = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        Session.layer().pipe(Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false }))),
        inner
      ).pipe(Effect.provide(mockContext))
      const events = yield* recordEvents.pipe(Effect.provide(context))
      const connections = () => Effect.runSync(Effect.map(mock.host(1), (h) => h.connections))
      // host 2's only connection drops: the pool opens a new one after the reconnection Schedule's first delay
      const before = (yield* mock.host(1)).connectAttempts
      yield* mock.closeConnections(1)
      yield* TestClock.adjust("2 seconds")
      yield* eventually(() => connections() === 1 && Effect.runSync(Effect.map(mock.host(1), (h) => h.connectAttempts)) === before + 1, "reconnected")
      const attempts = (yield* mock.host(1)).connectAttempts
      // the lost connection was the host's only one: down until the reconnection, then up
      yield* eventually(() => events.length === 2, "down and up again")
      expect(events).toEqual(["HostDown 127.0.0.2:9042", "HostUp 127.0.0.2:9042"])
      yield* Scope.close(inner, Exit.void)
      for (let i = 0; i < 20; i++) yield* tick
      expect((yield* mock.host(1)).connectAttempts).toBe(attempts)
      expect((yield* mock.host(0)).connections + (yield* mock.host(1)).connections).toBe(0)
      // the close reports no host down
      expect(events.slice(2)).toEqual([])
    }))
})

describe("shutdown", () => {
  it.effect("closing the session's scope fails its in-flight requests with a typed error and closes every connection", () =>
    Effect.gen(function*() {
      const mockContext = yield* Layer.build(MockCluster.layer({ hosts: 2 }))
      const mock = Context.get(mockContext, MockCluster.MockCluster)
      yield* mock.prime({ query: select, variables: { id: "int" }, then: Answer.noAnswer })
      const inner = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        Session.layer().pipe(Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false }))),
        inner
      ).pipe(Effect.provide(mockContext))
      const session = Context.get(context, Session.Session)
      const fibers: Array<Fiber.Fiber<Exit.Exit<unknown, { readonly _tag: string }>>> = []
      for (let i = 0; i < 10; i++) {
        fibers.push(yield* Effect.forkChild(Effect.exit(session.execute(select, [i], { idempotent: i % 2 === 0, timeout: "1 hour" }))))
      }
      // the values go prepared: one PREPARE, then ten EXECUTEs
      yield* mock.awaitActivity({ query: select, kind: "execute", count: 10 })
      yield* Scope.close(inner, Exit.void)
      for (const f of fibers) {
        const exit = yield* Fiber.join(f)
        expect(exit._tag).toBe("Failure")
        if (exit._tag === "Failure") {
          const reason = exit.cause.reasons[0]
          expect(reason?._tag).toBe("Fail")
          // idempotent ones are not sent around the closing cluster: the connection's own error
          if (reason?._tag === "Fail") expect(reason.error._tag).toBe("ConnectionError")
        }
      }
      for (let i = 0; i < 10; i++) yield* tick
      const hosts = yield* mock.hosts
      expect(hosts.map((h) => h.connections)).toEqual([0, 0])
      // nothing was sent again after the close
      expect((yield* mock.activity({ query: select, kind: "execute" })).length).toBe(10)
    }))
})

describe("pool sizes per distance", () => {
  it.effect("connectionsPerHost { local, remote }: local hosts get `local` connections, remote ones `remote`", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* eventually(() => Effect.runSync(Effect.map(mock.hosts, (hs) => hs.map((h) => h.connections).join(","))) === "3,2,1", "pools open")
      // host 1 also carries the control connection
      expect((yield* mock.hosts).map((h) => `${h.datacenter}:${h.connections}`)).toEqual(["dc1:3", "dc1:2", "dc2:1"])
    }).pipe(Effect.provide(env(
      { hosts: [{ datacenter: "dc1" }, { datacenter: "dc1" }, { datacenter: "dc2" }] },
      { localDc: "dc1", connectionsPerHost: { local: 2, remote: 1 }, loadBalancing: LoadBalancing.dcAwareRoundRobin({ usedHostsPerRemoteDc: 1 }) }
    ))))
})
