/**
 * What effect/sql costs over the driver: the same prepared SELECT by primary key, one row back, through
 * `Session.execute(prepared, [k])` and through `` sql`SELECT ... WHERE k = ${k}` `` (CassandraClient), against
 * the canned responder (packages/testing/bench/mock-server.ts) in its own process. Rounds alternate A B / B A;
 * it prints the client's CPU time per request and the requests per second, sequential and with 64 in flight.
 *
 *   node --conditions=source packages/sql/bench/overhead.ts [--n 20000] [--rounds 3]
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { CassandraClient } from "@effect-cassandra/sql"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { SqlClient } from "effect/sql"
import { spawn } from "node:child_process"
import * as path from "node:path"
import * as readline from "node:readline"

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const N = arg("n", 20000)
const ROUNDS = arg("rounds", 3)
const QUERY = "SELECT k, v, n FROM bench.kv WHERE k = ?"
const PREPARE = { prepare: true } as const

const startResponder = () =>
  new Promise<{ port: number; stop: () => void }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=source", path.join(import.meta.dirname, "../../testing/bench/mock-server.ts"), "--port", "0"], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    child.on("error", reject)
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /^listening (\d+)$/.exec(line)
      if (m) resolve({ port: Number(m[1]), stop: () => child.kill() })
    })
  })

interface Sample {
  readonly cpuMicrosPerOp: number
  readonly opsPerSecond: number
}

const measure = (run: (i: number) => Effect.Effect<unknown, unknown>, concurrency: number): Effect.Effect<Sample, unknown> =>
  Effect.gen(function*() {
    const cpu = process.cpuUsage()
    const start = performance.now()
    yield* Effect.forEach(Array.from({ length: N }, (_, i) => i), run, { concurrency, discard: true })
    const ms = performance.now() - start
    const used = process.cpuUsage(cpu)
    return { cpuMicrosPerOp: (used.user + used.system) / N, opsPerSecond: (N / ms) * 1000 }
  })

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const program = (port: number) =>
  Effect.gen(function*() {
    const session = yield* Session.Session
    const sql = yield* SqlClient.SqlClient
    const prepared = yield* session.prepare(QUERY)
    const paths: Record<string, (i: number) => Effect.Effect<unknown, unknown>> = {
      "Session.execute(prepared)": (i) => session.execute(prepared, [i % 100]),
      "Session.execute(text, { prepare: true })": (i) => session.execute(QUERY, [i % 100], PREPARE),
      "sql`...` (CassandraClient)": (i) => sql`SELECT k, v, n FROM bench.kv WHERE k = ${i % 100}`
    }
    const names = Object.keys(paths)
    // warm up both paths
    for (const name of names) yield* measure(paths[name]!, 64)
    const results: Record<string, Array<Sample>> = {}
    const record = (name: string, s: Sample) => (results[name] ??= []).push(s)
    for (let round = 0; round < ROUNDS; round++) {
      for (const concurrency of [1, 64]) {
        const order = round % 2 === 0 ? names : [...names].reverse()
        for (const name of order) record(`${name}|${concurrency}`, yield* measure(paths[name]!, concurrency))
      }
    }
    console.log(`responder on 127.0.0.1:${port}; ${N} requests per sample, ${ROUNDS} rounds, medians:`)
    console.log("| path | concurrency | client CPU µs/request | requests/s |")
    console.log("| --- | --- | --- | --- |")
    for (const [name, samples] of Object.entries(results)) {
      const [which, c] = name.split("|")
      console.log(
        `| ${which} | ${c} | ${median(samples.map((s) => s.cpuMicrosPerOp)).toFixed(1)} | ${
          Math.round(median(samples.map((s) => s.opsPerSecond)))
        } |`
      )
    }
  })

const responder = await startResponder()
try {
  const live = CassandraClient.layer().pipe(
    Layer.provideMerge(Session.layer()),
    Layer.provideMerge(Cluster.layer({ contactPoints: [`127.0.0.1:${responder.port}`], localDc: "dc1" }))
  )
  await Effect.runPromise(program(responder.port).pipe(Effect.provide(live)))
} finally {
  responder.stop()
}
