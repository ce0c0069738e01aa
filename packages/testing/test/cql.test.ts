/** The mock's CQL text heuristics: markers, projections, schema changes, tables. */
import { describe, expect, it } from "@effect/vitest"
import { markers, normalizeQuery, projection, schemaChangeOf, statementKind, tableOf, useKeyspace } from "../src/internal/cql.ts"

describe("cql helpers", () => {
  it("normalizes whitespace and a trailing semicolon", () => {
    expect(normalizeQuery("  SELECT *\n\tFROM t ;; ")).toBe("SELECT * FROM t")
  })

  it("names bind markers after the columns they bind", () => {
    const names = (q: string) => markers(q).map((m) => `${m.name}${m.inList ? "[]" : ""}`)
    expect(names("INSERT INTO ks.t (a, \"B\", c) VALUES (?, ?, :x) USING TTL ? AND TIMESTAMP ?")).toEqual([
      "a",
      "B",
      "x",
      "[ttl]",
      "[timestamp]"
    ])
    expect(names("SELECT * FROM t WHERE a = ? AND b >= ? AND c IN ? AND d CONTAINS ? LIMIT ?")).toEqual([
      "a",
      "b",
      "c[]",
      "d",
      "[limit]"
    ])
    expect(names("UPDATE t SET v = ?, w = w + ? WHERE k = ? IF x = 'a?b'")).toEqual(["v", "w", "k"])
    expect(names("SELECT * FROM t WHERE (a, b) = (?, ?)")).toEqual(["v0", "v1"])
    expect(names("SELECT * FROM t WHERE a = :a AND b = 'x:y'")).toEqual(["a"])
    // every marker of an IN list binds the column (what effect/sql's sql.in renders), a later `?` is unaffected
    expect(names("SELECT * FROM t WHERE k IN (?, ?, ?) AND c = ?")).toEqual(["k", "k", "k", "c"])
    expect(names("SELECT * FROM \"t\" WHERE \"k\" IN (?,?) LIMIT ?")).toEqual(["k", "k", "[limit]"])
    expect(names("SELECT * FROM t WHERE k IN (:a, ?)")).toEqual(["a", "k"])
  })

  it("reads projections, tables, keyspaces and statement kinds", () => {
    expect(projection("SELECT a, \"B\" AS c FROM t")).toEqual(["a", "c"])
    expect(projection("SELECT * FROM t")).toBeUndefined()
    expect(projection("SELECT count(*) FROM t")).toBeUndefined()
    expect(tableOf("SELECT x FROM \"Ks\".tbl WHERE a = 1")).toEqual({ keyspace: "Ks", table: "tbl" })
    expect(tableOf("DELETE a FROM t WHERE k = 1")).toEqual({ keyspace: undefined, table: "t" })
    expect(tableOf("UPDATE ks.t SET a = 1")).toEqual({ keyspace: "ks", table: "t" })
    expect(useKeyspace("USE \"MyKs\";")).toBe("MyKs")
    expect(statementKind("/* c */ insert into t (a) values (1)")).toBe("insert")
    expect(statementKind("GRANT SELECT ON t TO r")).toBe("other")
  })

  it("derives the schema change of DDL statements", () => {
    expect(schemaChangeOf("CREATE KEYSPACE IF NOT EXISTS app WITH replication = {}", undefined)).toEqual({
      changeType: "CREATED",
      target: "KEYSPACE",
      keyspace: "app"
    })
    expect(schemaChangeOf("create table t (id int primary key)", "ks")).toEqual({
      changeType: "CREATED",
      target: "TABLE",
      keyspace: "ks",
      name: "t"
    })
    expect(schemaChangeOf("ALTER TABLE app.t ADD x int", undefined)).toMatchObject({ changeType: "UPDATED", name: "t" })
    expect(schemaChangeOf("DROP TYPE IF EXISTS app.addr", undefined)).toMatchObject({ changeType: "DROPPED", target: "TYPE" })
    expect(schemaChangeOf("CREATE INDEX ON app.t (x)", undefined)).toMatchObject({ changeType: "UPDATED", target: "TABLE", name: "t" })
    expect(schemaChangeOf("CREATE OR REPLACE FUNCTION app.f (a int, b text) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS 'return a;'", undefined))
      .toEqual({ changeType: "CREATED", target: "FUNCTION", keyspace: "app", name: "f", argTypes: ["int", "text"] })
    expect(schemaChangeOf("INSERT INTO t (a) VALUES (1)", undefined)).toBeUndefined()
  })
})
