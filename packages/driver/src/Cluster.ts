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
import type { Event as ProtocolEvent, ProtocolVersion } from "@effect-cassandra/protocol/Messages"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import { config as ClusterOptionsConfig, type ClusterOptions, resolveOptions, type ResolvedOptions } from "./ClusterOptions.ts"
import * as E from "./Errors.ts"
import type { Host, HostEvent } from "./Host.ts"
import { startCluster } from "./internal/cluster/ClusterRuntime.ts"
import { readConfig, unwrapDefined } from "./internal/cluster/config.ts"
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
 * Builds the Cluster service in the current scope. Fails with `InvalidInput` for bad options (before
 * connecting), with `NoHostAvailable` when no contact point answers, or when `localDc` is not a
 * datacenter of the cluster.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: ClusterOptions
): Effect.Effect<ClusterShape, E.NoHostAvailable | E.AuthenticationError | E.InvalidInput, Scope.Scope> =>
  Effect.gen(function*() {
    const resolved = resolveOptions(options, yield* TransportOverride)
    if (resolved instanceof E.InvalidInput) return yield* resolved
    const loadBalancing = options.loadBalancing ?? (yield* LoadBalancingPolicy)
    return yield* startCluster(resolved, loadBalancing)
  })

/**
 * A Cluster layer: connects on build, shuts down when the layer's scope closes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: ClusterOptions): Layer.Layer<Cluster, E.NoHostAvailable | E.AuthenticationError | E.InvalidInput> =>
  Layer.effect(Cluster, make(options))

/**
 * A Cluster layer from configuration.
 *
 * - `layerConfig()`: the CASSANDRA_* variables (see `Environment`: CASSANDRA_CONTACT_POINTS,
 *   CASSANDRA_PORT, CASSANDRA_LOCAL_DC, CASSANDRA_USERNAME/PASSWORD, CASSANDRA_PROTOCOL_VERSION,
 *   CASSANDRA_TLS, CASSANDRA_TLS_CA).
 * - `layerConfig(config)`, a `Config.Wrap<ClusterOptions>` as in effect's sql-pg: your own keys, each
 *   option a `Config` (`{ contactPoints: Config.String("DB_HOSTS").pipe(Config.map((s) => s.split(","))), localDc: Config.String("DB_DC") }`),
 *   or one `Config<ClusterOptions>`.
 * - `layerConfig(overrides)`, plain options: the CASSANDRA_* variables with `overrides` on top.
 *
 * A malformed value fails the layer with a `ConfigError` naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: {
  (config: Config.Wrap<ClusterOptions>): Layer.Layer<Cluster, E.NoHostAvailable | E.AuthenticationError | E.InvalidInput | Config.ConfigError>
  (overrides?: Partial<ClusterOptions>): Layer.Layer<Cluster, E.NoHostAvailable | E.AuthenticationError | E.InvalidInput | Config.ConfigError>
} = (config?: Config.Wrap<ClusterOptions> | Partial<ClusterOptions>) =>
  Layer.effect(Cluster, Effect.flatMap(readConfig(optionsConfig(config)), make))

/** The Config of `layerConfig`'s argument. */
const optionsConfig = (config: Config.Wrap<ClusterOptions> | Partial<ClusterOptions> | undefined): Config.Config<ClusterOptions> => {
  if (config === undefined) return ClusterOptionsConfig
  if (Config.isConfig(config) || Config.isConfig((config as { readonly contactPoints?: unknown }).contactPoints)) {
    return unwrapDefined(config as Config.Wrap<ClusterOptions>)
  }
  const overrides = config as Partial<ClusterOptions>
  return Config.map(ClusterOptionsConfig, (options) => ({ ...options, ...overrides }))
}
