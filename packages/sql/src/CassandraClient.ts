/**
 * `CassandraClient`: effect/sql's `SqlClient` over a driver `Session`. `sql\`...\`` statements run as
 * prepared statements (cached by the session) and read every page; `.stream` is `Session.stream`;
 * `.unprepared` sends a simple statement (with values the driver prepares it all the same). `SqlSchema`, `SqlResolver` and `SqlModel` helpers that need no
 * transaction work as with any other client. What CQL does not have fails with a typed `SqlError` whose
 * cause is `SqlErrors.Unsupported`: `withTransaction` (Cassandra has no transactions), RETURNING,
 * multi-row `sql.insert` and `sql.updateValues`. What Cassandra has instead is the client's `batch` (a
 * CQL BATCH); the driver's execute options of a region of code are `withStatementOptions`.
 *
 * It does not open connections (the Session does) or migrate (CassandraMigrator does).
 *
 * @since 0.2.0
 */
import { type Cluster, type ClusterOptions, type Errors, Session } from "@effect-cassandra/driver"
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient, type SqlConnection, type SqlError, Statement } from "effect/sql"
import { makeCompiler, unsupportedStatement } from "./internal/compiler.ts"
import { SessionConnection } from "./internal/connection.ts"

/**
 * Options for the statements of a region of code (see StatementOptions.ts), also reachable from here.
 *
 * @since 0.2.0
 */
export { CurrentStatementOptions, type StatementOptions, withStatementOptions } from "./StatementOptions.ts"

/**
 * The client: an `SqlClient` that also gives its `session`.
 *
 * @since 0.2.0
 * @category models
 */
export interface CassandraClient extends SqlClient.SqlClient {
  readonly session: Session.SessionShape
  /**
   * The statements as one CQL BATCH (`type`: "logged" by default, "unlogged", "counter"), each prepared:
   * what Cassandra has where SQL has a transaction (a logged batch is applied entirely or not at all; it is
   * not isolated). Returns the rows of a conditional batch (`[applied]`, and the current values when it was
   * not applied); none otherwise. The options are those of `Session.batch`, over `withStatementOptions`.
   */
  readonly batch: (
    statements: ReadonlyArray<Statement.Statement<unknown>>,
    options?: Session.BatchOptions | undefined
  ) => Effect.Effect<ReadonlyArray<Record<string, unknown>>, SqlError.SqlError>
}

/**
 * The `CassandraClient` service tag (the layers also provide it as `SqlClient.SqlClient`).
 *
 * @since 0.2.0
 * @category services
 */
export const CassandraClient: Context.Service<CassandraClient, CassandraClient> = Context.Service<CassandraClient>(
  "@effect-cassandra/sql/CassandraClient"
)

/**
 * What `make` and the layers take.
 *
 * @since 0.2.0
 * @category models
 */
export interface CassandraClientOptions {
  /** Renames identifiers written in the statements (`sql("userId")`), e.g. `String.camelToSnake`. */
  readonly transformQueryNames?: ((name: string) => string) | undefined
  /** Renames the columns of result rows, e.g. `String.snakeToCamel`. */
  readonly transformResultNames?: ((name: string) => string) | undefined
  /** Attributes added to every statement's span (`db.system.name` is `cassandra` already). */
  readonly spanAttributes?: Readonly<Record<string, unknown>> | undefined
}

/**
 * A client over the Session of the context.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: CassandraClientOptions = {}): Effect.Effect<CassandraClient, never, Session.Session | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const session = yield* Session.Session
    const connection = new SessionConnection(session)
    const acquirer = Effect.succeed<SqlConnection.Connection>(connection)
    const keyspace = session.keyspace()
    const spanAttributes: Array<readonly [string, unknown]> = [
      ["db.system.name", "cassandra"],
      ...(keyspace === undefined ? [] : [["db.namespace", keyspace] as const]),
      ...Object.entries(options.spanAttributes ?? {})
    ]
    const transformRows = options.transformResultNames === undefined
      ? undefined
      : Statement.defaultTransforms(options.transformResultNames).array
    const client = yield* SqlClient.make({
      acquirer,
      borrower: (f) => f(connection),
      compiler: makeCompiler(options.transformQueryNames),
      driver: "cassandra",
      spanAttributes,
      transformRows,
      // the BEGIN of withTransaction fails with Unsupported("transaction") before anything is sent
      beginTransaction: unsupportedStatement("transaction")
    })
    const batch = (statements: ReadonlyArray<Statement.Statement<unknown>>, batchOptions?: Session.BatchOptions) =>
      Effect.suspend(() => connection.batch(statements.map((s) => s.compile()), batchOptions))
    return Object.assign(client, { session, batch })
  })

const services = (options: CassandraClientOptions) =>
  Effect.map(make(options), (client) => Context.make(CassandraClient, client).pipe(Context.add(SqlClient.SqlClient, client)))

/**
 * `CassandraClient` and `SqlClient` over the Session of the context.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: CassandraClientOptions = {}): Layer.Layer<CassandraClient | SqlClient.SqlClient, never, Session.Session> =>
  Layer.effectContext(services(options)).pipe(Layer.provide(Reactivity.layer))

/**
 * Everything in one layer: a Cluster, a Session and the client, with the Cluster and Session options
 * read through `Config` (`Config.Wrap`: each option a `Config` or a value; by default the CASSANDRA_*
 * variables, `CASSANDRA_KEYSPACE` included).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config: {
    readonly cluster?: Config.Wrap<ClusterOptions.ClusterOptions> | undefined
    readonly session?: Config.Wrap<Session.SessionOptions> | undefined
  } = {},
  options: CassandraClientOptions = {}
): Layer.Layer<
  CassandraClient | SqlClient.SqlClient | Session.Session | Cluster.Cluster,
  Config.ConfigError | Errors.CassandraError
> => layer(options).pipe(Layer.provideMerge(Session.layerConfigWithCluster(config.cluster, config.session)))

/**
 * The client over a Cluster and Session built from options.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerWithCluster = (
  cluster: ClusterOptions.ClusterOptions,
  session: Session.SessionOptions = {},
  options: CassandraClientOptions = {}
): Layer.Layer<CassandraClient | SqlClient.SqlClient | Session.Session | Cluster.Cluster, Errors.CassandraError> =>
  layer(options).pipe(Layer.provideMerge(Session.layerWithCluster(cluster, session)))

