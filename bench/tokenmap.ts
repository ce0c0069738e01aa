// The token map scenario (`run-one.ts tokenmap <ours|peer> --hosts N --vnodes V`): one driver's token map
// over a synthetic ring (N hosts x V random Murmur3 tokens, two DCs of three racks each, NTS {dc1: 3, dc2: 3}),
// in a fresh process, as the driver builds and uses it:
//
//   ours: `new TokenMap(hosts)` (what the metadata store does after a topology refresh that changed the
//         ring), then `replicas(ks, replication, tokenOf(key))` per request;
//   peer: cassandra-driver 4.10's `Metadata.buildTokens(hosts)` and a keyspace with this replication, then
//         `getReplicas(ks, key)` per request (it computes every range of the keyspace on the first one).
//
// Each of the driver's synchronous steps (build, first lookup, every single lookup, rebuild after a refresh,
// first lookup after it) runs in its own macrotask and is timed on its own (wall and process CPU): the
// longest is the longest synchronous step. monitorEventLoopDelay (1 ms resolution) watches the whole run
// independently (it also sees the harness: slices of 1000 lookups).
// Keys are 4-byte serialized ints (the token is computed from the key in both drivers).
import { monitorEventLoopDelay } from "node:perf_hooks"
import { TokenMap } from "../packages/driver/src/internal/routing/TokenMap.ts"
import { peerTokenMap, syntheticRing } from "../packages/driver/test/helpers/rings.ts"

const REPLICATION = { class: "org.apache.cassandra.locator.NetworkTopologyStrategy", dc1: "3", dc2: "3" }
const MURMUR3 = "org.apache.cassandra.dht.Murmur3Partitioner"

interface Lookup {
  readonly build: () => void
  readonly lookup: (key: Uint8Array) => number
}

const ours = (hosts: ReturnType<typeof syntheticRing>): Lookup => {
  let map: TokenMap | undefined
  return {
    build: () => {
      map = new TokenMap(hosts)
    },
    lookup: (key) => map!.replicas("ks", REPLICATION, map!.tokenOf(key)).length
  }
}

const peer = (hosts: ReturnType<typeof syntheticRing>): Lookup => {
  const p = peerTokenMap(hosts, MURMUR3, REPLICATION)
  return {
    build: () => {
      p.build()
      p.setKeyspace()
    },
    lookup: (key) => p.replicasOfKey(key).length
  }
}

/** A timed synchronous step: wall and CPU milliseconds. */
const timed = (f: () => void): { wallMs: number; cpuMs: number } => {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  f()
  const wallMs = performance.now() - t0
  const c = process.cpuUsage(c0)
  return { wallMs, cpuMs: (c.user + c.system) / 1000 }
}

const SLICE = 1000
const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve))
const gcNow = () => (globalThis as { gc?: () => void }).gc?.()

/** Runs the scenario; the result is the JSON line's fields. */
export const runTokenMap = async (driver: string, options: { hosts: number; vnodes: number; lookups: number; seed: number }) => {
  const hosts = syntheticRing({ hosts: options.hosts, vnodes: options.vnodes, dcs: 2, racks: 3, seed: options.seed })
  // the refresh: one host's tokens move (a topology refresh that changed the ring)
  const moved = hosts.map((h, i) => (i === 0 ? { ...h, tokens: h.tokens.map((t) => String(BigInt(t) + 1n)) } : h))
  const keys = Array.from({ length: options.lookups }, (_, i) => new Uint8Array([(i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]))
  const impl = driver === "ours" ? ours(hosts) : peer(hosts)
  gcNow()
  const heapBefore = process.memoryUsage().heapUsed
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  await nextTask()
  let sink = 0
  const steps: Array<{ step: string; wallMs: number; cpuMs: number }> = []
  const step = async (name: string, f: () => void) => {
    await nextTask()
    const t = timed(f)
    steps.push({ step: name, ...t })
    return t
  }

  const build = await step("build", impl.build)
  const first = await step("first lookup", () => (sink += impl.lookup(keys[0]!)))

  // pass 1 over every key, each lookup timed alone (ours computes ranges as they are first asked for);
  // the passes run in macrotasks of SLICE lookups so that the harness itself blocks the loop little
  // (on a shared machine a lookup's wall time may include being descheduled: the max is an upper bound,
  // the 99.9th percentile is what lookups cost)
  const perLookup = new Float64Array(keys.length)
  let pass1Wall = 0
  for (let a = 0; a < keys.length; a += SLICE) {
    await nextTask()
    const end = Math.min(keys.length, a + SLICE)
    const s0 = performance.now()
    for (let i = a; i < end; i++) {
      const t0 = performance.now()
      sink += impl.lookup(keys[i]!)
      perLookup[i] = (performance.now() - t0) * 1000
    }
    pass1Wall += performance.now() - s0
  }
  perLookup.sort()
  const maxLookupMicros = perLookup[perLookup.length - 1]!

  // warm passes
  const rounds = 5
  let warmWall = 0
  let warmCpu = 0
  for (let r = 0; r < rounds; r++) {
    for (let a = 0; a < keys.length; a += SLICE) {
      await nextTask()
      const t = timed(() => {
        const end = Math.min(keys.length, a + SLICE)
        for (let i = a; i < end; i++) sink += impl.lookup(keys[i]!)
      })
      warmWall += t.wallMs
      warmCpu += t.cpuMs
    }
  }
  gcNow()
  const heapGrowthMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20

  // a topology refresh that changed the ring: rebuild, then the first lookup again
  const rebuildImpl = driver === "ours" ? ours(moved) : peer(moved)
  const rebuild = await step("rebuild", rebuildImpl.build)
  const rebuildFirst = await step("first lookup after rebuild", () => (sink += rebuildImpl.lookup(keys[1]!)))
  await nextTask()
  loop.disable()

  // the driver's synchronous steps: build, first lookup, the longest single lookup, rebuild, first lookup after it
  steps.push({ step: "longest single lookup", wallMs: maxLookupMicros / 1000, cpuMs: Number.NaN }) // too short for process CPU
  const longest = steps.reduce((a, b) => (b.wallMs > a.wallMs ? b : a))
  return {
    hosts: options.hosts,
    vnodes: options.vnodes,
    tokens: options.hosts * options.vnodes,
    lookups: keys.length,
    buildMs: build.wallMs,
    firstLookupMs: build.wallMs + first.wallMs,
    firstLookupCpuMs: build.cpuMs + first.cpuMs,
    firstLookupOnlyMs: first.wallMs,
    firstPassMicrosPerLookup: (pass1Wall * 1000) / keys.length,
    maxLookupMicros,
    firstPassP999Micros: perLookup[Math.min(perLookup.length - 1, Math.ceil(perLookup.length * 0.999) - 1)]!,
    lookupMicros: (warmWall * 1000) / (keys.length * rounds),
    lookupCpuMicros: (warmCpu * 1000) / (keys.length * rounds),
    rebuildToFirstLookupMs: rebuild.wallMs + rebuildFirst.wallMs,
    maxStepMs: longest.wallMs,
    maxStepCpuMs: Math.max(...steps.filter((s) => !Number.isNaN(s.cpuMs)).map((s) => s.cpuMs)),
    longestStep: longest.step,
    eventLoopMaxMs: loop.max / 1e6,
    heapGrowthMiB,
    sink: sink % 7
  }
}
