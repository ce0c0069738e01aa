// Paging: a Stream that fetches the next page only when the consumer pulls, and manual paging that
// stops and resumes later from a saved paging state.
import { NodeRuntime } from "@effect/platform-node"
import { Cluster, Session } from "@effect-cassandra/driver"
import { Console, Effect, Layer, Stream } from "effect"

const program = Effect.gen(function*() {
  yield* Session.execute("CREATE KEYSPACE IF NOT EXISTS examples WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
  yield* Session.execute("CREATE TABLE IF NOT EXISTS examples.numbers (bucket int, n int, PRIMARY KEY (bucket, n))")
  const insert = yield* Session.prepare("INSERT INTO examples.numbers (bucket, n) VALUES (?, ?)")
  yield* Effect.forEach(Array.from({ length: 2500 }, (_, i) => i), (n) => Session.execute(insert, [0, n]), { concurrency: 64, discard: true })

  // 1. a Stream: back-pressured, one page (fetchSize rows) at a time
  const firstTen = yield* Session.stream("SELECT n FROM examples.numbers WHERE bucket = 0", [], { fetchSize: 1000 }).pipe(
    Stream.take(10),
    Stream.map((row) => row["n"]),
    Stream.runCollect
  )
  yield* Console.log(`the first ten rows (only one page was fetched): ${firstTen.join(", ")}`)

  // 2. manual paging: keep the paging state, resume later (e.g. in the next HTTP request)
  const page1 = yield* Session.execute("SELECT n FROM examples.numbers WHERE bucket = 0", [], { fetchSize: 1000 })
  yield* Console.log(`page 1: ${page1.rows.length} rows, more pages: ${page1.hasMorePages}`)
  const saved = page1.pagingState
  const page2 = yield* Session.execute("SELECT n FROM examples.numbers WHERE bucket = 0", [], { fetchSize: 1000, pagingState: saved })
  yield* Console.log(`page 2 resumed from the saved state: ${page2.rows.length} rows, starting at n=${page2.rows[0]?.["n"]}`)
  const page3 = yield* page2.nextPage
  yield* Console.log(`page 3 via nextPage: ${page3.rows.length} rows, more pages: ${page3.hasMorePages}`)
})

program.pipe(Effect.provide(Session.layer().pipe(Layer.provide(Cluster.layerConfig()))), NodeRuntime.runMain)
