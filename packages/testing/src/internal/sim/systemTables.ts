/**
 * The system tables a driver reads (system.local, system.peers, system.peers_v2, system_schema.*,
 * system_traces.*): their columns, with the column types of Cassandra 5.0, which of them a query
 * reads, the projection of a SELECT list, and the system_schema rows of a schema. Static data and
 * pure functions: the rows of the hosts, of traces and the answers themselves are `builtins.ts`'s.
 *
 * @internal
 */
import { type CqlType, formatType, parseCqlType } from "@effect-cassandra/protocol/CqlType"
import type { ColumnSpec, Row } from "@effect-cassandra/protocol/Messages"
import { projection, tableOf } from "../cql.ts"

const t = (text: string): CqlType => parseCqlType(text)

const specs = (keyspace: string, table: string, columns: ReadonlyArray<readonly [string, string]>): ReadonlyArray<ColumnSpec> =>
  columns.map(([name, type]) => ({ keyspace, table, name, type: t(type) }))

/**
 * The columns of system.local.
 *
 * @since 0.1.0
 */
export const LOCAL_COLUMNS = specs("system", "local", [
  ["key", "text"],
  ["bootstrapped", "text"],
  ["broadcast_address", "inet"],
  ["broadcast_port", "int"],
  ["cluster_name", "text"],
  ["cql_version", "text"],
  ["data_center", "text"],
  ["gossip_generation", "int"],
  ["host_id", "uuid"],
  ["listen_address", "inet"],
  ["listen_port", "int"],
  ["native_protocol_version", "text"],
  ["partitioner", "text"],
  ["rack", "text"],
  ["release_version", "text"],
  ["rpc_address", "inet"],
  ["rpc_port", "int"],
  ["schema_version", "uuid"],
  ["tokens", "set<text>"],
  ["truncated_at", "map<uuid, blob>"]
])

/**
 * The columns of system.peers_v2 (Cassandra 4.0+).
 *
 * @since 0.1.0
 */
export const PEERS_V2_COLUMNS = specs("system", "peers_v2", [
  ["peer", "inet"],
  ["peer_port", "int"],
  ["data_center", "text"],
  ["host_id", "uuid"],
  ["native_address", "inet"],
  ["native_port", "int"],
  ["preferred_ip", "inet"],
  ["preferred_port", "int"],
  ["rack", "text"],
  ["release_version", "text"],
  ["schema_version", "uuid"],
  ["tokens", "set<text>"]
])

/**
 * The columns of system.peers.
 *
 * @since 0.1.0
 */
export const PEERS_COLUMNS = specs("system", "peers", [
  ["peer", "inet"],
  ["data_center", "text"],
  ["host_id", "uuid"],
  ["preferred_ip", "inet"],
  ["rack", "text"],
  ["release_version", "text"],
  ["rpc_address", "inet"],
  ["schema_version", "uuid"],
  ["tokens", "set<text>"]
])

const SCHEMA_COLUMNS: Record<string, ReadonlyArray<ColumnSpec>> = {
  keyspaces: specs("system_schema", "keyspaces", [
    ["keyspace_name", "text"],
    ["durable_writes", "boolean"],
    ["replication", "frozen<map<text, text>>"]
  ]),
  tables: specs("system_schema", "tables", [
    ["keyspace_name", "text"],
    ["table_name", "text"],
    ["bloom_filter_fp_chance", "double"],
    ["comment", "text"],
    ["default_time_to_live", "int"],
    ["flags", "frozen<set<text>>"],
    ["id", "uuid"]
  ]),
  columns: specs("system_schema", "columns", [
    ["keyspace_name", "text"],
    ["table_name", "text"],
    ["column_name", "text"],
    ["clustering_order", "text"],
    ["column_name_bytes", "blob"],
    ["kind", "text"],
    ["position", "int"],
    ["type", "text"]
  ]),
  types: specs("system_schema", "types", [
    ["keyspace_name", "text"],
    ["type_name", "text"],
    ["field_names", "frozen<list<text>>"],
    ["field_types", "frozen<list<text>>"]
  ]),
  functions: specs("system_schema", "functions", [
    ["keyspace_name", "text"],
    ["function_name", "text"],
    ["argument_types", "frozen<list<text>>"],
    ["argument_names", "frozen<list<text>>"],
    ["body", "text"],
    ["called_on_null_input", "boolean"],
    ["language", "text"],
    ["return_type", "text"]
  ]),
  aggregates: specs("system_schema", "aggregates", [
    ["keyspace_name", "text"],
    ["aggregate_name", "text"],
    ["argument_types", "frozen<list<text>>"],
    ["final_func", "text"],
    ["initcond", "text"],
    ["return_type", "text"],
    ["state_func", "text"],
    ["state_type", "text"]
  ]),
  views: specs("system_schema", "views", [
    ["keyspace_name", "text"],
    ["view_name", "text"],
    ["base_table_id", "uuid"],
    ["base_table_name", "text"],
    ["id", "uuid"],
    ["include_all_columns", "boolean"],
    ["where_clause", "text"]
  ]),
  indexes: specs("system_schema", "indexes", [
    ["keyspace_name", "text"],
    ["table_name", "text"],
    ["index_name", "text"],
    ["kind", "text"],
    ["options", "frozen<map<text, text>>"]
  ]),
  triggers: specs("system_schema", "triggers", [
    ["keyspace_name", "text"],
    ["table_name", "text"],
    ["trigger_name", "text"],
    ["options", "frozen<map<text, text>>"]
  ]),
  dropped_columns: specs("system_schema", "dropped_columns", [
    ["keyspace_name", "text"],
    ["table_name", "text"],
    ["column_name", "text"],
    ["dropped_time", "timestamp"],
    ["kind", "text"],
    ["type", "text"]
  ])
}

