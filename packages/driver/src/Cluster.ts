/**
 * `Cluster`: the Python driver's `Cluster` as an Effect service. It owns the control connection
 * (host discovery from system.local / system.peers_v2, TOPOLOGY/STATUS/SCHEMA events with debounced
 * refreshes, failover to another host), the negotiated protocol version, the host states and their
 * events, and opens connections for sessions. Closing the Layer's scope is `shutdown()`.
 *
 * @since 0.1.0
 */
import type { ProtocolVersion, Row, Event as ProtocolEvent } from "@effect-cassandra/protocol"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as tls from "node:tls"
import { type AuthProvider, plainText } from "./Auth.ts"
import * as E from "./Errors.ts"
import type { Host, HostEvent } from "./Host.ts"
import * as Conn from "./internal/connection.ts"
import { nodeTransport, type Transport } from "./internal/transport.ts"
import { buildSchema, type KeyspaceMetadata, type TableMetadata, TokenMap } from "./Metadata.ts"
import { LoadBalancingPolicy, type LoadBalancingPolicyShape } from "./policies/LoadBalancing.ts"
import type { RetryPolicyShape } from "./policies/Retry.ts"

/** Rewrites the addresses the cluster reports (system.peers) into addresses the client can reach. */
export type AddressTranslator = (address: string, port: number) => { readonly address: string; readonly port: number }

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
   * without waiting for an idle heartbeat. Default 64; 0 never.
   */
  readonly defunctTimeoutThreshold?: number | undefined
  readonly addressTranslator?: AddressTranslator | undefined
  /**
   * The load-balancing policy; default: the `LoadBalancingPolicy` of the context (DC-aware round robin
   * unless a `LoadBalancing.layer` provides another).
   */
  readonly loadBalancing?: LoadBalancingPolicyShape | undefined
  /** The retry policy of sessions on this cluster; default: the `RetryPolicy` of the context. */
  readonly retry?: RetryPolicyShape | undefined
  /** Fetch schema metadata (keyspaces, tables) on connect and on schema events (default true). */
  readonly schemaMetadataEnabled?: boolean | undefined
  /** Fetch the token map for token-aware routing (default true). */
  readonly tokenMetadataEnabled?: boolean | undefined
}

/** Options with their defaults applied. */
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
  readonly addressTranslator: AddressTranslator
  readonly retry: RetryPolicyShape | undefined
  readonly schemaMetadataEnabled: boolean
  readonly tokenMetadataEnabled: boolean
}

/** Overrides the socket transport (mock hosts use this). */
export const TransportOverride: Context.Reference<Transport | undefined> = Context.Reference<Transport | undefined>(
  "@effect-cassandra/driver/TransportOverride",
  { defaultValue: () => undefined }
)

export const defaultReconnection: Schedule.Schedule<unknown, unknown> = Schedule.min([
  Schedule.exponential("1 second"),
  Schedule.spaced("10 minutes")
]).pipe(Schedule.jittered) as Schedule.Schedule<unknown, unknown>

/** Splits `host[:port]` (and `[v6]:port`). */
export const parseContactPoint = (cp: string, defaultPort: number): { address: string; port: number } => {
  const v6 = /^\[(.+)\](?::(\d+))?$/.exec(cp)
  if (v6) return { address: v6[1]!, port: v6[2] ? Number(v6[2]) : defaultPort }
  const parts = cp.split(":")
  if (parts.length === 2 && /^\d+$/.test(parts[1]!)) return { address: parts[0]!, port: Number(parts[1]) }
  return { address: cp, port: defaultPort }
}

