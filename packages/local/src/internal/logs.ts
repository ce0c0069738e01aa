/**
 * Reading node logs: readiness signals (pure) and tails for error messages. It only reads: waiting
 * and deciding readiness is `cluster.ts`'s.
 *
 * @internal
 */
import * as fs from "node:fs"

/**
 * What a node's log says about its readiness.
 *
 * @since 0.1.0
 */
export interface LogSignals {
  /** `Starting listening for CQL clients on /127.0.0.1:9042` was logged. */
  readonly listening: boolean
  /** `Startup complete` was logged. */
  readonly startupComplete: boolean
  /** Peers (addresses) this node logged as UP (`InetAddress /ip:port is now UP`, `Node /ip:port has restarted, now UP`). */
  readonly up: ReadonlySet<string>
  /** Lines that mean the process is going down for good (fatal startup errors). */
  readonly fatal: string | undefined
}

const UP = /(?:InetAddress \/([0-9.]+)(?::\d+)? is now UP|Node \/([0-9.]+)(?::\d+)? has restarted, now UP)/g
const FATAL = /(Exception encountered during startup[^\n]*|Fatal configuration error[^\n]*|Invalid yaml[^\n]*|Address already in use[^\n]*)/

/**
 * Reads the readiness signals out of a node's log text.
 *
 * @since 0.1.0
 */
export const scanLog = (text: string): LogSignals => {
  const up = new Set<string>()
  for (const m of text.matchAll(UP)) up.add((m[1] ?? m[2]) as string)
  const fatal = FATAL.exec(text)
  return {
    listening: text.includes("Starting listening for CQL clients"),
    startupComplete: text.includes("Startup complete"),
    up,
    fatal: fatal === null ? undefined : fatal[1]
  }
}

/**
 * Size of `file` in bytes; 0 when it is missing.
 *
 * @since 0.1.0
 */
export const fileSize = (file: string): number => {
  try {
    return fs.statSync(file).size
  } catch {
    return 0
  }
}

/**
 * The text of `file` from byte `offset` on ("" when missing).
 *
 * @since 0.1.0
 */
export const readFrom = (file: string, offset: number): string => {
  let fd: number | undefined
  try {
    fd = fs.openSync(file, "r")
    const size = fs.fstatSync(fd).size
    if (size <= offset) return ""
    const buf = Buffer.alloc(size - offset)
    fs.readSync(fd, buf, 0, buf.length, offset)
    return buf.toString("utf8")
  } catch {
    return ""
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/**
 * The last `lines` lines of `file` (at most the last 64 KiB are read).
 *
 * @since 0.1.0
 */
export const tail = (file: string, lines = 40): string => {
  const size = fileSize(file)
  const text = readFrom(file, Math.max(0, size - 65536))
  return lastLines(text, lines)
}

/**
 * The last `lines` lines of `text` (a final newline does not start another line).
 *
 * @since 0.1.0
 */
export const lastLines = (text: string, lines: number): string => {
  const all = text.split("\n")
  if (all.length > 0 && all[all.length - 1] === "") all.pop()
  return all.slice(-lines).join("\n")
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * True unless `text` logs `address` DOWN without logging it UP again afterwards.
 *
 * @since 0.1.0
 */
export const upAfterDown = (text: string, address: string): boolean => {
  const a = escape(address)
  const down = [...text.matchAll(new RegExp(`InetAddress /${a}(?::\\d+)? is now DOWN`, "g"))].map((m) => m.index)
  if (down.length === 0) return true
  const last = down[down.length - 1] as number
  const up = new RegExp(`(?:InetAddress /${a}(?::\\d+)? is now UP|Node /${a}(?::\\d+)? has restarted, now UP)`, "g")
  return [...text.matchAll(up)].some((m) => m.index > last)
}
