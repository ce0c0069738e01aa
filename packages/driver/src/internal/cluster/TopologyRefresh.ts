/**
 * Topology refresh: reads system.local and system.peers_v2 (or system.peers before Cassandra 4)
 * through the control connection into the host registry, infers the local datacenter when none was
 * configured, caps the protocol version of a mixed-version cluster and notes the partitioner. With
 * token metadata off it names the columns it needs and reads no tokens.
 *
 * It does not open pools for the hosts it finds (pools follow the registry's events) nor build the
 * token map (the metadata store does, from the registry).
 *
 * @since 0.1.0
 * @internal
 */
import type { Row } from "@effect-cassandra/protocol/Messages"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as E from "../../Errors.ts"
import type { Connector } from "./Connector.ts"
import type { ControlConnection } from "./ControlConnection.ts"
import { type HostRegistry, rowString, splitEndpoint } from "./HostRegistry.ts"
import type { MetadataStore } from "./MetadataStore.ts"

/** What the registry takes of a host's row, tokens aside (the Python driver's `*_NO_TOKENS` queries). */
const HOST_COLUMNS = "host_id, data_center, rack, release_version, schema_version"
const LOCAL_NO_TOKENS = `SELECT ${HOST_COLUMNS}, partitioner FROM system.local WHERE key = 'local'`
const PEERS_V2_NO_TOKENS = `SELECT peer, native_address, native_port, ${HOST_COLUMNS} FROM system.peers_v2`
const PEERS_NO_TOKENS = `SELECT peer, rpc_address, ${HOST_COLUMNS} FROM system.peers`

/**
 * Reads the cluster's hosts; owns the inferred local datacenter.
 *
 * @since 0.1.0
 */
export class TopologyRefresh {
  /** The local datacenter: configured, or the control host's. */
  localDc: string | undefined
  private readonly control: ControlConnection
  private readonly registry: HostRegistry
  private readonly connector: Connector
  private readonly metadata: MetadataStore
  private readonly defaultPort: number
  private readonly readTokens: boolean

  constructor(args: {
    readonly localDc: string | undefined
    readonly control: ControlConnection
    readonly registry: HostRegistry
    readonly connector: Connector
    readonly metadata: MetadataStore
    readonly defaultPort: number
    /** `tokenMetadataEnabled`: off, the tokens columns are not read. */
    readonly readTokens: boolean
  }) {
    this.localDc = args.localDc
    this.control = args.control
    this.registry = args.registry
    this.connector = args.connector
    this.metadata = args.metadata
    this.defaultPort = args.defaultPort
    this.readTokens = args.readTokens
  }

  /** Re-reads hosts from the system tables now. */
  get refresh(): Effect.Effect<void, E.RequestError | E.InvalidInput> {
    return Effect.gen({ self: this }, function*() {
      const controlAddress = this.control.lastAddress
      if (controlAddress === undefined) return
      const local = yield* this.control.query(this.readTokens ? "SELECT * FROM system.local WHERE key = 'local'" : LOCAL_NO_TOKENS)
      const { peers, v2 } = yield* this.readPeers
      const seen = new Set<string>()
      const [address, portText] = splitEndpoint(controlAddress)
      if (local[0] !== undefined) seen.add((yield* this.registry.upsert(address, Number(portText), local[0])).endpoint)
      for (const row of peers) {
        const peer = this.peerAddress(row, v2)
        if (peer !== undefined) seen.add((yield* this.registry.upsert(peer.address, peer.port, row)).endpoint)
      }
      yield* this.registry.removeAllBut(seen)
      if (this.localDc === undefined) this.localDc = this.registry.get(controlAddress)?.datacenter
      for (const h of this.registry.all()) this.connector.cap(h.releaseVersion)
      yield* this.metadata.setPartitioner(local[0] === undefined ? undefined : rowString(local[0], "partitioner"))
    })
  }

  /** system.peers_v2 (Cassandra 4+, with ports), else system.peers. */
  private get readPeers(): Effect.Effect<{ readonly peers: ReadonlyArray<Row>; readonly v2: boolean }, E.RequestError | E.InvalidInput> {
    return Effect.gen({ self: this }, function*() {
      const v2 = yield* Effect.exit(this.control.query(this.readTokens ? "SELECT * FROM system.peers_v2" : PEERS_V2_NO_TOKENS))
      if (Exit.isSuccess(v2)) return { peers: v2.value, v2: true }
      return { peers: yield* this.control.query(this.readTokens ? "SELECT * FROM system.peers" : PEERS_NO_TOKENS), v2: false }
    })
  }

  /** The native transport address of a peer row (its `peer` when it listens on 0.0.0.0). */
  private peerAddress(row: Row, v2: boolean): { readonly address: string; readonly port: number } | undefined {
    const address = v2
      ? rowString(row, "native_address") ?? rowString(row, "peer")
      : rowString(row, "rpc_address") ?? rowString(row, "peer")
    if (address === undefined) return undefined
    const port = v2 && typeof row["native_port"] === "number" ? row["native_port"] as number : this.defaultPort
    return { address: address === "0.0.0.0" ? rowString(row, "peer") ?? address : address, port }
  }
}
