/**
 * Plain-scalar typing as go-yaml v3 does it (`resolve.go`), and the decoding of a scalar node
 * into a sops tree value (`decode.go`, decoding into `interface{}`).
 *
 * Integers are `bigint`. A value above int64 but within uint64 is what Go decodes as a
 * `uint64`, which sops cannot walk: it is kept as a `bigint` greater than
 * {@link INT64_MAX}, and the tree walker must refuse such a value
 * ("Cannot walk value, unknown type: uint64").
 * @module
 */
import { base64DecodeStrict, bytesToStringValue } from "../../bytes.js"
import { Timestamp, type Scalar } from "../../tree.js"

/** Largest Go `int`. */
export const INT64_MAX = (1n << 63n) - 1n
/** Largest Go `uint64`. */
export const UINT64_MAX = (1n << 64n) - 1n

/** go-yaml's short tags. */
export const Tags = {
  null: "!!null",
  bool: "!!bool",
  str: "!!str",
  int: "!!int",
  float: "!!float",
  timestamp: "!!timestamp",
  seq: "!!seq",
  map: "!!map",
  binary: "!!binary",
  merge: "!!merge",
} as const

const LONG_PREFIX = "tag:yaml.org,2002:"

/** `tag:yaml.org,2002:str` → `!!str`; other tags unchanged. */
export function shortTag(tag: string): string {
  return tag.startsWith(LONG_PREFIX) ? "!!" + tag.slice(LONG_PREFIX.length) : tag
}

/** A failed typed decode (`!!int abc`, bad `!!binary`): go-yaml's error text. */
export class ResolveError extends Error {}

const FIXED = new Map<string, [string, Scalar]>()
for (const s of ["true", "True", "TRUE"]) FIXED.set(s, [Tags.bool, true])
for (const s of ["false", "False", "FALSE"]) FIXED.set(s, [Tags.bool, false])
for (const s of ["", "~", "null", "Null", "NULL"]) FIXED.set(s, [Tags.null, null])
for (const s of [".nan", ".NaN", ".NAN"]) FIXED.set(s, [Tags.float, Number.NaN])
for (const s of [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]) FIXED.set(s, [Tags.float, Number.POSITIVE_INFINITY])
for (const s of ["-.inf", "-.Inf", "-.INF"]) FIXED.set(s, [Tags.float, Number.NEGATIVE_INFINITY])
FIXED.set("<<", [Tags.merge, "<<"])

const RESOLVABLE = new Set(["", Tags.str, Tags.bool, Tags.int, Tags.float, Tags.null, Tags.timestamp])
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/
const DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/

/**
 * False when a plain scalar starting with this code unit can only resolve to a string: the
 * complement of the characters {@link hintOf} gives a class to (NaN, for "", has one).
 */
function mayResolve(c: number): boolean {
  if (c >= 0x30 && c <= 0x39) return true // digits
  switch (c) {
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x7e: // ~
    case 0x79: // y
    case 0x59: // Y
    case 0x6e: // n
    case 0x4e: // N
    case 0x74: // t
    case 0x54: // T
    case 0x66: // f
    case 0x46: // F
    case 0x6f: // o
    case 0x4f: // O
      return true
    default:
      return Number.isNaN(c)
  }
}

/** First-character classes of go-yaml's resolve table: S sign, D digit, M map-only, . dot. */
function hintOf(c: string | undefined): string {
  if (c === undefined) return "N"
  if (c === "+" || c === "-") return "S"
  if (c >= "0" && c <= "9") return "D"
  if ("yYnNtTfFoO~".includes(c)) return "M"
  if (c === ".") return "."
  return ""
}

const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }

/** Go `strconv.ParseUint(s, base, 64)` without underscores; null on error. Base 0 reads prefixes. */
function parseUint(s: string, base: number): bigint | null {
  if (s.length === 0) return null
  let digits = s
  if (base === 0) {
    base = 10
    if (s[0] === "0") {
      const p = s.length >= 3 ? s[1]!.toLowerCase() : ""
      if (p === "b") base = 2
      else if (p === "o") base = 8
      else if (p === "x") base = 16
      else base = 8
      digits = base === 8 && p !== "o" ? s.slice(1) : s.slice(2)
      if (digits.length === 0) return base === 8 && p !== "o" ? 0n : null
    }
  }
  if (!DIGITS[base]!.test(digits)) return null
  const prefix = base === 16 ? "0x" : base === 8 ? "0o" : base === 2 ? "0b" : ""
  const v = BigInt(prefix + digits)
  return v > UINT64_MAX ? null : v
}

/** Go `strconv.ParseInt(s, base, 64)`; null on error. */
function parseInt64(s: string, base: number): bigint | null {
  if (s.length === 0) return null
  let neg = false
  let body = s
  if (s[0] === "+" || s[0] === "-") {
    neg = s[0] === "-"
    body = s.slice(1)
  }
  const u = parseUint(body, base)
  if (u === null) return null
  if (!neg && u > INT64_MAX) return null
  if (neg && u > INT64_MAX + 1n) return null
  return neg ? -u : u
}

/** Go `strconv.ParseFloat` for the decimal forms admitted by the callers; null on overflow. */
function parseFloat64(s: string): number | null {
  const v = Number(s)
  return Number.isFinite(v) ? v : null
}

