/**
 * Cluster metadata: keyspaces, tables, user types, functions and aggregates from system_schema, and
 * the token map used for token-aware routing (the Python driver's `cluster.metadata`).
 *
 * Types only: the metadata store and the refreshes (internal/cluster) fill them, the token map lives in internal/routing.
 *
 * @since 0.1.0
 */
import type { CqlType } from "@effect-cassandra/protocol/CqlType"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as E from "./Errors.ts"
import type { Host } from "./Host.ts"

/**
 * A column of a table or view.
 *
 * @since 0.1.0
 */
export interface ColumnMetadata {
  readonly name: string
  readonly type: CqlType
  /** The type as CQL text, as system_schema has it. */
  readonly typeText: string
  readonly kind: "partition_key" | "clustering" | "regular" | "static"
  readonly position: number
  readonly clusteringOrder: "asc" | "desc" | "none"
}

/**
 * A table: its columns, keys, indexes and options.
 *
 * @since 0.1.0
 */
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

/**
 * A secondary index of a table.
 *
 * @since 0.1.0
 */
export interface IndexMetadata {
  readonly name: string
  /** COMPOSITES, KEYS or CUSTOM. */
  readonly kind: string
  /** `target` (the indexed column), `class_name` for custom indexes, ... */
  readonly options: Readonly<Record<string, string>>
}

/**
 * A materialized view: a table of its own, kept from a base table.
 *
 * @since 0.1.0
 */
export interface ViewMetadata extends TableMetadata {
  readonly baseTable: string
  readonly includeAllColumns: boolean
  readonly whereClause: string
}

/**
 * A user-defined type and its fields.
 *
 * @since 0.1.0
 */
export interface UserTypeMetadata {
  readonly keyspace: string
  readonly name: string
  readonly fields: ReadonlyArray<{ readonly name: string; readonly typeText: string }>
}

/**
 * A user-defined function (system_schema.functions).
 *
 * @since 0.2.0
 */
export interface FunctionMetadata {
  readonly keyspace: string
  readonly name: string
  /** `name(type, ...)`: its key in `KeyspaceMetadata.userFunctions` and its entry in `functions`. */
  readonly signature: string
  readonly argumentNames: ReadonlyArray<string>
  /** The argument types as CQL text. */
  readonly argumentTypes: ReadonlyArray<string>
  readonly returnType: string
  /** `java`, `javascript`, ... */
  readonly language: string
  readonly body: string
  /** `CALLED ON NULL INPUT` (true) or `RETURNS NULL ON NULL INPUT` (false). */
  readonly calledOnNullInput: boolean
}

/**
 * A user-defined aggregate (system_schema.aggregates).
 *
 * @since 0.2.0
 */
export interface AggregateMetadata {
  readonly keyspace: string
  readonly name: string
  /** `name(type, ...)`: its key in `KeyspaceMetadata.userAggregates` and its entry in `aggregates`. */
  readonly signature: string
  readonly argumentTypes: ReadonlyArray<string>
  readonly returnType: string
  /** The state function's name (`SFUNC`). */
  readonly stateFunction: string
  /** The state type as CQL text (`STYPE`). */
  readonly stateType: string
  /** The final function's name (`FINALFUNC`), if any. */
  readonly finalFunction: string | undefined
  /** The initial condition as a CQL literal (`INITCOND`), if any. */
  readonly initialCondition: string | undefined
}

/**
 * A keyspace: its replication and everything defined in it.
 *
 * @since 0.1.0
 */
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
  /**
   * The functions with their bodies, languages and types, by signature (`name(argtypes)`).
   *
   * @since 0.2.0
   */
  readonly userFunctions: ReadonlyMap<string, FunctionMetadata>
  /**
   * The aggregates with their state functions, types and initial conditions, by signature.
   *
   * @since 0.2.0
   */
  readonly userAggregates: ReadonlyMap<string, AggregateMetadata>
}

/**
 * Options of a metadata refresh.
 *
 * @since 0.2.0
 * @category models
 */
export interface RefreshOptions {
  /**
   * How long to wait for every up host to report the same schema version before reading (default: the
   * cluster's `maxSchemaAgreementWait`). Zero or less reads at once, without waiting (the Python
   * driver's `max_schema_agreement_wait <= 0`). A bare number is milliseconds.
   */
  readonly maxSchemaAgreementWait?: Duration.Input | undefined
}

/**
 * What a metadata refresh can fail with: the control connection's query failed, the input (a
 * duration) was bad, or the hosts did not agree on the schema within the wait (the metadata is then
 * left as it was).
 *
 * @since 0.2.0
 * @category models
 */
export type RefreshError = E.RequestError | E.InvalidInput | E.SchemaDisagreement

/**
 * A token of the ring: a `bigint` for Murmur3Partitioner (signed 64-bit) and RandomPartitioner (0 to 2^127),
 * the key bytes for ByteOrderedPartitioner.
 *
 * @since 0.2.0
 * @category models
 */
export type Token = bigint | Uint8Array

