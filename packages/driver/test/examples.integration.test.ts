/**
 * The quickstart example (what `npm run demo` runs) against the test node.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { testCluster } from "@effect-cassandra/local/vitest"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { TestConsole } from "effect/testing"
import { execFile } from "node:child_process"
import path from "node:path"
import { promisify } from "node:util"
import { quickstart } from "../../../examples/quickstart.ts"

const info = testCluster()

it.live("examples/quickstart.ts runs and reports what it did", () =>
  Effect.gen(function*() {
    yield* quickstart.pipe(
      Effect.provide(Session.layer().pipe(Layer.provideMerge(Cluster.layer({ contactPoints: info.contactPoints, localDc: info.localDatacenter }))))
    )
    const lines = (yield* TestConsole.logLines).map(String)
    expect(lines.some((l) => l.includes("read back user 1: Ada"))).toBe(true)
    expect(lines).toContain("streamed 3000 events in pages of 500")
    expect(lines.some((l) => l.startsWith("LWT: first applied=true, second applied=false"))).toBe(true)
  }).pipe(Effect.provide(TestConsole.layer)), { timeout: 120_000 })

const runExample = (name: string) =>
  Effect.promise(() =>
    promisify(execFile)(process.execPath, ["--conditions=source", `examples/${name}`], {
      cwd: path.resolve(import.meta.dirname, "../../.."),
      timeout: 60_000,
      env: {
        ...process.env,
        CASSANDRA_CONTACT_POINTS: info.contactPoints.join(","),
        CASSANDRA_LOCAL_DC: info.localDatacenter,
        ...(info.credentials ? { CASSANDRA_USERNAME: info.credentials.username, CASSANDRA_PASSWORD: info.credentials.password } : {})
      }
    })
  )

it.live("examples/paging.ts, errors-and-policies.ts and tracing.ts run against the node", () =>
  Effect.gen(function*() {
    const paging = yield* runExample("paging.ts")
    expect(paging.stdout).toContain("page 3 via nextPage: 500 rows, more pages: false")
    const errors = yield* runExample("errors-and-policies.ts")
    expect(errors.stdout).toMatch(/InvalidRequest from .*no_such_keyspace/)
    expect(errors.stdout).toMatch(/InvalidInput: values\[0\]/)
    expect(errors.stdout).toMatch(/^scan with a 1 ms timeout: (answered in time with \d+ rows|OperationTimedOut after 1 ms)$/m)
    expect(errors.stdout).toMatch(/InvalidInput: options\.consistency: unknown consistency level "QUOROM"/)
    const tracing = yield* runExample("tracing.ts")
    expect(tracing.stdout).toMatch(/^trace [0-9a-f-]{36}: /m)
    expect(tracing.stdout).toMatch(/server warnings: \["Aggregation query used without partition key"\]/)
    expect(tracing.stdout).toMatch(/custom payload sent: example=hello; came back: (hello|\(nothing: no mirroring handler\))/)
  }), { timeout: 180_000 })

it.live("examples/batches.ts, metadata.ts, speculative-and-metrics.ts and profiles.ts run against the node", () =>
  Effect.gen(function*() {
    const batches = yield* runExample("batches.ts")
    expect(batches.stdout).toContain("logged batch: Ada=100, Grace=50")
    expect(batches.stdout).toContain("unlogged batch: 3 ledger entries, sum -15")
    expect(batches.stdout).toMatch(/counter batch: \/home has \d+ views/)
    const metadata = yield* runExample("metadata.ts")
    expect(metadata.stdout).toContain("table customers: partition key (region), clustering (id asc)")
    expect(metadata.stdout).toContain("user type address: street text, city text")
    expect(metadata.stdout).toContain("home is an Address: true (London)")
    expect(metadata.stdout).toContain("CREATE TABLE examples.customers (\n    region text,\n    id int,")
    expect(metadata.stdout).toMatch(/partition 'eu': token -5180702733755678319, replicas /)
    const observability = yield* runExample("speculative-and-metrics.ts")
    expect(observability.stdout).toMatch(/requests: \d+ succeeded, 1 SyntaxError/)
    expect(observability.stdout).toMatch(/in flight now: 0/)
    expect(observability.stdout).toMatch(/spans: \d+, e\.g\. "SELECT system\.local" on 127\.0\.0\.1 \(1 row, consistency local_one\)/)
    const profiles = yield* runExample("profiles.ts")
    expect(profiles.stdout).toMatch(/^oltp read: release 5\./m)
    expect(profiles.stdout).toMatch(/^analytics page: 100 rows, more pages: true$/m)
    expect(profiles.stdout).toMatch(/^columns counted under the analytics profile, 100 rows a page: \d{3,}$/m)
    expect(profiles.stdout).toContain("per-statement retry policy: 1 row")
    expect(profiles.stdout).toContain(`InvalidInput: options.profile: unknown execution profile "olap"`)
  }), { timeout: 180_000 })
