/**
 * What the mock answers by itself: system tables (system.local, system.peers, system.peers_v2,
 * system_schema.*, system_traces.*) from the cluster's hosts, schema and traces, `USE`, and the
 * default answer of an unprimed statement; plus the trace sessions of traced requests. It reads the
 * cluster through `BuiltinsCluster` and never looks at primes (the server asks primes first).
 *
 * @internal
 */
import type { ColumnSpec, Row } from "@effect-cassandra/protocol/Messages"
import type { Answer } from "../../Answer.ts"
import { schemaChangeOf, statementKind, tableOf, useKeyspace } from "../cql.ts"
import { toHex, uuidOf } from "../ids.ts"
import type { SimHost } from "./hosts.ts"
import type { SimSchema } from "./schema.ts"
import {
  LOCAL_COLUMNS,
  PEERS_COLUMNS,
  PEERS_V2_COLUMNS,
  project,
  schemaRows,
  schemaTableColumns,
  systemTableOf,
  TRACE_EVENTS_COLUMNS,
  TRACE_SESSIONS_COLUMNS
} from "./systemTables.ts"

/**
 * A trace session recorded for a request sent with the tracing flag.
 *
 * @since 0.1.0
 */
export interface TraceSession {
  readonly id: string
  readonly coordinator: string
  readonly request: string
  readonly startedAt: number
}

/**
 * The trace sessions of a cluster, by id.
 *
 * @since 0.1.0
 */
export class Traces {
  private readonly sessions = new Map<string, TraceSession>()
  private counter = 0
  private readonly now: () => number

  constructor(now: () => number) {
    this.now = now
  }

  /** Records a session coordinated by `host` for `request`; returns its id. */
  start(host: SimHost, request: string): string {
    // a time-based (v1) uuid, as Cassandra's tracing ids are
    const n = ++this.counter
    const hex = (this.now() * 10000 + n).toString(16).padStart(16, "0").slice(-16)
    const id = `${hex.slice(8, 16)}-${hex.slice(4, 8)}-1${hex.slice(1, 4)}-8${n.toString(16).padStart(3, "0").slice(-3)}-${uuidOf(host.endpoint).slice(-12)}`
    this.sessions.set(id, { id, coordinator: host.address, request, startedAt: this.now() })
    return id
  }

  get(id: string): TraceSession | undefined {
    return this.sessions.get(id)
  }
}

/**
 * What the built-in answers read of the cluster.
 *
 * @since 0.1.0
 */
export interface BuiltinsCluster {
  readonly clusterName: string
  readonly partitioner: string
  /** Whether system.peers_v2 exists. */
  readonly peersV2: boolean
  readonly schema: SimSchema
  readonly traces: Traces
  /** The live (not removed) hosts. */
  readonly liveHosts: ReadonlyArray<SimHost>
}

/**
 * The built-in answers of a cluster.
 *
 * @since 0.1.0
 */
export class Builtins {
  private readonly cluster: BuiltinsCluster
  private readonly systemQueries = new Map<string, boolean>()

  constructor(cluster: BuiltinsCluster) {
    this.cluster = cluster
  }

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

