/**
 * Cluster options: what `Cluster.layer` takes, with a doc and a default per field, how they are
 * resolved once into `ResolvedOptions`, and the options the `CASSANDRA_*` variables describe (parsed by `Environment`).
 *
 * It does not connect or validate against a live cluster (the Cluster does, e.g. for `localDc`).
 *
 * @since 0.1.0
 */
import type { ProtocolVersion } from "@effect-cassandra/protocol/Messages"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import type * as tls from "node:tls"
import { type AuthProvider, plainText } from "./Auth.ts"
import * as Environment from "./Environment.ts"
import * as E from "./Errors.ts"
import { DEFAULT_MAX_ORPHANED } from "./internal/connection/Connection.ts"
import { nodeTransport } from "./internal/connection/transport.ts"
import { DEFAULT_MAX_QUEUED } from "./internal/pool/RequestQueue.ts"
import { type AddressTranslator, identity } from "./policies/AddressTranslation.ts"
import type { LoadBalancingPolicyShape } from "./policies/LoadBalancing.ts"
import { defaultSchedule } from "./policies/Reconnection.ts"
import type { RetryPolicyShape } from "./policies/Retry.ts"
import type { Transport } from "./Transport.ts"

/**
 * What `Cluster.layer` takes. A bare number for a duration is milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterOptions {
  /** Hosts to discover the cluster from: `"10.0.0.1"`, `"10.0.0.1:9043"` or a name. */
  readonly contactPoints: ReadonlyArray<string>
  /** Native transport port of hosts given without one (default 9042). */
  readonly port?: number | undefined
  /** The local datacenter; default: the datacenter of the first contact point that answers. */
  readonly localDc?: string | undefined
  /** The highest protocol version to try (default 5); negotiated down to 4 and 3 when refused. */
  readonly protocolVersion?: ProtocolVersion | undefined
  /** `"lz4"`, `"snappy"` (v3/v4 only) or `false`; default: lz4 when the server supports it. */
  readonly compression?: "lz4" | "snappy" | false | undefined
  /** Plain-text credentials, or an `AuthProvider` driving the SASL challenge loop. */
  readonly auth?: { readonly username: string; readonly password: string | Redacted.Redacted<string> } | AuthProvider | undefined
  /** Node TLS options (`ca`, `cert`, ...), or `true` for the system CAs. Hostname verification is on by default. */
  readonly tls?: tls.ConnectionOptions | boolean | undefined
  readonly connectTimeout?: Duration.Input | undefined
  readonly controlConnectionTimeout?: Duration.Input | undefined
  readonly idleHeartbeatInterval?: Duration.Input | undefined
  readonly maxSchemaAgreementWait?: Duration.Input | undefined
  readonly schemaEventRefreshWindow?: Duration.Input | undefined
  readonly topologyEventRefreshWindow?: Duration.Input | undefined
  /** Delays between reconnection attempts to a down host (default: exponential from 1 s, capped at 10 min, jittered). */
  readonly reconnection?: Schedule.Schedule<unknown, unknown> | undefined
  /**
   * Connections per host (default 1: each multiplexes 32768 streams), or per host distance (the load-balancing
   * policy's "local" / "remote"), like the Python driver's core connections per distance.
   */
  readonly connectionsPerHost?: number | { readonly local: number; readonly remote: number } | undefined
  /**
   * Client timeouts in a row on a connection, with no answer in between, after which it is closed as
   * dead and its host reconnected (or marked down): a host that stops answering under load is noticed
   * without waiting for an idle heartbeat. Judged at a sweep and confirmed at the next (25 ms later) if
   * nothing arrived in between: a sweep that ran late, the answers unread, does not close it. Default 64; 0 never.
   */
  readonly defunctTimeoutThreshold?: number | undefined
  /**
   * Requests that may wait for a stream id of one host when every connection of their query plan's hosts
   * is saturated (all 32768 ids in use, or writes held back by a host that stopped reading). Beyond it a
   * request fails at once with `HostBusy`. A waiting request still ends at its timeout. Default 1048576
   * (1,000,000 requests started at once on one connection all get through); 0 never waits.
   */
  readonly maxQueuedRequests?: number | undefined
  /**
   * Stream ids of a connection orphaned by timed-out requests whose answer never came, after which the
   * connection is replaced (it takes no new requests and closes once its live ones are done), when still
   * so at the next sweep. Default 8192, a quarter of the ids (the Java driver's `max-orphan-requests` ratio); 0 never.
   */
  readonly maxOrphanedRequests?: number | undefined
  readonly addressTranslator?: AddressTranslator | undefined
  /**
   * The load-balancing policy; default: the `LoadBalancingPolicy` of the context (DC-aware round robin
   * unless a `LoadBalancing.layer` provides another).
   */
  readonly loadBalancing?: LoadBalancingPolicyShape | undefined
  /** The default retry policy of sessions on this cluster; default: the `RetryPolicy` of the context. */
  readonly retry?: RetryPolicyShape | undefined
  /** Fetch schema metadata (keyspaces, tables) on connect and on schema events (default true). */
  readonly schemaMetadataEnabled?: boolean | undefined
  /** Fetch the token map for token-aware routing (default true); off, no tokens are read. */
  readonly tokenMetadataEnabled?: boolean | undefined
  /**
   * The CQL version sent in STARTUP (default "3.0.0", which every Cassandra since 2.0 accepts); a server
   * that does not support it refuses the connection.
   *
   * @since 0.2.0
   */
  readonly cqlVersion?: string | undefined
  /**
   * Options of the TCP sockets (the default transport's).
   *
   * @since 0.2.0
   */
  readonly socketOptions?: SocketOptions | undefined
}

