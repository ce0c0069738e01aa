/**
 * The cassandra-local command line, on `effect/cli`: the command tree (`start`, `stop`, `status`, `env`, with
 * `--help`, `--version`, `--completions` from effect/cli), each command's flags into a {@link Command}, and the
 * commands themselves. It does not run itself (bin.ts does: exit codes, where help goes) and leaves the node
 * lifecycle to `cluster.ts`.
 *
 * Adding an option to `start`: one entry in `startFlags` and one line in `startOptions`.
 *
 * @internal
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Command as Cli, Flag } from "effect/cli"
import { type Env, EnvVars } from "../Env.ts"
import { ControlError, InvalidOptions } from "../Errors.ts"
import type { LocalCassandraError } from "../Errors.ts"
import { resolveOptions, type StartOptions } from "../LocalCassandra.ts"
import { type ClusterStateFile, prepare, readState, startAll, stopAll, waitExit } from "./cluster.ts"
import { probe } from "./cql.ts"
import { clustersRoot, DEFAULT_CREDENTIALS, LOCAL_DATACENTER } from "./layout.ts"
import { cmdlineOf, readText, signal, staleVerdict } from "./proc.ts"

/**
 * A parsed command line: `start` with its options, `stop`, `status` or `env`.
 *
 * @since 0.1.0
 */
export type Command =
  | { readonly _tag: "start"; readonly options: StartOptions }
  | { readonly _tag: "stop"; readonly name: string | undefined; readonly dir: string | undefined; readonly all: boolean; readonly graceMillis: number }
  | { readonly _tag: "status"; readonly name: string | undefined; readonly dir: string | undefined }
  | { readonly _tag: "env"; readonly name: string | undefined; readonly dir: string | undefined }

/** A whole number flag within [min, max], optional. */
const intFlag = (name: string, min: number, max: number, description: string) =>
  Flag.Int(name).pipe(
    Flag.filter((n) => n >= min && n <= max, (n) => `--${name} must be between ${min} and ${max}, got ${n}`),
    Flag.withDescription(description),
    Flag.optional
  )
const textFlag = (name: string, description: string) => Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)
const switchFlag = (name: string, description: string) => Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))

const nameFlag = (fallback: string) => textFlag("name", `the cluster's folder name (default ${fallback})`)
const dirFlag = textFlag("dir", "the cluster's work folder (default $EFFECT_CASSANDRA_CLUSTERS/NAME, i.e. ~/.cache/effect-cassandra/clusters/NAME)")

/**
 * The flags of `start`.
 *
 * @since 0.2.0
 */
export const startFlags = {
  nodes: intFlag("nodes", 1, 9, "number of nodes (default 1); node i listens on 127.0.0.i"),
  dcs: intFlag("dcs", 1, 9, "datacenters dc1..dcD, nodes round-robin over them (default 1: datacenter1)"),
  racks: intFlag("racks", 1, 9, "racks rack1..rackR per datacenter, its nodes round-robin over them (default 1)"),
  auth: switchFlag("auth", "PasswordAuthenticator (user cassandra, password cassandra)"),
  tls: switchFlag("tls", "client TLS; the CA certificate is written to <dir>/tls/ca.pem"),
  mirror: switchFlag("mirror", "custom payload mirroring query handler"),
  name: nameFlag("\"default\""),
  dir: dirFlag,
  clusterName: textFlag("cluster-name", "Cassandra cluster_name (default effect-cassandra)"),
  port: intFlag("port", 1, 65535, "native (CQL) port (default 9042)"),
  storagePort: intFlag("storage-port", 1, 65535, "internode port (default 7000)"),
  firstAddress: intFlag("first-address", 1, 254, "node 1 listens on 127.0.0.K (default 1)"),
  heap: textFlag("heap", "JVM heap per node (default 768m for 1 node, 640m each for more)"),
  version: textFlag("version", "cassandra-all version (default the pinned 5.0 release)"),
  keepData: switchFlag("keep-data", "keep the data of the previous run of this cluster"),
  timeout: intFlag("timeout", 1, 3600, "seconds allowed for the start (default 180)")
}

type Parsed<F> = { readonly [K in keyof F]: F[K] extends Flag.Flag<infer A> ? A : never }

/**
 * The StartOptions of the parsed flags of `start` (only those given).
 *
 * @since 0.2.0
 */
export const startOptions = (f: Parsed<typeof startFlags>): StartOptions => {
  const o: { -readonly [K in keyof StartOptions]: StartOptions[K] } = {}
  const set = <K extends keyof StartOptions, A>(key: K, value: Option.Option<A>, f: (a: A) => StartOptions[K] = (a) => a as StartOptions[K]) => {
    if (Option.isSome(value)) o[key] = f(value.value)
  }
  set("nodes", f.nodes)
  set("dcs", f.dcs)
  set("racks", f.racks)
  set("name", f.name)
  set("dir", f.dir, (d) => path.resolve(d))
  set("clusterName", f.clusterName)
  set("nativePort", f.port)
  set("storagePort", f.storagePort)
  set("firstAddress", f.firstAddress)
  set("heap", f.heap)
  set("version", f.version)
  set("startTimeout", f.timeout, (s) => `${s} seconds`)
  if (f.auth) o.auth = true
  if (f.tls) o.tls = true
  if (f.mirror) o.customPayloadMirroring = true
  if (f.keepData) o.keepData = true
  return o
}

