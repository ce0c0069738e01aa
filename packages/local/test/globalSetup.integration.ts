// globalSetup of the vitest "integration" project: one node on 127.0.0.1:9042 for the whole run.
import { cassandraGlobalSetup } from "../src/vitest.ts"

export default cassandraGlobalSetup({ nodes: 1, name: "integration" })
