/**
 * The in-memory model of a sops document, mirroring sops' `TreeBranches`.
 *
 * Order is significant everywhere: it feeds the MAC and the output. Go types map to JS as:
 *
 * | Go value            | JS value                                   | type tag  |
 * |---------------------|--------------------------------------------|-----------|
 * | `string`            | `string` (valid UTF-8) or `Uint8Array` (any bytes) | `str` |
 * | `int` (64-bit)      | `bigint`                                   | `int`     |
 * | `float64`           | `number`                                   | `float`   |
 * | `bool`              | `boolean`                                  | `bool`    |
 * | `time.Time`         | {@link Timestamp}                          | `time`    |
 * | `nil`               | `null`                                     | -         |
 * | `Comment`           | {@link Comment}                            | `comment` |
 * | `TreeBranch`        | {@link TreeBranch}                         | -         |
 * | `[]interface{}`     | `TreeValue[]` (may hold {@link Comment}s)  | -         |
 *
 * A `Uint8Array` is a Go string whose bytes need not be UTF-8 (binary payloads, dotenv and
 * INI values, YAML `!!binary`); decoding it to a JS string would break the MAC.
 * @module
 */

/** A comment line, without its leading `#` (YAML, dotenv) or `;`/`#` (INI). */
export class Comment {
  /** The comment text, e.g. `" foo"` for `# foo`. */
  readonly value: string
  /** True for an end-of-line YAML comment (`key: value # here`). */
  readonly inline: boolean
  /** @param value - text without the comment marker; @param inline - end-of-line comment */
  constructor(value: string, inline = false) {
    this.value = value
    this.inline = inline
  }
}

/**
 * A YAML mapping key that is not a string (`1: a`, `true: b`). Such trees can be loaded and
 * emitted, but sops refuses to encrypt them.
 */
export class NonStringKey {
  /** The decoded scalar. */
  readonly value: Exclude<Scalar, string>
  /** @param value - the decoded key scalar */
  constructor(value: Exclude<Scalar, string>) {
    this.value = value
  }
}

/**
 * A Go `time.Time` as decoded from a YAML timestamp or a `time` value: the wall clock in its
 * own zone, with nanoseconds and the zone offset kept so RFC 3339 output is exact.
 */
export class Timestamp {
  /** Milliseconds since the epoch of the instant, without the sub-millisecond part. */
  readonly epochMs: number
  /** Nanoseconds within the second, 0..999999999. */
  readonly nanos: number
  /** Zone offset in minutes east of UTC (0 = UTC, written `Z`). */
  readonly offsetMinutes: number

  /**
   * @param epochSeconds - whole seconds since the Unix epoch (UTC)
   * @param nanos - nanoseconds within that second
   * @param offsetMinutes - the zone offset to print the time in
   */
  constructor(epochSeconds: number, nanos = 0, offsetMinutes = 0) {
    this.epochMs = epochSeconds * 1000
    this.nanos = nanos
    this.offsetMinutes = offsetMinutes
  }

  /** Whole seconds since the Unix epoch. */
  get epochSeconds(): number {
    return this.epochMs / 1000
  }

  /** The instant as a JS Date (sub-millisecond digits are dropped). */
  toDate(): Date {
    return new Date(this.epochMs + Math.floor(this.nanos / 1e6))
  }

  /** Go's `time.RFC3339Nano` layout: trailing zeros of the fraction trimmed. */
  toRFC3339Nano(): string {
    let frac = ""
    if (this.nanos !== 0) {
      frac = "." + String(this.nanos).padStart(9, "0").replace(/0+$/, "")
    }
    return this.wall() + frac + this.zone()
  }

  /** Go's `time.RFC3339` layout: seconds precision. */
  toRFC3339(): string {
    return this.wall() + this.zone()
  }

  /** Same as {@link Timestamp.toRFC3339Nano}. */
  toString(): string {
    return this.toRFC3339Nano()
  }

  private wall(): string {
    const d = new Date(this.epochMs + this.offsetMinutes * 60_000)
    const y = d.getUTCFullYear()
    const pad = (n: number, w = 2): string => String(n).padStart(w, "0")
    const year = y < 0 ? "-" + pad(-y, 4) : pad(y, 4)
    return `${year}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  }

  private zone(): string {
    if (this.offsetMinutes === 0) return "Z"
    const sign = this.offsetMinutes < 0 ? "-" : "+"
    const abs = Math.abs(this.offsetMinutes)
    return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`
  }

  /** Builds a Timestamp from a JS Date, in UTC. */
  static fromDate(date: Date): Timestamp {
    const ms = date.getTime()
    const secs = Math.floor(ms / 1000)
    return new Timestamp(secs, (ms - secs * 1000) * 1e6, 0)
  }
}

/** A leaf value. */
export type Scalar = string | Uint8Array | bigint | number | boolean | Timestamp | null

/** Any value that can sit in a tree. */
export type TreeValue = Scalar | Comment | TreeBranch | TreeValue[]

/** A mapping key: a string, a comment line, or (YAML only) a non-string scalar. */
export type TreeKey = string | Comment | NonStringKey

/** One entry of a mapping, or a comment line when `key` is a {@link Comment} (then `value` is null). */
export interface TreeItem {
  key: TreeKey
  value: TreeValue
}

/** An ordered mapping. Duplicate keys are not prevented (JSON and dotenv keep them). */
export class TreeBranch {
  /** The entries, in document order. */
  items: TreeItem[]
  /** @param items - the entries, in order (the array is used as is, not copied) */
  constructor(items: TreeItem[] = []) {
    this.items = items
  }

  /** The value of the first item with this string key, or undefined. */
  get(key: string): TreeValue | undefined {
    for (const item of this.items) if (item.key === key) return item.value
    return undefined
  }

  /** Whether an item with this string key exists. */
  has(key: string): boolean {
    for (const item of this.items) if (item.key === key) return true
    return false
  }
}

/** One branch per document; only YAML can hold more than one. */
export type TreeBranches = TreeBranch[]

/** The type tag sops writes into `ENC[...,type:<tag>]`. */
export type TypeTag = "str" | "int" | "float" | "bool" | "time" | "comment" | "bytes"

/** True for a value that is a Go string (`string` or a raw byte string). */
export function isStringValue(v: unknown): v is string | Uint8Array {
  return typeof v === "string" || v instanceof Uint8Array
}
