/**
 * Configuration: the one CASSANDRA_* parser (`Environment`), `Cluster.layerConfig` with the user's own
 * keys (`Config.Wrap`), `Session.layerConfig` (CASSANDRA_KEYSPACE and session defaults) and the layer
 * that gives Cluster and Session together, on mock hosts.
 */
import { Cluster, ClusterOptions, Environment, Session } from "@effect-cassandra/driver"
import { MockCluster } from "@effect-cassandra/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { readConfig } from "../src/internal/cluster/config.ts"

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"

const parsed = (env: Environment.Env, readFile?: (p: string) => string) => {
  const r = Environment.parse(env, readFile)
  return Result.isSuccess(r) ? r.success : r.failure
}

describe("Environment.parse", () => {
  it("reads every variable", () => {
    expect(parsed({
      CASSANDRA_CONTACT_POINTS: " 10.0.0.1, 10.0.0.2:9043 ,",
      CASSANDRA_PORT: "9142",
      CASSANDRA_LOCAL_DC: "east",
      CASSANDRA_USERNAME: "app",
      CASSANDRA_PASSWORD: "s3cret",
      CASSANDRA_PROTOCOL_VERSION: "4",
      CASSANDRA_TLS_CA: "/etc/ca.pem",
      CASSANDRA_KEYSPACE: "shop",
      CASSANDRA_CONSISTENCY: "local_quorum",
      CASSANDRA_SERIAL_CONSISTENCY: "LOCAL_SERIAL",
      CASSANDRA_FETCH_SIZE: "500",
      CASSANDRA_REQUEST_TIMEOUT: "2 seconds"
    }, (p) => `PEM of ${p}`)).toEqual({
      contactPoints: ["10.0.0.1", "10.0.0.2:9043"],
      port: 9142,
      localDc: "east",
      credentials: { username: "app", password: "s3cret" },
      protocolVersion: 4,
      tls: true,
      caPem: "PEM of /etc/ca.pem",
      keyspace: "shop",
      consistency: "LOCAL_QUORUM",
      serialConsistency: "LOCAL_SERIAL",
      fetchSize: 500,
      requestTimeout: Duration.seconds(2)
    })
  })

  it("CASSANDRA_TLS alone turns TLS on (system CAs); an inline PEM is the CA; a timeout in plain milliseconds", () => {
    const tls = parsed({ CASSANDRA_TLS: "yes" }) as Environment.Settings
    expect([tls.tls, tls.caPem, tls.contactPoints, tls.port]).toEqual([true, undefined, undefined, 9042])
    const inline = parsed({ CASSANDRA_TLS_CA: PEM }, () => { throw new Error("no file should be read") }) as Environment.Settings
    expect([inline.tls, inline.caPem]).toEqual([true, PEM])
    expect((parsed({ CASSANDRA_REQUEST_TIMEOUT: "1500" }) as Environment.Settings).requestTimeout).toEqual(Duration.millis(1500))
    expect((parsed({ CASSANDRA_TLS: "0" }) as Environment.Settings).tls).toBe(false)
  })

  it("a malformed value fails with a message naming the variable", () => {
    expect(parsed({ CASSANDRA_PORT: "90420" })).toMatch(/^CASSANDRA_PORT must be an integer from 1 to 65535/)
    expect(parsed({ CASSANDRA_CONTACT_POINTS: " , " })).toBe("CASSANDRA_CONTACT_POINTS has no host")
    expect(parsed({ CASSANDRA_USERNAME: "app" })).toMatch(/must be set together/)
    expect(parsed({ CASSANDRA_PROTOCOL_VERSION: "6" })).toMatch(/CASSANDRA_PROTOCOL_VERSION must be 3, 4 or 5, got "6"/)
    expect(parsed({ CASSANDRA_TLS: "maybe" })).toMatch(/CASSANDRA_TLS must be true or false/)
    expect(parsed({ CASSANDRA_TLS: "false", CASSANDRA_TLS_CA: PEM })).toMatch(/CASSANDRA_TLS is false but CASSANDRA_TLS_CA is set/)
    expect(parsed({ CASSANDRA_TLS_CA: "/nope.pem" }, () => { throw new Error("ENOENT") })).toMatch(/CASSANDRA_TLS_CA: cannot read \/nope.pem: ENOENT/)
    expect(parsed({ CASSANDRA_CONSISTENCY: "QUOROM" })).toMatch(/CASSANDRA_CONSISTENCY must be one of ANY, ONE/)
    expect(parsed({ CASSANDRA_SERIAL_CONSISTENCY: "QUORUM" })).toMatch(/must be SERIAL or LOCAL_SERIAL/)
    expect(parsed({ CASSANDRA_FETCH_SIZE: "0" })).toMatch(/CASSANDRA_FETCH_SIZE must be an integer/)
    expect(parsed({ CASSANDRA_REQUEST_TIMEOUT: "soon" })).toMatch(/CASSANDRA_REQUEST_TIMEOUT must be milliseconds or a duration/)
  })
})

