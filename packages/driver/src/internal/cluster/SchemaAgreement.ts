/**
 * Schema agreement: waits until every up host reports the same schema version, asking system.local
 * and system.peers through a given query function (the connection of the host that ran the DDL), with
 * the control connection as the fallback, every 200 ms up to a maximum wait. A maximum wait of zero or
 * less skips the wait (the Python driver's `max_schema_agreement_wait <= 0`): nothing is asked.
 *
 * It does not refresh the schema afterwards (the caller does).
 *
 * @since 0.1.0
 * @internal
 */
import type { Row } from "@effect-cassandra/protocol/Messages"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as E from "../../Errors.ts"
import { type HostRegistry, rowString } from "./HostRegistry.ts"

/**
 * An admin query: CQL in, rows out.
 *
 * @since 0.1.0
 */
export type AdminQuery = (cql: string) => Effect.Effect<ReadonlyArray<Row>, E.RequestError | E.InvalidInput>

const POLL = "200 millis"

/**
 * True when the up hosts agreed within `maxWait`, false otherwise; true at once, without a query, when
 * `maxWait` is zero or less (the wait is skipped, as in the Python driver).
 *
 * @since 0.1.0
 */
export const waitForSchemaAgreement = (args: {
  readonly query: AdminQuery
  readonly fallback: AdminQuery
  readonly registry: HostRegistry
  readonly maxWait: Duration.Duration
}): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const maxWait = Duration.toMillis(args.maxWait)
    if (!(maxWait > 0)) return true
    const clock = yield* Effect.clockWith(Effect.succeed)
    const deadline = clock.currentTimeMillisUnsafe() + maxWait
    // through `query`, or the control connection when that fails (its connection died, say)
    const ask = (cql: string) => Effect.catch(args.query(cql), () => args.fallback(cql))
    while (clock.currentTimeMillisUnsafe() < deadline) {
      const local = yield* Effect.exit(ask("SELECT schema_version FROM system.local WHERE key = 'local'"))
      const peers = yield* Effect.exit(ask("SELECT peer, rpc_address, schema_version FROM system.peers"))
      if (Exit.isSuccess(local) && Exit.isSuccess(peers) && versionsOf(local.value, peers.value, args.registry).size <= 1) {
        return true
      }
      yield* Effect.sleep(POLL)
    }
    return false
  })

/** The schema versions of the local host and of every peer the registry does not know as down. */
const versionsOf = (local: ReadonlyArray<Row>, peers: ReadonlyArray<Row>, registry: HostRegistry): Set<string> => {
  const versions = new Set<string>()
  for (const r of local) versions.add(String(r["schema_version"]))
  for (const r of peers) {
    const peer = rowString(r, "rpc_address") ?? rowString(r, "peer")
    const h = registry.all().find((x) => x.address === peer)
    if (h !== undefined && !h.isUp) continue
    if (r["schema_version"] != null) versions.add(String(r["schema_version"]))
  }
  return versions
}
