/** Bad start options are a typed `InvalidOptions`, found before any process starts (never a defect). */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { InvalidOptions } from "../src/Errors.ts"
import { resolveOptions, start } from "../src/LocalCassandra.ts"

describe("duration options", () => {
  it("a duration that is not one is InvalidOptions naming the option", () => {
    for (const key of ["startTimeout", "stopGrace"] as const) {
      const r = resolveOptions({ [key]: "soon" as never }, {})
      expect(r).toBeInstanceOf(InvalidOptions)
      expect((r as InvalidOptions).path).toBe(key)
    }
    const ok = resolveOptions({ startTimeout: "2 minutes", stopGrace: 500 }, {})
    expect(ok).toMatchObject({ startTimeoutMillis: 120_000, stopGraceMillis: 500 })
  })

  it.effect("start fails with InvalidOptions (no Die) before preparing anything", () =>
    Effect.gen(function*() {
      for (const options of [{ startTimeout: "soon" as never }, { shutdownGrace: "later" as never }]) {
        const exit = yield* Effect.exit(Effect.scoped(start({ ...options, dir: "/nonexistent/effect-cassandra-options-test" })))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) {
          const reason = exit.cause.reasons[0]
          expect(reason?._tag).toBe("Fail")
          expect(reason?._tag === "Fail" ? reason.error._tag : undefined).toBe("InvalidOptions")
        }
      }
    }))
})
