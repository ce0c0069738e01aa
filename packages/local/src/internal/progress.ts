/**
 * Progress of the slow steps, for whoever shows it: the jars Maven downloads (artifacts and bytes) and each
 * node's wait until it is ready ("node2: waiting for gossip, 12 s"). A `Context.Reference` whose default does
 * nothing: the library stays quiet, the CLI provides a reporter that writes to stderr (`reporter`).
 *
 * It does not decide what is waited for (`cluster.ts` does) nor download anything (`jars.ts` does).
 *
 * @internal
 */
import * as Context from "effect/Context"

/**
 * One step of progress.
 *
 * @since 0.2.0
 */
export type ProgressEvent =
  | { readonly _tag: "Download"; readonly artifacts: number; readonly bytes: number }
  | { readonly _tag: "NodeWaiting"; readonly node: number; readonly waitingFor: string; readonly elapsedMillis: number }
  | { readonly _tag: "NodeReady"; readonly node: number; readonly elapsedMillis: number }

/**
 * Where progress goes (default: nowhere).
 *
 * @since 0.2.0
 */
export const Progress = Context.Reference<(event: ProgressEvent) => void>("@effect-cassandra/local/Progress", {
  defaultValue: () => () => {}
})

/** About the size of cassandra-all 5.0 and its runtime dependencies. */
const EXPECTED_BYTES = 67 * 1024 * 1024

/**
 * A Maven transfer line (`Downloaded from central: https://.../x.jar (1.2 MB at 3.4 MB/s)`): its size in bytes.
 *
 * @since 0.2.0
 */
export const downloadedBytes = (line: string): number | undefined => {
  const m = /^(?:\[INFO\]\s+)?Downloaded from [^:]+: \S+ \((\d+(?:\.\d+)?) ([kMG]?B)/.exec(line.trim())
  if (m === null) return undefined
  const unit = { B: 1, kB: 1024, MB: 1024 * 1024, GB: 1024 * 1024 * 1024 }[m[2]!] ?? 1
  return Math.round(Number(m[1]) * unit)
}

/** A short name for what a node waits for. */
const phase = (waitingFor: string): string =>
  waitingFor.startsWith("peers seen UP") || waitingFor.includes(" to see ")
    ? `gossip (${waitingFor})`
    : waitingFor.includes("Starting listening")
    ? "the CQL port"
    : waitingFor.includes("Startup complete")
    ? "startup to complete"
    : waitingFor.startsWith("a CQL query")
    ? "a CQL answer"
    : waitingFor

const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1)

/**
 * The text of one event.
 *
 * @since 0.2.0
 */
export const describeProgress = (event: ProgressEvent): string => {
  switch (event._tag) {
    case "Download":
      return `jars: ${event.artifacts} artifact(s), ${mib(event.bytes)} of ~${mib(EXPECTED_BYTES)} MiB downloaded`
    case "NodeWaiting":
      return `node${event.node}: waiting for ${phase(event.waitingFor)}, ${Math.floor(event.elapsedMillis / 1000)} s`
    case "NodeReady":
      return `node${event.node}: ready in ${(event.elapsedMillis / 1000).toFixed(1)} s`
  }
}

/**
 * A reporter writing to `out`: on a terminal one line per node and one for the jars, rewritten in place
 * (at most every 200 ms); elsewhere a line when the step changes and every `everyMillis` while it lasts.
 *
 * @since 0.2.0
 */
export const reporter = (
  out: { write(s: string): unknown; readonly isTTY?: boolean | undefined },
  options: { readonly now?: () => number; readonly everyMillis?: number } = {}
): (event: ProgressEvent) => void => {
  const now = options.now ?? Date.now
  const every = options.everyMillis ?? 5000
  const last = new Map<string, { text: string; at: number }>()
  return (event) => {
    const key = event._tag === "Download" ? "jars" : `node${event.node}`
    const text = describeProgress(event)
    const kind = text.replace(/, \d+ s$/, "").replace(/\d+(\.\d+)? of/, "")
    const prev = last.get(key)
    const t = now()
    if (out.isTTY === true) {
      if (event._tag !== "NodeReady" && prev !== undefined && t - prev.at < 200) return
      last.set(key, { text: kind, at: t })
      out.write(`\r\x1b[2K${text}${event._tag === "NodeReady" ? "\n" : ""}`)
      return
    }
    if (event._tag !== "NodeReady" && prev !== undefined && prev.text === kind && t - prev.at < every) return
    last.set(key, { text: kind, at: t })
    out.write(`${text}\n`)
  }
}
