/**
 * The metadata store: the keyspaces read from system_schema and the token map built from the
 * registry's hosts under the cluster's partitioner, with the `Metadata` view the public Cluster hands out.
 *
 * The token map is rebuilt only when a topology refresh changed the ring (hosts, their tokens, DCs or
 * racks) or the partitioner; a schema refresh keeps it (a keyspace's new replication takes effect on its
 * next lookup). Tokens the map skipped are logged as warnings.
 *
 * It does not read anything itself (schema refresh and topology refresh feed it) nor route requests.
 *
 * @since 0.1.0
 * @internal
 */
import * as Effect from "effect/Effect"
import type { KeyspaceMetadata } from "../../Metadata.ts"
import { type Partitioner, partitionerNamed } from "../routing/Partitioner.ts"
import { TokenMap } from "../routing/TokenMap.ts"
import type { HostRegistry } from "./HostRegistry.ts"

/**
 * What the cluster knows of the schema and the ring.
 *
 * @since 0.1.0
 */
export class MetadataStore {
  keyspaces: ReadonlyMap<string, KeyspaceMetadata> = new Map()
  private ring: TokenMap | undefined = undefined
  /** The cluster's partitioner (undefined: one the driver cannot route by). */
  private partitioner: Partitioner | undefined = partitionerNamed(undefined)
  private partitionerName: string | undefined = undefined
  private readonly registry: HostRegistry
  private readonly tokenMetadataEnabled: boolean

  constructor(registry: HostRegistry, tokenMetadataEnabled: boolean) {
    this.registry = registry
    this.tokenMetadataEnabled = tokenMetadataEnabled
  }

  /** The token ring (undefined until hosts with tokens are known, or when token metadata is off). */
  get tokenMap(): TokenMap | undefined {
    return this.ring
  }

  /**
   * Notes the partitioner system.local reports (Murmur3, Random and ByteOrdered have token maps; with
   * another one routing is not token-aware), then brings the token map up to date with the registry's
   * hosts, logging a warning for each host whose tokens it skipped.
   */
  setPartitioner(partitioner: string | undefined): Effect.Effect<void> {
    return Effect.suspend(() => {
      const warnings: Array<string> = []
      if (partitioner !== this.partitionerName) {
        this.partitionerName = partitioner
        this.partitioner = partitionerNamed(partitioner)
        if (this.partitioner === undefined && this.tokenMetadataEnabled) {
          warnings.push(`partitioner ${partitioner}: the driver computes no tokens for it, routing is not token-aware`)
        }
      }
      warnings.push(...this.rebuildTokenMap())
      return warnings.length === 0 ? Effect.void : Effect.forEach(warnings, (w) => Effect.logWarning(`token map: ${w}`), { discard: true })
    })
  }

  /** Brings the token map up to date with the registry's hosts (one was removed outside a topology refresh). */
  get hostsChanged(): Effect.Effect<void> {
    return this.setPartitioner(this.partitionerName)
  }

  /** Replaces every keyspace (a full schema refresh). */
  setKeyspaces(keyspaces: ReadonlyMap<string, KeyspaceMetadata>): void {
    this.keyspaces = keyspaces
  }

  /** Replaces one keyspace, or forgets it when it is gone. */
  setKeyspace(name: string, keyspace: KeyspaceMetadata | undefined): void {
    const next = new Map(this.keyspaces)
    if (keyspace === undefined) next.delete(name)
    else next.set(name, keyspace)
    this.keyspaces = next
  }

  /**
   * Replaces one part of a keyspace (a table, a type, a function...): `update` gets the keyspace as it
   * is and returns it changed. False, and nothing changed, when the keyspace is unknown.
   */
  updateKeyspace(name: string, update: (keyspace: KeyspaceMetadata) => KeyspaceMetadata): boolean {
    const current = this.keyspaces.get(name)
    if (current === undefined) return false
    const next = new Map(this.keyspaces)
    next.set(name, update(current))
    this.keyspaces = next
    return true
  }

  /** A new token map when the ring changed; what it skipped. */
  private rebuildTokenMap(): ReadonlyArray<string> {
    const partitioner = this.partitioner
    if (!this.tokenMetadataEnabled || partitioner === undefined) {
      this.ring = undefined
      return []
    }
    const hosts = this.registry.all()
    if (this.ring !== undefined && this.ring.isBuiltFrom(hosts, partitioner)) return []
    this.ring = new TokenMap(hosts, partitioner)
    return this.ring.skipped
  }
}
