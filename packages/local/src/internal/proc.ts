/**
 * Processes: liveness, pid files, stale-node detection, and the last-resort kill of owned children.
 * It does not start Cassandra nodes (`cluster.ts` does); it watches and signals them.
 *
 * @internal
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"

const MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon"

/**
 * True when the command line (NUL- or space-separated) is a CassandraDaemon whose node folder is `nodeDir`.
 *
 * @since 0.1.0
 */
export const isCassandraOf = (cmdline: string, nodeDir: string): boolean => {
  if (!cmdline.includes(MAIN_CLASS)) return false
  const args = cmdline.split(/\0/)
  const needle = `-Dcassandra.storagedir=${nodeDir}`
  return args.some((a) => a === needle) || cmdline.includes(`${needle}\0`) || cmdline.endsWith(needle)
}

/**
 * Parses a pid file's text: a positive integer, or undefined.
 *
 * @since 0.1.0
 */
export const parsePid = (text: string): number | undefined => {
  const t = text.trim()
  if (!/^\d+$/.test(t)) return undefined
  const n = Number(t)
  return n > 1 ? n : undefined
}

/**
 * What a pid file left in a node folder means (see {@link staleVerdict}).
 *
 * @since 0.1.0
 */
export type StaleVerdict =
  | { readonly _tag: "NoPidFile" }
  | { readonly _tag: "Dead"; readonly pid: number | undefined }
  | { readonly _tag: "NotOurs"; readonly pid: number }
  | { readonly _tag: "Live"; readonly pid: number }

/**
 * What a pid file means: `Live` when it names a running CassandraDaemon of this node folder (kill it before
 * a new start), `NotOurs` when the pid was reused by another process (leave it alone, drop the file), `Dead`
 * when nothing runs under it. `cmdline` is `/proc/<pid>/cmdline`, undefined when there is no such process.
 *
 * @since 0.1.0
 */
export const staleVerdict = (
  pidFileText: string | undefined,
  cmdlineOf: (pid: number) => string | undefined,
  nodeDir: string
): StaleVerdict => {
  if (pidFileText === undefined) return { _tag: "NoPidFile" }
  const pid = parsePid(pidFileText)
  if (pid === undefined) return { _tag: "Dead", pid: undefined }
  const cmdline = cmdlineOf(pid)
  if (cmdline === undefined || cmdline === "") return { _tag: "Dead", pid }
  return isCassandraOf(cmdline, nodeDir) ? { _tag: "Live", pid } : { _tag: "NotOurs", pid }
}

/**
 * The text of `file`, or undefined when it cannot be read.
 *
 * @since 0.1.0
 */
export const readText = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

/**
 * `/proc/<pid>/cmdline`, or undefined when the process does not exist (or is a zombie).
 *
 * @since 0.1.0
 */
export const cmdlineOf = (pid: number): string | undefined => {
  if (!isAlive(pid)) return undefined
  return readText(`/proc/${pid}/cmdline`)
}

/**
 * True when `pid` exists and is not a zombie.
 *
 * @since 0.1.0
 */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
  const stat = readText(`/proc/${pid}/stat`)
  if (stat === undefined) return process.platform !== "linux"
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)
  return state !== "Z" && state !== "X"
}

/**
 * Sends a signal; false when the process is already gone.
 *
 * @since 0.1.0
 */
export const signal = (pid: number, sig: NodeJS.Signals): boolean => {
  try {
    process.kill(pid, sig)
    return true
  } catch {
    return false
  }
}

// ---- last-resort cleanup: every java child this process owns is SIGKILLed when the process goes away ----

const owned = new Set<number>()
let handlersInstalled = false

const killOwnedSync = (): void => {
  for (const pid of owned) signal(pid, "SIGKILL")
  owned.clear()
}

const onSignal = (sig: NodeJS.Signals) => {
  const handler = (): void => {
    killOwnedSync()
    // When nobody else handles the signal, behave as the default would: exit.
    if (process.listenerCount(sig) <= 1) {
      process.removeListener(sig, handler)
      process.kill(process.pid, sig)
    }
  }
  return handler
}

const installHandlers = (): void => {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on("exit", killOwnedSync)
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal(sig))
}

/**
 * Registers a child (or a helper such as the reaper) to be SIGKILLed if this process exits first.
 *
 * @since 0.1.0
 */
export const own = (pid: number): void => {
  installHandlers()
  owned.add(pid)
}

/**
 * Stops tracking `pid` for the last-resort kill (the reverse of {@link own}).
 *
 * @since 0.1.0
 */
export const disown = (pid: number): void => {
  owned.delete(pid)
}

/**
 * Starts a tiny detached `sh` that waits for this process to die (even by SIGKILL, when no handler can run),
 * then SIGKILLs every CassandraDaemon named by the pid files of `nodeDirs`. Returns its pid.
 *
 * @since 0.1.0
 */
export const spawnReaper = (nodeDirs: ReadonlyArray<string>): number | undefined => {
  const script = [
    "owner=$1; shift",
    "while kill -0 \"$owner\" 2>/dev/null; do sleep 1; done",
    "for d in \"$@\"; do",
    "  f=\"$d/cassandra.pid\"; [ -f \"$f\" ] || continue",
    "  p=$(cat \"$f\" 2>/dev/null) || continue",
    "  case \"$p\" in ''|*[!0-9]*) continue;; esac",
    "  if tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q -- \"-Dcassandra.storagedir=$d \"; then kill -9 \"$p\" 2>/dev/null; fi",
    "done"
  ].join("\n")
  try {
    const child = childProcess.spawn("sh", ["-c", script, "reaper", String(process.pid), ...nodeDirs], {
      detached: true,
      stdio: "ignore"
    })
    child.on("error", () => {})
    child.unref()
    return child.pid
  } catch {
    return undefined
  }
}
