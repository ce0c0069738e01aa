/**
 * The EXECUTE fast path (it serves the benchmarks): per connection and prepared statement, the
 * answer encoded once when it cannot depend on the request, appended with only the stream id
 * patched, after peeking the request's parameters without decoding them; the activity entry is
 * decoded lazily. Anything unusual is left to the slow path (`requests.ts`), which decodes the
 * request and answers it: this module never answers a request the slow path would answer differently.
 *
 * @internal
 */
import { decodeRequest, type RawEnvelope } from "@effect-cassandra/protocol/Frames"
import type { Response, Row } from "@effect-cassandra/protocol/Messages"
import * as Result from "effect/Result"
import { type Answer, describe } from "../../Answer.ts"
import { idKey } from "../ids.ts"
import { LazyActivity } from "../sim/activity.ts"
import { metadataIdOf, type PreparedInfo, sameColumns } from "../sim/prepared.ts"
import { decodeValues, type SimPrime } from "../sim/primes.ts"
import { encodeEnvelope } from "./envelope.ts"
import { NO_VALUES } from "./requestLog.ts"
import type { RequestConnection } from "./requests.ts"

/** The fast path's answer to one prepared statement on one connection. */
interface FastEntry {
  readonly epoch: number
  readonly keyspace: string | undefined
  /** The answer with result metadata, or undefined when the statement takes the slow path. */
  readonly full: Uint8Array | undefined
  /** The answer to a request with skip_metadata. */
  readonly skip: Uint8Array | undefined
  /** v5 rows: the answer's result metadata id; a request with another one takes the slow path (METADATA_CHANGED). */
  readonly metadataId: string | undefined
  readonly rows: number
  readonly prime: SimPrime | undefined
  readonly info: PreparedInfo | undefined
  readonly answer: string
}

/**
 * The fast path of one connection.
 *
 * @since 0.1.0
 */
export class FastPath {
  private readonly c: RequestConnection
  /** Per prepared statement (by id): how this connection answers its EXECUTEs without decoding them. */
  private readonly entries = new Map<string, FastEntry>()

  constructor(connection: RequestConnection) {
    this.c = connection
  }

  /**
   * EXECUTE of a statement whose answer cannot depend on the request (the newest prime that could
   * match has no conditions and one answer, rows or void; or no prime and a default void/empty rows):
   * peek the parameters without allocating, append the answer encoded once for this connection
   * (only the stream id changes), and log lazily. Anything unusual returns false: the slow path
   * decodes the request and answers it.
   */
  execute(env: RawEnvelope, at: number): boolean {
    const c = this.c
    const b = env.body
    const n = b.length
    if (n < 2) return false
    const idLength = (b[0]! << 8) | b[1]!
    let p = 2 + idLength
    if (p > n) return false
    const key = idKey(b, 2, p)
    const sim = c.sim
    let entry = this.entries.get(key)
    if (entry === undefined || entry.epoch !== sim.epoch || entry.keyspace !== c.keyspace) {
      entry = this.entry(key)
      if (this.entries.size > 1024) this.entries.clear()
      this.entries.set(key, entry)
    }
    if (entry.full === undefined) return false
    const version = c.version!
    if (version >= 5) {
      if (p + 2 > n) return false
      const idEnd = p + 2 + ((b[p]! << 8) | b[p + 1]!)
      if (idEnd > n || (entry.metadataId !== undefined && idKey(b, p + 2, idEnd) !== entry.metadataId)) return false
      p = idEnd
    }
    if (p + 3 > n) return false
    p += 2 // consistency
    let flags: number
    if (version >= 5) {
      if (p + 4 > n) return false
      flags = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
      p += 4
    } else {
      flags = b[p++]!
    }
    // paging states and named values take the slow path
    if ((flags & 0x48) !== 0) return false
    if ((flags & 0x01) !== 0) {
      if (p + 2 > n) return false
      const count = (b[p]! << 8) | b[p + 1]!
      p += 2
      for (let i = 0; i < count; i++) {
        if (p + 4 > n) return false
        const len = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
        p += 4
        if (len > 0) p += len
        // malformed lengths (below -2) get the slow path's PROTOCOL_ERROR
        else if (len < -2) return false
        if (p > n) return false
      }
    }
    if ((flags & 0x04) !== 0) {
      if (p + 4 > n) return false
      const pageSize = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
      if (pageSize > 0 && entry.rows > pageSize) return false
    }
    if (entry.prime !== undefined) entry.prime.used++
    c.append((flags & 0x02) !== 0 ? entry.skip! : entry.full, env.stream)
    if (sim.log.limit > 0) {
      const copy: RawEnvelope = { ...env, body: new Uint8Array(b) }
      const info = entry.info!
      const answer = entry.answer
      sim.log.record(new LazyActivity(c.host.index, "execute", info.query, () => {
        const r = decodeRequest(copy)
        const request = Result.isSuccess(r) ? r.success.request : { _tag: "Options" as const }
        const values = request._tag === "Execute" ? request.params.values?.values ?? NO_VALUES : NO_VALUES
        return c.log.activityOf(request, copy, at, false, answer, decodeValues(values, info.variables), false, info)
      }))
    }
    return true
  }

