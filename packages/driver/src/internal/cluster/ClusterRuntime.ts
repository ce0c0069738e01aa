/**
 * The cluster's runtime: builds the rooms of a cluster in order (host registry, connector, control
 * connection, refreshes, event dispatch), connects, discovers the hosts and reads the schema, then
 * hands out the public `Cluster` service and registers its internals.
 *
 * It holds no logic of its own beyond that order and the start-up checks (an unknown `localDc`).
 *
 * @since 0.1.0
 * @internal
 */
import type { Event as ProtocolEvent } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ClusterShape } from "../../Cluster.ts"
import type { ResolvedOptions } from "../../ClusterOptions.ts"
import * as E from "../../Errors.ts"
import type { MetadataView } from "../../Metadata.ts"
import type { LoadBalancingPolicyShape } from "../../policies/LoadBalancing.ts"
import { sweepEvery } from "../connection/timeouts.ts"
import { Connector } from "./Connector.ts"
import { ControlConnection } from "./ControlConnection.ts"
import { Debouncer } from "./debounce.ts"
import { EventDispatcher } from "./events.ts"
import { HostRegistry } from "./HostRegistry.ts"
import { type ClusterInternals, registerInternals } from "./internals.ts"
import { indexCql, keyspaceStatements, tableCql, viewCql } from "../metadata/exportCql.ts"
import { UserTypeRegistry } from "../metadata/userTypes.ts"
import { MetadataStore } from "./MetadataStore.ts"
import { type AdminQuery, waitForSchemaAgreement } from "./SchemaAgreement.ts"
import { SchemaRefresh } from "./SchemaRefresh.ts"
import { TopologyRefresh } from "./TopologyRefresh.ts"

/** Keyspaces of the server itself, left out of `exportSchema`. */
const SYSTEM_KEYSPACES = new Set(["system", "system_schema", "system_auth", "system_distributed", "system_traces", "system_views", "system_virtual_schema"])

/**
 * Builds, connects and starts a cluster in the current scope.
 *
 * @since 0.1.0
 */
export const startCluster = (
  resolved: ResolvedOptions,
  loadBalancing: LoadBalancingPolicyShape
): Effect.Effect<ClusterShape, E.NoHostAvailable | E.AuthenticationError | E.InvalidInput, Scope.Scope> =>
  Effect.gen(function*() {
    const rooms = yield* buildRooms(resolved)
    yield* rooms.control.connect
    yield* rooms.topology.refresh.pipe(
      Effect.mapError((e) =>
        // bad input (a failing addressTranslator) is the user's to fix, not a host's fault
        e._tag === "InvalidInput" ? e : new E.NoHostAvailable({ message: `host discovery failed: ${e.message}`, errors: { [rooms.control.lastAddress ?? "?"]: e } })
      )
    )
    yield* checkLocalDc(rooms)
    if (resolved.schemaMetadataEnabled) yield* Effect.ignore(rooms.schema.refreshAll)
    const controlQuery: AdminQuery = (cql) => rooms.control.query(cql)
    const shape = publicShape(rooms, resolved, loadBalancing, controlQuery)
    registerInternals(shape, internals(rooms, resolved, controlQuery))
    return shape
  })

interface Rooms {
  readonly registry: HostRegistry
  readonly connector: Connector
  readonly control: ControlConnection
  readonly topology: TopologyRefresh
  readonly schema: SchemaRefresh
  readonly store: MetadataStore
  readonly schemaEvents: PubSub.PubSub<ProtocolEvent>
  readonly userTypes: UserTypeRegistry
}

/** The cluster's parts, wired; nothing connected yet. */
const buildRooms = (resolved: ResolvedOptions): Effect.Effect<Rooms, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const registry = yield* HostRegistry.make(resolved.addressTranslator)
    const schemaEvents = yield* PubSub.unbounded<ProtocolEvent>()
    const connector = new Connector(resolved)
    yield* Effect.forkScoped(sweepEvery(connector.sweepSet))
    let shuttingDown = false
    yield* Effect.addFinalizer(() => Effect.sync(() => { shuttingDown = true }))
    const store = new MetadataStore(registry, resolved.tokenMetadataEnabled)
    // the control connection and the dispatcher of its events refer to each other through `onEvent`
    let dispatch: EventDispatcher | undefined
    const control: ControlConnection = new ControlConnection({
      options: resolved,
      connector,
      registry,
      scope,
      runFork,
      onEvent: (event) => dispatch?.onEvent(event),
      afterReconnect: () => topology.refresh,
      shuttingDown: () => shuttingDown
    })
    const topology = new TopologyRefresh({
      localDc: resolved.localDc,
      control,
      registry,
      connector,
      metadata: store,
      defaultPort: resolved.port,
      readTokens: resolved.tokenMetadataEnabled
    })
    const controlQuery: AdminQuery = (cql) => control.query(cql)
    const schema = new SchemaRefresh({
      control,
      store,
      enabled: resolved.schemaMetadataEnabled,
      window: resolved.schemaEventRefreshWindow,
      scope,
      agreement: (maxWait) => waitForSchemaAgreement({ query: controlQuery, fallback: controlQuery, registry, maxWait }),
      maxSchemaAgreementWait: resolved.maxSchemaAgreementWait
    })
    const topologyDebouncer = new Debouncer<never>({
      window: resolved.topologyEventRefreshWindow,
      maxKeys: 0,
      scope,
      action: () => Effect.ignore(topology.refresh)
    })
    dispatch = new EventDispatcher({
      registry,
      topology: topologyDebouncer,
      schema,
      schemaEvents,
      runFork,
      removeHost: (host) => Effect.andThen(registry.remove(host.endpoint), store.hostsChanged)
    })
    return { registry, connector, control, topology, schema, store, schemaEvents, userTypes: new UserTypeRegistry() }
  })

