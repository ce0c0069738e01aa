/**
 * The node runtime shared by the Effect API (owned, attached nodes) and the CLI (detached nodes): files,
 * processes, readiness waits. The pure planning (paths, ports, tokens, config) is `layout.ts`'s.
 *
 * @internal
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import type { Env } from "../Env.ts"
import { ControlError, NodeStartError, StartTimeoutError } from "../Errors.ts"
import type { JavaNotFoundError, MavenFetchError } from "../Errors.ts"
import type { ResolvedOptions } from "../ResolvedOptions.ts"
import type { NodeInfo } from "../LocalCassandra.ts"
import { probe } from "./cql.ts"
import { ensureJars } from "./jars.ts"
import { findJava, generateKeystore, type Java } from "./java.ts"
import {
  type ClusterPlan,
  DEFAULT_CREDENTIALS,
  javaArgs,
  type NodePlan,
  nodetoolArgs,
  parseArgsFile,
  planAddedNode,
  planCluster,
  rackdcProperties,
  renderYaml,
  validatePlanInput
} from "./layout.ts"
import { fileSize, readFrom, scanLog, tail, upAfterDown } from "./logs.ts"
import { cmdlineOf, disown, isAlive, own, readText, signal, staleVerdict } from "./proc.ts"
import { Progress } from "./progress.ts"
import { resource, resourcePath } from "./resources.ts"
import { parseStatus, ringMissing } from "./ring.ts"

/**
 * The state of one node's process.
 *
 * @since 0.1.0
 */
export type NodeStatus = "running" | "stopped" | "paused"

/**
 * The mutable state of one node of a {@link Runtime}: its pid and status.
 *
 * @since 0.1.0
 */
export interface NodeState {
  readonly plan: NodePlan
  pid: number | undefined
  status: NodeStatus
  spawnError: string | undefined
  /** While paused: where the other nodes' logs were when it was paused. */
  pausedWatch: ReadonlyArray<Watch> | undefined
  /**
   * The node was decommissioned (it left the ring, its process stopped): it does not start again.
   *
   * @since 0.2.0
   */
  decommissioned: boolean
}

/**
 * One cluster being run: its options and plan, the java and jars to use, the TLS material and
 * the state of every node.
 *
 * @since 0.1.0
 */
export interface Runtime {
  readonly options: ResolvedOptions
  /** The plan; its `nodePlans` grow when a node is added ({@link addNode}). */
  plan: ClusterPlan
  readonly java: Java
  readonly libDir: string
  readonly baseArgs: ReadonlyArray<string>
  readonly jammJar: string | undefined
  readonly caCertPem: string | undefined
  readonly credentials: { readonly username: string; readonly password: string } | undefined
  /** Detached nodes outlive this process (CLI); attached ones are killed with it. */
  readonly detached: boolean
  /** One per node of `plan.nodePlans`, in the same order (node i is `nodes[i - 1]`). */
  readonly nodes: Array<NodeState>
  version: string | undefined
}

/**
 * The content of a cluster folder's `cluster.json`, read back by the CLI and by later starts.
 *
 * @since 0.1.0
 */
export interface ClusterStateFile {
  readonly name: string
  readonly dir: string
  readonly clusterName: string
  readonly version: string
  readonly auth: boolean
  readonly tls: boolean
  readonly caFile: string | undefined
  readonly detached: boolean
  readonly ownerPid: number
  readonly startedAt: string
  readonly nodes: ReadonlyArray<{
    readonly index: number
    readonly address: string
    readonly nativePort: number
    readonly storagePort: number
    readonly jmxPort: number
    /** Absent in the state files of clusters started before topologies existed. */
    readonly datacenter?: string
    readonly rack?: string
    readonly dir: string
    readonly logFile: string
    readonly pidFile: string
  }>
}

const sleep = (ms: number) => Effect.sleep(`${ms} millis`)

const writeState = (rt: Runtime): void => {
  const state: ClusterStateFile = {
    name: rt.plan.name,
    dir: rt.plan.dir,
    clusterName: rt.plan.clusterName,
    version: rt.options.version,
    auth: rt.plan.auth,
    tls: rt.plan.tls,
    caFile: rt.plan.tls ? rt.plan.caFile : undefined,
    detached: rt.detached,
    ownerPid: process.pid,
    startedAt: new Date().toISOString(),
    nodes: rt.plan.nodePlans.map((n) => ({
      ...plainNodeInfo(n),
      pidFile: n.pidFile
    }))
  }
  fs.writeFileSync(rt.plan.stateFile, JSON.stringify(state, null, 2) + "\n")
}

