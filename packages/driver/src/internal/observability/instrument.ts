/**
 * Instruments of the request path, by the OpenTelemetry database conventions (the database and
 * Cassandra pages): a client span per request (each page of a stream, each batch, each first PREPARE)
 * named `{VERB} {keyspace}.{table}`, and the driver's Metrics (`db.client.operation.duration`, outcomes,
 * in flight per session, retries, speculative executions, pool gauges).
 *
 * Spans are on by default and cost one look at the fiber's tracer per request when no tracer is
 * installed (the fiber's tracer is Effect's native one, or tracing is disabled): then nothing else is
 * made (`wants` says so, asked from the request's own callback for `execute`, from an `Effect.withFiber`
 * for batches and prepares; the executor runs the request as it is).
 * The request path calls named hooks: the execution notes the host it sent to (`Observation.host`),
 * speculative executions count themselves.
 *
 * It does not define the metrics (the public `Metrics` module does) nor read the connections
 * (the pool manager reports them, `PoolStats`).
 *
 * @since 0.1.0
 * @internal
 */
import { Consistency } from "@effect-cassandra/protocol/Messages"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import type * as Schedule from "effect/Schedule"
import * as Tracer from "effect/Tracer"
import type * as E from "../../Errors.ts"
import { InvalidInput } from "../../Errors.ts"
import { batchEntry } from "../request/plan.ts"
import type { Host } from "../../Host.ts"
import * as Metrics from "../../Metrics.ts"
import type { BatchEntry, PreparedStatement, Statement } from "../../Statement.ts"
import type { ResolvedRequest } from "../request/options.ts"

// ---- what a request acts on ----------------------------------------------------------------

/**
 * What a statement acts on: its CQL verb, and the keyspace and table when the statement names them.
 *
 * @since 0.2.0
 */
export interface Target {
  readonly operation: string
  readonly keyspace: string | undefined
  readonly table: string | undefined
}

const IDENT = String.raw`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)`
const QUALIFIED = String.raw`${IDENT}(?:\s*\.\s*${IDENT})?`
const IF_EXISTS = String.raw`(?:IF\s+(?:NOT\s+)?EXISTS\s+)?`
const targetPatterns: Record<string, RegExp> = {
  SELECT: new RegExp(String.raw`\bFROM\s+${QUALIFIED}`, "i"),
  DELETE: new RegExp(String.raw`\bFROM\s+${QUALIFIED}`, "i"),
  INSERT: new RegExp(String.raw`^INSERT\s+INTO\s+${QUALIFIED}`, "i"),
  UPDATE: new RegExp(String.raw`^UPDATE\s+${QUALIFIED}`, "i"),
  TRUNCATE: new RegExp(String.raw`^TRUNCATE\s+(?:TABLE\s+)?${QUALIFIED}`, "i"),
  CREATE: new RegExp(String.raw`^CREATE\s+(?:TABLE|COLUMNFAMILY|TYPE|MATERIALIZED\s+VIEW)\s+${IF_EXISTS}${QUALIFIED}`, "i"),
  ALTER: new RegExp(String.raw`^ALTER\s+(?:TABLE|COLUMNFAMILY|TYPE|MATERIALIZED\s+VIEW)\s+${QUALIFIED}`, "i"),
  DROP: new RegExp(String.raw`^DROP\s+(?:TABLE|COLUMNFAMILY|TYPE|MATERIALIZED\s+VIEW)\s+${IF_EXISTS}${QUALIFIED}`, "i")
}
const keyspacePatterns: Record<string, RegExp> = {
  USE: new RegExp(String.raw`^USE\s+${IDENT}`, "i"),
  CREATE: new RegExp(String.raw`^CREATE\s+KEYSPACE\s+${IF_EXISTS}${IDENT}`, "i"),
  ALTER: new RegExp(String.raw`^ALTER\s+KEYSPACE\s+${IDENT}`, "i"),
  DROP: new RegExp(String.raw`^DROP\s+KEYSPACE\s+${IF_EXISTS}${IDENT}`, "i")
}

/** A name as written, without the quotes of a quoted identifier. */
const unquote = (name: string | undefined): string | undefined =>
  name === undefined ? undefined : name.startsWith("\"") ? name.slice(1, -1).replaceAll("\"\"", "\"") : name

