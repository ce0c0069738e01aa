/**
 * A connection's judgements on its own health (closed as dead after `defunctTimeoutThreshold` timeouts
 * in a row, retired past `maxOrphanedRequests` orphaned ids) wait for the next sweep to confirm them.
 * The sweeps are called by hand with the clock's time (what the shared sweeper does every 25 ms), over
 * an in-memory socket that answers when the test says so: this is how a sweep runs late, after the
 * event loop was busy (a burst of requests being started), with the answers unread in the socket.
 */
import { encodeResponse } from "@effect-cassandra/protocol/Frames"
import type { Request } from "@effect-cassandra/protocol/Messages"
import { describe, expect, it } from "@effect/vitest"
import type * as Clock from "effect/Clock"
import * as Result from "effect/Result"
import { Duplex } from "node:stream"
import type * as E from "../src/Errors.ts"
import { Connection, type ResponseHandler } from "../src/internal/connection/Connection.ts"

const options: Request = { _tag: "Options" }

/** A connection over an in-memory socket and a clock the test sets. */
const open = (settings: { readonly defunctTimeoutThreshold?: number; readonly maxOrphanedRequests?: number }) => {
  let now = 0
  const clock = { currentTimeMillisUnsafe: () => now } as unknown as Clock.Clock
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback()
    }
  })
  const conn = new Connection(socket, { host: "127.0.0.1", port: 9042, version: 4, ...settings }, clock)
  const outcomes: Array<string> = []
  const errors: Array<E.RequestError | E.InvalidInput> = []
  /** `n` requests (stream ids 0..n-1 on a fresh connection) that time out at `deadline`. */
  const send = (n: number, deadline: number) => {
    for (let i = 0; i < n; i++) {
      const handler: ResponseHandler = {
        columns: undefined,
        deadline,
        timeoutMillis: deadline - now,
        onResponse: () => void outcomes.push("Success"),
        onFailure: (e) => {
          outcomes.push(e._tag)
          errors.push(e)
        }
      }
      conn.sendWith(options, handler, undefined, undefined)
    }
  }
  /** The host answers stream ids 0..n-1 (read on the next turn of the event loop). */
  const answer = async (n: number) => {
    for (let id = 0; id < n; id++) {
      const frame = encodeResponse(4, id, { _tag: "Result", result: { kind: "Void" } })
      if (Result.isFailure(frame)) throw new Error(frame.failure.message)
      socket.push(frame.success)
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  const sweepAt = (t: number) => {
    now = t
    conn.sweep(t)
  }
  return { conn, send, answer, sweepAt, outcomes, errors }
}

const countBy = (xs: ReadonlyArray<string>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const x of xs) out[x] = (out[x] ?? 0) + 1
  return out
}

describe("a sweep that runs late, after the event loop was busy", () => {
  it("times out the requests past their deadline, but neither closes nor retires the connection whose answers were waiting", async () => {
    const c = open({ defunctTimeoutThreshold: 4, maxOrphanedRequests: 8 })
    c.send(10, 100)
    // the loop was busy until t=5000: the first sweep since finds every request past its deadline
    c.sweepAt(5000)
    expect(countBy(c.outcomes)).toEqual({ OperationTimedOut: 10 })
    expect(c.conn.orphaned).toBe(10)
    expect(c.conn.closed).toBeUndefined()
    expect(c.conn.retiring).toBe(false)
    // the errors of one sweep: one shared error with the timeout, the host and no stack beyond its message
    const first = c.errors[0] as E.OperationTimedOut
    expect(c.errors.every((e) => e === first)).toBe(true)
    expect(first).toMatchObject({ _tag: "OperationTimedOut", host: "127.0.0.1:9042", timeoutMillis: 100, message: "no answer within 100 ms" })
    // the answers that were waiting in the socket are read before the next sweep: the host is alive
    await c.answer(10)
    c.sweepAt(5025)
    expect(c.conn.closed).toBeUndefined()
    expect(c.conn.retiring).toBe(false)
    expect(c.conn.orphaned).toBe(0)
    expect(c.conn.inFlight).toBe(0)
    // late answers change no outcome
    expect(countBy(c.outcomes)).toEqual({ OperationTimedOut: 10 })
  })

  it("a host that sent nothing by the next sweep: the connection is closed as dead", async () => {
    const c = open({ defunctTimeoutThreshold: 4, maxOrphanedRequests: 0 })
    c.send(10, 100)
    c.sweepAt(5000)
    expect(c.conn.closed).toBeUndefined()
    await new Promise((resolve) => setImmediate(resolve))
    c.sweepAt(5025)
    expect(c.conn.closed?.message).toMatch(/10 requests in a row timed out without any answer/)
  })

  it("orphaned ids still over maxOrphanedRequests at the next sweep: the connection retires", async () => {
    const c = open({ defunctTimeoutThreshold: 0, maxOrphanedRequests: 8 })
    c.send(10, 100)
    c.sweepAt(5000)
    expect(c.conn.retiring).toBe(false)
    // two late answers: 8 orphans left, still the bound
    await c.answer(2)
    c.sweepAt(5025)
    expect(c.conn.retiring).toBe(true)
    expect(c.conn.accepting).toBe(false)
  })

  it("data from the host between two sweeps lifts the suspicion: timeouts in a row count again from the answer", async () => {
    const c = open({ defunctTimeoutThreshold: 4, maxOrphanedRequests: 0 })
    c.send(4, 100)
    c.sweepAt(5000)
    // a late answer: the host is alive, the count starts again
    await c.answer(1)
    c.send(4, 5010)
    // 4 more in a row: suspected again, not closed at once
    c.sweepAt(5025)
    expect(c.conn.closed).toBeUndefined()
    await new Promise((resolve) => setImmediate(resolve))
    c.sweepAt(5050)
    expect(c.conn.closed?.message).toMatch(/4 requests in a row timed out without any answer/)
  })
})
