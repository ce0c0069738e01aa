/**
 * Registered user types: a cluster's map from a UDT (`keyspace.type`) to the Schema its values decode
 * with (the Python driver's `register_user_type`). Rows whose columns hold a registered UDT, at any
 * depth (inside lists, sets, maps, tuples, vectors and other UDTs), get their UDT values decoded by
 * the Schema; one converter is built per result metadata and cached, and a result without a
 * registered UDT is left untouched.
 *
 * It does not check that a type exists (the cluster does, with its metadata) nor encode values: a
 * value of a `Schema.Class` is an object with the UDT's fields, which the protocol's UDT codec takes
 * as it is.
 *
 * @since 0.2.0
 * @internal
 */
import type { CqlType } from "@effect-cassandra/protocol/CqlType"
import type { ColumnSpec, Row } from "@effect-cassandra/protocol/Messages"
import * as Schema from "effect/Schema"
import * as E from "../../Errors.ts"

/** Turns one decoded value into its registered form; throws a Schema error when it does not decode. */
type Convert = (value: unknown) => unknown

/** The converter of each column, undefined for columns without a registered UDT. */
type RowConverter = ReadonlyArray<{ readonly name: string; readonly convert: Convert }>

/**
 * The user types registered on a cluster.
 *
 * @since 0.2.0
 */
export class UserTypeRegistry {
  private readonly decoders = new Map<string, (value: unknown) => unknown>()
  /** Per result metadata (the column array of a result or prepared statement): its converter, or null. */
  private converters = new WeakMap<ReadonlyArray<ColumnSpec>, RowConverter | null>()

  /** How many types are registered (0: results are never looked at). */
  get size(): number {
    return this.decoders.size
  }

  /** Registers (or replaces) the Schema of `keyspace.type`. */
  register(keyspace: string, type: string, schema: Schema.Decoder<unknown>): void {
    this.decoders.set(`${keyspace}.${type}`, Schema.decodeUnknownSync(schema as Schema.Decoder<unknown, never>))
    // converters built before may have left this type alone
    this.converters = new WeakMap()
  }

  /** The rows with their registered UDT values decoded; `RowDecodeError` naming the column when one does not decode. */
  convertRows(columns: ReadonlyArray<ColumnSpec>, rows: ReadonlyArray<Row>): ReadonlyArray<Row> | E.RowDecodeError {
    let converter = this.converters.get(columns)
    if (converter === undefined) {
      const built = columns.flatMap((c) => {
        const convert = this.converterFor(c.type)
        return convert === undefined ? [] : [{ name: c.name, convert }]
      })
      converter = built.length === 0 ? null : built
      this.converters.set(columns, converter)
    }
    if (converter === null) return rows
    const out: Array<Row> = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const row: Row = { ...rows[i]! }
      for (const { name, convert } of converter) {
        try {
          row[name] = convert(row[name])
        } catch (cause) {
          return new E.RowDecodeError({ message: `column ${name}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
        }
      }
      out[i] = row
    }
    return out
  }

  /** How to convert values of `type`, undefined when no registered UDT is in it. */
  private converterFor(type: CqlType): Convert | undefined {
    switch (type.kind) {
      case "list":
      case "set":
      case "vector": {
        const element = this.converterFor(type.element)
        return element === undefined ? undefined : nullable((v) => (v as ReadonlyArray<unknown>).map(element))
      }
      case "map": {
        const key = this.converterFor(type.key) ?? same
        const value = this.converterFor(type.value) ?? same
        if (key === same && value === same) return undefined
        return nullable((v) => new Map([...(v as ReadonlyMap<unknown, unknown>)].map(([k, x]) => [key(k), value(x)])))
      }
      case "tuple": {
        const elements = type.elements.map((t) => this.converterFor(t))
        if (elements.every((c) => c === undefined)) return undefined
        return nullable((v) => (v as ReadonlyArray<unknown>).map((x, i) => (elements[i] ?? same)(x)))
      }
      case "udt": {
        const fields = type.fields.map((f) => ({ name: f.name, convert: this.converterFor(f.type) })).filter((f) => f.convert !== undefined)
        const decode = this.decoders.get(`${type.keyspace}.${type.name}`)
        if (decode === undefined && fields.length === 0) return undefined
        return nullable((v) => {
          let o = v as Record<string, unknown>
          if (fields.length > 0) {
            o = { ...o }
            for (const f of fields) o[f.name] = f.convert!(o[f.name])
          }
          return decode === undefined ? o : decode(o)
        })
      }
      default:
        return undefined
    }
  }
}

const same: Convert = (v) => v

/** Null (an absent value) stays null. */
const nullable = (convert: Convert): Convert => (v) => (v === null || v === undefined ? v : convert(v))
