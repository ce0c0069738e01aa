/** Every driver error maps to one effect/sql reason, with the driver's error as its cause. */
import { Errors } from "@effect-cassandra/driver"
import { SqlErrors } from "@effect-cassandra/sql"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { SqlError } from "effect/sql"

const host = "10.0.0.1:9042"
const replicas = { message: "m", host, consistency: "QUORUM", received: 1, blockFor: 2 }
const failures = { ...replicas, numFailures: 1, reasons: [] }

// one instance of every member of CassandraError, with the reason it must map to
const cases: ReadonlyArray<readonly [Errors.CassandraError, string]> = [
  [new Errors.ConnectionError({ message: "m", host }), "ConnectionError"],
  [new Errors.NoHostAvailable({ message: "m", errors: { [host]: new Errors.ConnectionError({ message: "refused" }) } }), "ConnectionError"],
  [new Errors.Unavailable({ message: "m", host, consistency: "QUORUM", required: 2, alive: 1 }), "ConnectionError"],
  [new Errors.Overloaded({ message: "m", host }), "ConnectionError"],
  [new Errors.IsBootstrapping({ message: "m", host }), "ConnectionError"],
  [new Errors.AuthenticationError({ message: "m", host }), "AuthenticationError"],
  [new Errors.NoHostAvailable({ message: "m", errors: { [host]: new Errors.AuthenticationError({ message: "bad credentials" }) } }), "AuthenticationError"],
  [new Errors.Unauthorized({ message: "m", host }), "AuthorizationError"],
  [new Errors.CqlSyntaxError({ message: "m", host }), "SqlSyntaxError"],
  [new Errors.InvalidRequest({ message: "m", host }), "SqlSyntaxError"],
  [new Errors.ConfigurationError({ message: "m", host }), "SqlSyntaxError"],
  [new Errors.InvalidInput({ message: "m", path: "values[0]" }), "SqlSyntaxError"],
  [new Errors.OperationTimedOut({ message: "m", host, timeoutMillis: 10 }), "StatementTimeoutError"],
  [new Errors.ReadTimeout({ ...replicas, dataPresent: false }), "StatementTimeoutError"],
  [new Errors.WriteTimeout({ ...replicas, writeType: "SIMPLE" }), "StatementTimeoutError"],
  [new Errors.CasWriteUnknown(replicas), "StatementTimeoutError"],
  [new Errors.TruncateError({ message: "m", host }), "StatementTimeoutError"],
  [new Errors.AlreadyExists({ message: "m", host, keyspace: "ks", table: "t" }), "ConstraintError"],
  [new Errors.ServerError({ message: "m", host }), "UnknownError"],
  [new Errors.ProtocolError({ message: "m", host }), "UnknownError"],
  [new Errors.ReadFailure({ ...failures, dataPresent: false }), "UnknownError"],
  [new Errors.WriteFailure({ ...failures, writeType: "SIMPLE" }), "UnknownError"],
  [new Errors.FunctionFailure({ message: "m", host, keyspace: "ks", functionName: "f", argTypes: [] }), "UnknownError"],
  [new Errors.CdcWriteFailure({ message: "m", host }), "UnknownError"],
  [new Errors.Unprepared({ message: "m", host, id: new Uint8Array(1) }), "UnknownError"],
  [new Errors.DriverError({ message: "m", host }), "UnknownError"],
  [new Errors.RowDecodeError({ message: "m" }), "UnknownError"],
  [new Errors.TraceUnavailable({ message: "m", sessionId: "s" }), "UnknownError"],
  [new Errors.QueryExhausted({ message: "m" }), "UnknownError"],
  [new Errors.TooManyRows({ message: "m", maxRows: 1 }), "UnknownError"],
  [new Errors.SessionClosed({ message: "m" }), "ConnectionError"],
  [new Errors.HostBusy({ message: "m", host, maxQueuedRequests: 1 }), "ConnectionError"],
  [new Errors.RequestThrottled({ message: "m", throttler: "rate", limit: 1, maxQueued: 1 }), "ConnectionError"],
  [new Errors.SchemaDisagreement({ message: "m" }), "StatementTimeoutError"],
  [new Errors.UserTypeDoesNotExist({ message: "m", keyspace: "ks", type: "t" }), "SqlSyntaxError"]
]

describe("SqlErrors.fromCassandraError", () => {
  it("maps every driver error to its reason, keeping the error as the cause and its message", () => {
    for (const [error, reason] of cases) {
      const sqlError = SqlErrors.fromCassandraError(error, "execute")
      expect(SqlError.isSqlError(sqlError), error._tag).toBe(true)
      expect([error._tag, sqlError.reason._tag]).toEqual([error._tag, reason])
      expect(sqlError.reason.cause).toBe(error)
      expect(sqlError.reason.operation).toBe("execute")
      expect(sqlError.message).toBe(error.message)
    }
  })

  it("covers every tag of CassandraError", () => {
    const tags = new Set(cases.map(([e]) => e._tag))
    // the tags of the union, as the driver's Errors module exports them (SyntaxError is the alias of CqlSyntaxError)
    const classes = Object.entries(Errors).filter(([name, v]) => typeof v === "function" && name !== "SyntaxError")
    expect(classes.length).toBe(tags.size)
  })

  it.effect("Effect.catchReason picks one reason", () =>
    Effect.gen(function*() {
      const failing = Effect.fail(SqlErrors.fromCassandraError(new Errors.ReadTimeout({ ...replicas, dataPresent: false }), "execute"))
      const handled = yield* failing.pipe(
        Effect.catchReason("SqlError", "StatementTimeoutError", (reason) => Effect.succeed(`timed out: ${reason.isRetryable}`))
      )
      expect(handled).toBe("timed out: true")
    }))
})
