/**
 * The mock cluster's public data model: how a test describes the cluster (`MockClusterOptions`,
 * `HostSpec`, `TableSpec`), names and sees its hosts (`HostRef`, `HostState`, `MockHost`), primes
 * answers (`PrimeSpec`, `RequestKind`) and reads what reached the hosts (`Activity`, `ActivityFilter`).
 *
 * Types only, no behaviour. They live here, outside `internal/`, so that the public `MockCluster`
 * module and the internal simulation share them without importing each other. `MockCluster`
 * re-exports every one of them: import them from there (a support module: neither in the barrel nor a subpath).
 *
 * @since 0.1.0
 */
import type { RawValue } from "@effect-cassandra/protocol/Frames"
import type { ConsistencyName, ProtocolVersion } from "@effect-cassandra/protocol/Messages"
import type { Answer, ColumnType, Columns } from "./Answer.ts"

/**
 * One simulated node. Everything is optional: addresses count up from 127.0.0.1.
 *
 * @since 0.1.0
 */
export interface HostSpec {
  /** IPv4/IPv6 address (default `127.0.0.<n>`). */
  readonly address?: string | undefined
  /** Native transport port (default: the cluster's `port`). */
  readonly port?: number | undefined
  /** Default: the cluster's `datacenter` ("dc1"). */
  readonly datacenter?: string | undefined
  /** Default "rack1". */
  readonly rack?: string | undefined
  /** Murmur3 tokens (default: one token per host, evenly spread over the ring). */
  readonly tokens?: ReadonlyArray<string> | undefined
  /** Default: a uuid derived from the address. */
  readonly hostId?: string | undefined
  readonly releaseVersion?: string | undefined
  /** Protocol versions the host accepts (default the cluster's: 3, 4, 5). `[3, 4]` refuses v5 like Cassandra 3.x. */
  readonly protocolVersions?: ReadonlyArray<ProtocolVersion> | undefined
  /** Compression algorithms the host offers in SUPPORTED (default the cluster's: lz4, snappy). */
  readonly compression?: ReadonlyArray<"lz4" | "snappy"> | undefined
}

/**
 * A table's columns: `{ id: "uuid", name: "text" }` (the first column is the partition key), or with keys.
 *
 * @since 0.1.0
 */
export type TableSpec =
  | Readonly<Record<string, ColumnType>>
  | {
    readonly columns: Readonly<Record<string, ColumnType>>
    readonly partitionKey?: ReadonlyArray<string> | undefined
    readonly clusteringKey?: ReadonlyArray<string> | undefined
  }

/**
 * How the simulated cluster looks: its hosts, name, defaults of the hosts, auth, known tables, activity log size.
 *
 * @since 0.1.0
 */
export interface MockClusterOptions {
  /** How many hosts (addresses 127.0.0.1..127.0.0.254, then on through 127/8: 127.0.0.255, 127.0.1.0, ...), or each host's description. Default 1. */
  readonly hosts?: number | ReadonlyArray<HostSpec> | undefined
  readonly clusterName?: string | undefined
  /** Default datacenter of hosts (default "dc1"). */
  readonly datacenter?: string | undefined
  /** Default native port of hosts (in memory: 9042; over TCP: see `ServeOptions.port`). */
  readonly port?: number | undefined
  /** release_version of hosts (default "5.0.9", or "3.11.17" for hosts without protocol v5). */
  readonly releaseVersion?: string | undefined
  readonly partitioner?: string | undefined
  /** Default protocol versions of hosts (3, 4, 5). */
  readonly protocolVersions?: ReadonlyArray<ProtocolVersion> | undefined
  /** Default compression algorithms of hosts (lz4, snappy). */
  readonly compression?: ReadonlyArray<"lz4" | "snappy"> | undefined
  /** PasswordAuthenticator credentials every host requires; default none (AllowAllAuthenticator). */
  readonly auth?: { readonly username: string; readonly password: string } | undefined
  /**
   * Tables the hosts know, by `keyspace.table`: their column types give prepared statements their
   * variable types, unprimed SELECTs their (empty) columns, and system_schema its rows.
   */
  readonly tables?: Readonly<Record<string, TableSpec>> | undefined
  /** Whether system.peers_v2 exists (Cassandra 4.0+); false answers it with "unconfigured table". Default true. */
  readonly peersV2?: boolean | undefined
  /** Activity entries kept (the oldest go first); 0 records nothing. Default 10000. */
  readonly activityLimit?: number | undefined
  /**
   * Answer every QUERY, PREPARE, EXECUTE and BATCH with the custom payload it came with, as a node
   * started with Cassandra's `CustomPayloadMirroringQueryHandler` does (protocol v4+). Default false: a
   * node ignores custom payloads and sends none.
   *
   * @since 0.2.0
   */
  readonly echoCustomPayload?: boolean | undefined
}

/**
 * A host, by position in `hosts` (0-based), address (`"127.0.0.2"`) or endpoint (`"127.0.0.2:9042"`).
 *
 * @since 0.1.0
 */
export type HostRef = number | string

/**
 * The kind of a request a host received (one per request opcode).
 *
 * @since 0.1.0
 */
export type RequestKind = "options" | "startup" | "authResponse" | "register" | "query" | "prepare" | "execute" | "batch"

/**
 * What a prime matches; every given condition must hold.
 *
 * @since 0.1.0
 */