/**
 * The token ring and the replicas of a token.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenMap {
  /**
   * The cluster's partitioner, without its package: `Murmur3Partitioner`, `RandomPartitioner` or
   * `ByteOrderedPartitioner` (there is no token map for others).
   *
   * @since 0.2.0
   */
  readonly partitioner: string
  /** Every token of a Murmur3 ring, sorted (empty for the other partitioners: see `ring`). */
  readonly tokens: BigInt64Array
  /**
   * Every token of the ring, sorted, whatever the partitioner. Tokens that do not parse are not in it.
   *
   * @since 0.2.0
   */
  readonly ring: ReadonlyArray<Token>
  /** The host owning each token of `ring` (and of `tokens`). */
  readonly owners: ReadonlyArray<Host>
  /**
   * The token of a partition's routing key (its serialized key, or the composite of its components) under
   * the cluster's partitioner.
   *
   * @since 0.2.0
   */
  readonly tokenOf: (routingKey: Uint8Array) => Token
  /**
   * The replicas of `token` for a keyspace with this replication, in the order Cassandra lists them
   * (NetworkTopologyStrategy with racks, SimpleStrategy, EverywhereStrategy). Empty when the driver cannot
   * tell: LocalStrategy, an unknown class, a missing or zero replication factor, a token of another
   * partitioner's kind. Without a replication (keyspace not known), the token's owner.
   */
  readonly replicas: (keyspace: string, replication: Readonly<Record<string, string>> | undefined, token: Token) => ReadonlyArray<Host>
}

/**
 * What the cluster knows of the schema and the ring (the Python driver's `cluster.metadata`).
 *
 * @since 0.1.0
 * @category models
 */
export interface MetadataView {
  readonly keyspaces: () => ReadonlyMap<string, KeyspaceMetadata>
  readonly keyspace: (name: string) => KeyspaceMetadata | undefined
  readonly table: (keyspace: string, table: string) => TableMetadata | undefined
  /** The token ring (undefined until hosts with tokens are known or when token metadata is off). */
  readonly tokenMap: () => TokenMap | undefined
  /**
   * Re-reads system_schema, once the up hosts agree on the schema (up to the cluster's
   * `maxSchemaAgreementWait`; `SchemaDisagreement` after it, the metadata left as it was).
   */
  readonly refreshSchema: Effect.Effect<void, RefreshError>
  /**
   * `refreshSchema` with its own maximum wait for schema agreement (the Python driver's
   * `refresh_schema_metadata(max_schema_agreement_wait)`).
   *
   * @since 0.2.0
   */
  readonly refreshSchemaWith: (options?: RefreshOptions) => Effect.Effect<void, RefreshError>
  /**
   * Re-reads one keyspace's schema (its tables, views, types, functions and aggregates too), once the
   * hosts agree (the Python driver's `refresh_keyspace_metadata`).
   */
  readonly refreshKeyspace: (keyspace: string, options?: RefreshOptions) => Effect.Effect<void, RefreshError>
  /**
   * Re-reads one table (or materialized view) with its columns and indexes, once the hosts agree (the
   * Python driver's `refresh_table_metadata`); a table that is gone is forgotten.
   *
   * @since 0.2.0
   */
  readonly refreshTable: (keyspace: string, table: string, options?: RefreshOptions) => Effect.Effect<void, RefreshError>
  /**
   * Re-reads one user type, once the hosts agree (`refresh_user_type_metadata`).
   *
   * @since 0.2.0
   */
  readonly refreshUserType: (keyspace: string, type: string, options?: RefreshOptions) => Effect.Effect<void, RefreshError>
  /**
   * Re-reads one function, named by its name and argument types as CQL text (`["int", "text"]`), once
   * the hosts agree (`refresh_user_function_metadata`).
   *
   * @since 0.2.0
   */
  readonly refreshUserFunction: (
    keyspace: string,
    name: string,
    argumentTypes: ReadonlyArray<string>,
    options?: RefreshOptions
  ) => Effect.Effect<void, RefreshError>
  /**
   * Re-reads one aggregate, named by its name and argument types, once the hosts agree
   * (`refresh_user_aggregate_metadata`).
   *
   * @since 0.2.0
   */
  /**
   * The keyspace as CQL: its CREATE KEYSPACE, then its user types, functions, aggregates, and each table
   * with its indexes and materialized views, in the layout of Cassandra 5.0's `DESCRIBE KEYSPACE` (the
   * Python driver's `export_as_string`); undefined for a keyspace the metadata does not know.
   *
   * @since 0.2.0
   */
  readonly exportKeyspace: (keyspace: string) => string | undefined
  /**
   * One table (or view) as CQL, with its indexes and views.
   *
   * @since 0.2.0
   */
  readonly exportTable: (keyspace: string, table: string) => string | undefined
  /**
   * Every keyspace but the system ones as CQL (the Python driver's `export_schema_as_string`).
   *
   * @since 0.2.0
   */
  readonly exportSchema: () => string
  readonly refreshUserAggregate: (
    keyspace: string,
    name: string,
    argumentTypes: ReadonlyArray<string>,
    options?: RefreshOptions
  ) => Effect.Effect<void, RefreshError>
}
