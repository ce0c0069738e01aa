/**
 * Pure planning: paths, tokens, ports, cassandra.yaml and JVM arguments. No I/O here: `cluster.ts`
 * writes the files and starts the processes. What a plan is computed from (`PlanInput`) is defined in
 * the public ResolvedOptions.ts, the environment type (`Env`) in the public Env.ts.
 *
 * @internal
 */
import * as os from "node:os"
import * as path from "node:path"
import type { Env } from "../Env.ts"
import type { PlanInput } from "../ResolvedOptions.ts"

/**
 * The pinned Cassandra release: the newest 5.0 patch release on Maven Central when this was written.
 *
 * @since 0.1.0
 */
export const DEFAULT_CASSANDRA_VERSION = "5.0.9"

/**
 * Default CQL native port.
 *
 * @since 0.1.0
 */
export const DEFAULT_NATIVE_PORT = 9042

/**
 * Default internode storage port.
 *
 * @since 0.1.0
 */
export const DEFAULT_STORAGE_PORT = 7000

/**
 * Default base of the JMX ports: the node at 127.0.0.k listens on `base + 100 * k`.
 *
 * @since 0.1.0
 */
export const DEFAULT_JMX_PORT_BASE = 7000

/**
 * The datacenter of every local node (SimpleSnitch's `datacenter1`).
 *
 * @since 0.1.0
 */
export const LOCAL_DATACENTER = "datacenter1"

/**
 * Where node `i` (1-based) of `nodes` sits in a topology of `dcs` datacenters of `racks` racks each: nodes go
 * round-robin over the datacenters, then, within a datacenter, round-robin over its racks. Datacenters are
 * `dc1..dcD` when there are several, {@link LOCAL_DATACENTER} when there is one; racks `rack1..rackR`.
 *
 * @since 0.2.0
 */
export const placement = (i: number, dcs: number, racks: number): { readonly datacenter: string; readonly rack: string } => {
  const k = i - 1
  const dc = k % dcs
  const inDc = Math.floor(k / dcs)
  return { datacenter: dcs === 1 ? LOCAL_DATACENTER : `dc${dc + 1}`, rack: `rack${(inDc % racks) + 1}` }
}

/**
 * The `cassandra-rackdc.properties` of a node (read by GossipingPropertyFileSnitch from the classpath).
 *
 * @since 0.2.0
 */
export const rackdcProperties = (node: { readonly datacenter: string; readonly rack: string }): string =>
  `# written by @effect-cassandra/local\ndc=${node.datacenter}\nrack=${node.rack}\n`

/**
 * The snitch of a plan: SimpleSnitch for one datacenter of one rack (as before topologies existed),
 * GossipingPropertyFileSnitch otherwise.
 *
 * @since 0.2.0
 */
export const snitchOf = (input: { readonly dcs: number; readonly racks: number }): string =>
  input.dcs === 1 && input.racks === 1 ? "SimpleSnitch" : "GossipingPropertyFileSnitch"

/**
 * Superuser credentials of a cluster started with `auth`.
 *
 * @since 0.1.0
 */
export const DEFAULT_CREDENTIALS = { username: "cassandra", password: "cassandra" } as const

/**
 * Password of the generated PKCS12 keystore.
 *
 * @since 0.1.0
 */
export const KEYSTORE_PASSWORD = "cassandra"

/**
 * The query handler class that echoes custom payloads (`customPayloadMirroring`).
 *
 * @since 0.1.0
 */
export const MIRROR_HANDLER = "org.apache.cassandra.cql3.CustomPayloadMirroringQueryHandler"

/**
 * Root of the cache outside the repo: `$EFFECT_CASSANDRA_CACHE` or `~/.cache/effect-cassandra`.
 *
 * @since 0.1.0
 */
export const cacheRoot = (env: Env = process.env): string =>
  nonEmpty(env.EFFECT_CASSANDRA_CACHE) ?? path.join(os.homedir(), ".cache", "effect-cassandra")