/**
 * Reads the `cluster.json` of a cluster folder; undefined when it is missing or not JSON.
 *
 * @since 0.1.0
 */
export const readState = (dir: string): ClusterStateFile | undefined => {
  const text = readText(path.join(dir, "cluster.json"))
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as ClusterStateFile
  } catch {
    return undefined
  }
}

/**
 * Kills (SIGKILL) a CassandraDaemon left running in `nodeDir` by an earlier run, and removes its pid file.
 *
 * @since 0.1.0
 */
export const killStale = (nodeDir: string, pidFile: string) =>
  Effect.gen(function*() {
    const verdict = staleVerdict(readText(pidFile), cmdlineOf, nodeDir)
    if (verdict._tag === "Live") {
      yield* Effect.logWarning(`stopping a stale Cassandra node (pid ${verdict.pid}) left in ${nodeDir}`)
      signal(verdict.pid, "SIGCONT")
      signal(verdict.pid, "SIGKILL")
      yield* waitExit(verdict.pid, 15_000)
    }
    if (verdict._tag !== "NoPidFile") fs.rmSync(pidFile, { force: true })
    return verdict
  })

/**
 * Polls until `pid` is gone; true when it exited within `timeoutMillis`.
 *
 * @since 0.1.0
 */
export const waitExit = (pid: number, timeoutMillis: number) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMillis
    while (isAlive(pid)) {
      if (Date.now() > deadline) return false
      yield* sleep(100)
    }
    return true
  })

const canListen = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer()
    server.once("error", () => resolve(false))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)))
  })

const portsFree = (node: NodePlan, timeoutMillis: number) =>
  Effect.gen(function*() {
    const wanted: ReadonlyArray<readonly [string, number]> = [
      [node.address, node.nativePort],
      [node.address, node.storagePort],
      ["127.0.0.1", node.jmxPort]
    ]
    const deadline = Date.now() + timeoutMillis
    for (;;) {
      const busy: Array<string> = []
      for (const [host, port] of wanted) {
        if (!(yield* Effect.promise(() => canListen(host, port)))) busy.push(`${host}:${port}`)
      }
      if (busy.length === 0) return
      if (Date.now() > deadline) {
        return yield* new NodeStartError({
          node: node.index,
          message: `port ${busy.join(", ")} is already in use: another Cassandra (or other program) is running there. ` +
            "See `npx cassandra-local status` / `npx cassandra-local stop`, or choose other addresses/ports.",
          logFile: node.logFile,
          logTail: ""
        })
      }
      yield* sleep(250)
    }
  })

/**
 * Why the cluster folder described by `state` must not be taken over, or undefined. Its live nodes are stale
 * (and get killed) only when the process that started them is gone; nodes started by `cassandra-local start`
 * or owned by another live process are left alone.
 *
 * @since 0.1.0
 */
export const inUse = (state: ClusterStateFile | undefined, self: number = process.pid): string | undefined => {
  if (state === undefined) return undefined
  const live = state.nodes.filter((n) => staleVerdict(readText(n.pidFile), cmdlineOf, n.dir)._tag === "Live")
  if (live.length === 0) return undefined
  if (state.detached) {
    return `cluster ${state.name} in ${state.dir} is running (started by cassandra-local start): ` +
      `stop it first (npx cassandra-local stop --name ${state.name}), or use it via CASSANDRA_CONTACT_POINTS (npx cassandra-local env --name ${state.name})`
  }
  if (state.ownerPid !== self && (cmdlineOf(state.ownerPid) ?? "").includes("node")) {
    return `cluster ${state.name} in ${state.dir} is in use by another running process (pid ${state.ownerPid}); ` +
      "wait for it to finish, or choose another cluster name"
  }
  return undefined
}

const newNodeState = (plan: NodePlan): NodeState => ({
  plan,
  pid: undefined,
  status: "stopped",
  spawnError: undefined,
  pausedWatch: undefined,
  decommissioned: false
})

/** Writes a node's folders and configuration (cassandra.yaml, logback.xml, rackdc); `wipe` empties it first. Throws on I/O errors. */
const writeNodeFiles = (plan: ClusterPlan, node: NodePlan, wipe: boolean): void => {
  if (wipe) fs.rmSync(node.dir, { recursive: true, force: true })
  for (const sub of ["conf", "data", "commitlog", "saved_caches", "hints", "cdc_raw", "logs", "tmp"]) {
    fs.mkdirSync(path.join(node.dir, sub), { recursive: true })
  }
  fs.writeFileSync(path.join(node.confDir, "cassandra.yaml"), renderYaml(resource("cassandra.yaml.template"), plan, node))
  fs.writeFileSync(path.join(node.confDir, "logback.xml"), resource("logback.xml"))
  fs.writeFileSync(path.join(node.confDir, "cassandra-rackdc.properties"), rackdcProperties(node))
}

