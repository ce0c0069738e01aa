/**
 * Cluster metadata: keyspaces, tables, user types, functions and aggregates from system_schema, and
 * the token map used for token-aware routing (the Python driver's `cluster.metadata`).
 *
 * @since 0.1.0
 */
import { type CqlType, parseCqlType } from "@effect-cassandra/protocol"
import type { Row } from "@effect-cassandra/protocol"
import type { Host } from "./Host.ts"

export interface ColumnMetadata {
  readonly name: string
  readonly type: CqlType
  /** The type as CQL text, as system_schema has it. */
  readonly typeText: string
  readonly kind: "partition_key" | "clustering" | "regular" | "static"
  readonly position: number
  readonly clusteringOrder: "asc" | "desc" | "none"
}

export interface TableMetadata {
  readonly keyspace: string
  readonly name: string
  readonly columns: ReadonlyArray<ColumnMetadata>
  readonly partitionKey: ReadonlyArray<ColumnMetadata>
  readonly clusteringKey: ReadonlyArray<ColumnMetadata>
  /** Secondary indexes (system_schema.indexes). */
  readonly indexes: ReadonlyArray<IndexMetadata>
  /** The table's options as system_schema has them (comment, default_time_to_live, compaction, ...). */
  readonly options: Readonly<Record<string, unknown>>
}

export interface IndexMetadata {
  readonly name: string
  /** COMPOSITES, KEYS or CUSTOM. */
  readonly kind: string
  /** `target` (the indexed column), `class_name` for custom indexes, ... */
  readonly options: Readonly<Record<string, string>>
}

/** A materialized view: a table of its own, kept from a base table. */
export interface ViewMetadata extends TableMetadata {
  readonly baseTable: string
  readonly includeAllColumns: boolean
  readonly whereClause: string
}

export interface UserTypeMetadata {
  readonly keyspace: string
  readonly name: string
  readonly fields: ReadonlyArray<{ readonly name: string; readonly typeText: string }>
}

export interface KeyspaceMetadata {
  readonly name: string
  readonly replication: Readonly<Record<string, string>>
  readonly durableWrites: boolean
  readonly tables: ReadonlyMap<string, TableMetadata>
  readonly views: ReadonlyMap<string, ViewMetadata>
  readonly userTypes: ReadonlyMap<string, UserTypeMetadata>
  /** `name(argtypes)` of each function. */
  readonly functions: ReadonlyArray<string>
  readonly aggregates: ReadonlyArray<string>
}

export interface SchemaRows {
  readonly keyspaces: ReadonlyArray<Row>
  readonly tables: ReadonlyArray<Row>
  readonly columns: ReadonlyArray<Row>
  readonly types: ReadonlyArray<Row>
  readonly functions: ReadonlyArray<Row>
  readonly aggregates: ReadonlyArray<Row>
  readonly views?: ReadonlyArray<Row> | undefined
  readonly indexes?: ReadonlyArray<Row> | undefined
}

/** Columns of system_schema.tables / views that are not options. */
const TABLE_IDENTITY = new Set(["keyspace_name", "table_name", "view_name", "id", "base_table_id", "base_table_name", "include_all_columns", "where_clause", "flags"])

const str = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : String(v))
const strList = (v: unknown): ReadonlyArray<string> => (Array.isArray(v) ? v.map(str) : [])
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  if (v instanceof Map) for (const [k, x] of v) out[str(k)] = str(x)
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) out[k] = str(x)
  return out
}

