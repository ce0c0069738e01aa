/**
 * Request options resolved once: the call's options over the statement object's over the execution
 * profile's (named by the call or statement, else scoped by `ExecutionProfile.with`, else the session's
 * `defaults.profile`) over the session's `defaults` and policies over the `ExecutionProfile` constants,
 * validated (consistency names, timeouts, batch type, profile names, speculative policies) into the
 * wire codes, numbers and policies the plan needs. A call without options gets a resolution computed
 * once when the session starts (one per profile).
 *
 * It does not build the request (`plan.ts` does) nor look at the cluster.
 *
 * @since 0.1.0
 * @internal
 */
import { Consistency } from "@effect-cassandra/protocol/Messages"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as E from "../../Errors.ts"
import {
  CurrentProfile,
  defaultConsistency,
  defaultFetchSize,
  defaultTimeoutMillis,
  type ExecutionProfile,
  internalRequestTimeoutMillis
} from "../../ExecutionProfile.ts"
import type { Host } from "../../Host.ts"
import type { LoadBalancingPolicyShape } from "../../policies/LoadBalancing.ts"
import type { RetryPolicyShape } from "../../policies/Retry.ts"
import { constant, type SpeculativeExecutionPolicyShape } from "../../policies/SpeculativeExecution.ts"
import type { BatchOptions, ExecuteOptions, SpeculativeExecution } from "../../Statement.ts"

/**
 * Every option of one request, resolved.
 *
 * @since 0.1.0
 */
export interface ResolvedRequest {
  readonly consistency: number
  readonly serialConsistency: number | undefined
  readonly timeoutMillis: number
  /** How long one attempt of an idempotent request waits before the next host is tried. */
  readonly attemptTimeoutMillis: number
  readonly fetchSize: number
  /** A fixed client timestamp, `false` for the server's, undefined for the session's generator. */
  readonly timestamp: bigint | false | undefined
  readonly idempotent: boolean
  readonly tracing: boolean
  readonly customPayload: ReadonlyMap<string, Uint8Array | null> | undefined
  /** The keyspace asked for (the request's, v5), before the session's. */
  readonly keyspace: string | undefined
  readonly host: Host | undefined
  readonly routingKey: Uint8Array | ReadonlyArray<Uint8Array> | undefined
  /** The speculative execution policy; undefined: none. */
  readonly speculative: SpeculativeExecutionPolicyShape | undefined
  /** The policy's latency observer (the percentile policy's), told each answer's latency. */
  readonly observeLatency: ((host: Host, latencyMillis: number) => void) | undefined
  /** The request's retry policy; undefined: the session's. */
  readonly retry: RetryPolicyShape | undefined
  /** The request's load-balancing policy (its profile's); undefined: the cluster's. */
  readonly loadBalancing: LoadBalancingPolicyShape | undefined
  /** The name of the profile the request ran with. */
  readonly profile: string | undefined
  readonly schema: Schema.Decoder<any> | undefined
  readonly prepare: boolean
  readonly pagingState: Uint8Array | undefined
  /** A batch's type code (0 logged, 1 unlogged, 2 counter). */
  readonly batchType: 0 | 1 | 2
  /** Session.stream's pages: rows decoded as the consumer pulls them (`result.ts` `pageRows`), not all on arrival. */
  readonly lazyRows?: boolean | undefined
}

/** The code of a consistency level name; an unknown name is bad input, not a silent default. */
const consistencyCode = (name: string, path: string): number | E.InvalidInput => {
  const code = (Consistency as Record<string, number>)[name]
  return typeof code === "number"
    ? code
    : new E.InvalidInput({ message: `${path}: unknown consistency level ${JSON.stringify(name)}`, path, expected: "a consistency level name (ONE, QUORUM, LOCAL_QUORUM, ...)" })
}

const SERIAL_LEVELS: ReadonlySet<string> = new Set(["SERIAL", "LOCAL_SERIAL"])

/** A serial consistency: SERIAL or LOCAL_SERIAL. */
const serialCode = (name: string | undefined, path: string): number | undefined | E.InvalidInput =>
  name === undefined
    ? undefined
    : SERIAL_LEVELS.has(name)
    ? Consistency[name as "SERIAL" | "LOCAL_SERIAL"]
    : new E.InvalidInput({ message: `${path}: ${JSON.stringify(name)} is not a serial consistency level`, path, expected: "SERIAL or LOCAL_SERIAL" })

