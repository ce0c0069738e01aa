/**
 * JavaScript representations of the CQL values that have no native JavaScript type:
 * `date` ({@link LocalDate}), `time` ({@link LocalTime}), `duration` ({@link CqlDuration}),
 * and the {@link EMPTY} marker for a zero-length value of a type whose empty value means nothing.
 *
 * The constructors and static parsers throw a `RangeError` on invalid input (like `Date`/`BigInt`);
 * the codec's entry points catch that and report an `EncodeError`. Their wire encoding is in
 * Decode.ts and Encode.ts, not here.
 *
 * @since 0.1.0
 */

/**
 * A zero-length value (`[value]` length 0) of a type for which zero bytes is not a valid encoding of any
 * ordinary value (every type but text/ascii/varchar, blob and custom types, whose empty value is `""` or an
 * empty `Uint8Array`). Cassandra stores such values (e.g. `INSERT ... VALUES (blobAsInt(0x))`): they decode
 * to `EMPTY` (distinct from `null`), and encoding `EMPTY` for any type writes a zero-length value.
 *
 * @since 0.1.0
 */
export const EMPTY: unique symbol = Symbol.for("@effect-cassandra/protocol/EMPTY")

/**
 * The type of {@link EMPTY}.
 *
 * @since 0.1.0
 */
export type Empty = typeof EMPTY

const MS_PER_DAY = 86_400_000
const INT32_MIN = -2147483648
const INT32_MAX = 2147483647

const pad = (n: number, width: number): string => {
  const s = String(n)
  return s.length >= width ? s : "0".repeat(width - s.length) + s
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = month > 2 ? month - 3 : month + 9
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The inverse of {@link daysFromCivil}. */
const civilFromDays = (days: number): { year: number; month: number; day: number } => {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

const DATE_RE = /^([+-]?)(\d{4,})-(\d{2})-(\d{2})$/

/**
 * A CQL `date`: a day of the proleptic Gregorian calendar with no time zone, stored as a signed 32-bit
 * count of days since 1970-01-01 (the full CQL range, about ±5.8 million years, far beyond `Date`'s).
 *
 * @since 0.1.0
 */
export class LocalDate {
  /** Days since 1970-01-01 (negative before), a signed 32-bit integer. */
  readonly days: number

  constructor(days: number) {
    if (!Number.isInteger(days) || days < INT32_MIN || days > INT32_MAX) {
      throw new RangeError(`LocalDate: days must be a 32-bit signed integer, got ${String(days)}`)
    }
    this.days = days
  }

  static fromDays(days: number): LocalDate {
    return new LocalDate(days)
  }

  /** From calendar fields (month 1..12). */
  static of(year: number, month: number, day: number): LocalDate {
    if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) {
      throw new RangeError(`LocalDate: not a date: ${year}-${month}-${day}`)
    }
    if (month < 1 || month > 12) throw new RangeError(`LocalDate: month out of range: ${month}`)
    const dim = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!
    if (day < 1 || day > dim) throw new RangeError(`LocalDate: day out of range: ${year}-${month}-${day}`)
    return new LocalDate(daysFromCivil(year, month, day))
  }

  /**
   * Parses `YYYY-MM-DD` (ISO 8601; years beyond 0000..9999 as `+YYYYYY`/`-YYYYYY`, any number of digits,
   * year 0 = 1 BC as in ISO 8601).
   */
  static fromString(s: string): LocalDate {
    const m = DATE_RE.exec(s)
    if (m === null) throw new RangeError(`LocalDate: not an ISO date (YYYY-MM-DD): ${JSON.stringify(s)}`)
    const year = Number(m[2]) * (m[1] === "-" ? -1 : 1)
    return LocalDate.of(year, Number(m[3]), Number(m[4]))
  }

  /** The UTC calendar day of a `Date` (the time of day is dropped). */
  static fromDate(d: Date): LocalDate {
    const t = d.getTime()
    if (Number.isNaN(t)) throw new RangeError("LocalDate: invalid Date")
    return new LocalDate(Math.floor(t / MS_PER_DAY))
  }

  get year(): number {
    return civilFromDays(this.days).year
  }

  /** 1..12 */
  get month(): number {
    return civilFromDays(this.days).month
  }

  get day(): number {
    return civilFromDays(this.days).day
  }

  /** Midnight UTC of this day; throws a `RangeError` beyond `Date`'s range (±100,000,000 days). */
  toDate(): Date {
    const ms = this.days * MS_PER_DAY
    if (Math.abs(ms) > 8.64e15) throw new RangeError(`LocalDate ${this.toString()} is outside Date's range`)
    return new Date(ms)
  }

  equals(that: unknown): boolean {
    return that instanceof LocalDate && that.days === this.days
  }

  /** `YYYY-MM-DD`; years outside 0..9999 as a sign and at least 6 digits (`+275760-09-13`, `-000001-01-01`). */
  toString(): string {
    const { day, month, year } = civilFromDays(this.days)
    const y = year >= 0 && year <= 9999 ? pad(year, 4) : (year < 0 ? "-" : "+") + pad(Math.abs(year), 6)
    return `${y}-${pad(month, 2)}-${pad(day, 2)}`
  }

  toJSON(): string {
    return this.toString()
  }
}

const NANOS_PER_DAY = 86_400_000_000_000n
const TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/

/**
 * A CQL `time`: nanoseconds since midnight, `0n` to `86_399_999_999_999n`.
 *
 * @since 0.1.0
 */
export class LocalTime {
  readonly nanos: bigint

  constructor(nanos: bigint) {
    if (typeof nanos !== "bigint" || nanos < 0n || nanos >= NANOS_PER_DAY) {
      throw new RangeError(`LocalTime: nanoseconds since midnight must be a bigint in [0, 86400e9), got ${String(nanos)}`)
    }
    this.nanos = nanos
  }

  /** From nanoseconds since midnight (a safe-integer number is accepted). */
  static fromNanos(nanos: bigint | number): LocalTime {
    if (typeof nanos === "number") {
      if (!Number.isSafeInteger(nanos)) throw new RangeError(`LocalTime: not a safe integer: ${nanos}`)
      return new LocalTime(BigInt(nanos))
    }
    return new LocalTime(nanos)
  }

  static of(hours: number, minutes: number, seconds = 0, nanoseconds = 0): LocalTime {
    const ok = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v < max
    if (!ok(hours, 24) || !ok(minutes, 60) || !ok(seconds, 60) || !ok(nanoseconds, 1e9)) {
      throw new RangeError(`LocalTime: not a time of day: ${hours}:${minutes}:${seconds}.${nanoseconds}`)
    }
    return new LocalTime(
      BigInt(hours) * 3_600_000_000_000n + BigInt(minutes) * 60_000_000_000n + BigInt(seconds) * 1_000_000_000n +
        BigInt(nanoseconds)
    )
  }

  /** Parses `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fffffffff` (1 to 9 fraction digits). */
  static fromString(s: string): LocalTime {
    const m = TIME_RE.exec(s)
    if (m === null) throw new RangeError(`LocalTime: not a time (HH:MM:SS[.fffffffff]): ${JSON.stringify(s)}`)
    const frac = m[4] === undefined ? 0 : Number(m[4].padEnd(9, "0"))
    return LocalTime.of(Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3]), frac)
  }

  equals(that: unknown): boolean {
    return that instanceof LocalTime && that.nanos === this.nanos
  }

  /** `HH:MM:SS.nnnnnnnnn` (always nine fraction digits). */
  toString(): string {
    const n = this.nanos
    const secs = Number(n / 1_000_000_000n)
    const frac = Number(n % 1_000_000_000n)
    return `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}.${pad(frac, 9)}`
  }

  toJSON(): string {
    return this.toString()
  }
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

