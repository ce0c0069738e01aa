/**
 * A minimal hand-written CQL native protocol v4 client used only to check that a node really serves CQL:
 * OPTIONS -> SUPPORTED, STARTUP (-> AUTHENTICATE -> AUTH_RESPONSE) -> READY, QUERY release_version -> ROWS.
 * It is deliberately tiny and independent of @effect-cassandra/protocol. Not a driver: one connection,
 * one query, then it closes.
 *
 * @internal
 */
import * as net from "node:net"
import * as tls from "node:tls"

/**
 * Native protocol opcodes, as far as the probe's handshake goes: a deliberate copy of the protocol's
 * table, so that this client stays independent of `@effect-cassandra/protocol`.
 *
 * @since 0.1.0
 */
export const Opcode = {
  ERROR: 0x00,
  STARTUP: 0x01,
  READY: 0x02,
  AUTHENTICATE: 0x03,
  OPTIONS: 0x05,
  SUPPORTED: 0x06,
  QUERY: 0x07,
  RESULT: 0x08,
  AUTH_CHALLENGE: 0x0e,
  AUTH_RESPONSE: 0x0f,
  AUTH_SUCCESS: 0x10
} as const

/**
 * One v4 envelope: its header fields and body.
 *
 * @since 0.1.0
 */
export interface Frame {
  readonly version: number
  readonly flags: number
  readonly stream: number
  readonly opcode: number
  readonly body: Buffer
}

const HEADER = 9

/**
 * A v4 request envelope with no flags around `body`.
 *
 * @since 0.1.0
 */
export const encodeFrame = (stream: number, opcode: number, body: Buffer = Buffer.alloc(0)): Buffer => {
  const header = Buffer.alloc(HEADER)
  header.writeUInt8(0x04, 0)
  header.writeUInt8(0, 1)
  header.writeInt16BE(stream, 2)
  header.writeUInt8(opcode, 4)
  header.writeInt32BE(body.length, 5)
  return Buffer.concat([header, body])
}

/**
 * Splits complete frames off the front of `buf`; returns them and the unconsumed rest.
 *
 * @since 0.1.0
 */
export const decodeFrames = (buf: Buffer): { frames: Array<Frame>; rest: Buffer } => {
  const frames: Array<Frame> = []
  let off = 0
  while (buf.length - off >= HEADER) {
    const len = buf.readInt32BE(off + 5)
    if (buf.length - off < HEADER + len) break
    frames.push({
      version: buf.readUInt8(off),
      flags: buf.readUInt8(off + 1),
      stream: buf.readInt16BE(off + 2),
      opcode: buf.readUInt8(off + 4),
      body: buf.subarray(off + HEADER, off + HEADER + len)
    })
    off += HEADER + len
  }
  return { frames, rest: buf.subarray(off) }
}

const str = (s: string): Buffer => {
  const b = Buffer.from(s, "utf8")
  const h = Buffer.alloc(2)
  h.writeUInt16BE(b.length)
  return Buffer.concat([h, b])
}
const longStr = (s: string): Buffer => {
  const b = Buffer.from(s, "utf8")
  const h = Buffer.alloc(4)
  h.writeInt32BE(b.length)
  return Buffer.concat([h, b])
}
const bytes = (b: Buffer): Buffer => {
  const h = Buffer.alloc(4)
  h.writeInt32BE(b.length)
  return Buffer.concat([h, b])
}

/**
 * The STARTUP body: `CQL_VERSION` 3.0.0, no compression.
 *
 * @since 0.1.0
 */
export const startupBody = (): Buffer => {
  const n = Buffer.alloc(2)
  n.writeUInt16BE(1)
  return Buffer.concat([n, str("CQL_VERSION"), str("3.0.0")])
}

/**
 * The AUTH_RESPONSE body of PasswordAuthenticator: `\0username\0password` as [bytes].
 *
 * @since 0.1.0
 */
