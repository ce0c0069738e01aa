// Finding java and keytool; generating the TLS keystore.
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { ControlError, JavaNotFoundError } from "../Errors.ts"
import { type Env, KEYSTORE_PASSWORD, parseJavaMajor } from "./layout.ts"
import { run } from "./jars.ts"

export interface Java {
  readonly java: string
  readonly keytool: string
  readonly major: number
}

const binOf = (env: Env, tool: string): string => {
  const home = env.JAVA_HOME
  if (home !== undefined && home !== "") {
    const p = path.join(home, "bin", tool)
    if (fs.existsSync(p)) return p
  }
  return tool
}

/** Finds `java` (JAVA_HOME first, then PATH) and checks it is Java 11 or 17, which Cassandra 5.0 supports. */
export const findJava = (env: Env = process.env): Effect.Effect<Java, JavaNotFoundError> =>
  Effect.gen(function*() {
    const java = binOf(env, "java")
    const result = yield* run(java, ["-version"]).pipe(
      Effect.mapError(() =>
        new JavaNotFoundError({ message: `cannot run ${java}: install Java 17 (or set JAVA_HOME), or set CASSANDRA_CONTACT_POINTS to use an existing cluster` })
      )
    )
    const major = parseJavaMajor(result.output)
    if (result.code !== 0 || major === undefined) {
      return yield* new JavaNotFoundError({ message: `${java} -version failed: ${result.output.trim().slice(0, 400)}` })
    }
    if (major !== 11 && major !== 17) {
      return yield* new JavaNotFoundError({ message: `Cassandra 5.0 runs on Java 11 or 17; ${java} is Java ${major}. Set JAVA_HOME to a Java 17.` })
    }
    return { java, keytool: binOf(env, "keytool"), major }
  })

/**
 * Generates a self-signed EC key pair in a PKCS12 keystore with IP SANs for every node address and exports
 * its certificate as PEM: the client trusts that certificate as its CA. Returns the PEM text.
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