/**
 * The target of a CQL text: the first word is the verb (`BEGIN BATCH ...` is `BATCH`); the table is the
 * one the verb acts on (`FROM`, `INTO`, `UPDATE`, DDL of a table, type or view), qualified or not; names
 * are kept as written (quotes removed), as the conventions ask.
 *
 * @since 0.2.0
 */
export const parseTarget = (query: string): Target => {
  const text = query.replace(/^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, "")
  const verbMatch = /^[A-Za-z]+/.exec(text)
  const first = verbMatch === null ? "" : verbMatch[0].toUpperCase()
  const operation = first === "BEGIN" ? "BATCH" : first === "" ? "CQL" : first
  const m = targetPatterns[operation]?.exec(text)
  if (m !== null && m !== undefined) {
    return m[2] === undefined
      ? { operation, keyspace: undefined, table: unquote(m[1]) }
      : { operation, keyspace: unquote(m[1]), table: unquote(m[2]) }
  }
  const k = keyspacePatterns[operation]?.exec(text)
  return { operation, keyspace: unquote(k?.[1]), table: undefined }
}

const textTargets = new Map<string, Target>()
const preparedTargets = new WeakMap<PreparedStatement, Target>()

/** The target of a query text, cached (at most 1000 texts: statements are few, values are bound). */
const targetOfText = (query: string): Target => {
  let t = textTargets.get(query)
  if (t === undefined) {
    t = parseTarget(query)
    if (textTargets.size >= 1000) textTargets.clear()
    textTargets.set(query, t)
  }
  return t
}

/**
 * The target of a prepared statement: as its text names it; an unqualified table gets the keyspace of the
 * statement's metadata (the keyspace it was prepared in).
 */
const targetOfPrepared = (prepared: PreparedStatement): Target => {
  let t = preparedTargets.get(prepared)
  if (t === undefined) {
    const parsed = parseTarget(prepared.query)
    const spec = prepared.variables[0] ?? prepared.resultColumns[0]
    t = parsed.table === undefined || parsed.keyspace !== undefined
      ? { ...parsed, keyspace: parsed.keyspace ?? prepared.keyspace }
      : { ...parsed, keyspace: spec?.keyspace ?? prepared.keyspace }
    preparedTargets.set(prepared, t)
  }
  return t
}

/**
 * The query text of a statement.
 *
 * @since 0.1.0
 */
export const queryText = (statement: Statement): string =>
  typeof statement === "string"
    ? statement
    : statement._tag === "PreparedStatement"
    ? statement.query
    : statement._tag === "SimpleStatement"
    ? statement.query
    : statement.prepared.query

// ---- one operation -------------------------------------------------------------------------

/**
 * What one request is, for its span and metrics: made only when a tracer is installed or metrics are on.
 *
 * @since 0.2.0
 */
export interface Operation {
  readonly name: string
  readonly namespace: string | undefined
  readonly collection: string | undefined
  readonly query: string
  readonly batchSize: number | undefined
}

const sameOr = <A>(values: ReadonlyArray<A>, none: A): A => values.every((v) => v === values[0]) ? values[0]! : none

/** A batch by the conventions: one entry is a single operation; more (or none) a batch with its size. */
const batchOperation = (entries: ReadonlyArray<BatchEntry>, sessionKeyspace: string | undefined): Operation => {
  const queries = entries.flatMap((e, i) => {
    const entry = batchEntry(e, i)
    return entry instanceof InvalidInput ? [] : [entry.query]
  })
  const targets = queries.map((q) => typeof q === "string" ? targetOfText(q) : targetOfPrepared(q))
  const texts = queries.map((q) => typeof q === "string" ? q : q.query)
  if (targets.length === 1) {
    const t = targets[0]!
    return { name: t.operation, namespace: t.keyspace ?? sessionKeyspace, collection: t.table, query: texts[0]!, batchSize: undefined }
  }
  const verb = sameOr(targets.map((t) => t.operation), "")
  const keyspace = sameOr(targets.map((t) => t.keyspace), undefined)
  return {
    name: targets.length > 0 && verb !== "" ? `BATCH ${verb}` : "BATCH",
    namespace: keyspace ?? sessionKeyspace,
    collection: sameOr(targets.map((t) => t.table), undefined),
    query: texts.length > 0 && texts.every((q) => q === texts[0]) ? texts[0]! : texts.join("; "),
    batchSize: entries.length
  }
}

