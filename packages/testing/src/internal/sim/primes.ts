/**
 * Primes and how requests match them: the primes of a cluster, newest first; the conditions of a
 * prime (kinds, query text or pattern, prepared id, bound values, consistency, hosts); the answer a
 * match gets (one after the other, repeating the last); and the mock's paging state, which resumes
 * a prime's rows. It neither decides what an unprimed request gets (`builtins.ts`) nor encodes answers.
 *
 * @internal
 */
import type { CqlType } from "@effect-cassandra/protocol/CqlType"
import { decodeValue, inferType, serializeValue } from "@effect-cassandra/protocol/CqlValues"
import type { RawValue } from "@effect-cassandra/protocol/Frames"
import { type ColumnSpec, UNSET } from "@effect-cassandra/protocol/Messages"
import * as Result from "effect/Result"
import { type Answer, columnSpecs, consistencyCode } from "../../Answer.ts"
import type { HostRef, PrimeSpec, RequestKind } from "../../Model.ts"
import { normalizeQuery } from "../cql.ts"
import { idKey } from "../ids.ts"
import type { SimHost } from "./hosts.ts"

/**
 * One prime, with its conditions prepared for matching, its use count and its encoded answers.
 *
 * @since 0.1.0
 */
export class SimPrime {
  readonly id: number
  readonly spec: PrimeSpec
  readonly kinds: ReadonlySet<RequestKind>
  readonly exact: string | undefined
  readonly pattern: RegExp | undefined
  readonly consistencies: ReadonlySet<number> | undefined
  readonly answers: ReadonlyArray<Answer>
  readonly variables: ReadonlyArray<ColumnSpec> | undefined
  /** Pre-encoded envelopes of the answers (stream 0), by `answerIndex|version|compression|metadata`. */
  readonly cache = new Map<string, Uint8Array>()
  used = 0
  constructor(id: number, spec: PrimeSpec) {
    this.id = id
    this.spec = spec
    const kinds = spec.kind === undefined ? ["query", "execute", "batch"] : typeof spec.kind === "string" ? [spec.kind] : spec.kind
    this.kinds = new Set(kinds as ReadonlyArray<RequestKind>)
    this.exact = typeof spec.query === "string" ? normalizeQuery(spec.query) : undefined
    this.pattern = spec.query instanceof RegExp ? spec.query : undefined
    const cl = spec.consistency
    this.consistencies = cl === undefined ? undefined : new Set((typeof cl === "string" ? [cl] : cl).map(consistencyCode))
    this.answers = isAnswerList(spec.then) ? spec.then : [spec.then]
    this.variables = spec.variables === undefined ? undefined : columnSpecs(spec.variables)
  }
  get exhausted(): boolean {
    return this.spec.times !== undefined && this.used >= this.spec.times
  }
  queryMatches(normalized: string | undefined): boolean {
    if (this.exact !== undefined) return normalized === this.exact
    if (this.pattern !== undefined) {
      if (normalized === undefined) return false
      this.pattern.lastIndex = 0
      return this.pattern.test(normalized)
    }
    return true
  }
}

const isAnswerList = (a: Answer | ReadonlyArray<Answer>): a is ReadonlyArray<Answer> => Array.isArray(a)

/**
 * What a request offers to prime matching.
 *
 * @since 0.1.0
 */
export interface MatchInput {
  readonly kind: RequestKind
  /** Normalized query text (EXECUTE: the prepared statement's). */
  readonly query: string | undefined
  readonly batchQueries?: ReadonlyArray<string | undefined> | undefined
  readonly preparedId: Uint8Array | undefined
  readonly values: ReadonlyArray<RawValue>
  readonly names: ReadonlyArray<string> | undefined
  /** Types of the values, when known. */
  readonly variables: ReadonlyArray<ColumnSpec> | undefined
  readonly consistency: number | undefined
  readonly host: SimHost
  readonly system: boolean
  /** Which page of a paged query the request asks for (1: the first; default 1). */
  readonly page?: number | undefined
}

