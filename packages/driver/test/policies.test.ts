/**
 * Pure parts of the driver: configuration, contact points, the token map, query plans, retry decisions.
 */
import { Cluster, Errors, type Host as HostModule, LoadBalancing, Retry, SpeculativeExecution } from "@effect-cassandra/driver"
import { Consistency } from "@effect-cassandra/protocol/Messages"
import { murmur3Token } from "@effect-cassandra/protocol/Token"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { buildSchema } from "../src/internal/metadata/schemaRows.ts"
import { RequestDefaults, type ResolvedRequest } from "../src/internal/request/options.ts"
import { TokenMap } from "../src/internal/routing/TokenMap.ts"

type Host = HostModule.Host
const { ReadFailure, ReadTimeout, Unavailable, WriteTimeout, ConnectionError, SyntaxError, IsBootstrapping } = Errors

const host = (address: string, dc: string, token: bigint, isUp = true): Host => ({
  endpoint: `${address}:9042`,
  address,
  port: 9042,
  datacenter: dc,
  rack: "r1",
  hostId: undefined,
  releaseVersion: "5.0.9",
  tokens: [String(token)],
  isUp
})

describe("configuration", () => {
  it.effect("CASSANDRA_* variables through Effect Config", () =>
    Effect.gen(function*() {
      const config = yield* Cluster.ClusterConfig
      expect(config.contactPoints).toEqual(["10.0.0.1", "10.0.0.2:9043"])
      expect(config.port).toBe(9142)
      expect(Option.getOrUndefined(config.localDc)).toBe("east")
      expect(Option.getOrUndefined(config.username)).toBe("app")
      expect(Redacted.value(Option.getOrThrow(config.password))).toBe("s3cret")
      expect(String(Option.getOrThrow(config.password))).not.toContain("s3cret")
      expect(Option.getOrUndefined(config.protocolVersion)).toBe(4)
    }).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({
      CASSANDRA_CONTACT_POINTS: "10.0.0.1, 10.0.0.2:9043",
      CASSANDRA_PORT: "9142",
      CASSANDRA_LOCAL_DC: "east",
      CASSANDRA_USERNAME: "app",
      CASSANDRA_PASSWORD: "s3cret",
      CASSANDRA_PROTOCOL_VERSION: "4"
    })))))

  it("contact points with and without ports", () => {
    expect(Cluster.parseContactPoint("10.0.0.1", 9042)).toEqual({ address: "10.0.0.1", port: 9042 })
    expect(Cluster.parseContactPoint("db.example:9043", 9042)).toEqual({ address: "db.example", port: 9043 })
    expect(Cluster.parseContactPoint("[::1]:9044", 9042)).toEqual({ address: "::1", port: 9044 })
    expect(Cluster.parseContactPoint("::1", 9042)).toEqual({ address: "::1", port: 9042 })
  })

  it("defaults follow the Python driver", () => {
    const o = Cluster.resolveOptions({ contactPoints: ["a"] }) as Cluster.ResolvedOptions
    expect(o.protocolVersion).toBe(5)
    expect(o.compression).toBe("auto")
    expect(o.connectionsPerHost).toEqual({ local: 1, remote: 1 })
    expect(o.port).toBe(9042)
  })
})

