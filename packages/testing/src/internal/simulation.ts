/**
 * The simulated cluster: hosts and their state, primes and how requests match them, prepared
 * statements, the activity log, events, traces. No I/O: connections (`server.ts`) call in, and the
 * time source and the scheduler of delayed answers are given by whoever runs it (the Effect Clock).
 *
 * @internal
 */
import {
  type ColumnSpec,
  type CqlType,
  decodeValue,
  type Event,
  formatType,
  inferType,
  parseCqlType,
  type ProtocolVersion,
  type RawValue,
  type Row,
  type SchemaChange,
  serializeValue,
  UNSET
} from "@effect-cassandra/protocol"
import * as Result from "effect/Result"
import { createHash } from "node:crypto"
import {
  type Answer,
  type ColumnType,
  columnSpecs,
  consistencyCode,
  consistencyName,
  describe
} from "../Answer.ts"
import {
  markers,
  normalizeCached,
  normalizeQuery,
  schemaChangeOf,
  statementKind,
  type StatementKind,
  tableOf,
  useKeyspace
} from "./cql.ts"
import type { ServerConnection } from "./server.ts"
import {
  type KnownTable,
  LOCAL_COLUMNS,
  PEERS_COLUMNS,
  PEERS_V2_COLUMNS,
  project,
  schemaRows,
  schemaTableColumns,
  systemTableOf,
  systemTables,
  TRACE_EVENTS_COLUMNS,
  TRACE_SESSIONS_COLUMNS
} from "./systemTables.ts"
import type {
  Activity,
  ActivityFilter,
  HostRef,
  HostSpec,
  HostState,
  MockClusterOptions,
  MockHost,
  PrimeSpec,
  RequestKind,
  TableSpec
} from "../Model.ts"

// ---------------------------------------------------------------------------------------------
// Internal model

/** The time source and scheduler a simulation runs with. */
export interface SimulationEnv {
  readonly now: () => number
  /** Runs `f` after `millis` of the clock (at least asynchronously). */
  readonly schedule: (millis: number, f: () => void) => void
  /** A host changed state (the TCP server stops/starts listening). */
  readonly onHostState?: ((host: SimHost) => void) | undefined
}

export class SimHost {
  index: number
  readonly address: string
  readonly port: number
  readonly endpoint: string
  readonly datacenter: string
  readonly rack: string
  readonly hostId: string
  readonly tokens: ReadonlyArray<string>
  readonly releaseVersion: string
  readonly versions: ReadonlySet<number>
  readonly maxVersion: ProtocolVersion
  readonly compression: ReadonlyArray<"lz4" | "snappy">
  schemaVersion: string
  state: HostState = "up"
  removed = false
  connectAttempts = 0
  readonly connections = new Set<ServerConnection>()
  /** Ids (hex) of the statements prepared on this host. */
  readonly prepared = new Set<string>()
  constructor(args: {
    index: number
    address: string
    port: number
    datacenter: string
    rack: string
    hostId: string
    tokens: ReadonlyArray<string>
    releaseVersion: string
    versions: ReadonlyArray<ProtocolVersion>
    compression: ReadonlyArray<"lz4" | "snappy">
    schemaVersion: string
  }) {
    this.index = args.index
    this.address = args.address
    this.port = args.port
    this.endpoint = args.address.includes(":") ? `[${args.address}]:${args.port}` : `${args.address}:${args.port}`
    this.datacenter = args.datacenter
    this.rack = args.rack
    this.hostId = args.hostId
    this.tokens = args.tokens
    this.releaseVersion = args.releaseVersion
    this.versions = new Set(args.versions)
    this.maxVersion = Math.max(...args.versions) as ProtocolVersion
    this.compression = args.compression
    this.schemaVersion = args.schemaVersion
  }
  view(): MockHost {
    return {
      index: this.index,
      address: this.address,
      port: this.port,
      endpoint: this.endpoint,
      datacenter: this.datacenter,
      rack: this.rack,
      hostId: this.hostId,
      tokens: this.tokens,
      protocolVersions: [...this.versions].sort() as Array<ProtocolVersion>,
      state: this.state,
      connections: this.connections.size,
      connectAttempts: this.connectAttempts
    }
  }
}

