/**
 * Many hosts in simulation: a MockCluster of 600 in-memory hosts in two datacenters (addresses past
 * 127.0.0.254), every one discovered from one contact point with its datacenter, rack and token, pools only
 * for the local datacenter, and requests spread over it. The time and memory per host are measured by
 * `bench/scale.ts` (`npm run bench`), not here.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { MockCluster } from "@effect-cassandra/testing"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { env } from "./helpers/mock.ts"

const N = 600
const specs = Array.from({ length: N }, (_, i) => ({ datacenter: i % 2 === 0 ? "dc1" : "dc2", rack: `rack${(i % 3) + 1}` }))

it.effect("600 hosts: all discovered, local pools only, requests spread over the local datacenter", () =>
  Effect.gen(function*() {
    const cluster = yield* Cluster.Cluster
    const hosts = cluster.hosts()
    expect(hosts.length).toBe(N)
    expect(new Set(hosts.map((h) => h.address)).size).toBe(N)
    expect(hosts.some((h) => h.address === "127.0.2.88")).toBe(true) // host 600
    expect(hosts.filter((h) => h.datacenter === "dc1").length).toBe(N / 2)
    expect(new Set(hosts.map((h) => h.rack))).toEqual(new Set(["rack1", "rack2", "rack3"]))
    expect(new Set(hosts.flatMap((h) => h.tokens)).size).toBe(N)
    const q = "SELECT * FROM app.t"
    for (let i = 0; i < 900; i++) yield* Session.execute(q)
    const log = yield* MockCluster.activity({ query: q })
    const coordinators = new Set(log.map((a) => a.hostIndex))
    expect(coordinators.size).toBe(N / 2)
    expect([...coordinators].every((i) => i % 2 === 0)).toBe(true)
    // no session connection to a dc2 host (remote hosts are "ignored" by default)
    expect(yield* MockCluster.activity({ host: 1, includeControl: true })).toEqual([])
  }).pipe(Effect.provide(env({ hosts: specs }, { contactPoints: ["127.0.0.1"], localDc: "dc1" }))), 60_000)
