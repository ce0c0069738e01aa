/**
 * Schema on the way in and out (CqlSchema), the value Schemas and the UUID generators; statement objects
 * keep their row type. On mock hosts.
 */
import { CqlSchema, Session, Uuid } from "@effect-cassandra/driver"
import { CqlDuration, LocalDate, LocalTime } from "@effect-cassandra/protocol/CqlValues"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const env = Session.layer().pipe(
  Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false })),
  Layer.provideMerge(MockCluster.layer({ hosts: 1 }))
)

const decode = <S extends Schema.Top>(schema: S) => Schema.decodeUnknownExit(schema as unknown as Schema.Codec<S["Type"], unknown>)
const encode = <S extends Schema.Top>(schema: S) => Schema.encodeUnknownExit(schema as unknown as Schema.Codec<S["Type"], unknown>)

describe("value Schemas", () => {
  it("date, time and duration from strings, and back", () => {
    expect(Exit.map(decode(CqlSchema.LocalDateFromString)("2024-02-29"), (d) => d.equals(LocalDate.of(2024, 2, 29)))).toEqual(Exit.succeed(true))
    expect(Exit.isFailure(decode(CqlSchema.LocalDateFromString)("2023-02-29"))).toBe(true)
    expect(encode(CqlSchema.LocalDateFromString)(LocalDate.of(1815, 12, 10))).toEqual(Exit.succeed("1815-12-10"))
    expect(Exit.map(decode(CqlSchema.LocalTimeFromString)("13:45:00.5"), (t) => t.nanos)).toEqual(Exit.succeed(49_500_500_000_000n))
    expect(Exit.isFailure(decode(CqlSchema.LocalTimeFromString)("25:00"))).toBe(true)
    expect(Exit.map(decode(CqlSchema.CqlDurationFromString)("P1DT2H"), (d) => [d.months, d.days, d.nanoseconds])).toEqual(
      Exit.succeed([0, 1, 7_200_000_000_000n])
    )
    expect(encode(CqlSchema.CqlDurationFromString)(CqlDuration.of(14, 3, 0))).toEqual(Exit.succeed("P1Y2M3D"))
    expect(Exit.isFailure(decode(CqlSchema.CqlDurationFromString)("soon"))).toBe(true)
    // the class Schemas accept the instances the driver reads, nothing else
    expect(Exit.isSuccess(decode(CqlSchema.LocalTime)(LocalTime.of(1, 2)))).toBe(true)
    expect(Exit.isFailure(decode(CqlSchema.LocalDate)("2024-01-01"))).toBe(true)
  })

  it("a date column as a JavaScript Date (midnight UTC)", () => {
    expect(decode(CqlSchema.DateFromLocalDate)(LocalDate.of(2024, 3, 1))).toEqual(Exit.succeed(new Date("2024-03-01T00:00:00Z")))
    expect(Exit.map(encode(CqlSchema.DateFromLocalDate)(new Date("2024-03-01T23:59:00Z")), (d) => String(d))).toEqual(Exit.succeed("2024-03-01"))
    expect(Exit.isFailure(encode(CqlSchema.DateFromLocalDate)(new Date(Number.NaN)))).toBe(true)
  })

  it("inet, uuid and timeuuid strings", () => {
    for (const ok of ["10.0.0.1", "::1", "2001:db8::8a2e:370:7334"]) expect(Exit.isSuccess(decode(CqlSchema.Inet)(ok))).toBe(true)
    for (const bad of ["10.0.0.256", "localhost", ""]) expect(Exit.isFailure(decode(CqlSchema.Inet)(bad))).toBe(true)
    const v4 = Uuid.random()
    const v1 = Uuid.timeBased()
    expect(Exit.isSuccess(decode(CqlSchema.Uuid)(v4))).toBe(true)
    expect(Exit.isFailure(decode(CqlSchema.Uuid)("not-a-uuid"))).toBe(true)
    expect(Exit.isSuccess(decode(CqlSchema.TimeUuid)(v1))).toBe(true)
    const refused = decode(CqlSchema.TimeUuid)(v4)
    expect(Exit.isFailure(refused) && String(refused.cause)).toMatch(/version 1/)
  })
})

describe("UUID generators", () => {
  it("random: version 4, variant 10", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => Uuid.random()))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it("time-based: version 1, unique and increasing within one millisecond, its time readable back", () => {
    const at = Date.UTC(2025, 0, 2, 3, 4, 5, 6)
    const ids = Array.from({ length: 5000 }, () => Uuid.timeBased(at))
    expect(new Set(ids).size).toBe(5000)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    // time order is the order of the 60-bit timestamp (high, mid, low fields)
    const ticks = (id: string) => BigInt(`0x${id.slice(15, 18)}${id.slice(9, 13)}${id.slice(0, 8)}`)
    for (let i = 1; i < ids.length; i++) expect(ticks(ids[i]!) > ticks(ids[i - 1]!)).toBe(true)
    expect(Uuid.timestampOf(ids[0]!)).toBe(at)
    expect(Uuid.timestampOf(Uuid.random())).toBeUndefined()
    expect(ticks(Uuid.minTimeBased(at)) <= ticks(ids[0]!)).toBe(true)
    expect(ticks(Uuid.maxTimeBased(at + 1)) > ticks(ids[0]!)).toBe(true)
    expect(Uuid.timestampOf(Uuid.maxTimeBased(at))).toBe(at)
  })
})

