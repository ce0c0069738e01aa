/**
 * Execution profiles against a real Cassandra node (issue 13): what the node does with each profile's
 * settings. One node and a keyspace of replication factor 1, so consistency TWO is Unavailable there:
 * the node's own refusal shows which consistency a request carried.
 */
import { Cluster, ExecutionProfile, Retry, Session } from "@effect-cassandra/driver"
import { testCluster } from "@effect-cassandra/local/vitest"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"

const info = testCluster()
const ks = "it_profiles"

const clusterLayer = Cluster.layer({
  contactPoints: info.contactPoints,
  localDc: info.localDatacenter,
  ...(info.credentials ? { auth: info.credentials } : {})
})
const setup = Layer.effectDiscard(Effect.gen(function*() {
  yield* Session.execute(`DROP KEYSPACE IF EXISTS ${ks}`)
  yield* Session.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)
  yield* Session.execute(`CREATE TABLE ${ks}.kv (k int, c int, v text, PRIMARY KEY (k, c))`)
  for (let c = 0; c < 5; c++) yield* Session.execute(`INSERT INTO ${ks}.kv (k, c, v) VALUES (1, ?, 'x')`, [c])
}))
const sessionLayer = Layer.provideMerge(
  setup,
  Session.layer({
    profiles: {
      // never retried: the default policy would try the next host, and with one node end in NoHostAvailable
      strict: { consistency: "TWO", retry: Retry.neverRetryPolicy },
      downgrading: { consistency: "TWO", retry: Retry.downgradingConsistencyRetryPolicy },
      scan: { fetchSize: 2, tracing: true }
    }
  })
).pipe(Layer.provideMerge(clusterLayer))

const select = `SELECT * FROM ${ks}.kv WHERE k = 1`

layer(sessionLayer, { excludeTestServices: true, timeout: "120 seconds" })("execution profiles on a real node", (it) => {
  it.effect("each profile's consistency, retry policy, fetch size and tracing reach the node", () =>
    Effect.gen(function*() {
      // the session's defaults: LOCAL_ONE, one page
      const plain = yield* Session.execute(select)
      expect(plain.rows.length).toBe(5)
      expect(plain.hasMorePages).toBe(false)
      // TWO replicas of a keyspace with one: the node refuses
      const strict = yield* Effect.exit(Session.execute(select, undefined, { profile: "strict" }))
      expect(Exit.isFailure(strict) && strict.cause.reasons[0]).toMatchObject({ _tag: "Fail", error: { _tag: "Unavailable", consistency: "TWO", required: 2, alive: 1 } })
      // the same, scoped over a region; a call's consistency still wins
      const scoped = yield* Effect.exit(ExecutionProfile.with("strict")(Session.execute(select)))
      expect(Exit.isFailure(scoped)).toBe(true)
      const overridden = yield* ExecutionProfile.with("strict")(Session.execute(select, undefined, { consistency: "ONE" }))
      expect(overridden.rows.length).toBe(5)
      // the downgrading policy retries at ONE, the one replica alive
      const downgraded = yield* Session.execute(select, undefined, { profile: "downgrading" })
      expect(downgraded.rows.length).toBe(5)
      // pages of two rows, traced
      const page = yield* Session.execute(select, undefined, { profile: "scan" })
      expect(page.rows.length).toBe(2)
      expect(page.hasMorePages).toBe(true)
      expect(page.tracingId).toMatch(/^[0-9a-f-]{36}$/)
      const second = yield* page.nextPage
      expect(second.rows.length).toBe(2)
      // an unknown profile never reaches the node
      const unknown = yield* Effect.exit(Session.execute(select, undefined, { profile: "olap" }))
      expect(Exit.isFailure(unknown) && unknown.cause.reasons[0]).toMatchObject({ _tag: "Fail", error: { _tag: "InvalidInput", path: "options.profile" } })
    }))
})
