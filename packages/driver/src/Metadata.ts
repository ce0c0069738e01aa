/**
 * Cluster metadata: keyspaces, tables, user types, functions and aggregates from system_schema, and
 * the token map used for token-aware routing (the Python driver's `cluster.metadata`).
 *
 * Types only: the metadata store and the refreshes (internal/cluster) fill them, the token map lives in internal/routing.
 *
 * @since 0.1.0
 */
import type { CqlType } from "@effect-cassandra/protocol"
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
}

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
  /** Re-reads system_schema now. */
  readonly refreshSchema: Effect.Effect<void, E.RequestError | E.InvalidInput>
  /** Re-reads one keyspace's schema now (the Python driver's `refresh_keyspace_metadata`). */
  readonly refreshKeyspace: (keyspace: string) => Effect.Effect<void, E.RequestError | E.InvalidInput>
}