/**
 * Options of the driver's TCP sockets. Node has no API for a TCP socket's kernel buffer sizes
 * (SO_RCVBUF / SO_SNDBUF), so they are not here: the operating system's defaults apply.
 *
 * @since 0.2.0
 * @category models
 */
export interface SocketOptions {
  /** TCP_NODELAY: send small writes at once (default true: the driver coalesces writes itself). */
  readonly noDelay?: boolean | undefined
  /** SO_KEEPALIVE (default true). */
  readonly keepAlive?: boolean | undefined
  /** Idle time before the first keep-alive probe (default 0: the operating system's). A bare number is milliseconds. */
  readonly keepAliveDelay?: Duration.Input | undefined
}

/**
 * Options with their defaults applied.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedOptions {
  readonly contactPoints: ReadonlyArray<{ readonly address: string; readonly port: number }>
  readonly port: number
  readonly localDc: string | undefined
  readonly protocolVersion: ProtocolVersion
  readonly compression: "lz4" | "snappy" | "auto" | undefined
  readonly auth: AuthProvider | undefined
  readonly transport: Transport
  readonly connectTimeout: Duration.Duration
  readonly controlConnectionTimeout: Duration.Duration
  readonly idleHeartbeatInterval: Duration.Duration
  readonly maxSchemaAgreementWait: Duration.Duration
  readonly schemaEventRefreshWindow: Duration.Duration
  readonly topologyEventRefreshWindow: Duration.Duration
  readonly reconnection: Schedule.Schedule<unknown, unknown>
  /** Connections per host at each distance. */
  readonly connectionsPerHost: { readonly local: number; readonly remote: number }
  readonly defunctTimeoutThreshold: number
  readonly maxQueuedRequests: number
  readonly maxOrphanedRequests: number
  readonly addressTranslator: AddressTranslator
  readonly retry: RetryPolicyShape | undefined
  readonly schemaMetadataEnabled: boolean
  readonly tokenMetadataEnabled: boolean
  /** @since 0.2.0 */
  readonly cqlVersion: string
}

/**
 * Splits `host[:port]` (and `[v6]:port`).
 *
 * @since 0.1.0
 */
export const parseContactPoint = (cp: string, defaultPort: number): { address: string; port: number } => {
  const v6 = /^\[(.+)\](?::(\d+))?$/.exec(cp)
  if (v6) return { address: v6[1]!, port: v6[2] ? Number(v6[2]) : defaultPort }
  const parts = cp.split(":")
  if (parts.length === 2 && /^\d+$/.test(parts[1]!)) return { address: parts[0]!, port: Number(parts[1]) }
  return { address: cp, port: defaultPort }
}

/** A TCP port: an integer in 1..65535. */
const isPort = (port: number): boolean => Number.isInteger(port) && port >= 1 && port <= 65535

/**
 * A duration option: a Duration input (a bare number is milliseconds), else InvalidInput. Negative only
 * where it means something (`negative`: a refresh window or schema agreement wait turned off).
 */
const durationOf = (input: Duration.Input | undefined, fallback: Duration.Input, path: string, negative = false): Duration.Duration | E.InvalidInput => {
  const d = Duration.fromInput(input ?? fallback)
  if (Option.isSome(d) && (negative || Duration.toMillis(d.value) >= 0)) return d.value
  return new E.InvalidInput({ message: `${path}: not a duration: ${String(input)}`, path, expected: "a Duration input (a bare number is milliseconds)" })
}

/**
 * Applies the defaults; `transport` replaces the node:net / node:tls one. Bad options (a duration that
 * is not one, a port outside 1..65535) are an `InvalidInput`, before anything connects.
 *
 * @since 0.1.0
 */
