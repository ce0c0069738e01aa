/**
 * Server errors: an ERROR response body becomes its tagged error, with the code's fields.
 *
 * It does not decide what an error means for the request (the retry policy does).
 *
 * @since 0.1.0
 * @internal
 */
import { Consistency, ErrorCode, type ErrorBody } from "@effect-cassandra/protocol/Messages"
import * as E from "../../Errors.ts"

const consistencyNames: Array<string> = []
for (const [name, code] of Object.entries(Consistency)) consistencyNames[code] = name

/**
 * The name of a consistency code (`UNKNOWN` when absent).
 *
 * @since 0.1.0
 */
export const consistencyName = (code: number | undefined): string =>
  code === undefined ? "UNKNOWN" : consistencyNames[code] ?? `0x${code.toString(16)}`

/**
 * The tagged error of an ERROR body received from `host`.
 *
 * @since 0.1.0
 */
export const fromErrorBody = (body: ErrorBody, host: string): E.ServerErrorResponse => {
  const message = body.message
  const consistency = consistencyName(body.consistency)
  // the fields shared by the timeout / failure / CAS errors
  const replicas = { message, host, consistency, received: body.received ?? 0, blockFor: body.blockFor ?? 0 }
  const failures = { numFailures: body.numFailures ?? body.reasonMap?.length ?? 0, reasons: body.reasonMap ?? [] }
  switch (body.code) {
    case ErrorCode.SERVER_ERROR:
      return new E.ServerError({ message, host })
    case ErrorCode.PROTOCOL_ERROR:
      return new E.ProtocolError({ message, host })
    case ErrorCode.AUTH_ERROR:
      return new E.AuthenticationError({ message, host })
    case ErrorCode.UNAVAILABLE:
      return new E.Unavailable({ message, host, consistency, required: body.required ?? 0, alive: body.alive ?? 0 })
    case ErrorCode.OVERLOADED:
      return new E.Overloaded({ message, host })
    case ErrorCode.IS_BOOTSTRAPPING:
      return new E.IsBootstrapping({ message, host })
    case ErrorCode.TRUNCATE_ERROR:
      return new E.TruncateError({ message, host })
    case ErrorCode.WRITE_TIMEOUT:
      return new E.WriteTimeout({
        ...replicas,
        writeType: body.writeType ?? "UNKNOWN",
        ...(body.contentions === undefined ? {} : { contentions: body.contentions })
      })
    case ErrorCode.READ_TIMEOUT:
      return new E.ReadTimeout({
        ...replicas,
        dataPresent: body.dataPresent ?? false
      })
    case ErrorCode.READ_FAILURE:
      return new E.ReadFailure({
        ...replicas,
        ...failures,
        dataPresent: body.dataPresent ?? false
      })
    case ErrorCode.WRITE_FAILURE:
      return new E.WriteFailure({
        ...replicas,
        ...failures,
        writeType: body.writeType ?? "UNKNOWN"
      })
    case ErrorCode.FUNCTION_FAILURE:
      return new E.FunctionFailure({
        message,
        host,
        keyspace: body.keyspace ?? "",
        functionName: body.functionName ?? "",
        argTypes: body.argTypes ?? []
      })
    case ErrorCode.CDC_WRITE_FAILURE:
      return new E.CdcWriteFailure({ message, host })
    case ErrorCode.CAS_WRITE_UNKNOWN:
      return new E.CasWriteUnknown({
        ...replicas
      })
    case ErrorCode.SYNTAX_ERROR:
      return new E.CqlSyntaxError({ message, host })
    case ErrorCode.UNAUTHORIZED:
      return new E.Unauthorized({ message, host })
    case ErrorCode.INVALID:
      return new E.InvalidRequest({ message, host })
    case ErrorCode.CONFIG_ERROR:
      return new E.ConfigurationError({ message, host })
    case ErrorCode.ALREADY_EXISTS:
      return new E.AlreadyExists({ message, host, keyspace: body.keyspace ?? "", table: body.table ?? "" })
    case ErrorCode.UNPREPARED:
      return new E.Unprepared({ message, host, id: body.unpreparedId ?? new Uint8Array(0) })
    default:
      return new E.ServerError({ message: `unknown error code 0x${body.code.toString(16)}: ${message}`, host })
  }
}