describe("token map", () => {
  const h1 = host("10.0.0.1", "dc1", -6148914691236517206n)
  const h2 = host("10.0.0.2", "dc1", -2n)
  const h3 = host("10.0.0.3", "dc1", 6148914691236517202n)
  const ring = new TokenMap([h3, h1, h2])

  it("a token belongs to the first node whose token is >= it, wrapping", () => {
    const owner = (t: bigint) => ring.replicas("ks", { class: "SimpleStrategy", replication_factor: "1" }, t)[0]!.address
    expect(owner(-9223372036854775808n)).toBe("10.0.0.1")
    expect(owner(-6148914691236517206n)).toBe("10.0.0.1")
    expect(owner(-6148914691236517205n)).toBe("10.0.0.2")
    expect(owner(0n)).toBe("10.0.0.3")
    expect(owner(9223372036854775807n)).toBe("10.0.0.1")
  })

  it("SimpleStrategy walks the ring; NetworkTopologyStrategy counts per datacenter", () => {
    expect(ring.replicas("rf2", { class: "SimpleStrategy", replication_factor: "2" }, 0n).map((h) => h.address)).toEqual(["10.0.0.3", "10.0.0.1"])
    const dc2 = host("10.1.0.1", "dc2", 100n)
    const multi = new TokenMap([h1, h2, h3, dc2])
    const replicas = multi.replicas("nts", { class: "org.apache.cassandra.locator.NetworkTopologyStrategy", dc1: "2", dc2: "1" }, 0n)
    expect(replicas.map((h) => h.address)).toEqual(["10.1.0.1", "10.0.0.3", "10.0.0.1"])
  })

  it("routes a key by its Murmur3 token", () => {
    const key = new Uint8Array([0, 0, 0, 1])
    const t = murmur3Token(key)
    expect(t).toBe(-4069959284402364209n)
    expect(ring.replicas("ks", { class: "SimpleStrategy", replication_factor: "1" }, t)[0]!.address).toBe("10.0.0.2")
  })
})

describe("DC-aware round robin", () => {
  const local = [host("10.0.0.1", "dc1", 1n), host("10.0.0.2", "dc1", 2n), host("10.0.0.3", "dc1", 3n, false)]
  const remote = [host("10.1.0.1", "dc2", 4n), host("10.1.0.2", "dc2", 5n)]
  const hosts = [...local, ...remote]

  it("rotates over the up local hosts and skips down ones and other datacenters", () => {
    const policy = LoadBalancing.dcAwareRoundRobin()
    const firsts = Array.from({ length: 4 }, () => [...policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined })].map((h) => h.address))
    for (const plan of firsts) expect(plan.sort()).toEqual(["10.0.0.1", "10.0.0.2"])
    const starts = new Set(Array.from({ length: 6 }, () => [...policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined })][0]!.address))
    expect(starts).toEqual(new Set(["10.0.0.1", "10.0.0.2"]))
    expect(policy.distance(remote[0]!, "dc1")).toBe("ignored")
  })

  it("adds remote hosts after the local ones when asked", () => {
    const policy = LoadBalancing.dcAwareRoundRobin({ usedHostsPerRemoteDc: 1 })
    const plan = [...policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined })].map((h) => h.datacenter)
    expect(plan).toEqual(["dc1", "dc1", "dc2"])
  })

  it("puts the up local replicas first", () => {
    const policy = LoadBalancing.dcAwareRoundRobin()
    const plan = [...policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: "ks", replicas: [local[1]!, local[2]!] })].map((h) => h.address)
    expect(plan).toEqual(["10.0.0.2", "10.0.0.1"])
  })

  it("of the first two candidates, the one with fewer requests in flight goes first; equal loads keep the rotation", () => {
    const policy = LoadBalancing.dcAwareRoundRobin()
    const piledUp = (h: HostModule.Host) => (h.address === "10.0.0.1" ? 40 : 2)
    const firsts = Array.from({ length: 6 }, () => [...policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined, inFlight: piledUp })][0]!.address)
    expect(new Set(firsts)).toEqual(new Set(["10.0.0.2"]))
    const even = Array.from({ length: 6 }, () => [...policy.newQueryPlan({ hosts, localDc: "dc1", keyspace: undefined, inFlight: () => 3 })][0]!.address)
    expect(new Set(even)).toEqual(new Set(["10.0.0.1", "10.0.0.2"]))
    // among replicas: the less busy replica first, never a non-replica
    const replicas = [host("10.0.0.4", "dc1", 6n), host("10.0.0.5", "dc1", 7n)]
    const all = [...hosts, ...replicas]
    const busy = (h: HostModule.Host) => (h.address === "10.0.0.4" ? 9 : 0)
    for (let i = 0; i < 4; i++) {
      const plan = [...policy.newQueryPlan({ hosts: all, localDc: "dc1", keyspace: "ks", replicas, inFlight: busy })].map((h) => h.address)
      expect(plan.slice(0, 2)).toEqual(["10.0.0.5", "10.0.0.4"])
    }
  })
})

