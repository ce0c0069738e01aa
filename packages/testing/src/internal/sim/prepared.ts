/**
 * Prepared statements: their stable ids (md5 of keyspace and text), the metadata a PREPARE answers
 * (bind variables typed from the known tables, primed rows or primed values; partition key indexes;
 * result columns and their metadata id), which hosts prepared them, and the comparison of result
 * columns the server needs for skip_metadata. It answers no request itself (the server does).
 *
 * @internal
 */
import { type CqlType, formatType } from "@effect-cassandra/protocol/CqlType"
import { inferType } from "@effect-cassandra/protocol/CqlValues"
import type { ColumnSpec } from "@effect-cassandra/protocol/Messages"
import type { Answer } from "../../Answer.ts"
import { markers, normalizeCached, statementKind, type StatementKind, type TableRef, tableOf } from "../cql.ts"
import { idKey, md5 } from "../ids.ts"
import type { SimHost } from "./hosts.ts"
import type { MatchInput, PrimeTable } from "./primes.ts"
import type { SimSchema } from "./schema.ts"
import { type KnownTable, project } from "./systemTables.ts"

/**
 * A prepared statement, as the mock describes it.
 *
 * @since 0.1.0
 */
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

/**
 * What describing a statement reads of the cluster.
 *
 * @since 0.1.0
 */
export interface PreparingCluster {
  readonly primes: PrimeTable
  readonly schema: SimSchema
  readonly builtins: { readonly isSystemQuery: (normalized: string) => boolean }
}

/**
 * The statements prepared in a cluster, by id (`idKey`).
 *
 * @since 0.1.0
 */
export class PreparedStatements {
  private readonly statements = new Map<string, PreparedInfo>()
  private readonly cluster: PreparingCluster
  private readonly changed: () => void

  /** `changed` is called whenever a statement or a host's set of statements changes. */
  constructor(cluster: PreparingCluster, changed: () => void) {
    this.cluster = cluster
    this.changed = changed
  }

  get(idHex: string): PreparedInfo | undefined {
    return this.statements.get(idHex)
  }

  /** Prepares `query` (in `keyspace`) on `host`: stable id, variables, result columns. */
  prepare(host: SimHost, query: string, keyspace: string | undefined): PreparedInfo {
    const normalized = normalizeCached(query)
    const id = md5(`${keyspace ?? ""}\u0000${normalized}`)
    const idHex = idKey(id)
    let info = this.statements.get(idHex)
    if (info === undefined || info.query !== query) {
      info = this.describe(id, idHex, query, normalized, keyspace, host)
      this.statements.set(idHex, info)
      this.changed()
    } else {
      // Cassandra drops a table's statements on ALTER and the next PREPARE describes them again: here
      // the primes (the mock's schema) may have changed since, and a PREPARE answers what they say now
      const fresh = this.describe(id, idHex, query, normalized, keyspace, host)
      if (!sameColumns(fresh.resultColumns, info.resultColumns) || !sameColumns(fresh.variables, info.variables)) {
        info = fresh
        this.statements.set(idHex, info)
        this.changed()
      }
    }
    if (!host.prepared.has(idHex)) {
      host.prepared.add(idHex)
      this.changed()
    }
    return info
  }

  /** Re-derives a prepared statement's metadata (primes may have changed since). */
  refresh(info: PreparedInfo, host: SimHost): PreparedInfo {
    const fresh = this.describe(info.id, info.idHex, info.query, info.normalized, info.keyspace, host)
    this.statements.set(info.idHex, fresh)
    this.changed()
    return fresh
  }

  /** A host forgot its prepared statements (a restart). */
  forget(host: SimHost): void {
    host.prepared.clear()
    this.changed()
  }

  private describe(
    id: Uint8Array,
    idHex: string,
    query: string,
    normalized: string,
    keyspace: string | undefined,
    host: SimHost
  ): PreparedInfo {
    const { primes, schema, builtins } = this.cluster
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
      system: builtins.isSystemQuery(normalized)
    }
    const ref = tableOf(normalized)
    const table = schema.table(ref, keyspace)
    const declared = primes.peek(probe, (p) => p.variables !== undefined)
    const rowsPrime = primes.peek(probe, (p) => p.kinds.has("execute") && firstRows(p.answers[0]!) !== undefined)
    const primedColumns = rowsPrime === undefined ? [] : firstRows(rowsPrime.answers[0]!)!.columns
    let variables: ReadonlyArray<ColumnSpec>
    if (declared !== undefined) {
      variables = declared.variables!
    } else {
      const withValues = primes.peek(probe, (p) => p.spec.values !== undefined && typeof p.spec.values !== "function")
      const expected = withValues?.spec.values as ReadonlyArray<unknown> | Readonly<Record<string, unknown>> | undefined
      variables = bindVariables(normalized, { table, ref, keyspace, primedColumns, expected })
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
      pkIndexes: partitionKeyIndexes(table, variables),
      resultColumns,
      resultMetadataId: metadataIdOf(resultColumns)
    }
  }
}

const BLOB: CqlType = { kind: "blob" }
const INT: CqlType = { kind: "int" }
const BIGINT: CqlType = { kind: "bigint" }

/** What types a statement's bind markers: the known table, the primed rows' columns, a prime's values. */
interface TypeSources {
  readonly table: KnownTable | undefined
  readonly ref: TableRef | undefined
  readonly keyspace: string | undefined
  readonly primedColumns: ReadonlyArray<ColumnSpec>
  readonly expected: ReadonlyArray<unknown> | Readonly<Record<string, unknown>> | undefined
}

/** The bind variables of a statement no prime declares them for: each marker typed from the first source that knows it, else blob. */
const bindVariables = (normalized: string, sources: TypeSources): ReadonlyArray<ColumnSpec> => {
  const { table, ref, keyspace, primedColumns, expected } = sources
  return markers(normalized).map((m, i) => {
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

/** The positions of the partition key among the variables (none unless every key column is bound). */
const partitionKeyIndexes = (table: KnownTable | undefined, variables: ReadonlyArray<ColumnSpec>): ReadonlyArray<number> => {
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
  return pkIndexes
}

const firstRows = (a: Answer): Extract<Answer, { _tag: "Rows" }> | undefined =>
  a._tag === "Rows" ? a : a._tag === "Delayed" ? firstRows(a.answer) : undefined

const signatures = new WeakMap<ReadonlyArray<ColumnSpec>, string>()

const columnsSignature = (columns: ReadonlyArray<ColumnSpec>): string => {
  let s = signatures.get(columns)
  if (s === undefined) {
    s = columns.map((c) => `${c.keyspace}.${c.table}.${c.name}:${formatType(c.type)}`).join(",")
    signatures.set(columns, s)
  }
  return s
}

/**
 * Whether two column lists are the same (names, tables and types).
 *
 * @since 0.1.0
 */
export const sameColumns = (a: ReadonlyArray<ColumnSpec>, b: ReadonlyArray<ColumnSpec>): boolean =>
  a === b || (a.length === b.length && columnsSignature(a) === columnsSignature(b))

/**
 * The result metadata id of a column list (v5).
 *
 * @since 0.1.0
 */
export const metadataIdOf = (columns: ReadonlyArray<ColumnSpec>): Uint8Array => md5(columnsSignature(columns))
