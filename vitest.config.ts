import { defineConfig } from "vitest/config"

// Workspace packages resolve to their TypeScript sources through the "source" export condition.
const conditions = ["source", "node", "import", "default"]
// Vitest hands the ssr conditions to the worker's Node as --conditions, which also apply to require():
// with "import" there, a CommonJS dependency (cassandra-driver) that requires a dual package (long) would get
// its ESM build. Node and Vite add import/require/default by themselves.
const serverConditions = ["source", "node"]

// Tests against real Cassandra nodes: one file at a time, generous timeouts (2 cores, JVM start-up).
// The integration project (one node) and the cluster project (three nodes) both use 127.0.0.1:9042, so run
// them in separate vitest invocations (`npm test` does): never `vitest run` with both projects at once.
// The topology project (four nodes) uses 127.0.0.11-14; it too runs on its own, for memory.
const realServer = {
  fileParallelism: false,
  testTimeout: 180_000,
  hookTimeout: 300_000,
  teardownTimeout: 60_000
}

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: serverConditions, externalConditions: ["source"] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts"],
          exclude: [
            "packages/*/test/**/*.integration.test.ts",
            "packages/*/test/**/*.cluster.test.ts",
            "packages/*/test/**/*.topology.test.ts"
          ]
        }
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["packages/*/test/**/*.integration.test.ts"],
          // Starts one node (127.0.0.1:9042) unless CASSANDRA_CONTACT_POINTS is set; test files read it with
          // testCluster() from "@effect-cassandra/local/vitest" (inject("cassandra")).
          globalSetup: ["./packages/local/test/globalSetup.integration.ts"],
          ...realServer
        }
      },
      {
        extends: true,
        test: {
          name: "cluster",
          include: ["packages/*/test/**/*.cluster.test.ts"],
          // Starts three nodes (127.0.0.1-3:9042) unless CASSANDRA_CONTACT_POINTS is set.
          globalSetup: ["./packages/local/test/globalSetup.cluster.ts"],
          ...realServer
        }
      },
      {
        extends: true,
        test: {
          name: "topology",
          include: ["packages/*/test/**/*.topology.test.ts"],
          // Starts four nodes, two datacenters of two racks (127.0.0.11-14:9042), unless CASSANDRA_CONTACT_POINTS is set.
          globalSetup: ["./packages/local/test/globalSetup.topology.ts"],
          ...realServer
        }
      }
    ]
  }
})
