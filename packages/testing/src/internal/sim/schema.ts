/**
 * The schema the simulated cluster knows: the system tables and the tables of the options (by
 * `keyspace.table`), and the keyspaces (system ones, plus one per keyspace of a user table). It
 * types prepared statements and empty SELECT results, and feeds system_schema; it does not answer
 * DDL (a DDL statement gets its schema change, the schema itself does not change).
 *
 * @internal
 */
import { parseCqlType } from "@effect-cassandra/protocol/CqlType"
import type { ColumnType } from "../../Answer.ts"
import type { TableSpec } from "../../Model.ts"
import type { TableRef } from "../cql.ts"
import { type KnownKeyspace, type KnownTable, systemTables } from "./systemTables.ts"

/**
 * The tables and keyspaces of a cluster.
 *
 * @since 0.1.0
 */
export class SimSchema {
  /** By `keyspace.table`. */
  readonly tables = new Map<string, KnownTable>()
  readonly keyspaces: Array<KnownKeyspace> = []

  /** `hostCount` sets the replication factor of the user keyspaces (at most 3). */
  constructor(tables: Readonly<Record<string, TableSpec>> | undefined, hostCount: number) {
    for (const t of systemTables) this.tables.set(`${t.keyspace}.${t.name}`, t)
    const userKeyspaces = new Set<string>()
    for (const [name, spec] of Object.entries(tables ?? {})) {
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
      if (!this.keyspaces.some((k) => k.name === ks)) this.keyspaces.push({ name: ks, replication: simple(Math.min(3, hostCount)) })
    }
  }

  /** The table a statement refers to (unqualified: in `keyspace`), if known. */
  table(ref: TableRef | undefined, keyspace: string | undefined): KnownTable | undefined {
    return ref === undefined ? undefined : this.tables.get(`${ref.keyspace ?? keyspace ?? ""}.${ref.table}`)
  }

  /** The tables outside the system keyspaces. */
  userTables(): ReadonlyArray<KnownTable> {
    return [...this.tables.values()].filter((t) => !t.keyspace.startsWith("system"))
  }
}

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
