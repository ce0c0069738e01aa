/**
 * The cassandra-local command line: argument parsing (pure) and the start/stop/status/env commands.
 * It does not run itself (bin.ts does) and leaves the node lifecycle to `cluster.ts`.
 *
 * @internal
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import { type Env, EnvVars } from "../Env.ts"
import { ControlError } from "../Errors.ts"
import type { LocalCassandraError } from "../Errors.ts"
import { resolveOptions, type StartOptions } from "../LocalCassandra.ts"
import { type ClusterStateFile, prepare, readState, startAll, stopAll, waitExit } from "./cluster.ts"
import { probe } from "./cql.ts"
import { clustersRoot, DEFAULT_CREDENTIALS, LOCAL_DATACENTER } from "./layout.ts"
import { cmdlineOf, readText, signal, staleVerdict } from "./proc.ts"

/**
 * The help text of `cassandra-local`.
 *
 * @since 0.1.0
 */
export const USAGE = `Usage: cassandra-local <command> [options]

Runs a real Apache Cassandra 5.0 (from Maven Central jars) on this machine. Nodes started by
"start" keep running after the command exits; "stop" stops them.

Commands:
  start     start a cluster and wait until every node serves CQL
  stop      stop a cluster (SIGTERM, SIGKILL after the grace)
  status    show each node: pid, state, whether it answers CQL
  env       print the CASSANDRA_* variables that point tests and the demo at a cluster
  help      show this text

Options of start:
  --nodes N              number of nodes, 1..9 (default 1); node i listens on 127.0.0.i
  --dcs D                datacenters dc1..dcD, nodes round-robin over them (default 1: datacenter1)
  --racks R              racks rack1..rackR per datacenter, its nodes round-robin over them (default 1)
  --auth                 PasswordAuthenticator (user cassandra, password cassandra)
  --tls                  client TLS; the CA certificate is written to <dir>/tls/ca.pem
  --mirror               custom payload mirroring query handler
  --name NAME            cluster folder name (default "default")
  --dir DIR              work folder (default $EFFECT_CASSANDRA_CLUSTERS/NAME, i.e. ~/.cache/effect-cassandra/clusters/NAME)
  --cluster-name NAME    Cassandra cluster_name (default effect-cassandra)
  --port PORT            native (CQL) port (default 9042)
  --storage-port PORT    internode port (default 7000)
  --first-address K      node 1 listens on 127.0.0.K (default 1)
  --heap SIZE            JVM heap per node (default 768m for 1 node, 640m each for more)
  --version V            cassandra-all version (default the pinned 5.0 release)
  --keep-data            keep the data of the previous run of this cluster
  --timeout SECONDS      time allowed for the start (default 180)

Options of stop / status / env:
  --name NAME            the cluster (default: stop/env "default", status every cluster)
  --dir DIR              the cluster's work folder
  --all                  stop: every cluster under the clusters folder
  --grace SECONDS        stop: seconds between SIGTERM and SIGKILL (default 10)
`

/**
 * A parsed command line: `start` with its options, `stop`, `status`, `env` or `help`.
 *
 * @since 0.1.0
 */
export type Command =
  | { readonly _tag: "start"; readonly options: StartOptions }
  | { readonly _tag: "stop"; readonly name: string | undefined; readonly dir: string | undefined; readonly all: boolean; readonly graceMillis: number }
  | { readonly _tag: "status"; readonly name: string | undefined; readonly dir: string | undefined }
  | { readonly _tag: "env"; readonly name: string | undefined; readonly dir: string | undefined }
  | { readonly _tag: "help" }

/**
 * A command line that cannot be parsed; bin.ts prints its message with {@link USAGE}.
 *
 * @since 0.1.0
 */
export class UsageError extends Error {
  override readonly name = "UsageError"
}

const FLAGS = new Set(["--auth", "--tls", "--mirror", "--keep-data", "--all", "--help", "-h"])
const VALUED = new Set([
  "--nodes", "--dcs", "--racks", "--name", "--dir", "--cluster-name", "--port", "--storage-port", "--first-address", "--heap", "--version",
  "--timeout", "--grace"
])

