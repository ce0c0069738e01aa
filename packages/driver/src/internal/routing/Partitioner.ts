/**
 * Partitioners: for each of Cassandra's three (Murmur3, Random, ByteOrdered), how the ring's tokens read
 * from system.local / system.peers parse, how they compare, and which token a routing key has (the
 * protocol package's `murmur3Token`, `randomToken`, `byteOrderedToken`).
 *
 * It does not hold a ring nor place replicas (the token map does) and does not read the partitioner's name
 * (topology refresh does).
 *
 * @since 0.2.0
 * @internal
 */
import { byteOrderedToken, murmur3Token, randomToken } from "@effect-cassandra/protocol/Token"
import type { Token } from "../../Metadata.ts"

/**
 * What the token map needs of a partitioner. `approx` maps a token to a number that never decreases
 * when the token increases (equal numbers are told apart by `compare`): the ring is sorted and searched
 * on those numbers, so building it parses no bigint and a lookup compares doubles, not bigints or bytes.
 *
 * @since 0.2.0
 */
export interface Partitioner {
  /** The class name without its package: `Murmur3Partitioner`, `RandomPartitioner`, `ByteOrderedPartitioner`. */
  readonly name: string
  /** A ring token as the system tables write it, or undefined when it is not one of this partitioner's. */
  readonly parse: (text: string) => Token | undefined
  /** `approx` of the token `text` writes, without building the token; NaN when it is not a token. */
  readonly approxOf: (text: string) => number
  /** Whether `token` is of this partitioner's kind (a bigint, or bytes). */
  readonly accepts: (token: Token) => boolean
  /** The token of a routing key. */
  readonly tokenOf: (routingKey: Uint8Array) => Token
  readonly compare: (a: Token, b: Token) => number
  readonly approx: (token: Token) => number
}

const MURMUR3_MIN = -(2n ** 63n)
const MURMUR3_MAX = 2n ** 63n - 1n
const RANDOM_MAX = 2n ** 127n
const INTEGER = /^-?[0-9]+$/
const HEX = /^(?:[0-9a-fA-F]{2})*$/

const compareBigints = (a: Token, b: Token): number => ((a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0)

/** An integer token in [min, max], or undefined. */
const parseInteger = (text: string, min: bigint, max: bigint): bigint | undefined => {
  if (!INTEGER.test(text)) return undefined
  const t = BigInt(text)
  return t < min || t > max ? undefined : t
}

/**
 * The double nearest to the integer `text` writes (up to 20 digits, which Number() rounds exactly as it
 * rounds the bigint), NaN unless it is an integer in [min, max]. Near the bounds (where the double cannot
 * tell) and past 20 digits the text is parsed exactly.
 */
const approxInteger = (text: string, min: bigint, max: bigint, nearMin: number, nearMax: number): number => {
  if (!INTEGER.test(text)) return Number.NaN
  const x = Number(text)
  if (x <= nearMin || x >= nearMax || text.length > 20) return parseInteger(text, min, max) === undefined ? Number.NaN : x
  return x
}

/**
 * Murmur3Partitioner (Cassandra's default): signed 64-bit tokens, written in decimal.
 *
 * @since 0.2.0
 */
export const murmur3: Partitioner = {
  name: "Murmur3Partitioner",
  parse: (text) => parseInteger(text, MURMUR3_MIN, MURMUR3_MAX),
  approxOf: (text) => approxInteger(text, MURMUR3_MIN, MURMUR3_MAX, -(2 ** 63) + 4096, 2 ** 63 - 4096),
  accepts: (token) => typeof token === "bigint",
  tokenOf: murmur3Token,
  compare: compareBigints,
  approx: (token) => Number(token as bigint)
}

/**
 * RandomPartitioner: MD5 tokens in [0, 2^127], written in decimal.
 *
 * @since 0.2.0
 */
export const random: Partitioner = {
  name: "RandomPartitioner",
  parse: (text) => parseInteger(text, 0n, RANDOM_MAX),
  // exactly parsed: a decimal string of more than 20 digits may round differently from the bigint
  approxOf: (text) => {
    const t = parseInteger(text, 0n, RANDOM_MAX)
    return t === undefined ? Number.NaN : Number(t)
  },
  accepts: (token) => typeof token === "bigint",
  tokenOf: randomToken,
  compare: compareBigints,
  approx: (token) => Number(token as bigint)
}

/** Unsigned lexicographic order, a proper prefix first (Cassandra's BytesToken). */
const compareBytes = (a: Token, b: Token): number => {
  const x = a as Uint8Array, y = b as Uint8Array
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1
}

/** The first six bytes as a 48-bit number, missing bytes as zeros: never decreases in byte order. */
const bytesPrefix = (token: Token): number => {
  const b = token as Uint8Array
  let v = 0
  for (let i = 0; i < 6; i++) v = v * 256 + (i < b.length ? b[i]! : 0)
  return v
}

const parseHex = (text: string): Uint8Array | undefined => {
  if (!HEX.test(text)) return undefined
  const out = new Uint8Array(text.length >>> 1)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * ByteOrderedPartitioner: the key bytes are the token; written in hexadecimal.
 *
 * @since 0.2.0
 */
export const byteOrdered: Partitioner = {
  name: "ByteOrderedPartitioner",
  parse: parseHex,
  approxOf: (text) => {
    if (!HEX.test(text)) return Number.NaN
    let v = 0
    for (let i = 0; i < 12; i += 2) v = v * 256 + (i < text.length ? Number.parseInt(text.slice(i, i + 2), 16) : 0)
    return v
  },
  accepts: (token) => token instanceof Uint8Array,
  tokenOf: byteOrderedToken,
  compare: compareBytes,
  approx: bytesPrefix
}

/**
 * The partitioner of a class name system.local reports (with or without its package); Murmur3 when the
 * name is missing (as for a node that does not say); undefined for one the driver cannot route by
 * (OrderPreservingPartitioner, LocalPartitioner, a custom class).
 *
 * @since 0.2.0
 */
export const partitionerNamed = (className: string | undefined): Partitioner | undefined => {
  if (className === undefined) return murmur3
  const name = className.slice(className.lastIndexOf(".") + 1)
  return name === murmur3.name ? murmur3 : name === random.name ? random : name === byteOrdered.name ? byteOrdered : undefined
}
