/**
 * Schema refresh: reads system_schema through the control connection, whole, one keyspace, or one
 * table, view, user type, function or aggregate, into the metadata store; schema events are debounced
 * into one refresh per window, of the keyspaces they named. The refreshes users call wait for schema
 * agreement first (with the cluster's `maxSchemaAgreementWait` or their own) and read nothing when the
 * hosts do not agree.
 *
 * It does not wait for schema agreement itself (`SchemaAgreement.ts` does, through the function it is
 * given) nor build metadata from rows (`metadata/schemaRows.ts`).
 *
 * @since 0.1.0
 * @internal
 */
import type { Row } from "@effect-cassandra/protocol/Messages"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as E from "../../Errors.ts"
import type { KeyspaceMetadata, RefreshError, RefreshOptions } from "../../Metadata.ts"
import { aggregateOf, buildSchema, functionOf } from "../metadata/schemaRows.ts"
import type { ControlConnection } from "./ControlConnection.ts"
import { Debouncer } from "./debounce.ts"
import type { MetadataStore } from "./MetadataStore.ts"

/** Past this many keyspaces named in one window, the whole schema is read again. */
const MAX_PENDING_KEYSPACES = 8

const SCHEMA_TABLES = ["keyspaces", "tables", "columns", "types", "functions", "aggregates", "views", "indexes"] as const

type ReadError = E.RequestError | E.InvalidInput