export interface PreparedInfo {
  readonly id: Uint8Array
  /** `idKey(id)` */
  readonly idHex: string
  /** A system-table query or USE (answered by the mock before primes). */
  readonly system: boolean
  readonly query: string
  readonly normalized: string
  readonly keyspace: string | undefined
  readonly kind: StatementKind
  readonly variables: ReadonlyArray<ColumnSpec>
  readonly pkIndexes: ReadonlyArray<number>
  readonly resultColumns: ReadonlyArray<ColumnSpec>
  readonly resultMetadataId: Uint8Array
}

export class SimPrime {
  readonly id: number
  readonly spec: PrimeSpec
  readonly kinds: ReadonlySet<RequestKind>
  readonly exact: string | undefined
  readonly pattern: RegExp | undefined
  readonly consistencies: ReadonlySet<number> | undefined
  readonly answers: ReadonlyArray<Answer>
  readonly variables: ReadonlyArray<ColumnSpec> | undefined
  /** Pre-encoded envelopes of the answers (stream 0), by `answerIndex|version|compression|metadata`. */
  readonly cache = new Map<string, Uint8Array>()
  used = 0
  constructor(id: number, spec: PrimeSpec) {
    this.id = id
    this.spec = spec
    const kinds = spec.kind === undefined ? ["query", "execute", "batch"] : typeof spec.kind === "string" ? [spec.kind] : spec.kind
    this.kinds = new Set(kinds as ReadonlyArray<RequestKind>)
    this.exact = typeof spec.query === "string" ? normalizeQuery(spec.query) : undefined
    this.pattern = spec.query instanceof RegExp ? spec.query : undefined
    const cl = spec.consistency
    this.consistencies = cl === undefined ? undefined : new Set((typeof cl === "string" ? [cl] : cl).map(consistencyCode))
    this.answers = isAnswerList(spec.then) ? spec.then : [spec.then]
    this.variables = spec.variables === undefined ? undefined : columnSpecs(spec.variables)
  }
  get exhausted(): boolean {
    return this.spec.times !== undefined && this.used >= this.spec.times
  }
  queryMatches(normalized: string | undefined): boolean {
    if (this.exact !== undefined) return normalized === this.exact
    if (this.pattern !== undefined) {
      if (normalized === undefined) return false
      this.pattern.lastIndex = 0
      return this.pattern.test(normalized)
    }
    return true
  }
}

const isAnswerList = (a: Answer | ReadonlyArray<Answer>): a is ReadonlyArray<Answer> => Array.isArray(a)

/** What a request offers to prime matching. */
export interface MatchInput {
  readonly kind: RequestKind
  /** Normalized query text (EXECUTE: the prepared statement's). */
  readonly query: string | undefined
  readonly batchQueries?: ReadonlyArray<string | undefined> | undefined
  readonly preparedId: Uint8Array | undefined
  readonly values: ReadonlyArray<RawValue>
  readonly names: ReadonlyArray<string> | undefined
  /** Types of the values, when known. */
  readonly variables: ReadonlyArray<ColumnSpec> | undefined
  readonly consistency: number | undefined
  readonly host: SimHost
  readonly system: boolean
}

export interface Match {
  readonly prime: SimPrime
  readonly answerIndex: number
  readonly answer: Answer
}

/** The mock's paging state: "MKPS", prime id, answer index, row offset (u32 each). */
export const encodePagingState = (primeId: number, answerIndex: number, offset: number): Uint8Array => {
  const b = new Uint8Array(16)
  const v = new DataView(b.buffer)
  v.setUint32(0, 0x4d4b5053)
  v.setUint32(4, primeId)
  v.setUint32(8, answerIndex)
  v.setUint32(12, offset)
  return b
}

export const decodePagingState = (
  b: Uint8Array | undefined
): { readonly primeId: number; readonly answerIndex: number; readonly offset: number } | undefined => {
  if (b === undefined || b.length !== 16) return undefined
  const v = new DataView(b.buffer, b.byteOffset, 16)
  if (v.getUint32(0) !== 0x4d4b5053) return undefined
  return { primeId: v.getUint32(4), answerIndex: v.getUint32(8), offset: v.getUint32(12) }
}

const md5 = (text: string | Uint8Array): Uint8Array => new Uint8Array(createHash("md5").update(text).digest())

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice

/** A map key for id bytes `b[start, end)` (one char per byte). */
export const idKey = (b: Uint8Array, start = 0, end = b.length): string => latin1Slice.call(b, start, end)