/** A misspelt datacenter would make every host "ignored" and every request NoHostAvailable. */
const checkLocalDc = (rooms: Rooms): Effect.Effect<void, E.NoHostAvailable> => {
  const localDc = rooms.topology.localDc
  const hosts = rooms.registry.all()
  if (localDc === undefined || hosts.some((h) => h.datacenter === localDc)) return Effect.void
  const dcs = [...new Set(hosts.map((h) => h.datacenter ?? "?"))].sort()
  return Effect.fail(new E.NoHostAvailable({
    message: `localDc "${localDc}" is not a datacenter of this cluster (its datacenters: ${dcs.join(", ")})`,
    errors: {}
  }))
}

const publicShape = (rooms: Rooms, resolved: ResolvedOptions, loadBalancing: LoadBalancingPolicyShape, controlQuery: AdminQuery): ClusterShape => {
  const { registry, control, topology, store, schema } = rooms
  const metadata: MetadataView = {
    keyspaces: () => store.keyspaces,
    keyspace: (name) => store.keyspaces.get(name),
    table: (ks, table) => store.keyspaces.get(ks)?.tables.get(table),
    tokenMap: () => store.tokenMap,
    refreshSchema: schema.whenAgreed(schema.refreshAll, undefined),
    refreshSchemaWith: (options) => schema.whenAgreed(schema.refreshAll, options),
    refreshKeyspace: (name, options) => schema.whenAgreed(schema.refreshKeyspace(name), options),
    refreshTable: (ks, table, options) => schema.whenAgreed(schema.refreshTable(ks, table), options),
    refreshUserType: (ks, type, options) => schema.whenAgreed(schema.refreshUserType(ks, type), options),
    refreshUserFunction: (ks, name, args, options) => schema.whenAgreed(schema.refreshFunction(ks, name, args), options),
    refreshUserAggregate: (ks, name, args, options) => schema.whenAgreed(schema.refreshAggregate(ks, name, args), options),
    exportKeyspace: (name) => {
      const ks = store.keyspaces.get(name)
      return ks === undefined ? undefined : keyspaceStatements(ks).join("\n\n")
    },
    exportTable: (ks, name) => {
      const k = store.keyspaces.get(ks)
      const table = k?.tables.get(name)
      if (k === undefined) return undefined
      if (table === undefined) {
        const view = k.views.get(name)
        return view === undefined ? undefined : viewCql(view)
      }
      const views = [...k.views.values()].filter((v) => v.baseTable === name).map(viewCql)
      return [tableCql(table), ...table.indexes.map((i) => indexCql(table, i)), ...views].join("\n\n")
    },
    exportSchema: () =>
      [...store.keyspaces.values()]
        .filter((ks) => !SYSTEM_KEYSPACES.has(ks.name))
        .map((ks) => keyspaceStatements(ks).join("\n\n"))
        .join("\n\n")
  }
  return {
    options: resolved,
    get protocolVersion() {
      return rooms.connector.version
    },
    get localDc() {
      return topology.localDc
    },
    hosts: () => registry.all(),
    getHost: (endpoint) => registry.get(endpoint),
    controlHost: () => control.address,
    events: Stream.fromPubSub(registry.events),
    schemaChanges: Stream.fromPubSub(rooms.schemaEvents),
    waitForSchemaAgreement: waitForSchemaAgreement({ query: controlQuery, fallback: controlQuery, registry, maxWait: resolved.maxSchemaAgreementWait }),
    refreshTopology: topology.refresh,
    loadBalancing,
    metadata,
    registerUserType: (keyspace, type, schema) =>
      Effect.suspend(() => {
        if (store.keyspaces.get(keyspace)?.userTypes.get(type) === undefined) {
          return Effect.fail(new E.UserTypeDoesNotExist({
            message: `user type ${keyspace}.${type} does not exist or has not been discovered by the driver`,
            keyspace,
            type
          }))
        }
        rooms.userTypes.register(keyspace, type, schema)
        return Effect.void
      })
  }
}

const internals = (rooms: Rooms, resolved: ResolvedOptions, controlQuery: AdminQuery): ClusterInternals => {
  return {
    connect: (host, keyspace) => rooms.connector.open(host.address, host.port, keyspace),
    markDown: (host, reason) => rooms.registry.markDown(host, reason),
    markUp: (host) => rooms.registry.markUp(host),
    upHints: rooms.registry.upHints,
    hostEvents: rooms.registry.events,
    downReasons: () => rooms.registry.downReasons(),
    controlQuery,
    waitForSchemaAgreementVia: (query) =>
      waitForSchemaAgreement({ query, fallback: controlQuery, registry: rooms.registry, maxWait: resolved.maxSchemaAgreementWait }),
    openConnections: () => rooms.connector.sweepSet,
    userTypes: rooms.userTypes
  }
}