/** A CQL text literal. */
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`

/** A type as CQL text, compared without case or spaces (`frozen<list<int>>` = `frozen<list<INT>>`). */
const sameType = (a: string, b: string): boolean => a.replace(/\s+/g, "").toLowerCase() === b.replace(/\s+/g, "").toLowerCase()

const sameTypes = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean =>
  a.length === b.length && a.every((t, i) => sameType(t, b[i]!))

/** `map` with `key` set to `value`, or removed when `value` is undefined. */
const withEntry = <V>(map: ReadonlyMap<string, V>, key: string, value: V | undefined): ReadonlyMap<string, V> => {
  const next = new Map(map)
  if (value === undefined) next.delete(key)
  else next.set(key, value)
  return next
}

/**
 * Reads the schema into the metadata store.
 *
 * @since 0.1.0
 */
export class SchemaRefresh {
  private readonly control: ControlConnection
  private readonly store: MetadataStore
  private readonly enabled: boolean
  private readonly debouncer: Debouncer<string>
  private readonly agreement: (maxWait: Duration.Duration) => Effect.Effect<boolean>
  private readonly maxSchemaAgreementWait: Duration.Duration

  constructor(args: {
    readonly control: ControlConnection
    readonly store: MetadataStore
    /** `schemaMetadataEnabled`: off, schema events refresh nothing. */
    readonly enabled: boolean
    /** `schemaEventRefreshWindow`: jittered; negative, schema events refresh nothing. */
    readonly window: Duration.Duration
    readonly scope: Scope.Scope
    /** Waits for schema agreement up to a maximum; true when the hosts agreed. */
    readonly agreement: (maxWait: Duration.Duration) => Effect.Effect<boolean>
    /** The cluster's `maxSchemaAgreementWait`, for refreshes that do not give their own. */
    readonly maxSchemaAgreementWait: Duration.Duration
  }) {
    this.control = args.control
    this.store = args.store
    this.enabled = args.enabled
    this.agreement = args.agreement
    this.maxSchemaAgreementWait = args.maxSchemaAgreementWait
    this.debouncer = new Debouncer<string>({
      window: args.window,
      maxKeys: MAX_PENDING_KEYSPACES,
      scope: args.scope,
      action: (keys) => Effect.ignore(keys === "all" ? this.refreshAll : Effect.forEach(keys, (k) => this.refreshKeyspace(k), { discard: true }))
    })
  }

  /** Re-reads system_schema now. */
  get refreshAll(): Effect.Effect<void, ReadError> {
    return Effect.map(this.read(undefined), (keyspaces) => this.store.setKeyspaces(keyspaces))
  }

  /** Re-reads one keyspace (its tables, types, functions): what a schema event or DDL changed. */
  refreshKeyspace(name: string): Effect.Effect<void, ReadError> {
    return Effect.map(this.read(name), (built) => this.store.setKeyspace(name, built.get(name)))
  }

  /** A schema event: refresh what it names at the end of the window (nothing when schema metadata is off). */
  onSchemaEvent(keyspace: string | undefined): Effect.Effect<void> {
    return this.enabled ? this.debouncer.request(keyspace) : Effect.void
  }

  /**
   * `refresh` once the up hosts agree on the schema, within the refresh's own wait or the cluster's
   * (zero or less: at once). `SchemaDisagreement`, and nothing read, when they do not.
   */
  whenAgreed(refresh: Effect.Effect<void, ReadError>, options: RefreshOptions | undefined): Effect.Effect<void, RefreshError> {
    return Effect.suspend(() => {
      const input = options?.maxSchemaAgreementWait
      const wait = input === undefined ? Option.some(this.maxSchemaAgreementWait) : Duration.fromInput(input)
      if (Option.isNone(wait)) {
        return Effect.fail(new E.InvalidInput({ message: `maxSchemaAgreementWait: not a duration: ${String(input)}`, path: "maxSchemaAgreementWait" }))
      }
      return Effect.flatMap(this.agreement(wait.value), (agreed): Effect.Effect<void, RefreshError> =>
        agreed
          ? refresh
          : Effect.fail(new E.SchemaDisagreement({
            message: `the hosts did not agree on the schema within ${Duration.format(wait.value)}: the metadata was not refreshed`
          })))
    })
  }

  /**
   * Re-reads one table or materialized view (columns, indexes; the keyspace's types to resolve UDT
   * columns). A keyspace the store does not know yet is read whole.
   */
  refreshTable(keyspace: string, table: string): Effect.Effect<void, ReadError> {
    const where = { keyspace_name: keyspace, table_name: table }
    return Effect.all([
      this.select("tables", where),
      this.select("columns", where),
      this.select("indexes", where),
      this.select("views", { keyspace_name: keyspace, view_name: table }),
      this.select("types", { keyspace_name: keyspace })
    ], { concurrency: "unbounded" }).pipe(
      Effect.flatMap(([tables, columns, indexes, views, types]) => {
        const built = this.builtKeyspace(keyspace, { tables, columns, indexes, views, types })
        return this.update(keyspace, (ks) => ({
          ...ks,
          tables: withEntry(ks.tables, table, built.tables.get(table)),
          views: withEntry(ks.views, table, built.views.get(table))
        }))
      })
    )
  }

  /** Re-reads one user type. */
  refreshUserType(keyspace: string, type: string): Effect.Effect<void, ReadError> {
    return Effect.flatMap(this.select("types", { keyspace_name: keyspace, type_name: type }), (types) => {
      const built = this.builtKeyspace(keyspace, { types })
      return this.update(keyspace, (ks) => ({ ...ks, userTypes: withEntry(ks.userTypes, type, built.userTypes.get(type)) }))
    })
  }

  /** Re-reads one function, among its overloads the one with these argument types. */
  refreshFunction(keyspace: string, name: string, argumentTypes: ReadonlyArray<string>): Effect.Effect<void, ReadError> {
    return Effect.flatMap(this.select("functions", { keyspace_name: keyspace, function_name: name }), (rows) => {
      const found = rows.map(functionOf).find((f) => sameTypes(f.argumentTypes, argumentTypes))
      return this.update(keyspace, (ks) => {
        const userFunctions = new Map(ks.userFunctions)
        for (const [sig, f] of ks.userFunctions) if (f.name === name && sameTypes(f.argumentTypes, argumentTypes)) userFunctions.delete(sig)
        if (found !== undefined) userFunctions.set(found.signature, found)
        return { ...ks, userFunctions, functions: [...userFunctions.keys()] }
      })
    })
  }

  /** Re-reads one aggregate, among its overloads the one with these argument types. */
  refreshAggregate(keyspace: string, name: string, argumentTypes: ReadonlyArray<string>): Effect.Effect<void, ReadError> {
    return Effect.flatMap(this.select("aggregates", { keyspace_name: keyspace, aggregate_name: name }), (rows) => {
      const found = rows.map(aggregateOf).find((a) => sameTypes(a.argumentTypes, argumentTypes))
      return this.update(keyspace, (ks) => {
        const userAggregates = new Map(ks.userAggregates)
        for (const [sig, a] of ks.userAggregates) if (a.name === name && sameTypes(a.argumentTypes, argumentTypes)) userAggregates.delete(sig)
        if (found !== undefined) userAggregates.set(found.signature, found)
        return { ...ks, userAggregates, aggregates: [...userAggregates.keys()] }
      })
    })
  }

  /** Changes a known keyspace in the store; one the store does not know is read whole instead. */
  private update(keyspace: string, change: (ks: KeyspaceMetadata) => KeyspaceMetadata): Effect.Effect<void, ReadError> {
    return this.store.updateKeyspace(keyspace, change) ? Effect.void : this.refreshKeyspace(keyspace)
  }

  /** The metadata of some rows of one keyspace (what they do not cover is empty). */
  private builtKeyspace(
    keyspace: string,
    rows: { readonly [K in "tables" | "columns" | "indexes" | "views" | "types"]?: ReadonlyArray<Row> }
  ): KeyspaceMetadata {
    const built = buildSchema({
      keyspaces: [{ keyspace_name: keyspace }],
      tables: rows.tables ?? [],
      columns: rows.columns ?? [],
      types: rows.types ?? [],
      functions: [],
      aggregates: [],
      views: rows.views ?? [],
      indexes: rows.indexes ?? []
    })
    return built.get(keyspace)!
  }

  /** The rows of a system_schema table whose text columns have these values. */
  private select(table: typeof SCHEMA_TABLES[number], where: Readonly<Record<string, string>>): Effect.Effect<ReadonlyArray<Row>, ReadError> {
    const conditions = Object.entries(where).map(([column, value]) => `${column} = ${literal(value)}`).join(" AND ")
    return this.control.query(`SELECT * FROM system_schema.${table} WHERE ${conditions}`)
  }

  /** The schema tables, whole or (with `keyspace`) one keyspace's rows. */
  private read(keyspace: string | undefined): Effect.Effect<Map<string, KeyspaceMetadata>, ReadError> {
    const where = keyspace === undefined ? "" : ` WHERE keyspace_name = ${literal(keyspace)}`
    return Effect.all(
      SCHEMA_TABLES.map((table) => this.control.query(`SELECT * FROM system_schema.${table}${where}`)),
      { concurrency: "unbounded" }
    ).pipe(
      Effect.map(([keyspaces, tables, columns, types, functions, aggregates, views, indexes]) =>
        buildSchema({ keyspaces: keyspaces!, tables: tables!, columns: columns!, types: types!, functions: functions!, aggregates: aggregates!, views, indexes })
      )
    )
  }
}
