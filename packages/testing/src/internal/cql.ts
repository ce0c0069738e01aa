/**
 * Just enough CQL text analysis for a mock host: the statement kind, the table a statement targets,
 * its bind markers (and the column each one binds), the SELECT projection, and the schema change a
 * DDL statement makes. Heuristic by design: it reads the shapes drivers and applications send, it is
 * not a CQL parser.
 *
 * @internal
 */
import type { SchemaChange } from "@effect-cassandra/protocol/Messages"

/**
 * Collapses runs of whitespace, trims, and drops a trailing `;`. Primes and queries compare in this form.
 *
 * @since 0.1.0
 */
export const normalizeQuery = (query: string): string => {
  let q = query.replace(/\s+/g, " ").trim()
  while (q.endsWith(";")) q = q.slice(0, -1).trimEnd()
  return q
}

const normalized = new Map<string, string>()

/**
 * `normalizeQuery`, memoised (the same texts arrive again and again).
 *
 * @since 0.1.0
 */
export const normalizeCached = (query: string): string => {
  let n = normalized.get(query)
  if (n === undefined) {
    if (normalized.size > 4096) normalized.clear()
    n = normalizeQuery(query)
    normalized.set(query, n)
  }
  return n
}

/**
 * The kind of a statement, from its first keyword.
 *
 * @since 0.1.0
 */
export type StatementKind =
  | "select"
  | "insert"
  | "update"
  | "delete"
  | "batch"
  | "use"
  | "create"
  | "alter"
  | "drop"
  | "truncate"
  | "other"

const KINDS = new Set(["select", "insert", "update", "delete", "batch", "use", "create", "alter", "drop", "truncate"])

/**
 * The kind of a statement (`other` for anything unknown), skipping leading comments.
 *
 * @since 0.1.0
 */
export const statementKind = (query: string): StatementKind => {
  const m = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/.exec(query)
  const word = m?.[1]?.toLowerCase() ?? ""
  return KINDS.has(word) ? (word as StatementKind) : "other"
}

/**
 * Unquotes an identifier: `"MyTable"` keeps its case, anything else is lower-cased (as in CQL).
 *
 * @since 0.1.0
 */
export const unquoteIdentifier = (id: string): string =>
  id.startsWith("\"") && id.endsWith("\"") ? id.slice(1, -1).replace(/""/g, "\"") : id.toLowerCase()

const IDENT = `(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)`
const QUALIFIED = `(${IDENT})(?:\\s*\\.\\s*(${IDENT}))?`

/**
 * A table a statement names, with its keyspace when qualified.
 *
 * @since 0.1.0
 */
export interface TableRef {
  readonly keyspace: string | undefined
  readonly table: string
}

const qualified = (a: string, b: string | undefined): TableRef =>
  b === undefined ? { keyspace: undefined, table: unquoteIdentifier(a) } : { keyspace: unquoteIdentifier(a), table: unquoteIdentifier(b) }

/**
 * The table a SELECT/INSERT/UPDATE/DELETE targets.
 *
 * @since 0.1.0
 */
export const tableOf = (query: string): TableRef | undefined => {
  const q = stripLiterals(query)
  const patterns = [
    new RegExp(`^\\s*SELECT\\s[\\s\\S]*?\\sFROM\\s+${QUALIFIED}`, "i"),
    new RegExp(`^\\s*INSERT\\s+INTO\\s+${QUALIFIED}`, "i"),
    new RegExp(`^\\s*UPDATE\\s+${QUALIFIED}`, "i"),
    new RegExp(`^\\s*DELETE\\s[\\s\\S]*?FROM\\s+${QUALIFIED}`, "i"),
    new RegExp(`^\\s*DELETE\\s+FROM\\s+${QUALIFIED}`, "i")
  ]
  for (const re of patterns) {
    const m = re.exec(q)
    if (m !== null) return qualified(m[1]!, m[2])
  }
  return undefined
}

/**
 * Replaces string literals, quoted-string constants and comments with spaces (same length).
 *
 * @since 0.1.0
 */
