/**
 * The default transport: node:net sockets, or node:tls ones when TLS options are given.
 *
 * It does not retry, pool or speak the protocol.
 *
 * @since 0.1.0
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as net from "node:net"
import type { Duplex } from "node:stream"
import * as tls from "node:tls"
import * as E from "../../Errors.ts"
import type { Transport } from "../../Transport.ts"

/**
 * The socket options the default transport applies once connected.
 *
 * @since 0.2.0
 */
export interface ResolvedSocketOptions {
  readonly noDelay: boolean
  readonly keepAlive: boolean
  /** 0: the operating system's default. */
  readonly keepAliveDelay: Duration.Duration
}

const defaultSocketOptions: ResolvedSocketOptions = { noDelay: true, keepAlive: true, keepAliveDelay: Duration.zero }

/** The sockets this transport opened (node:net and node:tls hand each read in an ArrayBuffer of its own). */
const freshReads = new WeakSet<Duplex>()

/**
 * Whether each `data` chunk of `socket` is the whole of an ArrayBuffer that nothing else holds or reuses:
 * true for the sockets of the default transport, so the connection may free a read's memory once decoded
 * (another transport's chunks are left to the garbage collector).
 *
 * @since 0.2.0
 */
export const readsAreFresh = (socket: Duplex): boolean => freshReads.has(socket)

/**
 * TCP, or TLS when `tlsOptions` is given (hostname verification on unless the options turn it off),
 * with `socketOptions` applied to each socket once connected.
 *
 * @since 0.1.0
 */
export const nodeTransport = (tlsOptions?: tls.ConnectionOptions, socketOptions: ResolvedSocketOptions = defaultSocketOptions): Transport => ({
  connect: ({ host, port, timeout }) =>
    Effect.callback<Duplex, E.ConnectionError>((resume) => {
      const address = `${host}:${port}`
      let done = false
      const socket: net.Socket = tlsOptions === undefined
        ? net.connect({ host, port, noDelay: socketOptions.noDelay })
        : tls.connect(net.isIP(host) ? { ...tlsOptions, host, port } : { servername: host, ...tlsOptions, host, port })
      freshReads.add(socket)
      const timer = setTimeout(() => {
        if (done) return
        done = true
        socket.destroy()
        resume(Effect.fail(new E.ConnectionError({ message: `connect timed out after ${Duration.format(timeout)}`, host: address })))
      }, Duration.toMillis(timeout))
      const onError = (err: Error) => {
        if (done) return
        done = true
        clearTimeout(timer)
        socket.destroy()
        resume(Effect.fail(new E.ConnectionError({ message: err.message, host: address, cause: err })))
      }
      socket.once("error", onError)
      socket.once(tlsOptions === undefined ? "connect" : "secureConnect", () => {
        if (done) return
        done = true
        clearTimeout(timer)
        socket.removeListener("error", onError)
        applySocketOptions(socket, socketOptions)
        resume(Effect.succeed(socket))
      })
      return Effect.sync(() => {
        if (!done) {
          done = true
          clearTimeout(timer)
          socket.destroy()
        }
      })
    })
})

/**
 * Sets TCP_NODELAY and SO_KEEPALIVE (with its initial delay) on a connected socket.
 *
 * @since 0.2.0
 */
export const applySocketOptions = (socket: net.Socket, options: ResolvedSocketOptions): void => {
  socket.setNoDelay(options.noDelay)
  socket.setKeepAlive(options.keepAlive, options.keepAlive ? Math.max(0, Math.floor(Duration.toMillis(options.keepAliveDelay))) : 0)
}
