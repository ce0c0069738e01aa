/**
 * `Cluster`: the Python driver's `Cluster` as an Effect service. Building its Layer connects the
 * control connection, discovers the hosts and reads the schema; closing the Layer's scope is
 * `shutdown()`. The service shows what users need: the hosts and their events, metadata, the options,
 * the negotiated protocol version, the local datacenter and the refresh operations.
 *
 * It does not run requests (a `Session` does) and holds no logic of its own: the rooms under
 * `internal/cluster/` do the work (host registry, control connection, topology and schema refresh,
 * schema agreement).
 *
 * @since 0.1.0
 */
import type { Event as ProtocolEvent, ProtocolVersion } from "@effect-cassandra/protocol"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import { ClusterConfig, type ClusterOptions, resolveOptions, type ResolvedOptions } from "./ClusterOptions.ts"
import type * as E from "./Errors.ts"
import type { Host, HostEvent } from "./Host.ts"
import { startCluster } from "./internal/cluster/ClusterRuntime.ts"
import type { MetadataView } from "./Metadata.ts"
import { LoadBalancingPolicy, type LoadBalancingPolicyShape } from "./policies/LoadBalancing.ts"
import { TransportOverride } from "./Transport.ts"

/**
 * The options and their resolution, also reachable from `Cluster` (they live in `ClusterOptions`).
 *
 * @since 0.1.0
 */
export { ClusterConfig, type ClusterOptions, parseContactPoint, resolveOptions, type ResolvedOptions } from "./ClusterOptions.ts"

/**
 * The transport seam, also reachable from `Cluster` (it lives in `Transport`).
 *
 * @since 0.1.0
 */
export { TransportOverride } from "./Transport.ts"

/**
 * The Cluster service.
 *
 * @since 0.1.0
 * @category models
 */
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
  /** Waits until every up host reports the same schema version, up to `maxSchemaAgreementWait`. */
  readonly waitForSchemaAgreement: Effect.Effect<boolean>
  /** Re-reads hosts from the system tables now. */
  readonly refreshTopology: Effect.Effect<void, E.RequestError | E.InvalidInput>
  readonly loadBalancing: LoadBalancingPolicyShape
  /** Schema and token metadata. */
  readonly metadata: MetadataView
  /**
   * Maps the user type `keyspace.type` to a Schema (typically a `Schema.Class` over the type's fields)
   * for every session of this cluster (the Python driver's `register_user_type`): values of the type
   * in results, at any depth (in collections, tuples and other UDTs), are decoded with it, and its
   * instances bind as values of the type (they are objects with its fields). `UserTypeDoesNotExist`
   * when the metadata does not know the type (schema metadata must be on). Registering again replaces.
   *
   * @since 0.2.0
   */
  readonly registerUserType: (keyspace: string, type: string, schema: Schema.Decoder<unknown>) => Effect.Effect<void, E.UserTypeDoesNotExist>
}

/**
 * The Cluster service tag.
 *
 * @since 0.1.0
 * @category services
 */
export class Cluster extends Context.Service<Cluster, ClusterShape>()("@effect-cassandra/driver/Cluster") {}

/**
 * Builds the Cluster service in the current scope. Fails with `NoHostAvailable` when no contact
 * point answers, or when `localDc` is not a datacenter of the cluster.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: ClusterOptions
): Effect.Effect<ClusterShape, E.NoHostAvailable | E.AuthenticationError, Scope.Scope> =>
  Effect.gen(function*() {
    const resolved = resolveOptions(options, yield* TransportOverride)
    const loadBalancing = options.loadBalancing ?? (yield* LoadBalancingPolicy)
    return yield* startCluster(resolved, loadBalancing)
  })

/**
 * A Cluster layer: connects on build, shuts down when the layer's scope closes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: ClusterOptions): Layer.Layer<Cluster, E.NoHostAvailable | E.AuthenticationError> =>
  Layer.effect(Cluster, make(options))

/**
 * A Cluster layer from configuration: CASSANDRA_CONTACT_POINTS (comma separated), CASSANDRA_PORT,
 * CASSANDRA_LOCAL_DC, CASSANDRA_USERNAME, CASSANDRA_PASSWORD, CASSANDRA_PROTOCOL_VERSION,
 * CASSANDRA_TLS_CA (a PEM file path; turns TLS on). `overrides` adds options code decides.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  overrides: Partial<ClusterOptions> = {}
): Layer.Layer<Cluster, E.NoHostAvailable | E.AuthenticationError | Config.ConfigError> =>
  Layer.effect(Cluster, Effect.flatMap(optionsFromConfig(overrides), make))

/** The options `ClusterConfig` describes, with `overrides` on top. */
const optionsFromConfig = (overrides: Partial<ClusterOptions>): Effect.Effect<ClusterOptions, Config.ConfigError> =>
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
    return {
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
  })
