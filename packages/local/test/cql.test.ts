import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import {
  authResponseBody,
  decodeError,
  decodeFrames,
  decodeSupported,
  decodeTextRows,
  encodeFrame,
  Opcode,
  probe,
  queryBody,
  startupBody
} from "../src/internal/cql.ts"

const hex = (b: Buffer) => b.toString("hex")

describe("the readiness probe's CQL v4 frames", () => {
  it("OPTIONS is 04 00 00 00 05 00 00 00 00", () => {
    expect(hex(encodeFrame(0, Opcode.OPTIONS))).toBe("040000000500000000")
  })
  it("encodes STARTUP, AUTH_RESPONSE and QUERY bodies", () => {
    expect(hex(startupBody())).toBe("0001000b43514c5f56455253494f4e0005332e302e30")
    expect(hex(authResponseBody("u", "p"))).toBe("00000004007500" + "70")
    const q = queryBody("SELECT 1")
    expect(q.readInt32BE(0)).toBe(8)
    expect(q.subarray(4, 12).toString()).toBe("SELECT 1")
    expect(hex(q.subarray(12))).toBe("000100")
  })
  it("splits frames across chunks", () => {
    const a = encodeFrame(1, Opcode.READY)
    const b = encodeFrame(2, Opcode.SUPPORTED, Buffer.from([0, 0]))
    const all = Buffer.concat([a, b])
    const first = decodeFrames(all.subarray(0, 12))
    expect(first.frames.map((f) => f.opcode)).toEqual([Opcode.READY])
    const second = decodeFrames(Buffer.concat([first.rest, all.subarray(12)]))
    expect(second.frames.map((f) => [f.stream, f.opcode, f.body.length])).toEqual([[2, Opcode.SUPPORTED, 2]])
    expect(second.rest.length).toBe(0)
  })
  it("decodes SUPPORTED, ERROR and a Rows result", () => {
    const s = Buffer.from("0001000b43514c5f56455253494f4e00010005332e302e30", "hex")
    expect(decodeSupported(s)).toEqual({ CQL_VERSION: ["3.0.0"] })
    expect(decodeError(Buffer.from("00000100000362616400", "hex").subarray(0, 9))).toEqual({ code: 0x100, message: "bad" })
    // kind=Rows, flags=global_tables_spec, 1 column "release_version" varchar, 1 row "5.0.9"
    const parts = [
      "00000002", "00000001", "00000001",
      "0006" + Buffer.from("system").toString("hex"), "0005" + Buffer.from("local").toString("hex"),
      "000f" + Buffer.from("release_version").toString("hex"), "000d",
      "00000001", "00000005" + Buffer.from("5.0.9").toString("hex")
    ]
    expect(decodeTextRows(Buffer.from(parts.join(""), "hex"))).toEqual([["5.0.9"]])
    // a uuid column (0x000c) comes back as hex
    const uuid = "0123456789abcdef0123456789abcdef"
    const str = (x: string) => Buffer.from([0, x.length]).toString("hex") + Buffer.from(x).toString("hex")
    const u = ["00000002", "00000001", "00000001", str("system"), str("local"), str("schema_version"), "000c", "00000001", "00000010" + uuid]
    expect(decodeTextRows(Buffer.from(u.join(""), "hex"))).toEqual([[uuid]])
  })
  it("probe talks to a fake server: OPTIONS, STARTUP, AUTH_RESPONSE, QUERY", async () => {
        const seen: Array<number> = []
        const server = net.createServer((sock) => {
          sock.on("data", (d: Buffer) => {
            for (const f of decodeFrames(d).frames) {
              seen.push(f.opcode)
              if (f.opcode === Opcode.OPTIONS) sock.write(encodeFrame(f.stream, Opcode.SUPPORTED, Buffer.from([0, 0])))
              if (f.opcode === Opcode.STARTUP) sock.write(encodeFrame(f.stream, Opcode.AUTHENTICATE, Buffer.from("0003abc", "hex").subarray(0, 2)))
              if (f.opcode === Opcode.AUTH_RESPONSE) sock.write(encodeFrame(f.stream, Opcode.AUTH_SUCCESS, Buffer.from("ffffffff", "hex")))
              if (f.opcode === Opcode.QUERY) {
                const rows = Buffer.from(["00000002", "00000005", "00000001", "00000001", "00000003", "352e30"].join(""), "hex")
                sock.write(encodeFrame(f.stream, Opcode.RESULT, rows))
              }
            }
          })
        })
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
        const port = (server.address() as net.AddressInfo).port
        try {
          expect(await probe({ host: "127.0.0.1", port, timeoutMillis: 2000, optionsOnly: true })).toBe("")
          await expect(probe({ host: "127.0.0.1", port, timeoutMillis: 2000 })).rejects.toThrow(/requires authentication/)
          expect(await probe({ host: "127.0.0.1", port, timeoutMillis: 2000, credentials: { username: "a", password: "b" } })).toBe("5.0")
          expect(seen).toContain(Opcode.AUTH_RESPONSE)
        } finally {
          server.close()
        }
        await expect(probe({ host: "127.0.0.1", port, timeoutMillis: 2000 })).rejects.toThrow(/ECONNREFUSED/)
  })
})