describe("default retry policy", () => {
  const decide = (error: Retry.RetryContext["error"], retryCount = 0, idempotent = false) =>
    Retry.defaultRetryPolicy.decide({ error, retryCount, idempotent, consistency: 1 })._tag

  it("read timeout: once on the same host, only when enough replicas answered without data", () => {
    const rt = (received: number, blockFor: number, dataPresent: boolean) =>
      new ReadTimeout({ message: "", consistency: "QUORUM", received, blockFor, dataPresent })
    expect(decide(rt(2, 2, false))).toBe("RetrySameHost")
    expect(decide(rt(2, 2, false), 1)).toBe("Rethrow")
    expect(decide(rt(1, 2, false))).toBe("Rethrow")
    expect(decide(rt(2, 2, true))).toBe("Rethrow")
  })

  it("write timeout: only an idempotent batch log write", () => {
    const wt = (writeType: string) => new WriteTimeout({ message: "", consistency: "QUORUM", received: 1, blockFor: 2, writeType })
    expect(decide(wt("BATCH_LOG"), 0, true)).toBe("RetrySameHost")
    expect(decide(wt("BATCH_LOG"), 0, false)).toBe("Rethrow")
    expect(decide(wt("SIMPLE"), 0, true)).toBe("Rethrow")
  })

  it("unavailable: the next host once; connection errors only when idempotent; syntax never", () => {
    const un = new Unavailable({ message: "", consistency: "QUORUM", required: 2, alive: 1 })
    expect(decide(un)).toBe("RetryNextHost")
    expect(decide(un, 1)).toBe("Rethrow")
    expect(decide(new ConnectionError({ message: "" }), 0, false)).toBe("Rethrow")
    expect(decide(new ConnectionError({ message: "" }), 0, true)).toBe("RetryNextHost")
    expect(decide(new IsBootstrapping({ message: "" }))).toBe("RetryNextHost")
    expect(decide(new SyntaxError({ message: "" }), 0, true)).toBe("Rethrow")
  })

  it("read failure: the next host (twice) when the replicas' reasons say it may pass (schema change in flight) or once when they say nothing", () => {
    const rf = (...reasons: Array<number>) =>
      new ReadFailure({
        message: "",
        consistency: "QUORUM",
        received: 1,
        blockFor: 2,
        numFailures: Math.max(1, reasons.length),
        reasons: reasons.map((reason, i) => ({ address: `10.0.0.${i + 1}`, reason })),
        dataPresent: false
      })
    // UNKNOWN is what Cassandra 5.0 replicas answer during ALTER TABLE; INCOMPATIBLE_SCHEMA says it
    expect([decide(rf(0)), decide(rf(3)), decide(rf(0, 3))]).toEqual(["RetryNextHost", "RetryNextHost", "RetryNextHost"])
    expect([decide(rf(0), 1), decide(rf(0), 2)]).toEqual(["RetryNextHost", "Rethrow"])
    // v3/v4 give no reasons: once
    expect([decide(rf()), decide(rf(), 1)]).toEqual(["RetryNextHost", "Rethrow"])
    // too many tombstones, a read too large, an index: they fail again
    expect([decide(rf(1)), decide(rf(4)), decide(rf(6)), decide(rf(0, 1))]).toEqual(["Rethrow", "Rethrow", "Rethrow", "Rethrow"])
    expect([rf(0).isRetryable, rf(3).isRetryable, rf().isRetryable, rf(1).isRetryable]).toEqual([true, true, false, false])
  })
})