/** A stable uuid (version 4 layout) derived from a text. */
export const uuidOf = (text: string): string => {
  const b = md5(text)
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = toHex(b)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const signatures = new WeakMap<ReadonlyArray<ColumnSpec>, string>()

const columnsSignature = (columns: ReadonlyArray<ColumnSpec>): string => {
  let s = signatures.get(columns)
  if (s === undefined) {
    s = columns.map((c) => `${c.keyspace}.${c.table}.${c.name}:${formatType(c.type)}`).join(",")
    signatures.set(columns, s)
  }
  return s
}

export const sameColumns = (a: ReadonlyArray<ColumnSpec>, b: ReadonlyArray<ColumnSpec>): boolean =>
  a === b || (a.length === b.length && columnsSignature(a) === columnsSignature(b))

export const metadataIdOf = (columns: ReadonlyArray<ColumnSpec>): Uint8Array => md5(columnsSignature(columns))

/** Evenly spread Murmur3 tokens, one per host. */
const defaultToken = (index: number, count: number): string => {
  const min = -(1n << 63n)
  const step = (1n << 64n) / BigInt(Math.max(count, 1))
  return String(min + BigInt(index) * step)
}

const BLOB: CqlType = { kind: "blob" }
const INT: CqlType = { kind: "int" }
const BIGINT: CqlType = { kind: "bigint" }

/** A trace session recorded for a request sent with the tracing flag. */
interface TraceSession {
  readonly id: string
  readonly coordinator: string
  readonly request: string
  readonly startedAt: number
}

type Listener = () => void

/** An activity entry as stored: complete, or decoded on first read (the server's fast path). */
export type ActivityRecord = Activity | LazyActivity

/** An entry whose details are decoded only when a test reads the log. */
export class LazyActivity {
  readonly lazy = true
  readonly hostIndex: number
  readonly kind: RequestKind
  readonly query: string | undefined
  readonly control = false
  readonly batch = undefined
  private readonly make: () => Activity
  private made: Activity | undefined = undefined
  constructor(hostIndex: number, kind: RequestKind, query: string | undefined, make: () => Activity) {
    this.hostIndex = hostIndex
    this.kind = kind
    this.query = query
    this.make = make
  }
  get value(): Activity {
    return this.made ??= this.make()
  }
}

export class SimulatedCluster {
  readonly env: SimulationEnv
  readonly options: MockClusterOptions
  readonly clusterName: string
  readonly partitioner: string
  readonly hosts: Array<SimHost> = []
  readonly primes: Array<SimPrime> = []
  private primeIds = 0
  /** Bumped on every prime change (invalidates per-statement caches). */
  epoch = 0
  readonly prepared = new Map<string, PreparedInfo>()
  readonly tables = new Map<string, KnownTable>()
  readonly keyspaces: Array<{ readonly name: string; readonly replication: Readonly<Record<string, string>> }> = []
  readonly auth: { readonly username: string; readonly password: string } | undefined
  readonly peersV2: boolean
  readonly activityLimit: number
  private readonly activityLog: Array<ActivityRecord> = []
  private activityStart = 0
  private readonly listeners = new Set<Listener>()
  private readonly traces = new Map<string, TraceSession>()
  private traceCounter = 0
  connectionIds = 0

  constructor(options: MockClusterOptions, env: SimulationEnv, defaultPort: number) {
    this.env = env
    this.options = options
    this.clusterName = options.clusterName ?? "mock-cluster"
    this.partitioner = options.partitioner ?? "org.apache.cassandra.dht.Murmur3Partitioner"
    this.auth = options.auth
    this.peersV2 = options.peersV2 ?? true
    this.activityLimit = options.activityLimit ?? 10_000
    const specs: ReadonlyArray<HostSpec> = typeof options.hosts === "number"
      ? Array.from({ length: options.hosts }, () => ({}))
      : options.hosts ?? [{}]
    const schemaVersion = uuidOf(`${this.clusterName}/schema`)
    specs.forEach((spec, i) => this.hosts.push(this.makeHost(spec, i, specs.length, defaultPort, schemaVersion)))
    for (const t of systemTables) this.tables.set(`${t.keyspace}.${t.name}`, t)
    const userKeyspaces = new Set<string>()
    for (const [name, spec] of Object.entries(options.tables ?? {})) {
      const table = knownTable(name, spec)
      this.tables.set(`${table.keyspace}.${table.name}`, table)
      userKeyspaces.add(table.keyspace)
    }
    const local = { class: "org.apache.cassandra.locator.LocalStrategy" }
    const simple = (rf: number) => ({ class: "org.apache.cassandra.locator.SimpleStrategy", replication_factor: String(rf) })
    this.keyspaces.push({ name: "system", replication: local }, { name: "system_schema", replication: local })
    this.keyspaces.push({ name: "system_auth", replication: simple(1) }, { name: "system_distributed", replication: simple(3) })
    this.keyspaces.push({ name: "system_traces", replication: simple(2) })
    for (const ks of userKeyspaces) {
      if (!this.keyspaces.some((k) => k.name === ks)) this.keyspaces.push({ name: ks, replication: simple(Math.min(3, this.hosts.length)) })
    }
  }

  private makeHost(spec: HostSpec, index: number, count: number, defaultPort: number, schemaVersion: string): SimHost {
    const address = spec.address ?? `127.0.0.${index + 1}`
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
    this.hosts.push(host)
    return host
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
    return this.hosts.find((h) => !h.removed && h.address === address && h.port === port)
  }

  setHostState(host: SimHost, state: HostState): void {
    if (host.state === state) return
    host.state = state
    if (state === "down") for (const c of [...host.connections]) c.destroy()
    this.env.onHostState?.(host)
  }

  // ---- primes ----------------------------------------------------------------------------------

  addPrime(spec: PrimeSpec): SimPrime {
    const prime = new SimPrime(++this.primeIds, spec)
    this.primes.push(prime)
    this.epoch++
    return prime
  }

  removePrime(id: number): void {
    const i = this.primes.findIndex((p) => p.id === id)
    if (i >= 0) this.primes.splice(i, 1)
    this.epoch++
  }

  clearPrimes(): void {
    this.primes.length = 0
    this.epoch++
  }

  primeById(id: number): SimPrime | undefined {
    return this.primes.find((p) => p.id === id)
  }

  /** The newest prime matching `input` (its use is counted), or undefined. */
  match(input: MatchInput): Match | undefined {
    for (let i = this.primes.length - 1; i >= 0; i--) {
      const p = this.primes[i]!
      if (!this.primeMatches(p, input)) continue
      const answerIndex = Math.min(p.used, p.answers.length - 1)
      p.used++
      return { prime: p, answerIndex, answer: p.answers[answerIndex]! }
    }
    return undefined
  }

  primeMatches(p: SimPrime, input: MatchInput): boolean {
    if (p.exhausted || !p.kinds.has(input.kind)) return false
    if (input.system && p.spec.system !== true) return false
    if (input.kind === "batch") {
      if ((p.exact !== undefined || p.pattern !== undefined) && !(input.batchQueries ?? []).some((q) => p.queryMatches(q))) return false
    } else if (!p.queryMatches(input.query)) return false
    if (p.spec.preparedId !== undefined && (input.preparedId === undefined || idKey(input.preparedId) !== idKey(p.spec.preparedId))) {
      return false
    }
    if (p.consistencies !== undefined && (input.consistency === undefined || !p.consistencies.has(input.consistency))) return false
    const hostRef = p.spec.host
    if (hostRef !== undefined) {
      const refs = Array.isArray(hostRef) ? hostRef as ReadonlyArray<HostRef> : [hostRef as HostRef]
      if (!refs.some((r) => this.resolveHost(r) === input.host)) return false
    }
    if (p.spec.values !== undefined && !valuesMatch(p.spec.values, input, p.variables)) return false
    return true
  }

  /** A prime that would answer `input` without counting a use (for PREPARE metadata). */
  peek(input: MatchInput, predicate: (p: SimPrime) => boolean): SimPrime | undefined {
    for (let i = this.primes.length - 1; i >= 0; i--) {
      const p = this.primes[i]!
      if (!p.exhausted && p.queryMatches(input.query) && predicate(p) && (input.system ? p.spec.system === true : true)) return p
    }
    return undefined
  }

  // ---- prepared statements -------------------------------------------------------------------

  /** Prepares `query` (in `keyspace`) on `host`: stable id, variables, result columns. */
  prepare(host: SimHost, query: string, keyspace: string | undefined): PreparedInfo {
    const normalized = normalizeCached(query)
    const id = md5(`${keyspace ?? ""}\u0000${normalized}`)
    const idHex = idKey(id)
    let info = this.prepared.get(idHex)
    if (info === undefined || info.query !== query) {
      info = this.describeStatement(id, idHex, query, normalized, keyspace, host)
      this.prepared.set(idHex, info)
      this.epoch++
    }
    if (!host.prepared.has(idHex)) {
      host.prepared.add(idHex)
      this.epoch++
    }
    return info
  }

  /** Re-derives a prepared statement's metadata (primes may have changed since). */
  refreshPrepared(info: PreparedInfo, host: SimHost): PreparedInfo {
    const fresh = this.describeStatement(info.id, info.idHex, info.query, info.normalized, info.keyspace, host)
    this.prepared.set(info.idHex, fresh)
    this.epoch++
    return fresh
  }

  private describeStatement(
    id: Uint8Array,
    idHex: string,
    query: string,
    normalized: string,
    keyspace: string | undefined,
    host: SimHost
  ): PreparedInfo {
    const kind = statementKind(normalized)
    const probe: MatchInput = {
      kind: "execute",
      query: normalized,
      preparedId: id,
      values: [],
      names: undefined,
      variables: undefined,
      consistency: undefined,
      host,
      system: this.isSystemQuery(normalized)
    }
    const ref = tableOf(normalized)
    const table = ref === undefined ? undefined : this.tables.get(`${ref.keyspace ?? keyspace ?? ""}.${ref.table}`)
    const declared = this.peek(probe, (p) => p.variables !== undefined)
    const rowsPrime = this.peek(probe, (p) => p.kinds.has("execute") && firstRows(p.answers[0]!) !== undefined)
    const primedColumns = rowsPrime === undefined ? [] : firstRows(rowsPrime.answers[0]!)!.columns
    let variables: ReadonlyArray<ColumnSpec>
    if (declared !== undefined) {
      variables = declared.variables!
    } else {
      const withValues = this.peek(probe, (p) => p.spec.values !== undefined && typeof p.spec.values !== "function")
      const expected = withValues?.spec.values as ReadonlyArray<unknown> | Readonly<Record<string, unknown>> | undefined
      variables = markers(normalized).map((m, i) => {
        let type: CqlType | undefined
        if (m.column !== undefined && table !== undefined) {
          const col = table.columns.find((c) => c.name === m.column)
          if (col !== undefined) type = m.inList ? { kind: "list", element: col.type } : col.type
        }
        if (type === undefined && m.column !== undefined) {
          // a column of that name in the primed rows
          const col = primedColumns.find((c) => c.name === m.column)
          if (col !== undefined) type = m.inList ? { kind: "list", element: col.type } : col.type
        }
        if (type === undefined && m.impliedType !== undefined) type = m.impliedType === "int" ? INT : BIGINT
        if (type === undefined && expected !== undefined) {
          const v = Array.isArray(expected) ? expected[i] : (expected as Readonly<Record<string, unknown>>)[m.name]
          type = inferType(v)
        }
        return {
          keyspace: table?.keyspace ?? ref?.keyspace ?? keyspace ?? "",
          table: table?.name ?? ref?.table ?? "",
          name: m.name,
          type: type ?? BLOB
        }
      })
    }
    const pkIndexes: Array<number> = []
    if (table !== undefined && table.partitionKey.length > 0) {
      for (const k of table.partitionKey) {
        const i = variables.findIndex((v) => v.name === k)
        if (i < 0) {
          pkIndexes.length = 0
          break
        }
        pkIndexes.push(i)
      }
    }
    let resultColumns: ReadonlyArray<ColumnSpec> = []
    if (rowsPrime !== undefined) resultColumns = primedColumns
    else if (kind === "select" && table !== undefined) resultColumns = project(normalized, table.columns, []).columns
    return {
      id,
      idHex,
      system: probe.system,
      query,
      normalized,
      keyspace,
      kind,
      variables,
      pkIndexes,
      resultColumns,
      resultMetadataId: metadataIdOf(resultColumns)
    }
  }

  // ---- built-in answers ----------------------------------------------------------------------

  private readonly systemQueries = new Map<string, boolean>()

  /** Whether the mock answers `normalized` itself (system tables, USE), memoised. */
  isSystemQuery(normalized: string): boolean {
    let b = this.systemQueries.get(normalized)
    if (b === undefined) {
      if (this.systemQueries.size > 4096) this.systemQueries.clear()
      b = systemTableOf(normalized) !== undefined || useKeyspace(normalized) !== undefined
      this.systemQueries.set(normalized, b)
    }
    return b
  }

  /** A host forgot its prepared statements. */
  forgetPrepared(host: SimHost): void {
    host.prepared.clear()
    this.epoch++
  }

  /** The answer to a system-table query or USE, or undefined when `query` is neither. */
  builtinAnswer(host: SimHost, query: string, values: ReadonlyArray<unknown> | undefined): Answer | undefined {
    const ks = useKeyspace(query)
    if (ks !== undefined) return { _tag: "SetKeyspace", keyspace: ks }
    const table = systemTableOf(query)
    if (table === undefined) return undefined
    const rows = (columns: ReadonlyArray<ColumnSpec>, rows: ReadonlyArray<Row>): Answer => {
      const p = project(query, columns, rows)
      return { _tag: "Rows", columns: p.columns, rows: p.rows, warnings: undefined }
    }
    switch (table) {
      case "local":
        return rows(LOCAL_COLUMNS, [this.localRow(host)])
      case "peers":
        return rows(PEERS_COLUMNS, this.liveHosts.filter((h) => h !== host).map((h) => this.peerRow(h)))
      case "peers_v2":
        if (!this.peersV2) return { _tag: "Error", code: 0x2200, fields: { message: "unconfigured table peers_v2" } }
        return rows(PEERS_V2_COLUMNS, this.liveHosts.filter((h) => h !== host).map((h) => this.peerV2Row(h)))
      case "trace_sessions":
      case "trace_events": {
        const id = traceIdOf(query, values)
        const session = id === undefined ? undefined : this.traces.get(id)
        if (table === "trace_sessions") {
          return rows(TRACE_SESSIONS_COLUMNS, session === undefined ? [] : [this.traceRow(session)])
        }
        return rows(
          TRACE_EVENTS_COLUMNS,
          session === undefined ? [] : [{
            session_id: session.id,
            event_id: session.id,
            activity: `Mock host answered: ${session.request}`,
            source: session.coordinator,
            source_elapsed: 100,
            source_port: 7000,
            thread: "Native-Transport-Requests-1"
          }]
        )
      }
      default: {
        const name = table.slice("schema.".length)
        const columns = schemaTableColumns(name)
        if (columns === undefined) {
          return { _tag: "Error", code: 0x2200, fields: { message: `table system_schema.${name} does not exist` } }
        }
        const user = [...this.tables.values()].filter((t) => !t.keyspace.startsWith("system"))
        const all = schemaRows(name, user, this.keyspaces, uuidOf)
        // `WHERE keyspace_name = 'x'` (a driver's refresh of one keyspace): that keyspace's rows only
        const only = /\bkeyspace_name\s*=\s*'((?:[^']|'')*)'/i.exec(query)?.[1]?.replace(/''/g, "'")
        return rows(columns, only === undefined ? all : all.filter((r) => r["keyspace_name"] === only))
      }
    }
  }

  private localRow(h: SimHost): Row {
    return {
      key: "local",
      bootstrapped: "COMPLETED",
      broadcast_address: h.address,
      broadcast_port: 7000,
      cluster_name: this.clusterName,
      cql_version: "3.4.7",
      data_center: h.datacenter,
      gossip_generation: 1700000000,
      host_id: h.hostId,
      listen_address: h.address,
      listen_port: 7000,
      native_protocol_version: String(h.maxVersion),
      partitioner: this.partitioner,
      rack: h.rack,
      release_version: h.releaseVersion,
      rpc_address: h.address,
      rpc_port: h.port,
      schema_version: h.schemaVersion,
      tokens: [...h.tokens],
      truncated_at: null
    }
  }

  private peerRow(h: SimHost): Row {
    return {
      peer: h.address,
      data_center: h.datacenter,
      host_id: h.hostId,
      preferred_ip: null,
      rack: h.rack,
      release_version: h.releaseVersion,
      rpc_address: h.address,
      schema_version: h.schemaVersion,
      tokens: [...h.tokens]
    }
  }

  private peerV2Row(h: SimHost): Row {
    return {
      peer: h.address,
      peer_port: 7000,
      data_center: h.datacenter,
      host_id: h.hostId,
      native_address: h.address,
      native_port: h.port,
      preferred_ip: null,
      preferred_port: null,
      rack: h.rack,
      release_version: h.releaseVersion,
      schema_version: h.schemaVersion,
      tokens: [...h.tokens]
    }
  }

  /** What an unprimed statement gets: see the README. */
  defaultAnswer(query: string, keyspace: string | undefined): Answer {
    switch (statementKind(query)) {
      case "select": {
        const ref = tableOf(query)
        const table = ref === undefined ? undefined : this.tables.get(`${ref.keyspace ?? keyspace ?? ""}.${ref.table}`)
        const columns = table === undefined ? [] : project(query, table.columns, []).columns
        return { _tag: "Rows", columns, rows: [], warnings: undefined }
      }
      case "use": {
        const ks = useKeyspace(query)
        return ks === undefined ? { _tag: "Void", warnings: undefined } : { _tag: "SetKeyspace", keyspace: ks }
      }
      case "create":
      case "alter":
      case "drop": {
        const change = schemaChangeOf(query, keyspace)
        return change === undefined ? { _tag: "Void", warnings: undefined } : { _tag: "SchemaChange", change, warnings: undefined }
      }
      default:
        return { _tag: "Void", warnings: undefined }
    }
  }

  // ---- tracing -------------------------------------------------------------------------------

  startTrace(host: SimHost, request: string): string {
    // a time-based (v1) uuid, as Cassandra's tracing ids are
    const n = ++this.traceCounter
    const hex = (this.env.now() * 10000 + n).toString(16).padStart(16, "0").slice(-16)
    const id = `${hex.slice(8, 16)}-${hex.slice(4, 8)}-1${hex.slice(1, 4)}-8${n.toString(16).padStart(3, "0").slice(-3)}-${uuidOf(host.endpoint).slice(-12)}`
    this.traces.set(id, { id, coordinator: host.address, request, startedAt: this.env.now() })
    return id
  }

  private traceRow(s: TraceSession): Row {
    return {
      session_id: s.id,
      client: "127.0.0.1",
      command: "QUERY",
      coordinator: s.coordinator,
      coordinator_port: 7000,
      duration: 100,
      parameters: new Map([["query", s.request]]),
      request: s.request,
      started_at: new Date(s.startedAt)
    }
  }

  // ---- events --------------------------------------------------------------------------------

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

  // ---- activity ------------------------------------------------------------------------------

  record(entry: ActivityRecord): void {
    if (this.activityLimit <= 0) return
    this.activityLog.push(entry)
    if (this.activityLog.length - this.activityStart > this.activityLimit) {
      this.activityStart++
      if (this.activityStart > 4096 && this.activityStart * 2 > this.activityLog.length) {
        this.activityLog.splice(0, this.activityStart)
        this.activityStart = 0
      }
    }
    if (this.listeners.size > 0) for (const l of [...this.listeners]) l()
  }

  activity(filter?: ActivityFilter): ReadonlyArray<Activity> {
    const out: Array<Activity> = []
    const host = filter?.host === undefined ? undefined : this.resolveHost(filter.host)
    if (filter?.host !== undefined && host === undefined) return out
    const kinds = filter?.kind === undefined ? undefined : new Set(typeof filter.kind === "string" ? [filter.kind] : filter.kind)
    const exact = typeof filter?.query === "string" ? normalizeQuery(filter.query) : undefined
    const pattern = filter?.query instanceof RegExp ? filter.query : undefined
    for (let i = this.activityStart; i < this.activityLog.length; i++) {
      const a = this.activityLog[i]!
      if (a.control && filter?.includeControl !== true) continue
      if (host !== undefined && a.hostIndex !== host.index) continue
      if (kinds !== undefined && !kinds.has(a.kind)) continue
      if (exact !== undefined || pattern !== undefined) {
        const texts = a.kind === "batch" ? (a.batch ?? []).map((b) => b.query) : [a.query]
        const ok = texts.some((t) => {
          if (t === undefined) return false
          const n = normalizeCached(t)
          if (exact !== undefined) return n === exact
          pattern!.lastIndex = 0
          return pattern!.test(n)
        })
        if (!ok) continue
      }
      out.push(a instanceof LazyActivity ? a.value : a)
    }
    return out
  }

  clearActivity(): void {
    this.activityLog.length = 0
    this.activityStart = 0
  }

  /** Calls `f` after every new entry until it returns true (or is removed). */
  onActivity(f: () => boolean): () => void {
    const l: Listener = () => {
      if (f()) this.listeners.delete(l)
    }
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }
}

