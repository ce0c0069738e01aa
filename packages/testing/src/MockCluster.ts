/**
 * Mock Cassandra hosts that speak the real native protocol (v3, v4, v5 with segment framing, lz4 and
 * snappy), answering what a test primes:
 *
 * - `layer(options)`: in-memory hosts; the driver's `Cluster` connects to them through
 *   `Cluster.TransportOverride`, so pools, the control connection, policies, paging and retries run
 *   unchanged. Delays and timeouts follow the Effect `Clock` (`TestClock.adjust` drives them).
 * - `serve(options)` / `layerServer(options)`: the same simulated cluster listening on real TCP
 *   ports (127.0.0.1, 127.0.0.2, ...), for the driver over sockets, other drivers, and benchmarks.
 *
 * The `MockCluster` service primes answers, controls hosts (down, unresponsive, up), emits events
 * and reads the activity log.
 *
 * This module owns the service, its Layers and the sockets (in-memory pairs, TCP listeners); the
 * simulated cluster and the protocol side of the hosts are internal modules it drives.
 *
 * @since 0.1.0
 */
import { Cluster, Errors } from "@effect-cassandra/driver"
import type { Event, SchemaChange } from "@effect-cassandra/protocol/Messages"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as net from "node:net"
import { type Duplex, duplexPair } from "node:stream"
import { type Answer, columnSpecs } from "./Answer.ts"
import { encodeEnvelope } from "./internal/server/envelope.ts"
import { ServerConnection } from "./internal/server/ServerConnection.ts"
import { defaultAddress, type SimHost } from "./internal/sim/hosts.ts"
import { SimulatedCluster, type SimulationEnv } from "./internal/sim/SimulatedCluster.ts"
import type { Activity, ActivityFilter, HostRef, HostSpec, MockClusterOptions, MockHost, PrimeSpec } from "./Model.ts"

/**
 * The public data model (defined in `Model.ts`): the cluster's options, hosts, primes and activity entries.
 *
 * @since 0.1.0
 */
export type {
  Activity,
  ActivityFilter,
  BatchActivity,
  HostRef,
  HostSpec,
  HostState,
  MockClusterOptions,
  MockHost,
  PrimeSpec,
  RequestKind,
  TableSpec
} from "./Model.ts"

/**
 * A test asked for something the mock cannot do: an unknown host, a prime whose rows do not fit their types...
 *
 * @since 0.1.0
 */
export class MockClusterError extends Schema.TaggedError<MockClusterError>()("MockClusterError", {
  message: Schema.String
}) {}

/**
 * A prime, as `prime` returns it.
 *
 * @since 0.1.0
 */
export interface Prime {
  readonly id: number
  /** How many requests it answered so far. */
  readonly uses: Effect.Effect<number>
  /** Stops it from matching. */
  readonly remove: Effect.Effect<void>
}

/**
 * The mock cluster's operations: its hosts, primes, activity log, host control and events.
 *
 * @since 0.1.0
 */
