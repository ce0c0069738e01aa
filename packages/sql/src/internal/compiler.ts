/**
 * The CQL compiler of effect/sql statements: `?` markers, double-quoted identifiers (`"ks"."t"`), `sql.in`
 * as `(?, ?)` (an empty list as `()`, which CQL accepts and matches nothing), `sql.insert` of one row and
 * `sql.update` of one record. What CQL cannot express (RETURNING, multi-row VALUES, `sql.updateValues`)
 * compiles to a marker the connection turns into a typed `SqlError` before anything is sent.
 *
 * It does not execute (internal/connection.ts does).
 *
 * @since 0.2.0
 * @internal
 */
import { Statement } from "effect/sql"
import type { Feature } from "../SqlErrors.ts"

/** The first character of a compiled statement that is not CQL: the feature follows. */
const MARKER = "\u0000unsupported:"

/**
 * The statement that stands for a feature CQL does not have (e.g. the client's BEGIN).
 *
 * @since 0.2.0
 */
export const unsupportedStatement = (feature: Feature): string => MARKER + feature

/**
 * The unsupported feature a compiled statement stands for, or undefined for CQL.
 *
 * @since 0.2.0
 */
export const unsupportedFeature = (sql: string): Feature | undefined =>
  sql.charCodeAt(0) === 0 && sql.startsWith(MARKER) ? (sql.slice(MARKER.length) as Feature) : undefined

const escape = Statement.defaultEscape("\"")

/** Why a statement cannot be CQL, or "empty" when it only has an empty `sql.in` to rewrite. */
/** Set by `.returning(...)` (internal to effect/sql's types, so read through this). */
const returns = (segment: Statement.Segment): boolean =>
  (segment as { readonly returningIdentifier?: unknown }).returningIdentifier !== undefined

const inspect = (segments: ReadonlyArray<Statement.Segment>): Feature | "empty" | undefined => {
  let result: "empty" | undefined
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    switch (segment._tag) {
      case "RecordInsertHelper":
        if (returns(segment)) return "returning"
        if (segment.value.length > 1) return "multiRowInsert"
        break
      case "RecordUpdateHelperSingle":
        if (returns(segment)) return "returning"
        break
      case "RecordUpdateHelper":
        return "updateValues"
      case "ArrayHelper":
        if (segment.value.length === 0) result = "empty"
        break
    }
  }
  return result
}

const emptyList = Statement.literal("()")

/**
 * A CQL compiler, with effect/sql's name transforms when given (`transform` for identifiers).
 *
 * @since 0.2.0
 */
export const makeCompiler = (transform?: ((name: string) => string) | undefined): Statement.Compiler => {
  const base = Statement.makeCompiler({
    // the dialect effect/sql's helpers follow: `?` markers and double quotes, like CQL
    dialect: "sqlite",
    placeholder: () => "?",
    onIdentifier: transform === undefined
      ? escape
      : (value, withoutTransform) => (withoutTransform ? escape(value) : escape(transform(value))),
    onRecordUpdate: () => ["", []],
    onCustom: () => ["", []]
  })
  return wrap(base)
}

const wrap = (base: Statement.Compiler): Statement.Compiler => ({
  dialect: base.dialect,
  compile(statement, withoutTransform) {
    const found = inspect(statement.segments)
    if (found === undefined) return base.compile(statement, withoutTransform)
    if (found === "empty") {
      const segments = statement.segments.map((s) => (s._tag === "ArrayHelper" && s.value.length === 0 ? emptyList : s))
      return base.compile(Statement.fragment(segments), withoutTransform)
    }
    return [MARKER + found, []]
  },
  get withoutTransform() {
    return wrap(base.withoutTransform)
  }
})
