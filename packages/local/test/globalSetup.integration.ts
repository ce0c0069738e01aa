// globalSetup of the vitest "integration" project: one node on 127.0.0.1:9042 for the whole run.
import { cassandraGlobalSetup } from "../src/vitest.ts"

// The mirroring query handler echoes custom payloads (the driver's custom payload test needs it).
export default cassandraGlobalSetup({ nodes: 1, name: "integration", customPayloadMirroring: true })
