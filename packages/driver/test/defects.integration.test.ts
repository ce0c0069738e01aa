/**
 * Regression tests of issue 14 on a real Cassandra node: a simple statement with values never stores a
 * value other than the one given (each value is stored exactly, or refused with `InvalidInput` before
 * anything is sent), and a per-request keyspace runs there or fails, never elsewhere.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { testCluster } from "@effect-cassandra/local/vitest"
import { LocalDate } from "@effect-cassandra/protocol/CqlValues"
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"

const info = testCluster()

const clusterLayer = (protocolVersion: 4 | 5) =>
  Cluster.layer({
    contactPoints: info.contactPoints,
    localDc: info.localDatacenter,
    protocolVersion,
    ...(info.credentials ? { auth: info.credentials } : {})
  })

const ks = "it_defects"
const other = "it_defects_other"

const setup = Layer.effectDiscard(Effect.gen(function*() {
  for (const k of [ks, other]) {
    yield* Session.execute(`CREATE KEYSPACE IF NOT EXISTS ${k} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)
    yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${k}.owner (id int PRIMARY KEY, name text)`)
    yield* Session.execute(`INSERT INTO ${k}.owner (id, name) VALUES (1, '${k}')`)
  }
  yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.vals (
    id int PRIMARY KEY, b bigint, ts timestamp, vi varint, db double, f float, u uuid, tu timeuuid, i inet, d date)`)
  yield* Session.execute(`CREATE TABLE IF NOT EXISTS ${ks}.counts (id int PRIMARY KEY, c counter)`)
}))

const sessionIn = (protocolVersion: 4 | 5) =>
  Layer.provideMerge(setup, Session.layer({ keyspace: "system" })).pipe(Layer.provideMerge(clusterLayer(protocolVersion)))

const now = 1_700_000_000_123
const v4Uuid = "5a1d1d3e-0000-4000-8000-000000000001"
const v1Uuid = "9f0b7a40-7c3e-11ee-b962-0242ac120002"
const refused = Symbol("refused")

/**
 * Column, value given, and what must be read back (`refused`: InvalidInput, nothing stored). Numbers,
 * bigints, strings and Dates into each column; the old driver stored `now` into a bigint as the double's
 * bits (4789921745707466752), and "1234" into an inet as 49.50.51.52.
 */
const cases: ReadonlyArray<readonly [string, unknown, unknown]> = [
  ["b", now, BigInt(now)],
  ["b", 42, 42n],
  ["b", BigInt(now), BigInt(now)],
  ["b", "42", refused],
  ["b", new Date(now), refused],
  ["b", 1.5, refused],
  ["ts", now, new Date(now)],
  ["ts", BigInt(now), new Date(now)],
  ["ts", new Date(now), new Date(now)],
  ["ts", "2024-01-02", refused],
  ["vi", 42, 42n],
  ["vi", now, BigInt(now)],
  ["vi", 2n ** 80n, 2n ** 80n],
  ["vi", 1.5, refused],
  ["vi", "42", refused],
  ["vi", new Date(now), refused],
  ["db", 42, 42],
  ["db", 1.5, 1.5],
  ["db", now, now],
  ["db", 42n, refused],
  ["db", "1.5", refused],
  ["db", new Date(now), refused],
  ["f", 1.5, 1.5],
  ["f", 42, 42],
  ["f", 0.1, Math.fround(0.1)],
  ["f", 42n, refused],
  ["f", "1.5", refused],
  ["f", new Date(now), refused],
  ["u", v4Uuid, v4Uuid],
  ["u", 42, refused],
  ["u", 42n, refused],
  ["u", new Date(now), refused],
  ["tu", v1Uuid, v1Uuid],
  ["tu", v4Uuid, refused],
  ["tu", 42, refused],
  ["tu", new Date(now), refused],
  ["i", "10.0.0.1", "10.0.0.1"],
  ["i", "::1", "::1"],
  ["i", "1234", refused],
  ["i", 42, refused],
  ["i", 42n, refused],
  ["i", new Date(now), refused],
  ["d", "2024-01-02", LocalDate.of(2024, 1, 2)],
  ["d", new Date(Date.UTC(2024, 0, 2)), LocalDate.of(2024, 1, 2)],
  ["d", 42, refused],
  ["d", 42n, refused]
]

const show = (v: unknown): string => typeof v === "bigint" ? `${v}n` : v instanceof Date ? `Date(${v.getTime()})` : JSON.stringify(v)