export interface PrimeSpec {
  /**
   * The query text: exact (compared with runs of whitespace collapsed and a trailing `;` dropped) or
   * a RegExp. Matches QUERY, EXECUTE of a statement prepared from that text, and BATCH statements.
   */
  readonly query?: string | RegExp | undefined
  /** Request kinds this prime answers (default query, execute and batch; add "prepare" to answer PREPARE). */
  readonly kind?: RequestKind | ReadonlyArray<RequestKind> | undefined
  /** Only EXECUTE of this prepared id. */
  readonly preparedId?: Uint8Array | undefined
  /**
   * The bound values: positional or by name, compared by their serialized bytes (with the prepared
   * variable types, or the type inferred from the expected value as the driver would); or a predicate
   * given the decoded values (raw bytes when the types are unknown).
   */
  readonly values?:
    | ReadonlyArray<unknown>
    | Readonly<Record<string, unknown>>
    | ((values: ReadonlyArray<unknown>) => boolean)
    | undefined
  readonly consistency?: ConsistencyName | ReadonlyArray<ConsistencyName> | undefined
  /** Only requests that reach these hosts. */
  readonly host?: HostRef | ReadonlyArray<HostRef> | undefined
  /** The answer; a list answers the 1st matching request with the 1st, and so on, repeating the last. */
  readonly then: Answer | ReadonlyArray<Answer>
  /** The prime stops matching after this many requests. */
  readonly times?: number | undefined
  /**
   * Only the request for this page of a paged query: 1 is the first request, 2 the one resuming with
   * the first page's paging state, and so on (counted by the request's page size). A later page is
   * otherwise answered by the prime that answered the first, from its paging state; a prime with
   * `page: 3` makes the third page fail (or wait, or go unanswered) instead.
   *
   * @since 0.2.0
   */
  readonly page?: number | undefined
  /** Bind variables of the statement, for PREPARE of a matching query (also types the logged values). */
  readonly variables?: Columns | undefined
  /**
   * System tables (system.*, system_schema.*, system_traces.*) and `USE` are answered by the mock
   * before any prime, so a broad pattern cannot break the driver's housekeeping. Set this to let
   * the prime take them over (e.g. to fail the control connection's queries).
   */
  readonly system?: boolean | undefined
}

/**
 * One statement of a BATCH, as the activity log shows it.
 *
 * @since 0.1.0
 */
export interface BatchActivity {
  readonly query: string | undefined
  readonly preparedId: Uint8Array | undefined
  readonly values: ReadonlyArray<RawValue>
  readonly decodedValues: ReadonlyArray<unknown> | undefined
}

/**
 * One request that reached a host.
 *
 * @since 0.1.0
 */
export interface Activity {
  /** `address:port` of the host. */
  readonly host: string
  readonly hostIndex: number
  /** Connection number (unique in the cluster). */
  readonly connection: number
  /** Effect Clock time (millis) when the request arrived (virtual time under TestClock). */
  readonly at: number
  readonly version: number
  readonly stream: number
  readonly kind: RequestKind
  /** QUERY/PREPARE text; EXECUTE: the text of the prepared statement. */
  readonly query: string | undefined
  readonly preparedId: Uint8Array | undefined
  /** Bound values as sent: bytes, null, or UNSET. */
  readonly values: ReadonlyArray<RawValue>
  /** The values decoded, when the types are known (prepared statements, primes with `variables`). */
  readonly decodedValues: ReadonlyArray<unknown> | undefined
  readonly names: ReadonlyArray<string> | undefined
  readonly consistency: ConsistencyName | undefined
  readonly serialConsistency: ConsistencyName | undefined
  readonly pageSize: number | undefined
  readonly pagingState: Uint8Array | undefined
  readonly timestamp: bigint | undefined
  readonly keyspace: string | undefined
  readonly batch: ReadonlyArray<BatchActivity> | undefined
  readonly tracing: boolean
  /** Driver housekeeping: handshake, REGISTER, heartbeats, system tables, USE. */
  readonly control: boolean
  /** What the host answered, e.g. `Rows(3)`, `Void`, `Error(READ_TIMEOUT)`, `NoAnswer (unresponsive)`. */
  readonly answer: string
  /**
   * The custom payload the request came with (protocol v4+), if any.
   *
   * @since 0.2.0
   */
  readonly customPayload?: ReadonlyMap<string, Uint8Array | null> | undefined
}

/**
 * Which activity entries to read: by host, kind and query text; housekeeping only when asked.
 *
 * @since 0.1.0
 */
export interface ActivityFilter {
  readonly host?: HostRef | undefined
  readonly kind?: RequestKind | ReadonlyArray<RequestKind> | undefined
  /** Exact (normalized) text or a pattern. */
  readonly query?: string | RegExp | undefined
  /** Include driver housekeeping (default false). */
  readonly includeControl?: boolean | undefined
}

/**
 * A host's state: `up`, `down` (refuses connections) or `unresponsive` (reads requests, never answers).
 *
 * @since 0.1.0
 */
export type HostState = "up" | "down" | "unresponsive"

/**
 * A host as a test sees it.
 *
 * @since 0.1.0
 */
export interface MockHost {
  readonly index: number
  readonly address: string
  readonly port: number
  /** `address:port`, the driver's `Host.endpoint`. */
  readonly endpoint: string
  readonly datacenter: string
  readonly rack: string
  readonly hostId: string
  readonly tokens: ReadonlyArray<string>
  readonly protocolVersions: ReadonlyArray<ProtocolVersion>
  readonly state: HostState
  /** Open connections. */
  readonly connections: number
  /**
   * Connections the driver tried to open, refused ones included (in memory; over TCP only accepted ones),
   * and, for a removed host, the attempts at its endpoint since (refused).
   */
  readonly connectAttempts: number
}