const value = <A>(o: Option.Option<A>): A | undefined => Option.getOrUndefined(o)

/**
 * The command tree; each command hands its {@link Command} to `run`.
 *
 * @since 0.2.0
 */
export const cli = <E, R>(run: (command: Command) => Effect.Effect<void, E, R>) => {
  const start = Cli.make("start", startFlags, (f) => run({ _tag: "start", options: startOptions(f) })).pipe(
    Cli.withDescription("start a cluster and wait until every node serves CQL (the nodes keep running after the command exits)"),
    Cli.withExamples([
      { command: "cassandra-local start", description: "one node on 127.0.0.1:9042" },
      { command: "cassandra-local start --nodes 3 --auth --tls", description: "three nodes with authentication and client TLS" }
    ])
  )
  const stop = Cli.make("stop", {
    name: nameFlag("\"default\""),
    dir: dirFlag,
    all: switchFlag("all", "every cluster under the clusters folder"),
    grace: intFlag("grace", 0, 600, "seconds between SIGTERM and SIGKILL (default 10)")
  }, (f) =>
    run({
      _tag: "stop",
      name: value(f.name),
      dir: value(f.dir),
      all: f.all,
      graceMillis: Option.match(f.grace, { onNone: () => 10_000, onSome: (s) => s * 1000 })
    })).pipe(Cli.withDescription("stop a cluster (SIGTERM, SIGKILL after the grace)"))
  const status = Cli.make("status", { name: nameFlag("every cluster"), dir: dirFlag }, (f) => run({ _tag: "status", name: value(f.name), dir: value(f.dir) })).pipe(
    Cli.withDescription("show each node of each cluster as a table: address, pid, state, whether it answers CQL")
  )
  const env = Cli.make("env", { name: nameFlag("\"default\""), dir: dirFlag }, (f) => run({ _tag: "env", name: value(f.name), dir: value(f.dir) })).pipe(
    Cli.withDescription("print the CASSANDRA_* variables that point tests and the demo at a cluster: eval \"$(cassandra-local env)\"")
  )
  return Cli.make("cassandra-local").pipe(
    Cli.withDescription("Runs a real Apache Cassandra 5.0 (from Maven Central jars) on this machine."),
    Cli.withSubcommands([start, stop, status, env])
  )
}

/**
 * The version of @effect-cassandra/local (its package.json), for `--version`.
 *
 * @since 0.2.0
 */
export const VERSION: string = (() => {
  try {
    return (JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version
  } catch {
    return "0.0.0"
  }
})()

/**
 * Rows as a table: columns padded to their widest cell, two spaces apart, indented by `indent`.
 *
 * @since 0.2.0
 */
export const formatTable = (rows: ReadonlyArray<ReadonlyArray<string>>, indent = "  "): string => {
  const widths: Array<number> = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n")
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
    if (resolved instanceof InvalidOptions) return yield* resolved
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

/** One node's row of the status table: node, address, pid, state, CQL. */
const statusRow = (n: ClusterStateFile["nodes"][number], state: ClusterStateFile, ca: string | undefined) =>
  Effect.gen(function*() {
    const pid = livePid(n.dir, n.pidFile)
    const row = (what: string, cql: string) => [`node${n.index}`, `${n.address}:${n.nativePort}`, `${n.datacenter ?? LOCAL_DATACENTER}/${n.rack ?? "rack1"}`, pid === undefined ? "-" : String(pid), what, cql]
    if (pid === undefined) return row("stopped", "-")
    if (procState(pid) === "T") return row("paused", "-")
    const answer = yield* Effect.tryPromise(() =>
      probe({ host: n.address, port: n.nativePort, timeoutMillis: 3000, ca, credentials: state.auth ? DEFAULT_CREDENTIALS : undefined })
    ).pipe(Effect.option)
    return answer._tag === "Some" ? row("running", `serves CQL, Cassandra ${answer.value}`) : row("running", "not answering CQL yet")
  })

const statusDir = (dir: string) =>
  Effect.gen(function*() {
    const state = readState(dir)
    if (state === undefined) return yield* new ControlError({ message: `no cluster in ${dir} (cluster.json missing)` })
    const title = `cluster ${state.name} (${state.nodes.length} node(s), Cassandra ${state.version}${state.auth ? ", auth" : ""}${state.tls ? ", tls" : ""}) in ${state.dir}`
    const ca = state.tls && state.caFile !== undefined ? readText(state.caFile) : undefined
    const rows = yield* Effect.forEach(state.nodes, (n) => statusRow(n, state, ca), { concurrency: "unbounded" })
    yield* say(`${title}\n${formatTable([["NODE", "ADDRESS", "DC/RACK", "PID", "STATE", "CQL"], ...rows])}`)
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

