import { Cluster, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const env = (options: MockCluster.MockClusterOptions, cluster: Partial<Cluster.ClusterOptions> = {}) =>
  Session.layer().pipe(
    Layer.provideMerge(MockCluster.clusterLayer(cluster)),
    Layer.provideMerge(MockCluster.layer(options))
  )

describe("smoke", () => {
  it.effect("connects and answers a primed query", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      yield* mock.prime({ query: "SELECT name FROM ks.users WHERE id = ?", variables: { id: "int" }, then: Answer.rows({ name: "text" }, [{ name: "ada" }]) })
      const rs = yield* Session.execute("SELECT name FROM ks.users WHERE id = ?", [1])
      expect(rs.rows).toEqual([{ name: "ada" }])
      const cluster = yield* Cluster.Cluster
      expect(cluster.protocolVersion).toBe(5)
      expect(cluster.hosts().length).toBe(3)
      const log = yield* mock.activity()
      console.log(log.map((a) => `${a.host} ${a.kind} ${a.query} ${a.answer}`))
    }).pipe(Effect.provide(env({ hosts: 3 }))))
})
