import { describe, expect, it } from "@effect/vitest"
import { parseArgs, UsageError } from "../src/internal/cli.ts"

describe("cassandra-local arguments", () => {
  it("start with flags and values", () => {
    expect(parseArgs(["start", "--nodes", "3", "--auth", "--tls"])).toEqual({
      _tag: "start",
      options: { nodes: 3, auth: true, tls: true }
    })
    expect(parseArgs(["start", "--nodes=1", "--port=9142", "--name", "x", "--heap", "1g", "--mirror", "--keep-data", "--timeout", "90"])).toEqual({
      _tag: "start",
      options: { nodes: 1, nativePort: 9142, name: "x", heap: "1g", customPayloadMirroring: true, keepData: true, startTimeout: "90 seconds" }
    })
    expect(parseArgs(["start"])).toEqual({ _tag: "start", options: {} })
    expect(parseArgs(["start", "--nodes", "4", "--dcs", "2", "--racks=2"])).toEqual({ _tag: "start", options: { nodes: 4, dcs: 2, racks: 2 } })
    expect(() => parseArgs(["start", "--dcs", "0"])).toThrow(/between 1 and 9/)
  })
  it("stop, status, env", () => {
    expect(parseArgs(["stop"])).toEqual({ _tag: "stop", name: undefined, dir: undefined, all: false, graceMillis: 10_000 })
    expect(parseArgs(["stop", "--all", "--grace", "2"])).toEqual({ _tag: "stop", name: undefined, dir: undefined, all: true, graceMillis: 2000 })
    expect(parseArgs(["status", "--name", "cluster"])).toEqual({ _tag: "status", name: "cluster", dir: undefined })
    expect(parseArgs(["env"])).toEqual({ _tag: "env", name: undefined, dir: undefined })
  })
  it("help", () => {
    expect(parseArgs([])).toEqual({ _tag: "help" })
    expect(parseArgs(["help"])).toEqual({ _tag: "help" })
    expect(parseArgs(["start", "--help"])).toEqual({ _tag: "help" })
  })
  it("rejects bad input with a UsageError", () => {
    expect(() => parseArgs(["launch"])).toThrow(UsageError)
    expect(() => parseArgs(["start", "--nodes"])).toThrow(/needs a value/)
    expect(() => parseArgs(["start", "--nodes", "ten"])).toThrow(/whole number/)
    expect(() => parseArgs(["start", "--nodes", "12"])).toThrow(/between 1 and 9/)
    expect(() => parseArgs(["start", "--bogus"])).toThrow(/unknown option/)
    expect(() => parseArgs(["stop", "--auth"])).toThrow(/not an option of stop/)
    expect(() => parseArgs(["start", "--grace", "3"])).toThrow(/not an option of start/)
  })
})
