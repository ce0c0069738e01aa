/**
 * Schema export as CQL against a real Cassandra 5.0 node: the driver's `exportKeyspace` gives the
 * statements the server's own `DESCRIBE KEYSPACE` gives (once whitespace is normalised), for a keyspace
 * with user types (one nesting another), tables (clustering order, static and quoted columns, a
 * composite partition key, options), secondary and SAI indexes, a function, an aggregate and a
 * materialized view.
 */
import { Cluster, Session } from "@effect-cassandra/driver"
import { testCluster } from "@effect-cassandra/local/vitest"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const info = testCluster()
const live = Session.layer().pipe(
  Layer.provideMerge(Cluster.layer({ contactPoints: info.contactPoints, localDc: info.localDatacenter }))
)

const ks = "it_export"
const ddl = [
  `DROP KEYSPACE IF EXISTS ${ks}`,
  `CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  `CREATE TYPE ${ks}.address (street text, zip int)`,
  `CREATE TYPE ${ks}.person (name text, home frozen<address>)`,
  `CREATE TABLE ${ks}.events (k int, c text, s int static, v text, tags set<text>, who frozen<person>, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC) AND comment = 'it''s' AND default_time_to_live = 60 AND gc_grace_seconds = 3600`,
  `CREATE TABLE ${ks}.simple (id uuid PRIMARY KEY, "Name" text, m map<text, int>)`,
  `CREATE TABLE ${ks}.composite (a int, b int, c int, d int, PRIMARY KEY ((a, b), c))`,
  `CREATE INDEX events_v ON ${ks}.events (v)`,
  `CREATE INDEX simple_m ON ${ks}.simple (keys(m))`,
  `CREATE CUSTOM INDEX simple_name ON ${ks}.simple ("Name") USING 'StorageAttachedIndex'`,
  `CREATE FUNCTION ${ks}.plus(a int, b int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS 'return a + b;'`,
  `CREATE AGGREGATE ${ks}.total(int) SFUNC plus STYPE int INITCOND 0`,
  `CREATE MATERIALIZED VIEW ${ks}.by_d AS SELECT a, b, c, d FROM ${ks}.composite WHERE a IS NOT NULL AND b IS NOT NULL AND c IS NOT NULL AND d IS NOT NULL PRIMARY KEY (d, a, b, c)`
]

const normalise = (statement: string) => statement.replace(/\s+/g, " ").trim()

layer(live, { excludeTestServices: true, timeout: "120 seconds" })("schema export", (it) => {
  it.effect("exportKeyspace gives the statements of DESCRIBE KEYSPACE", () =>
    Effect.gen(function*() {
      for (const statement of ddl) yield* Session.execute(statement)
      const cluster = yield* Cluster.Cluster
      yield* cluster.metadata.refreshKeyspace(ks)
      const exported = cluster.metadata.exportKeyspace(ks)
      expect(exported).toBeDefined()
      const ours = exported!.split(/;\n\n/).map((s) => normalise(s.endsWith(";") ? s : `${s};`))
      const described = yield* Session.execute(`DESCRIBE KEYSPACE ${ks}`)
      const theirs = described.rows.map((r) => normalise(String(r["create_statement"])))
      expect([...ours].sort()).toEqual([...theirs].sort())
      // and the same order as the server's
      expect(ours.map((s) => s.split(" ").slice(0, 3).join(" "))).toEqual(theirs.map((s) => s.split(" ").slice(0, 3).join(" ")))
      yield* Session.execute(`DROP KEYSPACE ${ks}`)
    }))
})