const ISO_DURATION_RE =
  /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,9}))?S)?)?$/
const UNIT_DURATION_RE = /(\d+)(y|mo|w|d|h|ms|m|s|us|µs|ns)/gy
const UNIT_NANOS: Record<string, bigint> = {
  h: 3_600_000_000_000n,
  m: 60_000_000_000n,
  s: 1_000_000_000n,
  ms: 1_000_000n,
  us: 1_000n,
  "µs": 1_000n,
  ns: 1n
}

/**
 * A CQL `duration`: months, days and nanoseconds, kept apart because their lengths vary (a month is 28 to
 * 31 days, a day 23 to 25 hours across DST changes). As in Cassandra, the three are all `>= 0` or all `<= 0`.
 *
 * @since 0.1.0
 */
export class CqlDuration {
  /** Signed 32-bit. */
  readonly months: number
  /** Signed 32-bit. */
  readonly days: number
  /** Signed 64-bit. */
  readonly nanoseconds: bigint

  constructor(months: number, days: number, nanoseconds: bigint) {
    if (!Number.isInteger(months) || months < INT32_MIN || months > INT32_MAX) {
      throw new RangeError(`CqlDuration: months must be a 32-bit signed integer, got ${String(months)}`)
    }
    if (!Number.isInteger(days) || days < INT32_MIN || days > INT32_MAX) {
      throw new RangeError(`CqlDuration: days must be a 32-bit signed integer, got ${String(days)}`)
    }
    if (typeof nanoseconds !== "bigint" || nanoseconds < INT64_MIN || nanoseconds > INT64_MAX) {
      throw new RangeError(`CqlDuration: nanoseconds must be a 64-bit signed bigint, got ${String(nanoseconds)}`)
    }
    const someNeg = months < 0 || days < 0 || nanoseconds < 0n
    const somePos = months > 0 || days > 0 || nanoseconds > 0n
    if (someNeg && somePos) {
      throw new RangeError(`CqlDuration: months, days and nanoseconds must all have the same sign`)
    }
    this.months = months === 0 ? 0 : months // no -0
    this.days = days === 0 ? 0 : days
    this.nanoseconds = nanoseconds
  }

