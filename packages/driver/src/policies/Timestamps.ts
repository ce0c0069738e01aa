/**
 * Client-side write timestamps: what a request carries as its default timestamp when the call gives
 * none (the Python driver's `timestamp_generator`). The default is monotonic microseconds: never the
 * same twice, never going back, even when the clock does or many requests share a millisecond.
 *
 * It does not read the clock (the caller passes the time), so it is pure state.
 *
 * @since 0.1.0
 */

/**
 * Makes the timestamp of each request.
 *
 * @since 0.1.0
 * @category models
 */
export interface TimestampGenerator {
  /** The timestamp in microseconds of a request sent at `nowMillis`. */
  readonly next: (nowMillis: number) => bigint
}

/**
 * Monotonic client-side timestamps in microseconds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const monotonic = (): TimestampGenerator => {
  let last = 0
  return {
    next: (nowMillis) => {
      let micros = nowMillis * 1000
      if (micros <= last) micros = last + 1
      last = micros
      return BigInt(micros)
    }
  }
}