/**
 * Prepares folders and config, kills stale nodes, generates TLS material. Nothing is started yet.
 *
 * @since 0.1.0
 */
export const prepare = (
  options: ResolvedOptions,
  detached: boolean,
  env: Env = process.env
): Effect.Effect<Runtime, MavenFetchError | JavaNotFoundError | ControlError> =>
  Effect.gen(function*() {
    const invalid = validatePlanInput(options)
    if (invalid !== undefined) return yield* new ControlError({ message: invalid })
    const plan = planCluster(options)
    const java = yield* findJava(env)
    const libDir = yield* ensureJars(options.version, env)
    const fsFail = (e: unknown) => new ControlError({ message: `cannot prepare ${plan.dir}: ${(e as Error).message}` })
    const busy = inUse(readState(plan.dir))
    if (busy !== undefined) return yield* new ControlError({ message: busy })
    for (const node of plan.nodePlans) yield* killStale(node.dir, node.pidFile)
    const baseArgs = yield* Effect.try({ try: () => parseArgsFile(resource("jvm17.args")), catch: fsFail })
    yield* Effect.try({
      try: () => {
        fs.mkdirSync(plan.dir, { recursive: true })
        for (const node of plan.nodePlans) writeNodeFiles(plan, node, !options.keepData)
      },
      catch: fsFail
    })
    const caCertPem = plan.tls
      ? yield* generateKeystore(java.keytool, plan.keystore, plan.caFile, plan.nodePlans.map((n) => n.address))
      : undefined
    const jammJar = fs.readdirSync(libDir).find((f) => /^jamm-.*\.jar$/.test(f))
    const rt: Runtime = {
      options,
      plan,
      java,
      libDir,
      baseArgs,
      jammJar: jammJar === undefined ? undefined : path.join(libDir, jammJar),
      caCertPem,
      credentials: plan.auth ? DEFAULT_CREDENTIALS : undefined,
      detached,
      nodes: plan.nodePlans.map(newNodeState),
      version: undefined
    }
    yield* Effect.try({ try: () => writeState(rt), catch: fsFail })
    return rt
  })

/**
 * The command line that runs java. As root, Cassandra's mlockall() would lock (and first touch) the whole heap,
 * which costs seconds and a GiB per node: drop CAP_IPC_LOCK with util-linux's setpriv (exec, same pid) so that
 * mlockall fails harmlessly, as it does for ordinary users.
 */
const launcher = (java: string, args: ReadonlyArray<string>): Array<string> =>
  process.getuid?.() === 0 && fs.existsSync("/usr/bin/setpriv")
    ? ["/usr/bin/setpriv", "--bounding-set=-ipc_lock", "--", java, ...args]
    : [java, ...args]

/** Spawns the node's java process; returns the log offset where this run's output starts. */
const spawnNode = (rt: Runtime, node: NodeState): Effect.Effect<number, NodeStartError> =>
  Effect.try({
    try: () => {
      const p = node.plan
      fs.mkdirSync(path.dirname(p.logFile), { recursive: true })
      fs.mkdirSync(path.join(p.dir, "tmp"), { recursive: true })
      const fd = fs.openSync(p.logFile, "a")
      let child: childProcess.ChildProcess
      let offset = 0
      try {
        fs.writeSync(fd, `\n==== @effect-cassandra/local: starting node ${p.index} (${p.address}) at ${new Date().toISOString()} ====\n`)
        offset = fs.fstatSync(fd).size
        const args = javaArgs({ baseArgs: rt.baseArgs, libDir: rt.libDir, plan: rt.plan, node: p, jammJar: rt.jammJar })
        const [cmd, ...argv] = launcher(rt.java.java, args)
        child = childProcess.spawn(cmd as string, argv, {
          cwd: p.dir,
          stdio: ["ignore", fd, fd],
          detached: rt.detached
        })
      } finally {
        fs.closeSync(fd)
      }
      node.spawnError = undefined
      child.on("error", (e) => {
        node.spawnError = e.message
      })
      if (child.pid === undefined) throw new Error(`could not spawn ${rt.java.java}`)
      if (rt.detached) child.unref()
      else own(child.pid)
      fs.writeFileSync(p.pidFile, `${child.pid}\n`)
      node.pid = child.pid
      node.status = "running"
      return offset
    },
    catch: (e) =>
      new NodeStartError({ node: node.plan.index, message: `cannot start java: ${(e as Error).message}`, logFile: node.plan.logFile, logTail: tail(node.plan.logFile) })
  })