  private entry(key: string): FastEntry {
    const c = this.c
    const sim = c.sim
    const none: FastEntry = { epoch: sim.epoch, keyspace: c.keyspace, full: undefined, skip: undefined, metadataId: undefined, rows: 0, prime: undefined, info: undefined, answer: "" }
    const info = c.host.prepared.has(key) ? sim.prepared.get(key) : undefined
    if (info === undefined || info.system) return none
    let prime: SimPrime | undefined
    for (let i = sim.primes.list.length - 1; i >= 0; i--) {
      const candidate = sim.primes.list[i]!
      if (candidate.exhausted || !candidate.kinds.has("execute") || !candidate.queryMatches(info.normalized)) continue
      prime = candidate
      break
    }
    let answer: Answer
    if (prime !== undefined) {
      const s = prime.spec
      if (s.values !== undefined || s.consistency !== undefined || s.host !== undefined || s.preparedId !== undefined || s.times !== undefined) return none
      if (prime.answers.length !== 1) return none
      answer = prime.answers[0]!
    } else {
      answer = sim.builtins.defaultAnswer(info.normalized, info.keyspace ?? c.keyspace)
    }
    const version = c.version!
    const encode = (response: Response): Uint8Array | undefined => {
      const r = encodeEnvelope(version, c.compression, 0, response)
      return Result.isSuccess(r) ? r.success : undefined
    }
    let full: Uint8Array | undefined
    let skip: Uint8Array | undefined
    let metadataId: string | undefined
    let rows = 0
    if (answer._tag === "Void" && answer.warnings === undefined) {
      full = skip = encode({ _tag: "Result", result: { kind: "Void" } })
    } else if (answer._tag === "Rows" && answer.warnings === undefined) {
      if (info.resultColumns.length === 0 && answer.columns.length > 0) return none // the slow path refreshes the metadata first
      rows = answer.rows.length
      const same = sameColumns(answer.columns, info.resultColumns)
      if (version >= 5) metadataId = idKey(metadataIdOf(answer.columns))
      const build = (noMetadata: boolean): Response => ({
        _tag: "Result",
        result: {
          kind: "Rows",
          metadata: {
            flags: noMetadata ? 0x0004 : 0x0001,
            columnCount: answer.columns.length,
            columns: noMetadata ? undefined : answer.columns,
            pagingState: undefined,
            // v5: only requests with the answer's metadata id come here (no METADATA_CHANGED to say)
            newMetadataId: undefined
          },
          columns: answer.columns,
          rows: answer.rows as Array<Row>
        }
      })
      full = encode(build(false))
      skip = same || version >= 5 ? encode(build(true)) : full
    } else {
      return none
    }
    if (full === undefined || skip === undefined) return none
    return { epoch: sim.epoch, keyspace: c.keyspace, full, skip, metadataId, rows, prime, info, answer: describe(answer) }
  }
}
