/**
 * Driver features that need a server to behave in a particular way, on mock hosts: speculative
 * executions (timed on the TestClock), server events (STATUS_CHANGE UP, SCHEMA_CHANGE), tracing and
 * server warnings.
 */
import { Cluster, Retry, Session } from "@effect-cassandra/driver"
import { serializeValue } from "@effect-cassandra/protocol/CqlValues"
import { murmur3Token } from "@effect-cassandra/protocol/Token"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import { env, eventually, tick } from "./helpers/mock.ts"


const q = "SELECT * FROM app.users WHERE id = 1"
const row = Answer.rows({ id: "int" }, [{ id: 1 }])

describe("speculative execution", () => {
  it.effect("starts on the next host after its delay; the first answer wins", () =>
    Effect.gen(function*() {
      // whichever host gets the request first answers after 1 s, the next one at once
      yield* MockCluster.prime({ query: q, then: [Answer.delayed("1 second", row), row] })
      const fiber = yield* Effect.forkChild(Session.execute(q, undefined, {
        idempotent: true,
        speculativeExecution: { delay: "200 millis", maxExecutions: 2 }
      }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("199 millis")
      expect((yield* MockCluster.activity({ query: q })).length).toBe(1)
      yield* TestClock.adjust("1 millis")
      const rs = yield* Fiber.join(fiber)
      const log = yield* MockCluster.activity({ query: q })
      expect(log.map((a) => [a.at, a.answer])).toEqual([[0, "Rows(1) after 1s"], [200, "Rows(1)"]])
      expect(log[1]!.host).not.toBe(log[0]!.host)
      expect(rs.host.endpoint).toBe(log[1]!.host)
      // the third execution (at 400 ms) never started
      yield* TestClock.adjust("2 seconds")
      expect((yield* MockCluster.activity({ query: q })).length).toBe(2)
    }).pipe(Effect.provide(env())))

  it.effect("is not used for non-idempotent statements", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.delayed("1 second", row) })
      const fiber = yield* Effect.forkChild(Session.execute(q, undefined, { speculativeExecution: { delay: "100 millis", maxExecutions: 2 } }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect((yield* MockCluster.activity({ query: q })).length).toBe(1)
    }).pipe(Effect.provide(env())))
})

describe("server events", () => {
  it.effect("STATUS_CHANGE UP: the driver reconnects to a down host at once, without waiting for its schedule", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      yield* mock.hostDown(1)
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === false, "host 2 down")
      yield* mock.hostUp(1, { notify: true })
      yield* eventually(() => cluster.getHost("127.0.0.2:9042")?.isUp === true, "host 2 up again")
      expect((yield* mock.host(1)).connections).toBeGreaterThan(0)
    }).pipe(Effect.provide(env({ hosts: 2 }, { reconnection: Schedule.spaced("1 hour") }))))

  it.effect("SCHEMA_CHANGE events reach Cluster.schemaChanges", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const mock = yield* MockCluster.MockCluster
      const fiber = yield* Effect.forkChild(Stream.runHead(cluster.schemaChanges))
      yield* tick
      const sent = yield* mock.schemaChange({ changeType: "CREATED", target: "TABLE", keyspace: "app", name: "t" })
      expect(sent).toBe(1) // the control connection registered for it
      const event = yield* Fiber.join(fiber)
      expect(event).toMatchObject({ _tag: "Some", value: { type: "SCHEMA_CHANGE", change: { target: "TABLE", name: "t" } } })
    }).pipe(Effect.provide(env({ hosts: 2 }))))
})