const withEnv = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))

describe("Cluster options from the environment", () => {
  it.effect("ClusterOptions.config: credentials redacted, TLS from the CA or the flag, 127.0.0.1 by default", () =>
    Effect.gen(function*() {
      const options = yield* readConfig(ClusterOptions.config).pipe(Effect.provide(withEnv({
        CASSANDRA_USERNAME: "app",
        CASSANDRA_PASSWORD: "s3cret",
        CASSANDRA_TLS_CA: PEM
      })))
      expect(options.contactPoints).toEqual(["127.0.0.1"])
      expect(options.tls).toEqual({ ca: PEM })
      const auth = options.auth as { readonly username: string; readonly password: Redacted.Redacted<string> }
      expect([auth.username, Redacted.value(auth.password)]).toEqual(["app", "s3cret"])
      const flag = yield* readConfig(ClusterOptions.config).pipe(Effect.provide(withEnv({ CASSANDRA_TLS: "true" })))
      expect(flag.tls).toBe(true)
    }))
})

describe("layers from Config", () => {
  it.effect("Cluster.layerConfig(Config.Wrap): the user's own keys", () =>
    Effect.gen(function*() {
      const cluster = yield* Cluster.Cluster
      expect(cluster.localDc).toBe("dc1")
      expect(cluster.options.contactPoints).toEqual([{ address: "127.0.0.1", port: 9042 }])
    }).pipe(Effect.provide(
      Cluster.layerConfig({
        contactPoints: Config.String("DB_HOSTS").pipe(Config.map((s) => s.split(","))),
        localDc: Config.String("DB_DC"),
        schemaMetadataEnabled: Config.succeed(false)
      }).pipe(
        Layer.provide(MockCluster.layer()),
        Layer.provide(withEnv({ DB_HOSTS: "127.0.0.1:9042", DB_DC: "dc1", CASSANDRA_CONTACT_POINTS: "10.9.9.9" }))
      )
    )))

  it.effect("a missing key of the user's Config fails the layer with a ConfigError", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(Cluster.layerConfig({ contactPoints: Config.String("DB_HOSTS").pipe(Config.map((s) => [s])) }).pipe(
        Layer.provide(MockCluster.layer()),
        Layer.provide(withEnv({}))
      )))
      expect(exit._tag).toBe("Failure")
      if (exit._tag === "Failure") expect((exit.cause.reasons[0] as { readonly error?: { readonly _tag?: string } }).error?._tag).toBe("ConfigError")
    }))

  it.effect("Session.layerConfigWithCluster(): Cluster and Session from CASSANDRA_*, the keyspace and defaults included", () =>
    Effect.gen(function*() {
      const session = yield* Session.Session
      const cluster = yield* Cluster.Cluster
      expect(session.keyspace()).toBe("shop")
      expect(cluster.localDc).toBe("dc1")
      yield* session.execute("SELECT * FROM t")
      const log = yield* MockCluster.activity({ query: "SELECT * FROM t" })
      expect([log[0]!.consistency, log[0]!.pageSize]).toEqual(["LOCAL_QUORUM", 77])
    }).pipe(Effect.provide(
      Session.layerConfigWithCluster().pipe(
        Layer.provideMerge(MockCluster.layer()),
        Layer.provide(withEnv({
          CASSANDRA_CONTACT_POINTS: "127.0.0.1",
          CASSANDRA_LOCAL_DC: "dc1",
          CASSANDRA_KEYSPACE: "shop",
          CASSANDRA_CONSISTENCY: "LOCAL_QUORUM",
          CASSANDRA_FETCH_SIZE: "77"
        }))
      )
    )))

  it.effect("Session.layerConfig(Config.Wrap) and Session.layerWithCluster", () =>
    Effect.gen(function*() {
      const mock = yield* MockCluster.MockCluster
      const keyspace = yield* Effect.map(Effect.service(Session.Session), (s) => s.keyspace()).pipe(
        Effect.provide(Session.layerConfig({ keyspace: Config.String("APP_KS") }).pipe(
          Layer.provide(MockCluster.clusterLayer()),
          Layer.provide(withEnv({ APP_KS: "orders" }))
        ))
      )
      expect(keyspace).toBe("orders")
      const both = yield* Effect.all([Effect.service(Session.Session), Effect.service(Cluster.Cluster)]).pipe(
        Effect.provide(Session.layerWithCluster({ contactPoints: mock.contactPoints, localDc: mock.localDc }, { keyspace: "app" }))
      )
      expect([both[0].keyspace(), both[1].localDc]).toEqual(["app", "dc1"])
    }).pipe(Effect.provide(MockCluster.layer())))
})
