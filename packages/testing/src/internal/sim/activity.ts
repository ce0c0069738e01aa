/**
 * The activity log: the requests that reached the hosts, oldest first, bounded by `activityLimit`,
 * read back through an `ActivityFilter`, with listeners woken on every new entry (`awaitActivity`).
 * Entries come in complete or lazy (decoded on first read, for the server's fast path). It does not
 * build entries from requests (the server's `RequestLog` does) and knows hosts only by index.
 *
 * @internal
 */
import type { Activity, ActivityFilter, HostRef, RequestKind } from "../../Model.ts"
import { normalizeCached, normalizeQuery } from "../cql.ts"

type Listener = () => void

/**
 * An entry whose details are decoded only when a test reads the log.
 *
 * @since 0.1.0
 */
export class LazyActivity {
  readonly lazy = true
  readonly hostIndex: number
  readonly kind: RequestKind
  readonly query: string | undefined
  readonly control = false
  readonly batch = undefined
  private readonly make: () => Activity
  private made: Activity | undefined = undefined
  constructor(hostIndex: number, kind: RequestKind, query: string | undefined, make: () => Activity) {
    this.hostIndex = hostIndex
    this.kind = kind
    this.query = query
    this.make = make
  }
  get value(): Activity {
    return this.made ??= this.make()
  }
}

/**
 * An activity entry as stored: complete, or decoded on first read (the server's fast path).
 *
 * @since 0.1.0
 */
export type ActivityRecord = Activity | LazyActivity

/**
 * The log and its listeners.
 *
 * @since 0.1.0
 */
export class ActivityLog {
  /** Entries kept (the oldest go first); 0 records nothing. */
  readonly limit: number
  private readonly resolveHost: (ref: HostRef) => { readonly index: number } | undefined
  private readonly entries: Array<ActivityRecord> = []
  private start = 0
  private readonly listeners = new Set<Listener>()

  constructor(limit: number, resolveHost: (ref: HostRef) => { readonly index: number } | undefined) {
    this.limit = limit
    this.resolveHost = resolveHost
  }

  record(entry: ActivityRecord): void {
    if (this.limit <= 0) return
    this.entries.push(entry)
    if (this.entries.length - this.start > this.limit) {
      this.start++
      if (this.start > 4096 && this.start * 2 > this.entries.length) {
        this.entries.splice(0, this.start)
        this.start = 0
      }
    }
    if (this.listeners.size > 0) for (const l of [...this.listeners]) l()
  }

  /** The entries that pass `filter`, oldest first (driver housekeeping only with `includeControl`). */
  read(filter?: ActivityFilter): ReadonlyArray<Activity> {
    const out: Array<Activity> = []
    const host = filter?.host === undefined ? undefined : this.resolveHost(filter.host)
    if (filter?.host !== undefined && host === undefined) return out
    const kinds = filter?.kind === undefined ? undefined : new Set(typeof filter.kind === "string" ? [filter.kind] : filter.kind)
    const exact = typeof filter?.query === "string" ? normalizeQuery(filter.query) : undefined
    const pattern = filter?.query instanceof RegExp ? filter.query : undefined
    for (let i = this.start; i < this.entries.length; i++) {
      const a = this.entries[i]!
      if (a.control && filter?.includeControl !== true) continue
      if (host !== undefined && a.hostIndex !== host.index) continue
      if (kinds !== undefined && !kinds.has(a.kind)) continue
      if (exact !== undefined || pattern !== undefined) {
        const texts = a.kind === "batch" ? (a.batch ?? []).map((b) => b.query) : [a.query]
        const ok = texts.some((t) => {
          if (t === undefined) return false
          const n = normalizeCached(t)
          if (exact !== undefined) return n === exact
          pattern!.lastIndex = 0
          return pattern!.test(n)
        })
        if (!ok) continue
      }
      out.push(a instanceof LazyActivity ? a.value : a)
    }
    return out
  }

  clear(): void {
    this.entries.length = 0
    this.start = 0
  }

  /** Calls `f` after every new entry until it returns true (or is removed). */
  onRecord(f: () => boolean): () => void {
    const l: Listener = () => {
      if (f()) this.listeners.delete(l)
    }
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }
}