export const resolveOptions = (options: ClusterOptions, transport?: Transport): ResolvedOptions => {
  const port = options.port ?? 9042
  const auth = options.auth === undefined
    ? undefined
    : "newAuthenticator" in options.auth
    ? options.auth
    : plainText(options.auth.username, options.auth.password)
  const tlsOptions = options.tls === undefined || options.tls === false ? undefined : options.tls === true ? {} : options.tls
  return {
    contactPoints: options.contactPoints.map((cp) => parseContactPoint(cp.trim(), port)),
    port,
    localDc: options.localDc,
    protocolVersion: options.protocolVersion ?? 5,
    compression: options.compression === false ? undefined : options.compression ?? "auto",
    auth,
    transport: transport ?? nodeTransport(tlsOptions),
    connectTimeout: Duration.fromInputUnsafe(options.connectTimeout ?? "5 seconds"),
    controlConnectionTimeout: Duration.fromInputUnsafe(options.controlConnectionTimeout ?? "2 seconds"),
    idleHeartbeatInterval: Duration.fromInputUnsafe(options.idleHeartbeatInterval ?? "30 seconds"),
    maxSchemaAgreementWait: Duration.fromInputUnsafe(options.maxSchemaAgreementWait ?? "10 seconds"),
    schemaEventRefreshWindow: Duration.fromInputUnsafe(options.schemaEventRefreshWindow ?? "2 seconds"),
    topologyEventRefreshWindow: Duration.fromInputUnsafe(options.topologyEventRefreshWindow ?? "10 seconds"),
    reconnection: options.reconnection ?? defaultReconnection,
    connectionsPerHost: typeof options.connectionsPerHost === "object"
      ? { local: Math.max(1, options.connectionsPerHost.local), remote: Math.max(1, options.connectionsPerHost.remote) }
      : { local: Math.max(1, options.connectionsPerHost ?? 1), remote: Math.max(1, options.connectionsPerHost ?? 1) },
    addressTranslator: options.addressTranslator ?? ((address, port) => ({ address, port })),
    retry: options.retry,
    defunctTimeoutThreshold: options.defunctTimeoutThreshold ?? 64,
    schemaMetadataEnabled: options.schemaMetadataEnabled ?? true,
    tokenMetadataEnabled: options.tokenMetadataEnabled ?? true
  }
}

