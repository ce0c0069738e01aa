/**
 * Finding java and keytool; generating the TLS keystore. It does not start the nodes' JVMs
 * (`cluster.ts` does).
 *
 * @internal
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import { ControlError, JavaNotFoundError } from "../Errors.ts"
import type { Env } from "../Env.ts"
import { KEYSTORE_PASSWORD, parseJavaMajor } from "./layout.ts"
import { run } from "./jars.ts"

/**
 * A usable Java: the `java` and `keytool` commands and the major version.
 *
 * @since 0.1.0
 */
export interface Java {
  readonly java: string
  readonly keytool: string
  readonly major: number
}

/**
 * Where to look for java, in order: EFFECT_CASSANDRA_JAVA, JAVA_HOME, PATH, then the JDKs under /usr/lib/jvm.
 *
 * @since 0.1.0
 */
export const javaCandidates = (env: Env, jvmDirs: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  if (env.EFFECT_CASSANDRA_JAVA) out.push(env.EFFECT_CASSANDRA_JAVA)
  if (env.JAVA_HOME) out.push(path.join(env.JAVA_HOME, "bin", "java"))
  out.push("java")
  // Prefer 17, then 11 (Cassandra 5.0 runs on those two only).
  const rank = (d: string) => (/(^|[^0-9])17([^0-9]|$)/.test(d) ? 0 : /(^|[^0-9])11([^0-9]|$)/.test(d) ? 1 : 2)
  for (const d of [...jvmDirs].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
    if (rank(d) < 2) out.push(path.join("/usr/lib/jvm", d, "bin", "java"))
  }
  return [...new Set(out)]
}

const listJvms = (): Array<string> => {
  try {
    return fs.readdirSync("/usr/lib/jvm")
  } catch {
    return []
  }
}

/**
 * Finds a Java 11 or 17 (which Cassandra 5.0 supports); see {@link javaCandidates}.
 *
 * @since 0.1.0
 */
export const findJava = (env: Env = process.env): Effect.Effect<Java, JavaNotFoundError> =>
  Effect.gen(function*() {
    const tried: Array<string> = []
    for (const java of javaCandidates(env, listJvms())) {
      const result = yield* run(java, ["-version"]).pipe(Effect.option)
      if (result._tag === "None" || result.value.code !== 0) {
        tried.push(`${java}: not runnable`)
        continue
      }
      const major = parseJavaMajor(result.value.output)
      if (major !== 11 && major !== 17) {
        tried.push(`${java}: Java ${major ?? "?"}`)
        continue
      }
      const keytool = java.includes("/") ? path.join(path.dirname(java), "keytool") : "keytool"
      return { java, keytool, major }
    }
    return yield* new JavaNotFoundError({
      message: `no Java 11 or 17 found (Cassandra 5.0 runs on those only); tried ${tried.join("; ")}. ` +
        "Install Java 17 or set JAVA_HOME / EFFECT_CASSANDRA_JAVA, or set CASSANDRA_CONTACT_POINTS to use an existing cluster."
    })
  })

/**
 * Generates a self-signed EC key pair in a PKCS12 keystore with IP SANs for every node address and exports
 * its certificate as PEM: the client trusts that certificate as its CA. Returns the PEM text.
 *
 * @since 0.1.0
 */
export const generateKeystore = (keytool: string, keystore: string, caFile: string, addresses: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    fs.mkdirSync(path.dirname(keystore), { recursive: true })
    fs.rmSync(keystore, { force: true })
    fs.rmSync(caFile, { force: true })
    const san = ["dns:localhost", ...addresses.map((a) => `ip:${a}`)].join(",")
    const gen = yield* run(keytool, [
      "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1",
      "-dname", `CN=${addresses[0] ?? "127.0.0.1"}, OU=effect-cassandra-local`, "-ext", `SAN=${san}`,
      "-validity", "3650", "-keystore", keystore, "-storetype", "PKCS12",
      "-storepass", KEYSTORE_PASSWORD, "-keypass", KEYSTORE_PASSWORD
    ]).pipe(Effect.mapError((e) => new ControlError({ message: `cannot run ${keytool}: ${e.message}` })))
    if (gen.code !== 0) return yield* new ControlError({ message: `keytool -genkeypair failed: ${gen.output.trim()}` })
    const exp = yield* run(keytool, [
      "-exportcert", "-rfc", "-alias", "node", "-keystore", keystore, "-storetype", "PKCS12",
      "-storepass", KEYSTORE_PASSWORD, "-file", caFile
    ]).pipe(Effect.mapError((e) => new ControlError({ message: `cannot run ${keytool}: ${e.message}` })))
    if (exp.code !== 0) return yield* new ControlError({ message: `keytool -exportcert failed: ${exp.output.trim()}` })
    return fs.readFileSync(caFile, "utf8")
  })
