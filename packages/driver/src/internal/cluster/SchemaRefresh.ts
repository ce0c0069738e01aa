/**
 * Schema refresh: reads system_schema through the control connection, whole or one keyspace, into
 * the metadata store; schema events are debounced into one refresh per window, of the keyspaces
 * they named.
 *
 * It does not wait for schema agreement (`SchemaAgreement.ts`) nor build metadata from rows
 * (`metadata/schemaRows.ts`).
 *
 * @since 0.1.0
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Duration from "effect/Duration"
import type * as Scope from "effect/Scope"
import type * as E from "../../Errors.ts"
import type { KeyspaceMetadata } from "../../Metadata.ts"
import { buildSchema } from "../metadata/schemaRows.ts"
import type { ControlConnection } from "./ControlConnection.ts"
import { Debouncer } from "./debounce.ts"
import type { MetadataStore } from "./MetadataStore.ts"

/** Past this many keyspaces named in one window, the whole schema is read again. */
const MAX_PENDING_KEYSPACES = 8

const SCHEMA_TABLES = ["keyspaces", "tables", "columns", "types", "functions", "aggregates", "views", "indexes"] as const

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

  constructor(args: {
    readonly control: ControlConnection
    readonly store: MetadataStore
    /** `schemaMetadataEnabled`: off, schema events refresh nothing. */
    readonly enabled: boolean
    readonly window: Duration.Duration
    readonly scope: Scope.Scope
  }) {
    this.control = args.control
    this.store = args.store
    this.enabled = args.enabled
    this.debouncer = new Debouncer<string>({
      window: args.window,
      maxKeys: MAX_PENDING_KEYSPACES,
      scope: args.scope,
      action: (keys) => Effect.ignore(keys === "all" ? this.refreshAll : Effect.forEach(keys, (k) => this.refreshKeyspace(k), { discard: true }))
    })
  }

  /** Re-reads system_schema now. */
  get refreshAll(): Effect.Effect<void, E.RequestError | E.InvalidInput> {
    return Effect.map(this.read(undefined), (keyspaces) => this.store.setKeyspaces(keyspaces))
  }

  /** Re-reads one keyspace (its tables, types, functions): what a schema event or DDL changed. */
  refreshKeyspace(name: string): Effect.Effect<void, E.RequestError | E.InvalidInput> {
    return Effect.map(this.read(name), (built) => this.store.setKeyspace(name, built.get(name)))
  }

  /** A schema event: refresh what it names at the end of the window (nothing when schema metadata is off). */
  onSchemaEvent(keyspace: string | undefined): Effect.Effect<void> {
    return this.enabled ? this.debouncer.request(keyspace) : Effect.void
  }

  /** The schema tables, whole or (with `keyspace`) one keyspace's rows. */
  private read(keyspace: string | undefined): Effect.Effect<Map<string, KeyspaceMetadata>, E.RequestError | E.InvalidInput> {
    const where = keyspace === undefined ? "" : ` WHERE keyspace_name = '${keyspace.replace(/'/g, "''")}'`
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
