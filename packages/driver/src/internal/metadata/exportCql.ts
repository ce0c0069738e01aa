/**
 * Schema as CQL: the CREATE statements of a keyspace and what is in it (user types, functions,
 * aggregates, tables with their indexes, materialized views), from the metadata read from
 * system_schema, in the layout of Cassandra 5.0's `DESCRIBE KEYSPACE` (the Python driver's
 * `export_as_string`). Pure.
 *
 * It does not read the schema (the refreshes do) and knows only what system_schema said: table
 * options are written as the server stored them, in the server's order.
 *
 * @since 0.2.0
 * @internal
 */
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

/** The table options in the order DESCRIBE writes them (views leave out default_time_to_live). */
const OPTION_ORDER = [
  "additional_write_policy",
  "allow_auto_snapshot",
  "bloom_filter_fp_chance",
  "caching",
  "cdc",
  "comment",
  "compaction",
  "compression",
  "memtable",
  "crc_check_chance",
  "default_time_to_live",
  "extensions",
  "gc_grace_seconds",
  "incremental_backups",
  "max_index_interval",
  "memtable_flush_period_in_ms",
  "min_index_interval",
  "read_repair",
  "speculative_retry"
] as const

/**
 * What the server writes for an option whose system_schema column is null (it was never set): the
 * defaults of Cassandra 5.0's table parameters.
 */
const NULL_DEFAULTS: Readonly<Record<string, unknown>> = {
  allow_auto_snapshot: true,
  cdc: false,
  incremental_backups: true,
  memtable: "default"
}

/** Options that are doubles in system_schema (written as Java writes a double: `1.0`, `0.01`). */
const DOUBLE_OPTIONS = new Set(["bloom_filter_fp_chance", "crc_check_chance"])

const RESERVED = new Set([
  "add", "allow", "alter", "and", "apply", "asc", "authorize", "batch", "begin", "by", "columnfamily", "create",
  "delete", "desc", "describe", "drop", "entries", "execute", "from", "full", "grant", "if", "in", "index",
  "infinity", "insert", "into", "is", "keyspace", "limit", "materialized", "mbean", "mbeans", "modify", "nan",
  "norecursive", "not", "null", "of", "on", "or", "order", "primary", "rename", "replace", "revoke", "schema",
  "select", "set", "table", "to", "token", "truncate", "unlogged", "update", "use", "using", "view", "where", "with"
])

/**
 * An identifier as CQL writes it: bare when it is lower-case and not reserved, double-quoted otherwise.
 *
 * @since 0.2.0
 */
