// Shared by the responder, the client runs and the coordinator: the statements the responder knows,
// and small helpers (argument parsing, percentiles, machine description).
import { execFileSync } from "node:child_process"
import * as os from "node:os"

/** Prepared SELECT answered with one small row (id int, name text, value bigint). */
export const SMALL_QUERY = "SELECT id, name, value FROM bench.small WHERE id = ?"
/** Prepared SELECT answered with one 5000-row x 10-column page (no more pages). */
export const PAGE_QUERY = "SELECT * FROM bench.wide WHERE p = ?"
/** Prepared SELECT answered page by page (paging state) until the responder's stream row count is served. */
export const STREAM_QUERY = "SELECT * FROM bench.stream WHERE p = ?"

/** Columns of the wide page (names and CQL types, in order). */
export const WIDE_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ["c_int", "int"],
  ["c_bigint", "bigint"],
  ["c_text", "text"],
  ["c_uuid", "uuid"],
  ["c_timestamp", "timestamp"],
  ["c_double", "double"],
  ["c_boolean", "boolean"],
  ["c_blob", "blob"],
  ["c_float", "float"],
  ["c_inet", "inet"]
]
export const WIDE_COLUMN_NAMES: ReadonlyArray<string> = WIDE_COLUMNS.map(([n]) => n)
export const PAGE_ROWS = 5000

/** End-to-end (real Cassandra) statements. */
export const E2E_KEYSPACE = "bench"
export const E2E_INSERT = "INSERT INTO bench.kv (id, name, value) VALUES (?, ?, ?)"
export const E2E_SELECT = "SELECT id, name, value FROM bench.kv WHERE id = ?"
export const E2E_ROWS = 10_000

/** `--key value`, `--flag` (true) and positionals. */
export const parseArgs = (argv: ReadonlyArray<string>) => {
  const flags: Record<string, string | true> = {}
  const positional: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a.startsWith("--")) {
      const eq = a.indexOf("=")
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1)
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) flags[a.slice(2)] = argv[++i]!
      else flags[a.slice(2)] = true
    } else positional.push(a)
  }
  const num = (k: string, d: number): number => (typeof flags[k] === "string" ? Number(flags[k]) : d)
  const str = (k: string, d: string): string => (typeof flags[k] === "string" ? flags[k] as string : d)
  const bool = (k: string): boolean => flags[k] !== undefined && flags[k] !== "false"
  return { flags, positional, num, str, bool }
}

/** Percentile (nearest rank) of a sorted array. */
export const percentile = (sorted: Float64Array | ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]!
}

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const machine = () => ({
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? "unknown",
  node: process.version,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  totalMemMiB: Math.round(os.totalmem() / 1048576)
})

/** The commit the bench runs at, and whether packages/ has uncommitted changes (figures depend on them). */
export const gitInfo = () => {
  const cwd = import.meta.dirname
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd, encoding: "utf8" }).trim()
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "../packages"], { cwd, encoding: "utf8" }).trim() !== ""
    return { commit, dirty }
  } catch {
    return { commit: "unknown", dirty: false }
  }
}
