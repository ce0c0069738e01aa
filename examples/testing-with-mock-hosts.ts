// Testing an application's Cassandra code with mock hosts (@effect-cassandra/testing): no Cassandra
// needed, failures on demand, virtual time. Run: node --conditions=source examples/testing-with-mock-hosts.ts
//
// The application part is `UserRepository`, a small repository over the Session. The test part runs
// each check against a fresh three-node mock cluster (in memory), the way a vitest suite would with
// `it.effect(..., () => check.pipe(Effect.provide(TestLayer)))`.
import { Cluster, type Errors, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { Cause, Console, Context, Effect, Exit, Fiber, Layer, Option, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"

// ---------------------------------------------------------------------------------------------
// The application code under test

const User = Schema.Struct({ id: Schema.String, name: Schema.String, email: Schema.String })
type User = typeof User.Type

class UserRepository extends Context.Service<UserRepository, {
  readonly find: (id: string) => Effect.Effect<Option.Option<User>, Errors.CassandraError>
  readonly save: (user: User) => Effect.Effect<void, Errors.CassandraError>
  readonly all: Stream.Stream<User, Errors.CassandraError>
}>()("example/UserRepository") {
  static readonly layer = Layer.effect(
    UserRepository,
    Effect.gen(function*() {
      const session = yield* Session.Session
      const select = yield* session.prepare("SELECT id, name, email FROM app.users WHERE id = ?")
      const insert = yield* session.prepare("INSERT INTO app.users (id, name, email) VALUES (?, ?, ?)")
      return UserRepository.of({
        find: (id) =>
          session.execute(select, [id], { schema: User, consistency: "LOCAL_QUORUM", idempotent: true, timeout: "2 seconds" }).pipe(
            Effect.map((rs) => Option.fromNullishOr(rs.rows[0]))
          ),
        save: (user) => Effect.asVoid(session.execute(insert, [user.id, user.name, user.email], { consistency: "LOCAL_QUORUM" })),
        all: session.stream("SELECT id, name, email FROM app.users", undefined, { schema: User, fetchSize: 100 })
      })
    })
  )
}

// ---------------------------------------------------------------------------------------------
// The test setup: the repository on a real driver Session on three mock hosts

const TestLayer = UserRepository.layer.pipe(
  Layer.provideMerge(Session.layer()),
  Layer.provideMerge(MockCluster.clusterLayer()),
  // the table's columns give the prepared statements their variable types
  Layer.provideMerge(MockCluster.layer({ hosts: 3, tables: { "app.users": { id: "uuid", name: "text", email: "text" } } }))
)

const ada: User = { id: "5a1d1d3e-0000-4000-8000-000000000001", name: "Ada", email: "ada@example.com" }
const userRows = (users: ReadonlyArray<User>) => Answer.rows({ id: "uuid", name: "text", email: "text" }, users)
const findQuery = "SELECT id, name, email FROM app.users WHERE id = ?"

const check = (name: string, body: Effect.Effect<void, unknown, UserRepository | MockCluster.MockCluster | Cluster.Cluster>) =>
  // each check gets its own cluster, and a TestClock: delays and timeouts only pass when the check says so
  Effect.exit(body.pipe(Effect.provide(TestLayer), Effect.provide(TestClock.layer()))).pipe(
    Effect.tap((exit) =>
      Console.log(Exit.isSuccess(exit) ? `✓ ${name}` : `✗ ${name}\n${Cause.pretty(exit.cause)}`)
    )
  )

const assert = (condition: boolean, message: string) => (condition ? Effect.void : Effect.die(new Error(message)))

const checks = [
  check(
    "find returns the primed user, and nothing for an unknown id",
    Effect.gen(function*() {
      const repo = yield* UserRepository
      yield* MockCluster.prime({ query: findQuery, values: [ada.id], then: userRows([ada]) })
      const found = yield* repo.find(ada.id)
      yield* assert(Option.isSome(found) && found.value.name === "Ada", `found ${JSON.stringify(found)}`)
      const missing = yield* repo.find("5a1d1d3e-0000-4000-8000-0000000000ff")
      yield* assert(Option.isNone(missing), "an unknown id should find nothing")
    })
  ),
  check(
    "save sends the user's values at LOCAL_QUORUM",
    Effect.gen(function*() {
      const repo = yield* UserRepository
      yield* repo.save(ada)
      const [write] = yield* MockCluster.activity({ kind: "execute", query: /^INSERT INTO app\.users/ })
      yield* assert(write?.consistency === "LOCAL_QUORUM", `consistency ${write?.consistency}`)
      yield* assert(JSON.stringify(write?.decodedValues) === JSON.stringify([ada.id, ada.name, ada.email]), `values ${JSON.stringify(write?.decodedValues)}`)
    })
  ),
  check(
    "a node goes down: reads keep working on the other nodes",
    Effect.gen(function*() {
      const repo = yield* UserRepository
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      yield* mock.prime({ query: findQuery, then: userRows([ada]) })
      yield* mock.hostDown(0)
      // the driver sees the connection close on the next turn of the event loop
      while (cluster.getHost("127.0.0.1:9042")?.isUp !== false) yield* Effect.yieldNow
      for (let i = 0; i < 6; i++) yield* repo.find(ada.id)
      const hosts = new Set((yield* mock.activity({ query: findQuery, kind: "execute" })).map((a) => a.host))
      yield* assert(!hosts.has("127.0.0.1:9042") && hosts.size === 2, `reads went to ${[...hosts].join(", ")}`)
    })
  ),
  check(
    "a read timeout on the coordinator is retried once, transparently",
    Effect.gen(function*() {
      const repo = yield* UserRepository
      yield* MockCluster.prime({ query: findQuery, then: [Answer.readTimeout({ received: 2, blockFor: 2 }), userRows([ada])] })
      const found = yield* repo.find(ada.id)
      yield* assert(Option.isSome(found), "the retry should have found the user")
      const answers = (yield* MockCluster.activity({ query: findQuery, kind: "execute" })).map((a) => a.answer)
      yield* assert(answers.join(", ") === "Error(READ_TIMEOUT), Rows(1)", answers.join(", "))
    })
  ),
  check(
    "a node that stops answering: find fails with OperationTimedOut after 2 seconds (of virtual time)",
    Effect.gen(function*() {
      const repo = yield* UserRepository
      yield* MockCluster.prime({ query: findQuery, then: Answer.delayed("1 minute", userRows([ada])) })
      const fiber = yield* Effect.forkChild(Effect.flip(repo.find(ada.id)))
      yield* MockCluster.awaitActivity({ query: findQuery, kind: "execute" })
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)
      yield* assert(error._tag === "OperationTimedOut", `got ${error._tag}`)
    })
  ),
  check(
    "all pages through 250 users, 100 at a time",
    Effect.gen(function*() {
      const repo = yield* UserRepository
      const users = Array.from({ length: 250 }, (_, i) => ({
        ...ada,
        id: `5a1d1d3e-0000-4000-8000-${String(i).padStart(12, "0")}`,
        name: `user ${i}`
      }))
      yield* MockCluster.prime({ query: "SELECT id, name, email FROM app.users", then: userRows(users) })
      const all = yield* Stream.runCollect(repo.all)
      yield* assert(all.length === 250, `got ${all.length}`)
      const pages = yield* MockCluster.activity({ query: "SELECT id, name, email FROM app.users" })
      yield* assert(pages.length === 3 && pages.every((p) => p.pageSize === 100), `${pages.length} pages`)
    })
  )
]

const results = await Effect.runPromise(Effect.all(checks))
const failed = results.filter(Exit.isFailure).length
console.log(failed === 0 ? `all ${results.length} checks passed` : `${failed} of ${results.length} checks failed`)
process.exitCode = failed === 0 ? 0 : 1
