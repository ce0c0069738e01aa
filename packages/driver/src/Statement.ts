/**
 * Statements: prepared statements, and the options every execution takes.
 *
 * Values only: binding, planning and sending are the request path's (internal/request).
 *
 * @since 0.1.0
 */
import type { CqlType } from "@effect-cassandra/protocol/CqlType"
import type { ColumnSpec, ConsistencyName } from "@effect-cassandra/protocol/Messages"
import type * as Duration from "effect/Duration"
import type * as Schema from "effect/Schema"
import type { Host } from "./Host.ts"
import type { RetryPolicyShape } from "./policies/Retry.ts"
import { isWildcardSelect } from "./internal/prepare/queryShape.ts"
import type { SpeculativeExecutionPolicyShape } from "./policies/SpeculativeExecution.ts"

/**
 * A statement prepared on the cluster. Values bind by position (array) or by name (object).
 *
 * @since 0.1.0
 */
export class PreparedStatement {
  readonly _tag = "PreparedStatement"
  readonly query: string
  readonly keyspace: string | undefined
  id: Uint8Array
  /** v5: changes when the server reports METADATA_CHANGED. */
  resultMetadataId: Uint8Array | undefined
  /** The bind variables, in order. */
  readonly variables: ReadonlyArray<ColumnSpec>
  /** Positions of the partition key among the variables. */
  readonly pkIndexes: ReadonlyArray<number>
  /** Columns of the rows the statement returns (empty for writes). */
  resultColumns: ReadonlyArray<ColumnSpec>
  /** @internal */
  readonly variableTypes: ReadonlyArray<CqlType>
  /** @internal variable name -> position */
  readonly variableIndex: ReadonlyMap<string, number>
  /**
   * @internal Below protocol v5 (no result metadata id), whether an EXECUTE may ask the server to skip
   * the rows' metadata: false for a wildcard SELECT, whose columns follow the table (ALTER TABLE ADD),
   * and once the columns of rows sent without metadata differed from `resultColumns`.
   */
  skipMetadataBelowV5: boolean

  constructor(args: {
    query: string
    keyspace: string | undefined
    id: Uint8Array
    resultMetadataId: Uint8Array | undefined
    variables: ReadonlyArray<ColumnSpec>
    pkIndexes: ReadonlyArray<number>
    resultColumns: ReadonlyArray<ColumnSpec>
  }) {
    this.query = args.query
    this.keyspace = args.keyspace
    this.id = args.id
    this.resultMetadataId = args.resultMetadataId
    this.variables = args.variables
    this.pkIndexes = args.pkIndexes
    this.resultColumns = args.resultColumns
    this.variableTypes = args.variables.map((v) => v.type)
    const index = new Map<string, number>()
    args.variables.forEach((v, i) => {
      if (!index.has(v.name)) index.set(v.name, i)
    })
    this.variableIndex = index
    this.skipMetadataBelowV5 = !isWildcardSelect(args.query)
  }

  /** Binds values (and options) into a statement object; a `schema` option gives it its row type. */
  bind<A = Record<string, unknown>>(params?: Params, options?: ExecuteOptions<A>): BoundStatement<A> {
    return new BoundStatement<A>(this, params, options)
  }
}

/**
 * A simple (unprepared) statement carrying its values and options (the Python driver's `SimpleStatement`).
 * `A` is the type of its rows: `Session.execute(statement)` gives a `ResultSet<A>` (a `schema` option sets it).
 *
 * @since 0.1.0
 */
export class SimpleStatement<A = Record<string, unknown>> {
  readonly _tag = "SimpleStatement"
  readonly query: string
  readonly params: Params | undefined
  readonly options: ExecuteOptions<A> | undefined
  constructor(query: string, params?: Params, options?: ExecuteOptions<A>) {
    this.query = query
    this.params = params
    this.options = options
  }
}

/**
 * A prepared statement with its values and options (the Python driver's `BoundStatement`); `A` is the
 * type of its rows, as for `SimpleStatement`.
 *
 * @since 0.1.0
 */
export class BoundStatement<A = Record<string, unknown>> {
  readonly _tag = "BoundStatement"
  readonly prepared: PreparedStatement
  readonly params: Params | undefined
  readonly options: ExecuteOptions<A> | undefined
  constructor(prepared: PreparedStatement, params?: Params, options?: ExecuteOptions<A>) {
    this.prepared = prepared
    this.params = params
    this.options = options
  }
}

/**
 * Anything `Session.execute` and `Session.stream` run; statement objects carry their row type `A`.
 *
 * @since 0.1.0
 */
export type Statement<A = any> = string | PreparedStatement | SimpleStatement<A> | BoundStatement<A>

/**
 * A simple statement object: `Session.execute(statement("SELECT ...", [1], { consistency: "ONE" }))`.
 *
 * @since 0.1.0
 */
export const statement = <A = Record<string, unknown>>(query: string, params?: Params, options?: ExecuteOptions<A>): SimpleStatement<A> =>
  new SimpleStatement<A>(query, params, options)