export interface MockClusterShape {
  /** Hosts' endpoints (`address:port`), as contact points. */
  readonly contactPoints: ReadonlyArray<string>
  /** The first host's datacenter. */
  readonly localDc: string
  /** The hosts now (state, open connections). */
  readonly hosts: Effect.Effect<ReadonlyArray<MockHost>>
  readonly host: (ref: HostRef) => Effect.Effect<MockHost, MockClusterError>
  /**
   * Primes an answer: the newest matching prime answers. Rows are checked against their column types
   * here (a value that does not fit fails with `MockClusterError`).
   */
  readonly prime: (spec: PrimeSpec) => Effect.Effect<Prime, MockClusterError>
  readonly clearPrimes: Effect.Effect<void>
  /** Requests that reached the hosts, oldest first (driver housekeeping excluded unless asked). */
  readonly activity: (filter?: ActivityFilter) => Effect.Effect<ReadonlyArray<Activity>>
  readonly clearActivity: Effect.Effect<void>
  /**
   * Waits until at least `count` (default 1) requests match `filter`, and returns them. Use it before
   * `TestClock.adjust` so the request is known to have arrived (and its delays to be scheduled).
   * Dies at once when the activity log is off (`activityLimit: 0`).
   */
  readonly awaitActivity: (filter?: ActivityFilter & { readonly count?: number | undefined }) => Effect.Effect<ReadonlyArray<Activity>>
  /**
   * The host refuses connections and its open connections close. With `notify`, the other hosts send
   * a STATUS_CHANGE DOWN event.
   */
  readonly hostDown: (ref: HostRef, options?: { readonly notify?: boolean | undefined }) => Effect.Effect<void, MockClusterError>
  /** The host accepts connections and reads requests but never answers (not even the handshake). */
  readonly hostUnresponsive: (ref: HostRef) => Effect.Effect<void, MockClusterError>
  /** The host is back to normal. With `notify`, the hosts send a STATUS_CHANGE UP event. */
  readonly hostUp: (ref: HostRef, options?: { readonly notify?: boolean | undefined }) => Effect.Effect<void, MockClusterError>
  /** Closes the host's connections (all hosts' when `ref` is omitted); the host stays up. */
  readonly closeConnections: (ref?: HostRef) => Effect.Effect<void, MockClusterError>
  /** The host forgets its prepared statements (a restart): the next EXECUTE gets UNPREPARED. */
  readonly forgetPrepared: (ref?: HostRef) => Effect.Effect<void, MockClusterError>
  /**
   * The host's open connections stop reading their sockets (a stuck peer): the client's writes back up
   * (`socket.write` returns false) and nothing more is answered on them. Connections opened later read.
   * `resumeReading` undoes it.
   *
   * @since 0.2.0
   */
  readonly stopReading: (ref: HostRef) => Effect.Effect<void, MockClusterError>
  /**
   * The host's open connections read again (what they buffered is answered).
   *
   * @since 0.2.0
   */
  readonly resumeReading: (ref: HostRef) => Effect.Effect<void, MockClusterError>
  /** Sends an event to every registered connection (of `hosts`, default every up host); returns how many got it. */
  readonly emit: (event: Event, options?: { readonly hosts?: ReadonlyArray<HostRef> | undefined }) => Effect.Effect<number, MockClusterError>
  readonly topologyChange: (change: "NEW_NODE" | "REMOVED_NODE", ref: HostRef) => Effect.Effect<number, MockClusterError>
  readonly statusChange: (change: "UP" | "DOWN", ref: HostRef) => Effect.Effect<number, MockClusterError>
  readonly schemaChange: (change: SchemaChange) => Effect.Effect<number>
  /**
   * Sets the schema version the host reports in system.local and system.peers (every host starts with
   * the same one), so that hosts disagree on the schema until they are given the same version again.
   *
   * @since 0.2.0
   */
  readonly setSchemaVersion: (ref: HostRef, version: string) => Effect.Effect<void, MockClusterError>
  /** Adds a host (it shows in system.peers); `notify` sends TOPOLOGY_CHANGE NEW_NODE. */
  readonly addHost: (spec: HostSpec, options?: { readonly notify?: boolean | undefined }) => Effect.Effect<MockHost, MockClusterError>
  /** Removes a host (gone from system.peers, connections closed); `notify` sends REMOVED_NODE. */
  readonly removeHost: (ref: HostRef, options?: { readonly notify?: boolean | undefined }) => Effect.Effect<void, MockClusterError>
}

/**
 * The mock cluster's control surface.
 *
 * @since 0.1.0
 */
export class MockCluster extends Context.Service<MockCluster, MockClusterShape>()("@effect-cassandra/testing/MockCluster") {}

/**
 * A mock cluster on TCP: also its port.
 *
 * @since 0.1.0
 */
export interface MockServer extends MockClusterShape {
  /** The port the hosts listen on (the first host's, when they differ). */
  readonly port: number
}

// ---------------------------------------------------------------------------------------------
// the service over a simulation

type TransportOf<R> = R extends Context.Reference<infer T> ? T : never
/** The driver's socket seam (`Cluster.TransportOverride`). */
type Transport = NonNullable<TransportOf<typeof Cluster.TransportOverride>>

const unknownHost = (ref: HostRef) => new MockClusterError({ message: `no mock host ${JSON.stringify(ref)}` })

