/**
 * A canned responder for benchmarks: `MockCluster.serve` with one primed answer, in its own process.
 *
 *   node --conditions=source packages/testing/bench/mock-server.ts [--hosts 1] [--port 19042] [--rows 1]
 *
 * Primes `SELECT * FROM bench.kv WHERE k = ?` (and any other SELECT on bench.kv) with `--rows` rows
 * of (k int, v text, n bigint); writes get void. Prints `listening <port>` when ready; on `cpu` on
 * stdin it prints its CPU time in microseconds (user+system) and the requests answered.
 */
import { Answer, MockCluster } from "@effect-cassandra/testing"
import * as Effect from "effect/Effect"

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

const program = Effect.gen(function*() {
  const server = yield* MockCluster.serve({
    hosts: arg("hosts", 1),
    port: arg("port", 0),
    tables: { "bench.kv": { k: "int", v: "text", n: "bigint" } },
    activityLimit: arg("activity", 0)
  })
  const rows = Array.from({ length: arg("rows", 1) }, (_, i) => ({ k: i, v: `value-${i}`, n: BigInt(i) * 1000n }))
  const prime = yield* server.prime({ query: /^SELECT .* FROM bench\.kv/, then: Answer.rows({ k: "int", v: "text", n: "bigint" }, rows) })
  process.stdout.write(`listening ${server.port}\n`)
  process.stdin.setEncoding("utf8")
  process.stdin.on("data", (line: string) => {
    if (line.trim() === "exit") process.exit(0)
    if (line.trim() === "cpu") {
      const u = process.cpuUsage()
      Effect.runPromise(prime.uses).then((n) => process.stdout.write(`cpu ${u.user + u.system} ${n}\n`))
    }
  })
  yield* Effect.never
})

Effect.runPromise(Effect.scoped(program)).catch((e) => {
  console.error(e)
  process.exit(1)
})