  /** The answer to a system-table query or USE, or undefined when `query` is neither. */
  answer(host: SimHost, query: string, values: ReadonlyArray<unknown> | undefined): Answer | undefined {
    const ks = useKeyspace(query)
    if (ks !== undefined) return { _tag: "SetKeyspace", keyspace: ks }
    const table = systemTableOf(query)
    if (table === undefined) return undefined
    const cluster = this.cluster
    const rows = (columns: ReadonlyArray<ColumnSpec>, rows: ReadonlyArray<Row>): Answer => {
      const p = project(query, columns, rows)
      return { _tag: "Rows", columns: p.columns, rows: p.rows, warnings: undefined }
    }
    switch (table) {
      case "local":
        return rows(LOCAL_COLUMNS, [this.localRow(host)])
      case "peers":
        return rows(PEERS_COLUMNS, cluster.liveHosts.filter((h) => h !== host).map(peerRow))
      case "peers_v2":
        if (!cluster.peersV2) return { _tag: "Error", code: 0x2200, fields: { message: "unconfigured table peers_v2" } }
        return rows(PEERS_V2_COLUMNS, cluster.liveHosts.filter((h) => h !== host).map(peerV2Row))
      case "trace_sessions":
      case "trace_events": {
        const id = traceIdOf(query, values)
        const session = id === undefined ? undefined : cluster.traces.get(id)
        if (table === "trace_sessions") {
          return rows(TRACE_SESSIONS_COLUMNS, session === undefined ? [] : [traceSessionRow(session)])
        }
        return rows(TRACE_EVENTS_COLUMNS, session === undefined ? [] : [traceEventRow(session)])
      }
      default: {
        const name = table.slice("schema.".length)
        const columns = schemaTableColumns(name)
        if (columns === undefined) {
          return { _tag: "Error", code: 0x2200, fields: { message: `table system_schema.${name} does not exist` } }
        }
        const all = schemaRows(name, cluster.schema.userTables(), cluster.schema.keyspaces, uuidOf)
        // `WHERE keyspace_name = 'x' AND table_name = 'y'` (a driver's refresh of one keyspace, table,
        // type...): the rows with those text values only
        const where = textEqualities(query)
        return rows(columns, where.length === 0 ? all : all.filter((r) => where.every(([c, v]) => r[c] === v)))
      }
    }
  }

  /** What an unprimed statement gets: see the README. */
  defaultAnswer(query: string, keyspace: string | undefined): Answer {
    switch (statementKind(query)) {
      case "select": {
        const table = this.cluster.schema.table(tableOf(query), keyspace)
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

  private localRow(h: SimHost): Row {
    return {
      key: "local",
      bootstrapped: "COMPLETED",
      broadcast_address: h.address,
      broadcast_port: 7000,
      cluster_name: this.cluster.clusterName,
      cql_version: "3.4.7",
      data_center: h.datacenter,
      gossip_generation: 1700000000,
      host_id: h.hostId,
      listen_address: h.address,
      listen_port: 7000,
      native_protocol_version: String(h.maxVersion),
      partitioner: this.cluster.partitioner,
      rack: h.rack,
      release_version: h.releaseVersion,
      rpc_address: h.address,
      rpc_port: h.port,
      schema_version: h.schemaVersion,
      tokens: [...h.tokens],
      truncated_at: null
    }
  }
}

/** The `column = 'text'` conditions of a query's WHERE clause. */
const textEqualities = (query: string): ReadonlyArray<readonly [string, string]> => {
  const where = /\bWHERE\b([\s\S]*)$/i.exec(query)?.[1]
  if (where === undefined) return []
  const out: Array<readonly [string, string]> = []
  for (const m of where.matchAll(/\b([a-z_][a-z0-9_]*)\s*=\s*'((?:[^']|'')*)'/gi)) out.push([m[1]!.toLowerCase(), m[2]!.replace(/''/g, "'")])
  return out
}

const peerRow = (h: SimHost): Row => ({
  peer: h.address,
  data_center: h.datacenter,
  host_id: h.hostId,
  preferred_ip: null,
  rack: h.rack,
  release_version: h.releaseVersion,
  rpc_address: h.address,
  schema_version: h.schemaVersion,
  tokens: [...h.tokens]
})

const peerV2Row = (h: SimHost): Row => ({
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
})

const traceSessionRow = (s: TraceSession): Row => ({
  session_id: s.id,
  client: "127.0.0.1",
  command: "QUERY",
  coordinator: s.coordinator,
  coordinator_port: 7000,
  duration: 100,
  parameters: new Map([["query", s.request]]),
  request: s.request,
  started_at: new Date(s.startedAt)
})

const traceEventRow = (s: TraceSession): Row => ({
  session_id: s.id,
  event_id: s.id,
  activity: `Mock host answered: ${s.request}`,
  source: s.coordinator,
  source_elapsed: 100,
  source_port: 7000,
  thread: "Native-Transport-Requests-1"
})

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
