/**
 * Scalars for the YAML emitter: how a tree value becomes scalar text plus a requested style
 * (what sops gets from go-yaml's `Node.Encode`), and the character analysis go-yaml's emitter
 * runs on every scalar to decide which styles are legal (`yaml_emitter_analyze_scalar`).
 *
 * Characters are handled as Unicode code points; go-yaml works on UTF-8 bytes, so byte lengths
 * are computed where go-yaml compares them (the 128-byte simple-key limit).
 * @module
 */
import { base64Encode, utf8DecodeStrict } from "../../bytes.js"
import { SopsError } from "../../errors.js"
import { formatYamlFloat } from "../../gofmt.js"
import { Timestamp, type Scalar } from "../../tree.js"
import { stringMayBePlain } from "./emit-resolve.js"

/** The scalar styles the emitter can write (go-yaml never picks folded for sops trees). */
export const enum ScalarStyle {
  Plain,
  SingleQuoted,
  DoubleQuoted,
  Literal,
}

/** A scalar ready for the emitter: its text, its explicit tag (if any) and the style asked for. */
export interface ScalarText {
  readonly value: string
  /** `""` for an implicitly typed scalar, else a short tag such as `!!binary`. */
  readonly tag: string
  readonly style: ScalarStyle
  /**
   * Set when go-yaml could not re-read its own output for this string, so that sops' node is
   * left empty and prints as `null` (and cannot carry a comment).
   */
  readonly unreadable?: true
  /** The character analysis of `value`, kept so the writer does not redo it. */
  readonly analysis: ScalarAnalysis
}

/** Which styles the characters of a scalar allow, as go-yaml's emitter decides. */
export interface ScalarAnalysis {
  readonly multiline: boolean
  readonly flowPlainAllowed: boolean
  readonly blockPlainAllowed: boolean
  readonly singleQuotedAllowed: boolean
  readonly blockAllowed: boolean
  /** UTF-8 length in bytes. */
  readonly byteLength: number
  /** Length in code points: the columns the text takes once written unescaped. */
  readonly width: number
}

/** A line break as YAML 1.1 and go-yaml see it: CR, LF, NEL, LS, PS. */
export function isBreakCode(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029
}

/**
 * go-yaml's `is_printable`: LF, printable ASCII, and the BMP outside surrogates, C1 controls,
 * the BOM and U+FFFE/U+FFFF. Characters beyond the BMP count as non-printable, so go-yaml
 * escapes them (`"\U0001F600"`).
 */
export function isPrintableCode(c: number): boolean {
  return (
    c === 0x0a ||
    (c >= 0x20 && c <= 0x7e) ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff)
  )
}

function utf8Width(c: number): number {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4
}

/** Indicators that make a scalar unplain when they are its first character (by char code). */
const FIRST_INDICATOR: Uint8Array = (() => {
  const table = new Uint8Array(128)
  for (const c of "#,[]{}&*!|>'\"%@`") table[c.charCodeAt(0)] = 1
  return table
})()

/**
 * Printable ASCII that no rule of the analysis reacts to after the first character: everything
 * from `!` to `~` except the indicators `,?[]{}:#` (space, tab and breaks are not in it).
 */
const ORDINARY_ASCII: Uint8Array = (() => {
  const table = new Uint8Array(128)
  for (let c = 0x21; c <= 0x7e; c++) table[c] = 1
  for (const c of ",?[]{}:#") table[c.charCodeAt(0)] = 0
  return table
})()

/**
 * Scalars the analysis fast path covers. A regular expression, because V8's compiled regexps
 * scan these long ASCII strings faster than a `charCodeAt` loop with a lookup table.
 */
const PLAIN_SAFE = /^[A-Za-z0-9_./=+$()^~][A-Za-z0-9_./=+$()^~\-,\[\]:]*$/
const FLOW_INDICATOR = /[,\[\]:]/
/** Printable ASCII and LF, with at least one LF: see {@link analyzeMultilineAscii}. */
const MULTILINE_ASCII = /^[\x20-\x7e]*\n[\n\x20-\x7e]*$/

const EMPTY_ANALYSIS: ScalarAnalysis = {
  multiline: false,
  flowPlainAllowed: false,
  blockPlainAllowed: true,
  singleQuotedAllowed: true,
  blockAllowed: false,
  byteLength: 0,
  width: 0,
}

/**
 * Analyses `value` like `yaml_emitter_analyze_scalar`. A fast path covers the common case of
 * ASCII that starts with a letter, digit or one of `_./=+$()^~`, continues with those, `-` or
 * the flow indicators `,[]:`, and does not end with `:` or start with `...` (every `ENC[...]`
 * value).
 */