/**
 * The columns of system_traces.sessions.
 *
 * @since 0.1.0
 */
export const TRACE_SESSIONS_COLUMNS = specs("system_traces", "sessions", [
  ["session_id", "uuid"],
  ["client", "inet"],
  ["command", "text"],
  ["coordinator", "inet"],
  ["coordinator_port", "int"],
  ["duration", "int"],
  ["parameters", "map<text, text>"],
  ["request", "text"],
  ["started_at", "timestamp"]
])

/**
 * The columns of system_traces.events.
 *
 * @since 0.1.0
 */
export const TRACE_EVENTS_COLUMNS = specs("system_traces", "events", [
  ["session_id", "uuid"],
  ["event_id", "timeuuid"],
  ["activity", "text"],
  ["source", "inet"],
  ["source_elapsed", "int"],
  ["source_port", "int"],
  ["thread", "text"]
])

/**
 * A table the mock knows the columns of (user tables from the options, plus system tables).
 *
 * @since 0.1.0
 */
export interface KnownTable {
  readonly keyspace: string
  readonly name: string
  readonly columns: ReadonlyArray<ColumnSpec>
  readonly partitionKey: ReadonlyArray<string>
  readonly clusteringKey: ReadonlyArray<string>
}

/**
 * A keyspace the mock knows, with its replication options.
 *
 * @since 0.1.0
 */
export interface KnownKeyspace {
  readonly name: string
  readonly replication: Readonly<Record<string, string>>
}

/**
 * The system tables as known tables (their keys included), for typing statements on them.
 *
 * @since 0.1.0
 */
export const systemTables: ReadonlyArray<KnownTable> = [
  { keyspace: "system", name: "local", columns: LOCAL_COLUMNS, partitionKey: ["key"], clusteringKey: [] },
  { keyspace: "system", name: "peers", columns: PEERS_COLUMNS, partitionKey: ["peer"], clusteringKey: [] },
  { keyspace: "system", name: "peers_v2", columns: PEERS_V2_COLUMNS, partitionKey: ["peer"], clusteringKey: ["peer_port"] },
  { keyspace: "system_traces", name: "sessions", columns: TRACE_SESSIONS_COLUMNS, partitionKey: ["session_id"], clusteringKey: [] },
  {
    keyspace: "system_traces",
    name: "events",
    columns: TRACE_EVENTS_COLUMNS,
    partitionKey: ["session_id"],
    clusteringKey: ["event_id"]
  },
  ...Object.entries(SCHEMA_COLUMNS).map(([name, columns]) => ({
    keyspace: "system_schema",
    name,
    columns,
    partitionKey: ["keyspace_name"],
    clusteringKey: columns.length > 1 && columns[1]!.name.endsWith("_name") ? [columns[1]!.name] : []
  }))
]

/**
 * What a system query reads: which table, and the rows to project.
 *
 * @since 0.1.0
 */
export type SystemTable =
  | "local"
  | "peers"
  | "peers_v2"
  | `schema.${string}`
  | "trace_sessions"
  | "trace_events"