/**
 * What readiness still waits for; undefined when ready (not counting the CQL probe).
 *
 * @since 0.1.0
 */
export const missingReadiness = (
  ownLog: string,
  peers: ReadonlyArray<string>,
  watcherLogs: ReadonlyArray<{ readonly index: number; readonly text: string }>,
  address: string
): string | undefined => {
  const s = scanLog(ownLog)
  if (!s.listening) return "the log line 'Starting listening for CQL clients'"
  if (!s.startupComplete) return "the log line 'Startup complete'"
  const missing = peers.filter((p) => !s.up.has(p))
  if (missing.length > 0) return `peers seen UP: ${missing.join(", ")}`
  const notSeen = watcherLogs.filter((w) => !scanLog(w.text).up.has(address)).map((w) => w.index)
  if (notSeen.length > 0) return `node(s) ${notSeen.join(", ")} to see ${address} UP`
  return undefined
}

interface Watch {
  readonly node: NodeState
  readonly offset: number
}

const awaitReady = (rt: Runtime, node: NodeState, offset: number, peers: ReadonlyArray<string>, watchers: ReadonlyArray<Watch>) =>
  Effect.gen(function*() {
    const p = node.plan
    const started = Date.now()
    const deadline = started + rt.options.startTimeoutMillis
    let waitingFor = "the process to start"
    const report = yield* Progress
    for (;;) {
      report({ _tag: "NodeWaiting", node: p.index, waitingFor, elapsedMillis: Date.now() - started })
      const pid = node.pid
      if (pid === undefined || !isAlive(pid) || node.spawnError !== undefined) {
        return yield* new NodeStartError({
          node: p.index,
          message: `node ${p.index} (${p.address}) exited during startup${node.spawnError ? `: ${node.spawnError}` : ""}`,
          logFile: p.logFile,
          logTail: tail(p.logFile)
        })
      }
      const ownLog = readFrom(p.logFile, offset)
      const fatal = scanLog(ownLog).fatal
      if (fatal !== undefined) {
        return yield* new NodeStartError({ node: p.index, message: `node ${p.index} (${p.address}) failed to start: ${fatal}`, logFile: p.logFile, logTail: tail(p.logFile) })
      }
      const livePeers = peers.filter((a) => rt.nodes.some((n) => n.plan.address === a && n.status === "running"))
      const watcherLogs = watchers
        .filter((w) => w.node.status === "running")
        .map((w) => ({ index: w.node.plan.index, text: readFrom(w.node.plan.logFile, w.offset) }))
      const missing = missingReadiness(ownLog, livePeers, watcherLogs, p.address)
      if (missing === undefined) {
        waitingFor = "a CQL query (SELECT release_version FROM system.local) to answer"
        const version = yield* Effect.tryPromise(() =>
          probe({ host: p.address, port: p.nativePort, timeoutMillis: 5000, ca: rt.caCertPem, credentials: rt.credentials })
        ).pipe(Effect.option)
        if (version._tag === "Some") {
          rt.version = version.value
          report({ _tag: "NodeReady", node: p.index, elapsedMillis: Date.now() - started })
          yield* Effect.logInfo(`node ${p.index} (${p.address}:${p.nativePort}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s, Cassandra ${version.value}`)
          return version.value
        }
      } else waitingFor = missing
      if (Date.now() > deadline) {
        return yield* new StartTimeoutError({
          node: p.index,
          message: `node ${p.index} (${p.address}:${p.nativePort}) was not ready within ${rt.options.startTimeoutMillis / 1000} s`,
          timeoutMillis: rt.options.startTimeoutMillis,
          waitingFor,
          logFile: p.logFile,
          logTail: tail(p.logFile)
        })
      }
      yield* sleep(250)
    }
  })

const nodeByIndex = (rt: Runtime, index: number) =>
  Effect.suspend(() => {
    const node = rt.nodes[index - 1]
    return node === undefined
      ? Effect.fail(new ControlError({ message: `no node ${index}: this cluster has nodes 1..${rt.nodes.length}` }))
      : Effect.succeed(node)
  })

/**
 * SIGKILLs a node and waits until it is gone.
 *
 * @since 0.1.0
 */