describe("downgrading consistency retry policy (the Python driver's)", () => {
  const decide = (error: Retry.RetryContext["error"], retryCount = 0, idempotent = false) =>
    Retry.downgradingConsistencyRetryPolicy.decide({ error, retryCount, idempotent, consistency: Consistency.QUORUM })
  const rt = (received: number, blockFor: number, dataPresent: boolean, consistency = "QUORUM") =>
    new ReadTimeout({ message: "", consistency, received, blockFor, dataPresent })
  const wt = (writeType: string, received: number) => new WriteTimeout({ message: "", consistency: "QUORUM", received, blockFor: 3, writeType })
  const un = (alive: number, consistency = "QUORUM") => new Unavailable({ message: "", consistency, required: 3, alive })

  it("read timeout: fewer replicas answered: the level they give; enough without data: the same level; serial: rethrow", () => {
    expect(decide(rt(2, 3, false))).toEqual({ _tag: "RetrySameHost", consistency: Consistency.TWO })
    expect(decide(rt(1, 3, true))).toEqual({ _tag: "RetrySameHost", consistency: Consistency.ONE })
    expect(decide(rt(3, 4, false))).toEqual({ _tag: "RetrySameHost", consistency: Consistency.THREE })
    expect(decide(rt(0, 3, false))._tag).toBe("Rethrow")
    expect(decide(rt(3, 3, false))).toEqual({ _tag: "RetrySameHost" })
    expect(decide(rt(3, 3, true))._tag).toBe("Rethrow")
    expect(decide(rt(1, 2, false, "SERIAL"))._tag).toBe("Rethrow")
    expect(decide(rt(1, 2, false), 1)._tag).toBe("Rethrow")
  })

  it("write timeout: acknowledged simple, batch and counter writes are ignored; unlogged batches downgrade; batch log retries", () => {
    expect(decide(wt("SIMPLE", 1))._tag).toBe("Ignore")
    expect(decide(wt("BATCH", 2))._tag).toBe("Ignore")
    expect(decide(wt("COUNTER", 1))._tag).toBe("Ignore")
    expect(decide(wt("SIMPLE", 0))._tag).toBe("Rethrow")
    expect(decide(wt("UNLOGGED_BATCH", 2))).toEqual({ _tag: "RetrySameHost", consistency: Consistency.TWO })
    expect(decide(wt("UNLOGGED_BATCH", 0))._tag).toBe("Rethrow")
    expect(decide(wt("BATCH_LOG", 0))).toEqual({ _tag: "RetrySameHost" })
    expect(decide(wt("CAS", 1))._tag).toBe("Rethrow")
    expect(decide(wt("SIMPLE", 1), 1)._tag).toBe("Rethrow")
  })

  it("unavailable: the level the alive replicas give; a serial consistency goes to the next host; other errors as the default", () => {
    expect(decide(un(2))).toEqual({ _tag: "RetrySameHost", consistency: Consistency.TWO })
    expect(decide(un(0))._tag).toBe("Rethrow")
    expect(decide(un(1, "LOCAL_SERIAL"))).toEqual({ _tag: "RetryNextHost" })
    expect(decide(un(2), 1)._tag).toBe("Rethrow")
    expect(decide(new ConnectionError({ message: "" }), 0, true)._tag).toBe("RetryNextHost")
    expect(decide(new ConnectionError({ message: "" }), 0, false)._tag).toBe("Rethrow")
    expect(decide(new SyntaxError({ message: "" }), 0, true)._tag).toBe("Rethrow")
  })
})

