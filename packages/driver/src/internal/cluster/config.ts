/**
 * Reading layers' options through `Config`: a `Config.Wrap` unwrapped (fields left `undefined` skipped),
 * and a `Config` read as an Effect. Used by `Cluster.layerConfig` and `Session.layerConfig`.
 *
 * It does not parse the CASSANDRA_* variables (Environment.ts does) or build anything.
 *
 * @since 0.2.0
 * @internal
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"

/**
 * `Config.unwrap`, skipping fields set to `undefined` (an optional option left out).
 *
 * @since 0.2.0
 */
export const unwrapDefined = <A>(wrapped: Config.Wrap<A>): Config.Config<A> => {
  if (Config.isConfig(wrapped)) return wrapped as Config.Config<A>
  const defined: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(wrapped as object)) if (value !== undefined) defined[key] = value
  return Config.unwrap(defined as unknown as Config.Wrap<A>)
}

/**
 * Reads a `Config` through the current ConfigProvider.
 *
 * @since 0.2.0
 */
export const readConfig = <A>(config: Config.Config<A>): Effect.Effect<A, Config.ConfigError> =>
  Effect.gen(function*() {
    return yield* config
  })