const makeShape = (
  sim: SimulatedCluster,
  hostState: (host: SimHost) => Effect.Effect<void, MockClusterError>,
  defaultPort: number
): MockClusterShape => {
  const resolve = (ref: HostRef): Effect.Effect<SimHost, MockClusterError> =>
    Effect.suspend(() => {
      const h = sim.resolveHost(ref)
      return h === undefined ? Effect.fail(unknownHost(ref)) : Effect.succeed(h)
    })
  const statusEvent = (change: "UP" | "DOWN", h: SimHost): Event => ({ type: "STATUS_CHANGE", change, address: h.address, port: h.port })
  const setState = (ref: HostRef, state: SimHost["state"]) =>
    Effect.flatMap(resolve(ref), (h) => Effect.andThen(Effect.sync(() => sim.setHostState(h, state)), hostState(h)))
  return {
    contactPoints: sim.liveHosts.map((h) => h.endpoint),
    localDc: sim.hosts[0]?.datacenter ?? "dc1",
    hosts: Effect.sync(() => sim.liveHosts.map((h) => h.view())),
    host: (ref) => Effect.map(resolve(ref), (h) => h.view()),
    prime: (spec) =>
      Effect.suspend(() => {
        const invalid = validatePrime(spec)
        if (invalid !== undefined) return Effect.fail(new MockClusterError({ message: invalid }))
        const p = sim.primes.add(spec)
        return Effect.succeed<Prime>({
          id: p.id,
          uses: Effect.sync(() => p.used),
          remove: Effect.sync(() => sim.primes.remove(p.id))
        })
      }),
    clearPrimes: Effect.sync(() => sim.primes.clear()),
    activity: (filter) => Effect.sync(() => sim.log.read(filter)),
    clearActivity: Effect.sync(() => sim.log.clear()),
    awaitActivity: (filter) =>
      Effect.callback<ReadonlyArray<Activity>>((resume) => {
        if (sim.log.limit <= 0) {
          // nothing is recorded: waiting would never end
          return resume(Effect.die(new Error("awaitActivity needs the activity log, which activityLimit: 0 turns off")))
        }
        const count = filter?.count ?? 1
        const check = (): boolean => {
          const found = sim.log.read(filter)
          if (found.length < count) return false
          resume(Effect.succeed(found))
          return true
        }
        if (check()) return
        const remove = sim.log.onRecord(check)
        return Effect.sync(remove)
      }),
    hostDown: (ref, options) =>
      Effect.gen(function*() {
        const h = yield* resolve(ref)
        yield* setState(ref, "down")
        if (options?.notify === true) sim.emit(statusEvent("DOWN", h), sim.liveHosts.filter((x) => x !== h))
      }),
    hostUnresponsive: (ref) => setState(ref, "unresponsive"),
    hostUp: (ref, options) =>
      Effect.gen(function*() {
        const h = yield* resolve(ref)
        yield* setState(ref, "up")
        if (options?.notify === true) sim.emit(statusEvent("UP", h))
      }),
    closeConnections: (ref) =>
      Effect.flatMap(
        ref === undefined ? Effect.succeed(sim.liveHosts) : Effect.map(resolve(ref), (h) => [h]),
        (hosts) => Effect.sync(() => { for (const h of hosts) for (const c of [...h.connections]) c.destroy() })
      ),
    stopReading: (ref) => Effect.flatMap(resolve(ref), (h) => Effect.sync(() => { for (const c of h.connections) c.setReading(false) })),
    resumeReading: (ref) => Effect.flatMap(resolve(ref), (h) => Effect.sync(() => { for (const c of h.connections) c.setReading(true) })),
    forgetPrepared: (ref) =>
      Effect.flatMap(
        ref === undefined ? Effect.succeed(sim.liveHosts) : Effect.map(resolve(ref), (h) => [h]),
        (hosts) => Effect.sync(() => { for (const h of hosts) sim.prepared.forget(h) })
      ),
    emit: (event, options) =>
      Effect.flatMap(
        options?.hosts === undefined ? Effect.succeed(undefined) : Effect.forEach(options.hosts, resolve),
        (hosts) => Effect.sync(() => sim.emit(event, hosts))
      ),
    topologyChange: (change, ref) =>
      Effect.flatMap(resolve(ref), (h) =>
        Effect.sync(() =>
          sim.emit({ type: "TOPOLOGY_CHANGE", change, address: h.address, port: h.port }, sim.liveHosts.filter((x) => x !== h))
        )),
    statusChange: (change, ref) =>
      Effect.flatMap(resolve(ref), (h) => Effect.sync(() => sim.emit(statusEvent(change, h), sim.liveHosts.filter((x) => x !== h)))),
    schemaChange: (change) => Effect.sync(() => sim.emit({ type: "SCHEMA_CHANGE", change })),
    setSchemaVersion: (ref, version) =>
      Effect.flatMap(resolve(ref), (h) =>
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(version)
          ? Effect.sync(() => { h.schemaVersion = version.toLowerCase() })
          : Effect.fail(new MockClusterError({ message: `a schema version is a uuid, got ${JSON.stringify(version)}` }))),
    addHost: (spec, options) =>
      Effect.gen(function*() {
        const h = yield* Effect.try({
          try: () => sim.addHost(spec, defaultPort),
          catch: (e) => new MockClusterError({ message: e instanceof Error ? e.message : String(e) })
        })
        yield* hostState(h)
        if (options?.notify === true) {
          sim.emit({ type: "TOPOLOGY_CHANGE", change: "NEW_NODE", address: h.address, port: h.port }, sim.liveHosts.filter((x) => x !== h))
        }
        return h.view()
      }),
    removeHost: (ref, options) =>
      Effect.gen(function*() {
        const h = yield* resolve(ref)
        h.removed = true
        sim.setHostState(h, "down")
        yield* hostState(h)
        if (options?.notify === true) {
          sim.emit({ type: "TOPOLOGY_CHANGE", change: "REMOVED_NODE", address: h.address, port: h.port })
        }
      })
  }
}

