/**
 * Go's number printing, which sops output depends on. Four printers matter (see the format
 * spec, trap 6): `strconv.FormatFloat(f, 'f', -1)` for the cipher and MAC, `'g'` for YAML,
 * `encoding/json`'s float format, and `'G'` with a `.0` fallback for dotenv/INI.
 *
 * All use the shortest digit string that round-trips, which is what JS `toExponential()`
 * produces too; only the layout differs.
 * @module
 */

interface Digits {
  neg: boolean
  /** Significant decimal digits, no leading/trailing zeros ("" for zero). */
  d: string
  /** Decimal point position: value = 0.d × 10^dp. */
  dp: number
}

function shortestDigits(x: number): Digits {
  const neg = x < 0 || Object.is(x, -0)
  const a = Math.abs(x)
  if (a === 0) return { neg, d: "", dp: 0 }
  const [mant, exp] = a.toExponential().split("e") as [string, string]
  const d = mant.replace(".", "")
  return { neg, d, dp: Number(exp) + 1 }
}

function special(x: number): string | null {
  if (Number.isNaN(x)) return "NaN"
  if (x === Infinity) return "+Inf"
  if (x === -Infinity) return "-Inf"
  return null
}

function fmtF(g: Digits, frac: number): string {
  let intPart: string
  if (g.dp > 0) {
    intPart = g.d.length >= g.dp ? g.d.slice(0, g.dp) : g.d + "0".repeat(g.dp - g.d.length)
  } else {
    intPart = "0"
  }
  let s = (g.neg ? "-" : "") + intPart
  if (frac > 0) {
    let f = ""
    for (let i = 0; i < frac; i++) {
      const j = g.dp + i
      f += j < 0 || j >= g.d.length ? "0" : g.d[j]
    }
    s += "." + f
  }
  return s
}

function fmtE(g: Digits, frac: number, e: "e" | "E"): string {
  const first = g.d.length > 0 ? g.d[0] : "0"
  let s = (g.neg ? "-" : "") + first
  if (frac > 0) {
    let f = ""
    for (let i = 1; i <= frac; i++) f += i < g.d.length ? g.d[i] : "0"
    s += "." + f
  }
  const exp = g.d.length === 0 ? 0 : g.dp - 1
  const sign = exp < 0 ? "-" : "+"
  const ae = Math.abs(exp)
  return s + e + sign + (ae < 10 ? "0" + ae : String(ae))
}

/** `strconv.FormatFloat(x, 'f', -1, 64)`: shortest digits, never an exponent. */
export function formatFloatF(x: number): string {
  const sp = special(x)
  if (sp !== null) return sp
  const g = shortestDigits(x)
  return fmtF(g, Math.max(g.d.length - g.dp, 0))
}

function formatG(x: number, e: "e" | "E"): string {
  const sp = special(x)
  if (sp !== null) return sp
  const g = shortestDigits(x)
  const exp = g.d.length === 0 ? 0 : g.dp - 1
  // Go: with shortest precision, %e is used when exp < -4 || exp >= 6.
  if (exp < -4 || exp >= 6) return fmtE(g, Math.max(g.d.length - 1, 0), e)
  return fmtF(g, Math.max(g.d.length - g.dp, 0))
}

/** `strconv.FormatFloat(x, 'g', -1, 64)`: exponent form when exp < -4 or exp >= 6 (shortest). */
export function formatFloatG(x: number): string {
  return formatG(x, "e")
}

/** `strconv.FormatFloat(x, 'G', -1, 64)`. */
export function formatFloatUpperG(x: number): string {
  return formatG(x, "E")
}

/**
 * go-yaml's float scalar: `'g'` with `.inf`, `-.inf`, `.nan`.
 */
export function formatYamlFloat(x: number): string {
  if (Number.isNaN(x)) return ".nan"
  if (x === Infinity) return ".inf"
  if (x === -Infinity) return "-.inf"
  return formatFloatG(x)
}

/**
 * Go `encoding/json` float format: `'f'` unless |x| < 1e-6 or |x| >= 1e21, then `'e'` with
 * `e-07` shortened to `e-7`. Returns null for NaN and infinities (json: unsupported value).
 */
export function formatJsonFloat(x: number): string | null {
  if (!Number.isFinite(x)) return null
  const a = Math.abs(x)
  if (a !== 0 && (a < 1e-6 || a >= 1e21)) {
    const g = shortestDigits(x)
    let s = fmtE(g, Math.max(g.d.length - 1, 0), "e")
    s = s.replace(/e-0(\d)$/, "e-$1")
    return s
  }
  return formatFloatF(x)
}

/**
 * sops `stores.ValToString` for floats: `'G'`, or `'f'` with one decimal when that has
 * neither `.` nor `E` (`100` prints `100.0`).
 */
export function formatFloatValToString(x: number): string {
  const s = formatFloatUpperG(x)
  if (s.includes(".") || s.includes("E")) return s
  if (!Number.isFinite(x)) return s
  const g = shortestDigits(x)
  return fmtF(g, 1)
}
