/**
 * The `cassandra-local` command: `start [--nodes 3] [--auth] [--tls]`, `stop`, `status`, `env`, with `--help`,
 * `--version` and `--completions bash|zsh|fish` (effect/cli). Run through bin/cassandra-local.js (which picks a
 * recent enough Node) or `node --conditions=source packages/local/src/bin.ts`.
 *
 * It only runs the command: help and usage errors go to stderr, a usage error (or no command) exits with 2, a
 * failed command prints its error and exits with 1; progress of the jar download and the node start goes to
 * stderr. The command tree and the commands live in `internal/cli.ts`.
 *
 * @since 0.1.0
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import { Command as Cli, CliOutput } from "effect/cli"
import { cli, runCommand, VERSION } from "./internal/cli.ts"
import { Progress, reporter } from "./internal/progress.ts"

const describe = (e: unknown): string => {
  const f = e as { _tag?: string; message?: string; waitingFor?: string; logFile?: string; logTail?: string; output?: string }
  return [
    `cassandra-local: ${f._tag ?? "Error"}: ${f.message ?? String(e)}${f.waitingFor ? ` (still waiting for ${f.waitingFor})` : ""}`,
    f.logFile ? `log file: ${f.logFile}` : "",
    f.logTail ? `--- last lines of the log ---\n${f.logTail}` : "",
    f.output ? `--- maven output ---\n${f.output}` : ""
  ].filter((s) => s !== "").join("\n")
}

/** Help asked for with --help goes to stdout; help after a usage error, or without a command, to stderr. */
const presenter = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "Help" && event.reason === "Requested" || event._tag === "Version"
      ? CliOutput.defaultPresenter.present(event)
      : Effect.gen(function*() {
        const formatter = yield* CliOutput.Formatter
        yield* Console.error(formatter.formatHelpDoc(event.helpDoc))
        if (event._tag === "InvalidInvocation") yield* Console.error(formatter.formatErrors(event.errors))
      })
})

/** Exits with 2: a usage error, or no command. */
class UsageExit {
  readonly [Runtime.errorExitCode] = 2
  readonly [Runtime.errorReported] = false
}

/** Exits with 1 after the command's error was printed. */
class CommandFailed {
  readonly [Runtime.errorExitCode] = 1
  readonly [Runtime.errorReported] = false
}

const main = cli((command) => runCommand(command).pipe(Effect.tapError((e) => Console.error(describe(e))))).pipe(
  Cli.run({ version: VERSION }),
  Effect.catch((e: { readonly _tag?: string }) => Effect.fail(e._tag === "ShowHelp" ? new UsageExit() : new CommandFailed())),
  Effect.provideService(Progress, reporter(process.stderr)),
  Effect.provide(Layer.merge(NodeServices.layer, presenter))
)

NodeRuntime.runMain(main, { disableErrorReporting: true })