export const killNode = (rt: Runtime, index: number) =>
  Effect.gen(function*() {
    const node = yield* nodeByIndex(rt, index)
    const pid = node.pid
    if (pid !== undefined) {
      signal(pid, "SIGKILL")
      yield* waitExit(pid, 15_000)
      disown(pid)
    }
    fs.rmSync(node.plan.pidFile, { force: true })
    node.pid = undefined
    node.status = "stopped"
  })

/**
 * SIGTERM, then SIGKILL after `graceMillis`. A paused node is resumed first so that it can handle SIGTERM.
 *
 * @since 0.1.0
 */
export const stopNode = (rt: Runtime, index: number, graceMillis: number) =>
  Effect.gen(function*() {
    const node = yield* nodeByIndex(rt, index)
    const pid = node.pid
    if (pid === undefined) return
    signal(pid, "SIGCONT")
    signal(pid, "SIGTERM")
    const exited = yield* waitExit(pid, graceMillis)
    if (!exited) yield* Effect.logDebug(`node ${index} did not stop within ${graceMillis} ms: SIGKILL`)
    yield* killNode(rt, index)
  })

/**
 * SIGSTOPs a running node (no-op when paused), noting where the other running nodes' logs are so
 * that {@link resumeNode} can wait for them to mark it UP again.
 *
 * @since 0.1.0
 */
export const pauseNode = (rt: Runtime, index: number) =>
  Effect.gen(function*() {
    const node = yield* nodeByIndex(rt, index)
    if (node.pid === undefined || node.status === "stopped") return yield* new ControlError({ message: `node ${index} is not running` })
    if (node.status === "paused") return
    node.pausedWatch = rt.nodes
      .filter((n) => n !== node && n.status === "running")
      .map((n) => ({ node: n, offset: fileSize(n.plan.logFile) }))
    signal(node.pid, "SIGSTOP")
    node.status = "paused"
  })

/**
 * SIGCONT, then waits until the node answers CQL again and every running node that marked it DOWN while it was
 * paused has marked it UP again, so that the next test starts from a healthy cluster.
 *
 * @since 0.1.0
 */
export const resumeNode = (rt: Runtime, index: number) =>
  Effect.gen(function*() {
    const node = yield* nodeByIndex(rt, index)
    if (node.pid === undefined || node.status === "stopped") return yield* new ControlError({ message: `node ${index} is not running` })
    if (node.status !== "paused") return
    signal(node.pid, "SIGCONT")
    node.status = "running"
    const watch = node.pausedWatch ?? []
    node.pausedWatch = undefined
    const p = node.plan
    const deadline = Date.now() + rt.options.startTimeoutMillis
    for (;;) {
      const notUp = watch
        .filter((w) => w.node.status === "running" && !upAfterDown(readFrom(w.node.plan.logFile, w.offset), p.address))
        .map((w) => w.node.plan.index)
      const answers = notUp.length === 0 &&
        (yield* Effect.tryPromise(() =>
          probe({ host: p.address, port: p.nativePort, timeoutMillis: 5000, ca: rt.caCertPem, credentials: rt.credentials })
        ).pipe(Effect.option))._tag === "Some"
      if (answers) return
      if (Date.now() > deadline) {
        return yield* new ControlError({
          message: `node ${index} was resumed but ${notUp.length > 0 ? `node(s) ${notUp.join(", ")} still see it DOWN` : "does not answer CQL"} ` +
            `after ${rt.options.startTimeoutMillis / 1000} s`
        })
      }
      yield* sleep(250)
    }
  })

/**
 * Current status, noticing nodes that died on their own.
 *
 * @since 0.1.0
 */
export const nodeStatus = (rt: Runtime, index: number) =>
  Effect.map(nodeByIndex(rt, index), (node): NodeStatus => {
    if (node.pid !== undefined && !isAlive(node.pid)) {
      disown(node.pid)
      node.pid = undefined
      node.status = "stopped"
    }
    return node.status
  })

/**
 * Starts one node (no-op when running) and waits until it is ready: its log says CQL is listening and startup
 * is complete, it sees every other running node UP, every other running node sees it UP, and a CQL query answers.
 * On failure the node is killed.
 *
 * @since 0.1.0
 */
export const startNode = (rt: Runtime, index: number): Effect.Effect<string, NodeStartError | StartTimeoutError | ControlError> =>
  Effect.gen(function*() {
    const status = yield* nodeStatus(rt, index)
    const node = yield* nodeByIndex(rt, index)
    if (status !== "stopped") return rt.version ?? ""
    if (node.decommissioned) return yield* new ControlError({ message: `node ${index} was decommissioned: it does not rejoin the ring` })
    yield* startNodes(rt, [node])
    return rt.version ?? ""
  })

