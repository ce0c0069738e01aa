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
 * TCP, or TLS when `tlsOptions` is given (hostname verification on unless the options turn it off).
 *
 * @since 0.1.0
 */
export const nodeTransport = (tlsOptions?: tls.ConnectionOptions): Transport => ({
  connect: ({ host, port, timeout }) =>
    Effect.callback<Duplex, E.ConnectionError>((resume) => {
      const address = `${host}:${port}`
      let done = false
      const socket: net.Socket = tlsOptions === undefined
        ? net.connect({ host, port, noDelay: true })
        : tls.connect(net.isIP(host) ? { ...tlsOptions, host, port } : { servername: host, ...tlsOptions, host, port })
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
        socket.setNoDelay(true)
        socket.setKeepAlive(true)
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
