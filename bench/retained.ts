// What a stream keeps alive, as opposed to what it allocates: streams R rows (5000-row pages) from the
// responder through Session.stream or cassandra-driver's stream(), and at the middle and at the first row of
// every page-th page forces two full GCs and prints heapUsed minus the baseline (MiB). One page held means
// the pages before it were released; two at the first row of a page would mean the previous one was still
// referenced while the next was fetched.
//
//   node --expose-gc --conditions=source bench/retained.ts ours|peer [--rows 100000] [--every 1] [--host 127.0.0.50:9042]
//
// Needs a running responder (bench/responder.ts). Not part of `npm run bench`.
import { Cluster, Session } from "@effect-cassandra/driver"
import cassandra from "cassandra-driver"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { PAGE_ROWS, parseArgs, STREAM_QUERY } from "./common.ts"

const args = parseArgs(process.argv.slice(2))
const driver = args.positional[0] ?? "ours"
const rows = args.num("rows", 100_000)
const every = args.num("every", 1)
const hostPort = args.str("host", "127.0.0.50:9042")
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

let base = 0
let seen = 0
const out: Array<string> = []
const probe = () => {
  seen++
  const inPage = seen % PAGE_ROWS
  const page = Math.floor(seen / PAGE_ROWS)
  if (page % every !== 0 || (inPage !== 1 && inPage !== PAGE_ROWS / 2)) return
  gc()
  gc()
  out.push(`${seen}:${((process.memoryUsage().heapUsed - base) / 1048576).toFixed(2)}`)
}
const baseline = () => {
  gc()
  gc()
  base = process.memoryUsage().heapUsed
}

const ours = Effect.gen(function*() {
  const session = yield* Session.Session
  const p = yield* session.prepare(STREAM_QUERY)
  baseline()
  yield* session.stream(p, [rows]).pipe(Stream.runForEach(() => {
    probe()
    return seen % 250 === 0 ? Effect.sleep(1) : Effect.void
  }))
}).pipe(
  Effect.provide(Session.layer().pipe(Layer.provideMerge(Cluster.layer({
    contactPoints: [hostPort],
    localDc: "datacenter1",
    protocolVersion: 4,
    compression: false,
    schemaMetadataEnabled: false
  }))))
)

const peer = async () => {
  const [host, port] = hostPort.split(":") as [string, string]
  const client = new cassandra.Client({
    contactPoints: [host],
    localDataCenter: "datacenter1",
    protocolOptions: { port: Number(port), maxVersion: 4 },
    pooling: { coreConnectionsPerHost: { [cassandra.types.distance.local]: 1, [cassandra.types.distance.remote]: 1 } },
    isMetadataSyncEnabled: false
  })
  await client.connect()
  baseline()
  const stream = client.stream(STREAM_QUERY, [rows], { prepare: true, fetchSize: PAGE_ROWS })
  for await (const _row of stream as unknown as AsyncIterable<unknown>) {
    probe()
    if (seen % 250 === 0) await new Promise((r) => setTimeout(r, 1))
  }
  void client.shutdown().catch(() => {})
}

const main = driver === "ours" ? () => Effect.runPromise(ours) : peer
main().then(() => {
  console.log(`${driver}: live heap MiB above the baseline (row:MiB) ${out.join(" ")}`)
  process.exit(0)
}, (e) => {
  console.error(e)
  process.exit(1)
})