/**
 * What a request acts on: an execution (string or prepared), a batch, or the PREPARE of a query.
 *
 * @since 0.2.0
 */
export type Subject =
  | { readonly kind: "execute"; readonly statement: string | PreparedStatement }
  | { readonly kind: "batch"; readonly entries: ReadonlyArray<BatchEntry> }
  | { readonly kind: "prepare"; readonly query: string; readonly keyspace: string | undefined }

/** Operations of executions, by target and keyspace: made once, so their span attributes and series are too. */
const executeOperations = new WeakMap<Target, Map<string | undefined, Operation>>()

const executeOperation = (t: Target, query: string, namespace: string | undefined): Operation => {
  let byNamespace = executeOperations.get(t)
  if (byNamespace === undefined) executeOperations.set(t, byNamespace = new Map())
  let op = byNamespace.get(namespace)
  if (op === undefined) {
    op = { name: t.operation, namespace, collection: t.table, query, batchSize: undefined }
    byNamespace.set(namespace, op)
  }
  return op
}

const describe = (subject: Subject, options: ResolvedRequest, sessionKeyspace: string | undefined): Operation => {
  switch (subject.kind) {
    case "batch":
      return batchOperation(subject.entries, options.keyspace ?? sessionKeyspace)
    case "prepare": {
      const t = targetOfText(subject.query)
      return { name: "PREPARE", namespace: t.keyspace ?? subject.keyspace ?? sessionKeyspace, collection: t.table, query: subject.query, batchSize: undefined }
    }
    case "execute": {
      const s = subject.statement
      const t = typeof s === "string" ? targetOfText(s) : targetOfPrepared(s)
      return executeOperation(t, typeof s === "string" ? s : s.query, t.keyspace ?? options.keyspace ?? sessionKeyspace)
    }
  }
}

/**
 * The span name by the conventions: `{operation} {keyspace}.{table}`, else `{operation} {keyspace}`,
 * else the operation.
 *
 * @since 0.2.0
 */
export const spanName = (op: Operation): string =>
  op.collection !== undefined
    ? `${op.name} ${op.namespace === undefined ? "" : `${op.namespace}.`}${op.collection}`
    : op.namespace !== undefined
    ? `${op.name} ${op.namespace}`
    : op.name

const consistencyNames: Array<string> = []
for (const [name, code] of Object.entries(Consistency)) consistencyNames[code] = name.toLowerCase()

/** Protocol error codes by error tag (the native protocol spec, section 9). */
const statusCodes: Record<string, number> = {
  ServerError: 0x0000,
  ProtocolError: 0x000a,
  AuthenticationError: 0x0100,
  Unavailable: 0x1000,
  Overloaded: 0x1001,
  IsBootstrapping: 0x1002,
  TruncateError: 0x1003,
  WriteTimeout: 0x1100,
  ReadTimeout: 0x1200,
  ReadFailure: 0x1300,
  FunctionFailure: 0x1400,
  WriteFailure: 0x1500,
  CdcWriteFailure: 0x1600,
  CasWriteUnknown: 0x1700,
  SyntaxError: 0x2000,
  Unauthorized: 0x2100,
  InvalidRequest: 0x2200,
  ConfigurationError: 0x2300,
  AlreadyExists: 0x2400,
  Unprepared: 0x2500
}

/**
 * `db.response.status_code` and `error.type` of a failure: a server error's protocol code as a hex
 * string (`0x2200`) for both; a client error has no status code and its tag is the error type
 * (`OperationTimedOut`, `NoHostAvailable`, ...); a defect or an interruption is `_OTHER`.
 *
 * @since 0.2.0
 */
export const failureOf = (exit: Exit.Exit<unknown, unknown>): { readonly statusCode: string | undefined; readonly errorType: string } | undefined => {
  if (exit._tag === "Success") return undefined
  const fail = exit.cause.reasons.find((r) => r._tag === "Fail") as { readonly error?: { readonly _tag?: unknown } } | undefined
  const tag = fail?.error?._tag
  if (typeof tag !== "string") return { statusCode: undefined, errorType: "_OTHER" }
  const code = statusCodes[tag]
  if (code === undefined) return { statusCode: undefined, errorType: tag }
  const hex = `0x${code.toString(16).padStart(4, "0")}`
  return { statusCode: hex, errorType: hex }
}

