/**
 * A node that leaves the ring (decommissioned) on mock hosts, timed on the TestClock: nothing is sent to
 * it once the cluster announced it REMOVED_NODE, even when its connections close before the debounced
 * topology refresh would run (Cassandra closes a decommissioned node's CQL port a ring delay after it left,
 * while the refresh waits a random part of `topologyEventRefreshWindow`, 10 s by default). A node that joins
 * (NEW_NODE) is used once the refresh found it.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import { env, tick } from "./helpers/mock.ts"

/** A Random that always draws `value`: the refresh's jitter is known (0.9: at 9 s of a 10 s window). */
const fixedRandom = (value: number) =>
  Layer.succeed(Random.Random, { nextDoubleUnsafe: () => value, nextIntUnsafe: () => Math.floor(value * Number.MAX_SAFE_INTEGER) })

/** Steps the TestClock by `step` ms `times` times, letting socket callbacks run in between. */
const advance = (times: number, step = 100) =>
  Effect.gen(function*() {
    for (let i = 0; i < times; i++) {
      yield* tick
      yield* TestClock.adjust(`${step} millis`)
    }
    yield* tick
  })

const layer = env({ hosts: 3, tables: { "app.t": { id: "int", v: "text" } } }, { topologyEventRefreshWindow: "10 seconds" }).pipe(Layer.provide(fixedRandom(0.9)))
const insert = "INSERT INTO app.t (id, v) VALUES (?, ?)"

describe("a node removed from the ring", () => {
  it.effect("REMOVED_NODE removes the host at once: no reconnection to it when its connections close before the refresh", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      const session = yield* Session.Session
      const removed = "127.0.0.3:9042"
      const events: Array<string> = []
      yield* cluster.events.pipe(
        Stream.runForEach((e) => Effect.sync(() => events.push(`${e._tag} ${e.host.endpoint}`))),
        Effect.forkScoped
      )
      yield* tick
      // requests reach every host, the one that will leave included
      for (let i = 0; i < 30; i++) yield* session.execute(insert, [i, `v${i}`], { idempotent: true })
      expect(cluster.hosts().length).toBe(3)
      expect(cluster.metadata.tokenMap()?.owners.map((h) => h.endpoint)).toContain(removed)
      expect((yield* MockCluster.activity({ host: 2, query: insert })).length).toBeGreaterThan(0)
      const before = (yield* mock.host(2)).connectAttempts
      // the node leaves: the others announce it REMOVED_NODE, then its connections close (its CQL port shuts)
      yield* mock.topologyChange("REMOVED_NODE", 2)
      yield* advance(5)
      expect(cluster.hosts().map((h) => h.endpoint)).not.toContain(removed)
      // the token map no longer has it as a replica either
      expect(cluster.metadata.tokenMap()?.owners.map((h) => h.endpoint)).not.toContain(removed)
      yield* mock.removeHost(2)
      // well past the refresh (9 s) and several reconnection delays (exponential from 1 s)
      yield* advance(300)
      expect((yield* mock.host(2)).connectAttempts).toBe(before)
      expect(cluster.hosts().map((h) => h.endpoint).sort()).toEqual(["127.0.0.1:9042", "127.0.0.2:9042"])
      yield* MockCluster.clearActivity
      for (let i = 30; i < 60; i++) yield* session.execute(insert, [i, `v${i}`], { idempotent: true })
      expect((yield* MockCluster.activity({ host: 2, includeControl: true })).length).toBe(0)
      // one HostRemoved (the refresh that follows finds nothing more to remove), no HostDown
      expect(events).toEqual([`HostRemoved ${removed}`])
    }).pipe(Effect.provide(layer)))

  it.effect("a node that joins (NEW_NODE) is used after the refresh; a REMOVED_NODE of an unknown node changes nothing", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const cluster = yield* Cluster.Cluster
      const session = yield* Session.Session
      const joined = yield* mock.addHost({ address: "127.0.0.4" }, { notify: true })
      yield* advance(5)
      // the refresh runs at 9 s of the window
      expect(cluster.hosts().length).toBe(3)
      yield* advance(100)
      expect(cluster.hosts().map((h) => h.endpoint)).toContain(joined.endpoint)
      yield* MockCluster.clearActivity
      for (let i = 0; i < 40; i++) yield* session.execute(insert, [i, `v${i}`], { idempotent: true })
      expect((yield* MockCluster.activity({ host: joined.endpoint, query: insert })).length).toBeGreaterThan(0)
      yield* mock.emit({ type: "TOPOLOGY_CHANGE", change: "REMOVED_NODE", address: "127.0.0.99", port: 9042 })
      yield* advance(120)
      expect(cluster.hosts().length).toBe(4)
    }).pipe(Effect.provide(layer)))
})
