/**
 * The simulated cluster: its hosts (made from the options, added, removed, resolved by `HostRef`),
 * their states, and the events sent to their connections; and the parts it is made of, each in its
 * own module: the schema, primes, prepared statements, built-in answers, traces and activity log.
 * No I/O: server connections call in, and the time source and the scheduler of delayed answers are
 * given by whoever runs it (the Effect Clock). It does not parse or answer requests (`server/`).
 *
 * @internal
 */
import type { Event, SchemaChange } from "@effect-cassandra/protocol/Messages"
import type { HostRef, HostSpec, HostState, MockClusterOptions } from "../../Model.ts"
import { uuidOf } from "../ids.ts"
import { ActivityLog } from "./activity.ts"
import { Builtins, Traces } from "./builtins.ts"
import { defaultAddress, defaultToken, SimHost } from "./hosts.ts"
import { PreparedStatements } from "./prepared.ts"
import { PrimeTable } from "./primes.ts"
import { SimSchema } from "./schema.ts"
import { SimpleValueCheck } from "./validate.ts"

/**
 * The time source and scheduler a simulation runs with.
 *
 * @since 0.1.0
 */
export interface SimulationEnv {
  readonly now: () => number
  /** Runs `f` after `millis` of the clock (at least asynchronously). */
  readonly schedule: (millis: number, f: () => void) => void
  /** A host changed state (the TCP server stops/starts listening). */
  readonly onHostState?: ((host: SimHost) => void) | undefined
}

/**
 * A simulated cluster.
 *
 * @since 0.1.0
 */
export class SimulatedCluster {
  readonly env: SimulationEnv
  readonly options: MockClusterOptions
  readonly clusterName: string
  readonly partitioner: string
  readonly auth: { readonly username: string; readonly password: string } | undefined
  readonly peersV2: boolean
  readonly hosts: Array<SimHost> = []
  /** `hosts` by address and port (several when a removed host was added again at the same endpoint). */
  private readonly byAddress = new Map<string, Array<SimHost>>()
  readonly schema: SimSchema
  readonly primes: PrimeTable
  readonly prepared: PreparedStatements
  readonly traces: Traces
  readonly builtins: Builtins
  readonly log: ActivityLog
  /** What a node refuses in a simple statement's values. */
  readonly valueCheck: SimpleValueCheck
  /** Bumped on every change of primes or prepared statements (invalidates per-statement caches). */
  epoch = 0
  /** The last connection number given (numbers are unique in the cluster). */
  connectionIds = 0

  constructor(options: MockClusterOptions, env: SimulationEnv, defaultPort: number) {
    this.env = env
    this.options = options
    this.clusterName = options.clusterName ?? "mock-cluster"
    this.partitioner = options.partitioner ?? "org.apache.cassandra.dht.Murmur3Partitioner"
    this.auth = options.auth
    this.peersV2 = options.peersV2 ?? true
    const specs: ReadonlyArray<HostSpec> = typeof options.hosts === "number"
      ? Array.from({ length: options.hosts }, () => ({}))
      : options.hosts ?? [{}]
    const schemaVersion = uuidOf(`${this.clusterName}/schema`)
    specs.forEach((spec, i) => this.track(this.makeHost(spec, i, specs.length, defaultPort, schemaVersion)))
    this.schema = new SimSchema(options.tables, this.hosts.length)
    const changed = () => {
      this.epoch++
    }
    const resolveHost = (ref: HostRef) => this.resolveHost(ref)
    this.primes = new PrimeTable(resolveHost, changed)
    this.traces = new Traces(() => env.now())
    this.builtins = new Builtins(this)
    this.prepared = new PreparedStatements(this, changed)
    this.log = new ActivityLog(options.activityLimit ?? 10_000, resolveHost)
    this.valueCheck = new SimpleValueCheck(this.schema)
  }

  private makeHost(spec: HostSpec, index: number, count: number, defaultPort: number, schemaVersion: string): SimHost {
    const address = spec.address ?? defaultAddress(index)
    const versions = spec.protocolVersions ?? this.options.protocolVersions ?? [3, 4, 5]
    // a host without v5 looks like Cassandra 3.11 (v3, v4) unless told otherwise
    const release = Math.max(...versions) >= 5 ? "5.0.9" : "3.11.17"
    return new SimHost({
      index,
      address,
      port: spec.port ?? this.options.port ?? defaultPort,
      datacenter: spec.datacenter ?? this.options.datacenter ?? "dc1",
      rack: spec.rack ?? "rack1",
      hostId: spec.hostId ?? uuidOf(`host/${address}/${spec.port ?? ""}`),
      tokens: spec.tokens ?? [defaultToken(index, count)],
      releaseVersion: spec.releaseVersion ?? this.options.releaseVersion ?? release,
      versions,
      compression: spec.compression ?? this.options.compression ?? ["lz4", "snappy"],
      schemaVersion
    })
  }

  /** Adds a host (it then shows in system.peers); emit a NEW_NODE event to tell drivers. */
  addHost(spec: HostSpec, defaultPort: number): SimHost {
    const host = this.makeHost(spec, this.hosts.length, this.hosts.length + 1, defaultPort, this.hosts[0]?.schemaVersion ?? uuidOf("schema"))
    if (this.hosts.some((h) => h.endpoint === host.endpoint && !h.removed)) {
      throw new Error(`a host already listens on ${host.endpoint}`)
    }
    this.track(host)
    return host
  }

  /** Adds a host to `hosts` and to the address index that `findHost` (each new connection) reads. */
  private track(host: SimHost): void {
    this.hosts.push(host)
    const key = `${host.address}|${host.port}`
    const same = this.byAddress.get(key)
    if (same === undefined) this.byAddress.set(key, [host])
    else same.push(host)
  }

  /** The live (not removed) hosts. */
  get liveHosts(): ReadonlyArray<SimHost> {
    return this.hosts.filter((h) => !h.removed)
  }

  resolveHost(ref: HostRef): SimHost | undefined {
    if (typeof ref === "number") return this.hosts[ref]
    return this.hosts.find((h) => !h.removed && (h.endpoint === ref || h.address === ref)) ??
      this.hosts.find((h) => h.endpoint === ref || h.address === ref)
  }

  findHost(address: string, port: number): SimHost | undefined {
    return this.byAddress.get(`${address}|${port}`)?.find((h) => !h.removed)
  }

  /** The live host at an endpoint, else the last host removed from it (where a refused connect is counted). */
  hostAt(address: string, port: number): SimHost | undefined {
    const all = this.byAddress.get(`${address}|${port}`)
    return all?.find((h) => !h.removed) ?? all?.[all.length - 1]
  }

  setHostState(host: SimHost, state: HostState): void {
    if (host.state === state) return
    host.state = state
    if (state === "down") for (const c of [...host.connections]) c.destroy()
    this.env.onHostState?.(host)
  }

  /** Sends an EVENT to every connection (of `hosts`, default all up hosts) that registered for it. */
  emit(event: Event, hosts?: ReadonlyArray<SimHost>): number {
    let sent = 0
    for (const h of hosts ?? this.liveHosts) {
      if (h.state !== "up") continue
      for (const c of h.connections) if (c.sendEvent(event)) sent++
    }
    return sent
  }

  schemaChanged(change: SchemaChange): void {
    this.emit({ type: "SCHEMA_CHANGE", change })
  }
}
