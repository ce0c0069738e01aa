/**
 * Opening a connection: the socket from the transport, then OPTIONS, STARTUP (compression, v5
 * framing), the SASL authentication loop, REGISTER for events and USE of the keyspace; and the
 * negotiation of the protocol version, lowered from the highest wanted until a host accepts one.
 *
 * It does not decide which host to open a connection to, nor keep connections (pools do), nor know of
 * requests once the connection is ready.
 *
 * @since 0.1.0
 * @internal
 */
import type { Event, ProtocolVersion } from "@effect-cassandra/protocol/Messages"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import type { AuthProvider } from "../../Auth.ts"
import * as E from "../../Errors.ts"
import type { Transport } from "../../Transport.ts"
import { useStatement } from "./adminQuery.ts"
import type { Compression } from "./codec.ts"
import { Connection, type ConnectionSettings } from "./Connection.ts"
import { startTimers } from "./timeouts.ts"

/**
 * Everything `open` needs.
 *
 * @since 0.1.0
 */
export interface ConnectionOptions extends ConnectionSettings {
  /** "auto": the best the server supports (lz4, then snappy on v3/v4). */
  readonly compression: Compression | "auto" | undefined
  readonly auth: AuthProvider | undefined
  readonly transport: Transport
  readonly connectTimeout: Duration.Duration
  /** Send OPTIONS when nothing was written for this long; 0 disables. */
  readonly heartbeatInterval: Duration.Duration
  readonly keyspace?: string | undefined
  /** Events to REGISTER for (control connection). */
  readonly events?: ReadonlyArray<"TOPOLOGY_CHANGE" | "STATUS_CHANGE" | "SCHEMA_CHANGE"> | undefined
  readonly onEvent?: ((event: Event) => void) | undefined
  /** Sent as STARTUP's CQL_VERSION (default "3.0.0"). */
  readonly cqlVersion?: string | undefined
  readonly driverName?: string | undefined
  readonly driverVersion?: string | undefined
  /**
   * The set a shared sweeper (`sweepEvery`) checks for timeouts: one timer for all the connections of a
   * cluster instead of one per connection. Without it the connection runs a sweeper of its own.
   */
  readonly sweepSet?: Set<Connection> | undefined
}

/**
 * Failed by `open` when the server refuses the protocol version: the caller retries lower.
 *
 * @since 0.1.0
 */
export class UnsupportedVersion {
  readonly _tag = "UnsupportedVersion"
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

type OpenError = E.ConnectionError | E.AuthenticationError | UnsupportedVersion

const isVersionError = (message: string) => /protocol version|unsupported protocol|Invalid or unsupported/i.test(message)

/**
 * Opens a connection: socket, OPTIONS, STARTUP, auth, REGISTER, USE. Fails with
 * `UnsupportedVersion` when the server refuses the version, so the caller can retry lower.
 * The connection closes when the Scope closes.
 *
 * @since 0.1.0
 */
export const open = (options: ConnectionOptions): Effect.Effect<Connection, OpenError, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Clock.Clock
    const socket = yield* options.transport.connect({
      host: options.host,
      port: options.port,
      timeout: options.connectTimeout
    })
    const conn = new Connection(socket, options, clock)
    yield* Effect.addFinalizer(() => conn.close())
    yield* handshake(conn, options).pipe(
      Effect.timeoutOrElse({
        duration: options.connectTimeout,
        orElse: () => Effect.fail(new E.ConnectionError({ message: "handshake timed out", host: conn.address }))
      }),
      Effect.catch((error) => {
        conn.fail(new E.ConnectionError({ message: "handshake failed", host: conn.address }))
        return Effect.fail(handshakeError(error, conn))
      })
    )
    // timeouts and heartbeats live as long as the connection's scope
    yield* startTimers(conn, options.sweepSet, Duration.toMillis(options.heartbeatInterval), clock)
    return conn
  })

/** What a failed handshake fails `open` with. */
const handshakeError = (error: E.RequestError | E.InvalidInput | E.AuthenticationError, conn: Connection): OpenError => {
  switch (error._tag) {
    case "ProtocolError":
      if (isVersionError(error.message)) return new UnsupportedVersion(error.message)
      return new E.ConnectionError({ message: error.message, host: conn.address, cause: error })
    case "AuthenticationError":
    case "ConnectionError":
      return error
    default:
      return new E.ConnectionError({ message: `handshake failed: ${error.message}`, host: conn.address, cause: error })
  }
}

