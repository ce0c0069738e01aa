/**
 * `registerUserType` on mock hosts: a UDT mapped to a `Schema.Class` once per cluster, decoded in
 * results at any depth (lists, maps, tuples), its instances bound as values; an unknown type is
 * `UserTypeDoesNotExist`, a value that does not decode `RowDecodeError`.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import type { CqlType } from "@effect-cassandra/protocol/CqlType"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { env } from "./helpers/mock.ts"

class Address extends Schema.Class<Address>("Address")({ street: Schema.String, zip: Schema.Number }) {}

const address: CqlType = {
  kind: "udt",
  keyspace: "app",
  name: "address",
  fields: [{ name: "street", type: { kind: "text" } }, { name: "zip", type: { kind: "int" } }]
}
const columns = {
  id: { kind: "int" },
  home: address,
  past: { kind: "list", element: address },
  pair: { kind: "tuple", elements: [{ kind: "int" }, address] },
  by_name: { kind: "map", key: { kind: "text" }, value: address }
} as const satisfies Record<string, CqlType>
const tables = { "app.people": columns }
const q = "SELECT * FROM app.people"
const plain = { street: "Main St", zip: 1234 }
const row = { id: 1, home: plain, past: [plain, { street: "Old Rd", zip: 9 }], pair: [7, plain], by_name: new Map([["work", plain]]) }
const withSchema = env({ hosts: 1, tables }, { schemaMetadataEnabled: true })

describe("registerUserType", () => {
  it.effect("decodes the type's values with the Schema, nested in lists, tuples and maps", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* MockCluster.prime({ query: q, then: Answer.rows(columns, [row]) })
      // before: plain objects
      const before = (yield* Session.execute(q)).rows[0]!
      expect(before["home"]).toEqual(plain)
      expect(before["home"]).not.toBeInstanceOf(Address)
      yield* cluster.registerUserType("app", "address", Address)
      const r = (yield* Session.execute(q)).rows[0]!
      expect(r["id"]).toBe(1)
      expect(r["home"]).toBeInstanceOf(Address)
      expect(r["home"]).toMatchObject(plain)
      const past = r["past"] as ReadonlyArray<Address>
      expect(past.map((a) => a instanceof Address)).toEqual([true, true])
      expect(past[1]!.street).toBe("Old Rd")
      const pair = r["pair"] as readonly [number, Address]
      expect(pair[0]).toBe(7)
      expect(pair[1]).toBeInstanceOf(Address)
      expect((r["by_name"] as ReadonlyMap<string, Address>).get("work")).toBeInstanceOf(Address)
    }).pipe(Effect.provide(withSchema)))

  it.effect("every session of the cluster decodes it; null values stay null", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* cluster.registerUserType("app", "address", Address)
      yield* MockCluster.prime({ query: q, then: Answer.rows(columns, [{ id: 2, home: null, past: null, pair: null, by_name: null }]) })
      const other = yield* Effect.scoped(Effect.flatMap(Session.make(), (s) => s.execute(q)))
      expect(other.rows[0]).toEqual({ id: 2, home: null, past: null, pair: null, by_name: null })
    }).pipe(Effect.provide(withSchema)))

  it.effect("its instances bind as values of the type, nested too", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      yield* cluster.registerUserType("app", "address", Address)
      const insert = yield* Session.prepare("INSERT INTO app.people (id, home, past, pair) VALUES (?, ?, ?, ?)")
      const home = new Address({ street: "Main St", zip: 1234 })
      yield* Session.execute(insert, [1, home, [home], [7, home]])
      const [sent] = yield* MockCluster.activity({ kind: "execute", query: /INSERT INTO app\.people/ })
      expect(sent?.decodedValues).toEqual([1, plain, [plain], [7, plain]])
    }).pipe(Effect.provide(withSchema)))

  it.effect("an unknown keyspace or type is UserTypeDoesNotExist", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(yield* Effect.flip(cluster.registerUserType("app", "nope", Address))).toMatchObject({
        _tag: "UserTypeDoesNotExist",
        keyspace: "app",
        type: "nope"
      })
      expect((yield* Effect.flip(cluster.registerUserType("elsewhere", "address", Address)))._tag).toBe("UserTypeDoesNotExist")
    }).pipe(Effect.provide(withSchema)))

  it.effect("with schema metadata off no type is known: UserTypeDoesNotExist", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect((yield* Effect.flip(cluster.registerUserType("app", "address", Address)))._tag).toBe("UserTypeDoesNotExist")
    }).pipe(Effect.provide(env({ hosts: 1, tables }))))

  it.effect("a value the Schema refuses is a RowDecodeError naming the column", () =>
    Effect.gen(function*() {
      class Strict extends Schema.Class<Strict>("Strict")({ street: Schema.String, zip: Schema.String }) {}
      const cluster = yield* Cluster.Cluster
      yield* cluster.registerUserType("app", "address", Strict)
      yield* MockCluster.prime({ query: q, then: Answer.rows(columns, [row]) })
      const error = yield* Effect.flip(Session.execute(q))
      expect(error._tag).toBe("RowDecodeError")
      expect(error.message).toMatch(/^column home: /)
    }).pipe(Effect.provide(withSchema)))
})
