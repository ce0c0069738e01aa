/**
 * Back-pressure on mock hosts, in virtual time: the per-host queue of requests waiting for a stream id
 * (and its bound), waiting requests whose deadline passed (never sent, each failed at its own deadline),
 * writes held back by a peer that stopped reading, orphaned stream ids (reclaimed by late answers, the
 * connection replaced past `maxOrphanedRequests`), and the bounded prepared cache.
 */
import { Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { TestClock } from "effect/testing"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { env, eventually, tick } from "./helpers/mock.ts"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

const slow = "SELECT * FROM app.slow"
const fast = "SELECT * FROM app.fast"
const IDS = 32768

/** The tag of a failed exit, or "Success". */
const outcome = <R>(effect: Effect.Effect<unknown, { readonly _tag: string }, R>) =>
  Effect.match(effect, { onFailure: (e) => e._tag, onSuccess: () => "Success" })

const countBy = (xs: ReadonlyArray<string>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const x of xs) out[x] = (out[x] ?? 0) + 1
  return out
}

/**
 * Waits (real event-loop turns) until `count` requests for `query` reached the hosts; unlike
 * `awaitActivity`, which reads the log again on each new entry, it reads it once per turn.
 */
const arrived = (query: string, count: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000; i++) {
      if ((yield* MockCluster.activity({ query })).length >= count) return
      yield* tick
    }
    throw new Error(`${count} requests never arrived`)
  })

/** Lets the fibers started by the last answers or timeouts run (real event-loop turns). */
const settle = Effect.gen(function*() {
  for (let i = 0; i < 5; i++) yield* tick
})

describe("the per-host queue", () => {
  it.effect("100,000 requests started at once on one connection all succeed with the defaults", () =>
    Effect.gen(function*() {
      const p = yield* Session.prepare(fast)
      const results = yield* Effect.forEach(Array.from({ length: 100_000 }), () => outcome(Session.execute(p)), { concurrency: "unbounded" })
      expect(countBy(results)).toEqual({ Success: 100_000 })
    }).pipe(Effect.provide(env({ hosts: 1, activityLimit: 0 }))), 120_000)

  it.effect("past maxQueuedRequests a request fails at once with HostBusy naming the host and the bound; the waiting ones time out", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: slow, then: Answer.noAnswer })
      const fibers = yield* Effect.forEach(
        Array.from({ length: IDS + 100 }),
        () => Effect.forkChild(outcome(Session.execute(slow, [], { timeout: "5 seconds" })))
      )
      yield* arrived(slow, IDS)
      const busy = yield* Effect.flip(Session.execute(slow, [], { timeout: "5 seconds" }))
      expect(busy._tag).toBe("HostBusy")
      if (busy._tag !== "HostBusy") return
      expect(busy.host).toBe("127.0.0.1:9042")
      expect(busy.maxQueuedRequests).toBe(100)
      expect(busy.message).toMatch(/127\.0\.0\.1:9042.*100 requests/)
      yield* TestClock.adjust("5100 millis")
      const results = yield* Effect.forEach(fibers, Fiber.join)
      expect(countBy(results)).toEqual({ OperationTimedOut: IDS + 100 })
      // the queued ones were never sent
      expect((yield* MockCluster.activity({ query: slow })).length).toBe(IDS)
    }).pipe(Effect.provide(env({ hosts: 1, activityLimit: 40_000 }, { maxQueuedRequests: 100, defunctTimeoutThreshold: 0, maxOrphanedRequests: 0 }))), 120_000)

  it.effect("a waiting request is sent when a stream id frees; an interrupted one leaves the queue unsent", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: slow, then: Answer.delayed("1 second", Answer.void) })
      yield* MockCluster.prime({ query: fast, then: Answer.rows({ v: "text" }, [{ v: "queued" }]) })
      const inFlight = yield* Effect.forEach(Array.from({ length: IDS }), () => Effect.forkChild(outcome(Session.execute(slow))))
      yield* arrived(slow, IDS)
      const waiting = yield* Effect.forkChild(Session.execute(fast))
      const interrupted = yield* Effect.forkChild(Session.execute(fast))
      yield* settle
      expect((yield* MockCluster.activity({ query: fast })).length).toBe(0)
      yield* Fiber.interrupt(interrupted)
      yield* TestClock.adjust("1 second")
      const rs = yield* Fiber.join(waiting)
      expect(rs.rows).toEqual([{ v: "queued" }])
      expect(countBy(yield* Effect.forEach(inFlight, Fiber.join))).toEqual({ Success: IDS })
      yield* settle
      expect((yield* MockCluster.activity({ query: fast })).length).toBe(1)
    }).pipe(Effect.provide(env({ hosts: 1, activityLimit: 40_000 }))), 120_000)

  it.effect("with a second host free, a saturated host's requests go there instead of waiting", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: slow, then: Answer.noAnswer, host: 0 })
      yield* MockCluster.prime({ query: slow, then: Answer.void, host: 1 })
      // round robin: about half start on host 0, which never answers, until its 32768 ids are taken
      const fibers = yield* Effect.forEach(
        Array.from({ length: 2 * IDS + 4000 }),
        () => Effect.forkChild(outcome(Session.execute(slow, [], { timeout: "10 seconds" })))
      )
      yield* settle
      // these would wait (the clock does not move) if any were sent to, or queued for, host 0
      const all = yield* Effect.forEach(Array.from({ length: 20 }), () => outcome(Session.execute(slow, [], { timeout: "10 seconds" })))
      expect(countBy(all)).toEqual({ Success: 20 })
      yield* TestClock.adjust("10 seconds")
      yield* Effect.forEach(fibers, Fiber.join)
    }).pipe(Effect.provide(env({ hosts: 2, activityLimit: 0 }, { defunctTimeoutThreshold: 0, maxOrphanedRequests: 0 }))), 120_000)
})

