import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option } from "effect"
import { Environment } from "@effect-cassandra/driver"
import { EnvVars } from "../src/Env.ts"
import { fromEnv } from "../src/LocalCassandra.ts"
import { parseEnv, splitHostPort } from "../src/internal/env.ts"

describe("CASSANDRA_* environment", () => {
  it("is absent without CASSANDRA_CONTACT_POINTS", () => {
    expect(parseEnv({})).toBeUndefined()
    expect(parseEnv({ CASSANDRA_CONTACT_POINTS: "  " })).toBeUndefined()
  })
  it("reads hosts, ports, DC, credentials and the CA", () => {
    const c = parseEnv(
      {
        CASSANDRA_CONTACT_POINTS: "10.0.0.1, 10.0.0.2:9142",
        CASSANDRA_PORT: "9043",
        CASSANDRA_LOCAL_DC: "dc2",
        CASSANDRA_USERNAME: "u",
        CASSANDRA_PASSWORD: "p",
        CASSANDRA_TLS_CA: "/ca.pem"
      },
      (p) => `PEM of ${p}`
    )
    expect(c).toEqual({
      hosts: ["10.0.0.1", "10.0.0.2"],
      contactPoints: ["10.0.0.1:9043", "10.0.0.2:9142"],
      port: 9043,
      localDatacenter: "dc2",
      credentials: { username: "u", password: "p" },
      tls: true,
      caCertPem: "PEM of /ca.pem"
    })
  })
  it("defaults to port 9042 and datacenter1, no auth, no TLS", () => {
    expect(parseEnv({ CASSANDRA_CONTACT_POINTS: "db" })).toEqual({
      hosts: ["db"],
      contactPoints: ["db:9042"],
      port: 9042,
      localDatacenter: "datacenter1",
      credentials: undefined,
      tls: false,
      caCertPem: undefined
    })
  })
  it("rejects malformed values", () => {
    expect(() => parseEnv({ CASSANDRA_CONTACT_POINTS: "a", CASSANDRA_PORT: "x" })).toThrow(/CASSANDRA_PORT/)
    expect(() => parseEnv({ CASSANDRA_CONTACT_POINTS: "a", CASSANDRA_USERNAME: "u" })).toThrow(/CASSANDRA_PASSWORD/)
    expect(() => parseEnv({ CASSANDRA_CONTACT_POINTS: "a", CASSANDRA_TLS_CA: "/nope" }, () => { throw new Error("ENOENT") })).toThrow(/CASSANDRA_TLS_CA/)
  })
  it("names the variables as the driver's parser does", () => {
    const { contactPoints, localDc, port, username, password, tlsCa, tls } = Environment.Vars
    expect(EnvVars).toEqual({ contactPoints, localDatacenter: localDc, port, username, password, tlsCa, tls })
  })
  it("splits host:port and [v6]:port", () => {
    expect(splitHostPort("h", 1)).toEqual({ host: "h", port: 1 })
    expect(splitHostPort("h:2", 1)).toEqual({ host: "h", port: 2 })
    expect(splitHostPort("[::1]:3", 1)).toEqual({ host: "::1", port: 3 })
    expect(splitHostPort("[::1]", 1)).toEqual({ host: "::1", port: 1 })
  })
  it.live("fromEnv reads through the ConfigProvider; nothing is started", () =>
    Effect.gen(function*() {
      const none = yield* fromEnv.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({}))))
      expect(Option.isNone(none)).toBe(true)
      // 127.0.0.9:1 is closed: the version probe fails fast and the description is still returned.
      const some = yield* fromEnv.pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ CASSANDRA_CONTACT_POINTS: "127.0.0.9:1" })))
      )
      expect(Option.isSome(some)).toBe(true)
      if (Option.isSome(some)) {
        expect(some.value.managed).toBe(false)
        expect(some.value.contactPoints).toEqual(["127.0.0.9:1"])
        expect(some.value.version).toBe("unknown")
        expect(some.value.nodes).toEqual([])
        const err = yield* Effect.flip(some.value.node(1).stop())
        expect(err._tag).toBe("ControlError")
      }
    }))
})
