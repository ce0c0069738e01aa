/**
 * The CASSANDRA_* environment, read one way everywhere: `Cluster.layerConfig()`, `Session.layerConfig()`
 * and @effect-cassandra/local (which points tests at an existing cluster) use this parser.
 *
 * | variable | |
 * | --- | --- |
 * | `CASSANDRA_CONTACT_POINTS` | comma separated `host`, `host:port` or `[v6]:port` |
 * | `CASSANDRA_PORT` | port of contact points given without one (default 9042) |
 * | `CASSANDRA_LOCAL_DC` | the local datacenter |
 * | `CASSANDRA_USERNAME`, `CASSANDRA_PASSWORD` | both or neither |
 * | `CASSANDRA_PROTOCOL_VERSION` | 3, 4 or 5 |
 * | `CASSANDRA_TLS` | `true`/`false` (also 1/0, yes/no, on/off): TLS with the system CAs |
 * | `CASSANDRA_TLS_CA` | a PEM file path, or the PEM itself (`-----BEGIN ...`); turns TLS on |
 * | `CASSANDRA_KEYSPACE` | the session's keyspace |
 * | `CASSANDRA_CONSISTENCY`, `CASSANDRA_SERIAL_CONSISTENCY` | session defaults (`LOCAL_QUORUM`, `LOCAL_SERIAL`, ...) |
 * | `CASSANDRA_FETCH_SIZE` | rows per page, session default |
 * | `CASSANDRA_REQUEST_TIMEOUT` | session default: milliseconds, or a duration (`"5 seconds"`) |
 *
 * It parses only: building the Cluster and the Session from the result is `Cluster.layerConfig`'s and
 * `Session.layerConfig`'s.
 *
 * @since 0.2.0
 */
import { Consistency, type ConsistencyName } from "@effect-cassandra/protocol/Messages"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as fs from "node:fs"

/**
 * Environment variables, as in `process.env`.
 *
 * @since 0.2.0
 * @category models
 */
export type Env = Readonly<Record<string, string | undefined>>

/**
 * The names of the variables.
 *
 * @since 0.2.0
 */
export const Vars = {
  contactPoints: "CASSANDRA_CONTACT_POINTS",
  port: "CASSANDRA_PORT",
  localDc: "CASSANDRA_LOCAL_DC",
  username: "CASSANDRA_USERNAME",
  password: "CASSANDRA_PASSWORD",
  protocolVersion: "CASSANDRA_PROTOCOL_VERSION",
  tls: "CASSANDRA_TLS",
  tlsCa: "CASSANDRA_TLS_CA",
  keyspace: "CASSANDRA_KEYSPACE",
  consistency: "CASSANDRA_CONSISTENCY",
  serialConsistency: "CASSANDRA_SERIAL_CONSISTENCY",
  fetchSize: "CASSANDRA_FETCH_SIZE",
  requestTimeout: "CASSANDRA_REQUEST_TIMEOUT"
} as const

/**
 * What the variables say; `undefined` where a variable is unset.
 *
 * @since 0.2.0
 * @category models
 */
export interface Settings {
  /** The entries of CASSANDRA_CONTACT_POINTS, trimmed; undefined when it is unset or blank. */
  readonly contactPoints: ReadonlyArray<string> | undefined
  /** CASSANDRA_PORT, default 9042. */
  readonly port: number
  readonly localDc: string | undefined
  readonly credentials: { readonly username: string; readonly password: string } | undefined
  readonly protocolVersion: 3 | 4 | 5 | undefined
  /** CASSANDRA_TLS, or a CA given. */
  readonly tls: boolean
  /** The CA certificate(s), PEM: read from the CASSANDRA_TLS_CA file, or given inline. */
  readonly caPem: string | undefined
  readonly keyspace: string | undefined
  readonly consistency: ConsistencyName | undefined
  readonly serialConsistency: "SERIAL" | "LOCAL_SERIAL" | undefined
  readonly fetchSize: number | undefined
  readonly requestTimeout: Duration.Duration | undefined
}

const trimmed = (s: string | undefined): string | undefined => {
  const t = s?.trim()
  return t === undefined || t === "" ? undefined : t
}

const booleans: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, yes: true, no: false, on: true, off: false }