const firstRows = (a: Answer): Extract<Answer, { _tag: "Rows" }> | undefined =>
  a._tag === "Rows" ? a : a._tag === "Delayed" ? firstRows(a.answer) : undefined

const knownTable = (qualifiedName: string, spec: TableSpec): KnownTable => {
  const dot = qualifiedName.indexOf(".")
  if (dot < 0) throw new Error(`table "${qualifiedName}": name it keyspace.table`)
  const keyspace = qualifiedName.slice(0, dot)
  const name = qualifiedName.slice(dot + 1)
  const withKeys = "columns" in spec && typeof spec.columns === "object" && spec.columns !== null && !("kind" in spec.columns)
  const columns = (withKeys ? (spec as { columns: Record<string, ColumnType> }).columns : spec) as Readonly<Record<string, ColumnType>>
  const specs = Object.entries(columns).map(([col, type]) => ({
    keyspace,
    table: name,
    name: col,
    type: typeof type === "string" ? parseCqlType(type) : type
  }))
  const keyed = withKeys ? (spec as { partitionKey?: ReadonlyArray<string>; clusteringKey?: ReadonlyArray<string> }) : undefined
  return {
    keyspace,
    name,
    columns: specs,
    partitionKey: keyed?.partitionKey ?? (specs[0] === undefined ? [] : [specs[0].name]),
    clusteringKey: keyed?.clusteringKey ?? []
  }
}

