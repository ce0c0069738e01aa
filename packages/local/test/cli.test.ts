/**
 * The cassandra-local command line: flags into commands (through effect/cli), usage errors, and the real
 * executable's exit codes and output (--help, --version, --completions, no command, status as a table).
 * Nothing here starts Cassandra.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Command as Cli, CliOutput } from "effect/cli"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { cli, type Command, formatTable } from "../src/internal/cli.ts"
import { describeProgress, downloadedBytes, reporter } from "../src/internal/progress.ts"

const quiet = Layer.merge(NodeServices.layer, CliOutput.layerPresenter({ present: () => Effect.void }))

/** The command a command line parses to, or the CLI error's messages. */
const parse = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    let parsed: Command | undefined
    const exit = yield* Effect.exit(Cli.runWith(cli((c) => Effect.sync(() => (parsed = c))), { version: "test" })(argv))
    if (exit._tag === "Success") return parsed ?? "no command run"
    const error = exit.cause.reasons.find((r) => r._tag === "Fail") as { error: { _tag: string; errors?: ReadonlyArray<{ message: string }> } }
    return { error: error.error._tag, messages: (error.error.errors ?? []).map((e) => e.message).join("; ") }
  }).pipe(Effect.provide(quiet))

describe("cassandra-local arguments", () => {
  it.effect("start with flags and values", () =>
    Effect.gen(function*() {
      expect(yield* parse(["start", "--nodes", "3", "--auth", "--tls"])).toEqual({ _tag: "start", options: { nodes: 3, auth: true, tls: true } })
      expect(yield* parse(["start", "--nodes=1", "--port=9142", "--name", "x", "--heap", "1g", "--mirror", "--keep-data", "--timeout", "90"])).toEqual({
        _tag: "start",
        options: { nodes: 1, nativePort: 9142, name: "x", heap: "1g", customPayloadMirroring: true, keepData: true, startTimeout: "90 seconds" }
      })
      // start's own --version (of Cassandra) is not the tool's --version
      expect(yield* parse(["start", "--version", "5.0.4", "--dir", "/tmp/c"])).toEqual({ _tag: "start", options: { version: "5.0.4", dir: "/tmp/c" } })
      expect(yield* parse(["start"])).toEqual({ _tag: "start", options: {} })
      expect(yield* parse(["start", "--nodes", "4", "--dcs", "2", "--racks=2"])).toEqual({ _tag: "start", options: { nodes: 4, dcs: 2, racks: 2 } })
      expect(yield* parse(["start", "--dcs", "0"])).toEqual({ error: "ShowHelp", messages: expect.stringMatching(/between 1 and 9/) })
    }))

  it.effect("stop, status, env", () =>
    Effect.gen(function*() {
      expect(yield* parse(["stop"])).toEqual({ _tag: "stop", name: undefined, dir: undefined, all: false, graceMillis: 10_000 })
      expect(yield* parse(["stop", "--all", "--grace", "2"])).toEqual({ _tag: "stop", name: undefined, dir: undefined, all: true, graceMillis: 2000 })
      expect(yield* parse(["status", "--name", "cluster"])).toEqual({ _tag: "status", name: "cluster", dir: undefined })
      expect(yield* parse(["env"])).toEqual({ _tag: "env", name: undefined, dir: undefined })
    }))

  it.effect("--help runs no command", () =>
    Effect.gen(function*() {
      expect(yield* parse(["--help"])).toBe("no command run")
      expect(yield* parse(["start", "--help"])).toBe("no command run")
    }))

  it.effect("bad input is a usage error naming the problem", () =>
    Effect.gen(function*() {
      const usage = (messages: RegExp) => ({ error: "ShowHelp", messages: expect.stringMatching(messages) })
      expect(yield* parse(["launch"])).toEqual(usage(/launch/))
      expect(yield* parse(["start", "--nodes"])).toEqual(usage(/nodes/))
      expect(yield* parse(["start", "--nodes", "ten"])).toEqual(usage(/ten|integer/i))
      expect(yield* parse(["start", "--nodes", "12"])).toEqual(usage(/between 1 and 9, got 12/))
      expect(yield* parse(["start", "--bogus"])).toEqual(usage(/bogus/))
      expect(yield* parse(["stop", "--auth"])).toEqual(usage(/auth/))
      expect(yield* parse(["start", "--grace", "3"])).toEqual(usage(/grace/))
      // no command: help, as an error without a message
      expect(yield* parse([])).toEqual({ error: "ShowHelp", messages: "" })
    }))
})

