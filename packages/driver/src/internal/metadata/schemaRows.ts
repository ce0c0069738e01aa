/**
 * Schema metadata from rows: the rows of the system_schema tables become `KeyspaceMetadata`
 * (tables, columns, indexes, views, user types, functions, aggregates). Pure.
 *
 * It does not query anything (schema refresh reads the rows).
 *
 * @since 0.1.0
 * @internal
 */
import { type CqlType, parseCqlType } from "@effect-cassandra/protocol/CqlType"
import type { Row } from "@effect-cassandra/protocol/Messages"
import type {
  AggregateMetadata,
  ColumnMetadata,
  FunctionMetadata,
  IndexMetadata,
  KeyspaceMetadata,
  TableMetadata,
  UserTypeMetadata,
  ViewMetadata
} from "../../Metadata.ts"

/**
 * The rows of each system_schema table.
 *
 * @since 0.1.0
 */
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
/** `o[k] = v` as an own property: a key from the server (`__proto__` included) never sets a prototype. */
const put = (o: Record<string, unknown>, k: string, v: unknown): void => {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  else o[k] = v
}
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  if (v instanceof Map) for (const [k, x] of v) put(out, str(k), str(x))
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) put(out, k, str(x))
  return out
}

const optStr = (v: unknown): string | undefined => (v == null ? undefined : str(v))

/**
 * `name(type, ...)`: how a function or aggregate is named among its overloads.
 *
 * @since 0.2.0
 */
export const signatureOf = (name: string, argumentTypes: ReadonlyArray<string>): string => `${name}(${argumentTypes.join(", ")})`

/**
 * A function from its system_schema.functions row.
 *
 * @since 0.2.0
 */
export const functionOf = (row: Row): FunctionMetadata => {
  const name = str(row["function_name"])
  const argumentTypes = strList(row["argument_types"])
  return {
    keyspace: str(row["keyspace_name"]),
    name,
    signature: signatureOf(name, argumentTypes),
    argumentNames: strList(row["argument_names"]),
    argumentTypes,
    returnType: str(row["return_type"]),
    language: str(row["language"]),
    body: str(row["body"]),
    calledOnNullInput: row["called_on_null_input"] === true
  }
}

/**
 * An aggregate from its system_schema.aggregates row.
 *
 * @since 0.2.0
 */
export const aggregateOf = (row: Row): AggregateMetadata => {
  const name = str(row["aggregate_name"])
  const argumentTypes = strList(row["argument_types"])
  return {
    keyspace: str(row["keyspace_name"]),
    name,
    signature: signatureOf(name, argumentTypes),
    argumentTypes,
    returnType: str(row["return_type"]),
    stateFunction: str(row["state_func"]),
    stateType: str(row["state_type"]),
    finalFunction: optStr(row["final_func"]),
    initialCondition: optStr(row["initcond"])
  }
}

/** Rows made into metadata, by keyspace, then by signature. */
const groupByKeyspace = <A extends { readonly keyspace: string; readonly signature: string }>(
  list: ReadonlyArray<Row>,
  make: (row: Row) => A
): Map<string, Map<string, A>> => {
  const out = new Map<string, Map<string, A>>()
  for (const row of list) {
    const item = make(row)
    const m = out.get(item.keyspace) ?? new Map<string, A>()
    m.set(item.signature, item)
    out.set(item.keyspace, m)
  }
  return out
}

/**
 * Builds keyspace metadata from the rows of system_schema.
 *
 * @since 0.1.0
 */
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
    for (const [k, v] of Object.entries(row)) if (!TABLE_IDENTITY.has(k)) put(options, k, v)
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
  const functions = groupByKeyspace(rows.functions, functionOf)
  const aggregates = groupByKeyspace(rows.aggregates, aggregateOf)
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
      functions: [...(functions.get(name)?.keys() ?? [])],
      aggregates: [...(aggregates.get(name)?.keys() ?? [])],
      userFunctions: functions.get(name) ?? new Map(),
      userAggregates: aggregates.get(name) ?? new Map()
    })
  }
  return out
}