/** @internal mutable host record behind the read-only `Host` view. */
export class HostState implements Host {
  readonly endpoint: string
  readonly address: string
  readonly port: number
  datacenter: string | undefined = undefined
  rack: string | undefined = undefined
  hostId: string | undefined = undefined
  releaseVersion: string | undefined = undefined
  schemaVersion: string | undefined = undefined
  tokens: ReadonlyArray<string> = []
  isUp = true
  constructor(address: string, port: number) {
    this.address = address
    this.port = port
    this.endpoint = address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`
  }
  snapshot(): Host {
    return {
      endpoint: this.endpoint,
      address: this.address,
      port: this.port,
      datacenter: this.datacenter,
      rack: this.rack,
      hostId: this.hostId,
      releaseVersion: this.releaseVersion,
      tokens: this.tokens,
      isUp: this.isUp
    }
  }
}

export interface ClusterShape {
  readonly options: ResolvedOptions
  /** The protocol version negotiated with the first host. */
  readonly protocolVersion: ProtocolVersion
  /** The local datacenter (configured or inferred). */
  readonly localDc: string | undefined
  /** Current hosts (live objects: `isUp` changes as the driver learns). */
  readonly hosts: () => ReadonlyArray<Host>
  readonly getHost: (endpoint: string) => Host | undefined
  /** The endpoint the control connection is on (undefined while it reconnects). */
  readonly controlHost: () => string | undefined
  /** Host up/down/added/removed events from now on. */
  readonly events: Stream.Stream<HostEvent>
  /** Schema change events from the control connection. */
  readonly schemaChanges: Stream.Stream<ProtocolEvent>
  /**
   * Hosts a STATUS_CHANGE UP reported: a hint for the pools to try them now, not an event of its own
   * (`events` has `HostUp` once a connection to the host opened).
   */
  readonly upHints: Stream.Stream<Host>
  /** Opens a connection to a host with the negotiated version; it closes with the Scope. */
  readonly connect: (
    host: Host,
    keyspace?: string
  ) => Effect.Effect<Conn.Connection, E.ConnectionError | E.AuthenticationError, Scope.Scope>
  /** Records a host as down (a session's pool lost it) or up again. */
  readonly markDown: (host: Host, reason: string) => Effect.Effect<void>
  readonly markUp: (host: Host) => Effect.Effect<void>
  /** Runs a query on the control connection (metadata, schema agreement). */
  readonly controlQuery: (query: string) => Effect.Effect<ReadonlyArray<Row>, E.RequestError | E.InvalidInput>
  /** Waits until every up host reports the same schema version, up to `maxSchemaAgreementWait`. */
  readonly waitForSchemaAgreement: Effect.Effect<boolean>
  /**
   * The same, asking through `query` (e.g. the connection of the host that ran the DDL, which already has
   * the new schema: asked through another host, all versions can agree on the old one for a moment).
   */
  readonly waitForSchemaAgreementVia: (
    query: (cql: string) => Effect.Effect<ReadonlyArray<Row>, E.RequestError | E.InvalidInput>
  ) => Effect.Effect<boolean>
  /** Re-reads hosts from the system tables now. */
  readonly refreshTopology: Effect.Effect<void, E.RequestError | E.InvalidInput>
  readonly loadBalancing: LoadBalancingPolicyShape
  /** Schema and token metadata. */
  readonly metadata: MetadataView
}

/** What the cluster knows of the schema and the ring. */
export interface MetadataView {
  readonly keyspaces: () => ReadonlyMap<string, KeyspaceMetadata>
  readonly keyspace: (name: string) => KeyspaceMetadata | undefined
  readonly table: (keyspace: string, table: string) => TableMetadata | undefined
  /** The token ring (undefined until hosts with tokens are known or when token metadata is off). */
  readonly tokenMap: () => TokenMap | undefined
  /** Re-reads system_schema now. */
  readonly refreshSchema: Effect.Effect<void, E.RequestError | E.InvalidInput>
  /** Re-reads one keyspace's schema now (the Python driver's `refresh_keyspace_metadata`). */
  readonly refreshKeyspace: (keyspace: string) => Effect.Effect<void, E.RequestError | E.InvalidInput>
}

export class Cluster extends Context.Service<Cluster, ClusterShape>()("@effect-cassandra/driver/Cluster") {}

const rowString = (row: Row, key: string): string | undefined => {
  const v = row[key]
  return typeof v === "string" ? v : undefined
}

const openWithNegotiation = (
  options: ResolvedOptions,
  address: string,
  port: number,
  startVersion: ProtocolVersion,
  extra: Partial<Conn.ConnectionOptions>
): Effect.Effect<Conn.Connection, E.ConnectionError | E.AuthenticationError, Scope.Scope> =>
  Effect.gen(function*() {
    let version = startVersion
    for (;;) {
      const attempt = yield* Effect.exit(Conn.open({
        host: address,
        port,
        version,
        compression: options.compression,
        auth: options.auth,
        transport: options.transport,
        connectTimeout: options.connectTimeout,
        heartbeatInterval: options.idleHeartbeatInterval,
        defunctTimeoutThreshold: options.defunctTimeoutThreshold,
        ...extra
      }))
      if (Exit.isSuccess(attempt)) return attempt.value
      const failure = attempt.cause.reasons.find((r) => r._tag === "Fail")
      const error = failure?._tag === "Fail" ? failure.error : undefined
      if (error instanceof Conn.UnsupportedVersion && version > 3) {
        version = (version - 1) as ProtocolVersion
        continue
      }
      if (error instanceof Conn.UnsupportedVersion) {
        return yield* new E.ConnectionError({ message: `no common protocol version: ${error.message}`, host: `${address}:${port}` })
      }
      return yield* Effect.failCause(attempt.cause as any) as Effect.Effect<never, E.ConnectionError | E.AuthenticationError>
    }
  })

/** Builds the Cluster service. Fails with `NoHostAvailable` when no contact point answers. */
export const make = (
  options: ClusterOptions
): Effect.Effect<ClusterShape, E.NoHostAvailable | E.AuthenticationError, Scope.Scope> =>
  Effect.gen(function*() {
    const override = yield* TransportOverride
    const resolved = resolveOptions(options, override)
    const loadBalancing = options.loadBalancing ?? (yield* LoadBalancingPolicy)
    const scope = yield* Effect.scope
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const hostEvents = yield* PubSub.unbounded<HostEvent>()
    const schemaEvents = yield* PubSub.unbounded<ProtocolEvent>()
    const upHints = yield* PubSub.unbounded<Host>()
    const hosts = new Map<string, HostState>()
    /** `hosts` as an array, rebuilt when a host is added or removed (not when it goes up or down). */
    let hostList: ReadonlyArray<HostState> = []
    const hostsChanged = () => {
      hostList = [...hosts.values()]
    }
    let localDc = resolved.localDc
    let version: ProtocolVersion = resolved.protocolVersion
    let control: Conn.Connection | undefined
    let controlScope: Scope.Closeable | undefined
    let topologyRefresh: Fiber.Fiber<unknown, unknown> | undefined
    let schemaRefresh: Fiber.Fiber<unknown, unknown> | undefined
    let keyspaces: ReadonlyMap<string, KeyspaceMetadata> = new Map()
    let tokenMap: TokenMap | undefined
    let shuttingDown = false
    /** Every open connection of this cluster (control and pools): one timer checks their timeouts. */
    const sweepSet = new Set<Conn.Connection>()
    yield* Effect.forkScoped(Conn.sweepEvery(sweepSet))
    /** The cluster's partitioner is Murmur3 (the only one whose tokens the driver computes). */
    let murmur3 = true
    const rebuildTokenMap = () => {
      tokenMap = resolved.tokenMetadataEnabled && murmur3 ? new TokenMap([...hosts.values()]) : undefined
    }
    yield* Effect.addFinalizer(() => Effect.sync(() => { shuttingDown = true }))

    const publish = (event: HostEvent) => PubSub.publish(hostEvents, event)

    const controlQuery = (query: string): Effect.Effect<ReadonlyArray<Row>, E.RequestError | E.InvalidInput> =>
      Effect.suspend(() => {
        if (control === undefined || control.closed !== undefined) {
          return Effect.fail(new E.ConnectionError({ message: "no control connection" }))
        }
        return Effect.flatMap(
          Effect.clockWith((clock) =>
            control!.send(
              { _tag: "Query", query, params: { consistency: 1 } },
              { deadline: clock.currentTimeMillisUnsafe() + Duration.toMillis(resolved.controlConnectionTimeout) }
            )
          ),
          (frame) => Effect.succeed(frame.response._tag === "Result" && frame.response.result.kind === "Rows" ? frame.response.result.rows : [])
        )
      })

    const upsertHost = (address: string, port: number, row: Row): { host: HostState; added: boolean } => {
      const translated = resolved.addressTranslator(address, port)
      const key = new HostState(translated.address, translated.port).endpoint
      let host = hosts.get(key)
      const added = host === undefined
      if (host === undefined) {
        host = new HostState(translated.address, translated.port)
        hosts.set(key, host)
        hostsChanged()
      }
      host.datacenter = rowString(row, "data_center") ?? host.datacenter
      host.rack = rowString(row, "rack") ?? host.rack
      host.hostId = rowString(row, "host_id") ?? host.hostId
      host.releaseVersion = rowString(row, "release_version") ?? host.releaseVersion
      host.schemaVersion = rowString(row, "schema_version") ?? host.schemaVersion
      const tokens = row["tokens"]
      if (Array.isArray(tokens)) host.tokens = tokens.map(String)
      return { host, added }
    }

    const refreshTopology: Effect.Effect<void, E.RequestError | E.InvalidInput> = Effect.gen(function*() {
      const conn = control
      if (conn === undefined) return
      const local = yield* controlQuery("SELECT * FROM system.local WHERE key = 'local'")
      let peers: ReadonlyArray<Row>
      let v2 = true
      const peersV2 = yield* Effect.exit(controlQuery("SELECT * FROM system.peers_v2"))
      if (Exit.isSuccess(peersV2)) peers = peersV2.value
      else {
        v2 = false
        peers = yield* controlQuery("SELECT * FROM system.peers")
      }
      const seen = new Set<string>()
      const [controlAddress, controlPortText] = splitEndpoint(conn.address)
      if (local[0] !== undefined) {
        const { host, added } = upsertHost(controlAddress, Number(controlPortText), local[0])
        seen.add(host.endpoint)
        if (added) yield* publish({ _tag: "HostAdded", host: host.snapshot() })
      }
      for (const row of peers) {
        const address = v2
          ? rowString(row, "native_address") ?? rowString(row, "peer")
          : rowString(row, "rpc_address") ?? rowString(row, "peer")
        if (address === undefined) continue
        const rowPort = v2 && typeof row["native_port"] === "number" ? row["native_port"] as number : resolved.port
        const { host, added } = upsertHost(address === "0.0.0.0" ? rowString(row, "peer") ?? address : address, rowPort, row)
        seen.add(host.endpoint)
        if (added) yield* publish({ _tag: "HostAdded", host: host.snapshot() })
      }
      for (const [key, host] of hosts) {
        if (!seen.has(key)) {
          hosts.delete(key)
          hostsChanged()
          yield* publish({ _tag: "HostRemoved", host: host.snapshot() })
        }
      }
      if (localDc === undefined) {
        const cp = hosts.get(conn.address)
        localDc = cp?.datacenter
      }
      // a mixed cluster: settle on the highest version every host supports (as the Java driver does)
      for (const h of hosts.values()) {
        const max = maxProtocolVersion(h.releaseVersion)
        if (max < version) version = max
      }
      // token-aware routing computes Murmur3 tokens: with another partitioner (Random, ByteOrdered) the
      // ring's tokens mean something else, so there is no token map and routing is not token-aware
      const partitioner = local[0] === undefined ? undefined : rowString(local[0], "partitioner")
      murmur3 = partitioner === undefined || partitioner.endsWith("Murmur3Partitioner")
      rebuildTokenMap()
    })

    /** The schema tables, whole or (with `keyspace`) one keyspace's rows. */
    const readSchema = (keyspace: string | undefined) => {
      const where = keyspace === undefined ? "" : ` WHERE keyspace_name = '${keyspace.replace(/'/g, "''")}'`
      return Effect.all([
        controlQuery(`SELECT * FROM system_schema.keyspaces${where}`),
        controlQuery(`SELECT * FROM system_schema.tables${where}`),
        controlQuery(`SELECT * FROM system_schema.columns${where}`),
        controlQuery(`SELECT * FROM system_schema.types${where}`),
        controlQuery(`SELECT * FROM system_schema.functions${where}`),
        controlQuery(`SELECT * FROM system_schema.aggregates${where}`),
        controlQuery(`SELECT * FROM system_schema.views${where}`),
        controlQuery(`SELECT * FROM system_schema.indexes${where}`)
      ], { concurrency: "unbounded" }).pipe(
        Effect.map(([ks, tables, columns, types, functions, aggregates, views, indexes]) =>
          buildSchema({ keyspaces: ks, tables, columns, types, functions, aggregates, views, indexes })
        )
      )
    }

    const refreshSchema: Effect.Effect<void, E.RequestError | E.InvalidInput> = Effect.gen(function*() {
      keyspaces = yield* readSchema(undefined)
      // replication may have changed: the token map's replica cache starts over
      rebuildTokenMap()
    })

    /** Re-reads one keyspace (its tables, types, functions): what a schema event or DDL changed. */
    const refreshKeyspace = (name: string): Effect.Effect<void, E.RequestError | E.InvalidInput> =>
      Effect.gen(function*() {
        const built = yield* readSchema(name)
        const next = new Map(keyspaces)
        const k = built.get(name)
        if (k === undefined) next.delete(name)
        else next.set(name, k)
        keyspaces = next
        rebuildTokenMap()
      })

    /** Keyspaces named by schema events since the last refresh ("all": too many, re-read everything). */
    let pendingKeyspaces: Set<string> | "all" = new Set()
    const debouncedSchemaRefresh = (keyspace: string | undefined) => Effect.suspend(() => {
      if (!resolved.schemaMetadataEnabled) return Effect.void
      if (keyspace === undefined || pendingKeyspaces === "all") pendingKeyspaces = "all"
      else {
        pendingKeyspaces.add(keyspace)
        if (pendingKeyspaces.size > 8) pendingKeyspaces = "all"
      }
      if (schemaRefresh !== undefined) return Effect.void
      return Effect.asVoid(Effect.forkIn(
        Effect.sleep(resolved.schemaEventRefreshWindow).pipe(
          Effect.andThen(Effect.suspend(() => {
            schemaRefresh = undefined
            const pending = pendingKeyspaces
            pendingKeyspaces = new Set()
            return Effect.ignore(pending === "all"
              ? refreshSchema
              : Effect.forEach(pending, refreshKeyspace, { discard: true }))
          }))
        ),
        scope
      ).pipe(Effect.tap((f) => Effect.sync(() => { schemaRefresh = f }))))
    })

    const debouncedTopologyRefresh = Effect.suspend(() => {
      if (topologyRefresh !== undefined) return Effect.void
      return Effect.asVoid(Effect.forkIn(
        Effect.sleep(resolved.topologyEventRefreshWindow).pipe(
          Effect.andThen(Effect.sync(() => { topologyRefresh = undefined })),
          Effect.andThen(Effect.ignore(refreshTopology))
        ),
        scope
      ).pipe(Effect.tap((f) => Effect.sync(() => { topologyRefresh = f }))))
    })

    const markDown = (host: Host, reason: string) =>
      Effect.suspend(() => {
        const h = hosts.get(host.endpoint)
        if (h === undefined || !h.isUp) return Effect.void
        h.isUp = false
        return publish({ _tag: "HostDown", host: h.snapshot(), reason })
      })

    const markUp = (host: Host) =>
      Effect.suspend(() => {
        const h = hosts.get(host.endpoint)
        if (h === undefined || h.isUp) return Effect.void
        h.isUp = true
        return publish({ _tag: "HostUp", host: h.snapshot() })
      })

    const onEvent = (event: ProtocolEvent) => {
      switch (event.type) {
        case "TOPOLOGY_CHANGE":
          runFork(debouncedTopologyRefresh)
          break
        case "STATUS_CHANGE": {
          // UP: let pools try again now; DOWN: the pools find out themselves (the node may still
          // be reachable from here).
          if (event.change === "UP") {
            let translated: { readonly address: string; readonly port: number }
            try {
              translated = resolved.addressTranslator(event.address, event.port)
            } catch (e) {
              // runs in the socket's data callback: a throwing translator must not escape it
              runFork(Effect.logWarning(`addressTranslator failed on ${event.address}:${event.port}`, e))
              break
            }
            const h = hosts.get(new HostState(translated.address, translated.port).endpoint)
            if (h !== undefined && !h.isUp) runFork(PubSub.publish(upHints, h))
          }
          break
        }
        case "SCHEMA_CHANGE":
          runFork(PubSub.publish(schemaEvents, event))
          runFork(debouncedSchemaRefresh(event.change.keyspace))
          break
      }
    }

    /** Opens the control connection on the first host that answers (contact points first). */
    const connectControl = Effect.gen(function*() {
      const candidates: Array<{ address: string; port: number }> = []
      const known = [...hosts.values()].filter((h) => h.isUp)
      for (const h of known) candidates.push({ address: h.address, port: h.port })
      for (const cp of resolved.contactPoints) {
        if (!candidates.some((c) => c.address === cp.address && c.port === cp.port)) candidates.push(cp)
      }
      const errors: Record<string, unknown> = {}
      for (const candidate of candidates) {
        const connScope = yield* Scope.fork(scope, "sequential")
        const attempt = yield* Effect.exit(
          openWithNegotiation(resolved, candidate.address, candidate.port, version, {
            events: ["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"],
            onEvent,
            sweepSet
          }).pipe(Scope.provide(connScope))
        )
        if (Exit.isSuccess(attempt)) {
          if (controlScope !== undefined) yield* Scope.close(controlScope, Exit.void)
          control = attempt.value
          controlScope = connScope
          version = attempt.value.version
          attempt.value.onClose(() => {
            if (!shuttingDown) runFork(Effect.forkIn(reconnectControl, scope))
          })
          return
        }
        yield* Scope.close(connScope, Exit.void)
        const failure = attempt.cause.reasons.find((r) => r._tag === "Fail")
        if (failure?._tag === "Fail" && failure.error._tag === "AuthenticationError") {
          return yield* failure.error
        }
        errors[`${candidate.address}:${candidate.port}`] = failure?._tag === "Fail" ? failure.error : attempt.cause
      }
      return yield* new E.NoHostAvailable({
        message: `could not connect to any of ${candidates.map((c) => `${c.address}:${c.port}`).join(", ")}`,
        errors
      })
    })

    const reconnectControl: Effect.Effect<void> = connectControl.pipe(
      Effect.andThen(Effect.ignore(refreshTopology)),
      Effect.retry(resolved.reconnection as Schedule.Schedule<unknown, E.NoHostAvailable | E.AuthenticationError>),
      Effect.ignore
    )

    yield* connectControl
    yield* refreshTopology.pipe(
      Effect.mapError((e) => new E.NoHostAvailable({ message: `host discovery failed: ${e.message}`, errors: { [control!.address]: e } }))
    )
    if (localDc !== undefined && ![...hosts.values()].some((h) => h.datacenter === localDc)) {
      // a misspelt datacenter would make every host "ignored" and every request NoHostAvailable
      const dcs = [...new Set([...hosts.values()].map((h) => h.datacenter ?? "?"))].sort()
      return yield* new E.NoHostAvailable({
        message: `localDc "${localDc}" is not a datacenter of this cluster (its datacenters: ${dcs.join(", ")})`,
        errors: {}
      })
    }
    if (resolved.schemaMetadataEnabled) yield* Effect.ignore(refreshSchema)

    const waitForSchemaAgreementVia = (
      query: (cql: string) => Effect.Effect<ReadonlyArray<Row>, E.RequestError | E.InvalidInput>
    ): Effect.Effect<boolean> => Effect.gen(function*() {
      const clock = yield* Effect.clockWith(Effect.succeed)
      const deadline = clock.currentTimeMillisUnsafe() + Duration.toMillis(resolved.maxSchemaAgreementWait)
      while (clock.currentTimeMillisUnsafe() < deadline) {
        const versions = new Set<string>()
        // through `query`, or the control connection when that fails (its connection died, say)
        const ask = (cql: string) => Effect.catch(query(cql), () => controlQuery(cql))
        const local = yield* Effect.exit(ask("SELECT schema_version FROM system.local WHERE key = 'local'"))
        const peers = yield* Effect.exit(ask("SELECT * FROM system.peers"))
        if (Exit.isSuccess(local) && Exit.isSuccess(peers)) {
          for (const r of local.value) versions.add(String(r["schema_version"]))
          for (const r of peers.value) {
            const peer = rowString(r, "rpc_address") ?? rowString(r, "peer")
            const h = [...hosts.values()].find((x) => x.address === peer)
            if (h !== undefined && !h.isUp) continue
            if (r["schema_version"] != null) versions.add(String(r["schema_version"]))
          }
          if (versions.size <= 1) return true
        }
        yield* Effect.sleep("200 millis")
      }
      return false
    })

    return {
      options: resolved,
      get protocolVersion() {
        return version
      },
      get localDc() {
        return localDc
      },
      hosts: () => hostList,
      getHost: (endpoint) => hosts.get(endpoint),
      controlHost: () => (control !== undefined && control.closed === undefined ? control.address : undefined),
      events: Stream.fromPubSub(hostEvents),
      schemaChanges: Stream.fromPubSub(schemaEvents),
      upHints: Stream.fromPubSub(upHints),
      connect: (host, keyspace) =>
        openWithNegotiation(resolved, host.address, host.port, version, { keyspace, sweepSet }).pipe(
          Effect.tap((conn) =>
            Effect.sync(() => {
              // a host that refused the cluster's version lowers it for every later connection
              if (conn.version < version) version = conn.version
            })
          )
        ),
      markDown,
      markUp,
      controlQuery,
      waitForSchemaAgreement: waitForSchemaAgreementVia(controlQuery),
      waitForSchemaAgreementVia,
      refreshTopology,
      loadBalancing,
      metadata: {
        keyspaces: () => keyspaces,
        keyspace: (name) => keyspaces.get(name),
        table: (ks, table) => keyspaces.get(ks)?.tables.get(table),
        tokenMap: () => tokenMap,
        refreshSchema,
        refreshKeyspace
      }
    } satisfies ClusterShape
  })

