import { describe, expect, it } from "@effect/vitest"
import {
  initialToken,
  javaArgs,
  LOCAL_DATACENTER,
  nodeAddress,
  nodetoolArgs,
  parseArgsFile,
  parseJavaMajor,
  MAX_NODES,
  placement,
  planAddedNode,
  planCluster,
  rackdcProperties,
  renderYaml,
  splitWidestRange,
  validatePlanInput
} from "../src/internal/layout.ts"
import { resource } from "../src/internal/resources.ts"
import type { PlanInput } from "../src/ResolvedOptions.ts"

const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  nodes: 3,
  dcs: 1,
  racks: 1,
  name: "t",
  clusterName: "effect-cassandra",
  dir: "/tmp/c",
  firstAddress: 1,
  nativePort: 9042,
  storagePort: 7000,
  jmxPortBase: 7000,
  heap: "640m",
  auth: false,
  tls: false,
  customPayloadMirroring: false,
  extraJvmArgs: [],
  ...over
})

describe("tokens", () => {
  it("are balanced Murmur3 single tokens: (i-1) * 2^64/n - 2^63", () => {
    expect(initialToken(1, 1)).toBe(-(2n ** 63n))
    expect([1, 2, 3].map((i) => initialToken(i, 3).toString())).toEqual([
      "-9223372036854775808",
      "-3074457345618258603",
      "3074457345618258602"
    ])
    expect([1, 2].map((i) => initialToken(i, 2))).toEqual([-(2n ** 63n), 0n])
  })
  it("stay inside the ring for every size", () => {
    for (let n = 1; n <= 9; n++) {
      for (let i = 1; i <= n; i++) {
        const t = initialToken(i, n)
        expect(t >= -(2n ** 63n) && t < 2n ** 63n).toBe(true)
      }
    }
  })
  it("reject an index outside 1..n", () => {
    expect(() => initialToken(0, 3)).toThrow(RangeError)
    expect(() => initialToken(4, 3)).toThrow(RangeError)
  })
})

describe("plan", () => {
  it("puts node i on 127.0.0.i with ccm-style JMX ports and every node a seed", () => {
    const plan = planCluster(input())
    expect(plan.nodePlans.map((n) => [n.address, n.jmxPort, n.dir])).toEqual([
      ["127.0.0.1", 7100, "/tmp/c/node1"],
      ["127.0.0.2", 7200, "/tmp/c/node2"],
      ["127.0.0.3", 7300, "/tmp/c/node3"]
    ])
    expect(plan.seeds).toBe("127.0.0.1:7000,127.0.0.2:7000,127.0.0.3:7000")
    expect(plan.nodePlans[0]?.pidFile).toBe("/tmp/c/node1/cassandra.pid")
  })
  it("shifts addresses and JMX ports with firstAddress", () => {
    const plan = planCluster(input({ nodes: 1, firstAddress: 4 }))
    expect(nodeAddress(4, 1)).toBe("127.0.0.4")
    expect(plan.nodePlans[0]?.address).toBe("127.0.0.4")
    expect(plan.nodePlans[0]?.jmxPort).toBe(7400)
    expect(plan.seeds).toBe("127.0.0.4:7000")
  })
  it("validates its input", () => {
    expect(validatePlanInput(input())).toBeUndefined()
    expect(validatePlanInput(input({ nodes: 0 }))).toMatch(/nodes/)
    expect(validatePlanInput(input({ firstAddress: 254 }))).toMatch(/firstAddress/)
    expect(validatePlanInput(input({ heap: "lots" }))).toMatch(/heap/)
    expect(validatePlanInput(input({ name: "../x" }))).toMatch(/name/)
    expect(validatePlanInput(input({ nativePort: 70000 }))).toMatch(/nativePort/)
  })
})