/**
 * Waits until every running node reports the same `schema_version` in system.local, so that DDL issued right
 * after a (re)start is not routed to a node that has not caught up with the schema yet.
 */
const awaitSchemaAgreement = (rt: Runtime): Effect.Effect<void, StartTimeoutError> =>
  Effect.gen(function*() {
    const deadline = Date.now() + rt.options.startTimeoutMillis
    for (;;) {
      const running = rt.nodes.filter((n) => n.status === "running")
      if (running.length < 2) return
      const versions = yield* Effect.forEach(running, (n) =>
        Effect.tryPromise(() =>
          probe({
            host: n.plan.address,
            port: n.plan.nativePort,
            timeoutMillis: 5000,
            ca: rt.caCertPem,
            credentials: rt.credentials,
            query: "SELECT schema_version FROM system.local"
          })
        ).pipe(Effect.option), { concurrency: "unbounded" })
      const distinct = new Set(versions.map((v) => (v._tag === "Some" ? v.value : "?")))
      if (distinct.size === 1 && !distinct.has("?")) return
      if (Date.now() > deadline) {
        const first = running[0]!.plan
        return yield* new StartTimeoutError({
          node: first.index,
          message: `the nodes did not agree on the schema within ${rt.options.startTimeoutMillis / 1000} s`,
          timeoutMillis: rt.options.startTimeoutMillis,
          waitingFor: `schema agreement (versions: ${running.map((n, i) => `node${n.plan.index}=${versions[i]?._tag === "Some" ? versions[i].value.slice(0, 8) : "no answer"}`).join(", ")})`,
          logFile: first.logFile,
          logTail: tail(first.logFile)
        })
      }
      yield* sleep(250)
    }
  })

/**
 * Up to this many nodes start in parallel; more start one after another (two cores and a few GiB do not
 * take four JVMs starting at once).
 *
 * @since 0.2.0
 */
export const PARALLEL_START_LIMIT = 3

/**
 * Starts the given stopped nodes (in parallel, or one after another beyond {@link PARALLEL_START_LIMIT})
 * and waits for all of them.
 *
 * @since 0.1.0
 */
export const startNodes = (rt: Runtime, nodes: ReadonlyArray<NodeState>): Effect.Effect<void, NodeStartError | StartTimeoutError> =>
  Effect.gen(function*() {
    const starting = new Set(nodes.map((n) => n.plan.index))
    for (const node of nodes) {
      yield* killStale(node.plan.dir, node.plan.pidFile)
      yield* portsFree(node.plan, 10_000)
    }
    // Nodes already running must see the new ones UP: remember where their logs are now.
    const watchers: Array<Watch> = rt.nodes
      .filter((n) => !starting.has(n.plan.index) && n.status !== "stopped")
      .map((n) => ({ node: n, offset: fileSize(n.plan.logFile) }))
    const peersOf = (node: NodeState) => rt.nodes.filter((n) => n !== node).map((n) => n.plan.address)
    yield* Effect.gen(function*() {
      if (nodes.length > PARALLEL_START_LIMIT) {
        // one after another: each node must see the running ones UP, and they it (nodes not yet started
        // are not running, so awaitReady does not wait for them)
        const started: Array<Watch> = []
        for (const node of nodes) {
          const offset = yield* spawnNode(rt, node)
          yield* awaitReady(rt, node, offset, peersOf(node), [...watchers, ...started])
          started.push({ node, offset })
        }
      } else {
        const offsets = new Map<number, number>()
        for (const node of nodes) offsets.set(node.plan.index, yield* spawnNode(rt, node))
        yield* Effect.forEach(
          nodes,
          (node) => awaitReady(rt, node, offsets.get(node.plan.index) ?? 0, peersOf(node), watchers),
          { concurrency: "unbounded", discard: true }
        )
      }
      yield* awaitSchemaAgreement(rt)
    }).pipe(
      // A failed start leaves none of these nodes running.
      Effect.tapError(() => Effect.forEach(nodes, (n) => killNode(rt, n.plan.index).pipe(Effect.ignore), { discard: true }))
    )
    if (!rt.detached) yield* Effect.sync(() => writeState(rt))
  })

/**
 * Starts every stopped node and waits for all of them (see {@link startNodes}).
 *
 * @since 0.1.0
 */
export const startAll = (rt: Runtime) => startNodes(rt, rt.nodes.filter((n) => n.status === "stopped"))

