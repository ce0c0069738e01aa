/** The README's examples, as they are written there. */
import { Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"

const TestLayer = Session.layer().pipe(
  Layer.provideMerge(MockCluster.clusterLayer()),
  Layer.provideMerge(MockCluster.layer({ hosts: 3, tables: { "app.users": { id: "uuid", name: "text" } } }))
)

it.effect("a read timeout is retried once on the same host", () =>
  Effect.gen(function*() {
    const q = "SELECT name FROM app.users WHERE id = ?"
    yield* MockCluster.prime({
      query: q,
      then: [Answer.readTimeout({ received: 1, blockFor: 1 }), Answer.rows({ name: "text" }, [{ name: "ada" }])]
    })
    const rs = yield* Session.execute(q, ["5a1d1d3e-0000-4000-8000-000000000001"], { prepare: true })
    expect(rs.rows).toEqual([{ name: "ada" }])
    // values go prepared (the driver's PREPAREs are in the log too): the EXECUTEs
    const log = yield* MockCluster.activity({ query: q, kind: "execute" })
    expect(log.map((a) => a.answer)).toEqual(["Error(READ_TIMEOUT)", "Rows(1)"])
    expect(log[1]!.host).toBe(log[0]!.host)
  }).pipe(Effect.provide(TestLayer)))

it.effect("a host that never answers: OperationTimedOut, in virtual time", () =>
  Effect.gen(function*() {
    yield* MockCluster.prime({ query: /FROM app\.users/, then: Answer.noAnswer })
    const fiber = yield* Effect.forkChild(Effect.flip(Session.execute("SELECT * FROM app.users", [], { timeout: "2 seconds" })))
    yield* MockCluster.awaitActivity({ query: "SELECT * FROM app.users" }) // the request has arrived
    yield* TestClock.adjust("2 seconds")
    expect((yield* Fiber.join(fiber))._tag).toBe("OperationTimedOut")
  }).pipe(Effect.provide(TestLayer)))

it.live("serve: three hosts on one port", () =>
  Effect.gen(function*() {
    const server = yield* MockCluster.serve({ hosts: 3 })
    yield* server.prime({ query: /^SELECT .* FROM bench\.kv/, then: Answer.rows({ k: "int", v: "text" }, [{ k: 1, v: "one" }]) })
    expect(server.contactPoints).toEqual([1, 2, 3].map((i) => `127.0.0.${i}:${server.port}`))
    const rs = yield* Effect.provide(
      Session.execute("SELECT k, v FROM bench.kv WHERE k = 1"),
      Session.layer().pipe(Layer.provideMerge(MockCluster.clusterLayer()), Layer.provide(Layer.succeed(MockCluster.MockCluster, server)))
    )
    expect(rs.rows).toEqual([{ k: 1, v: "one" }])
  }).pipe(Effect.scoped))
