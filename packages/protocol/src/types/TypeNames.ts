/**
 * CQL type names: CQL syntax (`formatType`, `parseCqlType`) and Cassandra's marshal class names
 * (`parseMarshalType`, `marshalClassName`), as found in custom [option]s and in old schema tables.
 * Text forms only: the binary [option] is TypeOption.ts's.
 *
 * @since 0.1.0
 */
import type { CqlType, NativeTypeName } from "../CqlType.ts"
import { DecodeError } from "../Errors.ts"

/**
 * Deepest type nesting accepted from the wire or from text (deeper is a `DecodeError`, never a stack overflow).
 *
 * @since 0.1.0
 */
export const MAX_TYPE_DEPTH = 64

const NATIVE_NAMES: ReadonlySet<string> = new Set<NativeTypeName>([
  "ascii", "bigint", "blob", "boolean", "counter", "decimal", "double", "float", "int", "timestamp", "uuid",
  "varchar", "varint", "timeuuid", "inet", "date", "time", "smallint", "tinyint", "duration", "text"
])

const native = new Map<string, CqlType>()
for (const name of NATIVE_NAMES) native.set(name, { kind: name as NativeTypeName })

/**
 * The shared descriptor of a native type (`nativeType("int")`).
 *
 * @since 0.1.0
 */
export const nativeType = (name: NativeTypeName): CqlType => native.get(name)!

const SIMPLE_IDENT = /^[a-z][a-z0-9_]*$/

const quoteIdent = (s: string): string => (SIMPLE_IDENT.test(s) ? s : `"${s.replace(/"/g, "\"\"")}"`)

/**
 * CQL syntax of a type: `int`, `list<text>`, `map<text, frozen?>` (frozenness is not part of a descriptor, so
 * never printed), `tuple<int, text>`, `vector<float, 3>`, a UDT by its (quoted if needed) name, a custom
 * type as its quoted class name `'org.example.MyType'`.
 *
 * @since 0.1.0
 */
export const formatType = (t: CqlType): string => {
  switch (t.kind) {
    case "list":
    case "set":
      return `${t.kind}<${formatType(t.element)}>`
    case "map":
      return `map<${formatType(t.key)}, ${formatType(t.value)}>`
    case "tuple":
      return `tuple<${t.elements.map(formatType).join(", ")}>`
    case "vector":
      return `vector<${formatType(t.element)}, ${t.dimension}>`
    case "udt":
      return quoteIdent(t.name)
    case "custom":
      return `'${t.className.replace(/'/g, "''")}'`
    default:
      return t.kind
  }
}

// ---------------------------------------------------------------------------------------------------------
// CQL type syntax (system_schema.columns.type and friends)

/**
 * Resolves a UDT name met while parsing CQL type text; `keyspace` is set for a qualified `ks.name`.
 *
 * @since 0.1.0
 */
export type UdtResolver = (keyspace: string | undefined, name: string) => CqlType | undefined

