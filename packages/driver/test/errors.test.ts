/** Every error carries its protocol error code (server errors) and whether retrying may succeed. */
import { Errors } from "@effect-cassandra/driver"
import { ErrorCode } from "@effect-cassandra/protocol/Messages"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { fromErrorBody } from "../src/internal/connection/serverErrors.ts"

// what retrying may do for each server error: true when a later or other attempt can succeed
const retryable: Record<keyof typeof ErrorCode, boolean> = {
  SERVER_ERROR: true,
  PROTOCOL_ERROR: false,
  AUTH_ERROR: false,
  UNAVAILABLE: true,
  OVERLOADED: true,
  IS_BOOTSTRAPPING: true,
  TRUNCATE_ERROR: true,
  WRITE_TIMEOUT: true,
  READ_TIMEOUT: true,
  READ_FAILURE: false,
  FUNCTION_FAILURE: false,
  WRITE_FAILURE: false,
  CDC_WRITE_FAILURE: true,
  CAS_WRITE_UNKNOWN: true,
  SYNTAX_ERROR: false,
  UNAUTHORIZED: false,
  INVALID: false,
  CONFIG_ERROR: false,
  ALREADY_EXISTS: false,
  UNPREPARED: true
}

describe("error codes and isRetryable", () => {
  it("a server error carries the code of the ERROR body it came from", () => {
    for (const [name, code] of Object.entries(ErrorCode) as Array<[keyof typeof ErrorCode, number]>) {
      const error = fromErrorBody({ code, message: "m" } as Parameters<typeof fromErrorBody>[0], "10.0.0.1:9042")
      expect([name, error.code]).toEqual([name, code])
      expect([name, error.isRetryable]).toEqual([name, retryable[name]])
    }
  })

  it("the driver's own errors have no code; connection and timeouts are retryable, bad input is not", () => {
    const conn = new Errors.ConnectionError({ message: "reset" })
    const timeout = new Errors.OperationTimedOut({ message: "t", timeoutMillis: 1 })
    const input = new Errors.InvalidInput({ message: "bad" })
    const decode = new Errors.RowDecodeError({ message: "bad row" })
    expect([conn.code, timeout.code, input.code, decode.code]).toEqual([undefined, undefined, undefined, undefined])
    expect([conn.isRetryable, timeout.isRetryable, input.isRetryable, decode.isRetryable]).toEqual([true, true, false, false])
  })

  it("NoHostAvailable is retryable unless every host failed with an error that is not", () => {
    const auth = new Errors.AuthenticationError({ message: "bad credentials" })
    const down = new Errors.ConnectionError({ message: "refused" })
    expect(new Errors.NoHostAvailable({ message: "m", errors: { a: auth, b: auth } }).isRetryable).toBe(false)
    expect(new Errors.NoHostAvailable({ message: "m", errors: { a: auth, b: down } }).isRetryable).toBe(true)
    expect(new Errors.NoHostAvailable({ message: "m", errors: {} }).isRetryable).toBe(true)
  })

  it.effect("CqlSyntaxError keeps the SyntaxError tag; the deprecated alias is the same class", () =>
    Effect.gen(function*() {
      const error = new Errors.CqlSyntaxError({ message: "line 1:0 no viable alternative" })
      expect(error._tag).toBe("SyntaxError")
      expect(Errors.SyntaxError).toBe(Errors.CqlSyntaxError)
      expect(error).toBeInstanceOf(Error)
      expect(globalThis.SyntaxError).not.toBe(Errors.CqlSyntaxError)
      const caught = yield* Effect.fail(error).pipe(Effect.catchTag("SyntaxError", (e) => Effect.succeed(e.code)))
      expect(caught).toBe(0x2000)
    }))
})
