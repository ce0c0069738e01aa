/**
 * CASSANDRA_* environment variables describing an existing cluster (pure parsing, by the driver's
 * `Environment`, the parser `Cluster.layerConfig` uses too). It does not contact
 * the cluster: `external` in LocalCassandra.ts does. The variables' names (`EnvVars`) and the
 * `ExternalCluster` they describe are defined in the public Env.ts.
 *
 * @internal
 */
import { Environment } from "@effect-cassandra/driver"
import * as Result from "effect/Result"
import * as fs from "node:fs"
import type { Env, ExternalCluster } from "../Env.ts"
import { LOCAL_DATACENTER } from "./layout.ts"

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
 * Throws an Error with a readable message for malformed values. The variables are parsed by the driver's
 * `Environment.parse`, the one parser of CASSANDRA_* (`CASSANDRA_TLS` true/false, `CASSANDRA_TLS_CA` a file or inline PEM).
 *
 * @since 0.1.0
 */
export const parseEnv = (env: Env, readFile: (p: string) => string = (p) => fs.readFileSync(p, "utf8")): ExternalCluster | undefined => {
  const result = Environment.parse(env, readFile)
  if (Result.isFailure(result)) throw new Error(result.failure)
  const settings = result.success
  if (settings.contactPoints === undefined) return undefined
  const entries = settings.contactPoints.map((e) => splitHostPort(e, settings.port))
  return {
    hosts: entries.map((e) => e.host),
    contactPoints: entries.map((e) => (e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`)),
    port: entries[0]?.port ?? settings.port,
    localDatacenter: settings.localDc ?? LOCAL_DATACENTER,
    credentials: settings.credentials,
    tls: settings.tls,
    caCertPem: settings.caPem
  }
}