describe("tracing and warnings", () => {
  it.effect("a traced request gets a tracing id; its trace is read from system_traces", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: row })
      const rs = yield* Session.execute(q, undefined, { tracing: true })
      expect(rs.tracingId).toMatch(/^[0-9a-f-]{36}$/)
      const trace = yield* rs.trace
      expect(trace).toMatchObject({ sessionId: rs.tracingId, coordinator: rs.host.address, request: q })
      expect(trace.events.length).toBe(1)
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("a trace the server never completes: TraceUnavailable after the wait, in virtual time", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: row })
      // the session row exists but has no duration yet: the trace is still being written
      yield* MockCluster.prime({
        query: "SELECT * FROM system_traces.sessions WHERE session_id = ?",
        system: true,
        then: Answer.rows({ session_id: "uuid", duration: "int" }, [{ session_id: "00000000-0000-0000-0000-000000000000", duration: null }])
      })
      const rs = yield* Session.execute(q, undefined, { tracing: true })
      const fiber = yield* Effect.forkChild(Effect.exit(rs.trace))
      for (let i = 0; i < 60; i++) {
        yield* tick
        yield* TestClock.adjust("100 millis")
      }
      const exit = yield* Fiber.join(fiber)
      expect(exit._tag === "Failure" && exit.cause.reasons[0]).toMatchObject({
        _tag: "Fail",
        error: { _tag: "TraceUnavailable", sessionId: rs.tracingId, message: `trace ${rs.tracingId} was not complete in system_traces after 5000 ms` }
      })
      // a shorter wait gives up sooner
      const short = yield* Effect.forkChild(Effect.exit(rs.traceWith({ maxWait: "1 second" })))
      for (let i = 0; i < 12; i++) {
        yield* tick
        yield* TestClock.adjust("100 millis")
      }
      const shortExit = yield* Fiber.join(short)
      expect(shortExit._tag === "Failure" && shortExit.cause.reasons[0]).toMatchObject({
        _tag: "Fail",
        error: { _tag: "TraceUnavailable", message: `trace ${rs.tracingId} was not complete in system_traces after 1000 ms` }
      })
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("server warnings come with the result", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.rows({ id: "int" }, [{ id: 1 }], { warnings: ["Aggregation query used without partition key"] }) })
      const rs = yield* Session.execute(q)
      expect(rs.warnings).toEqual(["Aggregation query used without partition key"])
    }).pipe(Effect.provide(env({ hosts: 1 }))))
})

describe("bad options fail before anything is sent", () => {
  it.effect("unknown consistency, a non-serial serialConsistency, bad timeouts, a bad batch type, a bad speculative delay", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.clearActivity
      const bad: ReadonlyArray<readonly [Effect.Effect<unknown, { readonly _tag: string }, Session.Session>, string]> = [
        [Session.execute(q, [], { consistency: "QUROUM" as never }), "options.consistency"],
        [Session.execute(q, [], { serialConsistency: "QUORUM" as never }), "options.serialConsistency"],
        [Session.execute(q, [], { timeout: -5 }), "options.timeout"],
        [Session.execute(q, [], { timeout: "soon" as never }), "options.timeout"],
        [Session.execute(q, [], { idempotent: true, speculativeExecution: { delay: "later" as never, maxExecutions: 1 } }), "options.speculativeExecution.delay"],
        [Session.batch([{ query: q }], { consistency: "FOUR" as never }), "options.consistency"],
        [Session.batch([{ query: q }], { type: "atomic" as never }), "options.type"],
        [Session.batch([{ query: q }], { timeout: 0 }), "options.timeout"]
      ]
      for (const [effect, path] of bad) {
        const exit = yield* Effect.exit(effect)
        expect(exit._tag).toBe("Failure")
        if (exit._tag === "Failure") {
          const reason = exit.cause.reasons[0]
          expect(reason?._tag).toBe("Fail")
          if (reason?._tag === "Fail") expect(reason.error).toMatchObject({ _tag: "InvalidInput", path })
        }
      }
      expect(yield* mock.activity({ kind: ["query", "batch", "execute"] })).toEqual([])
    }).pipe(Effect.provide(env({ hosts: 2 }))))

  it.effect("an invalid default timeout fails the Session layer with InvalidInput", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(
        Session.layer({ defaults: { timeout: "whenever" as never } }).pipe(
          Layer.provide(MockCluster.clusterLayer({ schemaMetadataEnabled: false })),
          Layer.provide(MockCluster.layer({ hosts: 1 }))
        )
      ))
      expect(exit._tag).toBe("Failure")
      if (exit._tag === "Failure") expect(exit.cause.reasons[0]).toMatchObject({ _tag: "Fail", error: { _tag: "InvalidInput", path: "defaults.timeout" } })
    }))
})