/**
 * A client-side timeout in milliseconds: a positive Duration input (Infinity allowed).
 *
 * @since 0.1.0
 */
export const timeoutMillisOf = (input: Duration.Input | undefined, fallback: number, path: string): number | E.InvalidInput => {
  if (input === undefined) return fallback
  const d = Duration.fromInput(input)
  const ms = Option.isSome(d) ? Duration.toMillis(d.value) : Number.NaN
  return ms > 0
    ? ms
    : new E.InvalidInput({ message: `${path}: not a positive duration: ${String(input)}`, path, expected: "a positive Duration input" })
}

const batchTypeCode = (type: BatchOptions["type"]): 0 | 1 | 2 | E.InvalidInput => {
  switch (type) {
    case undefined:
    case "logged":
      return 0
    case "unlogged":
      return 1
    case "counter":
      return 2
    default:
      return new E.InvalidInput({ message: `options.type: unknown batch type ${JSON.stringify(type)}`, path: "options.type", expected: "logged, unlogged or counter" })
  }
}

/**
 * A statement object's options under the call's (the call's keys win, even when undefined). Custom
 * payloads are merged entry by entry: the statement's entries, with the call's on top.
 *
 * @since 0.1.0
 */
export const mergeStatementOptions = <A>(
  statementOptions: ExecuteOptions<any> | undefined,
  call: ExecuteOptions<A> | undefined
): ExecuteOptions<A> | undefined => {
  if (statementOptions === undefined) return call
  const merged = { ...statementOptions, ...call }
  const ours = statementOptions.customPayload
  const theirs = call?.customPayload
  return ours !== undefined && theirs !== undefined ? { ...merged, customPayload: new Map([...ours, ...theirs]) } : merged
}

/**
 * The settings a profile, or the session without one, gives its requests: validated once, when the
 * session starts. `retry` and `loadBalancing` undefined: the session's (`ExecutionContext.retryPolicy`,
 * the cluster's policy); `speculative` undefined: none.
 *
 * @since 0.2.0
 */
export interface ProfileBase {
  readonly name: string | undefined
  readonly consistency: number
  readonly serialConsistency: number | undefined
  readonly timeoutMillis: number
  readonly fetchSize: number
  readonly idempotent: boolean
  readonly tracing: boolean
  readonly retry: RetryPolicyShape | undefined
  readonly loadBalancing: LoadBalancingPolicyShape | undefined
  readonly speculative: SpeculativeExecutionPolicyShape | undefined
}

/**
 * A speculative execution option as a policy (`{ delay, maxExecutions }` is the constant one), checked:
 * `maxExecutions` a finite integer >= 0, the policy's own settings valid. undefined: none; `under` when
 * the option is not given.
 *
 * @since 0.2.0
 */
export const speculativeOf = (
  spec: SpeculativeExecution | SpeculativeExecutionPolicyShape | undefined,
  under: SpeculativeExecutionPolicyShape | undefined,
  path: string
): SpeculativeExecutionPolicyShape | undefined | E.InvalidInput => {
  if (spec === undefined) return under
  const policy = "delays" in spec ? spec : constant(spec)
  if (policy.invalid !== undefined) {
    return new E.InvalidInput({ message: `${path}.${policy.invalid.message}`, path: `${path}.${policy.invalid.path}`, expected: policy.invalid.expected })
  }
  const max = policy.maxExecutions
  if (!(Number.isInteger(max) && max >= 0)) {
    return new E.InvalidInput({ message: `${path}.maxExecutions: not a finite integer >= 0: ${String(max)}`, path: `${path}.maxExecutions`, expected: "a finite integer >= 0" })
  }
  return max === 0 ? undefined : policy
}

/**
 * `settings` over `under`, validated (`path` names them in errors: `defaults`, `profiles.oltp`).
 *
 * @since 0.2.0
 */
