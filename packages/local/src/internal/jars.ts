/**
 * Fetches cassandra-all and its runtime dependencies with Maven into a cache folder, once per version.
 * It only downloads: the classpath of a node is built in `layout.ts`.
 *
 * @internal
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import { MavenFetchError } from "../Errors.ts"
import type { Env } from "../Env.ts"
import { cacheRoot, jarsDir } from "./layout.ts"
import { lastLines } from "./logs.ts"
import { downloadedBytes, Progress } from "./progress.ts"
import { resource } from "./resources.ts"

const isComplete = (lib: string, version: string): boolean => fs.existsSync(path.join(lib, `cassandra-all-${version}.jar`))

/**
 * Runs a command, collecting stdout+stderr; resolves with the exit code.
 *
 * @since 0.1.0
 */
export const run = (cmd: string, args: ReadonlyArray<string>, options: childProcess.SpawnOptions = {}, onLine?: (line: string) => void) =>
  Effect.callback<{ code: number | null; output: string }, Error>((resume) => {
    let output = ""
    let partial = ""
    let child: childProcess.ChildProcess
    try {
      child = childProcess.spawn(cmd, args, { ...options, stdio: ["ignore", "pipe", "pipe"] })
    } catch (e) {
      resume(Effect.fail(e as Error))
      return
    }
    const collect = (d: Buffer) => {
      const text = d.toString()
      output += text
      if (onLine === undefined) return
      const lines = (partial + text).split("\n")
      partial = lines.pop() ?? ""
      for (const line of lines) onLine(line)
    }
    child.stdout?.on("data", collect)
    child.stderr?.on("data", collect)
    child.on("error", (e) => resume(Effect.fail(e)))
    child.on("close", (code) => resume(Effect.succeed({ code, output })))
    return Effect.sync(() => {
      if (child.exitCode === null) child.kill("SIGKILL")
    })
  })

/**
 * The folder of jars for `version`, fetched on first use. Maven writes into a fresh temporary folder which is
 * renamed into place only when complete, so a partial download is never used. `EFFECT_CASSANDRA_MVN` may name
 * another Maven executable.
 *
 * @since 0.1.0
 */
export const ensureJars = (version: string, env: Env = process.env): Effect.Effect<string, MavenFetchError> =>
  Effect.gen(function*() {
    const lib = jarsDir(version, env)
    if (isComplete(lib, version)) return lib
    const root = cacheRoot(env)
    const final = path.dirname(lib)
    const fail = (message: string, output = "") => new MavenFetchError({ version, message, output: lastLines(output, 40) })
    const tmp = yield* Effect.try({
      try: () => {
        fs.mkdirSync(root, { recursive: true })
        return fs.mkdtempSync(path.join(root, `.cassandra-${version}.partial-`))
      },
      catch: (e) => fail(`cannot create a folder under ${root}: ${(e as Error).message}`)
    })
    const cleanup = Effect.sync(() => fs.rmSync(tmp, { recursive: true, force: true }))
    return yield* Effect.gen(function*() {
      const template = yield* Effect.try({ try: () => resource("pom.xml.template"), catch: (e) => fail(`cannot read pom template: ${e}`) })
      const pom = path.join(tmp, "pom.xml")
      fs.writeFileSync(pom, template.replaceAll("@@CASSANDRA_VERSION@@", version).replaceAll("@@OUTPUT_DIR@@", path.join(tmp, "lib")))
      yield* Effect.logInfo(`fetching Apache Cassandra ${version} jars with Maven into ${final}`)
      const mvn = env.EFFECT_CASSANDRA_MVN ?? "mvn"
      // not -q: Maven's "Downloaded from ..." lines are the progress (artifacts and bytes)
      const report = yield* Progress
      const downloads = { artifacts: 0, bytes: 0 }
      const onLine = (line: string) => {
        const bytes = downloadedBytes(line)
        if (bytes === undefined) return
        downloads.artifacts++
        downloads.bytes += bytes
        report({ _tag: "Download", ...downloads })
      }
      const result = yield* run(mvn, ["-B", "-f", pom, "dependency:copy-dependencies"], { cwd: tmp }, onLine).pipe(
        Effect.mapError((e) =>
          fail(
            (e as NodeJS.ErrnoException).code === "ENOENT"
              ? `${mvn} was not found: install Maven 3.6+ (or set CASSANDRA_CONTACT_POINTS to use an existing cluster)`
              : `${mvn} could not be run: ${e.message}`
          )
        ),
        Effect.timeoutOrElse({ duration: "15 minutes", orElse: () => Effect.succeed(undefined) })
      )
      if (result === undefined) return yield* fail(`${mvn} did not finish within 15 minutes`)
      if (result.code !== 0) return yield* fail(`mvn dependency:copy-dependencies exited with ${result.code} for org.apache.cassandra:cassandra-all:${version}`, result.output)
      if (!isComplete(path.join(tmp, "lib"), version)) return yield* fail("mvn finished but cassandra-all is not among the copied jars", result.output)
      fs.rmSync(pom, { force: true })
      if (fs.existsSync(final) && !isComplete(lib, version)) fs.rmSync(final, { recursive: true, force: true })
      try {
        fs.renameSync(tmp, final)
      } catch (e) {
        // Another process won the race: use its folder if it is complete.
        if (!isComplete(lib, version)) return yield* fail(`cannot move the jars into ${final}: ${(e as Error).message}`)
      }
      return lib
    }).pipe(Effect.ensuring(cleanup))
  })