describe("topologies", () => {
  const where = (nodes: number, dcs: number, racks: number) =>
    planCluster(input({ nodes, dcs, racks })).nodePlans.map((n) => `${n.datacenter}/${n.rack}`)
  it("one datacenter of one rack is datacenter1/rack1, as with SimpleSnitch", () => {
    expect(where(3, 1, 1)).toEqual(["datacenter1/rack1", "datacenter1/rack1", "datacenter1/rack1"])
    expect(LOCAL_DATACENTER).toBe("datacenter1")
  })
  it("spreads nodes round-robin over the datacenters, then over each datacenter's racks", () => {
    expect(where(4, 2, 2)).toEqual(["dc1/rack1", "dc2/rack1", "dc1/rack2", "dc2/rack2"])
    expect(where(6, 2, 3)).toEqual(["dc1/rack1", "dc2/rack1", "dc1/rack2", "dc2/rack2", "dc1/rack3", "dc2/rack3"])
    expect(where(5, 2, 2)).toEqual(["dc1/rack1", "dc2/rack1", "dc1/rack2", "dc2/rack2", "dc1/rack1"])
    expect(where(3, 3, 1)).toEqual(["dc1/rack1", "dc2/rack1", "dc3/rack1"])
    expect(where(4, 1, 2)).toEqual(["datacenter1/rack1", "datacenter1/rack2", "datacenter1/rack1", "datacenter1/rack2"])
    expect(placement(7, 3, 2)).toEqual({ datacenter: "dc1", rack: "rack1" })
  })
  it("interleaves the datacenters on the ring, so each datacenter's tokens are balanced too", () => {
    const plan = planCluster(input({ nodes: 4, dcs: 2, racks: 2 }))
    const dc1 = plan.nodePlans.filter((n) => n.datacenter === "dc1").map((n) => BigInt(n.token))
    expect(dc1).toEqual([-(2n ** 63n), 0n])
  })
  it("refuses datacenters or racks without a node", () => {
    expect(validatePlanInput(input({ nodes: 4, dcs: 2, racks: 2 }))).toBeUndefined()
    expect(validatePlanInput(input({ nodes: 2, dcs: 3 }))).toMatch(/dcs must be 1\.\.nodes/)
    expect(validatePlanInput(input({ nodes: 4, dcs: 2, racks: 3 }))).toMatch(/racks must leave a node in every rack/)
    expect(validatePlanInput(input({ dcs: 0 }))).toMatch(/dcs/)
    expect(validatePlanInput(input({ racks: 1.5 }))).toMatch(/racks/)
  })
  it("writes the snitch and the rackdc properties", () => {
    const template = resource("cassandra.yaml.template")
    const one = planCluster(input())
    expect(renderYaml(template, one, one.nodePlans[0]!)).toMatch(/^endpoint_snitch: SimpleSnitch /m)
    const two = planCluster(input({ nodes: 4, dcs: 2, racks: 2 }))
    expect(renderYaml(template, two, two.nodePlans[3]!)).toMatch(/^endpoint_snitch: GossipingPropertyFileSnitch /m)
    expect(renderYaml(template, planCluster(input({ racks: 3 })), one.nodePlans[0]!)).toMatch(/GossipingPropertyFileSnitch/)
    expect(rackdcProperties(two.nodePlans[3]!).split("\n").filter((l) => !l.startsWith("#"))).toEqual(["dc=dc2", "rack=rack2", ""])
  })
})

