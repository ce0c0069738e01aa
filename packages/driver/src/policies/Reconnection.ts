/**
 * Reconnection: the delays between attempts to reconnect to a down host, or the control connection,
 * as a `Schedule` (the Python driver's `reconnection_policy`). Its end stops the attempts.
 *
 * It does not decide when a host is down (pools do) nor open connections.
 *
 * @since 0.1.0
 */
import * as Schedule from "effect/Schedule"

/**
 * The default: exponential from 1 s, capped at 10 min, jittered.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultSchedule: Schedule.Schedule<unknown, unknown> = Schedule.min([
  Schedule.exponential("1 second"),
  Schedule.spaced("10 minutes")
]).pipe(Schedule.jittered) as Schedule.Schedule<unknown, unknown>