describe("waiting requests whose deadline passed", () => {
  // The host stops reading: ~1000 requests of 4 KiB fill the connection's pending batch (4 MiB), the
  // rest wait in the host's queue. The clock only moves with TestClock, so nothing is swept in between.
  const saturate = (timeout: Duration.Input) => Effect.gen(function*() {
    const insert = yield* Session.prepare("INSERT INTO app.kv (k, v) VALUES (?, ?)")
    const value = new Uint8Array(4096)
    yield* Session.execute(insert, [0, value])
    yield* MockCluster.stopReading(0)
    const held = yield* Effect.forEach(
      Array.from({ length: 1500 }, (_, i) => i),
      (i) => Effect.forkChild(outcome(Session.execute(insert, [i, value], { timeout })))
    )
    yield* settle
    return held
  })
  const fastSent = Effect.map(MockCluster.activity({ query: fast }), (a) => a.length)
  const environment = env(
    { hosts: 1, activityLimit: 0, tables: { "app.kv": { k: "int", v: "blob" } } },
    { defunctTimeoutThreshold: 0, maxOrphanedRequests: 0, compression: false }
  )

  it.effect("one that expired after the last sweep is failed in its turn when the connection takes requests again, never sent", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: fast, then: Answer.void })
      const held = yield* saturate("10 seconds")
      const late = yield* Effect.forkChild(Effect.flip(Session.execute(fast, [], { timeout: "110 millis" })))
      yield* settle
      // past its deadline (110 ms), before the sweep of 125 ms
      yield* TestClock.adjust("111 millis")
      yield* MockCluster.resumeReading(0)
      const error = yield* Fiber.join(late)
      expect(error).toMatchObject({ _tag: "OperationTimedOut", timeoutMillis: 110, host: "127.0.0.1:9042" })
      yield* settle
      expect(yield* fastSent).toBe(0)
      expect(countBy(yield* Effect.forEach(held, Fiber.join))).toEqual({ Success: 1500 })
    }).pipe(Effect.provide(environment)), 120_000)

  it.effect("in deadline order: the heads whose deadline passed fail, the later ones keep waiting", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: fast, then: Answer.void })
      // ~500 of these wait, with a deadline at 1 s
      const held = yield* saturate("1 second")
      yield* TestClock.adjust("500 millis")
      const later = yield* Effect.forkChild(outcome(Session.execute(fast, [], { timeout: "1 second" })))
      yield* settle
      yield* TestClock.adjust("510 millis")
      expect(countBy(yield* Effect.forEach(held, Fiber.join))).toEqual({ OperationTimedOut: 1500 })
      expect(later.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("500 millis")
      expect(yield* Fiber.join(later)).toBe("OperationTimedOut")
      yield* MockCluster.resumeReading(0)
      yield* settle
      expect(yield* fastSent).toBe(0)
    }).pipe(Effect.provide(environment)), 120_000)

  it.effect("each times out at its own deadline, in order or not: a shorter timeout queued behind longer ones", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: fast, then: Answer.void })
      const held = yield* saturate("10 seconds")
      const wait = (timeout: Duration.Input) => Effect.forkChild(outcome(Session.execute(fast, [], { timeout })))
      // in order first (1 s, then 5 s), then a 1 s one behind the 5 s one
      const a = yield* wait("1 second")
      const b = yield* wait("5 seconds")
      const c = yield* wait("1 second")
      const d = yield* wait("5 seconds")
      yield* settle
      yield* TestClock.adjust("1010 millis")
      expect(yield* Fiber.join(a)).toBe("OperationTimedOut")
      expect(yield* Fiber.join(c)).toBe("OperationTimedOut")
      expect(b.pollUnsafe()).toBeUndefined()
      expect(d.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("4 seconds")
      expect(yield* Fiber.join(b)).toBe("OperationTimedOut")
      expect(yield* Fiber.join(d)).toBe("OperationTimedOut")
      // the held requests time out at 10 s: none of the waiting ones was ever sent
      yield* TestClock.adjust("5 seconds")
      yield* MockCluster.resumeReading(0)
      yield* settle
      expect(yield* fastSent).toBe(0)
      expect(countBy(yield* Effect.forEach(held, Fiber.join))).toEqual({ OperationTimedOut: 1500 })
    }).pipe(Effect.provide(environment)), 120_000)
})