describe("a node added to a running cluster", () => {
  const template = resource("cassandra.yaml.template")
  it("splits the widest range of the ring (wrapping around) in the middle", () => {
    const three = [1, 2, 3].map((i) => initialToken(i, 3))
    // of three balanced tokens, the range that wraps from node 3 to node 1 is one token wider than the others
    expect(splitWidestRange(three)).toBe(6148914691236517205n)
    expect(splitWidestRange(three)).toBe(three[2]! + (three[0]! + 2n ** 64n - three[2]!) / 2n)
    expect(splitWidestRange([three[0]!, three[1]!])).toBe(three[1]! + (three[0]! + 2n ** 64n - three[1]!) / 2n)
    // the widest range wraps from the last token to the first
    expect(splitWidestRange([-(2n ** 62n), 0n])).toBe(3n * 2n ** 61n)
    expect(splitWidestRange([0n])).toBe(-(2n ** 63n))
    expect(splitWidestRange([])).toBe(-(2n ** 63n))
    // a middle past 2^63 - 1 comes back round to the negative tokens
    expect(splitWidestRange([2n ** 63n - 2n, 2n ** 62n - 1n])).toBe(-(2n ** 63n) + 2n ** 62n + 2n ** 61n - 2n)
    for (const t of [splitWidestRange(three), splitWidestRange([5n, 7n])]) expect(t >= -(2n ** 63n) && t < 2n ** 63n).toBe(true)
  })
  it("is node N+1 on the next address, JMX port by the same rule, the cluster's seeds, bootstrapping", () => {
    const plan = planCluster(input({ firstAddress: 40, jmxPortBase: 7000 }))
    const node = planAddedNode(plan)
    if (typeof node === "string") throw new Error(node)
    expect(node).toMatchObject({
      index: 4,
      address: "127.0.0.43",
      jmxPort: 11300,
      nativePort: 9042,
      storagePort: 7000,
      datacenter: "datacenter1",
      rack: "rack1",
      dir: "/tmp/c/node4",
      logFile: "/tmp/c/node4/logs/cassandra.log",
      pidFile: "/tmp/c/node4/cassandra.pid",
      autoBootstrap: true,
      token: "6148914691236517205"
    })
    expect(plan.nodePlans.every((n) => !n.autoBootstrap)).toBe(true)
    const yaml = renderYaml(template, { ...plan, nodePlans: [...plan.nodePlans, node] }, node)
    expect(yaml).not.toMatch(/@@/)
    expect(yaml).toMatch(/^auto_bootstrap: true$/m)
    expect(yaml).toContain("initial_token: '6148914691236517205'")
    expect(yaml).toContain("listen_address: 127.0.0.43")
    // not a seed: a seed does not bootstrap
    expect(yaml).toContain('seeds: "127.0.0.40:7000,127.0.0.41:7000,127.0.0.42:7000"')
    expect(yaml).toContain("cluster_name: 'effect-cassandra'")
    expect(yaml).toMatch(/^endpoint_snitch: SimpleSnitch /m)
    expect(renderYaml(template, plan, plan.nodePlans[0]!)).toMatch(/^auto_bootstrap: false$/m)
  })
  it("continues the round-robin over datacenters and racks, with their snitch", () => {
    const plan = planCluster(input({ nodes: 4, dcs: 2, racks: 2 }))
    const node = planAddedNode(plan)
    if (typeof node === "string") throw new Error(node)
    expect([node.index, node.datacenter, node.rack]).toEqual([5, "dc1", "rack1"])
    expect(rackdcProperties(node)).toContain("dc=dc1")
    expect(renderYaml(template, plan, node)).toMatch(/^endpoint_snitch: GossipingPropertyFileSnitch /m)
  })
  it("takes the token given, or splits the ring of the nodes still in it", () => {
    const plan = planCluster(input())
    expect(planAddedNode(plan, { token: "42" })).toMatchObject({ token: "42" })
    expect(planAddedNode(plan, { token: "-9223372036854775808" })).toMatch(/already taken/)
    expect(planAddedNode(plan, { token: "4.2" })).toMatch(/integer/)
    expect(planAddedNode(plan, { token: String(2n ** 63n) })).toMatch(/-2\^63/)
    // node 2 decommissioned: the ring is nodes 1 and 3, its widest range is node 1's to node 3's
    // (the middle of that range is node 2's old token)
    const ringTokens = [plan.nodePlans[0]!.token, plan.nodePlans[2]!.token]
    expect(planAddedNode(plan, { ringTokens })).toMatchObject({ index: 4, token: "-3074457345618258603" })
    expect(planAddedNode(plan)).toMatchObject({ index: 4, token: "6148914691236517205" })
  })
  it("plans a decommissioned node's slot again: same address, folder and ports", () => {
    const three = planCluster(input({ firstAddress: 40 }))
    const four = planAddedNode(three)
    if (typeof four === "string") throw new Error(four)
    const plan = { ...three, nodePlans: [...three.nodePlans, four] }
    const again = planAddedNode(plan, { index: 4, ringTokens: three.nodePlans.map((n) => n.token) })
    expect(again).toEqual(four)
    expect(planAddedNode(plan, { index: 4 })).toMatchObject({ index: 4, address: "127.0.0.43", jmxPort: 11300 })
    expect(planAddedNode(plan, { index: 6 })).toMatch(/no slot 6/)
    expect(planAddedNode(plan, { index: 0 })).toMatch(/no slot 0/)
  })
  it("stops at MAX_NODES and at the end of 127.0.0.x", () => {
    expect(planAddedNode(planCluster(input({ nodes: MAX_NODES })))).toMatch(/at most 9 nodes/)
    expect(planAddedNode(planCluster(input({ nodes: 3, firstAddress: 252 })))).toMatch(/127\.0\.0\.255/)
  })
})

describe("cassandra.yaml", () => {
  const template = resource("cassandra.yaml.template")
  it("fills every placeholder of the shipped template", () => {
    const plan = planCluster(input())
    const yaml = renderYaml(template, plan, plan.nodePlans[1]!)
    expect(yaml).not.toMatch(/@@/)
    expect(yaml).toContain("cluster_name: 'effect-cassandra'")
    expect(yaml).toContain("listen_address: 127.0.0.2")
    expect(yaml).toContain("rpc_address: 127.0.0.2")
    expect(yaml).toContain("native_transport_port: 9042")
    expect(yaml).toContain("initial_token: '-3074457345618258603'")
    expect(yaml).toContain('seeds: "127.0.0.1:7000,127.0.0.2:7000,127.0.0.3:7000"')
    expect(yaml).toContain("  - /tmp/c/node2/data")
    expect(yaml).toContain("class_name: AllowAllAuthenticator")
    expect(yaml).not.toContain("client_encryption_options")
  })
  it("switches on PasswordAuthenticator and client TLS", () => {
    const plan = planCluster(input({ auth: true, tls: true }))
    const yaml = renderYaml(template, plan, plan.nodePlans[0]!)
    expect(yaml).toContain("class_name: PasswordAuthenticator")
    expect(yaml).toContain("class_name: CassandraAuthorizer")
    expect(yaml).not.toContain("AllowAllAuthenticator")
    expect(yaml).toMatch(/client_encryption_options:\n  enabled: true\n  optional: false\n  keystore: \/tmp\/c\/tls\/server.p12/)
    // every top-level key appears once (Cassandra rejects duplicates)
    const keys = yaml.split("\n").filter((l) => /^[a-z_]+:/.test(l)).map((l) => l.split(":")[0])
    expect(new Set(keys).size).toBe(keys.length)
  })
  it("throws on an unknown placeholder", () => {
    const plan = planCluster(input())
    expect(() => renderYaml("x: @@NOPE@@", plan, plan.nodePlans[0]!)).toThrow(/NOPE/)
  })
})

