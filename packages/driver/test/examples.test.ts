/**
 * The examples that need no server run as users run them, so they stay current with the API.
 */
import { expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import path from "node:path"
import { promisify } from "node:util"

const root = path.resolve(import.meta.dirname, "../../..")

it("examples/testing-with-mock-hosts.ts passes all its checks", async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--conditions=source", "examples/testing-with-mock-hosts.ts"],
    { cwd: root, timeout: 60_000 }
  )
  expect(stdout).toMatch(/all \d+ checks passed/)
  expect(stdout).not.toMatch(/✗/)
}, 90_000)
