/**
 * The emitter's view of go-yaml v3's implicit typing (`resolve.go`, `encode.go:stringv`):
 * whether a Go string may be written as a plain scalar without changing type when read back.
 *
 * go-yaml double-quotes a string whose plain form would resolve to null, a bool, an int, a float,
 * a timestamp or the merge key, and also (for YAML 1.1 readers) YAML 1.1 booleans and base-60
 * numbers. The rules here copy go-yaml's observable decisions, including its quirks: legacy
 * octal `017` is an int, `08` is a float, `1e400` (out of range) stays a string, and `<<` is not
 * caught here at all (the node layer gives it the `!!merge` tag instead).
 * @module
 */

/** Words go-yaml maps to a non-string value whatever the first character's class. */
const RESOLVE_WORDS: ReadonlySet<string> = new Set([
  "true", "True", "TRUE", "false", "False", "FALSE",
  "", "~", "null", "Null", "NULL",
  ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
  "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
])

/** YAML 1.1 booleans: go-yaml quotes them so that YAML 1.1 readers keep them strings. */
const OLD_BOOLS: ReadonlySet<string> = new Set([
  "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
  "n", "N", "no", "No", "NO", "off", "Off", "OFF",
])

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/
const YAML_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/
const DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/
const DOT_FLOAT_UNDERSCORED = /^\.[0-9_]+(?:[eE][-+]?[0-9_]+)?$/

const INT64_MAX = (1n << 63n) - 1n
const INT64_MIN = -(1n << 63n)
const UINT64_MAX = (1n << 64n) - 1n

/**
 * The first-character classes go-yaml's resolver dispatches on: `S` sign, `D` digit, `M` a
 * letter that can start a map word, `.` a dot, `N` the empty string, `0` anything else
 * (always a string).
 */
function hintOf(s: string): string {
  if (s.length === 0) return "N"
  const c = s[0] as string
  if (c === "+" || c === "-") return "S"
  if (c >= "0" && c <= "9") return "D"
  if ("yYnNtTfFoO~".includes(c)) return "M"
  if (c === ".") return "."
  return "0"
}

/**
 * Go `strconv.ParseInt(s, 0, 64)` followed by `ParseUint(s, 0, 64)`: true when either accepts
 * `s` (underscores already removed). Base prefixes `0x`, `0o`, `0b` and a bare leading `0`
 * (octal) are honoured.
 */
function isGoInt(s: string): boolean {
  let i = 0
  let neg = false
  let signed = false
  if (s[0] === "+" || s[0] === "-") {
    neg = s[0] === "-"
    signed = true
    i = 1
  }
  let digits: RegExp
  let prefix = ""
  const rest = s.slice(i)
  if (/^0[xX]/.test(rest)) {
    digits = /^[0-9a-fA-F]+$/
    prefix = "0x"
  } else if (/^0[oO]/.test(rest)) {
    digits = /^[0-7]+$/
    prefix = "0o"
  } else if (/^0[bB]/.test(rest)) {
    digits = /^[01]+$/
    prefix = "0b"
  } else if (rest.length > 1 && rest[0] === "0") {
    digits = /^[0-7]+$/
    prefix = "0o"
  } else {
    digits = /^[0-9]+$/
  }
  const body = prefix === "0o" && !/^0[oO]/.test(rest) ? rest.slice(1) : rest.slice(prefix.length)
  if (!digits.test(body)) return false
  const magnitude = BigInt(prefix === "" ? body : prefix + body)
  const value = neg ? -magnitude : magnitude
  if (value >= INT64_MIN && value <= INT64_MAX) return true
  // ParseUint accepts no sign at all.
  return !signed && value <= UINT64_MAX
}

/**
 * Go `strconv.ParseFloat` on text starting with `.`: decimal digits with an optional exponent,
 * where (as in Go literals) an underscore may only sit between two digits.
 */
function isGoDotFloat(s: string): boolean {
  if (!s.includes("_")) return DOT_FLOAT.test(s) && parsesAsFiniteFloat(s)
  if (!DOT_FLOAT_UNDERSCORED.test(s) || /(?:^|[^0-9])_|_(?:[^0-9]|$)/.test(s)) return false
  const plain = s.replaceAll("_", "")
  return DOT_FLOAT.test(plain) && parsesAsFiniteFloat(plain)
}