for (const protocolVersion of [4, 5] as const) {
  layer(sessionIn(protocolVersion), { excludeTestServices: true, timeout: "120 seconds" })(`protocol v${protocolVersion}`, (it) => {
    describe("a simple statement with values stores the value given, or refuses it before sending", () => {
      it.effect(`bigint, timestamp, varint, double, float, uuid, timeuuid, inet and date columns`, () =>
        Effect.gen(function*() {
          const mismatches: Array<string> = []
          for (let n = 0; n < cases.length; n++) {
            const [column, value, expected] = cases[n]!
            const id = protocolVersion * 1000 + n
            yield* Session.execute(`DELETE FROM ${ks}.vals WHERE id = ?`, [id])
            const exit = yield* Effect.exit(Session.execute(`INSERT INTO ${ks}.vals (id, ${column}) VALUES (?, ?)`, [id, value]))
            const rs = yield* Session.execute(`SELECT ${column} FROM ${ks}.vals WHERE id = ?`, [id])
            if (expected === refused) {
              const tag = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
              if (tag?._tag !== "Fail" || tag.error._tag !== "InvalidInput") mismatches.push(`${column} <- ${show(value)}: not refused with InvalidInput`)
              if (rs.rows.length !== 0) mismatches.push(`${column} <- ${show(value)}: stored ${show(rs.rows[0]![column])} though refused`)
            } else {
              if (Exit.isFailure(exit)) mismatches.push(`${column} <- ${show(value)}: failed ${String(exit.cause)}`)
              else {
                const got = rs.rows[0]?.[column]
                const same = expected instanceof LocalDate
                  ? got instanceof LocalDate && got.toString() === expected.toString()
                  : expected instanceof Date
                  ? got instanceof Date && got.getTime() === expected.getTime()
                  : got === expected
                if (!same) mismatches.push(`${column} <- ${show(value)}: stored ${show(got)}, expected ${show(expected)}`)
              }
            }
          }
          expect(mismatches).toEqual([])
        }))

      it.effect("a counter column", () =>
        Effect.gen(function*() {
          const id = protocolVersion
          const add = (v: unknown) => Effect.exit(Session.execute(`UPDATE ${ks}.counts SET c = c + ? WHERE id = ?`, [v, id]))
          const before = (yield* Session.execute(`SELECT c FROM ${ks}.counts WHERE id = ?`, [id])).rows[0]?.["c"] ?? 0n
          expect(Exit.isSuccess(yield* add(now))).toBe(true)
          expect(Exit.isSuccess(yield* add(2n))).toBe(true)
          for (const bad of ["3", new Date(now), 1.5]) {
            const exit = yield* add(bad)
            expect(Exit.isFailure(exit) && exit.cause.reasons.some((r) => r._tag === "Fail" && r.error._tag === "InvalidInput")).toBe(true)
          }
          const after = (yield* Session.execute(`SELECT c FROM ${ks}.counts WHERE id = ?`, [id])).rows[0]!["c"]
          expect(after).toBe((before as bigint) + BigInt(now) + 2n)
        }))
    })

    describe("a per-request keyspace", () => {
      it.effect(protocolVersion >= 5 ? "is applied on execute and prepare" : "is InvalidInput on execute and prepare, never run in the session's", () =>
        Effect.gen(function*() {
          const q = "SELECT name FROM owner WHERE id = 1"
          const simple = yield* Effect.exit(Session.execute(q, undefined, { keyspace: other }))
          const prepared = yield* Effect.exit(Session.prepare(q, { keyspace: other }))
          const withValues = yield* Effect.exit(Session.execute("SELECT name FROM owner WHERE id = ?", [1], { keyspace: other }))
          if (protocolVersion >= 5) {
            for (const exit of [simple, withValues]) {
              expect(Exit.isSuccess(exit) ? exit.value.rows : exit).toEqual([{ name: other }])
            }
            expect(Exit.isSuccess(prepared)).toBe(true)
            if (Exit.isSuccess(prepared)) {
              expect(prepared.value.keyspace).toBe(other)
              expect((yield* Session.execute(prepared.value)).rows).toEqual([{ name: other }])
            }
          } else {
            for (const exit of [simple, prepared, withValues] as ReadonlyArray<Exit.Exit<unknown, { readonly _tag: string }>>) {
              expect(Exit.isFailure(exit) && exit.cause.reasons.some((r) => r._tag === "Fail" && r.error._tag === "InvalidInput")).toBe(true)
            }
          }
          // the session's keyspace as the request's is fine either way
          yield* Session.execute(`USE ${ks}`)
          expect((yield* Session.execute(q, undefined, { keyspace: ks })).rows).toEqual([{ name: ks }])
          expect((yield* Session.prepare(q, { keyspace: ks })).keyspace).toBe(ks)
          yield* Session.execute("USE system")
        }))
    })
  })
}
