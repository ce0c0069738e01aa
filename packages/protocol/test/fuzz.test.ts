/**
 * Fuzzing of the decoding side: random, truncated, bit-flipped and length-lied envelopes and v5
 * segments through FrameDecoder + decodeResponse (and decodeRequest), for v3/v4/v5, framing on/off,
 * compression on/off. Every input must give decoded messages or a DecodeError: nothing may throw,
 * hang, or fail with an unexpected (non-DecodeError) exception, which the decoders would wrap as
 * "unexpected ...": those count as failures too.
 *
 * Deterministic: seed FUZZ_SEED (default below), total FUZZ_ITERATIONS (default 1,000,000) split over
 * the modes. A failure prints the seed, mode and iteration with the input bytes, so it replays.
 */
import { describe, expect, it } from "vitest"
import { MODES, runMode, SEED, type Stats, TOTAL } from "./fixtures/fuzzer.ts"

describe(`fuzz (FUZZ_SEED=${SEED}, FUZZ_ITERATIONS=${TOTAL})`, () => {
  const per = Math.ceil(TOTAL / MODES.length)
  MODES.forEach((mode, m) => {
    it(`${mode.name}: ${per} inputs decode or fail with a DecodeError`, { timeout: 600_000 }, () => {
      const seed = (SEED ^ Math.imul(m + 1, 0x9e3779b1)) >>> 0
      const t0 = performance.now()
      let stats: Stats
      try {
        stats = runMode(mode, seed, per)
      } catch (e) {
        throw new Error(`fuzz failure with FUZZ_SEED=${SEED} (mode "${mode.name}"): ${e instanceof Error ? e.stack ?? e.message : String(e)}`)
      }
      const s = (performance.now() - t0) / 1000
      console.log(
        `fuzz ${mode.name}: ${stats.iterations} inputs in ${s.toFixed(1)} s (${Math.round(stats.iterations / s)}/s), ` +
          `${stats.envelopes} envelopes, ${stats.decoded} decoded, ${stats.decodeErrors} message errors, ` +
          `${stats.streamErrors} stream errors, slowest input ${stats.slowestMs.toFixed(1)} ms`
      )
      // every kind of outcome happened, and no input took long (no hang, no huge allocation)
      expect(stats.decoded).toBeGreaterThan(0)
      expect(stats.decodeErrors + stats.streamErrors).toBeGreaterThan(0)
      expect(stats.slowestMs).toBeLessThan(5000)
      expect(process.memoryUsage().rss).toBeLessThan(2 * 1024 ** 3)
    })
  })
})
