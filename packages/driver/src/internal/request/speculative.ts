/**
 * Speculative execution: while no answer came, the same request starts on the next host of the same
 * plan after each delay of the policy's `Schedule` (`policies/SpeculativeExecution.ts`), up to
 * `maxExecutions` extra executions. Every execution runs under the request's retry policy, and the
 * first to end decides: a success wins, and a failure the policy rethrew (or bad input, a passed
 * deadline) ends them all, so a SyntaxError is one request. Only an execution that ran out of hosts
 * (`NoHostAvailable`: the plan is shared, so no later one can start either) leaves the others running.
 * The losers are interrupted; their stream ids stay reserved until their late answers arrive.
 *
 * It does not decide whether a request may speculate (the executor does, from its options).
 *
 * @since 0.1.0
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as E from "../../Errors.ts"
import type { Host } from "../../Host.ts"
import type { SpeculativeExecutionPolicyShape } from "../../policies/SpeculativeExecution.ts"
import type { RequestPlan } from "./plan.ts"
import { type ExecutionContext, RequestExecution } from "./RequestExecution.ts"

/**
 * The executions of one request racing over one plan: how many run, whether the plan ran out, and the
 * outcome the first decisive one gives.
 *
 * @since 0.2.0
 */
export class SpeculativeRace {
  private readonly ctx: ExecutionContext
  private readonly plan: RequestPlan
  private readonly hosts: Iterator<Host>
  /** One record of each host's error for all executions, as they share the plan. */
  private readonly errors: Record<string, unknown> = {}
  private readonly outcome: Deferred.Deferred<unknown, E.CassandraError>
  private running = 0
  private exhausted = false
  private settled = false

  constructor(ctx: ExecutionContext, plan: RequestPlan, hosts: Iterator<Host>, outcome: Deferred.Deferred<unknown, E.CassandraError>) {
    this.ctx = ctx
    this.plan = plan
    this.hosts = hosts
    this.outcome = outcome
  }

  /** The plan's span and metrics record, if observed (speculative executions are counted there). */
  get observation(): RequestPlan["observation"] {
    return this.plan.observation
  }

  /** Whether another execution may start: no outcome yet, and hosts left in the plan. */
  get open(): boolean {
    return !this.settled && !this.exhausted
  }

  /** One more execution over the shared plan; its end goes to `settle`. */
  execution(): Effect.Effect<void> {
    this.running++
    return Effect.flatMap(Effect.exit(RequestExecution.run(this.ctx, this.plan, this.hosts, this.errors)), (exit) => this.settle(exit))
  }

  /** The end of one execution: decisive unless it only ran out of hosts while others still run. */
  private settle(exit: Exit.Exit<unknown, E.CassandraError>): Effect.Effect<void> {
    this.running--
    if (this.settled) return Effect.void
    if (Exit.isFailure(exit)) {
      const reason = exit.cause.reasons[0]
      if (reason !== undefined && reason._tag === "Fail" && reason.error._tag === "NoHostAvailable") {
        this.exhausted = true
        if (this.running > 0) return Effect.void
      }
    }
    this.settled = true
    return Effect.asVoid(Deferred.done(this.outcome, exit))
  }
}

/**
 * Races the executions of `plan` on the hosts of `hosts`, the extra ones after the delays of
 * `policy.delays(first host of the plan)`.
 *
 * @since 0.1.0
 */
export const speculate = (
  ctx: ExecutionContext,
  plan: RequestPlan,
  hosts: Iterator<Host>,
  policy: SpeculativeExecutionPolicyShape
): Effect.Effect<unknown, E.CassandraError> => {
  const first = hosts.next()
  if (first.done === true) return RequestExecution.run(ctx, plan, hosts, undefined)
  const schedule = policy.delays(first.value)
  const all = withFirst(first.value, hosts)
  return Effect.scoped(Effect.gen(function*() {
    const outcome = yield* Deferred.make<unknown, E.CassandraError>()
    const race = new SpeculativeRace(ctx, plan, all, outcome)
    yield* Effect.forkScoped(race.execution(), { startImmediately: true })
    yield* Effect.forkScoped(launchExtra(race, schedule, policy.maxExecutions, ctx))
    return yield* Deferred.await(outcome)
  }))
}

/** Starts an extra execution after each step of the schedule, while the race is open, up to `max`. */
const launchExtra = (
  race: SpeculativeRace,
  schedule: Schedule.Schedule<unknown>,
  max: number,
  ctx: ExecutionContext
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const step = yield* Schedule.toStepWithSleep(schedule)
    for (let i = 0; i < max; i++) {
      const stepped = yield* Effect.exit(step(undefined))
      if (Exit.isFailure(stepped) || !race.open) return
      yield* ctx.instruments.speculativeStarted(race.observation)
      yield* Effect.forkScoped(race.execution(), { startImmediately: true })
    }
  })

/** The plan's hosts with its first one (taken to choose the delays) put back in front. */
const withFirst = (first: Host, rest: Iterator<Host>): Iterator<Host> => {
  let taken = false
  return {
    next: () => {
      if (taken) return rest.next()
      taken = true
      return { done: false, value: first }
    }
  }
}
