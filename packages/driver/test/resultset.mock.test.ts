/**
 * ResultSet ergonomics on mock hosts: `first` / `one()`, iteration over the current page, `all()` with
 * its row guard, and `QueryExhausted` after the last page.
 */
import { Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { env } from "./helpers/mock.ts"

const q = "SELECT id FROM app.nums"
const ten = Array.from({ length: 10 }, (_, i) => ({ id: i }))
const primeTen = MockCluster.prime({ query: q, then: Answer.rows({ id: "int" }, ten) })

describe("ResultSet", () => {
  it.effect("first and one() give the first row of the page, undefined when there is none", () =>
    Effect.gen(function*() {
      yield* primeTen
      const rs = yield* Session.execute(q, undefined, { fetchSize: 4 })
      expect(rs.first).toEqual({ id: 0 })
      expect(rs.one()).toEqual({ id: 0 })
      yield* MockCluster.prime({ query: "SELECT id FROM app.none", then: Answer.rows({ id: "int" }, []) })
      const empty = yield* Session.execute("SELECT id FROM app.none")
      expect(empty.first).toBeUndefined()
      expect(empty.one()).toBeUndefined()
    }).pipe(Effect.provide(env())))

  it.effect("iterating a ResultSet goes over the current page only", () =>
    Effect.gen(function*() {
      yield* primeTen
      const rs = yield* Session.execute(q, undefined, { fetchSize: 4 })
      const seen: Array<unknown> = []
      for (const row of rs) seen.push(row["id"])
      expect(seen).toEqual([0, 1, 2, 3])
      expect([...rs]).toEqual(rs.rows)
      expect(rs.hasMorePages).toBe(true)
    }).pipe(Effect.provide(env())))

  it.effect("all() reads every page after this one", () =>
    Effect.gen(function*() {
      yield* primeTen
      const rs = yield* Session.execute(q, undefined, { fetchSize: 3 })
      const rows = yield* rs.all()
      expect(rows.map((r) => r["id"])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      // the first page came with execute, the three others were fetched
      expect((yield* MockCluster.activity({ query: q })).length).toBe(4)
      // the ResultSet itself still holds its page
      expect(rs.rows.length).toBe(3)
      // from a later page, all() starts there
      const page2 = yield* rs.nextPage
      expect((yield* page2.all()).map((r) => r["id"])).toEqual([3, 4, 5, 6, 7, 8, 9])
    }).pipe(Effect.provide(env())))

  it.effect("all() stops with TooManyRows past maxRows, without fetching further pages", () =>
    Effect.gen(function*() {
      yield* primeTen
      const rs = yield* Session.execute(q, undefined, { fetchSize: 3 })
      yield* MockCluster.clearActivity
      const error = yield* Effect.flip(rs.all({ maxRows: 5 }))
      expect(error).toMatchObject({ _tag: "TooManyRows", maxRows: 5 })
      // page 2 brings the count to 6: it stops there, page 3 is never asked for
      expect((yield* MockCluster.activity({ query: q })).length).toBe(1)
      // exactly at the limit is fine
      expect((yield* rs.all({ maxRows: 10 })).length).toBe(10)
      // the first page alone can pass it
      expect(yield* Effect.flip(rs.all({ maxRows: 2 }))).toMatchObject({ _tag: "TooManyRows", maxRows: 2 })
    }).pipe(Effect.provide(env())))

  it.effect("all() with a maxRows that is not a non-negative integer is InvalidInput, before any fetch", () =>
    Effect.gen(function*() {
      yield* primeTen
      const rs = yield* Session.execute(q, undefined, { fetchSize: 3 })
      yield* MockCluster.clearActivity
      for (const maxRows of [-1, 1.5, Number.NaN]) {
        expect(yield* Effect.flip(rs.all({ maxRows }))).toMatchObject({ _tag: "InvalidInput", path: "maxRows" })
      }
      expect(yield* MockCluster.activity({ query: q })).toEqual([])
    }).pipe(Effect.provide(env())))

  it.effect("nextPage on the last page fails with QueryExhausted, and sends nothing", () =>
    Effect.gen(function*() {
      yield* primeTen
      const rs = yield* Session.execute(q, undefined, { fetchSize: 6 })
      const last = yield* rs.nextPage
      expect(last.hasMorePages).toBe(false)
      yield* MockCluster.clearActivity
      const error = yield* Effect.flip(last.nextPage)
      expect(error).toMatchObject({ _tag: "QueryExhausted" })
      expect(yield* MockCluster.activity({ query: q })).toEqual([])
    }).pipe(Effect.provide(env())))
})