describe("Cluster.layerConfig", () => {
  const build = (env: Record<string, string>) =>
    Effect.exit(Layer.build(Cluster.layerConfig().pipe(
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))
    )))
  const configFailure = (exit: Exit.Exit<unknown, unknown>): string => {
    if (exit._tag !== "Failure") return "succeeded"
    const reason = exit.cause.reasons[0]
    return reason?._tag === "Fail" && (reason.error as { _tag?: string })._tag === "ConfigError" ? String((reason.error as Error).message) : `not a ConfigError: ${String(reason?._tag)}`
  }

  it.effect("a username without a password, a bad protocol version or an unreadable CA file is a ConfigError", () =>
    Effect.gen(function*() {
      expect(configFailure(yield* build({ CASSANDRA_USERNAME: "app" }))).toMatch(/must be set together/)
      expect(configFailure(yield* build({ CASSANDRA_PASSWORD: "secret" }))).toMatch(/must be set together/)
      expect(configFailure(yield* build({ CASSANDRA_PROTOCOL_VERSION: "6" }))).toMatch(/must be 3, 4 or 5/)
      expect(configFailure(yield* build({ CASSANDRA_TLS_CA: "/nonexistent/ca.pem" }))).toMatch(/CASSANDRA_TLS_CA: cannot read \/nonexistent\/ca.pem/)
    }))
})

describe("policies as Cluster options", () => {
  it.effect("loadBalancing and retry given to Cluster.layer are the ones used", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.clearActivity
      for (let i = 0; i < 3; i++) yield* Session.execute(q)
      // the policy puts the last host first
      expect((yield* mock.activity({ query: q })).map((a) => a.hostIndex)).toEqual([2, 2, 2])
      // the retry policy never retries: an Unavailable is not tried on the next host
      yield* mock.prime({ query: q, then: Answer.unavailable() })
      const exit = yield* Effect.exit(Session.execute(q))
      expect(Exit.isFailure(exit) && exit.cause.reasons[0]).toMatchObject({ _tag: "Fail", error: { _tag: "Unavailable" } })
      expect((yield* mock.activity({ query: q })).length).toBe(4)
    }).pipe(Effect.provide(env({ hosts: 3 }, {
      loadBalancing: { newQueryPlan: ({ hosts }) => [...hosts].reverse().filter((h) => h.isUp), distance: () => "local" },
      retry: Retry.fallthroughRetryPolicy
    }))))
})

describe("localDc", () => {
  it.effect("a localDc the cluster does not have fails the Cluster layer, naming the cluster's datacenters", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(
        MockCluster.clusterLayer({ localDc: "dc9" }).pipe(
          Layer.provide(MockCluster.layer({ hosts: [{ datacenter: "dc1" }, { datacenter: "dc2" }] }))
        )
      ))
      expect(Exit.isFailure(exit) && exit.cause.reasons[0]).toMatchObject({
        _tag: "Fail",
        error: { _tag: "NoHostAvailable", message: `localDc "dc9" is not a datacenter of this cluster (its datacenters: dc1, dc2)` }
      })
    }))
})

describe("token map and partitioner", () => {
  it.effect("Murmur3, Random and ByteOrdered: a token map; another partitioner: none (routing is not token-aware)", () =>
    Effect.gen(function*() {
      const tokenMapOf = (partitioner: string | undefined, tokens?: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          const hosts = tokens === undefined ? 3 : tokens.map((t) => ({ tokens: [t] }))
          const context = yield* Layer.build(MockCluster.clusterLayer({ schemaMetadataEnabled: false }).pipe(
            Layer.provide(MockCluster.layer({ hosts, ...(partitioner ? { partitioner } : {}) }))
          ))
          return Context.get(context, Cluster.Cluster).metadata.tokenMap()
        }).pipe(Effect.scoped)
      expect((yield* tokenMapOf(undefined))?.tokens.length).toBe(3)
      const randomMap = yield* tokenMapOf("org.apache.cassandra.dht.RandomPartitioner", ["100", "2000", "170141183460469231731687303715884105728"])
      expect(randomMap?.partitioner).toBe("RandomPartitioner")
      expect(randomMap?.ring).toEqual([100n, 2000n, 2n ** 127n])
      const bopMap = yield* tokenMapOf("org.apache.cassandra.dht.ByteOrderedPartitioner", ["10", "80", "c0"])
      expect(bopMap?.ring.length).toBe(3)
      expect(yield* tokenMapOf("org.apache.cassandra.dht.OrderPreservingPartitioner")).toBeUndefined()
    }))
})

