/**
 * The frame layer against a real node, over a plain socket: for v3/v4 (plain, LZ4, Snappy bodies) and
 * v5 (plain and LZ4 segments), a 300 KB blob written and read back (on v5 both envelopes span several
 * non-self-contained segments), and hundreds of requests pipelined in one write (several envelopes per
 * self-contained segment) all answered.
 */
import { describe, expect, it } from "vitest"
import { testCluster } from "@effect-cassandra/local/vitest"
import { Consistency, type ProtocolVersion, type ResponseFrame } from "../src/Messages.ts"
import { Connection } from "./fixtures/connection.ts"

const info = testCluster()
const [host, portText] = info.contactPoints[0]!.split(":")
const port = Number(portText ?? 9042)

const prepared = async (c: Connection, query: string) => {
  const f = await c.send({ _tag: "Prepare", query })
  if (f.response._tag !== "Result" || f.response.result.kind !== "Prepared") throw new Error(`prepare: ${JSON.stringify(f.response)}`)
  return f.response.result
}

const blob = (n: number, seed: number) => {
  const b = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    // half compressible (runs), half noise
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    b[i] = i % 2048 < 1024 ? (i >> 4) & 0xff : x >>> 24
  }
  return b
}

const CONFIGS: ReadonlyArray<readonly [ProtocolVersion, "lz4" | "snappy" | undefined]> = [
  [3, undefined],
  [4, undefined],
  [4, "lz4"],
  [4, "snappy"],
  [5, undefined],
  [5, "lz4"]
]

describe(`frames against ${host}:${port}`, () => {
  it("setup: a keyspace and a table", async () => {
    const c = await Connection.open(host!, port, 4)
    await c.query("CREATE KEYSPACE IF NOT EXISTS frames_it WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    await c.query("CREATE TABLE IF NOT EXISTS frames_it.blobs (k int PRIMARY KEY, v blob)")
    c.close()
  })

  for (const [version, compression] of CONFIGS) {
    const name = `v${version}${compression === undefined ? "" : ` ${compression}`}`
    it(`${name}: a 300 KB blob written and read back (large envelopes both ways)`, async () => {
      const c = await Connection.open(host!, port, version, compression)
      try {
        const insert = await prepared(c, "INSERT INTO frames_it.blobs (k, v) VALUES (?, ?)")
        const select = await prepared(c, "SELECT k, v FROM frames_it.blobs WHERE k = ?")
        const key = version * 10 + (compression === "lz4" ? 1 : compression === "snappy" ? 2 : 0)
        const value = blob(300_000, key)
        const w = await c.send({
          _tag: "Execute",
          id: insert.id,
          resultMetadataId: insert.resultMetadataId,
          params: { consistency: Consistency.ONE, values: { values: [key, value], types: insert.variables.map((v) => v.type) } }
        })
        expect(w.response).toEqual({ _tag: "Result", result: { kind: "Void" } })
        const r = await c.send(
          {
            _tag: "Execute",
            id: select.id,
            resultMetadataId: select.resultMetadataId,
            params: { consistency: Consistency.ONE, values: { values: [key], types: select.variables.map((v) => v.type) }, skipMetadata: true }
          },
          select.resultMetadata.columns
        )
        if (r.response._tag !== "Result" || r.response.result.kind !== "Rows") throw new Error(JSON.stringify(r.response))
        expect(r.response.result.rows.length).toBe(1)
        expect(r.response.result.rows[0]!["k"]).toBe(key)
        expect(Buffer.from(r.response.result.rows[0]!["v"] as Uint8Array).equals(Buffer.from(value))).toBe(true)
      } finally {
        c.close()
      }
    })

    it(`${name}: 500 requests pipelined in one write, every answer matched to its stream`, async () => {
      const c = await Connection.open(host!, port, version, compression)
      try {
        const select = await prepared(c, "SELECT release_version FROM system.local WHERE key = ?")
        const answers: Array<Promise<ResponseFrame>> = []
        for (let i = 0; i < 500; i++) {
          answers.push(
            i % 5 === 0
              ? c.queue({ _tag: "Query", query: `SELECT (int)${i} FROM system.local`, params: { consistency: Consistency.ONE } })
              : c.queue(
                {
                  _tag: "Execute",
                  id: select.id,
                  resultMetadataId: select.resultMetadataId,
                  params: { consistency: Consistency.ONE, values: { values: ["local"], types: [select.variables[0]!.type] }, skipMetadata: true }
                },
                select.resultMetadata.columns
              )
          )
        }
        c.flush()
        const frames = await Promise.all(answers)
        frames.forEach((f, i) => {
          if (f.response._tag !== "Result" || f.response.result.kind !== "Rows") throw new Error(`${i}: ${JSON.stringify(f.response)}`)
          const row = f.response.result.rows[0]!
          if (i % 5 === 0) expect(Object.values(row)).toEqual([i])
          else expect(row["release_version"]).toMatch(/^\d+\.\d+/)
        })
      } finally {
        c.close()
      }
    })
  }
})