class Invalid {
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

const integer = (name: string, text: string | undefined, min: number, max: number): number | undefined => {
  if (text === undefined) return undefined
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isInteger(n) || n < min || n > max) throw new Invalid(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`)
  return n
}

const readCa = (text: string | undefined, readFile: (path: string) => string): string | undefined => {
  if (text === undefined) return undefined
  if (text.startsWith("-----BEGIN")) return text
  try {
    return readFile(text)
  } catch (e) {
    throw new Invalid(`${Vars.tlsCa}: cannot read ${text}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

const timeout = (text: string | undefined): Duration.Duration | undefined => {
  if (text === undefined) return undefined
  const d = /^\d+$/.test(text) ? Option.some(Duration.millis(Number(text))) : Duration.fromInput(text as Duration.Input)
  if (Option.isNone(d)) throw new Invalid(`${Vars.requestTimeout} must be milliseconds or a duration ("5 seconds"), got ${JSON.stringify(text)}`)
  return d.value
}

const consistency = (name: string, text: string | undefined): ConsistencyName | undefined => {
  if (text === undefined) return undefined
  const upper = text.toUpperCase()
  if (!(upper in Consistency)) throw new Invalid(`${name} must be one of ${Object.keys(Consistency).join(", ")}, got ${JSON.stringify(text)}`)
  return upper as ConsistencyName
}

const settings = (env: Env, readFile: (path: string) => string): Settings => {
  const get = (name: string) => trimmed(env[name])
  const contactPoints = get(Vars.contactPoints)?.split(",").map((s) => s.trim()).filter((s) => s !== "")
  if (contactPoints !== undefined && contactPoints.length === 0) throw new Invalid(`${Vars.contactPoints} has no host`)
  const username = get(Vars.username)
  const password = env[Vars.password]
  if ((username === undefined) !== (password === undefined)) {
    throw new Invalid(`${Vars.username} and ${Vars.password} must be set together`)
  }
  const tlsText = get(Vars.tls)?.toLowerCase()
  const tlsFlag = tlsText === undefined ? undefined : booleans[tlsText]
  if (tlsText !== undefined && tlsFlag === undefined) throw new Invalid(`${Vars.tls} must be true or false, got ${JSON.stringify(tlsText)}`)
  const caPem = readCa(get(Vars.tlsCa), readFile)
  if (tlsFlag === false && caPem !== undefined) throw new Invalid(`${Vars.tls} is false but ${Vars.tlsCa} is set`)
  const serial = consistency(Vars.serialConsistency, get(Vars.serialConsistency))
  if (serial !== undefined && serial !== "SERIAL" && serial !== "LOCAL_SERIAL") {
    throw new Invalid(`${Vars.serialConsistency} must be SERIAL or LOCAL_SERIAL, got ${JSON.stringify(serial)}`)
  }
  const versionText = get(Vars.protocolVersion)
  const protocolVersion = versionText === undefined ? undefined : ({ "3": 3, "4": 4, "5": 5 } as const)[versionText as "3" | "4" | "5"]
  if (versionText !== undefined && protocolVersion === undefined) {
    throw new Invalid(`${Vars.protocolVersion} must be 3, 4 or 5, got ${JSON.stringify(versionText)}`)
  }
  return {
    contactPoints,
    port: integer(Vars.port, get(Vars.port), 1, 65535) ?? 9042,
    localDc: get(Vars.localDc),
    credentials: username !== undefined && password !== undefined ? { username, password } : undefined,
    protocolVersion,
    tls: caPem !== undefined || tlsFlag === true,
    caPem,
    keyspace: get(Vars.keyspace),
    consistency: consistency(Vars.consistency, get(Vars.consistency)),
    serialConsistency: serial,
    fetchSize: integer(Vars.fetchSize, get(Vars.fetchSize), 1, 2 ** 31 - 1),
    requestTimeout: timeout(get(Vars.requestTimeout))
  }
}

/**
 * Parses the variables; fails with a readable message naming the variable (a port out of range, half
 * the credentials, an unreadable CA file, an unknown consistency...). `readFile` reads the CA file.
 *
 * @since 0.2.0
 */
export const parse = (
  env: Env,
  readFile: (path: string) => string = (path) => fs.readFileSync(path, "utf8")
): Result.Result<Settings, string> => {
  try {
    return Result.succeed(settings(env, readFile))
  } catch (e) {
    if (e instanceof Invalid) return Result.fail(e.message)
    throw e
  }
}

const names = Object.values(Vars)

/**
 * The variables through the current `ConfigProvider` (the environment by default), parsed: a
 * `ConfigError` with `parse`'s message when one is malformed.
 *
 * @since 0.2.0
 * @category config
 */
export const config: Config.Config<Settings> = Config.all(
  Object.fromEntries(names.map((name) => [name, Config.option(Config.String(name))]))
).pipe(
  Config.mapEffect((values) => {
    const env: Record<string, string | undefined> = {}
    for (const name of names) env[name] = Option.getOrUndefined(values[name]!)
    const result = parse(env)
    return Result.isSuccess(result)
      ? Effect.succeed(result.success)
      : Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message: result.failure })))
  })
)