class TextCursor {
  readonly s: string
  i = 0
  constructor(s: string) {
    this.s = s
  }
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++
  }
  peek(): string {
    this.ws()
    return this.s[this.i] ?? ""
  }
  expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected '${c}'`)
    this.i++
  }
  fail(what: string): never {
    throw new DecodeError({ message: `bad CQL type ${JSON.stringify(this.s)}: ${what} at ${this.i}`, offset: this.i })
  }
  /** An unquoted identifier, a "quoted identifier" (returned unquoted) or a number. */
  ident(): { text: string; quoted: boolean } {
    this.ws()
    const s = this.s
    if (s[this.i] === "\"") {
      let out = ""
      this.i++
      for (;;) {
        if (this.i >= s.length) this.fail("unterminated quoted identifier")
        const c = s[this.i++]!
        if (c === "\"") {
          if (s[this.i] === "\"") {
            out += "\""
            this.i++
          } else break
        } else out += c
      }
      return { text: out, quoted: true }
    }
    const start = this.i
    while (this.i < s.length && /[A-Za-z0-9_$.]/.test(s[this.i]!)) this.i++
    if (this.i === start) this.fail("expected a type name")
    return { text: s.slice(start, this.i), quoted: false }
  }
}

/**
 * Parses a CQL type as written in CQL and in `system_schema` (`frozen<map<text, list<int>>>`,
 * `vector<float, 3>`, `tuple<int, text>`, `'org.example.CustomType'`, `"MyUdt"`, `ks.my_udt`). `frozen<>`
 * is dropped. A UDT name is looked up with `resolveUdt`; unresolved it becomes a placeholder
 * `{ kind: "udt", keyspace: <ks or "">, name, fields: [] }`. A bare marshal class name
 * (`org.apache.cassandra.db.marshal.Int32Type`) is accepted too. Throws a `DecodeError` on bad syntax.
 *
 * @since 0.1.0
 */
export const parseCqlType = (text: string, resolveUdt?: UdtResolver): CqlType => {
  const c = new TextCursor(text)
  const t = parseCqlTypeAt(c, resolveUdt, 0)
  if (c.peek() !== "") c.fail("trailing characters")
  return t
}

const parseCqlTypeAt = (c: TextCursor, resolveUdt: UdtResolver | undefined, depth: number): CqlType => {
  if (depth > MAX_TYPE_DEPTH) c.fail("type nested too deeply")
  if (c.peek() === "'") {
    // custom type as a string literal
    const s = c.s
    c.i++
    let out = ""
    for (;;) {
      if (c.i >= s.length) c.fail("unterminated string")
      const ch = s[c.i++]!
      if (ch === "'") {
        if (s[c.i] === "'") {
          out += "'"
          c.i++
        } else break
      } else out += ch
    }
    return parseMarshalTypeOrCustom(out)
  }
  const start = c.i
  const { quoted, text } = c.ident()
  if (!quoted) {
    if (text.includes(".") && /^org\.apache\.cassandra\.db\.marshal\./.test(text)) {
      // a marshal class, possibly parameterised: take the balanced text
      c.i = start
      c.ws()
      const from = c.i
      skipMarshal(c)
      return parseMarshalType(c.s.slice(from, c.i))
    }
    const lower = text.toLowerCase()
    if (!text.includes(".")) {
      if (NATIVE_NAMES.has(lower)) return native.get(lower)!
      switch (lower) {
        case "frozen": {
          c.expect("<")
          const inner = parseCqlTypeAt(c, resolveUdt, depth + 1)
          c.expect(">")
          return inner
        }
        case "list":
        case "set": {
          c.expect("<")
          const element = parseCqlTypeAt(c, resolveUdt, depth + 1)
          c.expect(">")
          return { kind: lower, element }
        }
        case "map": {
          c.expect("<")
          const key = parseCqlTypeAt(c, resolveUdt, depth + 1)
          c.expect(",")
          const value = parseCqlTypeAt(c, resolveUdt, depth + 1)
          c.expect(">")
          return { kind: "map", key, value }
        }
        case "tuple": {
          c.expect("<")
          const elements: Array<CqlType> = [parseCqlTypeAt(c, resolveUdt, depth + 1)]
          while (c.peek() === ",") {
            c.i++
            elements.push(parseCqlTypeAt(c, resolveUdt, depth + 1))
          }
          c.expect(">")
          return { kind: "tuple", elements }
        }
        case "vector": {
          c.expect("<")
          const element = parseCqlTypeAt(c, resolveUdt, depth + 1)
          c.expect(",")
          const dim = c.ident()
          if (dim.quoted || !/^\d+$/.test(dim.text) || Number(dim.text) < 1 || Number(dim.text) > 0x7fffffff) {
            c.fail("expected a positive vector dimension")
          }
          c.expect(">")
          return { kind: "vector", element, dimension: Number(dim.text) }
        }
        default:
      }
    }
  }
  // a user-defined type: [keyspace.]name, each part possibly quoted; unquoted parts are case-insensitive
  let keyspace: string | undefined
  let name: string
  if (quoted) {
    name = text
    if (c.peek() === ".") {
      c.i++
      keyspace = name
      const n2 = c.ident()
      name = n2.quoted ? n2.text : n2.text.toLowerCase()
    }
  } else {
    const dot = text.indexOf(".")
    if (dot >= 0) {
      keyspace = text.slice(0, dot).toLowerCase()
      const rest = text.slice(dot + 1)
      if (rest === "") {
        const n2 = c.ident()
        name = n2.quoted ? n2.text : n2.text.toLowerCase()
      } else {
        if (rest.includes(".")) c.fail("bad qualified type name")
        name = rest.toLowerCase()
      }
    } else {
      name = text.toLowerCase()
      if (c.peek() === ".") {
        c.i++
        keyspace = name
        const n2 = c.ident()
        name = n2.quoted ? n2.text : n2.text.toLowerCase()
      }
    }
  }
  if (/^\d/.test(name) && keyspace === undefined && !quoted) c.fail("expected a type")
  const resolved = resolveUdt?.(keyspace, name)
  return resolved ?? { kind: "udt", keyspace: keyspace ?? "", name, fields: [] }
}

/** Advances over a marshal class expression with balanced parentheses (stops at a top-level `,` `>` or end). */
const skipMarshal = (c: TextCursor): void => {
  let depth = 0
  const s = c.s
  while (c.i < s.length) {
    const ch = s[c.i]!
    if (ch === "(") depth++
    else if (ch === ")") {
      if (depth === 0) break
      depth--
    } else if ((ch === "," || ch === ">") && depth === 0) break
    c.i++
  }
  if (depth !== 0) c.fail("unbalanced parentheses")
}

// ---------------------------------------------------------------------------------------------------------
// Marshal class names (custom [option]s): org.apache.cassandra.db.marshal.*

const MARSHAL_PREFIX = "org.apache.cassandra.db.marshal."

const MARSHAL_NATIVE: Readonly<Record<string, NativeTypeName>> = {
  AsciiType: "ascii",
  LongType: "bigint",
  BytesType: "blob",
  BooleanType: "boolean",
  CounterColumnType: "counter",
  DecimalType: "decimal",
  DoubleType: "double",
  FloatType: "float",
  Int32Type: "int",
  TimestampType: "timestamp",
  DateType: "timestamp",
  UUIDType: "uuid",
  UTF8Type: "text",
  IntegerType: "varint",
  TimeUUIDType: "timeuuid",
  InetAddressType: "inet",
  SimpleDateType: "date",
  TimeType: "time",
  ShortType: "smallint",
  ByteType: "tinyint",
  DurationType: "duration"
}

const NATIVE_MARSHAL: Readonly<Record<NativeTypeName, string>> = {
  ascii: "AsciiType",
  bigint: "LongType",
  blob: "BytesType",
  boolean: "BooleanType",
  counter: "CounterColumnType",
  decimal: "DecimalType",
  double: "DoubleType",
  float: "FloatType",
  int: "Int32Type",
  timestamp: "TimestampType",
  uuid: "UUIDType",
  varchar: "UTF8Type",
  text: "UTF8Type",
  varint: "IntegerType",
  timeuuid: "TimeUUIDType",
  inet: "InetAddressType",
  date: "SimpleDateType",
  time: "TimeType",
  smallint: "ShortType",
  tinyint: "ByteType",
  duration: "DurationType"
}

const hexToUtf8 = (hex: string, c: TextCursor): string => {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) c.fail(`bad hex name ${JSON.stringify(hex)}`)
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return new TextDecoder().decode(bytes)
}

const utf8ToHex = (s: string): string => {
  let out = ""
  for (const b of new TextEncoder().encode(s)) out += b.toString(16).padStart(2, "0")
  return out
}

/**
 * Parses a marshal class name, as a custom [option] carries it:
 * `org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)`,
 * `...ListType(...Int32Type)`, `...MapType(k,v)`, `...SetType(x)`, `...TupleType(a,b)`,
 * `...UserType(ks,<hex name>,<hex field>:<type>,...)`, `...FrozenType(x)` and `...ReversedType(x)` (both
 * unwrapped), `...DurationType` and the other native classes (the package prefix is optional). Anything else
 * (CompositeType, DynamicCompositeType, a user class...) is `{ kind: "custom", className }` with the text of
 * that class expression. Throws a `DecodeError` on malformed parameters of a known type.
 *
 * @since 0.1.0
 */
export const parseMarshalType = (className: string): CqlType => {
  const c = new TextCursor(className)
  const t = parseMarshalAt(c, 0)
  if (c.peek() !== "") c.fail("trailing characters")
  return t
}

/**
 * `parseMarshalType`, except that a class name it cannot parse is an opaque custom type rather than an error
 * (the values of a type the codec cannot read are still raw bytes).
 *
 * @since 0.1.0
 */
export const parseMarshalTypeOrCustom = (className: string): CqlType => {
  try {
    return parseMarshalType(className)
  } catch (e) {
    if (e instanceof DecodeError) return { kind: "custom", className }
    throw e
  }
}

const parseMarshalAt = (c: TextCursor, depth: number): CqlType => {
  if (depth > MAX_TYPE_DEPTH) c.fail("type nested too deeply")
  c.ws()
  const start = c.i
  const s = c.s
  while (c.i < s.length && /[A-Za-z0-9_$.]/.test(s[c.i]!)) c.i++
  const full = s.slice(start, c.i)
  if (full === "") c.fail("expected a class name")
  const short = full.startsWith(MARSHAL_PREFIX) ? full.slice(MARSHAL_PREFIX.length) : full.includes(".") ? "" : full
  const hasParams = c.peek() === "("
  const nativeName = MARSHAL_NATIVE[short]
  if (nativeName !== undefined && !hasParams) return native.get(nativeName)!
  const params = (): void => c.expect("(")
  const close = (): void => c.expect(")")
  const comma = (): void => c.expect(",")
  switch (hasParams ? short : "") {
    case "FrozenType":
    case "ReversedType": {
      params()
      const inner = parseMarshalAt(c, depth + 1)
      close()
      return inner
    }
    case "ListType":
    case "SetType": {
      params()
      const element = parseMarshalAt(c, depth + 1)
      close()
      return { kind: short === "ListType" ? "list" : "set", element }
    }
    case "MapType": {
      params()
      const key = parseMarshalAt(c, depth + 1)
      comma()
      const value = parseMarshalAt(c, depth + 1)
      close()
      return { kind: "map", key, value }
    }
    case "TupleType": {
      params()
      const elements: Array<CqlType> = [parseMarshalAt(c, depth + 1)]
      while (c.peek() === ",") {
        c.i++
        elements.push(parseMarshalAt(c, depth + 1))
      }
      close()
      return { kind: "tuple", elements }
    }
    case "VectorType": {
      params()
      const element = parseMarshalAt(c, depth + 1)
      comma()
      c.ws()
      const at = c.i
      while (c.i < s.length && /\d/.test(s[c.i]!)) c.i++
      const dim = Number(s.slice(at, c.i))
      if (c.i === at || dim < 1 || dim > 0x7fffffff) c.fail("expected a positive vector dimension")
      close()
      return { kind: "vector", element, dimension: dim }
    }
    case "UserType": {
      params()
      const ks = c.ident()
      comma()
      const nameHex = c.ident()
      const fields: Array<{ name: string; type: CqlType }> = []
      while (c.peek() === ",") {
        c.i++
        const fieldHex = c.ident()
        c.expect(":")
        fields.push({ name: hexToUtf8(fieldHex.text, c), type: parseMarshalAt(c, depth + 1) })
      }
      close()
      return { kind: "udt", keyspace: ks.text, name: hexToUtf8(nameHex.text, c), fields }
    }
    default: {
      // unknown: keep the whole class expression, parameters included
      if (hasParams) {
        c.ws()
        let d = 0
        while (c.i < s.length) {
          const ch = s[c.i++]!
          if (ch === "(") d++
          else if (ch === ")" && --d === 0) break
        }
        if (d !== 0) c.fail("unbalanced parentheses")
      }
      return { kind: "custom", className: s.slice(start, c.i).trim() }
    }
  }
}

/**
 * The marshal class name of a type, as Cassandra writes it in a custom [option] (nested collections,
 * tuples and UDTs wrapped in `FrozenType`, vector parameters as `(<element> , <dimension>)`).
 *
 * @since 0.1.0
 */
export const marshalClassName = (t: CqlType, nested = false): string => {
  const frozen = (s: string): string => (nested ? `${MARSHAL_PREFIX}FrozenType(${s})` : s)
  switch (t.kind) {
    case "list":
      return frozen(`${MARSHAL_PREFIX}ListType(${marshalClassName(t.element, true)})`)
    case "set":
      return frozen(`${MARSHAL_PREFIX}SetType(${marshalClassName(t.element, true)})`)
    case "map":
      return frozen(`${MARSHAL_PREFIX}MapType(${marshalClassName(t.key, true)},${marshalClassName(t.value, true)})`)
    case "tuple":
      return frozen(`${MARSHAL_PREFIX}TupleType(${t.elements.map((e) => marshalClassName(e, true)).join(",")})`)
    case "udt":
      return frozen(
        `${MARSHAL_PREFIX}UserType(${t.keyspace},${utf8ToHex(t.name)}${
          t.fields.map((f) => `,${utf8ToHex(f.name)}:${marshalClassName(f.type, true)}`).join("")
        })`
      )
    case "vector":
      return `${MARSHAL_PREFIX}VectorType(${marshalClassName(t.element, true)} , ${t.dimension})`
    case "custom":
      return t.className
    default:
      return MARSHAL_PREFIX + NATIVE_MARSHAL[t.kind]
  }
}
