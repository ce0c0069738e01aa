/**
 * Binding values to statements: a prepared statement's values by position or by name, checked
 * against its bind variables (arity, unknown and missing names); a simple statement's as they are.
 *
 * It does not encode values (the protocol's encoders do, and refuse values that do not fit).
 *
 * @since 0.1.0
 * @internal
 */
import type { BoundValues } from "@effect-cassandra/protocol/Messages"
import * as E from "../../Errors.ts"
import type { Params, PreparedStatement } from "../../Statement.ts"

const isRecord = (p: Params | undefined): p is Readonly<Record<string, unknown>> =>
  p !== undefined && !Array.isArray(p)

/**
 * Binds params to a prepared statement's variables, checking arity and names.
 *
 * @since 0.1.0
 */
export const bindPrepared = (prepared: PreparedStatement, params: Params | undefined): BoundValues | E.InvalidInput => {
  const n = prepared.variables.length
  if (params === undefined) {
    if (n === 0) return { values: [], types: [] }
    return new E.InvalidInput({ message: `the statement has ${n} bind variables but no values were given` })
  }
  if (isRecord(params)) return bindByName(prepared, params)
  if (params.length !== n) {
    return new E.InvalidInput({ message: `the statement has ${n} bind variables but ${params.length} values were given` })
  }
  return { values: params, types: prepared.variableTypes }
}

const bindByName = (prepared: PreparedStatement, params: Readonly<Record<string, unknown>>): BoundValues | E.InvalidInput => {
  const n = prepared.variables.length
  const values = new Array<unknown>(n).fill(undefined)
  for (const key of Object.keys(params)) {
    const i = prepared.variableIndex.get(key)
    if (i === undefined) {
      return new E.InvalidInput({ message: `unknown bind variable "${key}" (expected one of ${[...prepared.variableIndex.keys()].join(", ")})`, path: `values.${key}` })
    }
    values[i] = params[key]
    // a name used several times (e.g. `a = :x OR b = :x`) binds every position with that name
    for (let j = i + 1; j < n; j++) if (prepared.variables[j]!.name === key) values[j] = params[key]
  }
  for (let i = 0; i < n; i++) {
    if (values[i] === undefined) {
      return new E.InvalidInput({ message: `missing a value for bind variable "${prepared.variables[i]!.name}"`, path: `values.${prepared.variables[i]!.name}` })
    }
  }
  return { values, types: prepared.variableTypes }
}

/**
 * Binds params to a simple statement: positional `?` or named `:name` (types inferred from the values).
 *
 * @since 0.1.0
 */
export const bindSimple = (params: Params | undefined): BoundValues | undefined => {
  if (params === undefined) return undefined
  if (isRecord(params)) {
    const names = Object.keys(params)
    return { values: names.map((k) => params[k]), names }
  }
  return params.length === 0 ? undefined : { values: params }
}
