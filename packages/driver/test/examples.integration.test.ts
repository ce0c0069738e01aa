/**
 * The quickstart example (what `npm run demo` runs) against the test node.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { testCluster } from "@effect-cassandra/local/vitest"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { TestConsole } from "effect/testing"
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