/** The highest native protocol version a Cassandra release speaks (v5 from 4.0, v4 from 2.2). */
export const maxProtocolVersion = (releaseVersion: string | undefined): ProtocolVersion => {
  const m = releaseVersion === undefined ? undefined : /^(\d+)\.(\d+)/.exec(releaseVersion)
  if (m === undefined || m === null) return 5
  const major = Number(m[1])
  const minor = Number(m[2])
  if (major >= 4) return 5
  if (major === 3 || (major === 2 && minor >= 2)) return 4
  return 3
}

const splitEndpoint = (endpoint: string): [string, string] => {
  const i = endpoint.lastIndexOf(":")
  const host = endpoint.slice(0, i)
  return [host.startsWith("[") ? host.slice(1, -1) : host, endpoint.slice(i + 1)]
}

/** A Cluster layer: connects on build, shuts down when the layer's scope closes. */
export const layer = (options: ClusterOptions): Layer.Layer<Cluster, E.NoHostAvailable | E.AuthenticationError> =>
  Layer.effect(Cluster, make(options))

/**
 * A Cluster layer from configuration: CASSANDRA_CONTACT_POINTS (comma separated), CASSANDRA_PORT,
 * CASSANDRA_LOCAL_DC, CASSANDRA_USERNAME, CASSANDRA_PASSWORD, CASSANDRA_PROTOCOL_VERSION,
 * CASSANDRA_TLS_CA (a PEM file path; turns TLS on). `overrides` adds options code decides.
 */