/**
 * Types a scalar as go-yaml's `resolve(tag, in)`: returns the resolved short tag and value.
 * Throws {@link ResolveError} when an explicit tag does not fit the text.
 */
export function resolve(tagIn: string, text: string): [string, Scalar] {
  const tag = shortTag(tagIn)
  if (!RESOLVABLE.has(tag)) return [tag, text]
  const [rtag, out] = resolveUntyped(tag, text)
  if (tag === "" || tag === rtag || tag === Tags.str) return [rtag, out]
  if (tag === Tags.float && rtag === Tags.int && typeof out === "bigint") return [Tags.float, Number(out)]
  // go-yaml quotes the text here; it may be a secret, so we name only the tags.
  throw new ResolveError(`cannot decode a ${rtag} value as a ${tag}`)
}

function resolveUntyped(tag: string, text: string): [string, Scalar] {
  const hint = hintOf(text[0])
  if (hint !== "" && tag !== Tags.str) {
    const fixed = FIXED.get(text)
    if (fixed !== undefined) return fixed
    if (hint === ".") {
      if (DOT_FLOAT.test(text)) {
        const f = parseFloat64(text)
        if (f !== null) return [Tags.float, f]
      }
    } else if (hint === "D" || hint === "S") {
      if (tag === "" || tag === Tags.timestamp) {
        const t = parseTimestamp(text)
        if (t !== null) return [Tags.timestamp, t]
      }
      const plain = text.replaceAll("_", "")
      const i = parseInt64(plain, 0)
      if (i !== null) return [Tags.int, i]
      const u = plain[0] === "+" || plain[0] === "-" ? null : parseUint(plain, 0)
      if (u !== null) return [Tags.int, u]
      if (YAML_STYLE_FLOAT.test(plain)) {
        const f = parseFloat64(plain)
        if (f !== null) return [Tags.float, f]
      }
      // go-yaml retries explicit 0b/0o prefixes with a sign after the prefix ("0b-1").
      for (const [prefix, base] of [["0b", 2], ["0o", 8]] as const) {
        if (plain.startsWith(prefix)) {
          const v = parseInt64(plain.slice(2), base)
          if (v !== null) return [Tags.int, v]
          const w = plain[2] === "+" || plain[2] === "-" ? null : parseUint(plain.slice(2), base)
          if (w !== null) return [Tags.int, w]
        } else if (plain.startsWith("-" + prefix)) {
          const v = parseInt64("-" + plain.slice(3), base)
          if (v !== null) return [Tags.int, v]
        }
      }
    }
  }
  return [Tags.str, text]
}

const TS_RE = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:([Tt ])([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

/**
 * go-yaml's timestamp forms: `2006-1-2T15:4:5.999999999Z07:00` (also with `t`),
 * `2006-1-2 15:4:5.999999999` (UTC) and `2006-1-2`, with Go's range checks.
 */
export function parseTimestamp(s: string): Timestamp | null {
  const m = TS_RE.exec(s)
  if (m === null) return null
  const [, y, mo, d, sep, hh, mi, ss, frac, zone] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return null
  let hour = 0
  let minute = 0
  let second = 0
  let nanos = 0
  let offset = 0
  if (sep !== undefined) {
    // "T"/"t" layouts need a zone; the space layout has none.
    if ((sep === " ") !== (zone === undefined)) return null
    hour = Number(hh)
    minute = Number(mi)
    second = Number(ss)
    if (hour > 23 || minute > 59 || second > 59) return null
    if (frac !== undefined) nanos = Number(frac.slice(0, 9).padEnd(9, "0"))
    if (zone !== undefined && zone !== "Z") {
      const zh = Number(zone.slice(1, 3))
      const zm = Number(zone.slice(4, 6))
      if (zh > 24 || zm > 60) return null
      offset = (zone[0] === "-" ? -1 : 1) * (zh * 60 + zm)
    }
  }
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, 0)
  return new Timestamp(date.getTime() / 1000 - offset * 60, nanos, offset)
}

/** A scalar node as the decoder sees it. */
export interface ScalarInput {
  /** Tag as set on the node: a short tag, "" or "!". */
  readonly tag: string
  readonly value: string
  /** True for quoted and block scalars. */
  readonly quoted: boolean
}

/** Go's `base64.StdEncoding.DecodeString`, which skips CR and LF. */
function decodeBinary(text: string): Uint8Array {
  const bytes = base64DecodeStrict(text.replace(/[\r\n]/g, ""))
  if (bytes === null) throw new ResolveError("!!binary value contains invalid base64 data")
  return bytes
}

/**
 * Decodes a scalar node as go-yaml decodes it into `interface{}`: indicated strings stay
 * strings, `!!binary` becomes bytes (a JS string when valid UTF-8), anything else resolves.
 */
export function decodeScalar(node: ScalarInput): Scalar {
  if (node.tag === "") {
    if (node.quoted) return node.value
    // An untagged plain scalar whose first character starts no null, bool, number or
    // timestamp form resolves to itself (resolveUntyped's hint is ""): most sops values.
    if (!mayResolve(node.value.charCodeAt(0))) return node.value
  }
  const tag = shortTag(node.tag)
  if (tag === Tags.str || ((node.tag === "" || node.tag === "!") && node.quoted)) return node.value
  const [rtag, value] = resolve(node.tag, node.value)
  if (rtag === Tags.binary) return bytesToStringValue(decodeBinary(String(value)))
  return value
}