describe("JVM", () => {
  it("reads the shipped Java 17 argument file", () => {
    const args = parseArgsFile(resource("jvm17.args"))
    expect(args).toContain("--add-opens=java.base/java.io=ALL-UNNAMED")
    expect(args.every((a) => !a.startsWith("#") && a.trim() === a && a !== "")).toBe(true)
  })
  it("builds the command line of a node", () => {
    const plan = planCluster(input({ customPayloadMirroring: true, extraJvmArgs: ["-Dx=y"] }))
    const args = javaArgs({ baseArgs: ["-ea"], libDir: "/lib", plan, node: plan.nodePlans[2]!, jammJar: "/lib/jamm-0.4.0.jar" })
    expect(args[0]).toBe("-ea")
    expect(args).toContain("-Xms640m")
    expect(args).toContain("-Xmx640m")
    expect(args).toContain("-javaagent:/lib/jamm-0.4.0.jar")
    expect(args).toContain("-Dcassandra.config=file:///tmp/c/node3/conf/cassandra.yaml")
    expect(args).toContain("-Dcassandra.jmx.local.port=7300")
    expect(args).toContain("-Dcassandra.storagedir=/tmp/c/node3")
    expect(args).toContain("-Dcassandra.custom_query_handler_class=org.apache.cassandra.cql3.CustomPayloadMirroringQueryHandler")
    expect(args).toContain("-Dx=y")
    expect(args.slice(-3)).toEqual(["-cp", "/tmp/c/node3/conf:/lib/*", "org.apache.cassandra.service.CassandraDaemon"])
  })
  it("builds the command line of nodetool against a node's JMX port", () => {
    const plan = planCluster(input({ firstAddress: 11, nodes: 4, dcs: 2, racks: 2 }))
    const args = nodetoolArgs({
      baseArgs: ["-ea", "-XX:+UseG1GC", "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED", "-Djava.net.preferIPv4Stack=true"],
      libDir: "/lib",
      node: plan.nodePlans[1]!,
      logback: "/res/logback-tools.xml",
      args: ["getendpoints", "ks", "t", "42"]
    })
    expect(args).toContain("--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED")
    expect(args).not.toContain("-XX:+UseG1GC")
    expect(args).toContain("-Dlogback.configurationFile=/res/logback-tools.xml")
    expect(args.slice(-11)).toEqual(["-cp", "/lib/*", "org.apache.cassandra.tools.NodeTool", "-h", "127.0.0.1", "-p", "8200", "getendpoints", "ks", "t", "42"])
  })
  it("builds the command line of nodetool decommission and status", () => {
    const plan = planCluster(input({ firstAddress: 40 }))
    const added = planAddedNode(plan)
    if (typeof added === "string") throw new Error(added)
    for (const cmd of ["decommission", "status"]) {
      const args = nodetoolArgs({ baseArgs: [], libDir: "/lib", node: added, logback: "/res/logback-tools.xml", args: [cmd] })
      expect(args.slice(-6)).toEqual(["org.apache.cassandra.tools.NodeTool", "-h", "127.0.0.1", "-p", "11300", cmd])
      expect(args).toContain("-Dcassandra.storagedir=/tmp/c/node4/tmp")
    }
  })
  it("parses java -version banners", () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17)
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8)
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21)
    expect(parseJavaMajor("nothing")).toBeUndefined()
  })
})

describe("finding java", () => {
  it("tries EFFECT_CASSANDRA_JAVA, JAVA_HOME, PATH, then JDK 17 and 11 folders", async () => {
    const { javaCandidates } = await import("../src/internal/java.ts")
    expect(javaCandidates({ JAVA_HOME: "/jdk25" }, ["temurin-25-jdk-amd64", "java-11-openjdk", "java-17-openjdk-amd64"])).toEqual([
      "/jdk25/bin/java",
      "java",
      "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
      "/usr/lib/jvm/java-11-openjdk/bin/java"
    ])
    expect(javaCandidates({ EFFECT_CASSANDRA_JAVA: "/x/java" }, [])).toEqual(["/x/java", "java"])
  })
})
