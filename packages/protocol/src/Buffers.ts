/**
 * Growable byte writer and bounds-checked byte reader: the primitives of every encoder and decoder.
 * Integers are big-endian ([int], [short], [long] of the native protocol). They know the notations,
 * not the messages: which fields a body holds is decided in `frame/`.
 *
 * @since 0.1.0
 */
import { DecodeError } from "./Errors.ts"
import { setOwn } from "./internal/own.ts"

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder("utf-8", { fatal: false })

/**
 * A reusable, growable output buffer. Encoders write straight into it; `finish`/`subarray` hand out views.
 * `reset()` makes it reusable without reallocating.
 *
 * @since 0.1.0
 */
export class ByteWriter {
  buf: Uint8Array
  view: DataView
  pos = 0

  constructor(initialCapacity = 4096) {
    this.buf = new Uint8Array(initialCapacity)
    this.view = new DataView(this.buf.buffer)
  }

  reset(): void {
    this.pos = 0
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n
    if (need <= this.buf.length) return
    let cap = this.buf.length * 2
    while (cap < need) cap *= 2
    const next = new Uint8Array(cap)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  writeByte(v: number): void {
    this.ensure(1)
    this.buf[this.pos++] = v
  }

  writeShort(v: number): void {
    // a count or length past 65535 would wrap into a corrupt frame: fail the encoding instead
    if (!(v >= 0 && v <= 0xffff)) throw new RangeError(`${v} does not fit an unsigned 16-bit [short]`)
    this.ensure(2)
    this.view.setUint16(this.pos, v)
    this.pos += 2
  }

  writeInt(v: number): void {
    this.ensure(4)
    this.view.setInt32(this.pos, v)
    this.pos += 4
  }

  writeLong(v: bigint): void {
    this.ensure(8)
    this.view.setBigInt64(this.pos, v)
    this.pos += 8
  }

  writeFloat(v: number): void {
    this.ensure(4)
    this.view.setFloat32(this.pos, v)
    this.pos += 4
  }

  writeDouble(v: number): void {
    this.ensure(8)
    this.view.setFloat64(this.pos, v)
    this.pos += 8
  }

  writeRaw(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.buf.set(bytes, this.pos)
    this.pos += bytes.length
  }

  /** Writes UTF-8 text with no length prefix; returns the number of bytes written. */
  writeUtf8(s: string): number {
    // worst case 3 bytes per UTF-16 unit
    this.ensure(s.length * 3)
    const { written } = textEncoder.encodeInto(s, this.buf.subarray(this.pos))
    this.pos += written
    return written
  }

  /** [string]: u16 length + UTF-8. */
  writeString(s: string): void {
    const at = this.pos
    this.ensure(2)
    this.pos += 2
    const n = this.writeUtf8(s)
    if (n > 0xffff) throw new RangeError("string longer than 65535 bytes")
    this.view.setUint16(at, n)
  }

  /** [long string]: i32 length + UTF-8. */
  writeLongString(s: string): void {
    const at = this.pos
    this.ensure(4)
    this.pos += 4
    const n = this.writeUtf8(s)
    this.view.setInt32(at, n)
  }

  /** [bytes]: i32 length (-1 = null) + bytes. */
  writeBytes(b: Uint8Array | null): void {
    if (b === null) return this.writeInt(-1)
    this.writeInt(b.length)
    this.writeRaw(b)
  }

  /** [short bytes]: u16 length + bytes. */
  writeShortBytes(b: Uint8Array): void {
    this.writeShort(b.length)
    this.writeRaw(b)
  }

  writeStringList(list: ReadonlyArray<string>): void {
    this.writeShort(list.length)
    for (let i = 0; i < list.length; i++) this.writeString(list[i]!)
  }

  writeStringMap(map: Readonly<Record<string, string>>): void {
    const keys = Object.keys(map)
    this.writeShort(keys.length)
    for (const k of keys) {
      this.writeString(k)
      this.writeString(map[k]!)
    }
  }

  writeBytesMap(map: ReadonlyMap<string, Uint8Array | null>): void {
    this.writeShort(map.size)
    for (const [k, v] of map) {
      this.writeString(k)
      this.writeBytes(v)
    }
  }

  /** Reserves `n` bytes to patch later (e.g. a length); returns their offset. */
  skip(n: number): number {
    this.ensure(n)
    const at = this.pos
    this.pos += n
    return at
  }

  /** A view of the bytes written so far (valid until the next write or reset). */
  subarray(start = 0, end = this.pos): Uint8Array {
    return this.buf.subarray(start, end)
  }

  /** A copy of the bytes written so far. */
  toBytes(start = 0, end = this.pos): Uint8Array {
    return this.buf.slice(start, end)
  }
}

/**
 * A plain Uint8Array view of `b` (a Node Buffer becomes a Uint8Array over the same memory): a Buffer's
 * `slice` is a view, not a copy, and decoded bodies should not be Buffers.
 *
 * @since 0.1.0
 */
export const plainView = (b: Uint8Array): Uint8Array =>
  b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

/** Buffers above this size get readers of their own (`ByteReader.within`): the shared view would keep them alive. */
const SHARED_VIEW_MAX_BYTES = 1 << 20
let sharedBuffer: ArrayBufferLike | undefined
let sharedBytes: Uint8Array = new Uint8Array(0)
let sharedView: DataView = new DataView(new ArrayBuffer(0))

/**
 * Bounds-checked reader over a byte range. Every read past `end` throws a `DecodeError`
 * (never a RangeError, never an out-of-bounds read).
 *
 * @since 0.1.0
 */
export class ByteReader {
  readonly buf: Uint8Array
  readonly view: DataView
  pos: number
  end: number

