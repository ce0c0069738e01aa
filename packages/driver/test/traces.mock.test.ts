/**
 * Traces and custom payloads on mock hosts: every page's and every attempt's trace (`tracingIds`,
 * `allTraces`), the consistency of the trace queries, the custom payload merged from the statement and
 * the call, and sent on PREPARE (the mock echoes payloads with `echoCustomPayload`, as Cassandra's
 * mirroring query handler does).
 */
import { Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { TestClock } from "effect/testing"
import { env, tick } from "./helpers/mock.ts"

const q = "SELECT id FROM app.nums"
const ten = Array.from({ length: 10 }, (_, i) => ({ id: i }))
const bytes = (s: string) => new TextEncoder().encode(s)
const text = (payload: ReadonlyMap<string, Uint8Array | null> | undefined) =>
  payload === undefined ? undefined : Object.fromEntries([...payload].map(([k, v]) => [k, v === null ? null : new TextDecoder().decode(v)]))

describe("all query traces", () => {
  it.effect("every page's trace: tracingIds grows page by page, allTraces reads each", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.rows({ id: "int" }, ten) })
      const page1 = yield* Session.execute(q, undefined, { fetchSize: 4, tracing: true })
      const page2 = yield* page1.nextPage
      const page3 = yield* page2.nextPage
      expect(page1.tracingIds).toEqual([page1.tracingId])
      expect(page2.tracingIds).toEqual([page1.tracingId, page2.tracingId])
      expect(page3.tracingIds).toEqual([page1.tracingId, page2.tracingId, page3.tracingId])
      expect(new Set(page3.tracingIds).size).toBe(3)
      const traces = yield* page3.allTraces()
      expect(traces.map((t) => t.sessionId)).toEqual(page3.tracingIds)
      expect(traces.every((t) => t.request === q)).toBe(true)
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("every attempt's trace: a traced error that was retried is among them, before the answer's", () =>
    Effect.gen(function*() {
      // the default policy retries a read timeout once when enough replicas answered but not the data
      yield* MockCluster.prime({ query: q, then: [Answer.readTimeout({ received: 1, blockFor: 1, dataPresent: false }), Answer.rows({ id: "int" }, ten)] })
      const rs = yield* Session.execute(q, undefined, { tracing: true })
      expect(rs.rows.length).toBe(10)
      expect(rs.tracingIds.length).toBe(2)
      expect(rs.tracingIds[1]).toBe(rs.tracingId)
      const traces = yield* rs.allTraces()
      expect(traces.map((t) => t.sessionId)).toEqual(rs.tracingIds)
      expect((yield* MockCluster.activity({ query: q })).map((a) => a.answer)).toEqual(["Error(READ_TIMEOUT)", "Rows(10)"])
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("untraced: no ids, and allTraces is InvalidInput", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.rows({ id: "int" }, ten) })
      const rs = yield* Session.execute(q)
      expect(rs.tracingIds).toEqual([])
      expect(yield* Effect.flip(rs.allTraces())).toMatchObject({ _tag: "InvalidInput" })
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("the trace queries run at the consistency asked for (default ONE); an unknown one is InvalidInput", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.rows({ id: "int" }, ten) })
      const rs = yield* Session.execute(q, undefined, { tracing: true })
      const traceReads = MockCluster.activity({ kind: "execute", query: /system_traces/, includeControl: true })
      yield* rs.trace
      expect(new Set((yield* traceReads).map((a) => a.consistency))).toEqual(new Set(["ONE"]))
      yield* MockCluster.clearActivity
      yield* rs.traceWith({ consistency: "LOCAL_QUORUM" })
      const reads = yield* traceReads
      expect(reads.length).toBe(2)
      expect(reads.every((a) => a.consistency === "LOCAL_QUORUM")).toBe(true)
      yield* MockCluster.clearActivity
      const error = yield* Effect.flip(rs.traceWith({ consistency: "MOST" as never }))
      expect(error).toMatchObject({ _tag: "InvalidInput" })
      expect(yield* traceReads).toEqual([])
    }).pipe(Effect.provide(env({ hosts: 1 }))))
})

