// Deterministic instructions per request under valgrind (HW perf counters are not available in these VMs):
//
//   node --conditions=source bench/cachegrind.ts [--n 20000] [--warmup 10000] [--concurrency 64]
//                                               [--drivers ours,peer,ours-v5] [--repeat 1] [--responder 127.0.0.52:9042]
//   (a driver "ours@MODE" runs ours with --observe MODE: off, default, traced, metrics, all)
//
// For each driver, two client runs under
//   valgrind --tool=cachegrind --cache-sim=no --smc-check=all-non-file node --single-threaded --predictable
// with the same warm-up and N then 2N measured requests (closed loop, concurrency 64, bench/run-one.ts
// overhead); instructions per request = (I(2N) - I(N)) / N, which removes start-up, connection set-up and
// warm-up. The responder runs natively on the other core. With --repeat R, the median of R differences
// (and all of them in the JSON): the totals are deterministic for a given batching of the socket traffic, but
// how requests batch per read/write depends on the two processes' timing (more so for cassandra-driver). Writes bench/results/cachegrind.json, which the
// Markdown of the next `npm run bench` includes.
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { gitInfo, machine, parseArgs } from "./common.ts"

const args = parseArgs(process.argv.slice(2))
const n = args.num("n", 20_000)
const warmup = args.num("warmup", 10_000)
const concurrency = args.num("concurrency", 64)
const drivers = args.str("drivers", "ours,peer,ours-v5").split(",")
const responderAddress = args.str("responder", "127.0.0.52:9042")
const repeat = args.num("repeat", 1)
const outDir = args.str("out", path.join(import.meta.dirname, "results"))
const benchDir = import.meta.dirname
const pin = os.cpus().length >= 2
const taskset = (cpu: string, cmd: Array<string>) => (pin ? ["taskset", "-c", cpu, ...cmd] : cmd)

const startResponder = async () => {
  const [host, port] = responderAddress.split(":")
  const cmd = taskset("1", [process.execPath, "--conditions=source", path.join(benchDir, "responder.ts"), "--host", host!, "--port", port!])
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "inherit"] })
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`responder exited (${code})`)))
    readline.createInterface({ input: child.stdout! }).once("line", () => resolve())
  })
  return child
}

const instructions = (label: string, requests: number): number => {
  // "ours@MODE": ours with --observe MODE (the instrumentation: off, default, traced, metrics, all)
  const [base, mode] = label.split("@") as [string, string | undefined]
  const [driver, v5] = base === "ours-v5" ? ["ours", true] : [base, false]
  const outFile = path.join(os.tmpdir(), `cachegrind.bench.${process.pid}.${label}.${requests}`)
  const cmd = taskset("0", [
    "valgrind", "--tool=cachegrind", "--cache-sim=no", "--smc-check=all-non-file", `--cachegrind-out-file=${outFile}`,
    process.execPath, "--single-threaded", "--predictable", "--conditions=source",
    path.join(benchDir, "run-one.ts"), "overhead", driver!, "--host", responderAddress, "--protocol", v5 ? "5" : "4",
    "--concurrency", String(concurrency), "--warmup", String(warmup), "--requests", String(requests),
    ...(mode === undefined ? [] : ["--observe", mode])
  ])
  const t0 = Date.now()
  try {
    execFileSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 64 << 20 })
  } catch (e) {
    throw new Error(`valgrind run failed: ${(e as { stderr?: string }).stderr?.slice(-2000)}`)
  }
  // the summary line of the output file: "summary: <Ir>"
  const summary = /^summary:\s+(\d+)/m.exec(fs.readFileSync(outFile, "utf8"))
  fs.rmSync(outFile, { force: true })
  if (!summary) throw new Error("no summary line in the cachegrind output")
  const ir = Number(summary[1])
  process.stderr.write(`  ${label} ${requests} requests: ${ir.toLocaleString("en")} instructions (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`)
  return ir
}

const main = async () => {
  execFileSync("valgrind", ["--version"], { stdio: "ignore" })
  const responder = await startResponder()
  const rows: Array<{ label: string; n: number; insN: number; ins2N: number; perRequest: number; repeats: Array<number>; ratio?: number }> = []
  try {
    for (const label of drivers) {
      const repeats: Array<{ insN: number; ins2N: number; perRequest: number }> = []
      for (let k = 0; k < repeat; k++) {
        const insN = instructions(label, n)
        const ins2N = instructions(label, 2 * n)
        repeats.push({ insN, ins2N, perRequest: (ins2N - insN) / n })
      }
      repeats.sort((a, b) => a.perRequest - b.perRequest)
      const mid = repeats[(repeats.length - 1) >> 1]!
      rows.push({ label, n, insN: mid.insN, ins2N: mid.ins2N, perRequest: mid.perRequest, repeats: repeats.map((r) => r.perRequest) })
    }
  } finally {
    responder.kill("SIGTERM")
  }
  const peer = rows.find((r) => r.label === "peer")
  for (const r of rows) if (peer !== undefined && r !== peer) r.ratio = r.perRequest / peer.perRequest
  const result = { date: new Date().toISOString(), ...machine(), ...gitInfo(), concurrency, warmup, rows }
  fs.mkdirSync(outDir, { recursive: true })
  fs.writeFileSync(path.join(outDir, "cachegrind.json"), JSON.stringify(result, null, 2) + "\n")
  console.log(`instructions per request (concurrency ${concurrency}, warm-up ${warmup}, N=${n} vs 2N):`)
  for (const r of rows) {
    console.log(`  ${r.label.padEnd(8)} ${Math.round(r.perRequest).toLocaleString("en").padStart(9)}${r.ratio !== undefined ? `  (${r.ratio.toFixed(2)}x the peer)` : ""}` +
      (r.repeats.length > 1 ? `  [${r.repeats.map((x) => Math.round(x).toLocaleString("en")).join(", ")}]` : ""))
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
