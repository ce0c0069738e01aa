/**
 * Adding and decommissioning nodes through the control server (what a vitest worker does with the nodes of
 * the main process), on a fake cluster: no Cassandra here. The calls, their options and the added node's
 * description go over HTTP and back.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { type ClusterInfo, fromInfo, type LocalCassandraShape, type NodeControl, type NodeInfo, serveControl } from "../src/LocalCassandra.ts"

const nodeInfo = (index: number): NodeInfo => ({
  index,
  address: `127.0.0.${39 + index}`,
  nativePort: 9042,
  storagePort: 7000,
  jmxPort: 7000 + 100 * (39 + index),
  datacenter: "datacenter1",
  rack: "rack1",
  dir: `/tmp/fake/node${index}`,
  logFile: `/tmp/fake/node${index}/logs/cassandra.log`
})

const baseInfo: ClusterInfo = {
  managed: true,
  name: "fake",
  contactPoints: ["127.0.0.40:9042"],
  hosts: ["127.0.0.40"],
  port: 9042,
  localDatacenter: "datacenter1",
  version: "5.0.9",
  credentials: undefined,
  tls: false,
  caCertPem: undefined,
  controlUrl: undefined,
  nodes: [nodeInfo(1)]
}

/** A cluster whose addNode and decommission only record what they were asked. */
const fakeCluster = (calls: Array<string>): LocalCassandraShape => {
  const base = fromInfo(baseInfo)
  const control = (n: NodeInfo): NodeControl => ({
    ...base.nodes[0]!,
    ...n,
    decommission: (options) => Effect.sync(() => void calls.push(`decommission node${n.index}${options?.force === true ? " force" : ""}`))
  })
  const nodes: Array<NodeControl> = [control(nodeInfo(1))]
  return {
    ...base,
    nodes,
    node: (i) => nodes[i - 1]!,
    get info() {
      return { ...baseInfo, nodes: nodes.map((n) => nodeInfo(n.index)) }
    },
    addNode: (options) =>
      Effect.sync(() => {
        calls.push(`add token ${options?.token ?? "default"}`)
        const added = control(nodeInfo(nodes.length + 1))
        nodes.push(added)
        return added
      })
  }
}

describe("adding and decommissioning nodes", () => {
  it.live("go through the control server, and the added node shows in the remote cluster", () =>
    Effect.scoped(Effect.gen(function*() {
      const calls: Array<string> = []
      const served = yield* serveControl(fakeCluster(calls))
      const remote = fromInfo(served.info)
      const added = yield* remote.addNode({ token: "42" })
      expect(added.index).toBe(2)
      expect(added.address).toBe("127.0.0.41")
      expect(added.jmxPort).toBe(11100)
      expect(remote.nodes.map((n) => n.index)).toEqual([1, 2])
      expect(remote.node(2).address).toBe("127.0.0.41")
      expect(remote.info.nodes.map((n) => n.address)).toEqual(["127.0.0.40", "127.0.0.41"])
      // contact points stay the nodes the cluster started with
      expect(remote.contactPoints).toEqual(["127.0.0.40:9042"])
      yield* remote.addNode()
      yield* remote.node(2).decommission()
      yield* added.decommission({ force: true })
      expect(calls).toEqual(["add token 42", "add token default", "decommission node2", "decommission node2 force"])
      expect(served.info.nodes.length).toBe(3)
    })))

  it.effect("fail with a ControlError without a control server or without the node", () =>
    Effect.gen(function*() {
      const cluster = fromInfo(baseInfo)
      for (const eff of [cluster.addNode(), cluster.node(1).decommission(), cluster.node(7).decommission()]) {
        const exit = yield* Effect.exit(eff)
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) {
          const reason = exit.cause.reasons[0]
          expect(reason?._tag === "Fail" ? reason.error._tag : undefined).toBe("ControlError")
        }
      }
    }))
})
