/**
 * Debouncing of refreshes: requests that arrive within a window run once, at its end, with every key
 * asked for in between (or "all" when one request named none, or too many keys piled up). The window
 * is jittered (a random delay in [0, window), the Python driver's rule, so that many clients do not
 * refresh at the same instant after one event); a zero window runs at once, a negative one never.
 *
 * It does not know what it refreshes: the action gets the keys.
 *
 * @since 0.1.0
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
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

  /** Whether requests do anything: a negative window disables them. */
  get enabled(): boolean {
    return !Duration.isNegative(this.window)
  }

  /**
   * Asks for the action on `key` (undefined: everything) at the end of the current window: after a
   * random delay in [0, window), drawn from the Effect `Random` service. Nothing with a negative window.
   */
  request(key: K | undefined): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.enabled) return Effect.void
      if (key === undefined || this.pending === "all") this.pending = "all"
      else {
        this.pending.add(key)
        if (this.pending.size > this.maxKeys) this.pending = "all"
      }
      if (this.scheduled) return Effect.void
      this.scheduled = true
      const window = Duration.toMillis(this.window)
      const delay = window > 0 ? Effect.flatMap(Random.next, (r) => Effect.sleep(Math.floor(r * window))) : Effect.void
      return Effect.asVoid(Effect.forkIn(Effect.andThen(delay, Effect.suspend(() => this.run())), this.scope))
    })
  }

  private run(): Effect.Effect<void> {
    this.scheduled = false
    const keys = this.pending
    this.pending = new Set()
    return this.action(keys)
  }
}