/**
 * What the request path notes while one observed request runs: the last host it was sent to, and
 * how many speculative executions it started.
 *
 * @since 0.2.0
 */
export class Observation {
  host: Host | undefined = undefined
  speculative = 0
}

/** The tracer that records spans on this fiber, undefined when only Effect's native one would. */
const activeTracer = (fiber: Fiber.Fiber<unknown, unknown>): Tracer.Tracer | undefined => {
  const cache = fiber.cache
  if (!cache.tracerEnabled) return undefined
  const tracer = cache.tracer
  return tracer === undefined || tracer === Tracer.nativeTracer ? undefined : tracer
}

/**
 * The connections of one host's pool in a session, as the pool manager reports them.
 *
 * @since 0.2.0
 */
export interface PoolStats {
  readonly host: Host
  /** Open connections. */
  readonly open: number
  /** Open connections with a request in flight. */
  readonly used: number
  /** The pool's size. */
  readonly max: number
  /** Requests in flight (stream ids in use, late answers of timed-out requests included). */
  readonly inFlight: number
}

/**
 * A series of a metric: the metric made with its attributes, which Effect keys once (a `withAttributes`
 * metric computes its series key on every update). Read with `Metric.withAttributes(metric, attributes)`.
 */
const seriesOf = <M extends Metric.Metric<any, any>>(metric: M, attributes: Record<string, string>): M => {
  const options = { description: metric.description, attributes }
  switch (metric.type) {
    case "Histogram":
      return Metric.histogram(metric.id, { ...options, boundaries: Metrics.operationDurationBoundaries }) as unknown as M
    case "Gauge":
      return Metric.gauge(metric.id, options) as unknown as M
    default:
      return Metric.counter(metric.id, { ...options, incremental: true }) as unknown as M
  }
}

/** Each operation's duration series, by host and error type. */
const durationSeriesByOperation = new WeakMap<Operation, Map<string, Metric.Metric<number, unknown>>>()

/** The duration histogram with the attributes of one series (made once per series). */
const durationSeries = (op: Operation, host: Host | undefined, failure: ReturnType<typeof failureOf>): Metric.Metric<number, unknown> => {
  let byKey = durationSeriesByOperation.get(op)
  if (byKey === undefined) durationSeriesByOperation.set(op, byKey = new Map())
  const key = failure === undefined ? (host?.endpoint ?? "") : `${host?.endpoint ?? ""} ${failure.errorType}`
  let m = byKey.get(key)
  if (m === undefined) {
    const attributes: Record<string, string> = { "db.system.name": "cassandra", "db.operation.name": op.name }
    if (op.namespace !== undefined) attributes["db.namespace"] = op.namespace
    if (op.collection !== undefined) attributes["db.collection.name"] = op.collection
    if (host !== undefined) {
      attributes["server.address"] = host.address
      attributes["server.port"] = String(host.port)
    }
    if (failure !== undefined) {
      attributes["error.type"] = failure.errorType
      if (failure.statusCode !== undefined) attributes["db.response.status_code"] = failure.statusCode
    }
    m = seriesOf(Metrics.operationDuration, attributes)
    byKey.set(key, m)
  }
  return m
}

const outcomeSeries = new Map<string, Metric.Metric<number, unknown>>()

/** `cassandra_requests_total` for one outcome. */
const requestsFor = (outcome: string): Metric.Metric<number, unknown> => {
  let m = outcomeSeries.get(outcome)
  if (m === undefined) outcomeSeries.set(outcome, m = seriesOf(Metrics.requests, { outcome }))
  return m
}

let sessionCount = 0

/**
 * A session's instruments.
 *
 * @since 0.1.0
 */
export class Instruments {
  readonly metrics: boolean
  readonly spans: boolean
  /** The session's name in metric attributes (`session`). */
  readonly session: string
  private inFlight = 0
  private readonly inFlightMetric: Metric.Metric<number, unknown>
  private readonly keyspace: () => string | undefined
  private readonly clock: Clock.Clock