/** The session id a system_traces query asks for (a bound value, or a literal). */
const traceIdOf = (query: string, values: ReadonlyArray<unknown> | undefined): string | undefined => {
  const v = values?.[0]
  if (typeof v === "string") return v.toLowerCase()
  if (v instanceof Uint8Array && v.length === 16) {
    const h = toHex(v)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }
  const m = /session_id\s*=\s*([0-9a-fA-F-]{36})/.exec(query)
  return m?.[1]?.toLowerCase()
}

/** Decodes raw values with known types (undefined when a value does not decode). */
export const decodeValues = (
  values: ReadonlyArray<RawValue>,
  variables: ReadonlyArray<ColumnSpec> | undefined
): ReadonlyArray<unknown> | undefined => {
  if (variables === undefined || variables.length !== values.length) return undefined
  const out = new Array<unknown>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v === null || v === UNSET) {
      out[i] = v
      continue
    }
    try {
      out[i] = decodeValue(variables[i]!.type, v)
    } catch {
      return undefined
    }
  }
  return out
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const valueMatches = (expected: unknown, raw: RawValue | undefined, type: CqlType | undefined): boolean => {
  if (raw === undefined) return false
  if (expected === null || expected === undefined) return raw === null
  if (expected === UNSET) return raw === UNSET
  if (raw === null || raw === UNSET) return false
  const t = type ?? inferType(expected)
  if (t === undefined) return false
  const bytes = serializeValue(t, expected)
  return Result.isSuccess(bytes) && bytesEqual(bytes.success, raw)
}

const valuesMatch = (
  expected: NonNullable<PrimeSpec["values"]>,
  input: MatchInput,
  primeVariables: ReadonlyArray<ColumnSpec> | undefined
): boolean => {
  const variables = input.variables ?? primeVariables
  if (typeof expected === "function") {
    return expected(decodeValues(input.values, variables) ?? input.values)
  }
  if (Array.isArray(expected)) {
    if (expected.length !== input.values.length) return false
    return expected.every((v, i) => valueMatches(v, input.values[i], variables?.[i]?.type))
  }
  const record = expected as Readonly<Record<string, unknown>>
  for (const [name, v] of Object.entries(record)) {
    const i = input.names !== undefined ? input.names.indexOf(name) : variables?.findIndex((x) => x.name === name) ?? -1
    if (i < 0) return false
    if (!valueMatches(v, input.values[i], input.names !== undefined ? primeVariables?.find((x) => x.name === name)?.type : variables?.[i]?.type)) {
      return false
    }
  }
  return true
}

export { consistencyName, describe }