/** Checks that every answer encodes (rows fit their column types), so a bad prime fails at `prime`. */
const validatePrime = (spec: PrimeSpec): string | undefined => {
  const answers: ReadonlyArray<Answer> = Array.isArray(spec.then) ? spec.then : [spec.then as Answer]
  if (answers.length === 0) return "a prime needs at least one answer"
  if (spec.page !== undefined && !(Number.isSafeInteger(spec.page) && spec.page >= 1)) return `page must be a positive integer, got ${String(spec.page)}`
  if (spec.variables !== undefined) {
    try {
      columnSpecs(spec.variables)
    } catch (e) {
      return `bad variables: ${e instanceof Error ? e.message : String(e)}`
    }
  }
  for (let a of answers) {
    while (a._tag === "Delayed") a = a.answer
    if (a._tag !== "Rows") continue
    const r = encodeEnvelope(4, undefined, 0, {
      _tag: "Result",
      result: {
        kind: "Rows",
        metadata: { flags: 1, columnCount: a.columns.length, columns: a.columns, pagingState: undefined, newMetadataId: undefined },
        columns: a.columns,
        rows: a.rows as Array<Record<string, unknown>>
      }
    })
    if (r._tag === "Failure") return `the primed rows do not encode: ${r.failure.message} (at ${r.failure.path}, expected ${r.failure.expected})`
  }
  return undefined
}

/** The simulation's clock and scheduler: the Effect Clock of the context the mock is built in. */
const makeEnv = Effect.gen(function*() {
  const clock = yield* Clock.Clock
  const run = yield* FiberSet.makeRuntime<never>()
  const env: SimulationEnv = {
    now: () => clock.currentTimeMillisUnsafe(),
    schedule: (millis, f) => {
      const due = clock.currentTimeMillisUnsafe() + millis
      run(
        Effect.suspend(() => {
          const left = due - clock.currentTimeMillisUnsafe()
          return left > 0 ? Effect.sleep(left) : Effect.void
        }).pipe(Effect.andThen(Effect.sync(f)))
      )
    }
  }
  return env
})

/** Connects the two ends of a duplex pair for closing: destroying either side closes the other. */
const linkedPair = (): [Duplex, Duplex] => {
  const [client, server] = duplexPair()
  client.on("close", () => server.destroy())
  server.on("close", () => client.destroy())
  return [client, server]
}

/**
 * Builds the in-memory cluster and its transport.
 *
 * @since 0.1.0
 */