  constructor(args: {
    readonly metrics: boolean
    readonly spans: boolean
    readonly keyspace: () => string | undefined
    readonly clock: Clock.Clock
    readonly session?: string | undefined
  }) {
    this.metrics = args.metrics
    this.spans = args.spans
    this.keyspace = args.keyspace
    this.clock = args.clock
    this.session = args.session ?? `session-${++sessionCount}`
    this.inFlightMetric = seriesOf(Metrics.inFlight, { session: this.session })
  }

  /** Whether any request is observed at all. */
  get enabled(): boolean {
    return this.metrics || this.spans
  }

  /** A retry decided by the retry policy. */
  get retried(): Effect.Effect<void> {
    return this.metrics ? Metric.update(Metrics.retries, 1) : Effect.void
  }

  /** A speculative execution of the request observed by `observation` started. */
  speculativeStarted(observation: Observation | undefined): Effect.Effect<void> {
    if (observation !== undefined) observation.speculative++
    return this.metrics ? Metric.update(Metrics.speculativeExecutions, 1) : Effect.void
  }

  /**
   * Whether a request on `fiber` is observed: a tracer other than Effect's native one is installed (and
   * spans are on), or metrics are on. The request path asks on the request's fiber and, when not,
   * runs the request as it is (nothing else is made).
   */
  wants(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return this.metrics || (this.spans && activeTracer(fiber) !== undefined)
  }

  /**
   * One request under its span and the metrics that are on. `run` makes the request, with the
   * observation its execution notes the host in.
   */
  observeIn<A>(
    fiber: Fiber.Fiber<unknown, unknown>,
    subject: Subject,
    options: ResolvedRequest,
    run: (observation: Observation) => Effect.Effect<A, E.CassandraError>
  ): Effect.Effect<A, E.CassandraError> {
    const tracer = this.spans ? activeTracer(fiber) : undefined
    const op = describe(subject, options, this.keyspace())
    const obs = new Observation()
    if (tracer === undefined) return this.measured(run(obs), op, obs, fiber)
    const start = spanStart(op, subject, options)
    return Effect.useSpan(start.name, start.options, (span) =>
      this.measured(
        Effect.onExit(run(obs), (exit) => {
          endAttributes(span, obs, exit)
          return Effect.void
        }),
        op,
        obs,
        fiber
      ))
  }

  /** `observeIn` from the fiber that runs the request (less hot requests: batches, prepares). */
  observe<A>(
    subject: Subject,
    options: ResolvedRequest,
    run: (observation: Observation | undefined) => Effect.Effect<A, E.CassandraError>
  ): Effect.Effect<A, E.CassandraError> {
    return Effect.withFiber((fiber) => this.wants(fiber) ? this.observeIn(fiber, subject, options, run) : run(undefined))
  }

  /** The request with its duration, outcome and the session's in-flight count, when metrics are on. */
  private measured<A>(effect: Effect.Effect<A, E.CassandraError>, op: Operation, obs: Observation, fiber: Fiber.Fiber<unknown, unknown>): Effect.Effect<A, E.CassandraError> {
    if (!this.metrics) return effect
    const start = this.clock.currentTimeNanosUnsafe()
    this.inFlightMetric.updateUnsafe(++this.inFlight, fiber.context)
    return Effect.onExit(effect, (exit) => {
      const context = fiber.context
      this.inFlightMetric.updateUnsafe(--this.inFlight, context)
      const nanos = this.clock.currentTimeNanosUnsafe() - start
      const failure = failureOf(exit)
      durationSeries(op, obs.host, failure).updateUnsafe(Number(nanos) / 1e9, context)
      Metrics.requestLatency.updateUnsafe(Duration.nanos(nanos), context)
      requestsFor(failure === undefined ? "success" : outcomeOf(exit)).updateUnsafe(1, context)
      return Effect.void
    })
  }