/**
 * Which system table a query reads, if any.
 *
 * @since 0.1.0
 */
export const systemTableOf = (query: string): SystemTable | undefined => {
  const ref = tableOf(query)
  if (ref === undefined || ref.keyspace === undefined) return undefined
  if (ref.keyspace === "system") {
    if (ref.table === "local" || ref.table === "peers" || ref.table === "peers_v2") return ref.table
    return undefined
  }
  if (ref.keyspace === "system_schema") return `schema.${ref.table}`
  if (ref.keyspace === "system_traces") {
    if (ref.table === "sessions") return "trace_sessions"
    if (ref.table === "events") return "trace_events"
  }
  return undefined
}

/**
 * Projects rows onto the SELECT list of `query` (all columns for `SELECT *`).
 *
 * @since 0.1.0
 */
export const project = (
  query: string,
  columns: ReadonlyArray<ColumnSpec>,
  rows: ReadonlyArray<Row>
): { readonly columns: ReadonlyArray<ColumnSpec>; readonly rows: ReadonlyArray<Row> } => {
  const names = projection(query)
  if (names === undefined) return { columns, rows }
  const selected = names.map((n) => columns.find((c) => c.name === n)).filter((c): c is ColumnSpec => c !== undefined)
  return { columns: selected, rows }
}

/**
 * The columns of a system_schema table, undefined for a table the mock does not have.
 *
 * @since 0.1.0
 */
export const schemaTableColumns = (table: string): ReadonlyArray<ColumnSpec> | undefined => SCHEMA_COLUMNS[table]

/**
 * system_schema rows of the user tables and keyspaces.
 *
 * @since 0.1.0
 */
export const schemaRows = (
  table: string,
  tables: ReadonlyArray<KnownTable>,
  keyspaces: ReadonlyArray<KnownKeyspace>,
  uuidOf: (text: string) => string
): ReadonlyArray<Row> => {
  switch (table) {
    case "keyspaces":
      return keyspaces.map((k) => ({ keyspace_name: k.name, durable_writes: true, replication: new Map(Object.entries(k.replication)) }))
    case "tables":
      return tables.map((tb) => ({
        keyspace_name: tb.keyspace,
        table_name: tb.name,
        bloom_filter_fp_chance: 0.01,
        comment: "",
        default_time_to_live: 0,
        flags: ["compound"],
        id: uuidOf(`${tb.keyspace}.${tb.name}`)
      }))
    case "columns": {
      const out: Array<Row> = []
      const encoder = new TextEncoder()
      for (const tb of tables) {
        for (const c of tb.columns) {
          const pk = tb.partitionKey.indexOf(c.name)
          const ck = tb.clusteringKey.indexOf(c.name)
          out.push({
            keyspace_name: tb.keyspace,
            table_name: tb.name,
            column_name: c.name,
            clustering_order: ck >= 0 ? "asc" : "none",
            column_name_bytes: encoder.encode(c.name),
            kind: pk >= 0 ? "partition_key" : ck >= 0 ? "clustering" : "regular",
            position: pk >= 0 ? pk : ck >= 0 ? ck : -1,
            type: formatType(c.type)
          })
        }
      }
      return out
    }
    case "types":
      return userTypesOf(tables).map((t) => ({
        keyspace_name: t.keyspace,
        type_name: t.name,
        field_names: t.fields.map((f) => f.name),
        field_types: t.fields.map((f) => formatType(f.type))
      }))
    default:
      return []
  }
}

/** The user types the tables' columns use (at any depth), each once, inner ones first. */
const userTypesOf = (tables: ReadonlyArray<KnownTable>): ReadonlyArray<CqlType & { kind: "udt" }> => {
  const seen = new Map<string, CqlType & { kind: "udt" }>()
  const visit = (t: CqlType): void => {
    switch (t.kind) {
      case "list":
      case "set":
      case "vector":
        return visit(t.element)
      case "map":
        visit(t.key)
        return visit(t.value)
      case "tuple":
        return t.elements.forEach(visit)
      case "udt":
        for (const f of t.fields) visit(f.type)
        if (!seen.has(`${t.keyspace}.${t.name}`)) seen.set(`${t.keyspace}.${t.name}`, t)
        return
      default:
        return
    }
  }
  for (const tb of tables) for (const c of tb.columns) visit(c.type)
  return [...seen.values()]
}
