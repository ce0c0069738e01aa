import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ensureJars } from "../src/internal/jars.ts"
import { Progress, type ProgressEvent } from "../src/internal/progress.ts"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "jars-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

// A stand-in for mvn: reads the output folder from the pom it is given, counts its runs.
const fakeMvn = (name: string, body: string): string => {
  const file = path.join(root, name)
  fs.writeFileSync(file, [
    "#!/bin/sh",
    `echo run >> "${root}/${name}.runs"`,
    "while [ \"$1\" != \"-f\" ]; do shift; done; pom=\"$2\"",
    "out=$(sed -n 's:.*<outputDirectory>\\(.*\\)</outputDirectory>.*:\\1:p' \"$pom\")",
    "ver=$(sed -n 's:.*<version>\\(5[^<]*\\)</version>.*:\\1:p' \"$pom\")",
    "mkdir -p \"$out\"",
    body
  ].join("\n"))
  fs.chmodSync(file, 0o755)
  return file
}
const runs = (name: string) => (fs.readFileSync(path.join(root, `${name}.runs`), "utf8").match(/run/g) ?? []).length

describe("fetching jars", () => {
  it.live("a failed download leaves nothing behind, a good one is moved into place and reused", () =>
    Effect.gen(function*() {
      const cache = path.join(root, "cache")
      const bad = fakeMvn("bad", "touch \"$out/half.jar\"; echo 'Could not resolve dependencies' >&2; exit 1")
      const err = yield* Effect.flip(ensureJars("5.0.99", { EFFECT_CASSANDRA_CACHE: cache, EFFECT_CASSANDRA_MVN: bad }))
      expect(err._tag).toBe("MavenFetchError")
      expect(err.output).toMatch(/Could not resolve/)
      expect(fs.readdirSync(cache)).toEqual([])

      const good = fakeMvn("good", "touch \"$out/cassandra-all-$ver.jar\" \"$out/jamm-0.4.0.jar\"")
      const env = { EFFECT_CASSANDRA_CACHE: cache, EFFECT_CASSANDRA_MVN: good }
      const lib = yield* ensureJars("5.0.99", env)
      expect(lib).toBe(path.join(cache, "cassandra-5.0.99", "lib"))
      expect(fs.readdirSync(lib).sort()).toEqual(["cassandra-all-5.0.99.jar", "jamm-0.4.0.jar"])
      expect(fs.readdirSync(cache)).toEqual(["cassandra-5.0.99"])
      yield* ensureJars("5.0.99", env)
      expect(runs("good")).toBe(1)

      const missing = yield* Effect.flip(ensureJars("5.0.98", { EFFECT_CASSANDRA_CACHE: cache, EFFECT_CASSANDRA_MVN: path.join(root, "nope") }))
      expect(missing.message).toMatch(/not found/)
    }))

  it.live("progress: each artifact Maven downloads, with the bytes so far", () =>
    Effect.gen(function*() {
      const cache = path.join(root, "cache-progress")
      const mvn = fakeMvn("progress", [
        "echo '[INFO] Scanning for projects...'",
        "echo 'Downloading from central: https://repo/x/a.jar'",
        "echo 'Downloaded from central: https://repo/x/a.jar (1.5 MB at 3.0 MB/s)'",
        "echo 'Downloaded from central: https://repo/x/b.pom (2 kB at 10 kB/s)'",
        "touch \"$out/cassandra-all-$ver.jar\""
      ].join("\n"))
      const events: Array<ProgressEvent> = []
      yield* ensureJars("5.0.97", { EFFECT_CASSANDRA_CACHE: cache, EFFECT_CASSANDRA_MVN: mvn }).pipe(
        Effect.provideService(Progress, (e) => events.push(e))
      )
      expect(events).toEqual([
        { _tag: "Download", artifacts: 1, bytes: 1572864 },
        { _tag: "Download", artifacts: 2, bytes: 1572864 + 2048 }
      ])
    }))
})