describe("status as a table, progress lines", () => {
  it("columns padded to the widest cell", () => {
    expect(formatTable([["NODE", "ADDRESS", "STATE"], ["node1", "127.0.0.1:9042", "running"], ["node10", "127.0.0.10:9042", "-"]])).toBe(
      [
        "  NODE    ADDRESS          STATE",
        "  node1   127.0.0.1:9042   running",
        "  node10  127.0.0.10:9042  -"
      ].join("\n")
    )
  })

  it("Maven transfer lines give the bytes downloaded; events read as a person would say them", () => {
    expect(downloadedBytes("Downloaded from central: https://repo.maven.apache.org/maven2/x/y/1/y-1.jar (1.5 MB at 3.0 MB/s)")).toBe(1572864)
    expect(downloadedBytes("[INFO] Downloaded from central: https://r/x.pom (2.1 kB at 10 kB/s)")).toBe(2150)
    expect(downloadedBytes("Downloading from central: https://r/x.jar")).toBeUndefined()
    expect(describeProgress({ _tag: "Download", artifacts: 12, bytes: 10 * 1024 * 1024 })).toBe("jars: 12 artifact(s), 10.0 of ~67.0 MiB downloaded")
    expect(describeProgress({ _tag: "NodeWaiting", node: 2, waitingFor: "peers seen UP: 127.0.0.1", elapsedMillis: 12_400 })).toBe(
      "node2: waiting for gossip (peers seen UP: 127.0.0.1), 12 s"
    )
    expect(describeProgress({ _tag: "NodeReady", node: 1, elapsedMillis: 23_456 })).toBe("node1: ready in 23.5 s")
  })

  it("off a terminal: a line when the step changes, then every few seconds", () => {
    let t = 0
    const lines: Array<string> = []
    const report = reporter({ write: (s) => lines.push(s), isTTY: false }, { now: () => t, everyMillis: 5000 })
    for (t = 0; t <= 12_000; t += 250) report({ _tag: "NodeWaiting", node: 1, waitingFor: "the log line 'Startup complete'", elapsedMillis: t })
    report({ _tag: "NodeWaiting", node: 1, waitingFor: "a CQL query to answer", elapsedMillis: t })
    report({ _tag: "NodeReady", node: 1, elapsedMillis: t })
    expect(lines).toEqual([
      "node1: waiting for startup to complete, 0 s\n",
      "node1: waiting for startup to complete, 5 s\n",
      "node1: waiting for startup to complete, 10 s\n",
      "node1: waiting for a CQL answer, 12 s\n",
      "node1: ready in 12.3 s\n"
    ])
  })
})

describe("the cassandra-local executable", () => {
  const bin = path.join(import.meta.dirname, "..", "bin", "cassandra-local.js")
  const clusters = fs.mkdtempSync(path.join(os.tmpdir(), "cassandra-local-cli-"))
  const run = (...args: Array<string>) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, EFFECT_CASSANDRA_CLUSTERS: clusters }, timeout: 60_000 })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  it("no command: usage on stderr, exit 2; an unknown command or a bad value: exit 2", () => {
    const none = run()
    expect(none.code).toBe(2)
    expect(none.stdout).toBe("")
    expect(none.stderr).toMatch(/start/)
    expect(none.stderr).toMatch(/status/)
    const unknown = run("launch")
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/launch/)
    const bad = run("start", "--nodes", "12")
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/between 1 and 9/)
  }, 120_000)

  it("--help and --version on stdout, exit 0; completions for bash", () => {
    const help = run("--help")
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/start/)
    expect(help.stdout).toMatch(/--completions/)
    const startHelp = run("start", "--help")
    expect(startHelp.stdout).toMatch(/--nodes/)
    const version = run("--version")
    expect(version.code).toBe(0)
    expect(version.stdout).toContain(JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "..", "package.json"), "utf8")).version)
    const completions = run("--completions", "bash")
    expect(completions.code).toBe(0)
    expect(completions.stdout).toMatch(/complete/)
  }, 120_000)

  it("status: a table per cluster; a command that fails prints its error and exits 1", () => {
    const dir = path.join(clusters, "t1")
    fs.mkdirSync(dir, { recursive: true })
    const node = (i: number) => ({
      index: i,
      address: `127.0.0.${i}`,
      nativePort: 9042,
      storagePort: 7000,
      jmxPort: 7199,
      dir: path.join(dir, `node${i}`),
      logFile: path.join(dir, `node${i}`, "logs", "system.log"),
      pidFile: path.join(dir, `node${i}`, "cassandra.pid")
    })
    fs.writeFileSync(path.join(dir, "cluster.json"), JSON.stringify({
      name: "t1",
      dir,
      clusterName: "effect-cassandra",
      version: "5.0.4",
      auth: false,
      tls: false,
      caFile: undefined,
      detached: true,
      ownerPid: 1,
      startedAt: new Date(0).toISOString(),
      nodes: [node(1), node(2)]
    }))
    const status = run("status")
    expect(status.code).toBe(0)
    expect(status.stdout).toContain(`cluster t1 (2 node(s), Cassandra 5.0.4) in ${dir}`)
    expect(status.stdout).toContain([
      "  NODE   ADDRESS         DC/RACK            PID  STATE    CQL",
      "  node1  127.0.0.1:9042  datacenter1/rack1  -    stopped  -",
      "  node2  127.0.0.2:9042  datacenter1/rack1  -    stopped  -"
    ].join("\n"))
    const missing = run("env", "--name", "nope")
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/no cluster in .*nope/)
  }, 120_000)
})
