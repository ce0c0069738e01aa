/**
 * Session throttlers on mock hosts, in virtual time: the concurrency limiter, the rate limiter and the
 * adaptive (Vegas) limiter, their queues' bounds and `RequestThrottled`, and bad options.
 */
import { Session, Throttling } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { TestClock } from "effect/testing"
import { tick } from "./helpers/mock.ts"

const slow = "SELECT * FROM app.slow"

const withThrottler = (throttler: Throttling.Throttler) =>
  Session.layer({ throttler }).pipe(
    Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false })),
    Layer.provideMerge(MockCluster.layer({ hosts: 1 }))
  )

const settle = Effect.gen(function*() {
  for (let i = 0; i < 5; i++) yield* tick
})

const arrived = Effect.map(MockCluster.activity({ query: slow }), (a) => a.length)

const outcome = <R>(effect: Effect.Effect<unknown, { readonly _tag: string }, R>) =>
  Effect.match(effect, { onFailure: (e) => e._tag, onSuccess: () => "Success" })

describe("concurrencyLimit", () => {
  const throttler = Throttling.concurrencyLimit({ maxInFlight: 2, maxQueued: 3 })
  it.effect("at most maxInFlight at the host, maxQueued waiting, RequestThrottled past them", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: slow, then: Answer.delayed("1 second", Answer.void) })
      const fibers = yield* Effect.forEach(Array.from({ length: 5 }), () => Effect.forkChild(outcome(Session.execute(slow))))
      yield* settle
      expect(yield* arrived).toBe(2)
      expect(throttler.inFlight).toBe(2)
      expect(throttler.queued).toBe(3)
      const refused = yield* Effect.flip(Session.execute(slow))
      expect(refused._tag).toBe("RequestThrottled")
      if (refused._tag === "RequestThrottled") {
        expect(refused.throttler).toBe("concurrency")
        expect(refused.limit).toBe(2)
        expect(refused.maxQueued).toBe(3)
      }
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(yield* arrived).toBe(4)
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(yield* arrived).toBe(5)
      yield* TestClock.adjust("1 second")
      expect(yield* Effect.forEach(fibers, Fiber.join)).toEqual(["Success", "Success", "Success", "Success", "Success"])
      expect(throttler.inFlight).toBe(0)
    }).pipe(Effect.provide(withThrottler(throttler))))

  it.effect("an interrupted waiter leaves the queue and takes no permit", () => {
    const t = Throttling.concurrencyLimit({ maxInFlight: 1, maxQueued: 1 })
    return Effect.gen(function*() {
      yield* MockCluster.prime({ query: slow, then: Answer.delayed("1 second", Answer.void) })
      const first = yield* Effect.forkChild(Session.execute(slow))
      yield* settle
      const waiting = yield* Effect.forkChild(Session.execute(slow))
      yield* settle
      expect(t.queued).toBe(1)
      yield* Fiber.interrupt(waiting)
      expect(t.queued).toBe(0)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(first)
      expect(t.inFlight).toBe(0)
      expect(yield* arrived).toBe(1)
    }).pipe(Effect.provide(withThrottler(t)))
  })
})

describe("rateLimit", () => {
  it.effect("perSecond requests a second, evenly spaced; RequestThrottled past maxQueued", () => {
    const throttler = Throttling.rateLimit({ perSecond: 10, maxQueued: 15 })
    return Effect.gen(function*() {
      const fibers = yield* Effect.forEach(Array.from({ length: 16 }), () => Effect.forkChild(outcome(Session.execute(slow))))
      yield* settle
      // the first at once, 15 waiting for their slot, every 100 ms
      expect(yield* arrived).toBe(1)
      expect(throttler.queued).toBe(15)
      expect((yield* Effect.flip(Session.execute(slow)))._tag).toBe("RequestThrottled")
      yield* TestClock.adjust("500 millis")
      yield* settle
      expect(yield* arrived).toBe(6)
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(yield* arrived).toBe(16)
      expect(new Set(yield* Effect.forEach(fibers, Fiber.join))).toEqual(new Set(["Success"]))
      const at = (yield* MockCluster.activity({ query: slow })).map((a) => a.at)
      for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBe(100)
    }).pipe(Effect.provide(withThrottler(throttler)))
  })
})

describe("adaptive", () => {
  it.effect("the limit grows while latency stays at its lowest, shrinks when latency rises, backs off on timeouts", () => {
    const throttler = Throttling.adaptive({ initialLimit: 10, maxLimit: 200, probeInterval: 1000 })
    return Effect.gen(function*() {
      const prime = yield* MockCluster.prime({ query: slow, then: Answer.delayed("10 millis", Answer.void) })
      /** `rounds` times: as many requests as the limit, all at once, then the latency passes. */
      const load = (rounds: number, latency: "10 millis" | "100 millis") =>
        Effect.gen(function*() {
          for (let r = 0; r < rounds; r++) {
            const fibers = yield* Effect.forEach(Array.from({ length: throttler.limit }), () => Effect.forkChild(outcome(Session.execute(slow, [], { timeout: "1 second" }))))
            yield* settle
            yield* TestClock.adjust(latency)
            yield* Effect.forEach(fibers, Fiber.join)
          }
        })
      yield* load(20, "10 millis")
      const grown = throttler.limit
      expect(grown).toBeGreaterThan(10)
      // the server slows down tenfold: requests queue there, the limit comes down
      yield* prime.remove
      yield* MockCluster.prime({ query: slow, then: Answer.delayed("100 millis", Answer.void) })
      yield* load(20, "100 millis")
      const shrunk = throttler.limit
      expect(shrunk).toBeLessThan(grown)
      // timeouts: the limit backs off by 0.9 per dropped request
      yield* MockCluster.prime({ query: slow, then: Answer.noAnswer })
      const fibers = yield* Effect.forEach(Array.from({ length: 3 }), () => Effect.forkChild(outcome(Session.execute(slow, [], { timeout: "1 second" }))))
      yield* settle
      yield* TestClock.adjust("1100 millis")
      expect(yield* Effect.forEach(fibers, Fiber.join)).toEqual(["OperationTimedOut", "OperationTimedOut", "OperationTimedOut"])
      expect(throttler.limit).toBeLessThan(shrunk)
      expect(throttler.inFlight).toBe(0)
    }).pipe(Effect.provide(withThrottler(throttler)))
  }, 60_000)
})

describe("bad options", () => {
  for (
    const [name, throttler] of [
      ["maxInFlight 0", Throttling.concurrencyLimit({ maxInFlight: 0 })],
      ["perSecond -1", Throttling.rateLimit({ perSecond: -1 })],
      ["maxQueued 1.5", Throttling.rateLimit({ perSecond: 1, maxQueued: 1.5 })],
      ["backoffRatio 2", Throttling.adaptive({ backoffRatio: 2 })],
      ["minLimit > maxLimit", Throttling.adaptive({ minLimit: 10, maxLimit: 5 })]
    ] as const
  ) {
    it.effect(`${name}: the session fails with InvalidInput`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Layer.build(withThrottler(throttler)))
        expect(error._tag).toBe("InvalidInput")
        expect(error.message).toMatch(/throttler/)
      }).pipe(Effect.scoped))
  }
})
