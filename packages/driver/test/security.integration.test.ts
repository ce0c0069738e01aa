/**
 * Authentication (PasswordAuthenticator) and client TLS against a real node of their own
 * (127.0.0.5, started by this file), and custom payloads through the mirroring query handler.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import * as LocalCassandra from "@effect-cassandra/local/LocalCassandra"
import { testCluster } from "@effect-cassandra/local/vitest"
import { describe, expect, it, layer } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"

const info = testCluster()

/** The message of an error and of each host's error inside a NoHostAvailable. */
const messages = (e: { message: string; errors?: Record<string, unknown> }): string =>
  [e.message, ...Object.values(e.errors ?? {}).map((x) => String((x as { message?: unknown }).message))].join(" | ")

describe("custom payloads", () => {
  const clusterLayer = Cluster.layer({ contactPoints: info.contactPoints, localDc: info.localDatacenter })
  layer(Session.layer().pipe(Layer.provideMerge(clusterLayer)), { excludeTestServices: true })((it) => {
    it.effect.skipIf(!info.managed && process.env["CASSANDRA_CUSTOM_PAYLOAD_MIRRORING"] !== "1")("the mirroring handler echoes the request's custom payload", () =>
      Effect.gen(function*() {
        const payload = new Map<string, Uint8Array | null>([["k1", new Uint8Array([1, 2, 3])], ["k2", new TextEncoder().encode("v")]])
        const rs = yield* Session.execute("SELECT key FROM system.local", [], { customPayload: payload })
        expect(rs.customPayload).toEqual(payload)
        const plain = yield* Session.execute("SELECT key FROM system.local")
        expect(plain.customPayload).toBeUndefined()
      }))
  })
})

describe("auth + TLS (a node of its own on 127.0.0.5)", () => {
  it.live("right password over verified TLS works; wrong password, no TLS and an unknown CA are refused", () =>
    Effect.gen(function*() {
      const node = yield* LocalCassandra.start({ name: "driver-auth-tls", firstAddress: 5, auth: true, tls: true, clusterName: "auth-tls" })
      const ca = node.caCertPem!
      const base = { contactPoints: node.contactPoints, localDc: node.localDatacenter, connectTimeout: "5 seconds" } as const
      const connectAndQuery = (options: Cluster.ClusterOptions) =>
        Session.execute("SELECT release_version FROM system.local").pipe(
          Effect.provide(Session.layer().pipe(Layer.provide(Cluster.layer(options))))
        )

      const ok = yield* connectAndQuery({ ...base, auth: { username: "cassandra", password: "cassandra" }, tls: { ca } })
      expect(String(ok.rows[0]!["release_version"])).toMatch(/^5\.0/)

      const wrong = yield* Effect.flip(connectAndQuery({ ...base, auth: { username: "cassandra", password: "wrong" }, tls: { ca } }))
      expect(wrong._tag).toBe("AuthenticationError")

      const noCredentials = yield* Effect.flip(connectAndQuery({ ...base, tls: { ca } }))
      expect(noCredentials._tag).toBe("AuthenticationError")

      // TLS without the node's CA: certificate verification fails
      const unknownCa = yield* Effect.flip(connectAndQuery({ ...base, auth: { username: "cassandra", password: "cassandra" }, tls: true }))
      expect(unknownCa._tag).toBe("NoHostAvailable")
      expect(messages(unknownCa)).toMatch(/certificate/i)

      // hostname verification: the certificate names 127.0.0.5, not "wrong.example"
      const wrongName = yield* Effect.flip(connectAndQuery({
        ...base,
        auth: { username: "cassandra", password: "cassandra" },
        tls: { ca, servername: "wrong.example" }
      }))
      expect(wrongName._tag).toBe("NoHostAvailable")
      expect(messages(wrongName)).toMatch(/wrong\.example|altname/i)

      // plaintext to a TLS-only port never completes a handshake
      const plain = yield* Effect.flip(connectAndQuery({ ...base, auth: { username: "cassandra", password: "cassandra" }, connectTimeout: "3 seconds" }))
      expect(plain._tag).toBe("NoHostAvailable")

      // examples/auth-and-tls.ts, as a user runs it with the environment `cassandra-local env` prints
      const caFile = path.join(os.tmpdir(), `effect-cassandra-auth-tls-ca-${process.pid}.pem`)
      fs.writeFileSync(caFile, ca)
      const example = yield* Effect.promise(() =>
        promisify(execFile)(process.execPath, ["--conditions=source", "examples/auth-and-tls.ts"], {
          cwd: path.resolve(import.meta.dirname, "../../.."),
          timeout: 60_000,
          env: {
            ...process.env,
            CASSANDRA_CONTACT_POINTS: node.contactPoints.join(","),
            CASSANDRA_USERNAME: "cassandra",
            CASSANDRA_PASSWORD: "cassandra",
            CASSANDRA_TLS_CA: caFile
          }
        })
      ).pipe(Effect.ensuring(Effect.sync(() => fs.rmSync(caFile, { force: true }))))
      expect(example.stdout).toMatch(/connected as an authenticated user: Cassandra 5\.0/)
      expect(example.stdout).toMatch(/a wrong password fails with: AuthenticationError/)

      // Cluster.layerConfig() with the CA inline in CASSANDRA_TLS_CA (the Environment parser, as @effect-cassandra/local reads it)
      const fromEnv = yield* Session.execute("SELECT release_version FROM system.local").pipe(
        Effect.provide(Session.layer().pipe(Layer.provide(Cluster.layerConfig()))),
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({
          CASSANDRA_CONTACT_POINTS: node.contactPoints.join(","),
          CASSANDRA_LOCAL_DC: node.localDatacenter,
          CASSANDRA_USERNAME: "cassandra",
          CASSANDRA_PASSWORD: "cassandra",
          CASSANDRA_TLS_CA: ca
        })))
      )
      expect(String(fromEnv.rows[0]!["release_version"])).toMatch(/^5\.0/)
    }).pipe(Effect.scoped), { timeout: 240_000 })
})
