// Memory of a measured window (the stream, soak and burst scenarios), for either driver alike: where the
// RSS goes, sampled every 5 ms after a forced GC as the baseline.
//
// - process.memoryUsage(): rss, heapTotal, heapUsed, external, arrayBuffers;
// - v8.getHeapSpaceStatistics(): each space's committed physical size (new_space, old_space, code_space,
//   the large-object spaces, trusted_space), and new_space's capacity (V8 sizes the young generation with
//   the allocation rate and survival: that is RSS the driver does not choose directly);
// - the bytes the client's sockets received (diagnostics_channel `net.client.socket`, a 'data' listener
//   added beside the driver's own; it does not change the socket's mode) against the rows the consumer
//   took, which gives how far the transport ran ahead of the consumer, in rows (`aheadRows`).
//
// The figures at the sample of peak RSS say what that peak was made of; the separate peaks say how large
// each part got (not at the same moment). `--mem-trace FILE` writes every 20th sample as a JSON line.
import * as dc from "node:diagnostics_channel"
import * as fs from "node:fs"
import type * as net from "node:net"
import * as v8 from "node:v8"

const MiB = 1048576

/** Socket bytes received since start (every client socket). */
let received = 0
/** (bytes received, rows consumed) at each socket read of the window. */
let readLog: Array<number> = []
let logReads = false
let consumedRows: () => number = () => 0
dc.subscribe("net.client.socket", (message) => {
  const socket = (message as { socket: net.Socket }).socket
  socket.on("data", (chunk: Uint8Array) => {
    received += chunk.length
    if (logReads) readLog.push(received, consumedRows())
  })
})

interface Spaces {
  newSpace: number
  newSpaceCapacity: number
  oldSpace: number
  codeSpace: number
  largeObject: number
  trusted: number
  heapPhysical: number
}

const spaces = (): Spaces => {
  const s: Spaces = { newSpace: 0, newSpaceCapacity: 0, oldSpace: 0, codeSpace: 0, largeObject: 0, trusted: 0, heapPhysical: 0 }
  for (const sp of v8.getHeapSpaceStatistics()) {
    const p = sp.physical_space_size
    s.heapPhysical += p
    switch (sp.space_name) {
      case "new_space":
        s.newSpace += p
        s.newSpaceCapacity = sp.space_size
        break
      case "old_space":
        s.oldSpace += p
        break
      case "code_space":
        s.codeSpace += p
        break
      case "new_large_object_space":
      case "large_object_space":
      case "code_large_object_space":
        s.largeObject += p
        break
      default:
        if (sp.space_name.includes("trusted")) s.trusted += p
    }
  }
  return s
}

interface Sample extends Spaces {
  t: number
  rows: number
  rss: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
}

const sampleNow = (t0: number): Sample => {
  const m = process.memoryUsage()
  return {
    t: performance.now() - t0,
    rows: consumedRows(),
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    ...spaces()
  }
}

const KEYS = [
  "rss",
  "heapTotal",
  "heapUsed",
  "external",
  "arrayBuffers",
  "heapPhysical",
  "newSpace",
  "newSpaceCapacity",
  "oldSpace",
  "codeSpace",
  "largeObject",
  "trusted"
] as const

const growth = (s: Sample, base: Sample) => {
  const out: Record<string, number> = {}
  for (const k of KEYS) out[k] = round((s[k] - base[k]) / MiB)
  // what is neither V8's heap nor ArrayBuffer contents: the allocator, Node's and V8's own buffers, stacks
  out.otherSpaces = round((s.codeSpace + s.largeObject + s.trusted - base.codeSpace - base.largeObject - base.trusted) / MiB)
  out.other = round((s.rss - s.heapPhysical - s.arrayBuffers - (base.rss - base.heapPhysical - base.arrayBuffers)) / MiB)
  return out
}
const round = (x: number) => Math.round(x * 10) / 10

/**
 * Opens a memory window: call after a forced GC. `rows` says how many rows the consumer took so far.
 * `stop()` returns the peaks (the existing `peakRss` / `peakHeap`) and the attribution.
 */
export const memoryWindow = (options: { readonly rows?: () => number; readonly traceFile?: string | undefined }) => {
  consumedRows = options.rows ?? (() => 0)
  const t0 = performance.now()
  const base = sampleNow(t0)
  const receivedAtStart = received
  readLog = []
  logReads = true
  let atPeak = base
  const peaks: Record<string, number> = {}
  for (const k of KEYS) peaks[k] = base[k]
  const trace = options.traceFile !== undefined && options.traceFile !== "" ? fs.openSync(options.traceFile, "w") : undefined
  let n = 0
  const sample = () => {
    const s = sampleNow(t0)
    if (s.rss > atPeak.rss) atPeak = s
    for (const k of KEYS) if (s[k] > peaks[k]!) peaks[k] = s[k]
    if (trace !== undefined && n++ % 20 === 0) fs.writeSync(trace, JSON.stringify(growth(s, base)).replace("{", `{"t":${Math.round(s.t)},"rows":${s.rows},`) + "\n")
  }
  const timer = setInterval(sample, 5)
  return {
    base,
    stop: () => {
      clearInterval(timer)
      sample()
      logReads = false
      if (trace !== undefined) fs.closeSync(trace)
      const rows = consumedRows()
      const bytes = received - receivedAtStart
      // how far the socket ran ahead of the consumer, in rows (bytes per row averaged over the window)
      let aheadRows = 0
      if (rows > 0 && bytes > 0) {
        const perRow = bytes / rows
        for (let i = 0; i < readLog.length; i += 2) {
          const ahead = (readLog[i]! - receivedAtStart) / perRow - readLog[i + 1]!
          if (ahead > aheadRows) aheadRows = ahead
        }
      }
      readLog = []
      const peak: Record<string, number> = {}
      for (const k of KEYS) peak[k] = round((peaks[k]! - base[k]) / MiB)
      return {
        peakRss: peaks.rss!,
        peakHeap: peaks.heapUsed!,
        memory: {
          atPeakRss: growth(atPeak, base),
          peakGrowth: peak,
          base: { rss: round(base.rss / MiB), heapUsed: round(base.heapUsed / MiB), newSpaceCapacity: round(base.newSpaceCapacity / MiB) },
          /** the young generation's largest capacity in the window (both semi-spaces), MiB */
          newSpaceCapacityMiB: round(peaks.newSpaceCapacity! / MiB),
          socketBytes: bytes,
          aheadRows: Math.round(aheadRows),
          v8: { maxSemiSpaceMiB: maxSemiSpace() }
        }
      }
    }
  }
}

/** The --max-semi-space-size in effect (0: V8's default), for the labels of the report. */
const maxSemiSpace = (): number => {
  const flag = process.execArgv.find((a) => a.startsWith("--max-semi-space-size"))
  return flag === undefined ? 0 : Number(flag.split("=")[1])
}