export const make = (options: MockClusterOptions = {}): Effect.Effect<
  { readonly service: MockClusterShape; readonly transport: Transport },
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const env = yield* makeEnv
    const defaultPort = options.port ?? 9042
    const sim = new SimulatedCluster(options, env, defaultPort)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const h of sim.hosts) for (const c of [...h.connections]) c.destroy()
      })
    )
    const transport: Transport = {
      connect: ({ host, port }) =>
        Effect.suspend(() => {
          const address = host === "localhost" ? "127.0.0.1" : host
          const h = sim.findHost(address, port)
          // an attempt at a removed host's endpoint counts on that host (it is refused)
          const counted = sim.hostAt(address, port)
          if (counted !== undefined) counted.connectAttempts++
          const endpoint = address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`
          if (h === undefined || h.state === "down") {
            return Effect.fail(new Errors.ConnectionError({ message: `connect ECONNREFUSED ${endpoint}`, host: endpoint }))
          }
          const [client, server] = linkedPair()
          new ServerConnection(sim, h, server)
          return Effect.succeed(client)
        })
    }
    return { service: makeShape(sim, () => Effect.void, defaultPort), transport }
  })

/**
 * In-memory mock hosts as a Layer: provides the `MockCluster` service and `Cluster.TransportOverride`,
 * so a `Cluster.layer` built on top of it connects to the mock hosts (contact points:
 * `"127.0.0.1"`, ... with the default port 9042).
 *
 * ```ts
 * const TestLayer = Session.layer().pipe(
 *   Layer.provideMerge(Cluster.layer({ contactPoints: ["127.0.0.1"], localDc: "dc1" })),
 *   Layer.provideMerge(MockCluster.layer({ hosts: 3 }))
 * )
 * ```
 *
 * @since 0.1.0
 */
export const layer = (options: MockClusterOptions = {}): Layer.Layer<MockCluster> =>
  Layer.effectContext(
    Effect.map(make(options), ({ service, transport }) =>
      Context.make(MockCluster, service).pipe(Context.add(Cluster.TransportOverride, transport))
    )
  )

/**
 * A `Cluster` layer pointed at the mock cluster of the context (its contact points and datacenter),
 * in memory or over TCP. `options` adds or overrides Cluster options.
 *
 * @since 0.1.0
 */
export const clusterLayer = (
  options: Partial<Cluster.ClusterOptions> = {}
): Layer.Layer<Cluster.Cluster, Errors.NoHostAvailable | Errors.AuthenticationError | Errors.InvalidInput, MockCluster> =>
  Layer.unwrap(MockCluster.useSync((mock) => Cluster.layer({ contactPoints: mock.contactPoints, localDc: mock.localDc, ...options })))

// ---------------------------------------------------------------------------------------------
// TCP

/**
 * Options of `serve`: those of the in-memory cluster, with the port the hosts listen on.
 *
 * @since 0.1.0
 */
export interface ServeOptions extends MockClusterOptions {
  /**
   * The port every host listens on, each on its own address (127.0.0.1, 127.0.0.2, ...). Default 0:
   * a free port chosen at start (the same for all hosts, so drivers that assume one port, as the
   * DataStax driver with system.peers does, find every host). Read it from `MockServer.port`.
   */
  readonly port?: number | undefined
}

const listen = (server: net.Server, address: string, port: number): Effect.Effect<number, MockClusterError> =>
  Effect.callback<number, MockClusterError>((resume) => {
    const onError = (e: Error) => {
      server.removeListener("listening", onListening)
      resume(Effect.fail(new MockClusterError({ message: `cannot listen on ${address}:${port}: ${e.message}` })))
    }
    const onListening = () => {
      server.removeListener("error", onError)
      const a = server.address()
      resume(Effect.succeed(typeof a === "object" && a !== null ? a.port : port))
    }
    server.once("error", onError)
    server.once("listening", onListening)
    server.listen({ host: address, port, exclusive: true })
  })

const closeServer = (server: net.Server): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (!server.listening) return resume(Effect.void)
    server.close(() => resume(Effect.void))
  })

/**
 * The simulated cluster on real TCP sockets, for the driver over sockets, other drivers and
 * benchmarks. Hosts listen on 127.0.0.1, 127.0.0.2, ... (Linux routes all of 127/8 to loopback)
 * until the scope closes. A host down stops listening (connections are refused) and closes its
 * connections. Time (delays) follows the Effect Clock of the context.
 *
 * @since 0.1.0
 */
export const serve = (options: ServeOptions = {}): Effect.Effect<MockServer, MockClusterError, Scope.Scope> =>
  Effect.gen(function*() {
    const env0 = yield* makeEnv
    const specs: ReadonlyArray<HostSpec> = typeof options.hosts === "number"
      ? Array.from({ length: options.hosts }, () => ({}))
      : options.hosts ?? [{}]
    const addresses = specs.map((s, i) => s.address ?? defaultAddress(i))
    /** A listener and the host it serves (re-bound when a host is added again at the same endpoint). */
    interface Listener {
      readonly server: net.Server
      host: SimHost | undefined
    }
    const servers = new Map<string, Listener>()
    let sim: SimulatedCluster | undefined
    const makeListener = (host: SimHost | undefined): Listener => {
      const listener: Listener = {
        host,
        server: net.createServer({ noDelay: true }, (socket) => {
          const h = listener.host
          if (h !== undefined) h.connectAttempts++
          if (sim === undefined || h === undefined || h.state === "down" || h.removed) return void socket.destroy()
          socket.setNoDelay(true)
          new ServerConnection(sim, h, socket)
        })
      }
      return listener
    }
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        if (sim !== undefined) for (const h of sim.hosts) for (const c of [...h.connections]) c.destroy()
        yield* Effect.forEach([...servers.values()], (l) => closeServer(l.server), { discard: true })
      })
    )
    // one port for all hosts: the first host picks it, the others must get it too (retry otherwise)
    let port = options.port ?? 0
    let initial: Array<Listener> = []
    for (let attempt = 0;; attempt++) {
      const bound: Array<Listener> = []
      const exit = yield* Effect.exit(Effect.gen(function*() {
        let chosen = port
        for (let i = 0; i < specs.length; i++) {
          const listener = makeListener(undefined)
          bound.push(listener)
          const p = yield* listen(listener.server, addresses[i]!, specs[i]!.port ?? chosen)
          if (i === 0 && specs[i]!.port === undefined) chosen = p
        }
        return chosen
      }))
      if (exit._tag === "Success") {
        port = exit.value
        initial = bound
        break
      }
      yield* Effect.forEach(bound, (l) => closeServer(l.server), { discard: true })
      if ((options.port ?? 0) !== 0 || attempt >= 20) return yield* Effect.failCause(exit.cause)
    }
    const listenPort = port
    const hostState = (h: SimHost): Effect.Effect<void, MockClusterError> =>
      Effect.suspend(() => {
        let listener = servers.get(h.endpoint)
        const shouldListen = h.state !== "down" && !h.removed
        if (shouldListen && listener === undefined) {
          listener = makeListener(h)
          servers.set(h.endpoint, listener)
        }
        if (listener === undefined) return Effect.void
        // a host added again at a removed host's endpoint takes its listener over
        listener.host = h
        const server = listener.server
        if (shouldListen && !server.listening) return Effect.asVoid(listen(server, h.address, h.port))
        if (!shouldListen && server.listening) return closeServer(server)
        return Effect.void
      })
    const simulation = new SimulatedCluster({ ...options, port: listenPort }, env0, listenPort)
    sim = simulation
    // listeners are keyed by endpoint (a host added later gets its own)
    simulation.hosts.forEach((h, i) => {
      const listener = initial[i]
      if (listener === undefined) return
      listener.host = h
      servers.set(h.endpoint, listener)
    })
    const shape = makeShape(simulation, hostState, listenPort)
    return { ...shape, port: listenPort }
  })

/**
 * `serve` as a Layer providing the `MockCluster` service (build a `Cluster` on it with `clusterLayer()`).
 *
 * @since 0.1.0
 */
export const layerServer = (options: ServeOptions = {}): Layer.Layer<MockCluster, MockClusterError> =>
  Layer.effect(MockCluster, serve(options))

// ---------------------------------------------------------------------------------------------
// accessors

/**
 * `MockCluster.prime(spec)` on the service of the context.
 *
 * @since 0.1.0
 */
export const prime = (spec: PrimeSpec): Effect.Effect<Prime, MockClusterError, MockCluster> =>
  MockCluster.use((m) => m.prime(spec))

/**
 * `MockCluster.activity(filter)` on the service of the context.
 *
 * @since 0.1.0
 */
export const activity = (filter?: ActivityFilter): Effect.Effect<ReadonlyArray<Activity>, never, MockCluster> =>
  MockCluster.use((m) => m.activity(filter))

/**
 * `MockCluster.awaitActivity(filter)` on the service of the context.
 *
 * @since 0.1.0
 */
export const awaitActivity = (
  filter?: ActivityFilter & { readonly count?: number | undefined }
): Effect.Effect<ReadonlyArray<Activity>, never, MockCluster> => MockCluster.use((m) => m.awaitActivity(filter))

/**
 * `MockCluster.hostDown(ref, options)` on the service of the context.
 *
 * @since 0.1.0
 */
export const hostDown = (ref: HostRef, options?: { readonly notify?: boolean | undefined }): Effect.Effect<void, MockClusterError, MockCluster> =>
  MockCluster.use((m) => m.hostDown(ref, options))

/**
 * `MockCluster.hostUp(ref, options)` on the service of the context.
 *
 * @since 0.1.0
 */
export const hostUp = (ref: HostRef, options?: { readonly notify?: boolean | undefined }): Effect.Effect<void, MockClusterError, MockCluster> =>
  MockCluster.use((m) => m.hostUp(ref, options))

/**
 * `MockCluster.hostUnresponsive(ref)` on the service of the context.
 *
 * @since 0.1.0
 */
export const hostUnresponsive = (ref: HostRef): Effect.Effect<void, MockClusterError, MockCluster> =>
  MockCluster.use((m) => m.hostUnresponsive(ref))

/**
 * `MockCluster.clearPrimes` on the service of the context.
 *
 * @since 0.1.0
 */
export const clearPrimes: Effect.Effect<void, never, MockCluster> = MockCluster.use((m) => m.clearPrimes)

/**
 * `MockCluster.clearActivity` on the service of the context.
 *
 * @since 0.1.0
 */
export const clearActivity: Effect.Effect<void, never, MockCluster> = MockCluster.use((m) => m.clearActivity)

/**
 * `MockCluster.closeConnections(ref)` on the service of the context.
 *
 * @since 0.1.0
 */
export const closeConnections = (ref?: HostRef): Effect.Effect<void, MockClusterError, MockCluster> =>
  MockCluster.use((m) => m.closeConnections(ref))

/**
 * `MockCluster.forgetPrepared(ref)` on the service of the context.
 *
 * @since 0.1.0
 */
export const forgetPrepared = (ref?: HostRef): Effect.Effect<void, MockClusterError, MockCluster> =>
  MockCluster.use((m) => m.forgetPrepared(ref))

/**
 * `MockCluster.stopReading(ref)` on the service of the context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const stopReading = (ref: HostRef): Effect.Effect<void, MockClusterError, MockCluster> => MockCluster.use((m) => m.stopReading(ref))

/**
 * `MockCluster.resumeReading(ref)` on the service of the context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const resumeReading = (ref: HostRef): Effect.Effect<void, MockClusterError, MockCluster> => MockCluster.use((m) => m.resumeReading(ref))

/**
 * `MockCluster.emit(event, options)` on the service of the context.
 *
 * @since 0.1.0
 */
export const emit = (
  event: Event,
  options?: { readonly hosts?: ReadonlyArray<HostRef> | undefined }
): Effect.Effect<number, MockClusterError, MockCluster> => MockCluster.use((m) => m.emit(event, options))

/**
 * `MockCluster.topologyChange(change, ref)` on the service of the context.
 *
 * @since 0.1.0
 */
export const topologyChange = (change: "NEW_NODE" | "REMOVED_NODE", ref: HostRef): Effect.Effect<number, MockClusterError, MockCluster> =>
  MockCluster.use((m) => m.topologyChange(change, ref))

/**
 * `MockCluster.statusChange(change, ref)` on the service of the context.
 *
 * @since 0.1.0
 */
export const statusChange = (change: "UP" | "DOWN", ref: HostRef): Effect.Effect<number, MockClusterError, MockCluster> =>
  MockCluster.use((m) => m.statusChange(change, ref))

/**
 * `MockCluster.schemaChange(change)` on the service of the context.
 *
 * @since 0.1.0
 */
export const schemaChange = (change: SchemaChange): Effect.Effect<number, never, MockCluster> =>
  MockCluster.use((m) => m.schemaChange(change))

/**
 * `MockCluster.setSchemaVersion(ref, version)` on the service of the context.
 *
 * @since 0.2.0
 */
export const setSchemaVersion = (ref: HostRef, version: string): Effect.Effect<void, MockClusterError, MockCluster> =>
  MockCluster.use((m) => m.setSchemaVersion(ref, version))

/**
 * `MockCluster.addHost(spec, options)` on the service of the context.
 *
 * @since 0.1.0
 */
export const addHost = (
  spec: HostSpec,
  options?: { readonly notify?: boolean | undefined }
): Effect.Effect<MockHost, MockClusterError, MockCluster> => MockCluster.use((m) => m.addHost(spec, options))

/**
 * `MockCluster.removeHost(ref, options)` on the service of the context.
 *
 * @since 0.1.0
 */
export const removeHost = (ref: HostRef, options?: { readonly notify?: boolean | undefined }): Effect.Effect<void, MockClusterError, MockCluster> =>
  MockCluster.use((m) => m.removeHost(ref, options))
