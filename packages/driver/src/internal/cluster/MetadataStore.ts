/**
 * The metadata store: the keyspaces read from system_schema and the token map built from the
 * registry's hosts, with the `Metadata` view the public Cluster hands out.
 *
 * It does not read anything itself (schema refresh and topology refresh feed it) nor route requests.
 *
 * @since 0.1.0
 * @internal
 */
import type { KeyspaceMetadata } from "../../Metadata.ts"
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
  /** The cluster's partitioner is Murmur3 (the only one whose tokens the driver computes). */
  private murmur3 = true
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
   * Notes the partitioner system.local reports, then rebuilds the ring. Token-aware routing computes
   * Murmur3 tokens: with another partitioner (Random, ByteOrdered) the ring's tokens mean something
   * else, so there is no token map and routing is not token-aware.
   */
  setPartitioner(partitioner: string | undefined): void {
    this.murmur3 = partitioner === undefined || partitioner.endsWith("Murmur3Partitioner")
    this.rebuildTokenMap()
  }

  /** Replaces every keyspace (a full schema refresh). */
  setKeyspaces(keyspaces: ReadonlyMap<string, KeyspaceMetadata>): void {
    this.keyspaces = keyspaces
    // replication may have changed: the token map's replica cache starts over
    this.rebuildTokenMap()
  }

  /** Replaces one keyspace, or forgets it when it is gone. */
  setKeyspace(name: string, keyspace: KeyspaceMetadata | undefined): void {
    const next = new Map(this.keyspaces)
    if (keyspace === undefined) next.delete(name)
    else next.set(name, keyspace)
    this.keyspaces = next
    this.rebuildTokenMap()
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

  private rebuildTokenMap(): void {
    this.ring = this.tokenMetadataEnabled && this.murmur3 ? new TokenMap(this.registry.all()) : undefined
  }
}