export const stripLiterals = (query: string): string => {
  let out = ""
  let i = 0
  const n = query.length
  while (i < n) {
    const c = query[i]!
    if (c === "'") {
      let j = i + 1
      while (j < n) {
        if (query[j] === "'" && query[j + 1] === "'") j += 2
        else if (query[j] === "'") break
        else j++
      }
      out += "'" + " ".repeat(Math.max(0, Math.min(j, n) - i - 1)) + (j < n ? "'" : "")
      i = j + 1
    } else if (c === "$" && query[i + 1] === "$") {
      const end = query.indexOf("$$", i + 2)
      const j = end < 0 ? n : end + 2
      out += " ".repeat(j - i)
      i = j
    } else if (c === "-" && query[i + 1] === "-") {
      const end = query.indexOf("\n", i)
      const j = end < 0 ? n : end
      out += " ".repeat(j - i)
      i = j
    } else if (c === "/" && query[i + 1] === "*") {
      const end = query.indexOf("*/", i + 2)
      const j = end < 0 ? n : end + 2
      out += " ".repeat(j - i)
      i = j
    } else {
      out += c
      i++
    }
  }
  return out
}

/**
 * One bind marker: its name (`:name`, or the column it binds, or a generated one) and a hint of its type.
 *
 * @since 0.1.0
 */
export interface Marker {
  readonly name: string
  /** The column it binds, when the statement shows it. */
  readonly column: string | undefined
  /** A type implied by the position: `LIMIT ?`/`USING TTL ?` are ints, `USING TIMESTAMP ?` a bigint. */
  readonly impliedType: "int" | "bigint" | undefined
  /** `col IN ?`: the marker binds a list of the column's type. */
  readonly inList: boolean
}

/**
 * The bind markers of a statement, in order, with the column each binds when the text shows it.
 *
 * @since 0.1.0
 */
