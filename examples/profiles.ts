// Execution profiles: an OLTP path, an analytics scan and an LWT path, each with its own consistency,
// timeout, retry policy and speculative execution, chosen per call or over a region of code.
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, ExecutionProfile, Retry, Session, SpeculativeExecution } from "@effect-cassandra/driver"
import { Console, Effect, Layer, Stream } from "effect"

const SessionLive = Session.layer({
  // requests that name no profile (and run outside ExecutionProfile.with) take "oltp"
  defaults: { profile: "oltp" },
  profiles: {
    // short timeouts; idempotent reads start a second execution after the host's p99 latency
    oltp: {
      consistency: "LOCAL_ONE",
      timeout: "2 seconds",
      idempotent: true,
      speculativeExecution: SpeculativeExecution.percentile({ percentile: 99, maxExecutions: 1 })
    },
    // long scans in small pages; when replicas are missing, read at what is left (the Python driver's policy)
    analytics: { consistency: "ONE", timeout: "1 minute", fetchSize: 100, retry: Retry.downgradingConsistencyRetryPolicy },
    // conditional writes: never retried
    lwt: { consistency: "LOCAL_QUORUM", serialConsistency: "LOCAL_SERIAL", retry: Retry.neverRetryPolicy }
  }
}).pipe(Layer.provideMerge(Cluster.layerConfig()))

const program = Effect.gen(function*() {
  const p = yield* Session.prepare("SELECT release_version FROM system.local WHERE key = ?")
  for (let i = 0; i < 20; i++) yield* Session.execute(p, ["local"])
  const version = yield* Session.execute(p, ["local"])
  yield* Console.log(`oltp read: release ${String(version.rows[0]?.["release_version"])}`)

  const page = yield* Session.execute("SELECT keyspace_name, table_name, column_name FROM system_schema.columns", [], { profile: "analytics" })
  yield* Console.log(`analytics page: ${page.rows.length} rows, more pages: ${page.hasMorePages}`)

  // every request inside the region takes the analytics profile (a request naming a profile keeps its own)
  const columns = yield* ExecutionProfile.with("analytics")(Stream.runCount(Session.stream("SELECT * FROM system_schema.columns")))
  yield* Console.log(`columns counted under the analytics profile, 100 rows a page: ${columns}`)

  // a retry policy for one statement, over its profile's
  const once = yield* Session.execute(p, ["local"], { profile: "analytics", retry: Retry.idempotentWriteTimeoutRetryPolicy() })
  yield* Console.log(`per-statement retry policy: ${once.rows.length} row`)

  // an unknown profile fails before anything is sent
  const bad = yield* Effect.flip(Session.execute(p, ["local"], { profile: "olap" }))
  yield* Console.log(`${bad._tag}: ${bad.message}`)
})

program.pipe(Effect.provide(SessionLive), NodeRuntime.runMain)
