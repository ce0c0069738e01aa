// Authentication and TLS. Start a node that needs both:
//
//   npx cassandra-local start --name secure --auth --tls --first-address 40
//   eval "$(npx cassandra-local env --name secure)"   # contact point, credentials, CA file
//   node --conditions=source examples/auth-and-tls.ts
//
// `Cluster.layerConfig()` alone would read the same variables; this shows the options themselves, with a
// custom AuthProvider (the SASL exchange of PasswordAuthenticator written out) and hostname verification.
import { NodeRuntime } from "@effect/platform-node"
import { Auth, Cluster, Session } from "@effect-cassandra/driver"
import { Config, Console, Effect, Layer, Option, Redacted } from "effect"
import { readFile } from "node:fs/promises"

/** An AuthProvider drives the challenge loop; this one answers PasswordAuthenticator like Auth.plainText. */
const passwordProvider = (username: string, password: Redacted.Redacted<string>): Auth.AuthProvider => ({
  newAuthenticator: (host, authenticatorClass) => ({
    initialResponse: Effect.sync(() => new TextEncoder().encode(`\0${username}\0${Redacted.value(password)}`)),
    evaluateChallenge: () => Effect.succeed(null),
    onSuccess: () => Console.log(`authenticated to ${host} (${authenticatorClass.split(".").pop()})`)
  })
})

/** Where the node is, from the environment that `cassandra-local env` prints. */
const settings = Effect.gen(function*() {
  const contactPoints = yield* Config.String("CASSANDRA_CONTACT_POINTS").pipe(Config.withDefault("127.0.0.1"))
  const username = yield* Config.String("CASSANDRA_USERNAME").pipe(Config.withDefault("cassandra"))
  const password = yield* Config.Redacted("CASSANDRA_PASSWORD").pipe(Config.withDefault(Redacted.make("cassandra")))
  const caFile = yield* Config.option(Config.String("CASSANDRA_TLS_CA"))
  const ca = Option.isSome(caFile) ? yield* Effect.promise(() => readFile(caFile.value, "utf8")) : undefined
  return { contactPoints: contactPoints.split(","), username, password, ca }
})

const clusterOptions = (s: Effect.Success<typeof settings>, auth: Auth.AuthProvider): Cluster.ClusterOptions => ({
  contactPoints: s.contactPoints,
  auth,
  // TLS with the node's CA; the server's certificate must name the address we connect to
  ...(s.ca !== undefined ? { tls: { ca: s.ca } } : {})
})

const ClusterLive = Layer.unwrap(Effect.map(settings, (s) => Cluster.layer(clusterOptions(s, passwordProvider(s.username, s.password)))))

const program = Effect.gen(function*() {
  const rs = yield* Session.execute("SELECT release_version FROM system.local")
  yield* Console.log(`connected as an authenticated user: Cassandra ${rs.rows[0]?.["release_version"]}`)
  // the same cluster with a wrong password: the layer fails with a typed error
  const s = yield* settings
  const wrong = yield* Effect.flip(Effect.scoped(Layer.build(Cluster.layer(clusterOptions(s, Auth.plainText(s.username, "wrong password"))))))
  yield* Console.log(`a wrong password fails with: ${wrong._tag}`)
})

program.pipe(Effect.provide(Session.layer().pipe(Layer.provideMerge(ClusterLive))), NodeRuntime.runMain)
