/**
 * UUID generators for `uuid` and `timeuuid` columns: random (version 4) and time-based (version 1, the
 * kind Cassandra's `now()` makes and a `timeuuid` column requires), as strings the driver binds.
 *
 * Time-based UUIDs of one process are unique and ordered by their time: within the same millisecond the
 * 100-nanosecond field counts up; a time earlier than the last one gets a new clock sequence; the node is random (multicast bit set, as RFC 9562 asks for a node that is
 * not a MAC address) and the clock sequence random per process.
 *
 * It does not check UUIDs (the `CqlSchema` module's `Uuid` and `TimeUuid` do).
 *
 * @since 0.2.0
 */
import { formatUuid } from "@effect-cassandra/protocol/CqlValues"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { randomFillSync, randomUUID } from "node:crypto"

/** 100-ns intervals between the Gregorian reform (1582-10-15) and the Unix epoch. */
const GREGORIAN_OFFSET = 122_192_928_000_000_000n

const node = new Uint8Array(6)
randomFillSync(node)
node[0] = node[0]! | 0x01
const clockSeqBytes = new Uint8Array(2)
randomFillSync(clockSeqBytes)
let clockSeq = ((clockSeqBytes[0]! << 8) | clockSeqBytes[1]!) & 0x3fff
let lastTicks = -1n

/** The UUID bytes of a version 1 UUID at `ticks` (100-ns intervals since 1582-10-15). */
const timeBasedAt = (ticks: bigint, seq: number, nodeBytes: Uint8Array): string => {
  const b = new Uint8Array(16)
  const low = Number(ticks & 0xffffffffn)
  const mid = Number((ticks >> 32n) & 0xffffn)
  const high = Number((ticks >> 48n) & 0x0fffn) | 0x1000
  b[0] = low >>> 24
  b[1] = (low >>> 16) & 0xff
  b[2] = (low >>> 8) & 0xff
  b[3] = low & 0xff
  b[4] = mid >>> 8
  b[5] = mid & 0xff
  b[6] = high >>> 8
  b[7] = high & 0xff
  b[8] = 0x80 | (seq >>> 8)
  b[9] = seq & 0xff
  b.set(nodeBytes, 10)
  return formatUuid(b, 0)
}

/**
 * A random (version 4) UUID.
 *
 * @since 0.2.0
 */
export const random = (): string => randomUUID()

/**
 * A time-based (version 1) UUID for the time `millis` (default now): unique in the process; those of the same
 * millisecond made one after the other increase (up to 10,000 of them, then the clock sequence changes).
 *
 * @since 0.2.0
 */
export const timeBased = (millis: number = Date.now()): string => {
  const base = BigInt(Math.floor(millis)) * 10_000n + GREGORIAN_OFFSET
  let ticks = base
  if (lastTicks >= base && lastTicks < base + 9_999n) {
    // the same millisecond as the last one: the 100-ns field counts up
    ticks = lastTicks + 1n
  } else if (lastTicks >= base) {
    // an earlier time than the last one (or 10,000 in one millisecond): a new clock sequence, as RFC 9562 asks
    clockSeq = (clockSeq + 1) & 0x3fff
  }
  lastTicks = ticks
  return timeBasedAt(ticks, clockSeq, node)
}

/**
 * The smallest time-based UUID of a millisecond (Cassandra's `minTimeuuid`), for range queries on a
 * `timeuuid` column: `WHERE id > ?` with `Uuid.minTimeBased(start)`.
 *
 * @since 0.2.0
 */
export const minTimeBased = (millis: number): string =>
  timeBasedAt(BigInt(Math.floor(millis)) * 10_000n + GREGORIAN_OFFSET, 0, new Uint8Array(6))

/**
 * The greatest time-based UUID of a millisecond (Cassandra's `maxTimeuuid`).
 *
 * @since 0.2.0
 */
export const maxTimeBased = (millis: number): string =>
  timeBasedAt(BigInt(Math.floor(millis)) * 10_000n + GREGORIAN_OFFSET + 9_999n, 0x3fff, new Uint8Array(6).fill(0xff))

/**
 * The time of a time-based UUID, in Unix milliseconds; undefined for another version or a malformed string.
 *
 * @since 0.2.0
 */
export const timestampOf = (uuid: string): number | undefined => {
  const hex = uuid.replaceAll("-", "")
  if (!/^[0-9a-fA-F]{32}$/.test(hex) || hex[12] !== "1") return undefined
  const ticks = (BigInt(`0x${hex.slice(13, 16)}`) << 48n) | (BigInt(`0x${hex.slice(8, 12)}`) << 32n) | BigInt(`0x${hex.slice(0, 8)}`)
  return Number((ticks - GREGORIAN_OFFSET) / 10_000n)
}

/**
 * A random UUID, as an Effect.
 *
 * @since 0.2.0
 */
export const makeRandom: Effect.Effect<string> = Effect.sync(random)

/**
 * A time-based UUID at the Effect `Clock`'s time (so `TestClock` controls it in tests).
 *
 * @since 0.2.0
 */
export const makeTimeBased: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, timeBased)
