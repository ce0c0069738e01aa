import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type ClusterStateFile, inUse, killStale, missingReadiness } from "../src/internal/cluster.ts"
import { scanLog, upAfterDown } from "../src/internal/logs.ts"
import { cmdlineOf, isAlive, isCassandraOf, parsePid, staleVerdict } from "../src/internal/proc.ts"

const daemonCmdline = (dir: string) =>
  ["java", "-ea", `-Dcassandra.storagedir=${dir}`, "-cp", "x", "org.apache.cassandra.service.CassandraDaemon", ""].join("\0")

describe("pid files and stale nodes", () => {
  it("parses pid files", () => {
    expect(parsePid("1234\n")).toBe(1234)
    expect(parsePid("")).toBeUndefined()
    expect(parsePid("12a")).toBeUndefined()
    expect(parsePid("1")).toBeUndefined()
  })
  it("recognises a CassandraDaemon of one node folder only", () => {
    expect(isCassandraOf(daemonCmdline("/c/node1"), "/c/node1")).toBe(true)
    expect(isCassandraOf(daemonCmdline("/c/node1"), "/c/node")).toBe(false)
    expect(isCassandraOf(daemonCmdline("/c/node10"), "/c/node1")).toBe(false)
    expect(isCassandraOf(["sleep", "100", ""].join("\0"), "/c/node1")).toBe(false)
  })
  it("classifies a pid file", () => {
    const procs: Record<number, string> = { 10: daemonCmdline("/c/node1"), 11: "bash\0" }
    const of = (pid: number) => procs[pid]
    expect(staleVerdict(undefined, of, "/c/node1")).toEqual({ _tag: "NoPidFile" })
    expect(staleVerdict("garbage", of, "/c/node1")).toEqual({ _tag: "Dead", pid: undefined })
    expect(staleVerdict("99", of, "/c/node1")).toEqual({ _tag: "Dead", pid: 99 })
    expect(staleVerdict("11", of, "/c/node1")).toEqual({ _tag: "NotOurs", pid: 11 })
    expect(staleVerdict("10", of, "/c/node2")).toEqual({ _tag: "NotOurs", pid: 10 })
    expect(staleVerdict("10", of, "/c/node1")).toEqual({ _tag: "Live", pid: 10 })
  })
  it.live("kills a live stale daemon of the folder, and leaves other processes alone", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stale-"))
      const nodeDir = path.join(dir, "node1")
      fs.mkdirSync(nodeDir)
      const pidFile = path.join(nodeDir, "cassandra.pid")
      // A stand-in whose command line looks like a node of this folder.
      const fake = childProcess.spawn(process.execPath, [
        "-e", "setTimeout(() => {}, 60000)", "--", `-Dcassandra.storagedir=${nodeDir}`, "org.apache.cassandra.service.CassandraDaemon"
      ], { stdio: "ignore" })
      const other = childProcess.spawn("sleep", ["60"], { stdio: "ignore" })
      try {
        yield* Effect.sleep("200 millis")
        expect(isCassandraOf(cmdlineOf(fake.pid!) ?? "", nodeDir)).toBe(true)

        fs.writeFileSync(pidFile, `${other.pid}\n`)
        expect((yield* killStale(nodeDir, pidFile))._tag).toBe("NotOurs")
        expect(isAlive(other.pid!)).toBe(true)
        expect(fs.existsSync(pidFile)).toBe(false)

        fs.writeFileSync(pidFile, `${fake.pid}\n`)
        const state = (over: Partial<ClusterStateFile>): ClusterStateFile => ({
          name: "t", dir, clusterName: "c", version: "5.0.9", auth: false, tls: false, caFile: undefined, detached: false,
          ownerPid: 999_999_999, startedAt: "", ...over,
          nodes: [{ index: 1, address: "127.0.0.1", nativePort: 9042, storagePort: 7000, jmxPort: 7100, dir: nodeDir, logFile: "", pidFile }]
        })
        // started by the CLI: never taken over
        expect(inUse(state({ detached: true }))).toMatch(/cassandra-local stop --name t/)
        // owned by another live node process: left alone
        expect(inUse(state({ ownerPid: process.pid }), process.pid + 1)).toMatch(/in use by another running process/)
        // its owner is gone (or it is us): stale, may be killed
        expect(inUse(state({}))).toBeUndefined()
        expect(inUse(state({ ownerPid: process.pid }), process.pid)).toBeUndefined()

        expect((yield* killStale(nodeDir, pidFile))._tag).toBe("Live")
        expect(isAlive(fake.pid!)).toBe(false)
        expect(fs.existsSync(pidFile)).toBe(false)
      } finally {
        fake.kill("SIGKILL")
        other.kill("SIGKILL")
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }))
})

describe("readiness from the log", () => {
  const log = [
    "INFO  [main] ... StorageService.java:3320 - Node /127.0.0.1:7000 state jump to NORMAL",
    "INFO  [GossipStage:1] ... Gossiper.java:1492 - InetAddress /127.0.0.2:7000 is now UP",
    "INFO  [GossipStage:1] ... Gossiper.java:1522 - Node /127.0.0.3:7000 has restarted, now UP",
    "INFO  [main] ... PipelineConfigurator.java:148 - Starting listening for CQL clients on /127.0.0.1:9042 (unencrypted)...",
    "INFO  [main] ... CassandraDaemon.java:744 - Startup complete"
  ].join("\n")
  it("finds the signals", () => {
    const s = scanLog(log)
    expect(s.listening).toBe(true)
    expect(s.startupComplete).toBe(true)
    expect([...s.up].sort()).toEqual(["127.0.0.2", "127.0.0.3"])
    expect(s.fatal).toBeUndefined()
    expect(scanLog("ERROR ... Exception encountered during startup: boom").fatal).toMatch(/boom/)
  })
  it("says what is still missing", () => {
    expect(missingReadiness("", [], [], "127.0.0.1")).toMatch(/Starting listening/)
    expect(missingReadiness("Starting listening for CQL clients", [], [], "127.0.0.1")).toMatch(/Startup complete/)
    expect(missingReadiness(log, ["127.0.0.2", "127.0.0.4"], [], "127.0.0.1")).toMatch(/127.0.0.4/)
    expect(missingReadiness(log, ["127.0.0.2", "127.0.0.3"], [], "127.0.0.1")).toBeUndefined()
    expect(missingReadiness(log, [], [{ index: 2, text: "nothing" }], "127.0.0.1")).toMatch(/node\(s\) 2/)
    expect(missingReadiness(log, [], [{ index: 2, text: "InetAddress /127.0.0.1:7000 is now UP" }], "127.0.0.1")).toBeUndefined()
  })
})

describe("a paused node seen DOWN and UP again", () => {
  const down = "INFO ... Gossiper.java:1508 - InetAddress /127.0.0.2:7000 is now DOWN"
  const up = "INFO ... Gossiper.java:1492 - InetAddress /127.0.0.2:7000 is now UP"
  it("is settled unless its last DOWN has no UP after it", () => {
    expect(upAfterDown("", "127.0.0.2")).toBe(true)
    expect(upAfterDown(down, "127.0.0.2")).toBe(false)
    expect(upAfterDown([down, up].join("\n"), "127.0.0.2")).toBe(true)
    expect(upAfterDown([down, up, down].join("\n"), "127.0.0.2")).toBe(false)
    expect(upAfterDown(down.replace("127.0.0.2", "127.0.0.3"), "127.0.0.2")).toBe(true)
    expect(upAfterDown(down.replace("127.0.0.2", "127.0.0.20"), "127.0.0.2")).toBe(true)
  })
})