/**
 * A prime that answers a request, and which of its answers.
 *
 * @since 0.1.0
 */
export interface Match {
  readonly prime: SimPrime
  readonly answerIndex: number
  readonly answer: Answer
}

/**
 * Where a paged answer resumes: the prime (0: none), its answer and the row offset.
 *
 * @since 0.1.0
 */
export interface PagingPosition {
  readonly primeId: number
  readonly answerIndex: number
  readonly offset: number
}

/**
 * The mock's paging state: "MKPS", prime id, answer index, row offset (u32 each).
 *
 * @since 0.1.0
 */
export const encodePagingState = (primeId: number, answerIndex: number, offset: number): Uint8Array => {
  const b = new Uint8Array(16)
  const v = new DataView(b.buffer)
  v.setUint32(0, 0x4d4b5053)
  v.setUint32(4, primeId)
  v.setUint32(8, answerIndex)
  v.setUint32(12, offset)
  return b
}

/**
 * Reads a paging state of `encodePagingState` (undefined for anything else).
 *
 * @since 0.1.0
 */
export const decodePagingState = (b: Uint8Array | undefined): PagingPosition | undefined => {
  if (b === undefined || b.length !== 16) return undefined
  const v = new DataView(b.buffer, b.byteOffset, 16)
  if (v.getUint32(0) !== 0x4d4b5053) return undefined
  return { primeId: v.getUint32(4), answerIndex: v.getUint32(8), offset: v.getUint32(12) }
}

/**
 * The primes of a cluster, oldest first (the newest matching one answers).
 *
 * @since 0.1.0
 */
export class PrimeTable {
  readonly list: Array<SimPrime> = []
  private ids = 0
  private readonly resolveHost: (ref: HostRef) => SimHost | undefined
  private readonly changed: () => void

  /** `changed` is called on every change of the primes (it invalidates per-statement caches). */
  constructor(resolveHost: (ref: HostRef) => SimHost | undefined, changed: () => void) {
    this.resolveHost = resolveHost
    this.changed = changed
  }

  add(spec: PrimeSpec): SimPrime {
    const prime = new SimPrime(++this.ids, spec)
    this.list.push(prime)
    this.changed()
    return prime
  }

  remove(id: number): void {
    const i = this.list.findIndex((p) => p.id === id)
    if (i >= 0) this.list.splice(i, 1)
    this.changed()
  }

  clear(): void {
    this.list.length = 0
    this.changed()
  }

  byId(id: number): SimPrime | undefined {
    return this.list.find((p) => p.id === id)
  }

  /** The match a paging state of one of the primes resumes (no use counted), or undefined. */
  resumed(paging: PagingPosition | undefined): Match | undefined {
    const resumed = paging !== undefined && paging.primeId !== 0 ? this.byId(paging.primeId) : undefined
    return resumed !== undefined
      ? { prime: resumed, answerIndex: paging!.answerIndex, answer: resumed.answers[paging!.answerIndex] ?? resumed.answers[0]! }
      : undefined
  }

  /**
   * The answer to a request: for a later page, a prime declaring that `page` first, else the prime
   * that answered the first page (resumed from the paging state); for a first request, the newest
   * matching prime.
   */
  answerFor(input: MatchInput, paging: PagingPosition | undefined, pageSize: number | undefined): Match | undefined {
    if (paging === undefined) return this.match(input)
    const page = pageSize !== undefined && pageSize > 0 ? Math.floor(paging.offset / pageSize) + 1 : 1
    const paged = { ...input, page }
    return this.match(paged, true) ?? this.resumed(paging) ?? this.match(paged)
  }

