// One real node (started by the integration globalSetup) answers CQL; a separate node with
// PasswordAuthenticator + client TLS accepts the right password over verified TLS and refuses the rest.
import { assert, describe, it } from "@effect/vitest"
import { LocalCassandra } from "@effect-cassandra/local/LocalCassandra"
import { testCluster } from "@effect-cassandra/local/vitest"
import cassandra from "cassandra-driver"
import { Effect } from "effect"

const withClient = <A>(options: cassandra.DseClientOptions, f: (client: cassandra.Client) => Promise<A>): Promise<A> => {
  const client = new cassandra.Client(options)
  return client.connect().then(() => f(client)).finally(() => client.shutdown())
}

describe("one local node (integration globalSetup)", () => {
  it("serves CQL: system.local reports Cassandra 5.0", async () => {
    const info = testCluster()
    const row = await withClient(
      {
        contactPoints: [...info.contactPoints],
        localDataCenter: info.localDatacenter,
        ...(info.credentials === undefined ? {} : { credentials: info.credentials }),
        ...(info.caCertPem === undefined ? {} : { sslOptions: { ca: [info.caCertPem] } })
      },
      (client) => client.execute("SELECT release_version FROM system.local").then((rs) => rs.first())
    )
    const version = String(row.get("release_version"))
    assert.isTrue(version.startsWith("5.0"), `release_version ${version}`)
    if (info.managed) {
      assert.strictEqual(info.version, version)
      assert.deepStrictEqual(info.contactPoints, ["127.0.0.1:9042"])
    }
  })
})

describe("auth + TLS node (its own cluster on 127.0.0.4)", () => {
  it.live("the right password works over verified TLS; a wrong password, plaintext and an unknown CA are refused; a killed node restarts", () =>
    Effect.gen(function*() {
      const c = yield* LocalCassandra.start({ name: "auth-tls", firstAddress: 4, auth: true, tls: true, clusterName: "auth-tls" })
      assert.deepStrictEqual(c.contactPoints, ["127.0.0.4:9042"])
      assert.deepStrictEqual(c.credentials, { username: "cassandra", password: "cassandra" })
      assert.isTrue(c.tls)
      const ca = c.caCertPem
      assert.isDefined(ca)
      assert.include(ca ?? "", "BEGIN CERTIFICATE")
      const base = { contactPoints: [...c.contactPoints], localDataCenter: c.localDatacenter }
      const tls = { sslOptions: { ca: [ca as string], rejectUnauthorized: true } }

      const version = yield* Effect.promise(() =>
        withClient({ ...base, ...tls, credentials: { username: "cassandra", password: "cassandra" } }, async (client) => {
          const rs = await client.execute("SELECT release_version FROM system.local")
          return String(rs.first().get("release_version"))
        })
      )
      assert.isTrue(version.startsWith("5.0"))

      const refused = (options: cassandra.DseClientOptions) =>
        Effect.promise(() => withClient(options, async () => "connected").catch((e: Error) => `refused: ${e.message}`))
      const wrongPassword = yield* refused({ ...base, ...tls, credentials: { username: "cassandra", password: "wrong" } })
      assert.match(wrongPassword, /^refused: .*(Provided username|password|Authentication|authentication)/)
      const plaintext = yield* refused({ ...base, credentials: { username: "cassandra", password: "cassandra" } })
      assert.match(plaintext, /^refused/)
      const unknownCa = yield* refused({
        ...base,
        credentials: { username: "cassandra", password: "cassandra" },
        sslOptions: { rejectUnauthorized: true }
      })
      assert.match(unknownCa, /^refused: .*certificate/i)

      // SIGKILL, then start again on the same data: the auth tables survived.
      const node = c.node(1)
      yield* node.kill
      assert.strictEqual(yield* node.status, "stopped")
      yield* node.start
      assert.strictEqual(yield* node.status, "running")
      const again = yield* Effect.promise(() =>
        withClient({ ...base, ...tls, credentials: { username: "cassandra", password: "cassandra" } }, async (client) => {
          const rs = await client.execute("SELECT release_version FROM system.local")
          return String(rs.first().get("release_version"))
        })
      )
      assert.strictEqual(again, version)
    }), 300_000)
})