describe("idempotence-aware write-timeout retry policy", () => {
  const wt = (writeType: string) => new WriteTimeout({ message: "", consistency: "QUORUM", received: 0, blockFor: 2, writeType })
  const decide = (policy: Retry.RetryPolicyShape, error: Retry.RetryContext["error"], retryCount: number, idempotent: boolean) =>
    policy.decide({ error, retryCount, idempotent, consistency: Consistency.QUORUM })._tag

  it("retries replayable writes of idempotent statements up to maxRetries; never counters, CAS or non-idempotent ones", () => {
    const once = Retry.idempotentWriteTimeoutRetryPolicy()
    for (const type of ["SIMPLE", "BATCH", "UNLOGGED_BATCH", "BATCH_LOG"]) {
      expect(decide(once, wt(type), 0, true)).toBe("RetrySameHost")
      expect(decide(once, wt(type), 1, true)).toBe("Rethrow")
      expect(decide(once, wt(type), 0, false)).toBe("Rethrow")
    }
    for (const type of ["COUNTER", "CAS", "VIEW", "CDC"]) expect(decide(once, wt(type), 0, true)).toBe("Rethrow")
    const thrice = Retry.idempotentWriteTimeoutRetryPolicy({ maxRetries: 3, base: Retry.neverRetryPolicy })
    expect(decide(thrice, wt("SIMPLE"), 2, true)).toBe("RetrySameHost")
    expect(decide(thrice, wt("SIMPLE"), 3, true)).toBe("Rethrow")
    // everything else is the base policy's
    const un = new Unavailable({ message: "", consistency: "QUORUM", required: 2, alive: 1 })
    expect(decide(thrice, un, 0, true)).toBe("Rethrow")
    expect(decide(once, un, 0, true)).toBe("RetryNextHost")
  })
})

describe("speculative execution policies", () => {
  const h = host("10.0.0.1", "dc1", 1n)
  const other = host("10.0.0.2", "dc1", 2n)
  /** The delays of the first `n` steps of the policy's Schedule (without sleeping them). */
  const delaysOf = (policy: SpeculativeExecution.SpeculativeExecutionPolicyShape, at: Host, n: number) =>
    Effect.gen(function*() {
      const step = yield* Schedule.toStep(policy.delays(at))
      const out: Array<number> = []
      for (let i = 0; i < n; i++) {
        const next = yield* Effect.exit(step(i * 1000, undefined))
        if (next._tag === "Failure") break
        out.push(Duration.toMillis(next.value[1]))
      }
      return out
    })

  it.effect("constant: the same delay each time; none: no step", () =>
    Effect.gen(function*() {
      expect(yield* delaysOf(SpeculativeExecution.constant({ delay: "75 millis", maxExecutions: 3 }), h, 3)).toEqual([75, 75, 75])
      expect(yield* delaysOf(SpeculativeExecution.none, h, 3)).toEqual([])
      expect(SpeculativeExecution.constant({ delay: "soon" as never, maxExecutions: 1 }).invalid).toMatchObject({ path: "delay" })
    }))

  it.effect("percentile: the fallback until a host has minSamples answers, then the p-th percentile of its last `window`", () =>
    Effect.gen(function*() {
      const policy = SpeculativeExecution.percentile({ percentile: 90, maxExecutions: 2, minSamples: 5, window: 10 })
      for (let i = 1; i <= 4; i++) policy.observe!(h, i * 10)
      expect(yield* delaysOf(policy, h, 2)).toEqual([100, 100])
      policy.observe!(h, 50)
      // 10..50: the 90th percentile (nearest rank) is 50
      expect(yield* delaysOf(policy, h, 1)).toEqual([50])
      // another host has its own latencies
      expect(yield* delaysOf(policy, other, 1)).toEqual([100])
      // the window keeps the last 10: after ten answers of 1 ms the old ones are gone
      for (let i = 0; i < 10; i++) policy.observe!(h, 1)
      expect(yield* delaysOf(policy, h, 1)).toEqual([1])
      const bad = SpeculativeExecution.percentile({ percentile: 0, maxExecutions: 1 })
      expect(bad.invalid).toMatchObject({ path: "percentile" })
    }))
})