/** Builds keyspace metadata from the rows of system_schema. */
export const buildSchema = (rows: SchemaRows): Map<string, KeyspaceMetadata> => {
  const types = new Map<string, Map<string, UserTypeMetadata>>()
  for (const t of rows.types) {
    const ks = str(t["keyspace_name"])
    const names = strList(t["field_names"])
    const fieldTypes = strList(t["field_types"])
    const m = types.get(ks) ?? new Map()
    m.set(str(t["type_name"]), {
      keyspace: ks,
      name: str(t["type_name"]),
      fields: names.map((name, i) => ({ name, typeText: fieldTypes[i] ?? "blob" }))
    })
    types.set(ks, m)
  }
  const resolveUdt = (ks: string | undefined, name: string, depth = 0): CqlType | undefined => {
    const keyspace = ks ?? ""
    const udt = types.get(keyspace)?.get(name)
    if (udt === undefined || depth > 32) return undefined
    return {
      kind: "udt",
      keyspace,
      name,
      fields: udt.fields.map((f) => ({ name: f.name, type: parseType(f.typeText, keyspace, depth + 1) }))
    }
  }
  const parseType = (text: string, ks: string, depth = 0): CqlType => {
    try {
      return parseCqlType(text, (k, n) => resolveUdt(k ?? ks, n, depth))
    } catch {
      return { kind: "custom", className: text }
    }
  }
  const columnsByTable = new Map<string, Array<ColumnMetadata>>()
  for (const c of rows.columns) {
    const key = `${str(c["keyspace_name"])}.${str(c["table_name"])}`
    const list = columnsByTable.get(key) ?? []
    const kind = str(c["kind"])
    const typeText = str(c["type"])
    list.push({
      name: str(c["column_name"]),
      type: parseType(typeText, str(c["keyspace_name"])),
      typeText,
      kind: kind === "partition_key" || kind === "clustering" || kind === "static" ? kind : "regular",
      position: typeof c["position"] === "number" ? c["position"] : -1,
      clusteringOrder: str(c["clustering_order"]) === "desc" ? "desc" : str(c["clustering_order"]) === "asc" ? "asc" : "none"
    })
    columnsByTable.set(key, list)
  }
  const indexesByTable = new Map<string, Array<IndexMetadata>>()
  for (const i of rows.indexes ?? []) {
    const key = `${str(i["keyspace_name"])}.${str(i["table_name"])}`
    const list = indexesByTable.get(key) ?? []
    list.push({ name: str(i["index_name"]), kind: str(i["kind"]), options: strMap(i["options"]) })
    indexesByTable.set(key, list)
  }
  const tableOf = (ks: string, name: string, row: Row): TableMetadata => {
    const columns = columnsByTable.get(`${ks}.${name}`) ?? []
    const byPosition = (kind: ColumnMetadata["kind"]) =>
      columns.filter((c) => c.kind === kind).sort((a, b) => a.position - b.position)
    const options: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(row)) if (!TABLE_IDENTITY.has(k)) options[k] = v
    return {
      keyspace: ks,
      name,
      columns,
      partitionKey: byPosition("partition_key"),
      clusteringKey: byPosition("clustering"),
      indexes: indexesByTable.get(`${ks}.${name}`) ?? [],
      options
    }
  }
  const tables = new Map<string, Map<string, TableMetadata>>()
  for (const t of rows.tables) {
    const ks = str(t["keyspace_name"])
    const name = str(t["table_name"])
    const m = tables.get(ks) ?? new Map()
    m.set(name, tableOf(ks, name, t))
    tables.set(ks, m)
  }
  const views = new Map<string, Map<string, ViewMetadata>>()
  for (const v of rows.views ?? []) {
    const ks = str(v["keyspace_name"])
    const name = str(v["view_name"])
    const m = views.get(ks) ?? new Map()
    m.set(name, {
      ...tableOf(ks, name, v),
      baseTable: str(v["base_table_name"]),
      includeAllColumns: v["include_all_columns"] === true,
      whereClause: str(v["where_clause"])
    })
    views.set(ks, m)
  }
  const fnNames = (list: ReadonlyArray<Row>, nameKey: string) => {
    const out = new Map<string, Array<string>>()
    for (const f of list) {
      const ks = str(f["keyspace_name"])
      const l = out.get(ks) ?? []
      l.push(`${str(f[nameKey])}(${strList(f["argument_types"]).join(", ")})`)
      out.set(ks, l)
    }
    return out
  }
  const functions = fnNames(rows.functions, "function_name")
  const aggregates = fnNames(rows.aggregates, "aggregate_name")
  const out = new Map<string, KeyspaceMetadata>()
  for (const k of rows.keyspaces) {
    const name = str(k["keyspace_name"])
    out.set(name, {
      name,
      replication: strMap(k["replication"]),
      durableWrites: k["durable_writes"] !== false,
      tables: tables.get(name) ?? new Map(),
      views: views.get(name) ?? new Map(),
      userTypes: types.get(name) ?? new Map(),
      functions: functions.get(name) ?? [],
      aggregates: aggregates.get(name) ?? []
    })
  }
  return out
}