  /** Records the pool gauges of the session's pools. */
  recordPools(stats: ReadonlyArray<PoolStats>): Effect.Effect<void> {
    return Effect.withFiber((fiber) => {
      const context = fiber.context
      for (const s of stats) {
        const pool = `${this.session}|${s.host.endpoint}`
        Metric.withAttributes(Metrics.connectionCount, { "db.client.connection.pool.name": pool, "db.client.connection.state": "used" })
          .updateUnsafe(s.used, context)
        Metric.withAttributes(Metrics.connectionCount, { "db.client.connection.pool.name": pool, "db.client.connection.state": "idle" })
          .updateUnsafe(s.open - s.used, context)
        Metric.withAttributes(Metrics.connectionMax, { "db.client.connection.pool.name": pool }).updateUnsafe(s.max, context)
        Metric.withAttributes(Metrics.hostInFlight, { session: this.session, "server.address": s.host.address, "server.port": String(s.host.port) })
          .updateUnsafe(s.inFlight, context)
      }
      return Effect.void
    })
  }

  /** Samples the pools on `schedule` while the session lives (metrics on only). */
  samplePools(stats: () => ReadonlyArray<PoolStats>, schedule: Schedule.Schedule<unknown>): Effect.Effect<void> {
    if (!this.metrics) return Effect.void
    return Effect.suspend(() => this.recordPools(stats())).pipe(Effect.repeat(schedule), Effect.asVoid)
  }
}

/** The outcome of a failed request for `cassandra_requests_total`: the error's tag, or `defect`. */
const outcomeOf = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "success"
  const fail = exit.cause.reasons.find((r) => r._tag === "Fail") as { readonly error?: { readonly _tag?: unknown } } | undefined
  return typeof fail?.error?._tag === "string" ? fail.error._tag : "defect"
}

interface SpanStart {
  readonly request: ResolvedRequest
  readonly name: string
  readonly options: Tracer.SpanOptionsNoTrace
}

const spanStarts = new WeakMap<Operation, SpanStart>()

/** The span's name and start attributes, made once per operation and options (a call without options reuses the session's). */
const spanStart = (op: Operation, subject: Subject, request: ResolvedRequest): SpanStart => {
  const last = spanStarts.get(op)
  if (last !== undefined && last.request === request) return last
  const start: SpanStart = { request, name: spanName(op), options: { kind: "client", attributes: startAttributes(op, subject, request) } }
  spanStarts.set(op, start)
  return start
}

/** The attributes known when the span starts (those sampling decisions may use). */
const startAttributes = (op: Operation, subject: Subject, options: ResolvedRequest): Record<string, unknown> => {
  const attributes: Record<string, unknown> = {
    "db.system.name": "cassandra",
    "db.operation.name": op.name,
    "db.query.text": op.query,
    "cassandra.consistency.level": consistencyNames[options.consistency] ?? String(options.consistency),
    "cassandra.query.idempotent": options.idempotent
  }
  if (op.namespace !== undefined) attributes["db.namespace"] = op.namespace
  if (op.collection !== undefined) attributes["db.collection.name"] = op.collection
  if (op.batchSize !== undefined) attributes["db.operation.batch.size"] = op.batchSize
  if (subject.kind === "execute") attributes["cassandra.page.size"] = options.fetchSize
  return attributes
}

/** The attributes known when the request ends: the coordinator, rows, speculative executions, failure. */
const endAttributes = (span: Tracer.Span, obs: Observation, exit: Exit.Exit<unknown, unknown>): void => {
  const host = obs.host
  if (host !== undefined) {
    span.attribute("server.address", host.address)
    span.attribute("server.port", host.port)
    span.attribute("network.peer.address", host.address)
    span.attribute("network.peer.port", host.port)
    if (host.hostId !== undefined) span.attribute("cassandra.coordinator.id", host.hostId)
    if (host.datacenter !== undefined) span.attribute("cassandra.coordinator.dc", host.datacenter)
  }
  span.attribute("cassandra.speculative_execution.count", obs.speculative)
  if (exit._tag === "Success") {
    // a ResultSet (rowCount: its page's rows, also those of a stream page not decoded yet)
    const rows = (exit.value as { readonly rowCount?: number } | undefined)?.rowCount
    if (typeof rows === "number") span.attribute("db.response.returned_rows", rows)
    return
  }
  const failure = failureOf(exit)!
  span.attribute("error.type", failure.errorType)
  if (failure.statusCode !== undefined) span.attribute("db.response.status_code", failure.statusCode)
}
