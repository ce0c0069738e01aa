// globalSetup of the vitest "cluster" project: three nodes on 127.0.0.1-3:9042 for the whole run.
import { cassandraGlobalSetup } from "../src/vitest.ts"

export default cassandraGlobalSetup({ nodes: 3, name: "cluster" })