  /** The newest prime matching `input` (its use is counted), or undefined; `paged`: only primes with a `page`. */
  match(input: MatchInput, paged = false): Match | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const p = this.list[i]!
      if (paged && p.spec.page === undefined) continue
      if (!this.matches(p, input)) continue
      const answerIndex = Math.min(p.used, p.answers.length - 1)
      p.used++
      return { prime: p, answerIndex, answer: p.answers[answerIndex]! }
    }
    return undefined
  }

  matches(p: SimPrime, input: MatchInput): boolean {
    if (p.exhausted || !p.kinds.has(input.kind)) return false
    if (input.system && p.spec.system !== true) return false
    if (input.kind === "batch") {
      if ((p.exact !== undefined || p.pattern !== undefined) && !(input.batchQueries ?? []).some((q) => p.queryMatches(q))) return false
    } else if (!p.queryMatches(input.query)) return false
    if (p.spec.preparedId !== undefined && (input.preparedId === undefined || idKey(input.preparedId) !== idKey(p.spec.preparedId))) {
      return false
    }
    if (p.spec.page !== undefined && p.spec.page !== (input.page ?? 1)) return false
    if (p.consistencies !== undefined && (input.consistency === undefined || !p.consistencies.has(input.consistency))) return false
    const hostRef = p.spec.host
    if (hostRef !== undefined) {
      const refs = Array.isArray(hostRef) ? hostRef as ReadonlyArray<HostRef> : [hostRef as HostRef]
      if (!refs.some((r) => this.resolveHost(r) === input.host)) return false
    }
    if (p.spec.values !== undefined && !valuesMatch(p.spec.values, input, p.variables)) return false
    return true
  }

  /** A prime that would answer `input` without counting a use (for PREPARE metadata). */
  peek(input: MatchInput, predicate: (p: SimPrime) => boolean): SimPrime | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const p = this.list[i]!
      if (!p.exhausted && p.queryMatches(input.query) && predicate(p) && (input.system ? p.spec.system === true : true)) return p
    }
    return undefined
  }
}

/**
 * Decodes raw values with known types (undefined when a value does not decode).
 *
 * @since 0.1.0
 */
export const decodeValues = (
  values: ReadonlyArray<RawValue>,
  variables: ReadonlyArray<ColumnSpec> | undefined
): ReadonlyArray<unknown> | undefined => {
  if (variables === undefined || variables.length !== values.length) return undefined
  const out = new Array<unknown>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v === null || v === UNSET) {
      out[i] = v
      continue
    }
    try {
      out[i] = decodeValue(variables[i]!.type, v)
    } catch {
      return undefined
    }
  }
  return out
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const valueMatches = (expected: unknown, raw: RawValue | undefined, type: CqlType | undefined): boolean => {
  if (raw === undefined) return false
  if (expected === null || expected === undefined) return raw === null
  if (expected === UNSET) return raw === UNSET
  if (raw === null || raw === UNSET) return false
  const t = type ?? inferType(expected)
  if (t === undefined) return false
  const bytes = serializeValue(t, expected)
  return Result.isSuccess(bytes) && bytesEqual(bytes.success, raw)
}

const valuesMatch = (
  expected: NonNullable<PrimeSpec["values"]>,
  input: MatchInput,
  primeVariables: ReadonlyArray<ColumnSpec> | undefined
): boolean => {
  const variables = input.variables ?? primeVariables
  if (typeof expected === "function") {
    return expected(decodeValues(input.values, variables) ?? input.values)
  }
  if (Array.isArray(expected)) {
    if (expected.length !== input.values.length) return false
    return expected.every((v, i) => valueMatches(v, input.values[i], variables?.[i]?.type))
  }
  const record = expected as Readonly<Record<string, unknown>>
  for (const [name, v] of Object.entries(record)) {
    const i = input.names !== undefined ? input.names.indexOf(name) : variables?.findIndex((x) => x.name === name) ?? -1
    if (i < 0) return false
    if (!valueMatches(v, input.values[i], input.names !== undefined ? primeVariables?.find((x) => x.name === name)?.type : variables?.[i]?.type)) {
      return false
    }
  }
  return true
}