export const layerConfig = (
  overrides: Partial<ClusterOptions> = {}
): Layer.Layer<Cluster, E.NoHostAvailable | E.AuthenticationError | Config.ConfigError> =>
  Layer.effect(
    Cluster,
    Effect.gen(function*() {
      const config = yield* ClusterConfig
      const configError = (message: string, cause?: unknown) =>
        new Config.ConfigError(new ConfigProvider.SourceError({ message, cause }))
      if (Option.isSome(config.username) !== Option.isSome(config.password)) {
        // half the credentials would silently connect without authentication
        return yield* Effect.fail(configError("CASSANDRA_USERNAME and CASSANDRA_PASSWORD must be set together"))
      }
      if (Option.isSome(config.protocolVersion) && ![3, 4, 5].includes(config.protocolVersion.value)) {
        return yield* Effect.fail(configError(`CASSANDRA_PROTOCOL_VERSION must be 3, 4 or 5, got ${config.protocolVersion.value}`))
      }
      let ca: string | undefined
      if (Option.isSome(config.tlsCa)) {
        const path = config.tlsCa.value
        ca = yield* Effect.tryPromise({
          try: () => import("node:fs/promises").then((fs) => fs.readFile(path, "utf8")),
          catch: (cause) => configError(`CASSANDRA_TLS_CA: cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
        })
      }
      const options: ClusterOptions = {
        contactPoints: config.contactPoints,
        port: config.port,
        ...(Option.isSome(config.localDc) ? { localDc: config.localDc.value } : {}),
        ...(Option.isSome(config.username) && Option.isSome(config.password)
          ? { auth: { username: config.username.value, password: config.password.value } }
          : {}),
        ...(Option.isSome(config.protocolVersion) ? { protocolVersion: config.protocolVersion.value as ProtocolVersion } : {}),
        ...(ca !== undefined ? { tls: { ca } } : {}),
        ...overrides
      }
      return yield* make(options)
    })
  )

/** The environment configuration read by `layerConfig`. */
export const ClusterConfig = Config.all({
  contactPoints: Config.String("CONTACT_POINTS").pipe(
    Config.map((s) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0)),
    Config.withDefault(["127.0.0.1"])
  ),
  port: Config.Port("PORT").pipe(Config.withDefault(9042)),
  localDc: Config.option(Config.String("LOCAL_DC")),
  username: Config.option(Config.String("USERNAME")),
  password: Config.option(Config.Redacted("PASSWORD")),
  protocolVersion: Config.option(Config.Int("PROTOCOL_VERSION")),
  tlsCa: Config.option(Config.String("TLS_CA"))
}).pipe(Config.nested("CASSANDRA"))