  /** Reads `buf[start, end)`; `view`, when given, must be a DataView of exactly `buf`'s bytes (made here otherwise). */
  constructor(buf: Uint8Array, start = 0, end = buf.length, view?: DataView) {
    this.buf = buf
    this.view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    this.pos = start
    this.end = end
  }

  /**
   * A reader of `bytes`, a view into a larger buffer, positioned in that whole buffer: positions are
   * offsets in the buffer, `bytes` is `[pos, end)`. The buffer's `Uint8Array` and `DataView` are made
   * once and shared by every reader of the same buffer (the bodies of one socket read), where a reader
   * of its own would make a DataView per body (about 55 ns each). Bytes that are a whole buffer of
   * their own, or lie in a large one (kept alive by the cache until the next buffer), get a plain reader.
   */
  static within(bytes: Uint8Array): ByteReader {
    const buffer = bytes.buffer
    const start = bytes.byteOffset
    if ((start === 0 && bytes.byteLength === buffer.byteLength) || buffer.byteLength > SHARED_VIEW_MAX_BYTES) return new ByteReader(plainView(bytes))
    if (buffer !== sharedBuffer) {
      sharedBuffer = buffer
      sharedBytes = new Uint8Array(buffer)
      sharedView = new DataView(buffer)
    }
    return new ByteReader(sharedBytes, start, start + bytes.byteLength, sharedView)
  }

  get remaining(): number {
    return this.end - this.pos
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new DecodeError({ message: `need ${n} bytes, ${this.end - this.pos} left`, offset: this.pos })
    }
  }

  readByte(): number {
    this.need(1)
    return this.buf[this.pos++]!
  }

  readShort(): number {
    this.need(2)
    const v = this.view.getUint16(this.pos)
    this.pos += 2
    return v
  }

  readInt(): number {
    this.need(4)
    const v = this.view.getInt32(this.pos)
    this.pos += 4
    return v
  }

  readLong(): bigint {
    this.need(8)
    const v = this.view.getBigInt64(this.pos)
    this.pos += 8
    return v
  }

  /** A view (no copy) of the next `n` bytes. */
  readRaw(n: number): Uint8Array {
    this.need(n)
    const b = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return b
  }

  /** A copy of the next `n` bytes (for values that outlive the frame buffer: ids, paging states). */
  readRawCopy(n: number): Uint8Array {
    this.need(n)
    // not `buf.slice`: on a Node Buffer (socket chunks) `slice` is a view, not a copy
    const b = new Uint8Array(this.buf.subarray(this.pos, this.pos + n))
    this.pos += n
    return b
  }

  readUtf8(n: number): string {
    this.need(n)
    const s = textDecoder.decode(this.buf.subarray(this.pos, this.pos + n))
    this.pos += n
    return s
  }

  readString(): string {
    return this.readUtf8(this.readShort())
  }

  readLongString(): string {
    const n = this.readInt()
    if (n < 0) throw new DecodeError({ message: `negative long string length ${n}`, offset: this.pos - 4 })
    return this.readUtf8(n)
  }

  /** [bytes] as a view; null for a negative length. */
  readBytes(): Uint8Array | null {
    const n = this.readInt()
    if (n < 0) return null
    return this.readRaw(n)
  }

  readShortBytes(): Uint8Array {
    return this.readRaw(this.readShort())
  }

  readStringList(): Array<string> {
    const n = this.readShort()
    // each [string] takes at least 2 bytes: check before allocating from a lying count
    if (n * 2 > this.end - this.pos) {
      throw new DecodeError({ message: `string list of ${n} does not fit in ${this.end - this.pos} bytes`, offset: this.pos - 2 })
    }
    const out = new Array<string>(n)
    for (let i = 0; i < n; i++) out[i] = this.readString()
    return out
  }

  readStringMap(): Record<string, string> {
    const n = this.readShort()
    const out: Record<string, string> = {}
    for (let i = 0; i < n; i++) setOwn(out, this.readString(), this.readString())
    return out
  }

  readStringMultimap(): Record<string, Array<string>> {
    const n = this.readShort()
    const out: Record<string, Array<string>> = {}
    for (let i = 0; i < n; i++) setOwn(out, this.readString(), this.readStringList())
    return out
  }

  readBytesMap(): Map<string, Uint8Array | null> {
    const n = this.readShort()
    const out = new Map<string, Uint8Array | null>()
    for (let i = 0; i < n; i++) {
      const k = this.readString()
      const v = this.readBytes()
      out.set(k, v === null ? null : new Uint8Array(v))
    }
    return out
  }

  /** [inet]: 1-byte size, 4 or 16 address bytes, then an [int] port. */
  readInetAddr(): Uint8Array {
    const n = this.readByte()
    if (n !== 4 && n !== 16) throw new DecodeError({ message: `bad inet size ${n}`, offset: this.pos - 1 })
    return this.readRawCopy(n)
  }
}
