/**
 * Vitest support: a globalSetup that starts a cluster once per test run (unless `CASSANDRA_CONTACT_POINTS`
 * is set) and hands its {@link ClusterInfo} to the test files with `provide`, and `testCluster()` /
 * `testClusterLayer()` to read it inside a test file. Test files never start a cluster themselves: only the
 * globalSetup starts (or describes) one.
 *
 * ```ts
 * // vitest.config.ts (a project):  globalSetup: ["packages/local/test/globalSetup.integration.ts"]
 * // globalSetup.integration.ts:    export default cassandraGlobalSetup({ nodes: 1, name: "integration" })
 * // in a test file:
 * import { testCluster } from "@effect-cassandra/local/vitest"
 * const { contactPoints, localDatacenter } = testCluster()
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { inject } from "vitest"
import type { TestProject } from "vitest/node"
import type { ClusterInfo } from "./LocalCassandra.ts"
import { fromEnv, fromInfo, LocalCassandra, serveControl, start, type StartOptions } from "./LocalCassandra.ts"

declare module "vitest" {
  export interface ProvidedContext {
    /** The cluster of this vitest project, set by `cassandraGlobalSetup`. */
    cassandra: ClusterInfo
  }
}

/**
 * The key under which the globalSetup provides the {@link ClusterInfo}: `inject("cassandra")`.
 *
 * @since 0.1.0
 */
export const PROVIDE_KEY = "cassandra" as const

/**
 * A vitest globalSetup: when `CASSANDRA_CONTACT_POINTS` is set it only describes that cluster; otherwise it
 * starts a local cluster with `options` plus a control server (so test files can stop and start nodes), and
 * stops both in its teardown. The cluster is handed to test files as `inject("cassandra")`.
 *
 * @since 0.1.0
 */
export const cassandraGlobalSetup = (options: StartOptions) => async (project: TestProject): Promise<() => Promise<void>> => {
  const scope = Effect.runSync(Scope.make())
  const close = () => Effect.runPromise(Scope.close(scope, Exit.void))
  const exit = await Effect.runPromiseExit(
    Effect.gen(function*() {
      const env = yield* fromEnv
      if (env._tag === "Some") {
        yield* Effect.logInfo(`using the existing cluster ${env.value.contactPoints.join(",")} (CASSANDRA_CONTACT_POINTS); nothing is started`)
        return env.value.info
      }
      const cluster = yield* start(options)
      const served = yield* serveControl(cluster)
      return served.info
    }).pipe(Scope.provide(scope))
  )
  if (Exit.isFailure(exit)) {
    await close()
    const pretty = Exit.isFailure(exit) ? describeFailure(exit) : ""
    throw new Error(`@effect-cassandra/local: the test cluster did not start.\n${pretty}`)
  }
  project.provide(PROVIDE_KEY, exit.value)
  return close
}

const describeFailure = (exit: Exit.Failure<unknown, unknown>): string => {
  const err = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (err !== undefined && err._tag === "Fail") {
    const e = err.error as { _tag?: string; message?: string; logTail?: string; logFile?: string; waitingFor?: string; output?: string }
    return [
      `${e._tag ?? "Error"}: ${e.message ?? ""}${e.waitingFor ? ` (waiting for ${e.waitingFor})` : ""}`,
      e.logFile ? `log: ${e.logFile}` : "",
      e.logTail ? `--- last lines of the log ---\n${e.logTail}` : "",
      e.output ? `--- maven output ---\n${e.output}` : ""
    ].filter((s) => s !== "").join("\n")
  }
  return String(exit.cause)
}

/**
 * Inside a test file: the cluster of this vitest project (contact points, local DC, version, credentials, CA).
 *
 * @since 0.1.0
 */
export const testCluster = (): ClusterInfo => {
  const info = inject(PROVIDE_KEY)
  if (info === undefined) {
    throw new Error("no Cassandra test cluster: run this file in a vitest project whose globalSetup is cassandraGlobalSetup (--project integration or cluster)")
  }
  return info
}

/**
 * Inside a test file: a Layer providing {@link LocalCassandra} for this project's cluster; node control
 * (stop/start/kill/pause/resume) is forwarded to the process that owns the nodes.
 *
 * @since 0.1.0
 */
export const testClusterLayer = (): Layer.Layer<LocalCassandra> => Layer.sync(LocalCassandra, () => fromInfo(testCluster()))
