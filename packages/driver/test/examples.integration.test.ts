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
    const tracing = yield* runExample("tracing.ts")
    expect(tracing.stdout).toMatch(/^trace [0-9a-f-]{36}: /m)
  }), { timeout: 180_000 })