/** OPTIONS, STARTUP, authentication, REGISTER and USE on a fresh connection. */
const handshake = (conn: Connection, options: ConnectionOptions) =>
  Effect.gen(function*() {
    const supported = yield* conn.send({ _tag: "Options" })
    const compressions = supported.response._tag === "Supported"
      ? supported.response.options["COMPRESSION"] ?? []
      : []
    const compression = pickCompression(options.version, options.compression, compressions)
    const startup: Record<string, string> = { CQL_VERSION: options.cqlVersion ?? "3.0.0" }
    if (compression !== undefined) startup["COMPRESSION"] = compression
    startup["DRIVER_NAME"] = options.driverName ?? "effect-cassandra"
    startup["DRIVER_VERSION"] = options.driverVersion ?? "0.1.0"
    conn.expectFraming()
    conn.expectCompression(compression)
    const started = yield* conn.send({ _tag: "Startup", options: startup })
    if (options.version >= 5) conn.startFramingOut()
    else conn.startCompressionOut()
    if (started.response._tag === "Authenticate") {
      yield* authenticate(conn, options.auth, started.response.authenticator)
    } else if (started.response._tag !== "Ready") {
      return yield* new E.ConnectionError({ message: `unexpected ${started.response._tag} to STARTUP`, host: conn.address })
    }
    if (options.events !== undefined && options.events.length > 0) {
      yield* conn.send({ _tag: "Register", events: options.events })
    }
    if (options.keyspace !== undefined) {
      yield* conn.send(useStatement(options.keyspace))
      conn.keyspace = options.keyspace
    }
  })

/** The SASL loop after AUTHENTICATE: AUTH_RESPONSE until AUTH_SUCCESS. */
const authenticate = (conn: Connection, auth: AuthProvider | undefined, authenticatorClass: string) =>
  Effect.gen(function*() {
    if (auth === undefined) {
      return yield* new E.AuthenticationError({
        message: `host ${conn.address} requires authentication (${authenticatorClass}) but no credentials were given`,
        host: conn.address
      })
    }
    const authenticator = auth.newAuthenticator(conn.address, authenticatorClass)
    let token = yield* authenticator.initialResponse
    for (;;) {
      const answer = yield* conn.send({ _tag: "AuthResponse", token })
      const response = answer.response
      if (response._tag === "AuthSuccess") {
        if (authenticator.onSuccess) yield* authenticator.onSuccess(response.token)
        return
      }
      if (response._tag !== "AuthChallenge") {
        return yield* new E.AuthenticationError({ message: `unexpected ${response._tag} during auth`, host: conn.address })
      }
      token = yield* authenticator.evaluateChallenge(response.token)
    }
  })

const pickCompression = (
  version: ProtocolVersion,
  wanted: Compression | "auto" | undefined,
  offered: ReadonlyArray<string>
): Compression | undefined => {
  if (wanted === undefined) return undefined
  if (wanted === "auto") {
    if (offered.includes("lz4")) return "lz4"
    if (version < 5 && offered.includes("snappy")) return "snappy"
    return undefined
  }
  if (version >= 5 && wanted !== "lz4") return undefined
  return offered.includes(wanted) ? wanted : undefined
}

/**
 * Opens a connection at `options.version`, or the highest lower version the host accepts (down to v3).
 *
 * @since 0.1.0
 */
export const openWithNegotiation = (
  options: ConnectionOptions
): Effect.Effect<Connection, E.ConnectionError | E.AuthenticationError, Scope.Scope> =>
  Effect.gen(function*() {
    let version = options.version
    for (;;) {
      const attempt = yield* Effect.exit(open({ ...options, version }))
      if (Exit.isSuccess(attempt)) return attempt.value
      const failure = attempt.cause.reasons.find((r) => r._tag === "Fail")
      const error = failure?._tag === "Fail" ? failure.error : undefined
      if (error instanceof UnsupportedVersion && version > 3) {
        version = (version - 1) as ProtocolVersion
        continue
      }
      if (error instanceof UnsupportedVersion) {
        return yield* new E.ConnectionError({ message: `no common protocol version: ${error.message}`, host: `${options.host}:${options.port}` })
      }
      return yield* Effect.failCause(attempt.cause as any) as Effect.Effect<never, E.ConnectionError | E.AuthenticationError>
    }
  })
