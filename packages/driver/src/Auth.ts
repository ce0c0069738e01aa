/**
 * Authentication: the SASL challenge loop of the native protocol is driven by an `Authenticator`
 * made per connection by an `AuthProvider`. `plainText` covers Cassandra's PasswordAuthenticator.
 *
 * It does not send anything: the handshake (internal/connection/handshake.ts) drives the loop.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { AuthenticationError } from "./Errors.ts"

/**
 * One authentication exchange on one connection.
 *
 * @since 0.1.0
 */
export interface Authenticator {
  /** The first token, sent in AUTH_RESPONSE after the server's AUTHENTICATE. */
  readonly initialResponse: Effect.Effect<Uint8Array | null, AuthenticationError>
  /** Answers an AUTH_CHALLENGE. */
  readonly evaluateChallenge: (token: Uint8Array | null) => Effect.Effect<Uint8Array | null, AuthenticationError>
  /** Called with the AUTH_SUCCESS token. */
  readonly onSuccess?: ((token: Uint8Array | null) => Effect.Effect<void>) | undefined
}

/**
 * Makes an `Authenticator` for a host, given the server's authenticator class name.
 *
 * @since 0.1.0
 */
export interface AuthProvider {
  readonly newAuthenticator: (host: string, authenticatorClass: string) => Authenticator
}

const encoder = new TextEncoder()

/**
 * PasswordAuthenticator: the token is `\0username\0password`.
 *
 * @since 0.1.0
 */
export const plainText = (username: string, password: string | Redacted.Redacted<string>): AuthProvider => ({
  newAuthenticator: () => ({
    initialResponse: Effect.sync(() => {
      const pw = typeof password === "string" ? password : Redacted.value(password)
      return encoder.encode(`\0${username}\0${pw}`)
    }),
    evaluateChallenge: () => Effect.succeed(null)
  })
})