const int = (flag: string, v: string, min: number, max: number): number => {
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} needs a whole number, got ${JSON.stringify(v)}`)
  const n = Number(v)
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`)
  return n
}

/**
 * Parses `argv` (without node and the script). Throws UsageError.
 *
 * @since 0.1.0
 */
export const parseArgs = (argv: ReadonlyArray<string>): Command => {
  const [command, ...rest] = argv
  const values = new Map<string, string>()
  const flags = new Set<string>()
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string
    const eq = arg.indexOf("=")
    const key = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg
    if (FLAGS.has(key)) {
      flags.add(key)
    } else if (VALUED.has(key)) {
      const value = eq > 0 && arg.startsWith("--") ? arg.slice(eq + 1) : rest[++i]
      if (value === undefined || value === "") throw new UsageError(`${key} needs a value`)
      values.set(key, value)
    } else throw new UsageError(`unknown option ${arg}`)
  }
  if (command === undefined || command === "help" || command === "--help" || command === "-h" || flags.has("--help") || flags.has("-h")) {
    return { _tag: "help" }
  }
  const allowed = (ok: ReadonlyArray<string>) => {
    for (const k of [...values.keys(), ...flags]) if (!ok.includes(k)) throw new UsageError(`${k} is not an option of ${command}`)
  }
  const name = values.get("--name")
  const dir = values.get("--dir")
  switch (command) {
    case "start": {
      allowed([...VALUED].filter((k) => k !== "--grace").concat(["--auth", "--tls", "--mirror", "--keep-data"]))
      const v = (k: string) => values.get(k)
      const options: { -readonly [K in keyof StartOptions]: StartOptions[K] } = {}
      const nodes = v("--nodes")
      if (nodes !== undefined) options.nodes = int("--nodes", nodes, 1, 9)
      const dcs = v("--dcs")
      if (dcs !== undefined) options.dcs = int("--dcs", dcs, 1, 9)
      const racks = v("--racks")
      if (racks !== undefined) options.racks = int("--racks", racks, 1, 9)
      if (name !== undefined) options.name = name
      if (dir !== undefined) options.dir = path.resolve(dir)
      const clusterName = v("--cluster-name")
      if (clusterName !== undefined) options.clusterName = clusterName
      const port = v("--port")
      if (port !== undefined) options.nativePort = int("--port", port, 1, 65535)
      const storagePort = v("--storage-port")
      if (storagePort !== undefined) options.storagePort = int("--storage-port", storagePort, 1, 65535)
      const first = v("--first-address")
      if (first !== undefined) options.firstAddress = int("--first-address", first, 1, 254)
      const heap = v("--heap")
      if (heap !== undefined) options.heap = heap
      const version = v("--version")
      if (version !== undefined) options.version = version
      const timeout = v("--timeout")
      if (timeout !== undefined) options.startTimeout = `${int("--timeout", timeout, 1, 3600)} seconds`
      if (flags.has("--auth")) options.auth = true
      if (flags.has("--tls")) options.tls = true
      if (flags.has("--mirror")) options.customPayloadMirroring = true
      if (flags.has("--keep-data")) options.keepData = true
      return { _tag: "start", options }
    }
    case "stop": {
      allowed(["--name", "--dir", "--all", "--grace"])
      const grace = values.get("--grace")
      return { _tag: "stop", name, dir, all: flags.has("--all"), graceMillis: grace === undefined ? 10_000 : int("--grace", grace, 0, 600) * 1000 }
    }
    case "status":
      allowed(["--name", "--dir"])
      return { _tag: "status", name, dir }
    case "env":
      allowed(["--name", "--dir"])
      return { _tag: "env", name, dir }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  }
}

const say = (s: string) => Effect.sync(() => console.log(s))

