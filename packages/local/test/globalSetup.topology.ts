// globalSetup of the vitest "topology" project: four nodes in two datacenters of two racks each, on
// 127.0.0.11-14:9042 (JMX 8100-8400), apart from the integration (127.0.0.1) and cluster (127.0.0.1-3) nodes.
// node1 dc1/rack1, node2 dc2/rack1, node3 dc1/rack2, node4 dc2/rack2; started one after another.
import { cassandraGlobalSetup } from "../src/vitest.ts"

export default cassandraGlobalSetup({ nodes: 4, dcs: 2, racks: 2, firstAddress: 11, name: "topology" })
