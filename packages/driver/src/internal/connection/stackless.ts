/**
 * Errors the driver raises for many requests at once, from its timers rather than from a request's
 * own path: the deadline sweeps of connections and host queues, a queue handed back when its host lost
 * every connection. They are made without a stack trace (it would only show the sweeper's timer) and
 * one is shared by the requests that fail for the same reason in the same pass, as `Connection.fail`
 * shares its error: after a burst, capturing a stack per request (~15 µs each) made failing a million
 * requests cost more CPU than serving them, and starved the requests that could still succeed.
 *
 * It does not decide what fails (the connection and the queue do).
 *
 * @since 0.2.0
 * @internal
 */
import * as E from "../../Errors.ts"

/**
 * `make()` with `Error.stackTraceLimit` at 0 (restored after, also when it throws).
 *
 * @since 0.2.0
 */
export const stackless = <A>(make: () => A): A => {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return make()
  } finally {
    Error.stackTraceLimit = limit
  }
}

/**
 * The `OperationTimedOut` of requests whose deadline passed in one sweep, one per timeout and host:
 * `get(timeoutMillis)` makes it on first use (requests of a pass mostly share their timeout).
 *
 * @since 0.2.0
 */
export class TimeoutsOfOnePass {
  private readonly host: string
  private readonly detail: string
  private lastMillis = -1
  private last: E.OperationTimedOut | undefined = undefined

  constructor(host: string, detail: string) {
    this.host = host
    this.detail = detail
  }

  get(timeoutMillis: number): E.OperationTimedOut {
    if (this.last !== undefined && this.lastMillis === timeoutMillis) return this.last
    const host = this.host
    const message = timeoutMillis > 0 ? `no answer within ${timeoutMillis} ms${this.detail}` : `client-side timeout${this.detail}`
    this.last = stackless(() => new E.OperationTimedOut({ message, host, timeoutMillis }))
    this.lastMillis = timeoutMillis
    return this.last
  }
}