// ---------------------------------------------------------------------------
// token map
// ---------------------------------------------------------------------------

/** The ring: each host's tokens, sorted, and the replicas of each range per keyspace. */
export class TokenMap {
  readonly tokens: BigInt64Array
  readonly owners: ReadonlyArray<Host>
  private readonly replicaCache = new Map<string, ReadonlyArray<ReadonlyArray<Host>>>()

  constructor(hosts: ReadonlyArray<Host>) {
    const entries: Array<[bigint, Host]> = []
    for (const h of hosts) {
      for (const t of h.tokens) {
        try {
          entries.push([BigInt(t), h])
        } catch {
          // not a Murmur3 token: ignore
        }
      }
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    this.tokens = BigInt64Array.from(entries.map((e) => e[0]))
    this.owners = entries.map((e) => e[1])
  }

  /** Index of the first ring token >= `token` (wrapping to 0). */
  private indexOf(token: bigint): number {
    const tokens = this.tokens
    let lo = 0
    let hi = tokens.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (tokens[mid]! < token) lo = mid + 1
      else hi = mid
    }
    return lo === tokens.length ? 0 : lo
  }

  /** The replicas of `token` for a keyspace with this replication. */
  replicas(keyspace: string, replication: Readonly<Record<string, string>> | undefined, token: bigint): ReadonlyArray<Host> {
    if (this.tokens.length === 0) return []
    let perRange = this.replicaCache.get(keyspace)
    if (perRange === undefined) {
      perRange = this.computeReplicas(replication)
      this.replicaCache.set(keyspace, perRange)
    }
    return perRange[this.indexOf(token)]!
  }

  private computeReplicas(replication: Readonly<Record<string, string>> | undefined): ReadonlyArray<ReadonlyArray<Host>> {
    const cls = replication?.["class"] ?? "SimpleStrategy"
    const n = this.owners.length
    const result: Array<ReadonlyArray<Host>> = new Array(n)
    if (cls.endsWith("NetworkTopologyStrategy")) {
      const wanted = new Map<string, number>()
      for (const [k, v] of Object.entries(replication ?? {})) {
        if (k === "class") continue
        const rf = Number.parseInt(v, 10)
        if (rf > 0) wanted.set(k, rf)
      }
      const dcSizes = new Map<string, number>()
      for (const h of new Set(this.owners)) dcSizes.set(h.datacenter ?? "", (dcSizes.get(h.datacenter ?? "") ?? 0) + 1)
      for (let i = 0; i < n; i++) {
        const picked: Array<Host> = []
        const seen = new Set<string>()
        const perDc = new Map<string, number>()
        for (let j = 0; j < n; j++) {
          const h = this.owners[(i + j) % n]!
          if (seen.has(h.endpoint)) continue
          const dc = h.datacenter ?? ""
          const rf = Math.min(wanted.get(dc) ?? 0, dcSizes.get(dc) ?? 0)
          const have = perDc.get(dc) ?? 0
          if (have >= rf) continue
          seen.add(h.endpoint)
          perDc.set(dc, have + 1)
          picked.push(h)
        }
        result[i] = picked
      }
      return result
    }
    const rf = cls.endsWith("LocalStrategy") || cls.endsWith("EverywhereStrategy")
      ? (cls.endsWith("LocalStrategy") ? 1 : n)
      : Math.max(1, Number.parseInt(replication?.["replication_factor"] ?? "1", 10) || 1)
    for (let i = 0; i < n; i++) {
      const picked: Array<Host> = []
      const seen = new Set<string>()
      for (let j = 0; j < n && picked.length < rf; j++) {
        const h = this.owners[(i + j) % n]!
        if (seen.has(h.endpoint)) continue
        seen.add(h.endpoint)
        picked.push(h)
      }
      result[i] = picked
    }
    return result
  }
}