/**
 * Stops every node in parallel (SIGTERM, SIGKILL after `graceMillis`), ignoring failures.
 *
 * @since 0.1.0
 */
export const stopAll = (rt: Runtime, graceMillis: number) =>
  Effect.forEach(rt.nodes, (n) => stopNode(rt, n.plan.index, graceMillis).pipe(Effect.ignore), { concurrency: "unbounded", discard: true })

/**
 * Runs `nodetool <args>` against node `index` (see `nodetoolArgs`) and gives its standard output; a non-zero
 * exit, a node that is not running or no answer within `timeoutMillis` fail with a ControlError carrying
 * the tool's stderr.
 *
 * @since 0.2.0
 */
export const nodetool = (rt: Runtime, index: number, args: ReadonlyArray<string>, timeoutMillis = 60_000): Effect.Effect<string, ControlError> =>
  Effect.gen(function*() {
    const node = yield* nodeByIndex(rt, index)
    if (node.status !== "running") return yield* new ControlError({ message: `nodetool: node ${index} is ${node.status}` })
    const argv = nodetoolArgs({ baseArgs: rt.baseArgs, libDir: rt.libDir, node: node.plan, logback: resourcePath("logback-tools.xml"), args })
    return yield* Effect.callback<string, ControlError>((resume) => {
      const child = childProcess.execFile(rt.java.java, argv, { timeout: timeoutMillis, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err === null) return resume(Effect.succeed(stdout))
        // NodeTool prints some failures (`error: ...`) on stdout
        const said = String(stderr).trim() === "" ? String(stdout).trim() : String(stderr).trim()
        resume(Effect.fail(new ControlError({ message: `nodetool ${args.join(" ")} on node ${index} failed (${err.message.split("\n")[0].slice(0, 200)}): ${said.slice(-2000)}` })))
      })
      return Effect.sync(() => child.kill("SIGKILL"))
    })
  })

/**
 * Polls `nodetool status` on every running node of `viewers` until each lists `address` as `want` (`"UN"`:
 * joined, up and normal) or does not list it at all (`"gone"`); fails with what is still missing after
 * `timeoutMillis`. A viewer that saw it so is not asked again (each nodetool is a JVM start: seconds on a
 * loaded machine).
 */
const awaitRing = (
  rt: Runtime,
  viewers: ReadonlyArray<NodeState>,
  address: string,
  want: "UN" | "gone",
  timeoutMillis: number
): Effect.Effect<void, string> =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMillis
    const satisfied = new Set<NodeState>()
    for (;;) {
      const missing: Array<string> = []
      for (const v of viewers) {
        if (v.status !== "running" || satisfied.has(v)) continue
        const out = yield* Effect.option(nodetool(rt, v.plan.index, ["status"]))
        const why = out._tag === "None"
          ? `node ${v.plan.index} to answer nodetool status`
          : ringMissing(v.plan.index, parseStatus(out.value), address, want)
        if (why === undefined) satisfied.add(v)
        else missing.push(why)
      }
      if (missing.length === 0) return
      if (Date.now() > deadline) return yield* Effect.fail(missing.join("; "))
      yield* sleep(1000)
    }
  })

/**
 * Adds a node to the running cluster and waits until it has joined: plans it (the slot of the first
 * decommissioned node, else the next index and address; `auto_bootstrap: true`, the cluster's seeds, name
 * and snitch, `token` or the middle of the widest range of the nodes in the ring), writes its folder (a
 * reused slot's is wiped), starts it (its log says startup is complete only after it streamed its ranges;
 * every running node sees it UP; it answers CQL; the schema agrees) and waits until every running node, itself
 * included, lists it `UN` in `nodetool status`. A node that fails to join is killed and its slot goes back
 * to what it was. Not for TLS clusters (the certificate names the nodes the cluster started with) nor
 * detached ones.
 *
 * @since 0.2.0
 */