const User = Schema.Struct({ id: Schema.Number, name: Schema.String, born: CqlSchema.DateFromLocalDate })
const select = "SELECT id, name, born FROM app.users WHERE id = ? AND born = ?"
const byIdAndBirth = Schema.Tuple([Schema.Number, CqlSchema.DateFromLocalDate])

describe("CqlSchema helpers", () => {
  it.effect("findAll encodes the request into the prepared statement's values and decodes every row", () =>
    Effect.gen(function*() {
      yield* MockCluster.prime({
        query: select,
        variables: { id: "int", born: "date" },
        then: Answer.rows({ id: "int", name: "text", born: "date" }, [{ id: 1, name: "ada", born: LocalDate.of(1815, 12, 10) }])
      })
      const find = CqlSchema.findAll({ query: select, Request: byIdAndBirth, Result: User })
      const users = yield* find([1, new Date("1815-12-10T00:00:00Z")])
      expect(users).toEqual([{ id: 1, name: "ada", born: new Date("1815-12-10T00:00:00Z") }])
      const [sent] = yield* MockCluster.activity({ query: select, kind: "execute" })
      expect(sent!.decodedValues!.map(String)).toEqual(["1", "1815-12-10"])
      const one = yield* CqlSchema.findOne({ query: select, Request: byIdAndBirth, Result: User })([1, new Date("1815-12-10T00:00:00Z")])
      expect(Option.map(one, (u) => u.name)).toEqual(Option.some("ada"))
    }).pipe(Effect.provide(env)))

  it.effect("a request that does not encode fails with InvalidInput before anything is sent", () =>
    Effect.gen(function*() {
      const find = CqlSchema.findAll({ query: select, Request: byIdAndBirth, Result: User })
      const error = yield* Effect.flip(find([1, new Date(Number.NaN)]))
      expect(error._tag).toBe("InvalidInput")
      expect(error.message).toMatch(/request does not encode/)
      expect(yield* MockCluster.activity({ query: select })).toEqual([])
    }).pipe(Effect.provide(env)))

  it.effect("a row that does not decode fails with RowDecodeError; findOne of no rows is None", () =>
    Effect.gen(function*() {
      const q = "SELECT id, name FROM app.people WHERE id = ?"
      yield* MockCluster.prime({ query: q, variables: { id: "int" }, then: Answer.rows({ id: "int", name: "text" }, [{ id: 2, name: null }]) })
      const Person = Schema.Struct({ id: Schema.Number, name: Schema.String })
      const error = yield* Effect.flip(CqlSchema.findAll({ query: q, Request: Schema.Tuple([Schema.Number]), Result: Person })([2]))
      expect(error._tag).toBe("RowDecodeError")
      const none = "SELECT id, name FROM app.nobody WHERE id = ?"
      yield* MockCluster.prime({ query: none, variables: { id: "int" }, then: Answer.rows({ id: "int", name: "text" }, []) })
      expect(yield* CqlSchema.findOne({ query: none, Request: Schema.Tuple([Schema.Number]), Result: Person })([3])).toEqual(Option.none())
    }).pipe(Effect.provide(env)))

  it.effect("void runs a write with named values; stream decodes every page", () =>
    Effect.gen(function*() {
      const insert = "INSERT INTO app.events (id, at, note) VALUES (:id, :at, :note)"
      yield* MockCluster.prime({ query: insert, variables: { id: "timeuuid", at: "time", note: "text" }, then: Answer.void })
      const write = CqlSchema.void({
        query: insert,
        Request: Schema.Struct({ id: CqlSchema.TimeUuid, at: CqlSchema.LocalTime, note: Schema.String })
      })
      const id = Uuid.timeBased()
      yield* write({ id, at: LocalTime.of(12, 30), note: "lunch" })
      const [sent] = yield* MockCluster.activity({ query: insert, kind: "execute" })
      const [sentId, sentAt, sentNote] = sent!.decodedValues!
      expect([sentId, (sentAt as LocalTime).nanos, sentNote]).toEqual([id, LocalTime.of(12, 30).nanos, "lunch"])
      const wrong = yield* Effect.flip(write({ id: Uuid.random(), at: LocalTime.of(1, 0), note: "x" }))
      expect(wrong._tag).toBe("InvalidInput")

      const q = "SELECT v FROM app.numbers"
      yield* MockCluster.prime({ query: q, then: Answer.rows({ v: "int" }, Array.from({ length: 5 }, (_, v) => ({ v }))) })
      const all = yield* Stream.runCollect(
        CqlSchema.stream({ query: q, Request: Schema.Tuple([]), Result: Schema.Struct({ v: Schema.Number }), options: { fetchSize: 2, prepare: false } })([])
      )
      expect(all.map((r) => r.v)).toEqual([0, 1, 2, 3, 4])
    }).pipe(Effect.provide(env)))

  it.effect("statement objects keep their row type", () =>
    Effect.gen(function*() {
      const q = "SELECT id, name FROM app.typed"
      yield* MockCluster.prime({ query: q, then: Answer.rows({ id: "int", name: "text" }, [{ id: 7, name: "grace" }]) })
      const typed = Session.statement(q, [], { schema: Schema.Struct({ id: Schema.Number, name: Schema.String }) })
      const rs = yield* Session.execute(typed)
      // compile-time: rs.rows is ReadonlyArray<{ id: number; name: string }>
      const names: ReadonlyArray<string> = rs.rows.map((r) => r.name.toUpperCase())
      expect(names).toEqual(["GRACE"])
    }).pipe(Effect.provide(env)))
})