const clusterDir = (name: string | undefined, dir: string | undefined, env: Env): string =>
  dir !== undefined ? path.resolve(dir) : path.join(clustersRoot(env), name ?? "default")

/** Every folder under the clusters root that holds a cluster.json. */
const allClusterDirs = (env: Env): Array<string> => {
  const root = clustersRoot(env)
  let entries: Array<string> = []
  try {
    entries = fs.readdirSync(root)
  } catch {
    return []
  }
  return entries.map((e) => path.join(root, e)).filter((d) => fs.existsSync(path.join(d, "cluster.json"))).sort()
}

/** The live CassandraDaemon pid of a node folder, if any. */
const livePid = (nodeDir: string, pidFile: string): number | undefined => {
  const v = staleVerdict(readText(pidFile), cmdlineOf, nodeDir)
  return v._tag === "Live" ? v.pid : undefined
}

const procState = (pid: number): string => {
  const stat = readText(`/proc/${pid}/stat`) ?? ""
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)
}

const runStart = (options: StartOptions, env: Env): Effect.Effect<void, LocalCassandraError> =>
  Effect.gen(function*() {
    const resolved = resolveOptions(options, env)
    const existing = readState(resolved.dir)
    if (existing !== undefined) {
      const running = existing.nodes.filter((n) => livePid(n.dir, n.pidFile) !== undefined)
      if (running.length > 0) {
        return yield* new ControlError({
          message: `cluster ${resolved.name} is already running (${running.length} node(s) in ${resolved.dir}); ` +
            `stop it first: cassandra-local stop --name ${resolved.name}`
        })
      }
    }
    const t0 = Date.now()
    const rt = yield* prepare(resolved, true, env)
    const t1 = Date.now()
    yield* say(`starting ${resolved.nodes} node(s) of Cassandra ${resolved.version} in ${resolved.dir} ...`)
    yield* startAll(rt).pipe(
      Effect.onError(() => stopAll(rt, 0)),
      Effect.onInterrupt(() => stopAll(rt, 0))
    )
    const t2 = Date.now()
    const cp = rt.plan.nodePlans.map((n) => `${n.address}:${n.nativePort}`).join(",")
    yield* say([
      `cluster ${resolved.name}: ${resolved.nodes} node(s) of Cassandra ${rt.version ?? resolved.version} ready in ${((t2 - t1) / 1000).toFixed(1)} s` +
      ` (setup ${((t1 - t0) / 1000).toFixed(1)} s)`,
      ...rt.plan.nodePlans.map((n) =>
        `  node${n.index}  ${n.address}:${n.nativePort}  ${n.datacenter}/${n.rack}  pid ${rt.nodes[n.index - 1]?.pid}  log ${n.logFile}`
      ),
      `contact points: ${cp}   local datacenter: ${rt.plan.nodePlans[0]?.datacenter}` +
      (resolved.auth ? `   user/password: ${DEFAULT_CREDENTIALS.username}/${DEFAULT_CREDENTIALS.password}` : "") +
      (resolved.tls ? `   CA: ${rt.plan.caFile}` : ""),
      `use it from tests and the demo:  eval "$(npx cassandra-local env${resolved.name === "default" ? "" : ` --name ${resolved.name}`})"`,
      `stop it:                         npx cassandra-local stop${resolved.name === "default" ? "" : ` --name ${resolved.name}`}`
    ].join("\n"))
  })

const stopDir = (dir: string, graceMillis: number) =>
  Effect.gen(function*() {
    const state = readState(dir)
    if (state === undefined) return yield* new ControlError({ message: `no cluster in ${dir} (cluster.json missing)` })
    const pids = state.nodes.map((n) => ({ n, pid: livePid(n.dir, n.pidFile) }))
    const live = pids.filter((p): p is { n: ClusterStateFile["nodes"][number]; pid: number } => p.pid !== undefined)
    if (live.length === 0) {
      yield* say(`cluster ${state.name}: not running`)
      return
    }
    for (const { pid } of live) {
      signal(pid, "SIGCONT")
      signal(pid, "SIGTERM")
    }
    yield* Effect.forEach(live, ({ n, pid }) =>
      Effect.gen(function*() {
        const graceful = yield* waitExit(pid, graceMillis)
        if (!graceful) {
          signal(pid, "SIGKILL")
          yield* waitExit(pid, 15_000)
        }
        fs.rmSync(n.pidFile, { force: true })
        yield* say(`cluster ${state.name}: node${n.index} (${n.address}, pid ${pid}) stopped${graceful ? "" : " (SIGKILL after the grace)"}`)
      }), { concurrency: "unbounded", discard: true })
  })