export const profileOver = (settings: ExecutionProfile, under: ProfileBase, path: string, name: string | undefined): ProfileBase | E.InvalidInput => {
  const timeoutMillis = timeoutMillisOf(settings.timeout, under.timeoutMillis, `${path}.timeout`)
  if (typeof timeoutMillis !== "number") return timeoutMillis
  const consistency = settings.consistency === undefined ? under.consistency : consistencyCode(settings.consistency, `${path}.consistency`)
  if (typeof consistency !== "number") return consistency
  const serialConsistency = settings.serialConsistency === undefined ? under.serialConsistency : serialCode(settings.serialConsistency, `${path}.serialConsistency`)
  if (serialConsistency instanceof E.InvalidInput) return serialConsistency
  const speculative = speculativeOf(settings.speculativeExecution, under.speculative, `${path}.speculativeExecution`)
  if (speculative instanceof E.InvalidInput) return speculative
  return {
    name,
    consistency,
    serialConsistency,
    timeoutMillis,
    fetchSize: settings.fetchSize ?? under.fetchSize,
    idempotent: settings.idempotent ?? under.idempotent,
    tracing: settings.tracing ?? under.tracing,
    retry: settings.retry ?? under.retry,
    loadBalancing: settings.loadBalancing ?? under.loadBalancing,
    speculative
  }
}

/**
 * The session's defaults and profiles, and the resolution of each request's options over them: the
 * call's (with its statement's) over the profile's over the session's `defaults` and policies over the
 * constants of `ExecutionProfile.ts`.
 *
 * @since 0.1.0
 */
export class RequestDefaults {
  private readonly defaults: ExecuteOptions<any>
  /** The settings of requests without a profile. */
  private readonly base: ProfileBase
  private readonly profiles: ReadonlyMap<string, ProfileBase>
  /** `defaults.profile`: the profile of requests that name none (and run outside `ExecutionProfile.with`). */
  private readonly defaultProfile: string | undefined
  /** The resolution of a call without options, without a profile and per profile. */
  private readonly plain: ResolvedRequest
  private readonly plainByProfile: ReadonlyMap<string, ResolvedRequest>

  private constructor(defaults: ExecuteOptions<any>, base: ProfileBase, profiles: ReadonlyMap<string, ProfileBase>) {
    this.defaults = defaults
    this.base = base
    this.profiles = profiles
    this.defaultProfile = defaults.profile
    const plainByProfile = new Map<string, ResolvedRequest>()
    for (const [name, profile] of profiles) plainByProfile.set(name, this.over(emptyCall, profile) as ResolvedRequest)
    this.plainByProfile = plainByProfile
    this.plain = this.defaultProfile === undefined ? this.over(emptyCall, base) as ResolvedRequest : plainByProfile.get(this.defaultProfile)!
  }

  /**
   * Validates the session's defaults and profiles (a bad one is an error when the session starts).
   * `speculative` is the session's speculative execution policy (the `SpeculativeExecutionPolicy`
   * reference), under its `defaults`.
   */
  static make(
    defaults: ExecuteOptions<any> | undefined,
    profiles?: Readonly<Record<string, ExecutionProfile>> | undefined,
    speculative?: SpeculativeExecutionPolicyShape | undefined
  ): RequestDefaults | E.InvalidInput {
    const d = defaults ?? {}
    const policy = speculativeOf(speculative, undefined, "SpeculativeExecutionPolicy")
    if (policy instanceof E.InvalidInput) return policy
    const constants: ProfileBase = {
      name: undefined,
      consistency: Consistency[defaultConsistency],
      serialConsistency: undefined,
      timeoutMillis: defaultTimeoutMillis,
      fetchSize: defaultFetchSize,
      idempotent: false,
      tracing: false,
      retry: undefined,
      loadBalancing: undefined,
      speculative: policy
    }
    const base = profileOver(d, constants, "defaults", undefined)
    if (base instanceof E.InvalidInput) return base
    const byName = new Map<string, ProfileBase>()
    for (const name of Object.keys(profiles ?? {})) {
      const profile = profileOver(profiles![name]!, base, `profiles.${name}`, name)
      if (profile instanceof E.InvalidInput) return profile
      byName.set(name, profile)
    }
    if (d.profile !== undefined && !byName.has(d.profile)) return unknownProfile(d.profile, "defaults.profile", byName)
    const made = new RequestDefaults(d, base, byName)
    // the other defaults are checked as a call without options would be
    const plain = made.resolve({}, undefined)
    return plain instanceof E.InvalidInput ? plain : made
  }