describe("custom payloads", () => {
  it.effect("the statement's payload and the call's are merged, the call's keys winning; the mock echoes it", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.rows({ id: "int" }, ten) })
      const stmt = Session.statement(q, undefined, { customPayload: new Map([["a", bytes("s")], ["b", bytes("s")]]) })
      const rs = yield* Session.execute(stmt, undefined, { customPayload: new Map([["b", bytes("c")], ["c", null]]) })
      expect(text(rs.customPayload)).toEqual({ a: "s", b: "c", c: null })
      const [sent] = yield* MockCluster.activity({ query: q })
      expect(text(sent?.customPayload)).toEqual({ a: "s", b: "c", c: null })
      // the statement's alone
      expect(text((yield* Session.execute(stmt)).customPayload)).toEqual({ a: "s", b: "s" })
    }).pipe(Effect.provide(env({ hosts: 1, echoCustomPayload: true }))))

  it.effect("without echoCustomPayload the mock sends none back, as a node does", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({ query: q, then: Answer.rows({ id: "int" }, ten) })
      const rs = yield* Session.execute(q, undefined, { customPayload: new Map([["a", bytes("x")]]) })
      expect(rs.customPayload).toBeUndefined()
      const [sent] = yield* MockCluster.activity({ query: q })
      expect(text(sent?.customPayload)).toEqual({ a: "x" })
    }).pipe(Effect.provide(env({ hosts: 1 }))))

  it.effect("Session.prepare sends the payload with its PREPAREs (every host's); a cached statement sends none", () =>
    Effect.gen(function*() {
      const insert = "INSERT INTO app.nums (id) VALUES (?)"
      const payload = new Map([["p", bytes("1")]])
      yield* Session.prepare(insert, { customPayload: payload })
      const prepares = yield* MockCluster.activity({ kind: "prepare", query: insert })
      expect(prepares.length).toBe(2)
      expect(prepares.map((a) => text(a.customPayload))).toEqual([{ p: "1" }, { p: "1" }])
      yield* Session.prepare(insert, { customPayload: payload })
      expect((yield* MockCluster.activity({ kind: "prepare", query: insert })).length).toBe(2)
      // prepare: true carries the call's payload to the PREPARE too
      yield* Session.execute("SELECT id FROM app.nums WHERE id = ?", [1], { prepare: true, customPayload: payload })
      const viaExecute = yield* MockCluster.activity({ kind: "prepare", query: "SELECT id FROM app.nums WHERE id = ?" })
      expect(viaExecute.length).toBeGreaterThan(0)
      expect(viaExecute.every((a) => text(a.customPayload)?.["p"] === "1")).toBe(true)
    }).pipe(Effect.provide(env({ hosts: 2, tables: { "app.nums": { id: "int" } } }))))
})

describe("speculative executions' traces", () => {
  it.effect("the losing execution's trace joins tracingIds once its late answer arrives", () =>
    Effect.gen(function*() {
      const row = Answer.rows({ id: "int" }, [{ id: 1 }])
      yield* MockCluster.prime({ query: q, then: [Answer.delayed("1 second", row), row] })
      const fiber = yield* Effect.forkChild(Session.execute(q, undefined, {
        tracing: true,
        idempotent: true,
        speculativeExecution: { delay: "200 millis", maxExecutions: 1 }
      }))
      yield* MockCluster.awaitActivity({ query: q })
      yield* TestClock.adjust("200 millis")
      const rs = yield* Fiber.join(fiber)
      expect(rs.tracingIds).toEqual([rs.tracingId])
      // the first execution's answer comes 1 s after it started
      yield* TestClock.adjust("800 millis")
      yield* tick
      yield* tick
      expect(rs.tracingIds.length).toBe(2)
      expect(rs.tracingIds[1]).toBe(rs.tracingId)
      expect(new Set(rs.tracingIds).size).toBe(2)
    }).pipe(Effect.provide(env({ hosts: 2 }))))
})