const statusDir = (dir: string) =>
  Effect.gen(function*() {
    const state = readState(dir)
    if (state === undefined) return yield* new ControlError({ message: `no cluster in ${dir} (cluster.json missing)` })
    const lines = [`cluster ${state.name} (${state.nodes.length} node(s), Cassandra ${state.version}${state.auth ? ", auth" : ""}${state.tls ? ", tls" : ""}) in ${state.dir}`]
    const ca = state.tls && state.caFile !== undefined ? readText(state.caFile) : undefined
    for (const n of state.nodes) {
      const pid = livePid(n.dir, n.pidFile)
      let what = "stopped"
      if (pid !== undefined) {
        if (procState(pid) === "T") what = `paused (pid ${pid})`
        else {
          const answer = yield* Effect.tryPromise(() =>
            probe({ host: n.address, port: n.nativePort, timeoutMillis: 3000, ca, credentials: state.auth ? DEFAULT_CREDENTIALS : undefined })
          ).pipe(Effect.option)
          what = answer._tag === "Some" ? `running (pid ${pid}), serves CQL, Cassandra ${answer.value}` : `running (pid ${pid}), not answering CQL yet`
        }
      }
      lines.push(`  node${n.index}  ${n.address}:${n.nativePort}  ${n.datacenter ?? LOCAL_DATACENTER}/${n.rack ?? "rack1"}  ${what}`)
    }
    yield* say(lines.join("\n"))
  })

const envDir = (dir: string) =>
  Effect.gen(function*() {
    const state = readState(dir)
    if (state === undefined) return yield* new ControlError({ message: `no cluster in ${dir} (cluster.json missing)` })
    const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`
    const lines = [
      `export ${EnvVars.contactPoints}=${q(state.nodes.map((n) => n.address).join(","))}`,
      `export ${EnvVars.port}=${state.nodes[0]?.nativePort ?? 9042}`,
      `export ${EnvVars.localDatacenter}=${state.nodes[0]?.datacenter ?? LOCAL_DATACENTER}`
    ]
    if (state.auth) lines.push(`export ${EnvVars.username}=cassandra`, `export ${EnvVars.password}=cassandra`)
    if (state.tls && state.caFile !== undefined) lines.push(`export ${EnvVars.tlsCa}=${q(state.caFile)}`)
    yield* say(lines.join("\n"))
  })

/**
 * Runs a parsed command.
 *
 * @since 0.1.0
 */
export const runCommand = (command: Command, env: Env = process.env): Effect.Effect<void, LocalCassandraError> => {
  switch (command._tag) {
    case "help":
      return say(USAGE)
    case "start":
      return runStart(command.options, env)
    case "stop":
      if (command.all) {
        return Effect.forEach(allClusterDirs(env), (d) => stopDir(d, command.graceMillis), { discard: true })
      }
      return stopDir(clusterDir(command.name, command.dir, env), command.graceMillis)
    case "status": {
      if (command.name === undefined && command.dir === undefined) {
        const dirs = allClusterDirs(env)
        return dirs.length === 0 ? say(`no clusters under ${clustersRoot(env)}`) : Effect.forEach(dirs, statusDir, { discard: true })
      }
      return statusDir(clusterDir(command.name, command.dir, env))
    }
    case "env":
      return envDir(clusterDir(command.name, command.dir, env))
  }
}

