/**
 * The `cassandra-local` command: `start [--nodes 3] [--auth] [--tls]`, `stop`, `status`, `env`.
 * Run through bin/cassandra-local.js (which picks a recent enough Node) or
 * `node --conditions=source packages/local/src/bin.ts`. It only runs the command and prints its errors:
 * parsing and the commands themselves live in `internal/cli.ts`.
 *
 * @since 0.1.0
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import { ControlError } from "./Errors.ts"
import { type Command, parseArgs, runCommand, USAGE, UsageError } from "./internal/cli.ts"

const describe = (e: unknown): string => {
  const f = e as { _tag?: string; message?: string; waitingFor?: string; logFile?: string; logTail?: string; output?: string }
  return [
    `cassandra-local: ${f._tag ?? "Error"}: ${f.message ?? String(e)}${f.waitingFor ? ` (still waiting for ${f.waitingFor})` : ""}`,
    f.logFile ? `log file: ${f.logFile}` : "",
    f.logTail ? `--- last lines of the log ---\n${f.logTail}` : "",
    f.output ? `--- maven output ---\n${f.output}` : ""
  ].filter((s) => s !== "").join("\n")
}

const main = Effect.suspend(() => {
  let command: Command
  try {
    command = parseArgs(process.argv.slice(2))
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`cassandra-local: ${e.message}\n\n${USAGE}`)
      return Effect.fail(new ControlError({ message: e.message }))
    }
    throw e
  }
  return runCommand(command).pipe(Effect.tapError((e) => Effect.sync(() => console.error(describe(e)))))
})

NodeRuntime.runMain(main, { disableErrorReporting: true })