describe("schema metadata refresh", () => {
  it.effect("a schema event re-reads only its keyspace, once per window; DDL through the session does the same", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      expect(cluster.metadata.table("app", "users")?.partitionKey.map((c) => c.name)).toEqual(["id"])
      yield* mock.clearActivity
      const schemaQueries = () =>
        Effect.map(mock.activity({ includeControl: true }), (log) => log.map((a) => a.query ?? "").filter((q) => q.includes("system_schema")))
      // two events for one keyspace within the window: one refresh of that keyspace
      yield* mock.schemaChange({ changeType: "UPDATED", target: "TABLE", keyspace: "app", name: "users" })
      yield* mock.schemaChange({ changeType: "CREATED", target: "TABLE", keyspace: "app", name: "other" })
      for (let i = 0; i < 10; i++) yield* tick
      yield* TestClock.adjust("2 seconds")
      yield* MockCluster.awaitActivity({ includeControl: true, query: "SELECT * FROM system_schema.indexes WHERE keyspace_name = 'app'" })
      for (let i = 0; i < 10; i++) yield* tick
      const queries = yield* schemaQueries()
      expect(queries.length).toBe(8)
      expect(queries.every((q) => q.endsWith("WHERE keyspace_name = 'app'"))).toBe(true)
      expect(cluster.metadata.table("app", "users")?.columns.map((c) => c.name).sort()).toEqual(["id", "name"])
      // DDL through the session: its keyspace is re-read after schema agreement
      yield* mock.clearActivity
      yield* mock.prime({ query: "ALTER TABLE app.users ADD x int", then: Answer.schemaChange({ changeType: "UPDATED", target: "TABLE", keyspace: "app", name: "users" }) })
      const rs = yield* Session.execute("ALTER TABLE app.users ADD x int")
      expect(rs.schemaAgreed).toBe(true)
      const after = yield* schemaQueries()
      expect(after.length).toBe(8)
      expect(after.every((q) => q.endsWith("WHERE keyspace_name = 'app'"))).toBe(true)
    }).pipe(Effect.provide(
      Session.layer().pipe(
        Layer.provideMerge(MockCluster.clusterLayer()),
        Layer.provideMerge(MockCluster.layer({ hosts: 2, tables: { "app.users": { id: "int", name: "text" }, "shop.items": { sku: "text" } } }))
      )
    )))
})

describe("control connection timeouts", () => {
  it.effect("a control query that gets no answer fails with OperationTimedOut carrying controlConnectionTimeout", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* MockCluster.prime({ query: "SELECT * FROM system.local WHERE key = 'local'", system: true, then: Answer.noAnswer })
      const fiber = yield* Effect.forkChild(Effect.exit(cluster.refreshTopology))
      yield* MockCluster.awaitActivity({ includeControl: true, query: "SELECT * FROM system.local WHERE key = 'local'" })
      yield* TestClock.adjust("2100 millis")
      const exit = yield* Fiber.join(fiber)
      expect(exit._tag === "Failure" && exit.cause.reasons[0]).toMatchObject({
        _tag: "Fail",
        error: { _tag: "OperationTimedOut", timeoutMillis: 2000, message: "no answer within 2000 ms" }
      })
    }).pipe(Effect.provide(env({ hosts: 1 }))))
})

describe("routingKey for simple statements", () => {
  it.effect("a simple statement with a routing key goes to a replica of its token, never elsewhere", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      const ks = cluster.metadata.keyspace("app")
      const tokenMap = cluster.metadata.tokenMap()!
      expect(ks?.replication["replication_factor"]).toBe("3")
      let nonReplicaHosts = 0
      for (let id = 0; id < 40; id++) {
        const key = Result.getOrThrow(serializeValue({ kind: "int" }, id))
        const replicas = tokenMap.replicas("app", ks?.replication, murmur3Token(key)).map((h) => h.endpoint)
        expect(replicas.length).toBe(3)
        const rs = yield* Session.execute(`SELECT * FROM app.users WHERE id = ${id}`, [], { routingKey: key, keyspace: "app" })
        expect(replicas).toContain(rs.host.endpoint)
        // without the key the plan rotates over all five hosts
        const plain = yield* Session.execute(`SELECT * FROM app.users WHERE id = ${id}`)
        if (!replicas.includes(plain.host.endpoint)) nonReplicaHosts++
      }
      expect(nonReplicaHosts).toBeGreaterThan(0)
    }).pipe(Effect.provide(
      Session.layer().pipe(
        Layer.provideMerge(MockCluster.clusterLayer()),
        Layer.provideMerge(MockCluster.layer({ hosts: 5, tables: { "app.users": { id: "int", name: "text" } } }))
      )
    )))
})