/**
 * Where the jars of one Cassandra version live once fetched.
 *
 * @since 0.1.0
 */
export const jarsDir = (version: string, env: Env = process.env): string =>
  path.join(cacheRoot(env), `cassandra-${version}`, "lib")

/**
 * Folder holding one folder per named cluster: `$EFFECT_CASSANDRA_CLUSTERS` or `<cache>/clusters`.
 *
 * @since 0.1.0
 */
export const clustersRoot = (env: Env = process.env): string =>
  nonEmpty(env.EFFECT_CASSANDRA_CLUSTERS) ?? path.join(cacheRoot(env), "clusters")

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s.trim() === "" ? undefined : s)

/**
 * Murmur3 single token of node `i` (1-based) of `n`, balanced over the ring: `(i-1) * (2^64 / n) - 2^63`.
 *
 * @since 0.1.0
 */
export const initialToken = (i: number, n: number): bigint => {
  if (!Number.isInteger(i) || !Number.isInteger(n) || n < 1 || i < 1 || i > n) {
    throw new RangeError(`initialToken: need 1 <= i <= n, got i=${i} n=${n}`)
  }
  return BigInt(i - 1) * ((1n << 64n) / BigInt(n)) - (1n << 63n)
}

/**
 * Where one node lives and listens: address, ports, token and files.
 *
 * @since 0.1.0
 */
export interface NodePlan {
  readonly index: number
  readonly address: string
  readonly nativePort: number
  readonly storagePort: number
  readonly jmxPort: number
  readonly token: string
  /** `datacenter1`, or `dc1..dcD` with several datacenters. */
  readonly datacenter: string
  /** `rack1..rackR`. */
  readonly rack: string
  readonly dir: string
  readonly confDir: string
  readonly logFile: string
  readonly pidFile: string
  /**
   * `auto_bootstrap`: false for the nodes a cluster starts with (every one a seed), true for a node added
   * to a running cluster (see {@link planAddedNode}), which streams its ranges before it serves.
   *
   * @since 0.2.0
   */
  readonly autoBootstrap: boolean
}

/**
 * The plan of a whole cluster: its input, the seeds, the TLS files, the state file and every node's plan.
 *
 * @since 0.1.0
 */
export interface ClusterPlan extends PlanInput {
  readonly seeds: string
  readonly tlsDir: string
  readonly keystore: string
  readonly caFile: string
  readonly stateFile: string
  readonly nodePlans: ReadonlyArray<NodePlan>
}

/**
 * The address of node `i` (1-based) when node 1 is `127.0.0.<firstAddress>`.
 *
 * @since 0.1.0
 */
export const nodeAddress = (firstAddress: number, i: number): string => `127.0.0.${firstAddress + i - 1}`

/**
 * Most nodes a cluster may have, started and added together (the nodes it starts with and the nodes added later).
 *
 * @since 0.2.0
 */
export const MAX_NODES = 9

/**
 * Why `input` cannot be planned (a readable message), or undefined when it is valid.
 *
 * @since 0.1.0
 */