describe("request options resolution (RequestDefaults)", () => {
  const defaults = RequestDefaults.make(
    { consistency: "QUORUM", fetchSize: 50 },
    { analytics: { consistency: "ONE", timeout: "1 minute", retry: Retry.neverRetryPolicy } }
  ) as RequestDefaults

  it("a call without options reuses one resolution per profile: nothing is allocated per request", () => {
    expect(defaults.resolve(undefined, undefined)).toBe(defaults.resolve(undefined, undefined))
    expect(defaults.resolve(undefined, "analytics")).toBe(defaults.resolve(undefined, "analytics"))
    expect(defaults.resolve(undefined, "analytics")).not.toBe(defaults.resolve(undefined, undefined))
  })

  it("call over profile over session defaults over the constants", () => {
    const plain = defaults.resolve(undefined, undefined) as ResolvedRequest
    expect([plain.consistency, plain.fetchSize, plain.timeoutMillis, plain.retry, plain.profile]).toEqual([Consistency.QUORUM, 50, 10_000, undefined, undefined])
    const analytics = defaults.resolve({ fetchSize: 7 }, "analytics") as ResolvedRequest
    expect([analytics.consistency, analytics.fetchSize, analytics.timeoutMillis, analytics.retry, analytics.profile])
      .toEqual([Consistency.ONE, 7, 60_000, Retry.neverRetryPolicy, "analytics"])
    // a profile named by the call wins over the scoped one
    expect((defaults.resolve({ profile: "analytics" }, "nope") as ResolvedRequest).profile).toBe("analytics")
    expect(defaults.resolve({ fetchSize: 1 }, "nope")).toMatchObject({ _tag: "InvalidInput", path: "ExecutionProfile.with" })
  })
})

describe("schema metadata from system_schema rows", () => {
  it("views keep their base table, where clause and keys; indexes and options belong to their table", () => {
    const col = (table: string, name: string, kind: string, position: number, type = "int") =>
      ({ keyspace_name: "ks", table_name: table, column_name: name, kind, position, type, clustering_order: "none" })
    const schema = buildSchema({
      keyspaces: [{ keyspace_name: "ks", replication: new Map([["class", "SimpleStrategy"], ["replication_factor", "1"]]), durable_writes: true }],
      tables: [{ keyspace_name: "ks", table_name: "users", id: "x", comment: "people", gc_grace_seconds: 10 }],
      columns: [
        col("users", "id", "partition_key", 0),
        col("users", "email", "regular", -1, "text"),
        col("users_by_email", "email", "partition_key", 0, "text"),
        col("users_by_email", "id", "clustering", 0)
      ],
      types: [],
      functions: [],
      aggregates: [],
      views: [{ keyspace_name: "ks", view_name: "users_by_email", base_table_name: "users", include_all_columns: false, where_clause: "email IS NOT NULL AND id IS NOT NULL", comment: "" }],
      indexes: [{ keyspace_name: "ks", table_name: "users", index_name: "users_email", kind: "COMPOSITES", options: new Map([["target", "email"]]) }]
    })
    const ks = schema.get("ks")!
    const users = ks.tables.get("users")!
    expect(users.options).toEqual({ comment: "people", gc_grace_seconds: 10 })
    expect(users.indexes).toEqual([{ name: "users_email", kind: "COMPOSITES", options: { target: "email" } }])
    const view = ks.views.get("users_by_email")!
    expect(view).toMatchObject({ baseTable: "users", includeAllColumns: false, whereClause: "email IS NOT NULL AND id IS NOT NULL" })
    expect(view.partitionKey.map((c) => c.name)).toEqual(["email"])
    expect(view.clusteringKey.map((c) => c.name)).toEqual(["id"])
    expect(ks.tables.has("users_by_email")).toBe(false)
  })
})