export const cqlIdentifier = (name: string): string =>
  /^[a-z][a-z0-9_]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, "\"\"")}"`

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`

/** A double as Java's `Double.toString` writes it for the usual values (`1.0`, `0.01`, `1.0E-4`). */
const javaDouble = (n: number): string => {
  if (!Number.isFinite(n)) return String(n)
  if (n !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e7)) {
    const [mantissa, exponent] = n.toExponential().split("e")
    return `${mantissa!.includes(".") ? mantissa : `${mantissa}.0`}E${Number(exponent)}`
  }
  return Number.isInteger(n) ? `${n}.0` : String(n)
}

const entriesOf = (v: unknown): Array<[string, unknown]> =>
  v instanceof Map ? [...v].map(([k, x]) => [String(k), x]) : v !== null && typeof v === "object" ? Object.entries(v) : []

const hex = (b: Uint8Array): string => `0x${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`

/** `{'k': 'v', ...}`, keys sorted (values unquoted for `extensions`, whose values are blobs). */
const cqlMap = (v: unknown, blobValues = false): string => {
  const entries = entriesOf(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const value = (x: unknown) => (blobValues && x instanceof Uint8Array ? hex(x) : quote(String(x)))
  return `{${entries.map(([k, x]) => `${quote(k)}: ${value(x)}`).join(", ")}}`
}

const optionValue = (name: string, v: unknown): string => {
  if (name === "extensions") return cqlMap(v, true)
  if (v instanceof Map || (v !== null && typeof v === "object" && !(v instanceof Uint8Array))) return cqlMap(v)
  if (typeof v === "string") return quote(v)
  if (typeof v === "number") return DOUBLE_OPTIONS.has(name) ? javaDouble(v) : String(v)
  return String(v)
}

/** The `WITH ...` clause: clustering order, then the options the server stored, in its order. */
const withClause = (table: TableMetadata, isView: boolean): string => {
  const parts: Array<string> = []
  if (table.clusteringKey.length > 0) {
    parts.push(`CLUSTERING ORDER BY (${table.clusteringKey.map((c) => `${cqlIdentifier(c.name)} ${c.clusteringOrder === "desc" ? "DESC" : "ASC"}`).join(", ")})`)
  }
  for (const name of OPTION_ORDER) {
    if (isView && name === "default_time_to_live") continue
    // a column this server does not have is left out; a null one is its default
    if (!(name in table.options)) continue
    const v = table.options[name] ?? NULL_DEFAULTS[name]
    if (v === undefined || v === null) continue
    parts.push(`${name} = ${optionValue(name, v)}`)
  }
  return parts.length === 0 ? "" : ` WITH ${parts.join("\n    AND ")}`
}

const primaryKey = (table: TableMetadata): string => {
  const pk = table.partitionKey.map((c) => cqlIdentifier(c.name))
  const partition = pk.length === 1 ? pk[0]! : `(${pk.join(", ")})`
  return [partition, ...table.clusteringKey.map((c) => cqlIdentifier(c.name))].join(", ")
}

/** A multi-cell column (a collection or user type that is not frozen): the server lists them after the others. */
const isComplex = (c: ColumnMetadata): boolean =>
  (c.type.kind === "list" || c.type.kind === "set" || c.type.kind === "map" || c.type.kind === "udt") && !c.typeText.startsWith("frozen<")

/**
 * Partition key, clustering columns, then the static and the regular columns, each by name with the
 * multi-cell ones last (the server's order).
 */
const columnsInOrder = (table: TableMetadata): ReadonlyArray<ColumnMetadata> => {
  const order = (a: ColumnMetadata, b: ColumnMetadata) =>
    Number(isComplex(a)) - Number(isComplex(b)) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  return [
    ...table.partitionKey,
    ...table.clusteringKey,
    ...table.columns.filter((c) => c.kind === "static").sort(order),
    ...table.columns.filter((c) => c.kind === "regular").sort(order)
  ]
}

/**
 * `CREATE TABLE`.
 *
 * @since 0.2.0
 */
export const tableCql = (table: TableMetadata): string => {
  const inline = table.partitionKey.length === 1 && table.clusteringKey.length === 0
  const lines = columnsInOrder(table).map((c) => {
    const suffix = c.kind === "static" ? " static" : inline && c.kind === "partition_key" ? " PRIMARY KEY" : ""
    return `    ${cqlIdentifier(c.name)} ${c.typeText}${suffix}`
  })
  if (!inline) lines.push(`    PRIMARY KEY (${primaryKey(table)})`)
  return `CREATE TABLE ${cqlIdentifier(table.keyspace)}.${cqlIdentifier(table.name)} (\n${lines.join(",\n")}\n)${withClause(table, false)};`
}

/**
 * `CREATE INDEX` (or `CREATE CUSTOM INDEX ... USING`) of a table.
 *
 * @since 0.2.0
 */
export const indexCql = (table: TableMetadata, index: IndexMetadata): string => {
  const on = `${cqlIdentifier(table.keyspace)}.${cqlIdentifier(table.name)}`
  const target = index.options["target"] ?? ""
  // `values(c)` / `keys(c)` / `entries(c)` / `full(c)` stay as they are; a bare column is an identifier
  const targetText = /^(keys|values|entries|full)\(.*\)$/.test(target) ? target : cqlIdentifier(target.replace(/^"(.*)"$/, "$1"))
  if (index.kind !== "CUSTOM") return `CREATE INDEX ${cqlIdentifier(index.name)} ON ${on} (${targetText});`
  const others = Object.fromEntries(Object.entries(index.options).filter(([k]) => k !== "target" && k !== "class_name"))
  const options = Object.keys(others).length === 0 ? "" : ` WITH OPTIONS = ${cqlMap(others)}`
  return `CREATE CUSTOM INDEX ${cqlIdentifier(index.name)} ON ${on} (${targetText}) USING ${quote(index.options["class_name"] ?? "")}${options};`
}

/**
 * `CREATE MATERIALIZED VIEW`.
 *
 * @since 0.2.0
 */
export const viewCql = (view: ViewMetadata): string => {
  const ks = cqlIdentifier(view.keyspace)
  const select = view.includeAllColumns ? "*" : columnsInOrder(view).map((c) => cqlIdentifier(c.name)).join(", ")
  return [
    `CREATE MATERIALIZED VIEW ${ks}.${cqlIdentifier(view.name)} AS`,
    `    SELECT ${select}`,
    `    FROM ${ks}.${cqlIdentifier(view.baseTable)}`,
    `    WHERE ${view.whereClause}`,
    `    PRIMARY KEY (${primaryKey(view)})`
  ].join("\n") + `\n${withClause(view, true)};`
}

/**
 * `CREATE TYPE`.
 *
 * @since 0.2.0
 */
export const userTypeCql = (type: UserTypeMetadata): string =>
  `CREATE TYPE ${cqlIdentifier(type.keyspace)}.${cqlIdentifier(type.name)} (\n${
    type.fields.map((f) => `    ${cqlIdentifier(f.name)} ${f.typeText}`).join(",\n")
  }\n);`

/**
 * `CREATE FUNCTION`.
 *
 * @since 0.2.0
 */
export const functionCql = (f: FunctionMetadata): string => {
  const args = f.argumentNames.map((n, i) => `${cqlIdentifier(n)} ${f.argumentTypes[i] ?? ""}`).join(", ")
  const body = f.body.includes("$$") ? quote(f.body) : `$$${f.body}$$`
  return [
    `CREATE FUNCTION ${cqlIdentifier(f.keyspace)}.${cqlIdentifier(f.name)}(${args})`,
    `    ${f.calledOnNullInput ? "CALLED" : "RETURNS NULL"} ON NULL INPUT`,
    `    RETURNS ${f.returnType}`,
    `    LANGUAGE ${f.language}`,
    `    AS ${body};`
  ].join("\n")
}

/**
 * `CREATE AGGREGATE`.
 *
 * @since 0.2.0
 */
export const aggregateCql = (a: AggregateMetadata): string =>
  [
    `CREATE AGGREGATE ${cqlIdentifier(a.keyspace)}.${cqlIdentifier(a.name)}(${a.argumentTypes.join(", ")})`,
    `    SFUNC ${cqlIdentifier(a.stateFunction)}`,
    `    STYPE ${a.stateType}`,
    ...(a.finalFunction === undefined ? [] : [`    FINALFUNC ${cqlIdentifier(a.finalFunction)}`]),
    ...(a.initialCondition === undefined ? [] : [`    INITCOND ${a.initialCondition}`])
  ].join("\n") + ";"

/**
 * `CREATE KEYSPACE` alone.
 *
 * @since 0.2.0
 */
export const keyspaceCql = (ks: KeyspaceMetadata): string => {
  const entries = Object.entries(ks.replication)
  // the built-in strategies by their short names, as the server writes them
  const klass = entries.filter(([k]) => k === "class").map(([k, v]) => [k, v.replace(/^org\.apache\.cassandra\.locator\./, "")] as const)
  const rest = entries.filter(([k]) => k !== "class").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const replication = `{${[...klass, ...rest].map(([k, v]) => `${quote(k)}: ${quote(v)}`).join(", ")}}`
  return `CREATE KEYSPACE ${cqlIdentifier(ks.name)} WITH replication = ${replication} AND durable_writes = ${ks.durableWrites};`
}

/** User types in dependency order: a type used by another comes first. */
const typesInOrder = (ks: KeyspaceMetadata): ReadonlyArray<UserTypeMetadata> => {
  const out: Array<UserTypeMetadata> = []
  const done = new Set<string>()
  const visit = (t: UserTypeMetadata, depth: number): void => {
    if (done.has(t.name) || depth > 64) return
    for (const f of t.fields) {
      for (const m of f.typeText.matchAll(/[A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")+"/g)) {
        const name = m[0].startsWith("\"") ? m[0].slice(1, -1).replace(/""/g, "\"") : m[0]
        const dep = ks.userTypes.get(name)
        if (dep !== undefined && dep !== t) visit(dep, depth + 1)
      }
    }
    if (!done.has(t.name)) {
      done.add(t.name)
      out.push(t)
    }
  }
  for (const t of ks.userTypes.values()) visit(t, 0)
  return out
}

/**
 * Every CREATE statement of a keyspace, in DESCRIBE KEYSPACE's order: the keyspace, its user types,
 * functions, aggregates, then each table followed by its indexes and views.
 *
 * @since 0.2.0
 */
export const keyspaceStatements = (ks: KeyspaceMetadata): ReadonlyArray<string> => {
  const out: Array<string> = [keyspaceCql(ks)]
  for (const t of typesInOrder(ks)) out.push(userTypeCql(t))
  for (const f of ks.userFunctions.values()) out.push(functionCql(f))
  for (const a of ks.userAggregates.values()) out.push(aggregateCql(a))
  for (const table of ks.tables.values()) {
    out.push(tableCql(table))
    for (const index of table.indexes) out.push(indexCql(table, index))
    for (const view of ks.views.values()) if (view.baseTable === table.name) out.push(viewCql(view))
  }
  return out
}