export const resolveOptions = (options: ClusterOptions, transport?: Transport): ResolvedOptions | E.InvalidInput => {
  const port = options.port ?? 9042
  if (!isPort(port)) return new E.InvalidInput({ message: `port: not a TCP port: ${String(port)}`, path: "port", expected: "an integer in 1..65535" })
  const contactPoints = options.contactPoints.map((cp) => parseContactPoint(cp.trim(), port))
  const badPoint = contactPoints.findIndex((cp) => !isPort(cp.port))
  if (badPoint >= 0) {
    return new E.InvalidInput({
      message: `contactPoints[${badPoint}]: not a TCP port in ${JSON.stringify(options.contactPoints[badPoint])}`,
      path: `contactPoints[${badPoint}]`,
      expected: "host or host:port with a port in 1..65535"
    })
  }
  const durations = {
    connectTimeout: durationOf(options.connectTimeout, "5 seconds", "connectTimeout"),
    controlConnectionTimeout: durationOf(options.controlConnectionTimeout, "2 seconds", "controlConnectionTimeout"),
    idleHeartbeatInterval: durationOf(options.idleHeartbeatInterval, "30 seconds", "idleHeartbeatInterval"),
    maxSchemaAgreementWait: durationOf(options.maxSchemaAgreementWait, "10 seconds", "maxSchemaAgreementWait", true),
    schemaEventRefreshWindow: durationOf(options.schemaEventRefreshWindow, "2 seconds", "schemaEventRefreshWindow", true),
    topologyEventRefreshWindow: durationOf(options.topologyEventRefreshWindow, "10 seconds", "topologyEventRefreshWindow", true),
    keepAliveDelay: durationOf(options.socketOptions?.keepAliveDelay, 0, "socketOptions.keepAliveDelay")
  }
  for (const d of Object.values(durations)) if (d instanceof E.InvalidInput) return d
  const auth = options.auth === undefined
    ? undefined
    : "newAuthenticator" in options.auth
    ? options.auth
    : plainText(options.auth.username, options.auth.password)
  const tlsOptions = options.tls === undefined || options.tls === false ? undefined : options.tls === true ? {} : options.tls
  return {
    contactPoints,
    port,
    localDc: options.localDc,
    protocolVersion: options.protocolVersion ?? 5,
    compression: options.compression === false ? undefined : options.compression ?? "auto",
    auth,
    transport: transport ?? nodeTransport(tlsOptions, {
      noDelay: options.socketOptions?.noDelay ?? true,
      keepAlive: options.socketOptions?.keepAlive ?? true,
      keepAliveDelay: durations.keepAliveDelay as Duration.Duration
    }),
    ...(durations as { readonly [K in keyof typeof durations]: Duration.Duration }),
    reconnection: options.reconnection ?? defaultSchedule,
    connectionsPerHost: typeof options.connectionsPerHost === "object"
      ? { local: Math.max(1, options.connectionsPerHost.local), remote: Math.max(1, options.connectionsPerHost.remote) }
      : { local: Math.max(1, options.connectionsPerHost ?? 1), remote: Math.max(1, options.connectionsPerHost ?? 1) },
    addressTranslator: options.addressTranslator ?? identity,
    retry: options.retry,
    defunctTimeoutThreshold: options.defunctTimeoutThreshold ?? 64,
    maxQueuedRequests: Math.max(0, options.maxQueuedRequests ?? DEFAULT_MAX_QUEUED),
    maxOrphanedRequests: Math.max(0, options.maxOrphanedRequests ?? DEFAULT_MAX_ORPHANED),
    schemaMetadataEnabled: options.schemaMetadataEnabled ?? true,
    tokenMetadataEnabled: options.tokenMetadataEnabled ?? true,
    cqlVersion: options.cqlVersion ?? "3.0.0"
  }
}

/**
 * The options the CASSANDRA_* variables describe (see `Environment`): contact points (default
 * 127.0.0.1), port, local datacenter, credentials, protocol version, TLS (`CASSANDRA_TLS`, or a CA from
 * `CASSANDRA_TLS_CA`, a file or inline PEM).
 *
 * @since 0.2.0
 */
export const fromSettings = (settings: Environment.Settings): ClusterOptions => ({
  contactPoints: settings.contactPoints ?? ["127.0.0.1"],
  port: settings.port,
  ...(settings.localDc !== undefined ? { localDc: settings.localDc } : {}),
  ...(settings.credentials !== undefined
    ? { auth: { username: settings.credentials.username, password: Redacted.make(settings.credentials.password) } }
    : {}),
  ...(settings.protocolVersion !== undefined ? { protocolVersion: settings.protocolVersion } : {}),
  ...(settings.caPem !== undefined ? { tls: { ca: settings.caPem } } : settings.tls ? { tls: true } : {})
})

/**
 * The Cluster options from the CASSANDRA_* variables (`fromSettings` of `Environment.config`), through
 * the current ConfigProvider.
 *
 * @since 0.2.0
 * @category config
 */
export const config: Config.Config<ClusterOptions> = Config.map(Environment.config, fromSettings)

/**
 * The CASSANDRA_* variables `Cluster.layerConfig()` reads, one field each (parsed by `Environment`):
 * contactPoints (default 127.0.0.1), port, localDc, username, password, protocolVersion, tlsCa (the
 * CA's PEM, read from the file CASSANDRA_TLS_CA names, or given inline).
 *
 * @since 0.1.0
 * @category config
 */
export const ClusterConfig = Config.map(Environment.config, (s) => ({
  contactPoints: s.contactPoints ?? ["127.0.0.1"],
  port: s.port,
  localDc: Option.fromNullishOr(s.localDc),
  username: Option.fromNullishOr(s.credentials?.username),
  password: Option.map(Option.fromNullishOr(s.credentials?.password), Redacted.make),
  protocolVersion: Option.fromNullishOr(s.protocolVersion as number | undefined),
  tlsCa: Option.fromNullishOr(s.caPem)
}))
