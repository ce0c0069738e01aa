import { defineConfig } from "vitest/config"

// Workspace packages resolve to their TypeScript sources through the "source" export condition.
const conditions = ["source", "node", "import", "default"]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["source"] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts"],
          exclude: ["packages/*/test/**/*.integration.test.ts", "packages/*/test/**/*.cluster.test.ts"]
        }
      }
    ]
  }
})
