/** Shared by the driver's mock-host tests: a Session on mock hosts, and waiting on real event-loop turns. */
import { Cluster, Session } from "@effect-cassandra/driver"
import { MockCluster } from "@effect-cassandra/testing"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** A Session and Cluster on in-memory mock hosts (schema metadata off: the tests prime what they need). */
export const env = (mock: MockCluster.MockClusterOptions = { hosts: 3 }, cluster: Partial<Cluster.ClusterOptions> = {}) =>
  Session.layer().pipe(
    Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, ...cluster })),
    Layer.provideMerge(MockCluster.layer(mock))
  )

/** Lets socket callbacks run (closes are reported on the next tick). */
export const tick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Waits (in real event-loop turns, not clock time) until `condition` holds. */
export const eventually = (condition: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (condition()) return
      yield* tick
    }
    throw new Error(`never happened: ${what}`)
  })