export const markers = (query: string): ReadonlyArray<Marker> => {
  const q = stripLiterals(query)
  // INSERT INTO t (a, b, c) VALUES (?, ?, :x)
  const insert = new RegExp(`^\\s*INSERT\\s+INTO\\s+${QUALIFIED}\\s*\\(([^)]*)\\)\\s*VALUES\\s*\\(`, "i").exec(q)
  const insertColumns = insert === null ? [] : insert[3]!.split(",").map((s) => unquoteIdentifier(s.trim()))
  const valuesStart = insert === null ? -1 : insert.index + insert[0].length
  const out: Array<Marker> = []
  const re = /\?|:([A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")+")/g
  let m: RegExpExecArray | null
  let anonymous = 0
  while ((m = re.exec(q)) !== null) {
    const at = m.index
    // `::` or an identifier character before ':' is not a marker (e.g. a time literal was stripped already)
    if (m[0] !== "?" && at > 0 && /[A-Za-z0-9_:]/.test(q[at - 1]!)) continue
    const explicit = m[1] === undefined ? undefined : unquoteIdentifier(m[1])
    let column: string | undefined
    let impliedType: "int" | "bigint" | undefined
    let inList = false
    const before = q.slice(0, at)
    if (insert !== null && at >= valuesStart) {
      const position = countTopLevelCommas(q.slice(valuesStart, at))
      if (position !== undefined) column = insertColumns[position]
    }
    if (column === undefined) {
      const usingTtl = /\b(?:USING|AND)\s+TTL\s*$/i.test(before)
      const usingTs = /\b(?:USING|AND)\s+TIMESTAMP\s*$/i.test(before)
      if (/\b(?:PER\s+PARTITION\s+)?LIMIT\s*$/i.test(before)) impliedType = "int"
      else if (usingTtl) impliedType = "int"
      else if (usingTs) impliedType = "bigint"
      else {
        // every marker of `col IN (?, ?, ...)` is a value of the column, not only the first
        const inParens = new RegExp(`(${IDENT})\\s+IN\\s*\\(((?:\\s*(?:\\?|:${IDENT})\\s*,)*)\\s*$`, "i").exec(before)
        const cmp = inParens === null
          ? new RegExp(`(${IDENT})\\s*(=|<=|>=|<|>|!=|\\bIN\\b|\\bCONTAINS(?:\\s+KEY)?\\b|\\+|-)\\s*(?:\\(\\s*)?$`, "i").exec(before)
          : null
        if (inParens !== null) column = unquoteIdentifier(inParens[1]!)
        else if (cmp !== null) {
          column = unquoteIdentifier(cmp[1]!)
          inList = /^IN$/i.test(cmp[2]!) && !/\(\s*$/.test(before)
        } else {
          // `col = col + ?` / `col[?] = ...` and tuples `(a, b) = (?, ?)` are left unnamed
        }
      }
    }
    const name = explicit ?? column ?? (impliedType === undefined ? `v${anonymous}` : `[${impliedType === "bigint" ? "timestamp" : /TTL\s*$/i.test(before) ? "ttl" : "limit"}]`)
    if (explicit === undefined && column === undefined) anonymous++
    out.push({ name, column: column ?? explicit, impliedType, inList })
  }
  return out
}

/** The index of the value list element that ends at the end of `s` (commas outside brackets), or undefined. */
const countTopLevelCommas = (s: string): number | undefined => {
  let depth = 0
  let count = 0
  for (const c of s) {
    if (c === "(" || c === "[" || c === "{") depth++
    else if (c === ")" || c === "]" || c === "}") {
      depth--
      if (depth < 0) return undefined
    } else if (c === "," && depth === 0) count++
  }
  return depth === 0 ? count : undefined
}

/**
 * The selected column names of a SELECT (`undefined` for `*` or anything but plain column names).
 *
 * @since 0.1.0
 */
export const projection = (query: string): ReadonlyArray<string> | undefined => {
  const m = /^\s*SELECT\s+(?:JSON\s+)?(?:DISTINCT\s+)?([\s\S]*?)\s+FROM\s/i.exec(stripLiterals(query))
  if (m === null) return undefined
  const list = m[1]!.trim()
  if (list === "*") return undefined
  const names: Array<string> = []
  for (const part of list.split(",")) {
    const p = part.trim()
    const alias = new RegExp(`^(${IDENT})(?:\\s+AS\\s+(${IDENT}))?$`, "i").exec(p)
    if (alias === null) return undefined
    names.push(unquoteIdentifier(alias[2] ?? alias[1]!))
  }
  return names
}

/**
 * The keyspace of a `USE ks` statement.
 *
 * @since 0.1.0
 */
export const useKeyspace = (query: string): string | undefined => {
  const m = new RegExp(`^\\s*USE\\s+(${IDENT})\\s*;?\\s*$`, "i").exec(query)
  return m === null ? undefined : unquoteIdentifier(m[1]!)
}

/**
 * The schema change a DDL statement makes (what Cassandra answers it with), or undefined.
 *
 * @since 0.1.0
 */
export const schemaChangeOf = (query: string, keyspace: string | undefined): SchemaChange | undefined => {
  const q = stripLiterals(query)
  const verb = /^\s*(CREATE|ALTER|DROP)\s+/i.exec(q)
  if (verb === null) return undefined
  const rest = q.slice(verb[0].length).replace(/^OR\s+REPLACE\s+/i, "")
  const changeType = verb[1]!.toUpperCase() === "CREATE" ? "CREATED" : verb[1]!.toUpperCase() === "ALTER" ? "UPDATED" : "DROPPED"
  const target = new RegExp(
    `^(KEYSPACE|SCHEMA|TABLE|COLUMNFAMILY|TYPE|FUNCTION|AGGREGATE|MATERIALIZED\\s+VIEW|(?:CUSTOM\\s+)?INDEX)\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?(?:${QUALIFIED})?`,
    "i"
  ).exec(rest)
  if (target === null) return undefined
  const what = target[1]!.toUpperCase().replace(/\s+/g, " ")
  if (what === "KEYSPACE" || what === "SCHEMA") {
    return target[2] === undefined ? undefined : { changeType, target: "KEYSPACE", keyspace: unquoteIdentifier(target[2]) }
  }
  if (what.endsWith("INDEX")) {
    // an index changes its table
    const on = new RegExp(`\\sON\\s+${QUALIFIED}`, "i").exec(rest)
    if (on === null) return undefined
    const t = qualified(on[1]!, on[2])
    return { changeType: "UPDATED", target: "TABLE", keyspace: t.keyspace ?? keyspace ?? "", name: t.table }
  }
  if (target[2] === undefined) return undefined
  const ref = qualified(target[2], target[3])
  const ks = ref.keyspace ?? keyspace ?? ""
  switch (what) {
    case "TABLE":
    case "COLUMNFAMILY":
    case "MATERIALIZED VIEW":
      return { changeType, target: "TABLE", keyspace: ks, name: ref.table }
    case "TYPE":
      return { changeType, target: "TYPE", keyspace: ks, name: ref.table }
    case "FUNCTION":
    case "AGGREGATE": {
      const args = /^\s*\(([^)]*)\)/.exec(rest.slice(target[0].length))
      const argTypes = args === null || args[1]!.trim() === ""
        ? []
        : args[1]!.split(",").map((a) => {
          const parts = a.trim().split(/\s+/)
          // FUNCTION args are `name type`, AGGREGATE args just `type`
          return (what === "FUNCTION" && parts.length > 1 ? parts.slice(1).join(" ") : parts.join(" ")).toLowerCase()
        })
      return { changeType, target: what, keyspace: ks, name: ref.table, argTypes }
    }
  }
  return undefined
}
