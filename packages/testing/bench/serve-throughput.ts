/**
 * How fast is the mock server? A bare pipelined client (pre-encoded EXECUTE, writes coalesced per
 * setImmediate, one connection, C requests in flight) against `mock-server.ts` in a child process.
 * Reports requests/s and the server's CPU time per request.
 *
 *   node --conditions=source packages/testing/bench/serve-throughput.ts [--version 4|5] [--n 300000] [--c 256] [--rows 1] [--compression lz4]
 */
import { decodeResponse, encodeRequest, FrameDecoder, type RawEnvelope } from "@effect-cassandra/protocol/Frames"
import type { ProtocolVersion } from "@effect-cassandra/protocol/Messages"
import * as Result from "effect/Result"
import { spawn } from "node:child_process"
import * as net from "node:net"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const version = Number(arg("version", "4")) as ProtocolVersion
const total = Number(arg("n", "300000"))
const concurrency = Number(arg("c", "256"))
const rows = arg("rows", "1")
const compression = arg("compression", "")

const here = path.dirname(fileURLToPath(import.meta.url))
const child = spawn(process.execPath, [...(process.env.PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] : []), "--conditions=source", path.join(here, "mock-server.ts"), "--rows", rows, "--activity", arg("activity", "0")], {
  stdio: ["pipe", "pipe", "inherit"]
})
const lines = readline.createInterface({ input: child.stdout! })
const nextLine = (prefix: string) =>
  new Promise<string>((resolve) => {
    const on = (l: string) => {
      if (l.startsWith(prefix)) {
        lines.off("line", on)
        resolve(l)
      }
    }
    lines.on("line", on)
  })

const ok = <A>(r: Result.Result<A, { message: string }>): A => {
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}

const main = async () => {
  const port = Number((await nextLine("listening")).split(" ")[1])
  const socket = net.connect({ host: "127.0.0.1", port, noDelay: true })
  await new Promise((r) => socket.once("connect", r))
  const decoder = new FrameDecoder({ version })
  let waiting: ((env: RawEnvelope) => void) | undefined
  let onEnvelope: (env: RawEnvelope) => void = (env) => waiting?.(env)
  socket.on("data", (chunk: Uint8Array) => {
    decoder.push(chunk)
    for (;;) {
      const r = decoder.next()
      if (Result.isFailure(r)) throw new Error(r.failure.message)
      if (r.success === undefined) break
      onEnvelope(r.success)
    }
  })
  const roundTrip = (bytes: Uint8Array) =>
    new Promise<RawEnvelope>((resolve) => {
      waiting = resolve
      socket.write(bytes)
    })
  const startup: Record<string, string> = { CQL_VERSION: "3.0.0" }
  if (compression !== "") startup["COMPRESSION"] = compression
  await roundTrip(ok(encodeRequest(version, 0, { _tag: "Startup", options: startup })))
  if (version === 5) {
    decoder.enableFraming(compression === "lz4" ? { compression: "lz4" } : undefined)
  } else if (compression === "lz4" || compression === "snappy") {
    decoder.setCompression(compression)
  }
  const { FrameEncoder } = await import("@effect-cassandra/protocol/Frames")
  const encoder = new FrameEncoder({ version })
  if (version === 5) encoder.enableFraming(compression === "lz4" ? { compression: "lz4" } : undefined)
  else if (compression === "lz4" || compression === "snappy") encoder.setCompression(compression)
  const send1 = (stream: number, request: Parameters<typeof encoder.encode>[1]) => {
    ok(encoder.encode(stream, request))
    return roundTrip(encoder.takeBatch()!)
  }
  const prepared = ok(decodeResponse(await send1(1, { _tag: "Prepare", query: "SELECT * FROM bench.kv WHERE k = ?" })))
  if (prepared.response._tag !== "Result" || prepared.response.result.kind !== "Prepared") throw new Error("no prepared result")
  const p = prepared.response.result
  const execute = {
    _tag: "Execute" as const,
    id: p.id,
    resultMetadataId: p.resultMetadataId,
    params: { consistency: 1, values: { values: [1], types: [{ kind: "int" as const }] }, skipMetadata: true, pageSize: 5000 }
  }
  // warm-up then measure
  const run = (n: number) =>
    new Promise<number>((resolve) => {
      let sent = 0
      let done = 0
      let scheduled = false
      const t0 = process.hrtime.bigint()
      const flush = () => {
        scheduled = false
        const b = encoder.takeBatch()
        if (b !== undefined) socket.write(b)
      }
      const send = (stream: number) => {
        sent++
        ok(encoder.encode(stream, execute))
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      }
      onEnvelope = (env) => {
        done++
        if (done === n) return resolve(Number(process.hrtime.bigint() - t0) / 1e9)
        if (sent < n) send(env.stream)
      }
      for (let s = 0; s < Math.min(concurrency, n); s++) send(s)
    })
  await run(Math.min(20000, total))
  const cpu = async () => {
    child.stdin!.write("cpu\n")
    const [, micros, uses] = (await nextLine("cpu")).split(" ")
    return { micros: Number(micros), uses: Number(uses) }
  }
  const before = await cpu()
  const seconds = await run(total)
  const after = await cpu()
  const served = after.uses - before.uses
  console.log(
    `v${version}${compression ? " " + compression : ""} rows=${rows} C=${concurrency}: ${Math.round(total / seconds).toLocaleString()} req/s, ` +
      `server ${((after.micros - before.micros) / served).toFixed(2)} us CPU/request (${served} answered)`
  )
  socket.destroy()
  child.stdin!.write("exit\n")
}

main().catch((e) => {
  console.error(e)
  child.kill()
  process.exit(1)
})
