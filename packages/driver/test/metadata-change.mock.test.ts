/**
 * A table's columns change under a prepared statement (ALTER TABLE ADD under a prepared `SELECT *`,
 * the fault suite's `schema` scenario) and another client prepares it again, so the hosts know the
 * new columns while this client's statement still has the old ones. No row is decoded with the old
 * columns, on v4 (no result metadata id: a wildcard SELECT never skips the metadata) and on v5
 * (METADATA_CHANGED). On mock hosts, two clients (two clusters and sessions) on one mock cluster.
 */
import { Session } from "@effect-cassandra/driver"
import type { ProtocolVersion } from "@effect-cassandra/protocol/Messages"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** The mock cluster, and two clients of it (each its own Cluster and Session, so its own prepared cache). */
const twoClients = (protocolVersion: ProtocolVersion) =>
  Effect.gen(function*() {
    const mockContext = yield* Layer.build(MockCluster.layer({ hosts: 2 }))
    const client = () =>
      Layer.build(Session.layer().pipe(Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, protocolVersion })))).pipe(
        Effect.provide(mockContext)
      )
    return { mock: Context.get(mockContext, MockCluster.MockCluster), a: yield* client(), b: yield* client() }
  })

const before = { id: "int", v: "text" } as const
/** The added column sorts before `v`, as in Cassandra: decoded with the old columns, `v` would read `a1`'s bytes. */
const after = { a1: "text", id: "int", v: "text" } as const

describe("columns that change under a prepared statement", () => {
  for (const version of [4, 5] as const) {
    it.effect(`v${version}: SELECT * after ALTER TABLE ADD, prepared again by another client, gives the new columns`, () =>
      Effect.gen(function*() {
        const { mock, a, b } = yield* twoClients(version)
        const q = "SELECT * FROM app.t WHERE id = ?"
        yield* mock.prime({ query: q, then: Answer.rows(before, [{ id: 1, v: "v-1" }]) })
        const select = yield* Session.prepare(q).pipe(Effect.provide(a))
        expect((yield* Session.execute(select, [1]).pipe(Effect.provide(a))).rows).toEqual([{ id: 1, v: "v-1" }])
        // the ALTER: the table has a new column; the other client prepares the statement again
        yield* mock.clearPrimes
        yield* mock.prime({ query: q, then: Answer.rows(after, [{ a1: "new", id: 1, v: "v-1" }]) })
        yield* Session.prepare(q).pipe(Effect.provide(b))
        for (let host = 0; host < 2; host++) {
          const rs = yield* Session.execute(select, [1]).pipe(Effect.provide(a))
          expect(rs.rows).toEqual([{ a1: "new", id: 1, v: "v-1" }])
          expect(rs.columns.map((c) => c.name)).toEqual(["a1", "id", "v"])
        }
        if (version === 5) expect(select.resultColumns.map((c) => c.name)).toEqual(["a1", "id", "v"])
      }))
  }

  it.effect("v4: rows sent without metadata with other columns than the statement's are asked for again with the metadata, once", () =>
    Effect.gen(function*() {
      // a statement that names its columns keeps them on a real node; the mock answers other ones here
      // to reach the driver's last guard (the rows' column count differs from the statement's)
      const { mock, a, b } = yield* twoClients(4)
      const q = "SELECT id, v FROM app.named WHERE id = ?"
      yield* mock.prime({ query: q, then: Answer.rows(before, [{ id: 1, v: "v-1" }]) })
      const select = yield* Session.prepare(q).pipe(Effect.provide(a))
      yield* Session.execute(select, [1]).pipe(Effect.provide(a))
      yield* mock.clearPrimes
      yield* mock.prime({ query: q, then: Answer.rows(after, [{ a1: "new", id: 1, v: "v-1" }]) })
      yield* Session.prepare(q).pipe(Effect.provide(b))
      yield* mock.clearActivity
      const rs = yield* Session.execute(select, [1]).pipe(Effect.provide(a))
      expect(rs.rows).toEqual([{ a1: "new", id: 1, v: "v-1" }])
      // the same host twice: without metadata, then with it
      const executes = yield* mock.activity({ kind: "execute", query: q })
      expect(executes.length).toBe(2)
      expect(executes[0]!.host).toBe(executes[1]!.host)
      // from then on the statement asks for the metadata every time: one EXECUTE per request
      yield* mock.clearActivity
      expect((yield* Session.execute(select, [1]).pipe(Effect.provide(a))).rows).toEqual([{ a1: "new", id: 1, v: "v-1" }])
      expect((yield* mock.activity({ kind: "execute", query: q })).length).toBe(1)
    }))

  it.effect("v4: a statement that is not a SELECT is not asked for again (a DriverError, sent once)", () =>
    Effect.gen(function*() {
      // sending an UPDATE again could apply it twice; the mock answers it with rows to reach the guard
      const { mock, a, b } = yield* twoClients(4)
      const q = "UPDATE app.t SET v = 'x' WHERE id = 1 IF EXISTS"
      yield* mock.prime({ query: q, then: Answer.rows({ "[applied]": "boolean" }, [{ "[applied]": true }]) })
      const update = yield* Session.prepare(q).pipe(Effect.provide(a))
      yield* mock.clearPrimes
      yield* mock.prime({ query: q, then: Answer.rows({ "[applied]": "boolean", v: "text" }, [{ "[applied]": false, v: "x" }]) })
      yield* Session.prepare(q).pipe(Effect.provide(b))
      yield* mock.clearActivity
      const error = yield* Effect.flip(Session.execute(update, [], { idempotent: false }).pipe(Effect.provide(a)))
      expect(error._tag).toBe("DriverError")
      expect((yield* mock.activity({ kind: "execute", query: q })).length).toBe(1)
    }))
})
