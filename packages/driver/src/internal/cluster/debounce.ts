/**
 * Debouncing of refreshes: requests that arrive within a window run once, at its end, with every key
 * asked for in between (or "all" when one request named none, or too many keys piled up).
 *
 * It does not know what it refreshes: the action gets the keys.
 *
 * @since 0.1.0
 * @internal
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/**
 * One debounced action: `request` starts the window unless one is open, and adds its key.
 *
 * @since 0.1.0
 */
export class Debouncer<K> {
  private pending: Set<K> | "all" = new Set()
  private scheduled = false
  private readonly window: Duration.Duration
  private readonly maxKeys: number
  private readonly scope: Scope.Scope
  private readonly action: (keys: ReadonlySet<K> | "all") => Effect.Effect<void>

  constructor(options: {
    readonly window: Duration.Duration
    /** Past this many distinct keys the action runs for "all". */
    readonly maxKeys: number
    /** Where the waiting fiber runs (it ends with the scope). */
    readonly scope: Scope.Scope
    readonly action: (keys: ReadonlySet<K> | "all") => Effect.Effect<void>
  }) {
    this.window = options.window
    this.maxKeys = options.maxKeys
    this.scope = options.scope
    this.action = options.action
  }

  /** Asks for the action on `key` (undefined: everything) at the end of the current window. */
  request(key: K | undefined): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (key === undefined || this.pending === "all") this.pending = "all"
      else {
        this.pending.add(key)
        if (this.pending.size > this.maxKeys) this.pending = "all"
      }
      if (this.scheduled) return Effect.void
      this.scheduled = true
      return Effect.asVoid(Effect.forkIn(
        Effect.andThen(Effect.sleep(this.window), Effect.suspend(() => this.run())),
        this.scope
      ))
    })
  }

  private run(): Effect.Effect<void> {
    this.scheduled = false
    const keys = this.pending
    this.pending = new Set()
    return this.action(keys)
  }
}