export const validatePlanInput = (input: PlanInput): string | undefined => {
  if (!Number.isInteger(input.nodes) || input.nodes < 1 || input.nodes > MAX_NODES) return `nodes must be 1..${MAX_NODES}, got ${input.nodes}`
  if (!Number.isInteger(input.dcs) || input.dcs < 1 || input.dcs > input.nodes) return `dcs must be 1..nodes (${input.nodes}), got ${input.dcs}`
  if (!Number.isInteger(input.racks) || input.racks < 1 || input.racks > Math.floor(input.nodes / input.dcs)) {
    return `racks must leave a node in every rack of every datacenter: 1..${Math.floor(input.nodes / input.dcs)} for ${input.nodes} node(s) in ${input.dcs} datacenter(s), got ${input.racks}`
  }
  if (!Number.isInteger(input.firstAddress) || input.firstAddress < 1 || input.firstAddress + input.nodes - 1 > 254) {
    return `firstAddress must keep every node inside 127.0.0.1-254, got ${input.firstAddress}`
  }
  for (const [k, v] of [["nativePort", input.nativePort], ["storagePort", input.storagePort]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 65535) return `${k} must be a TCP port, got ${v}`
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(input.name)) return `name must be a simple folder name, got ${JSON.stringify(input.name)}`
  if (!/^[A-Za-z0-9 _.-]+$/.test(input.clusterName)) return `clusterName has unsupported characters: ${JSON.stringify(input.clusterName)}`
  if (!/^\d+[kmgKMG]$/.test(input.heap)) return `heap must look like 768m or 1g, got ${JSON.stringify(input.heap)}`
  return undefined
}

/**
 * Computes the plan of a cluster from its input (pure: nothing is written).
 *
 * @since 0.1.0
 */
export const planCluster = (input: PlanInput): ClusterPlan => {
  const seeds = Array.from({ length: input.nodes }, (_, k) => `${nodeAddress(input.firstAddress, k + 1)}:${input.storagePort}`).join(",")
  const nodePlans = Array.from({ length: input.nodes }, (_, k): NodePlan => {
    const index = k + 1
    const dir = path.join(input.dir, `node${index}`)
    const octet = input.firstAddress + k
    return {
      index,
      address: nodeAddress(input.firstAddress, index),
      nativePort: input.nativePort,
      storagePort: input.storagePort,
      jmxPort: input.jmxPortBase + octet * 100,
      token: initialToken(index, input.nodes).toString(),
      ...placement(index, input.dcs, input.racks),
      dir,
      confDir: path.join(dir, "conf"),
      logFile: path.join(dir, "logs", "cassandra.log"),
      pidFile: path.join(dir, "cassandra.pid"),
      autoBootstrap: false
    }
  })
  const tlsDir = path.join(input.dir, "tls")
  return {
    ...input,
    seeds,
    tlsDir,
    keystore: path.join(tlsDir, "server.p12"),
    caFile: path.join(tlsDir, "ca.pem"),
    stateFile: path.join(input.dir, "cluster.json"),
    nodePlans
  }
}

const RING_MIN = -(1n << 63n)
const RING_SIZE = 1n << 64n

/**
 * The Murmur3 token in the middle of the widest range between `tokens` (the ring wraps around from the last
 * token to the first): where a node added to the ring takes over the most data of one node. Ties go to the
 * range that starts at the lowest token. With no token, the ring's first token.
 *
 * @since 0.2.0
 */
export const splitWidestRange = (tokens: ReadonlyArray<bigint>): bigint => {
  const sorted = [...new Set(tokens)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  if (sorted.length === 0) return RING_MIN
  let bestStart = sorted[0]!
  let bestWidth = -1n
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i]!
    const width = i + 1 < sorted.length ? sorted[i + 1]! - start : sorted[0]! + RING_SIZE - start
    if (width > bestWidth) {
      bestStart = start
      bestWidth = width
    }
  }
  const mid = bestStart + bestWidth / 2n
  return mid >= -RING_MIN ? mid - RING_SIZE : mid
}

/**
 * The plan of one node added to a running cluster whose nodes are `plan.nodePlans`: the next index and
 * address, its JMX port, the datacenter and rack the round-robin gives it, `autoBootstrap` on (it is not a
 * seed: the cluster's seeds stay those it started with, and a seed would not bootstrap), and `token` or, by
 * default, the middle of the widest range between `ringTokens` ({@link splitWidestRange}; default: every
 * planned node's token, give the tokens of the nodes still in the ring when some were decommissioned).
 * `index` plans that slot again instead of the next one (a decommissioned node's: same address, folder and
 * ports). A readable message when it cannot be added.
 *
 * @since 0.2.0
 */
