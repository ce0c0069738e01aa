/**
 * Synthetic rings for the token map's tests and benchmark: hosts spread round-robin over datacenters,
 * then over racks, each with random tokens from a seeded generator; and cassandra-driver 4.10's own token
 * map fed the same hosts (a second, independent implementation of replica placement).
 */
import type { Host } from "@effect-cassandra/driver"
import { createRequire } from "node:module"

/** A small seeded generator (mulberry32): the same rings on every run. */
export const seeded = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A uniformly random Murmur3 token (signed 64-bit). */
export const randomMurmur3 = (rand: () => number): bigint =>
  BigInt.asIntN(64, (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32)))

/** A host as the driver's registry holds it. */
export const host = (address: string, datacenter: string | undefined, rack: string | undefined, tokens: ReadonlyArray<string>): Host.Host => ({
  endpoint: `${address}:9042`,
  address,
  port: 9042,
  datacenter,
  rack,
  hostId: undefined,
  releaseVersion: "5.0.9",
  tokens,
  isUp: true
})

export interface RingSpec {
  readonly hosts: number
  readonly vnodes: number
  readonly dcs: number
  readonly racks: number
  readonly seed: number
  /** Token text of the n-th random draw (default: a Murmur3 token in decimal). */
  readonly token?: ((rand: () => number) => string) | undefined
}

/** `hosts` hosts, spread round-robin over `dcs` datacenters (dc1..), then over `racks` racks (rack1..). */
export const syntheticRing = (spec: RingSpec): Array<Host.Host> => {
  const rand = seeded(spec.seed)
  const token = spec.token ?? ((r: () => number) => String(randomMurmur3(r)))
  const out: Array<Host.Host> = []
  for (let i = 0; i < spec.hosts; i++) {
    const dc = i % spec.dcs
    const rack = Math.floor(i / spec.dcs) % spec.racks
    const tokens = Array.from({ length: spec.vnodes }, () => token(rand))
    out.push(host(`10.${dc}.${(i >> 8) & 255}.${i & 255}`, `dc${dc + 1}`, `rack${rack + 1}`, tokens))
  }
  return out
}

interface PeerToken {
  toString(): string
}
interface PeerMetadata {
  keyspaces: Record<string, unknown>
  ring: ReadonlyArray<PeerToken>
  setPartitioner(name: string): void
  buildTokens(hosts: { values(): ReadonlyArray<unknown> }): void
  getReplicas(keyspace: string, token: Buffer | PeerToken): ReadonlyArray<{ readonly address: string }> | null
  newToken(text: string): PeerToken
  _schemaParser: { _createKeyspace(name: string, durable: boolean, strategy: string, options: Record<string, string>): unknown }
}

/**
 * cassandra-driver's token map (its `Metadata`) over the same hosts, with one keyspace of this replication.
 * `replicasOf(tokenText)` gives the addresses of the replicas of a ring token; `replicasOfKey(bytes)` of a key.
 */
export const peerTokenMap = (
  hosts: ReadonlyArray<Host.Host>,
  partitioner: string,
  replication: Readonly<Record<string, string>>
) => {
  const require = createRequire(import.meta.url)
  const cassandra = require("cassandra-driver") as { metadata: { Metadata: new(options: unknown, cc: unknown) => PeerMetadata } }
  const clientOptions = require("cassandra-driver/lib/client-options.js") as { defaultOptions(): unknown }
  const metadata = new cassandra.metadata.Metadata(clientOptions.defaultOptions(), null)
  metadata.setPartitioner(partitioner)
  const peerHosts = hosts.map((h) => ({ address: h.address, datacenter: h.datacenter, rack: h.rack, tokens: h.tokens }))
  const { class: strategy, ...options } = replication
  return {
    build: () => metadata.buildTokens({ values: () => peerHosts }),
    setKeyspace: () => {
      metadata.keyspaces["ks"] = metadata._schemaParser._createKeyspace("ks", true, strategy!, options)
    },
    replicasOf: (tokenText: string) => (metadata.getReplicas("ks", metadata.newToken(tokenText)) ?? []).map((h) => h.address),
    replicasOfKey: (key: Uint8Array) => (metadata.getReplicas("ks", Buffer.from(key)) ?? []).map((h) => h.address),
    ringSize: () => metadata.ring.length
  }
}
