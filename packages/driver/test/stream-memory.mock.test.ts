/**
 * What a stream holds in memory, on mock hosts: `Session.stream` asks for a page only when the consumer
 * pulls (never a page ahead of it, however slow it is) and decodes its rows as they are pulled, 64 at a
 * time (a slow consumer holds one page of bytes, not all its rows), and the bytes of pages read from the default
 * transport's sockets are freed as soon as they are decoded (not at the next garbage collection) while the
 * rows, whose values are copies, stay intact. Chunks of any other transport are never freed by the driver.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { Answer, MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as dc from "node:diagnostics_channel"
import type * as net from "node:net"
import { env, tick } from "./helpers/mock.ts"

const q = "SELECT id, payload, name, u FROM app.big"
const ROWS = 1200
const UUID = "2a1f4c3e-8b7d-4e6a-9c5b-0d1e2f3a4b5c"
/** 1500 bytes that do not compress (the mock hosts offer lz4 and snappy) */
const payload = (i: number) => {
  let x = (i * 2654435761 + 1) >>> 0
  return Uint8Array.from({ length: 1500 }, () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) & 0xff
  })
}
const rows = Array.from({ length: ROWS }, (_, i) => ({ id: i, payload: payload(i), name: `row-${i}-${"x".repeat(i % 17)}`, u: UUID }))
// 150 rows of ~1.5 kB: pages of ~230 kB, several socket reads each
const primeBig = MockCluster.prime({ query: q, then: Answer.rows({ id: "int", payload: "blob", name: "text", u: "uuid" }, rows) })
const FETCH = 150

const detached = (b: Uint8Array) => (b.buffer as ArrayBuffer & { readonly detached: boolean }).detached
const expectIntact = (got: ReadonlyArray<Record<string, unknown>>) => {
  expect(got.length).toBe(ROWS)
  for (let i = 0; i < ROWS; i++) {
    const r = got[i]!
    expect(r["id"]).toBe(i)
    expect(r["name"]).toBe(rows[i]!.name)
    expect(r["u"]).toBe(UUID)
    const p = r["payload"] as Uint8Array
    expect(detached(p)).toBe(false)
    expect(p).toEqual(rows[i]!.payload)
  }
}