export const authResponseBody = (username: string, password: string): Buffer =>
  bytes(Buffer.concat([Buffer.from([0]), Buffer.from(username, "utf8"), Buffer.from([0]), Buffer.from(password, "utf8")]))

/**
 * QUERY at consistency ONE with no values and no flags.
 *
 * @since 0.1.0
 */
export const queryBody = (cql: string): Buffer => Buffer.concat([longStr(cql), Buffer.from([0x00, 0x01, 0x00])])

class Reader {
  off = 0
  readonly b: Buffer
  constructor(b: Buffer) {
    this.b = b
  }
  int(): number {
    const v = this.b.readInt32BE(this.off)
    this.off += 4
    return v
  }
  short(): number {
    const v = this.b.readUInt16BE(this.off)
    this.off += 2
    return v
  }
  string(): string {
    const n = this.short()
    const v = this.b.toString("utf8", this.off, this.off + n)
    this.off += n
    return v
  }
  bytes(): Buffer | null {
    const n = this.int()
    if (n < 0) return null
    const v = this.b.subarray(this.off, this.off + n)
    this.off += n
    return v
  }
  option(): number {
    const id = this.short()
    if (id === 0x0000) this.string() // custom
    else if (id === 0x0020 || id === 0x0022) this.option() // list, set
    else if (id === 0x0021) {
      this.option()
      this.option()
    } else if (id >= 0x0030) throw new Error(`unsupported column type 0x${id.toString(16)} in probe`)
    return id
  }
}

/**
 * Decodes an ERROR body: code and message.
 *
 * @since 0.1.0
 */
export const decodeError = (body: Buffer): { code: number; message: string } => {
  const r = new Reader(body)
  const code = r.int()
  return { code, message: r.string() }
}

/**
 * Decodes the [string multimap] of SUPPORTED.
 *
 * @since 0.1.0
 */
export const decodeSupported = (body: Buffer): Record<string, Array<string>> => {
  const r = new Reader(body)
  const out: Record<string, Array<string>> = {}
  const n = r.short()
  for (let i = 0; i < n; i++) {
    const k = r.string()
    const m = r.short()
    const vs: Array<string> = []
    for (let j = 0; j < m; j++) vs.push(r.string())
    out[k] = vs
  }
  return out
}

/**
 * Decodes a RESULT Rows body: text and ascii columns as strings, any other type as the hex of its bytes (null kept).
 *
 * @since 0.1.0
 */
export const decodeTextRows = (body: Buffer): Array<Array<string | null>> => {
  const r = new Reader(body)
  const kind = r.int()
  if (kind !== 0x0002) throw new Error(`expected a Rows result, got kind ${kind}`)
  const flags = r.int()
  const columns = r.int()
  if (flags & 0x0002) r.bytes() // paging state
  const types: Array<number> = []
  if (!(flags & 0x0004)) {
    const global = (flags & 0x0001) !== 0
    if (global) {
      r.string()
      r.string()
    }
    for (let c = 0; c < columns; c++) {
      if (!global) {
        r.string()
        r.string()
      }
      r.string()
      types.push(r.option())
    }
  }
  const rows = r.int()
  const textual = (c: number) => types[c] === undefined || types[c] === 0x000d || types[c] === 0x0001
  const out: Array<Array<string | null>> = []
  for (let i = 0; i < rows; i++) {
    const row: Array<string | null> = []
    for (let c = 0; c < columns; c++) {
      const v = r.bytes()
      row.push(v === null ? null : v.toString(textual(c) ? "utf8" : "hex"))
    }
    out.push(row)
  }
  return out
}

/**
 * Options of {@link probe}.
 *
 * @since 0.1.0
 */
export interface ProbeOptions {
  readonly host: string
  readonly port: number
  readonly timeoutMillis: number
  /** CA certificate (PEM) to verify the server with; when set the connection uses TLS. */
  readonly ca?: string | undefined
  readonly credentials?: { readonly username: string; readonly password: string } | undefined
  /** Stop after OPTIONS -> SUPPORTED. */
  readonly optionsOnly?: boolean | undefined
  /** The query whose first column of the first row is returned (default: release_version of system.local). */
  readonly query?: string | undefined
}

