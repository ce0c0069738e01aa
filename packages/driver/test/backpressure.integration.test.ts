/**
 * Back-pressure against the test node: 100,000 requests started at once on one connection, default settings.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { testCluster } from "@effect-cassandra/local/vitest"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const info = testCluster()
const live = Session.layer().pipe(
  Layer.provideMerge(Cluster.layer({ contactPoints: info.contactPoints, localDc: info.localDatacenter }))
)

layer(live, { excludeTestServices: true })("a burst on one connection", (it) => {
  it.effect("100,000 requests started at once all succeed: beyond the 32768 stream ids they wait for one", () =>
    Effect.gen(function*() {
      const p = yield* Session.prepare("SELECT release_version FROM system.local WHERE key = ?")
      const tags: Record<string, number> = {}
      yield* Effect.forEach(
        Array.from({ length: 100_000 }),
        () =>
          Effect.match(Session.execute(p, ["local"], { timeout: "2 minutes" }), {
            onFailure: (e) => { tags[e._tag] = (tags[e._tag] ?? 0) + 1 },
            onSuccess: (rs) => { if (rs.rows.length === 1) tags["Success"] = (tags["Success"] ?? 0) + 1 }
          }),
        { concurrency: "unbounded", discard: true }
      )
      expect(tags).toEqual({ Success: 100_000 })
    }), 300_000)
})