/**
 * Values of a statement: positional, or by name (`:name` markers, or column names of a prepared statement).
 *
 * @since 0.1.0
 */
export type Params = ReadonlyArray<unknown> | Readonly<Record<string, unknown>>

/**
 * Per-execution options (the Python driver's execute arguments and statement attributes).
 *
 * @since 0.1.0
 */
export interface ExecuteOptions<A = Record<string, unknown>> {
  /** Default LOCAL_ONE. */
  readonly consistency?: ConsistencyName | undefined
  /** SERIAL or LOCAL_SERIAL, for conditional (LWT) statements. */
  readonly serialConsistency?: "SERIAL" | "LOCAL_SERIAL" | undefined
  /** Rows per page (default 5000). */
  readonly fetchSize?: number | undefined
  /** Resume paging where an earlier page stopped. */
  readonly pagingState?: Uint8Array | undefined
  /** Client-side timeout for the whole execution, retries included (default 10 s): `OperationTimedOut`. */
  readonly timeout?: Duration.Input | undefined
  /**
   * For idempotent statements: an attempt that got no answer within this long is given up and the
   * request goes to the next host of its plan (the retry policy decides), within `timeout`. Default: half
   * of `timeout`, so a host that stops answering (a long GC pause, a black hole) costs one attempt, not
   * the request. Non-idempotent statements have no per-attempt timeout: they wait for their answer.
   *
   * @since 0.2.0
   */
  readonly attemptTimeout?: Duration.Input | undefined
  /** Client-side write timestamp in microseconds; default: a monotonic client timestamp; `false`: the server's. */
  readonly timestamp?: bigint | false | undefined
  /** Whether the statement may be applied twice safely (default false): only idempotent ones are retried after they may have run. */
  readonly idempotent?: boolean | undefined
  /** Ask the server to trace the request; the ResultSet then carries `tracingId` and `trace`. */
  readonly tracing?: boolean | undefined
  readonly customPayload?: ReadonlyMap<string, Uint8Array | null> | undefined
  /**
   * The keyspace to run a simple statement, batch or prepare in (sent with the request from protocol v5 on;
   * below v5 a keyspace other than the session's is `InvalidInput`: v3/v4 requests cannot carry one).
   */
  readonly keyspace?: string | undefined
  /** Decode each row with this Schema. */
  readonly schema?: Schema.Decoder<A> | undefined
  /**
   * Prepare a string statement (cached) instead of sending it as a simple statement. A string statement
   * with values is always sent prepared (only the columns' types encode its values right).
   */
  readonly prepare?: boolean | undefined
  /** Send the request to this host only. */
  readonly host?: Host | undefined
  /**
   * Token-aware routing for a simple statement (prepared statements and batches compute their own): the
   * partition key's serialized bytes, one component or several (composite key); the replicas of its token in
   * `keyspace` (or the session's) come first in the query plan. The Python driver's `routing_key`.
   */
  readonly routingKey?: Uint8Array | ReadonlyArray<Uint8Array> | undefined
  /**
   * Speculative execution: while no answer came, start the same request on the next host of the
   * plan, after each delay of the policy (`SpeculativeExecution.constant`, `percentile`, `none`);
   * `{ delay, maxExecutions }` is the constant policy. Only for idempotent statements; the first answer
   * wins and the others are interrupted, and a failure the retry policy rethrows ends them all.
   */
  readonly speculativeExecution?: SpeculativeExecution | SpeculativeExecutionPolicyShape | undefined
  /** The retry policy of this request (over its profile's and the session's). */
  readonly retry?: RetryPolicyShape | undefined
  /**
   * The execution profile (one of the session's `profiles`) whose settings this request takes where
   * its own options say nothing; over the profile `ExecutionProfile.with` scopes. An unknown name is
   * `InvalidInput` before anything is sent.
   */
  readonly profile?: string | undefined
}

/**
 * Speculative execution of one request: how long to wait before each extra execution, and how many
 * (a finite integer >= 0). The constant policy (`SpeculativeExecution.constant`).
 *
 * @since 0.1.0
 */
export interface SpeculativeExecution {
  readonly delay: Duration.Input
  readonly maxExecutions: number
}

/**
 * One statement of a batch: a query or prepared statement with its values, or a statement object
 * (`SimpleStatement`, `BoundStatement`: its values; a batch's options are the batch's).
 *
 * @since 0.1.0
 */
export type BatchEntry =
  | {
    readonly query: string | PreparedStatement
    readonly params?: Params | undefined
  }
  | SimpleStatement
  | BoundStatement

/**
 * The options of a batch: those of an execution without paging, plus the batch type.
 *
 * @since 0.1.0
 */
export interface BatchOptions extends Omit<ExecuteOptions, "fetchSize" | "pagingState" | "schema" | "prepare"> {
  /** Default "logged". */
  readonly type?: "logged" | "unlogged" | "counter" | undefined
}
