// Scale in simulation (`npm run bench -- --only scale`, or on its own: node --conditions=source --expose-gc
// bench/scale.ts [--hosts 100,300,1000]): the driver's start, discovery and metadata against an in-memory
// MockCluster of N hosts in two datacenters (three racks each), one fresh process per size.
//
// Per size: the mock's own build time and heap; the driver's start (control connection, system.local /
// system.peers_v2 of N hosts, schema, a Session with a pool per local host) in ms and in ms per host; the
// heap the driver keeps, per host; and the first token-map lookup (ring of N tokens, NTS {dc1: 3, dc2: 3}).
// Linear means the per-host figures stay flat as N grows.
import { Cluster, LoadBalancing, Session } from "@effect-cassandra/driver"
import { MockCluster } from "@effect-cassandra/testing"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { execFileSync } from "node:child_process"
import { parseArgs } from "./common.ts"

/** One size's figures. */
export interface ScaleResult {
  readonly hosts: number
  readonly mockMs: number
  readonly mockHeapBytes: number
  readonly startMs: number
  readonly driverHeapBytes: number
  readonly up: number
  readonly firstLookupMs: number
  readonly discovered: number
}

const heap = () => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

const measure = (n: number) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const h0 = heap()
    const t0 = performance.now()
    const specs = Array.from({ length: n }, (_, i) => ({ datacenter: i % 2 === 0 ? "dc1" : "dc2", rack: `rack${(Math.floor(i / 2) % 3) + 1}` }))
    const mockCtx = yield* Layer.buildWithScope(MockCluster.layer({ hosts: specs, tables: { "app.kv": { k: "int", v: "text" } } }), scope)
    const mockMs = performance.now() - t0
    const h1 = heap()
    const t1 = performance.now()
    const driver = Session.layer().pipe(Layer.provideMerge(Cluster.layer({
      contactPoints: ["127.0.0.1"],
      localDc: "dc1",
      loadBalancing: LoadBalancing.dcAwareRoundRobin()
    })))
    const ctx = yield* Layer.buildWithScope(driver, scope).pipe(Effect.provideContext(mockCtx))
    const startMs = performance.now() - t1
    const cluster = Context.get(ctx, Cluster.Cluster)
    const h2 = heap()
    const t2 = performance.now()
    const tokenMap = cluster.metadata.tokenMap()
    tokenMap?.replicas("app", { class: "NetworkTopologyStrategy", dc1: "3", dc2: "3" }, 42n)
    const firstLookupMs = performance.now() - t2
    const result: ScaleResult = {
      hosts: n,
      mockMs,
      mockHeapBytes: h1 - h0,
      startMs,
      driverHeapBytes: h2 - h1,
      up: cluster.hosts().filter((h) => h.isUp).length,
      firstLookupMs,
      discovered: cluster.hosts().length
    }
    yield* Scope.close(scope, Exit.void)
    return result
  })

const args = parseArgs(process.argv.slice(2))
const one = args.num("one", 0)
if (one > 0) {
  // a child: one size, a JSON line on stdout
  const r = await Effect.runPromise(measure(one))
  process.stdout.write(JSON.stringify(r) + "\n")
} else if (import.meta.main) {
  const sizes = args.str("hosts", "100,300,1000").split(",").map(Number)
  const results = runScale(sizes)
  console.log(scaleMarkdown(results))
}

/** Runs each size in a fresh process (`--expose-gc`); the figures of each. */
export function runScale(sizes: ReadonlyArray<number>): Array<ScaleResult> {
  return sizes.map((n) => {
    const out = execFileSync(process.execPath, ["--conditions=source", "--expose-gc", import.meta.filename, "--one", String(n)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 16 * 1024 * 1024
    })
    return JSON.parse(out.trim().split("\n").at(-1)!) as ScaleResult
  })
}

/** The figures as a markdown table. */
export function scaleMarkdown(results: ReadonlyArray<ScaleResult>): string {
  const kib = (b: number) => (b / 1024).toFixed(1)
  const lines = [
    "| hosts | mock build ms | driver start ms | ms / host | driver heap KiB / host | mock heap KiB / host | first NTS lookup ms | hosts discovered |",
    "|---|---|---|---|---|---|---|---|"
  ]
  for (const r of results) {
    lines.push(
      `| ${r.hosts} | ${r.mockMs.toFixed(0)} | ${r.startMs.toFixed(0)} | ${(r.startMs / r.hosts).toFixed(2)} | ${kib(r.driverHeapBytes / r.hosts)} | ` +
        `${kib(r.mockHeapBytes / r.hosts)} | ${r.firstLookupMs.toFixed(1)} | ${r.discovered} |`
    )
  }
  return lines.join("\n")
}