describe("writes honour socket back-pressure", () => {
  // The connection's writes back up (the host stops reading): requests are encoded into the pending
  // batch until it holds 4 MiB, then wait in the host's queue; every one ends at its timeout. Without
  // back-pressure, the 32768 stream ids' requests (4 KiB each) would pile up in the socket: 137 MB.
  // Orphan replacement and defunct detection are off to see the write path alone (they would replace
  // the stuck connection; the tests below cover them); compression is off so the bytes are what is sent.
  it.effect("a host that stops reading: 1,000,000 attempted requests end as OperationTimedOut with < 64 MB of heap growth", () =>
    Effect.gen(function*() {
      const total = 1_000_000
      const indexes = Array.from({ length: total }, (_, i) => i)
      const value = new Uint8Array(4096).map(() => Math.floor(Math.random() * 256))
      const insert = yield* Session.prepare("INSERT INTO app.kv (k, v) VALUES (?, ?)")
      const options = { timeout: 100 }
      yield* Session.execute(insert, [0, value])
      yield* MockCluster.stopReading(0)
      // what stays reachable (heap and buffers) after a full collection, sampled once per round
      const memory = () => {
        gc()
        const m = process.memoryUsage()
        return m.heapUsed + m.arrayBuffers
      }
      const base = memory()
      let peak = base
      let done = 0
      const tags: Record<string, number> = {}
      const run = yield* Effect.forkChild(Effect.forEach(
        indexes,
        (i) =>
          Effect.map(outcome(Session.execute(insert, [i, value], options)), (tag) => {
            tags[tag] = (tags[tag] ?? 0) + 1
            done++
          }),
        { concurrency: 10_000, discard: true }
      ))
      while (done < total) {
        yield* tick
        peak = Math.max(peak, memory())
        yield* TestClock.adjust("100 millis")
      }
      yield* Fiber.join(run)
      expect(tags).toEqual({ OperationTimedOut: total })
      const growthMiB = (peak - base) / 1048576
      console.log(`stop-reading host: 1,000,000 requests, peak live heap + buffers growth ${growthMiB.toFixed(1)} MiB`)
      expect(growthMiB).toBeLessThan(64)
      // the host reads again: what was held back goes out and the connection serves requests again
      yield* MockCluster.resumeReading(0)
      yield* settle
      expect((yield* Session.execute(insert, [1, value], { timeout: "1 second" })).rows).toEqual([])
    }).pipe(Effect.provide(env(
      { hosts: 1, activityLimit: 0, tables: { "app.kv": { k: "int", v: "blob" } } },
      { defunctTimeoutThreshold: 0, maxOrphanedRequests: 0, compression: false }
    ))), 300_000)
})