export const addNode = (
  rt: Runtime,
  options: { readonly token?: string | undefined } = {}
): Effect.Effect<NodeState, NodeStartError | StartTimeoutError | ControlError> =>
  Effect.gen(function*() {
    if (rt.plan.tls) return yield* new ControlError({ message: "addNode: a TLS cluster's certificate names only the nodes it started with" })
    if (rt.detached) return yield* new ControlError({ message: "addNode: not for a cluster started by cassandra-local start" })
    if (!rt.nodes.some((n) => n.status === "running")) return yield* new ControlError({ message: "addNode: no node of the cluster is running" })
    const ringTokens = rt.nodes.filter((n) => !n.decommissioned).map((n) => n.plan.token)
    const previous = rt.nodes.find((n) => n.decommissioned && n.status === "stopped")
    const planned = planAddedNode(rt.plan, { token: options.token, ringTokens, index: previous?.plan.index })
    if (typeof planned === "string") return yield* new ControlError({ message: `addNode: ${planned}` })
    yield* killStale(planned.dir, planned.pidFile)
    yield* Effect.try({
      try: () => writeNodeFiles(rt.plan, planned, true),
      catch: (e) => new ControlError({ message: `addNode: cannot write ${planned.dir}: ${(e as Error).message}` })
    })
    const node = newNodeState(planned)
    const slot = planned.index - 1
    const put = (state: NodeState | undefined) =>
      Effect.sync(() => {
        if (state === undefined) rt.nodes.splice(slot, 1)
        else rt.nodes[slot] = state
        const plans = rt.nodes.map((n) => n.plan)
        rt.plan = { ...rt.plan, nodePlans: plans }
        if (!rt.detached) writeState(rt)
      })
    yield* put(node)
    yield* Effect.gen(function*() {
      yield* startNodes(rt, [node])
      const viewers = rt.nodes.filter((n) => n.status === "running")
      const missing = yield* Effect.option(Effect.flip(awaitRing(rt, viewers, planned.address, "UN", rt.options.startTimeoutMillis)))
      if (missing._tag === "Some") {
        return yield* new StartTimeoutError({
          node: planned.index,
          message: `node ${planned.index} (${planned.address}) did not join the ring within ${rt.options.startTimeoutMillis / 1000} s`,
          timeoutMillis: rt.options.startTimeoutMillis,
          waitingFor: missing.value,
          logFile: planned.logFile,
          logTail: tail(planned.logFile)
        })
      }
    }).pipe(Effect.tapError(() => Effect.andThen(killNode(rt, planned.index).pipe(Effect.ignore), put(previous))))
    yield* Effect.logInfo(`node ${planned.index} (${planned.address}, token ${planned.token}) joined the ring`)
    return node
  })

/**
 * How long `nodetool decommission` may run (it streams the node's data to the others, then announces its
 * leaving for a ring delay).
 *
 * @since 0.2.0
 */
export const DECOMMISSION_TIMEOUT_MILLIS = 10 * 60_000

/**
 * Decommissions a running node: `nodetool decommission` against the node's JMX port (it returns once the
 * node streamed its data away, left the ring and closed its CQL port and gossip: Cassandra's DECOMMISSIONED
 * mode), then waits until no other running node lists it in `nodetool status`. Its process keeps running
 * until {@link stopNode}; it does not start again (once stopped, {@link addNode} takes its slot). The last
 * running node cannot be decommissioned. `force` (`nodetool decommission --force`) lets the node go even
 * when fewer nodes than a keyspace's replication factor would be left (Cassandra refuses otherwise).
 *
 * @since 0.2.0
 */
export const decommissionNode = (rt: Runtime, index: number, force = false): Effect.Effect<void, ControlError> =>
  Effect.gen(function*() {
    const node = yield* nodeByIndex(rt, index)
    const status = yield* nodeStatus(rt, index)
    if (node.decommissioned) return yield* new ControlError({ message: `node ${index} is already decommissioned` })
    if (status !== "running") return yield* new ControlError({ message: `decommission: node ${index} is ${status}` })
    const others = rt.nodes.filter((n) => n !== node && n.status === "running")
    if (others.length === 0) return yield* new ControlError({ message: `decommission: node ${index} is the last running node` })
    const t0 = Date.now()
    yield* nodetool(rt, index, force ? ["decommission", "--force"] : ["decommission"], DECOMMISSION_TIMEOUT_MILLIS)
    node.decommissioned = true
    yield* Effect.mapError(
      awaitRing(rt, others, node.plan.address, "gone", rt.options.startTimeoutMillis),
      (missing) => new ControlError({ message: `node ${index} was decommissioned, but after ${rt.options.startTimeoutMillis / 1000} s still waiting for ${missing}` })
    )
    yield* Effect.logInfo(`node ${index} (${node.plan.address}) decommissioned in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  })

/**
 * The plain description of a node (a node plan or a node control without its methods).
 *
 * @since 0.2.0
 */
export const plainNodeInfo = (n: NodeInfo): NodeInfo => ({
  index: n.index,
  address: n.address,
  nativePort: n.nativePort,
  storagePort: n.storagePort,
  jmxPort: n.jmxPort,
  datacenter: n.datacenter,
  rack: n.rack,
  dir: n.dir,
  logFile: n.logFile
})