describe("Session.stream memory", () => {
  it.effect("asks for the next page only when the consumer pulls, however long it takes over a page", () =>
    Effect.gen(function*() {
      yield* primeBig
      const reached = yield* Deferred.make<void>()
      const go = yield* Deferred.make<void>()
      let seen = 0
      const fiber = yield* Effect.forkChild(Session.stream(q, [], { fetchSize: FETCH }).pipe(
        Stream.runForEach(() => {
          seen++
          return seen === 50 ? Effect.andThen(Deferred.succeed(reached, undefined), Deferred.await(go)) : Effect.void
        })
      ))
      yield* Deferred.await(reached)
      for (let i = 0; i < 20; i++) yield* tick
      // the consumer sits on row 50 of the first page: nothing else was asked for
      expect((yield* MockCluster.activity({ query: q })).length).toBe(1)
      yield* Deferred.succeed(go, undefined)
      yield* Fiber.join(fiber)
      expect(seen).toBe(ROWS)
      expect((yield* MockCluster.activity({ query: q })).length).toBe(ROWS / FETCH)
      // a consumer that stops early: only the pages it reached were read
      yield* MockCluster.clearActivity
      const first = yield* Stream.runCollect(Stream.take(Session.stream(q, [], { fetchSize: FETCH }), FETCH + 10))
      expect(first.length).toBe(FETCH + 10)
      expect((yield* MockCluster.activity({ query: q })).length).toBe(2)
    }).pipe(Effect.provide(env({ hosts: 1 }, { compression: false }))))

  it.effect("decodes a page's rows as the consumer pulls them, 64 at a time, not all on arrival", () =>
    Effect.gen(function*() {
      yield* primeBig
      // a Schema that counts the rows it decodes
      let decoded = 0
      const counted = Schema.Struct({
        id: Schema.Number.check(Schema.makeFilter(() => {
          decoded++
          return true
        })),
        name: Schema.String
      })
      const first = yield* Stream.runCollect(Stream.take(Session.stream(q, [], { fetchSize: FETCH, schema: counted }), 10))
      expect(first.map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      // one pull of the first page's 150 rows: 64 decoded, not 150
      expect(decoded).toBe(64)
      const sizes = yield* Stream.runCollect(Stream.chunks(Session.stream(q, [], { fetchSize: FETCH })).pipe(Stream.map((c) => c.length)))
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(ROWS)
      expect(Math.max(...sizes)).toBe(64)
    }).pipe(Effect.provide(env({ hosts: 1 }, { compression: false }))))

  const cases = [[4, false], [4, "lz4"], [4, "snappy"], [5, false], [5, "lz4"]] as const
  for (const [protocolVersion, compression] of cases) {
    it.live(`over the default transport (v${protocolVersion}${compression === false ? "" : `, ${compression}`}), the pages' socket reads are freed once decoded and the rows stay intact`, () => {
      const chunks: Array<{ readonly chunk: Uint8Array; readonly length: number }> = []
      const sockets: Array<net.Socket> = []
      const onSocket = (message: unknown) => {
        const socket = (message as { socket: net.Socket }).socket
        sockets.push(socket)
        // before the driver's own listener: sees every read before the driver may free it
        socket.on("data", (chunk: Uint8Array) => chunks.push({ chunk, length: chunk.length }))
      }
      dc.subscribe("net.client.socket", onSocket)
      return Effect.gen(function*() {
        yield* primeBig
        const got = yield* Stream.runCollect(Session.stream(q, [], { fetchSize: FETCH }))
        expectIntact(got as ReadonlyArray<Record<string, unknown>>)
        const port = Number((yield* MockCluster.MockCluster).contactPoints[0]!.split(":")[1])
        expect(sockets.filter((s) => s.remotePort === port).length).toBeGreaterThan(0)
        // the last page's reads are freed when the socket callback that decoded it returns
        yield* tick
        const big = chunks.filter((c) => c.length >= 16_384)
        // ~1.8 MB of pages came in reads of up to 64 kB: every one freed (detached), none left for the garbage collector
        expect(big.length).toBeGreaterThan(10)
        expect(big.filter((c) => detached(c.chunk)).length).toBe(big.length)
      }).pipe(
        Effect.ensuring(Effect.sync(() => dc.unsubscribe("net.client.socket", onSocket))),
        Effect.provide(
          Session.layer().pipe(
            Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, compression, protocolVersion })),
            Layer.provideMerge(MockCluster.layerServer({ hosts: 1 }))
          )
        )
      )
    })
  }

  it.effect("the chunks of another transport are never freed by the driver", () => {
    const chunks: Array<Uint8Array> = []
    // the mock's in-memory transport, each connection's incoming chunks recorded before the driver sees them
    const recording = Layer.effectContext(Effect.gen(function*() {
      const inner = (yield* Cluster.TransportOverride)!
      return Context.make(Cluster.TransportOverride, {
        connect: (request) =>
          Effect.map(inner.connect(request), (duplex) => {
            duplex.on("data", (chunk: Uint8Array) => chunks.push(chunk))
            return duplex
          })
      })
    }))
    return Effect.gen(function*() {
      yield* primeBig
      const got = yield* Stream.runCollect(Session.stream(q, [], { fetchSize: FETCH }))
      expectIntact(got as ReadonlyArray<Record<string, unknown>>)
      expect(chunks.filter((c) => c.length >= 100_000).length).toBeGreaterThan(0)
      expect(chunks.some(detached)).toBe(false)
    }).pipe(
      Effect.provide(
        Session.layer().pipe(
          Layer.provideMerge(MockCluster.clusterLayer({ schemaMetadataEnabled: false, compression: false })),
          Layer.provideMerge(recording),
          Layer.provideMerge(MockCluster.layer({ hosts: 1 }))
        )
      )
    )
  })
})