describe("orphaned stream ids", () => {
  const timedOut = (n: number, query: string) =>
    Effect.gen(function*() {
      const fibers = yield* Effect.forEach(Array.from({ length: n }), () => Effect.forkChild(outcome(Session.execute(query, [], { timeout: "1 second" }))))
      yield* MockCluster.awaitActivity({ query, count: n })
      yield* TestClock.adjust("1100 millis")
      expect(countBy(yield* Effect.forEach(fibers, Fiber.join))).toEqual({ OperationTimedOut: n })
      yield* MockCluster.clearActivity
    })
  const attempts = MockCluster.MockCluster.use((m) => Effect.map(m.host(0), (h) => h.connectAttempts))

  it.effect("a late answer reclaims its id; past maxOrphanedRequests the connection is replaced and the new one serves", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: slow, then: Answer.delayed("3 seconds", Answer.void) })
      yield* MockCluster.prime({ query: "SELECT * FROM app.dropped", then: Answer.noAnswer })
      const start = yield* attempts
      // 8 orphans, then their late answers free them: 8 more stay under the threshold of 10
      yield* timedOut(8, slow)
      yield* TestClock.adjust("2 seconds")
      yield* settle
      yield* timedOut(8, slow)
      yield* settle
      expect(yield* attempts).toBe(start)
      expect((yield* Session.execute(fast)).rows).toEqual([])
      // 8 still orphaned (no late answer yet) + 2 dropped: the threshold
      yield* timedOut(2, "SELECT * FROM app.dropped")
      const mock = yield* MockCluster.MockCluster
      yield* eventually(() => Effect.runSync(mock.host(0)).connectAttempts === start + 1, "a replacement connection")
      expect((yield* Session.execute(fast)).rows).toEqual([])
    }).pipe(Effect.provide(env({ hosts: 1 }, { maxOrphanedRequests: 10, defunctTimeoutThreshold: 0 }))))

  it.effect("a retiring connection finishes its live requests before it closes; new requests go to its replacement", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: slow, then: Answer.delayed("3 seconds", Answer.rows({ v: "text" }, [{ v: "late but live" }])) })
      yield* MockCluster.prime({ query: "SELECT * FROM app.dropped", then: Answer.noAnswer })
      const start = yield* attempts
      const live = yield* Effect.forkChild(Session.execute(slow, [], { timeout: "10 seconds" }))
      yield* MockCluster.awaitActivity({ query: slow })
      const firstConnection = (yield* MockCluster.activity({ query: slow }))[0]!.connection
      yield* timedOut(5, "SELECT * FROM app.dropped")
      yield* settle
      expect(yield* attempts).toBe(start + 1)
      // the new request goes to the replacement, not the retiring connection
      yield* MockCluster.prime({ query: fast, then: Answer.void })
      yield* Session.execute(fast)
      const fastConnection = (yield* MockCluster.activity({ query: fast }))[0]!.connection
      expect(fastConnection).not.toBe(firstConnection)
      yield* TestClock.adjust("2 seconds")
      expect((yield* Fiber.join(live)).rows).toEqual([{ v: "late but live" }])
      yield* settle
      // the retired connection closed once its live request was answered: the host has the control
      // connection and the replacement
      expect((yield* MockCluster.MockCluster.use((m) => m.host(0))).connections).toBe(2)
    }).pipe(Effect.provide(env({ hosts: 1 }, { maxOrphanedRequests: 5, defunctTimeoutThreshold: 0 }))))
})

describe("the bounded prepared cache", () => {
  it.effect("keeps maxPrepared statements, evicting the least recently used; an evicted one is prepared again when next used", () =>
    Effect.gen(function*() {
      const q = (t: string) => `SELECT * FROM app.${t} WHERE k = ?`
      const prepares = Effect.map(MockCluster.activity({ kind: "prepare" }), (a) => a.map((x) => x.query))
      yield* Session.prepare(q("a"))
      yield* Session.prepare(q("b"))
      yield* Session.prepare(q("a")) // a hit: a is the most recent now
      yield* Session.prepare(q("c")) // evicts b
      yield* Session.prepare(q("a"))
      yield* Session.prepare(q("c"))
      expect(yield* prepares).toEqual([q("a"), q("b"), q("c")])
      const b = yield* Session.prepare(q("b")) // prepared again, evicts a
      expect(yield* prepares).toEqual([q("a"), q("b"), q("c"), q("b")])
      expect((yield* Session.execute(b, [new Uint8Array([1])])).rows).toEqual([])
      yield* Session.execute(q("a"), [new Uint8Array([1])], { prepare: true })
      expect((yield* prepares).filter((x) => x === q("a")).length).toBe(2)
    }).pipe(Effect.provide(
      Session.layer({ maxPrepared: 2 }).pipe(
        Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false })),
        Layer.provideMerge(MockCluster.layer({ hosts: 1 }))
      )
    )))

  it.effect("maxPrepared that is not a positive integer fails the session with InvalidInput", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(
        Session.layer({ maxPrepared: 0 }).pipe(
          Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false })),
          Layer.provideMerge(MockCluster.layer({ hosts: 1 }))
        )
      ))
      expect(error._tag).toBe("InvalidInput")
      expect(error.message).toMatch(/maxPrepared/)
    }).pipe(Effect.scoped))
})