/**
 * Why a probe failed: connection refused or closed, no answer in time, a server error or an
 * unexpected answer.
 *
 * @since 0.1.0
 */
export class ProbeError extends Error {
  override readonly name = "ProbeError"
}

/**
 * Connects to a node and runs OPTIONS, STARTUP (+ authentication) and `SELECT release_version FROM system.local`.
 * Resolves with the release version (or "" for optionsOnly). Promise-based: callers wrap it in an Effect.
 *
 * @since 0.1.0
 */
export const probe = (options: ProbeOptions, signal?: AbortSignal): Promise<string> =>
  new Promise<string>((resolve, reject) => {
    let settled = false
    let buf: Buffer = Buffer.alloc(0)
    let step: "options" | "startup" | "auth" | "query" = "options"
    const socket: net.Socket = options.ca === undefined
      ? net.connect({ host: options.host, port: options.port })
      : tls.connect(net.isIP(options.host) === 0
        ? { host: options.host, port: options.port, ca: options.ca, servername: options.host }
        : { host: options.host, port: options.port, ca: options.ca })
    const finish = (err: Error | undefined, value?: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener("abort", onAbort)
      socket.destroy()
      if (err) reject(err)
      else resolve(value ?? "")
    }
    const onAbort = (): void => finish(new ProbeError("aborted"))
    signal?.addEventListener("abort", onAbort)
    const timer = setTimeout(() => finish(new ProbeError(`no answer from ${options.host}:${options.port} within ${options.timeoutMillis} ms (step ${step})`)), options.timeoutMillis)
    const send = (opcode: number, body?: Buffer): void => {
      socket.write(encodeFrame(0, opcode, body))
    }
    socket.once(options.ca === undefined ? "connect" : "secureConnect", () => send(Opcode.OPTIONS))
    socket.on("error", (e) => finish(new ProbeError(`${options.host}:${options.port}: ${e.message}`)))
    socket.on("close", () => finish(new ProbeError(`${options.host}:${options.port}: connection closed (step ${step})`)))
    socket.on("data", (chunk: Buffer) => {
      const decoded = decodeFrames(Buffer.concat([buf, chunk]))
      buf = decoded.rest
      for (const f of decoded.frames) {
        try {
          if (f.opcode === Opcode.ERROR) {
            const e = decodeError(f.body)
            return finish(new ProbeError(`server error 0x${e.code.toString(16)} at step ${step}: ${e.message}`))
          }
          if (step === "options") {
            if (f.opcode !== Opcode.SUPPORTED) return finish(new ProbeError(`expected SUPPORTED, got opcode ${f.opcode}`))
            if (options.optionsOnly) return finish(undefined, "")
            step = "startup"
            send(Opcode.STARTUP, startupBody())
          } else if (step === "startup" || step === "auth") {
            if (f.opcode === Opcode.AUTHENTICATE) {
              if (options.credentials === undefined) return finish(new ProbeError("the server requires authentication and no credentials were given"))
              step = "auth"
              send(Opcode.AUTH_RESPONSE, authResponseBody(options.credentials.username, options.credentials.password))
            } else if (f.opcode === Opcode.READY || f.opcode === Opcode.AUTH_SUCCESS) {
              step = "query"
              send(Opcode.QUERY, queryBody(options.query ?? "SELECT release_version FROM system.local"))
            } else return finish(new ProbeError(`unexpected opcode ${f.opcode} at step ${step}`))
          } else {
            if (f.opcode !== Opcode.RESULT) return finish(new ProbeError(`expected RESULT, got opcode ${f.opcode}`))
            const rows = decodeTextRows(f.body)
            const v = rows[0]?.[0]
            if (typeof v !== "string") return finish(new ProbeError("the probe query returned no value"))
            return finish(undefined, v)
          }
        } catch (e) {
          return finish(new ProbeError(`bad response at step ${step}: ${(e as Error).message}`))
        }
      }
    })
  })
