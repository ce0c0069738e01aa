/**
 * Speculative execution: while no answer came, the same request starts on the next host of the same
 * plan every `delay`, up to `maxExecutions` extra executions (idempotent requests only). The first
 * success wins and the others are interrupted; their stream ids stay reserved until their late
 * answers arrive.
 *
 * It does not decide whether a request may speculate (the executor does, from its options).
 *
 * @since 0.1.0
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as E from "../../Errors.ts"
import type { Host } from "../../Host.ts"
import type { SpeculativeExecution } from "../../Statement.ts"
import type { RequestPlan } from "./plan.ts"
import { type ExecutionContext, RequestExecution } from "./RequestExecution.ts"

/**
 * Races the executions of `plan` on the hosts of `hosts`.
 *
 * @since 0.1.0
 */
export const speculate = (
  ctx: ExecutionContext,
  plan: RequestPlan,
  hosts: Iterator<Host>,
  spec: SpeculativeExecution
): Effect.Effect<unknown, E.CassandraError> => {
  const delayOption = Duration.fromInput(spec.delay)
  if (Option.isNone(delayOption)) {
    return Effect.fail(new E.InvalidInput({ message: `speculativeExecution.delay: not a duration: ${String(spec.delay)}`, path: "options.speculativeExecution.delay", expected: "a Duration input" }))
  }
  const delay = delayOption.value
  // one record of each host's error for all executions, as they share the plan
  const errors: Record<string, unknown> = {}
  const executions: Array<Effect.Effect<unknown, E.CassandraError>> = [RequestExecution.run(ctx, plan, hosts, errors)]
  for (let i = 1; i <= spec.maxExecutions; i++) {
    executions.push(Effect.delay(
      Effect.andThen(Effect.suspend(() => ctx.instruments.speculativeStarted(plan.observation)), RequestExecution.run(ctx, plan, hosts, errors)),
      Duration.times(delay, i)
    ))
  }
  return Effect.raceAll(executions)
}