export const planAddedNode = (
  plan: ClusterPlan,
  options: {
    readonly token?: string | undefined
    readonly ringTokens?: ReadonlyArray<string> | undefined
    readonly index?: number | undefined
  } = {}
): NodePlan | string => {
  const index = options.index ?? plan.nodePlans.length + 1
  if (!Number.isInteger(index) || index < 1 || index > plan.nodePlans.length + 1) return `no slot ${index} to plan a node in`
  if (index > MAX_NODES) return `a cluster has at most ${MAX_NODES} nodes: it has ${plan.nodePlans.length}`
  const octet = plan.firstAddress + index - 1
  if (octet > 254) return `node ${index} would be on 127.0.0.${octet}, outside 127.0.0.1-254`
  const ring = (options.ringTokens ?? plan.nodePlans.map((n) => n.token)).map((t) => BigInt(t))
  let token: string
  if (options.token === undefined) token = splitWidestRange(ring).toString()
  else {
    if (!/^-?\d+$/.test(options.token)) return `token must be a Murmur3 token (an integer), got ${JSON.stringify(options.token)}`
    const t = BigInt(options.token)
    if (t < RING_MIN || t >= -RING_MIN) return `token must be in -2^63..2^63-1, got ${options.token}`
    if (ring.includes(t)) return `token ${options.token} is already taken by another node`
    token = t.toString()
  }
  const dir = path.join(plan.dir, `node${index}`)
  return {
    index,
    address: nodeAddress(plan.firstAddress, index),
    nativePort: plan.nativePort,
    storagePort: plan.storagePort,
    jmxPort: plan.jmxPortBase + octet * 100,
    token,
    ...placement(index, plan.dcs, plan.racks),
    dir,
    confDir: path.join(dir, "conf"),
    logFile: path.join(dir, "logs", "cassandra.log"),
    pidFile: path.join(dir, "cassandra.pid"),
    autoBootstrap: true
  }
}

const AUTH_OFF = [
  "authenticator:",
  "  class_name: AllowAllAuthenticator",
  "authorizer:",
  "  class_name: AllowAllAuthorizer",
  "role_manager:",
  "  class_name: CassandraRoleManager"
].join("\n")

const AUTH_ON = [
  "authenticator:",
  "  class_name: PasswordAuthenticator",
  "authorizer:",
  "  class_name: CassandraAuthorizer",
  "role_manager:",
  "  class_name: CassandraRoleManager",
  "roles_validity: 0ms",
  "permissions_validity: 0ms",
  "credentials_validity: 0ms"
].join("\n")

const clientEncryption = (keystore: string): string =>
  [
    "client_encryption_options:",
    "  enabled: true",
    "  optional: false",
    `  keystore: ${keystore}`,
    `  keystore_password: ${KEYSTORE_PASSWORD}`,
    "  store_type: PKCS12",
    "  require_client_auth: false"
  ].join("\n")

/**
 * Fills the `@@NAME@@` placeholders of the cassandra.yaml template for one node. Unknown placeholders throw.
 *
 * @since 0.1.0
 */
export const renderYaml = (template: string, plan: ClusterPlan, node: NodePlan): string => {
  const values: Record<string, string> = {
    CLUSTER_NAME: plan.clusterName,
    SNITCH: snitchOf(plan),
    SEEDS: plan.seeds,
    NODE_DIR: node.dir,
    NODE_IP: node.address,
    STORAGE_PORT: String(node.storagePort),
    NATIVE_PORT: String(node.nativePort),
    INITIAL_TOKEN: node.token,
    AUTO_BOOTSTRAP: String(node.autoBootstrap),
    AUTH: plan.auth ? AUTH_ON : AUTH_OFF,
    CLIENT_ENCRYPTION: plan.tls ? clientEncryption(plan.keystore) : ""
  }
  return template.replace(/@@([A-Z_]+)@@/g, (_, key: string) => {
    const v = values[key]
    if (v === undefined) throw new Error(`cassandra.yaml template: unknown placeholder @@${key}@@`)
    return v
  })
}

