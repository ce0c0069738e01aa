/**
 * What a result sets off after DDL: wait until every host agrees on the schema, asking through the
 * host that ran the DDL (it has the new schema, so agreement means every host has it; asked through
 * another host, all versions could agree on the old one for a moment), then re-read the changed
 * keyspace, as the Python driver does. (`USE` is the pool manager's `useKeyspace`.)
 *
 * It does not decide whether a result is DDL (`result.ts` does).
 *
 * @since 0.1.0
 * @internal
 */
import type { SchemaChange } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import type { ClusterShape } from "../../Cluster.ts"
import * as E from "../../Errors.ts"
import { internalRequestTimeoutMillis } from "../../ExecutionProfile.ts"
import type { Host } from "../../Host.ts"
import type { ClusterInternals } from "../cluster/internals.ts"
import { adminQuery } from "../connection/adminQuery.ts"
import type { PoolManager } from "../pool/PoolManager.ts"

/**
 * Waits for schema agreement after DDL answered by `host`, then refreshes the changed keyspace (without
 * waiting for agreement a second time).
 *
 * @since 0.1.0
 */
export const afterSchemaChange = (
  cluster: ClusterShape,
  internals: ClusterInternals,
  pools: PoolManager,
  change: SchemaChange,
  host: Host
): Effect.Effect<boolean> =>
  Effect.tap(
    internals.waitForSchemaAgreementVia((cql) => {
      const conn = pools.borrow(host)
      if (conn === undefined) return Effect.fail(new E.ConnectionError({ message: "no open connection", host: host.endpoint, sent: false }))
      return adminQuery(conn, cql, internalRequestTimeoutMillis)
    }),
    () => cluster.options.schemaMetadataEnabled ? Effect.ignore(cluster.metadata.refreshKeyspace(change.keyspace, { maxSchemaAgreementWait: 0 })) : Effect.void
  )