  /**
   * One request's options: `call` (with its statement's) over the profile it names, else the profile
   * `scoped` by `ExecutionProfile.with`, else the session's default one. A call without options and
   * without a scoped profile allocates nothing.
   */
  resolve(call: ExecuteOptions<any> | BatchOptions | undefined, scoped: string | undefined): ResolvedRequest | E.InvalidInput {
    if (call === undefined) {
      if (scoped === undefined) return this.plain
      return this.plainByProfile.get(scoped) ?? unknownProfile(scoped, "ExecutionProfile.with", this.profiles)
    }
    const name = call.profile ?? scoped ?? this.defaultProfile
    if (name === undefined) return this.over(call, this.base)
    const profile = this.profiles.get(name)
    if (profile === undefined) return unknownProfile(name, call.profile !== undefined ? "options.profile" : "ExecutionProfile.with", this.profiles)
    return this.over(call, profile)
  }

  /** The call's options over a profile's settings. */
  private over(call: ExecuteOptions<any> & BatchOptions, base: ProfileBase): ResolvedRequest | E.InvalidInput {
    const c = call
    const d = this.defaults
    const timeoutMillis = timeoutMillisOf(c.timeout, base.timeoutMillis, "options.timeout")
    if (typeof timeoutMillis !== "number") return timeoutMillis
    const consistency = c.consistency === undefined ? base.consistency : consistencyCode(c.consistency, "options.consistency")
    if (typeof consistency !== "number") return consistency
    const serialConsistency = c.serialConsistency === undefined ? base.serialConsistency : serialCode(c.serialConsistency, "options.serialConsistency")
    if (serialConsistency instanceof E.InvalidInput) return serialConsistency
    const speculative = speculativeOf(c.speculativeExecution, base.speculative, "options.speculativeExecution")
    if (speculative instanceof E.InvalidInput) return speculative
    const batchType = batchTypeCode(c.type)
    if (typeof batchType !== "number") return batchType
    const attemptTimeoutMillis = timeoutMillisOf(c.attemptTimeout ?? d.attemptTimeout, timeoutMillis / 2, "options.attemptTimeout")
    if (typeof attemptTimeoutMillis !== "number") return attemptTimeoutMillis
    const fetchSize = c.fetchSize ?? base.fetchSize
    // 0 or less would be read by Cassandra as "unpaged": every row in one answer
    if (!(Number.isInteger(fetchSize) && fetchSize > 0 && fetchSize <= 0x7fffffff)) {
      return new E.InvalidInput({ message: `options.fetchSize: not a positive page size: ${String(fetchSize)}`, path: "options.fetchSize", expected: "an integer in 1..2^31-1" })
    }
    return {
      consistency,
      serialConsistency,
      timeoutMillis,
      attemptTimeoutMillis,
      fetchSize,
      timestamp: c.timestamp ?? d.timestamp,
      idempotent: c.idempotent ?? base.idempotent,
      tracing: c.tracing ?? base.tracing,
      customPayload: c.customPayload ?? d.customPayload,
      keyspace: c.keyspace ?? d.keyspace,
      host: c.host ?? d.host,
      routingKey: c.routingKey ?? d.routingKey,
      speculative,
      observeLatency: speculative?.observe,
      retry: c.retry ?? base.retry,
      loadBalancing: base.loadBalancing,
      profile: base.name,
      schema: c.schema ?? d.schema,
      prepare: c.prepare ?? d.prepare ?? false,
      pagingState: c.pagingState ?? d.pagingState,
      batchType
    }
  }
}

const emptyCall: ExecuteOptions<any> = {}

const unknownProfile = (name: string, path: string, profiles: ReadonlyMap<string, unknown>): E.InvalidInput =>
  new E.InvalidInput({
    message: `${path}: unknown execution profile ${JSON.stringify(name)} (the session's profiles: ${profiles.size === 0 ? "none" : [...profiles.keys()].join(", ")})`,
    path,
    expected: "the name of one of the session's profiles"
  })

/**
 * The options of the driver's own PREPARE requests: idempotent, untraced, with the internal timeout.
 *
 * @since 0.1.0
 */
export const prepareOptions: ResolvedRequest = {
  consistency: Consistency.ONE,
  serialConsistency: undefined,
  timeoutMillis: internalRequestTimeoutMillis,
  attemptTimeoutMillis: internalRequestTimeoutMillis / 2,
  fetchSize: defaultFetchSize,
  timestamp: false,
  idempotent: true,
  tracing: false,
  customPayload: undefined,
  keyspace: undefined,
  host: undefined,
  routingKey: undefined,
  speculative: undefined,
  observeLatency: undefined,
  retry: undefined,
  loadBalancing: undefined,
  profile: undefined,
  schema: undefined,
  prepare: false,
  pagingState: undefined,
  batchType: 0
}
