/**
 * Migrations for a `CassandraClient`: effect/sql's loaders (`fromRecord`, `fromGlob`, `fromFileSystem`)
 * and numbered migrations, with the applied ones kept in a CQL table (`effect_sql_migrations` by
 * default: `migration_id int PRIMARY KEY, name text, created_at timestamp`) in the session's keyspace.
 *
 * It does not lock and has no transaction: Cassandra has neither. Each pending migration runs, then its
 * row is written with `INSERT ... IF NOT EXISTS`; a row another run wrote meanwhile fails the run with
 * `MigrationError` kind "Locked", but only after this run's migration has run too. Run migrations from
 * one process (a deploy step), and write them to be safe twice (`CREATE TABLE IF NOT EXISTS`, ...). A
 * migration that fails half-way leaves what it did: nothing is rolled back.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import { Migrator, SqlClient, type SqlError } from "effect/sql"

/**
 * effect/sql's loaders and error, reachable from here.
 *
 * @since 0.2.0
 */
export const { fromGlob, fromRecord, fromBabelGlob, MigrationError } = Migrator

/**
 * What `run` takes.
 *
 * @since 0.2.0
 * @category models
 */
export interface MigratorOptions<R = never> {
  readonly loader: Migrator.Loader<R>
  /** The table of applied migrations (default `effect_sql_migrations`), in the session's keyspace unless qualified (`ks.t`). */
  readonly table?: string | undefined
}

/**
 * Runs the migrations whose id is above the highest applied one, in id order; returns those it ran.
 *
 * @since 0.2.0
 * @category constructors
 */
export const run = <R = never>(
  options: MigratorOptions<R>
): Effect.Effect<ReadonlyArray<readonly [id: number, name: string]>, Migrator.MigrationError | SqlError.SqlError, SqlClient.SqlClient | R> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const table = sql(options.table ?? "effect_sql_migrations")
    yield* sql`CREATE TABLE IF NOT EXISTS ${table} (migration_id int PRIMARY KEY, name text, created_at timestamp)`
    const applied = yield* sql<{ readonly migration_id: number }>`SELECT migration_id FROM ${table}`.withoutTransform
    const latest = applied.reduce((max, row) => Math.max(max, row.migration_id), 0)
    const migrations = [...(yield* options.loader)].sort((a, b) => a[0] - b[0])
    if (new Set(migrations.map(([id]) => id)).size !== migrations.length) {
      return yield* new Migrator.MigrationError({ kind: "Duplicates", message: "Found duplicate migration id's" })
    }
    const ran: Array<readonly [number, string]> = []
    for (const [id, name, load] of migrations) {
      if (id <= latest) continue
      const effect = yield* loadMigration(id, name, load)
      yield* Effect.mapError(effect, (cause) =>
        new Migrator.MigrationError({ cause, kind: "Failed", message: `Migration "${id}_${name}" failed` })).pipe(
          Effect.withSpan(`Migrator ${id}_${name}`)
        )
      const recorded = yield* sql<{ readonly "[applied]"?: boolean }>`INSERT INTO ${table} (migration_id, name, created_at) VALUES (${id}, ${name}, toTimestamp(now())) IF NOT EXISTS`.withoutTransform
      if (recorded[0]?.["[applied]"] === false) {
        return yield* new Migrator.MigrationError({
          kind: "Locked",
          message: `Migration "${id}_${name}" was recorded by another run meanwhile (the migrator does not lock: both ran it)`
        })
      }
      ran.push([id, name])
    }
    return ran
  })

/** The migration's effect: the loaded value, or its default export. */
const loadMigration = (
  id: number,
  name: string,
  load: Effect.Effect<unknown, unknown, SqlClient.SqlClient>
): Effect.Effect<Effect.Effect<unknown, unknown, SqlClient.SqlClient>, Migrator.MigrationError, SqlClient.SqlClient> => {
  const importError = (message: string, cause?: unknown) =>
    new Migrator.MigrationError({ cause, kind: "ImportError", message: `${message} for migration "${id}_${name}"` })
  return load.pipe(
    Effect.mapError((cause) => importError("Could not import", cause)),
    Effect.catchDefect((cause) => Effect.fail(importError("Could not import", cause))),
    Effect.flatMap((loaded) => {
      const candidate = Effect.isEffect(loaded)
        ? loaded
        : (loaded as { readonly default?: { readonly default?: unknown } } | undefined)?.default?.default ??
          (loaded as { readonly default?: unknown } | undefined)?.default
      return Effect.isEffect(candidate)
        ? Effect.succeed(candidate as Effect.Effect<unknown, unknown, SqlClient.SqlClient>)
        : Effect.fail(importError("No Effect as default export"))
    })
  )
}