  static of(months: number, days: number, nanoseconds: bigint | number): CqlDuration {
    if (typeof nanoseconds === "number") {
      if (!Number.isSafeInteger(nanoseconds)) throw new RangeError(`CqlDuration: not a safe integer: ${nanoseconds}`)
      return new CqlDuration(months, days, BigInt(nanoseconds))
    }
    return new CqlDuration(months, days, nanoseconds)
  }

  /**
   * Parses the ISO 8601 form written by {@link toString} (`P1Y2M3DT4H5M6.000000007S`, `-P2W`, `PT0S`) or
   * Cassandra's unit form (`1y2mo3w4d5h6m7s8ms9us10ns`, optionally negated with a leading `-`).
   */
  static fromString(text: string): CqlDuration {
    const s = text.trim()
    const iso = ISO_DURATION_RE.exec(s)
    let months = 0n, days = 0n, nanos = 0n
    let negative = false
    if (iso !== null && s !== "P" && s !== "-P" && !s.endsWith("T")) {
      negative = iso[1] === "-"
      const n = (i: number) => (iso[i] === undefined ? 0n : BigInt(iso[i]!))
      months = n(2) * 12n + n(3)
      days = n(4) * 7n + n(5)
      nanos = n(6) * UNIT_NANOS["h"]! + n(7) * UNIT_NANOS["m"]! + n(8) * UNIT_NANOS["s"]!
      if (iso[9] !== undefined) nanos += BigInt(iso[9].padEnd(9, "0"))
    } else {
      let body = s.toLowerCase()
      if (body.startsWith("-")) {
        negative = true
        body = body.slice(1)
      }
      if (body.length === 0) throw new RangeError(`CqlDuration: not a duration: ${JSON.stringify(text)}`)
      UNIT_DURATION_RE.lastIndex = 0
      let at = 0
      while (at < body.length) {
        UNIT_DURATION_RE.lastIndex = at
        const m = UNIT_DURATION_RE.exec(body)
        if (m === null) throw new RangeError(`CqlDuration: not a duration: ${JSON.stringify(text)}`)
        const v = BigInt(m[1]!)
        const unit = m[2]!
        if (unit === "y") months += v * 12n
        else if (unit === "mo") months += v
        else if (unit === "w") days += v * 7n
        else if (unit === "d") days += v
        else nanos += v * UNIT_NANOS[unit]!
        at = UNIT_DURATION_RE.lastIndex
      }
    }
    if (negative) {
      months = -months
      days = -days
      nanos = -nanos
    }
    if (months < BigInt(INT32_MIN) || months > BigInt(INT32_MAX) || days < BigInt(INT32_MIN) || days > BigInt(INT32_MAX)) {
      throw new RangeError(`CqlDuration: months or days out of range in ${JSON.stringify(text)}`)
    }
    return new CqlDuration(Number(months), Number(days), nanos)
  }

  equals(that: unknown): boolean {
    return that instanceof CqlDuration && that.months === this.months && that.days === this.days &&
      that.nanoseconds === this.nanoseconds
  }

  /** ISO 8601: `P1Y2M3DT4H5M6.000000007S`, negative as `-P...`, zero as `PT0S`. Lossless. */
  toString(): string {
    const negative = this.months < 0 || this.days < 0 || this.nanoseconds < 0n
    const months = Math.abs(this.months)
    const days = Math.abs(this.days)
    let nanos = this.nanoseconds < 0n ? -this.nanoseconds : this.nanoseconds
    if (months === 0 && days === 0 && nanos === 0n) return "PT0S"
    let out = negative ? "-P" : "P"
    if (months >= 12) out += `${Math.floor(months / 12)}Y`
    if (months % 12 !== 0) out += `${months % 12}M`
    if (days !== 0) out += `${days}D`
    if (nanos !== 0n) {
      out += "T"
      const h = nanos / UNIT_NANOS["h"]!
      nanos %= UNIT_NANOS["h"]!
      const m = nanos / UNIT_NANOS["m"]!
      nanos %= UNIT_NANOS["m"]!
      const sec = nanos / UNIT_NANOS["s"]!
      const frac = nanos % UNIT_NANOS["s"]!
      if (h !== 0n) out += `${h}H`
      if (m !== 0n) out += `${m}M`
      if (sec !== 0n || frac !== 0n) {
        out += `${sec}`
        if (frac !== 0n) out += "." + frac.toString().padStart(9, "0").replace(/0+$/, "")
        out += "S"
      }
    }
    return out
  }

  toJSON(): string {
    return this.toString()
  }
}
