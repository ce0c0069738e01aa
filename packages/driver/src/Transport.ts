/**
 * The socket seam: how a connection gets its byte stream. By default the driver opens node:net or
 * node:tls sockets; `TransportOverride` swaps in another transport for a whole Cluster, which is how
 * mock hosts (`@effect-cassandra/testing`) run the real driver over in-memory streams.
 *
 * It does not speak the protocol: a transport hands over a connected `Duplex`, nothing more.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { Duplex } from "node:stream"
import type { ConnectionError } from "./Errors.ts"

/**
 * Where to connect, and how long to wait for it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectRequest {
  readonly host: string
  readonly port: number
  readonly timeout: Duration.Duration
}

/**
 * Opens byte streams to hosts.
 *
 * @since 0.1.0
 * @category models
 */
export interface Transport {
  readonly connect: (request: ConnectRequest) => Effect.Effect<Duplex, ConnectionError>
}

/**
 * Overrides the socket transport of every Cluster built in its scope (mock hosts use this).
 *
 * @since 0.1.0
 * @category references
 */
export const TransportOverride: Context.Reference<Transport | undefined> = Context.Reference<Transport | undefined>(
  "@effect-cassandra/driver/TransportOverride",
  { defaultValue: () => undefined }
)