/** Go `strconv.ParseFloat` success for text already matching a decimal float syntax. */
function parsesAsFiniteFloat(s: string): boolean {
  return Number.isFinite(Number(s))
}

/**
 * Reads a Go `getnum(s, false)` number: one or two digits, greedily.
 * Returns `[value, nextIndex]` or null.
 */
function getNum(s: string, i: number): [number, number] | null {
  const a = s.charCodeAt(i) - 48
  if (!(a >= 0 && a <= 9)) return null
  const b = s.charCodeAt(i + 1) - 48
  if (!(b >= 0 && b <= 9)) return [a, i + 1]
  return [a * 10 + b, i + 2]
}

function daysIn(month: number, year: number): number {
  if (month === 2) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
    return leap ? 29 : 28
  }
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number
}

/**
 * Whether go-yaml's `parseTimestamp` accepts `s`: Go `time.Parse` with one of the layouts
 * `2006-1-2T15:4:5.999999999Z07:00`, the same with a lower-case `t`, `2006-1-2 15:4:5.999999999`
 * and `2006-1-2`, after checking that `s` starts with exactly four digits and a `-`.
 */
export function isGoYamlTimestamp(s: string): boolean {
  if (!/^[0-9]{4}-/.test(s)) return false
  const year = Number(s.slice(0, 4))
  const m = getNum(s, 5)
  if (m === null || m[0] < 1 || m[0] > 12 || s[m[1]] !== "-") return false
  const d = getNum(s, m[1] + 1)
  if (d === null) return false
  const dayOk = d[0] >= 1 && d[0] <= daysIn(m[0], year)
  let i = d[1]
  if (i === s.length) return dayOk
  const sep = s[i]
  if (sep !== "T" && sep !== "t" && sep !== " ") return false
  const hour = getNum(s, i + 1)
  if (hour === null || hour[0] >= 24 || s[hour[1]] !== ":") return false
  const min = getNum(s, hour[1] + 1)
  if (min === null || min[0] >= 60 || s[min[1]] !== ":") return false
  const sec = getNum(s, min[1] + 1)
  if (sec === null || sec[0] >= 60) return false
  i = sec[1]
  // Fractional seconds: a period or comma followed by at least one digit.
  if ((s[i] === "." || s[i] === ",") && /[0-9]/.test(s[i + 1] ?? "")) {
    i += 2
    while (i < s.length && /[0-9]/.test(s[i] as string)) i++
  }
  if (sep === " ") return i === s.length && dayOk
  // A zone is mandatory for the `T` layouts: `Z` or `±hh:mm`.
  if (s[i] === "Z") return i + 1 === s.length && dayOk
  const zone = s.slice(i)
  const z = /^([+-])([0-9]{2}):([0-9]{2})$/.exec(zone)
  if (z === null) return false
  return Number(z[2]) <= 24 && Number(z[3]) <= 60 && dayOk
}

/** True when go-yaml's resolver gives plain text `s` the `!!str` tag. */
export function resolvesToString(s: string): boolean {
  const hint = hintOf(s)
  if (hint === "0") return true
  if (RESOLVE_WORDS.has(s)) return false
  switch (hint) {
    case ".":
      return !isGoDotFloat(s)
    case "D":
    case "S": {
      if (isGoYamlTimestamp(s)) return false
      const plain = s.includes("_") ? s.replaceAll("_", "") : s
      if (isGoInt(plain)) return false
      if (YAML_FLOAT.test(plain) && parsesAsFiniteFloat(plain)) return false
      return true
    }
    default:
      return true
  }
}

/** go-yaml's `isBase60Float`: YAML 1.1 sexagesimal numbers such as `1:20`. */
function isBase60Float(s: string): boolean {
  const c = s[0]
  if (c === undefined || !(c === "+" || c === "-" || (c >= "0" && c <= "9")) || !s.includes(":")) return false
  return BASE60_FLOAT.test(s)
}

/**
 * Whether go-yaml's `stringv` lets a Go string be written plain: it must resolve to a string
 * and be neither a YAML 1.1 boolean nor a base-60 number. (The emitter may still quote it for
 * syntactic reasons; see `emit-scalar.ts`.)
 */
export function stringMayBePlain(s: string): boolean {
  return resolvesToString(s) && !OLD_BOOLS.has(s) && !isBase60Float(s)
}
