/**
 * What a node refuses in the values of a simple statement (QUERY with values): a value count other
 * than the markers', and a value whose bytes do not fit the type of the column its marker is bound to
 * (from the `tables` option), with the messages of Cassandra's type serializers. Only markers whose
 * column is declared are checked: elsewhere the mock does not know the type, and accepts the bytes.
 *
 * It does not answer anything (the request handlers turn its refusal into an INVALID error).
 *
 * @internal
 */
import type { CqlType } from "@effect-cassandra/protocol/CqlType"
import type { RawValue } from "@effect-cassandra/protocol/Frames"
import { markers, tableOf } from "../cql.ts"
import type { SimSchema } from "./schema.ts"

/** The column type of each marker of a statement, undefined where the table or column is not declared. */
type DeclaredTypes = ReadonlyArray<{ readonly name: string; readonly type: CqlType | undefined }>

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** Why Cassandra's serializer of `type` refuses `bytes`, undefined when it accepts them. */
const refusal = (type: CqlType, bytes: Uint8Array): string | undefined => {
  const n = bytes.length
  const fixed = (sizes: ReadonlyArray<number>, message: string) => (sizes.includes(n) ? undefined : message)
  switch (type.kind) {
    case "int":
      return fixed([0, 4], `Expected 4 or 0 byte int (${n})`)
    case "bigint":
    case "counter":
      return fixed([0, 8], `Expected 8 or 0 byte long (${n})`)
    case "timestamp":
      return fixed([0, 8], `Expected 8 or 0 byte long for date (${n})`)
    case "double":
      return fixed([0, 8], `Expected 8 or 0 byte value for a double (${n})`)
    case "float":
      return fixed([0, 4], `Expected 4 or 0 byte value for a float (${n})`)
    case "smallint":
      return fixed([2], `Expected 2 bytes for a smallint (${n})`)
    case "tinyint":
      return fixed([1], `Expected 1 byte for a tinyint (${n})`)
    case "boolean":
      return fixed([0, 1], `Expected 1 or 0 byte value (${n})`)
    case "uuid":
      return fixed([0, 16], `UUID should be 16 or 0 bytes (${n})`)
    case "timeuuid":
      if (n !== 0 && n !== 16) return `UUID should be 16 or 0 bytes (${n})`
      return n === 16 && (bytes[6]! >> 4) !== 1 ? "Invalid version for TimeUUID type." : undefined
    case "date":
      return fixed([4], `Expected 4 byte long for date (${n})`)
    case "time":
      return fixed([8], `Expected 8 byte long for time (${n})`)
    case "inet":
      return fixed([0, 4, 16], `Unable to make inet address from ${n} bytes`)
    case "text":
    case "varchar":
      try {
        utf8.decode(bytes)
        return undefined
      } catch {
        return "String didn't validate."
      }
    case "ascii": {
      const bad = bytes.find((b) => b > 0x7f)
      return bad === undefined ? undefined : `Invalid byte for ascii: ${bad}`
    }
    default:
      return undefined
  }
}

/**
 * The declared types of a statement's markers, per (keyspace, statement), memoised.
 *
 * @since 0.2.0
 */
export class SimpleValueCheck {
  private readonly schema: SimSchema
  private readonly cache = new Map<string, DeclaredTypes | undefined>()

  constructor(schema: SimSchema) {
    this.schema = schema
  }

  /** Why a node would refuse these values of the simple statement `normalized`, undefined when it would not. */
  check(normalized: string, keyspace: string | undefined, values: ReadonlyArray<RawValue>, names: ReadonlyArray<string> | undefined): string | undefined {
    const declared = this.declared(normalized, keyspace)
    if (declared === undefined) return undefined
    if (names === undefined && values.length !== declared.length) {
      return `there were ${declared.length} markers(?) in CQL but ${values.length} bound variables`
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      if (!(v instanceof Uint8Array)) continue
      const marker = names === undefined ? declared[i] : declared.find((d) => d.name === names[i])
      if (marker?.type === undefined) continue
      const why = refusal(marker.type, v)
      if (why !== undefined) return why
    }
    return undefined
  }

  private declared(normalized: string, keyspace: string | undefined): DeclaredTypes | undefined {
    const key = `${keyspace ?? ""}\u0000${normalized}`
    if (this.cache.has(key)) return this.cache.get(key)
    if (this.cache.size > 4096) this.cache.clear()
    const table = this.schema.table(tableOf(normalized), keyspace)
    const out = table === undefined ? undefined : markers(normalized).map((m) => {
      const col = m.column === undefined || m.inList ? undefined : table.columns.find((c) => c.name === m.column)
      const implied: CqlType | undefined = m.impliedType === undefined ? undefined : { kind: m.impliedType }
      return { name: m.name, type: col?.type ?? implied }
    })
    this.cache.set(key, out)
    return out
  }
}