/**
 * Reads a Java argument file: one flag per line, `#` comments and blank lines ignored.
 *
 * @since 0.1.0
 */
export const parseArgsFile = (text: string): Array<string> =>
  text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))

/**
 * The complete `java` command line (without the `java` itself) of one node.
 *
 * @since 0.1.0
 */
export const javaArgs = (options: {
  readonly baseArgs: ReadonlyArray<string>
  readonly libDir: string
  readonly plan: ClusterPlan
  readonly node: NodePlan
  readonly jammJar: string | undefined
}): Array<string> => {
  const { node, plan } = options
  const tmp = path.join(node.dir, "tmp")
  return [
    ...options.baseArgs,
    `-Xms${plan.heap}`,
    `-Xmx${plan.heap}`,
    ...(options.jammJar === undefined ? [] : [`-javaagent:${options.jammJar}`]),
    "-XX:OnOutOfMemoryError=kill -9 %p",
    `-XX:HeapDumpPath=${node.dir}`,
    `-Dcassandra.config=file://${path.join(node.confDir, "cassandra.yaml")}`,
    `-Dlogback.configurationFile=${path.join(node.confDir, "logback.xml")}`,
    `-Dcassandra.logdir=${path.join(node.dir, "logs")}`,
    `-Dcassandra.storagedir=${node.dir}`,
    "-Dcassandra-foreground=yes",
    `-Dcassandra.jmx.local.port=${node.jmxPort}`,
    "-Dcom.sun.management.jmxremote.authenticate=false",
    "-Dcassandra.skip_wait_for_gossip_to_settle=0",
    "-Dcassandra.ring_delay_ms=5000",
    "-Dcassandra.superuser_setup_delay_ms=0",
    "-Dcassandra.skip_sync=true",
    "-Djava.security.manager=allow",
    `-Djna.tmpdir=${tmp}`,
    `-Djava.io.tmpdir=${tmp}`,
    ...(plan.customPayloadMirroring ? [`-Dcassandra.custom_query_handler_class=${MIRROR_HANDLER}`] : []),
    ...plan.extraJvmArgs,
    "-cp",
    `${node.confDir}:${options.libDir}/*`,
    "org.apache.cassandra.service.CassandraDaemon"
  ]
}

/**
 * The `java` command line (without the `java` itself) of `nodetool` against one node: Cassandra's
 * `org.apache.cassandra.tools.NodeTool` from the same jars, over the node's JMX port on 127.0.0.1, with the
 * module flags of the server (RMI needs them on Java 17) and a small heap.
 *
 * @since 0.2.0
 */
export const nodetoolArgs = (options: {
  readonly baseArgs: ReadonlyArray<string>
  readonly libDir: string
  readonly node: NodePlan
  readonly logback: string
  readonly args: ReadonlyArray<string>
}): Array<string> => [
  ...options.baseArgs.filter((a) => a.startsWith("--add-") || a === "-Djava.net.preferIPv4Stack=true"),
  "-Xmx128m",
  "-XX:+UseSerialGC",
  "-XX:TieredStopAtLevel=1",
  `-Dlogback.configurationFile=${options.logback}`,
  `-Dcassandra.storagedir=${path.join(options.node.dir, "tmp")}`,
  "-cp",
  `${options.libDir}/*`,
  "org.apache.cassandra.tools.NodeTool",
  "-h",
  "127.0.0.1",
  "-p",
  String(options.node.jmxPort),
  ...options.args
]

/**
 * Parses the `-version` banner of `java`: the major version, or undefined.
 *
 * @since 0.1.0
 */
export const parseJavaMajor = (banner: string): number | undefined => {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(banner)
  if (m === null) return undefined
  const first = Number(m[1])
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first
}