export function analyzeScalar(value: string): ScalarAnalysis {
  const n = value.length
  if (n === 0) return EMPTY_ANALYSIS
  // A final `:` and a leading `...` (a document marker) need the general rules; `---` cannot
  // pass PLAIN_SAFE, whose first character excludes `-`.
  if (!PLAIN_SAFE.test(value) || value.charCodeAt(n - 1) === 0x3a || value.startsWith("...")) {
    return MULTILINE_ASCII.test(value) ? analyzeMultilineAscii(value) : analyzeSlow(value)
  }
  // Only flow indicators (`,[]:` inside) can be present; `:` is never followed by a blank.
  return {
    multiline: false,
    flowPlainAllowed: !FLOW_INDICATOR.test(value),
    blockPlainAllowed: true,
    singleQuotedAllowed: true,
    blockAllowed: true,
    byteLength: n,
    width: n,
  }
}

/**
 * The analysis of printable ASCII text with at least one LF and no other break or tab (an
 * armored key, a PEM block). A line break rules out both plain styles whatever indicators the
 * text holds, so only the space/break neighbourhoods matter: a space right after a break rules
 * out single quotes, a space right before one rules out single quotes and literal blocks, and
 * so does a trailing space for literal blocks. This is what {@link analyzeSlow} concludes for
 * such text.
 */
function analyzeMultilineAscii(value: string): ScalarAnalysis {
  const breakSpace = value.includes("\n ")
  const spaceBreak = value.includes(" \n")
  const trailingSpace = value.charCodeAt(value.length - 1) === 0x20
  return {
    multiline: true,
    flowPlainAllowed: false,
    blockPlainAllowed: false,
    singleQuotedAllowed: !breakSpace && !spaceBreak,
    blockAllowed: !trailingSpace && !spaceBreak,
    byteLength: value.length,
    width: value.length,
  }
}

function analyzeSlow(value: string): ScalarAnalysis {
  let blockIndicators = false
  let flowIndicators = false
  let lineBreaks = false
  let specialCharacters = false
  let tabCharacters = false
  let leadingSpace = false
  let leadingBreak = false
  let trailingSpace = false
  let trailingBreak = false
  let breakSpace = false
  let spaceBreak = false
  let previousSpace = false
  let previousBreak = false
  let byteLength = 0

  if (value.startsWith("---") || value.startsWith("...")) {
    blockIndicators = true
    flowIndicators = true
  }

  let precededByWhitespace = true
  let width = 0
  const n = value.length
  for (let i = 0; i < n; ) {
    const u = value.charCodeAt(i)
    if (i > 0 && u < 0x80 && ORDINARY_ASCII[u] === 1) {
      // What the general rules below conclude for such a character, without testing each rule.
      byteLength++
      width++
      previousSpace = false
      previousBreak = false
      precededByWhitespace = false
      i++
      continue
    }
    const c = value.codePointAt(i) as number
    const w = c > 0xffff ? 2 : 1
    const next = i + w < n ? value.charCodeAt(i + w) : -1
    const followedByWhitespace = next === -1 || next === 0x20 || next === 0x09
    byteLength += utf8Width(c)
    width++

    if (i === 0) {
      if (c < 0x80 && FIRST_INDICATOR[c] === 1) {
        flowIndicators = true
        blockIndicators = true
      } else if (c === 0x3f || c === 0x3a) {
        // `?` or `:`
        flowIndicators = true
        if (followedByWhitespace) blockIndicators = true
      } else if (c === 0x2d) {
        if (followedByWhitespace) {
          flowIndicators = true
          blockIndicators = true
        }
      }
    } else {
      if (c === 0x2c || c === 0x3f || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d) {
        // `,?[]{}`
        flowIndicators = true
      } else if (c === 0x3a) {
        flowIndicators = true
        if (followedByWhitespace) blockIndicators = true
      } else if (c === 0x23) {
        if (precededByWhitespace) {
          flowIndicators = true
          blockIndicators = true
        }
      }
    }

    if (c === 0x09) {
      tabCharacters = true
    } else if (!isPrintableCode(c)) {
      specialCharacters = true
    }
    const last = i + w === n
    const isBreak = isBreakCode(c)
    if (c === 0x20) {
      if (i === 0) leadingSpace = true
      if (last) trailingSpace = true
      if (previousBreak) breakSpace = true
      previousSpace = true
      previousBreak = false
    } else if (isBreak) {
      lineBreaks = true
      if (i === 0) leadingBreak = true
      if (last) trailingBreak = true
      if (previousSpace) spaceBreak = true
      previousSpace = false
      previousBreak = true
    } else {
      previousSpace = false
      previousBreak = false
    }
    // go-yaml's is_blankz: blank, break or NUL.
    precededByWhitespace = c === 0x20 || c === 0x09 || c === 0 || isBreak
    i += w
  }

  let flowPlainAllowed = true
  let blockPlainAllowed = true
  let singleQuotedAllowed = true
  let blockAllowed = true
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    flowPlainAllowed = false
    blockPlainAllowed = false
  }
  if (trailingSpace) blockAllowed = false
  if (breakSpace) {
    flowPlainAllowed = false
    blockPlainAllowed = false
    singleQuotedAllowed = false
  }
  if (spaceBreak || tabCharacters || specialCharacters) {
    flowPlainAllowed = false
    blockPlainAllowed = false
    singleQuotedAllowed = false
  }
  if (spaceBreak || specialCharacters) blockAllowed = false
  if (lineBreaks) {
    flowPlainAllowed = false
    blockPlainAllowed = false
  }
  if (flowIndicators) flowPlainAllowed = false
  if (blockIndicators) blockPlainAllowed = false
  return {
    multiline: lineBreaks,
    flowPlainAllowed,
    blockPlainAllowed,
    singleQuotedAllowed,
    blockAllowed,
    byteLength,
    width,
  }
}

