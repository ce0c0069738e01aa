/**
 * CASSANDRA_* environment variables describing an existing cluster (pure parsing). It does not contact
 * the cluster: `external` in LocalCassandra.ts does. The variables' names (`EnvVars`) and the
 * `ExternalCluster` they describe are defined in the public Env.ts.
 *
 * @internal
 */
import * as fs from "node:fs"
import { type Env, EnvVars, type ExternalCluster } from "../Env.ts"
import { DEFAULT_NATIVE_PORT, LOCAL_DATACENTER } from "./layout.ts"

const trimmed = (s: string | undefined): string | undefined => {
  const t = s?.trim()
  return t === undefined || t === "" ? undefined : t
}

/**
 * Splits `host`, `host:port` or `[v6]:port`.
 *
 * @since 0.1.0
 */
export const splitHostPort = (entry: string, defaultPort: number): { host: string; port: number } => {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
  if (v6 !== null) return { host: v6[1] as string, port: v6[2] === undefined ? defaultPort : Number(v6[2]) }
  const parts = entry.split(":")
  if (parts.length === 2 && /^\d+$/.test(parts[1] as string)) return { host: parts[0] as string, port: Number(parts[1]) }
  return { host: entry, port: defaultPort }
}

/**
 * Reads an existing cluster's description from the environment; undefined when CASSANDRA_CONTACT_POINTS is unset.
 * Throws an Error with a readable message for malformed values.
 *
 * @since 0.1.0
 */
export const parseEnv = (env: Env, readFile: (p: string) => string = (p) => fs.readFileSync(p, "utf8")): ExternalCluster | undefined => {
  const raw = trimmed(env[EnvVars.contactPoints])
  if (raw === undefined) return undefined
  const portText = trimmed(env[EnvVars.port])
  const port = portText === undefined ? DEFAULT_NATIVE_PORT : Number(portText)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${EnvVars.port} must be a TCP port, got ${JSON.stringify(portText)}`)
  const entries = raw.split(",").map((s) => s.trim()).filter((s) => s !== "").map((e) => splitHostPort(e, port))
  if (entries.length === 0) throw new Error(`${EnvVars.contactPoints} has no host`)
  const username = trimmed(env[EnvVars.username])
  const password = env[EnvVars.password]
  if ((username === undefined) !== (password === undefined)) {
    throw new Error(`set both ${EnvVars.username} and ${EnvVars.password}, or neither`)
  }
  const caText = trimmed(env[EnvVars.tlsCa])
  let caCertPem: string | undefined
  if (caText !== undefined) {
    try {
      caCertPem = caText.startsWith("-----BEGIN") ? caText : readFile(caText)
    } catch (e) {
      throw new Error(`${EnvVars.tlsCa}: cannot read ${caText}: ${(e as Error).message}`)
    }
  }
  const tlsFlag = trimmed(env[EnvVars.tls])?.toLowerCase()
  return {
    hosts: entries.map((e) => e.host),
    contactPoints: entries.map((e) => (e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`)),
    port: entries[0]?.port ?? port,
    localDatacenter: trimmed(env[EnvVars.localDatacenter]) ?? LOCAL_DATACENTER,
    credentials: username !== undefined && password !== undefined ? { username, password } : undefined,
    tls: caCertPem !== undefined || tlsFlag === "1" || tlsFlag === "true",
    caCertPem
  }
}