/**
 * go-yaml's `encodeBase64` for `!!binary`: standard base64, broken into 70-character lines
 * (each followed by a newline) once the encoding reaches 70 characters.
 */
function binaryText(bytes: Uint8Array): string {
  const b64 = base64Encode(bytes)
  if (b64.length < 70) return b64
  const lines: string[] = []
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70) + "\n")
  return lines.join("")
}

/** The style the emitter settles on in block context, outside a simple key. */
function blockContextStyle(requested: ScalarStyle, a: ScalarAnalysis): ScalarStyle {
  let style = requested
  if (style === ScalarStyle.Plain && !a.blockPlainAllowed) style = ScalarStyle.SingleQuoted
  if (style === ScalarStyle.SingleQuoted && !a.singleQuotedAllowed) style = ScalarStyle.DoubleQuoted
  if (style === ScalarStyle.Literal && !a.blockAllowed) style = ScalarStyle.DoubleQuoted
  return style
}

/**
 * A Go string as go-yaml's `stringv` marshals it: newline → literal block, plain when it
 * stays a string, else double-quoted; then the emitter's own downgrades apply. sops re-parses
 * that output into a node, so the style actually written becomes the style requested later.
 */
function stringScalar(s: string): ScalarText {
  const analysis = analyzeScalar(s)
  // A string without line breaks of any kind has no LF either: skip that scan.
  let requested: ScalarStyle
  if (analysis.multiline && s.includes("\n")) requested = ScalarStyle.Literal
  else if (stringMayBePlain(s)) requested = ScalarStyle.Plain
  else requested = ScalarStyle.DoubleQuoted
  const style = blockContextStyle(requested, analysis)
  if (style === ScalarStyle.Literal && s.startsWith("\t")) {
    // go-yaml writes `|` then a first line starting with a tab, which its own scanner rejects
    // while detecting the block's indentation; sops ignores that error and keeps an empty node.
    return { ...simple("null"), unreadable: true }
  }
  // A plain `<<` is read back as the merge key, which go-yaml then writes with its tag.
  const tag = style === ScalarStyle.Plain && s === "<<" ? "!!merge" : ""
  return { value: s, tag, style, analysis }
}

/** A plain, untagged scalar whose text needs no quoting (numbers, booleans, null, times). */
function simple(value: string): ScalarText {
  return { value, tag: "", style: ScalarStyle.Plain, analysis: analyzeScalar(value) }
}

/**
 * The scalar text sops writes for a tree scalar (its `Node.Encode(value)`): `null`,
 * `true`/`false`, decimal ints, Go `'g'` floats, RFC 3339 times, strings with go-yaml's
 * quoting, and byte strings that are not UTF-8 as `!!binary` base64.
 * @throws SopsError `ERR_UNSUPPORTED_VALUE` for a value that is not a scalar
 */
export function scalarText(value: Scalar): ScalarText {
  if (value === null) return simple("null")
  switch (typeof value) {
    case "boolean":
      return simple(value ? "true" : "false")
    case "bigint":
      return simple(value.toString())
    case "number":
      return simple(formatYamlFloat(value))
    case "string":
      return stringScalar(value)
    default:
      break
  }
  if (value instanceof Uint8Array) {
    const text = utf8DecodeStrict(value)
    if (text !== null) return stringScalar(text)
    const b64 = binaryText(value)
    const style = b64.includes("\n") ? ScalarStyle.Literal : ScalarStyle.Plain
    return { value: b64, tag: "!!binary", style, analysis: analyzeScalar(b64) }
  }
  if (value instanceof Timestamp) return simple(value.toRFC3339Nano())
  throw new SopsError("ERR_UNSUPPORTED_VALUE", `YAML cannot emit a value of type ${describeType(value)}`)
}

/** A secret-free description of an unexpected value's type. */
export function describeType(value: unknown): string {
  if (value === undefined) return "undefined"
  if (value === null) return "null"
  if (typeof value === "object") return (value as object).constructor?.name ?? "object"
  return typeof value
}
