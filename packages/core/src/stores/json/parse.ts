/**
 * The JSON reader of the JSON and binary stores, with the semantics of sops' token-stream
 * decoding through Go `encoding/json` (format spec 1.4):
 *
 * - the document must start with `{`; parsing stops at the matching `}` and anything after it
 *   is ignored;
 * - object members stay in file order and duplicates are kept;
 * - an integer literal that fits int64 becomes a `bigint` (exact), any other number a float;
 * - strings are decoded as Go does: invalid UTF-8 and unpaired surrogate escapes become U+FFFD.
 *
 * `JSON.parse` can do none of the last three, hence a hand-written scanner. It works on the
 * bytes directly and is iterative, so deep nesting cannot overflow the call stack.
 * @module
 */
import { SopsError } from "../../errors.js"
import { TreeBranch, type TreeItem, type TreeValue } from "../../tree.js"
import { decodeAscii, decodeUtf8GoLossy } from "./utf8.js"

/**
 * Deepest nesting accepted, counting the top-level object as 1. sops itself has no bound here;
 * this one keeps hostile input from exhausting the call stack of recursive tree walkers later
 * in the pipeline, while being far beyond any real secrets file.
 */
export const JSON_MAX_DEPTH = 1000

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

// Byte values used by the scanner.
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const LBRACE = 0x7b
const RBRACE = 0x7d
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const MINUS = 0x2d

const PREFIX = "Could not unmarshal input data: "

/**
 * Parses a JSON document whose top level is an object into a {@link TreeBranch}.
 *
 * @param input - the file bytes (UTF-8; a BOM is rejected, as Go does)
 * @returns the top-level object, members in file order
 * @throws SopsError `ERR_FORMAT` for empty input, a top level that is not an object, malformed
 *   JSON (with the byte offset, line and column in the message and `details`), or a number
 *   outside the float64 range
 */
export function parseJsonObject(input: Uint8Array, options: JsonParseOptions = {}): TreeBranch {
  return new Reader(input, options.rawTopLevelString ?? null).readDocument()
}

/** Options of {@link parseJsonObject}. */
export interface JsonParseOptions {
  /**
   * A top-level member whose string value, when it is plain ASCII without escapes, is returned
   * as a view of the input bytes (`Uint8Array`, same text) instead of a JS string. The binary
   * store's decrypt uses it so a many-megabyte payload never becomes a string.
   */
  readonly rawTopLevelString?: string
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  return -1
}

/** Go's `quoteChar`: how a byte is shown in a syntax error. */
function showByte(c: number): string {
  if (c === 0x27) return "'\\''"
  if (c === QUOTE) return "'\"'"
  if (c < 0x20 || c === 0x7f) {
    const named: Record<number, string> = { 0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0b: "\\v", 0x0c: "\\f", 0x0d: "\\r" }
    return `'${named[c] ?? "\\x" + c.toString(16).padStart(2, "0")}'`
  }
  return `'${String.fromCharCode(c)}'`
}

class Reader {
  private readonly b: Uint8Array
  private readonly rawKey: string | null
  private pos = 0

  constructor(b: Uint8Array, rawKey: string | null) {
    this.b = b
    this.rawKey = rawKey
  }

  readDocument(): TreeBranch {
    const b = this.b
    this.pos = this.skipWs(0)
    if (this.pos >= b.length) throw new SopsError("ERR_FORMAT", PREFIX + "EOF", { details: { offset: this.pos } })
    const c = b[this.pos]!
    if (c === LBRACE) return this.readObjectTree()
    if (c === LBRACKET) {
      throw new SopsError(
        "ERR_FORMAT",
        PREFIX +
          "SOPS only supports JSON files with a top-level object (starting with '{'), not arrays or other types. " +
          'Got delimiter [ instead. To encrypt this file, wrap it in an object, e.g., {"data": [...]}',
      )
    }
    // A scalar: read it so that malformed input gets a syntax error rather than a type error.
    const v = this.readScalar()
    const goType =
      v === null ? "<nil>" : typeof v === "bigint" ? "int" : typeof v === "number" ? "float64" : typeof v === "boolean" ? "bool" : "string"
    // The value itself is not shown: it could be a secret.
    const shown = v === null || typeof v === "boolean" ? String(v ?? "<nil>") : "a value"
    throw new SopsError(
      "ERR_FORMAT",
      PREFIX +
        "SOPS only supports JSON files with a top-level object (starting with '{'), not other JSON types. " +
        `Got ${shown} of type ${goType} instead`,
    )
  }

  private skipWs(pos: number): number {
    const b = this.b
    for (;;) {
      const c = b[pos]
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++
      else return pos
    }
  }

  /** A syntax error at `pos`, worded like Go's, with the position appended. */
  private syntax(pos: number, context: string): SopsError {
    const b = this.b
    const what = pos >= b.length ? "unexpected end of JSON input" : `invalid character ${showByte(b[pos]!)} ${context}`
    let line = 1
    let lineStart = 0
    const stop = Math.min(pos, b.length)
    for (let i = 0; i < stop; i++) {
      if (b[i] === 0x0a) {
        line++
        lineStart = i + 1
      }
    }
    const column = stop - lineStart + 1
    return new SopsError("ERR_FORMAT", `${PREFIX}${what} at line ${line}, column ${column} (offset ${pos})`, {
      details: { offset: pos, line, column },
    })
  }

  /** Reads the top-level object; `pos` is at its `{`. */
  private readObjectTree(): TreeBranch {
    const b = this.b
    const root = new TreeBranch([])
    const stack: (TreeItem[] | TreeValue[])[] = []
    const kinds: boolean[] = []
    let cur: TreeItem[] | TreeValue[] = root.items
    let inObject = true
    let pos = this.pos + 1
    let justOpened = true

    for (;;) {
      pos = this.skipWs(pos)
      let c = b[pos]
      if (justOpened && c === (inObject ? RBRACE : RBRACKET)) {
        pos++
        if (stack.length === 0) {
          this.pos = pos
          return root
        }
        cur = stack.pop()!
        inObject = kinds.pop()!
      } else {
        let key = ""
        if (inObject) {
          if (c !== QUOTE) throw this.syntax(pos, "looking for beginning of object key string")
          this.pos = pos
          key = this.readString()
          pos = this.skipWs(this.pos)
          if (b[pos] !== COLON) throw this.syntax(pos, "after object key")
          pos = this.skipWs(pos + 1)
          c = b[pos]
        }
        if (c === LBRACE || c === LBRACKET) {
          if (stack.length + 1 >= JSON_MAX_DEPTH) {
            throw new SopsError("ERR_FORMAT", `${PREFIX}exceeded max depth of ${JSON_MAX_DEPTH} at offset ${pos}`, {
              details: { offset: pos },
            })
          }
          const isObj: boolean = c === LBRACE
          const child = isObj ? new TreeBranch([]) : []
          if (inObject) (cur as TreeItem[]).push({ key, value: child })
          else (cur as TreeValue[]).push(child)
          stack.push(cur)
          kinds.push(inObject)
          cur = isObj ? (child as TreeBranch).items : (child as TreeValue[])
          inObject = isObj
          justOpened = true
          pos++
          continue
        }
        this.pos = pos
        const value =
          c === QUOTE && inObject && stack.length === 0 && key === this.rawKey ? this.readStringOrView() : this.readScalar()
        pos = this.pos
        if (inObject) (cur as TreeItem[]).push({ key, value })
        else (cur as TreeValue[]).push(value)
      }

      // After a value: a comma, or the end of one or more containers.
      for (;;) {
        pos = this.skipWs(pos)
        const d = b[pos]
        if (d === COMMA) {
          pos++
          justOpened = false
          break
        }
        if (d === (inObject ? RBRACE : RBRACKET)) {
          pos++
          if (stack.length === 0) {
            this.pos = pos
            return root
          }
          cur = stack.pop()!
          inObject = kinds.pop()!
          continue
        }
        throw this.syntax(pos, inObject ? "after object key:value pair" : "after array element")
      }
    }
  }

  /** Reads a string, number, `true`, `false` or `null` at `pos`. */
  private readScalar(): TreeValue {
    const b = this.b
    const c = b[this.pos]
    if (c === QUOTE) return this.readString()
    if (c === MINUS || isDigit(c)) return this.readNumber()
    if (c === 0x74) return this.readLiteral("true", true)
    if (c === 0x66) return this.readLiteral("false", false)
    if (c === 0x6e) return this.readLiteral("null", null)
    throw this.syntax(this.pos, "looking for beginning of value")
  }

  private readLiteral<T>(word: string, value: T): T {
    const b = this.b
    const start = this.pos
    for (let i = 1; i < word.length; i++) {
      if (b[start + i] !== word.charCodeAt(i)) {
        throw this.syntax(start + i, `in literal ${word} (expecting '${word[i]}')`)
      }
    }
    this.pos = start + word.length
    return value
  }

  private readNumber(): bigint | number {
    const b = this.b
    const start = this.pos
    let pos = start
    if (b[pos] === MINUS) pos++
    if (b[pos] === 0x30) pos++
    else if (isDigit(b[pos])) {
      while (isDigit(b[pos])) pos++
    } else throw this.syntax(pos, "in numeric literal")
    let isInt = true
    if (b[pos] === 0x2e) {
      pos++
      if (!isDigit(b[pos])) throw this.syntax(pos, "after decimal point in numeric literal")
      while (isDigit(b[pos])) pos++
      isInt = false
    }
    if (b[pos] === 0x65 || b[pos] === 0x45) {
      pos++
      if (b[pos] === 0x2b || b[pos] === MINUS) pos++
      if (!isDigit(b[pos])) throw this.syntax(pos, "in exponent of numeric literal")
      while (isDigit(b[pos])) pos++
      isInt = false
    }
    this.pos = pos
    const text = decodeAscii(b, start, pos)
    if (isInt) {
      // Up to 15 digits always fits in a double exactly, so skip the BigInt range check.
      if (pos - start <= 15) return BigInt(Number(text))
      const n = BigInt(text)
      if (n >= INT64_MIN && n <= INT64_MAX) return n
    }
    const f = Number(text)
    if (!Number.isFinite(f)) {
      // Go: strconv.ParseFloat reports ErrRange. The literal is not shown (it may be a secret).
      throw new SopsError("ERR_FORMAT", `${PREFIX}number out of range at offset ${start}`, { details: { offset: start } })
    }
    return f
  }

  /** Reads a string literal at `pos` (which is at its opening quote). */
  private readString(): string {
    const b = this.b
    const start = this.pos + 1
    let i = start
    let escapes = false
    let high = false
    for (;;) {
      const c = b[i]
      if (c === undefined) throw this.syntax(i, "")
      if (c === QUOTE) break
      if (c === BACKSLASH) {
        escapes = true
        i += 2
        continue
      }
      if (c < 0x20) throw this.syntax(i, "in string literal")
      if (c >= 0x80) high = true
      i++
    }
    this.pos = i + 1
    if (!escapes) return high ? decodeUtf8GoLossy(b, start, i) : decodeAscii(b, start, i)
    return this.unescape(start, i)
  }

  /** Like {@link readString}, but plain ASCII comes back as a view of the input. */
  private readStringOrView(): string | Uint8Array {
    const b = this.b
    const start = this.pos + 1
    let i = start
    for (;;) {
      const c = b[i]
      if (c === QUOTE) break
      // Escapes, control and non-ASCII bytes (and the end of input) take the general path.
      if (c === undefined || c === BACKSLASH || c < 0x20 || c >= 0x80) return this.readString()
      i++
    }
    this.pos = i + 1
    return b.subarray(start, i)
  }

  /** Decodes a string body with escapes, validating each escape as Go's scanner does. */
  private unescape(start: number, end: number): string {
    const b = this.b
    let out = ""
    let runStart = start
    let i = start
    while (i < end) {
      if (b[i] !== BACKSLASH) {
        i++
        continue
      }
      if (runStart < i) out += decodeUtf8GoLossy(b, runStart, i)
      const e = b[i + 1]!
      switch (e) {
        case QUOTE:
          out += '"'
          break
        case BACKSLASH:
          out += "\\"
          break
        case 0x2f:
          out += "/"
          break
        case 0x62:
          out += "\b"
          break
        case 0x66:
          out += "\f"
          break
        case 0x6e:
          out += "\n"
          break
        case 0x72:
          out += "\r"
          break
        case 0x74:
          out += "\t"
          break
        case 0x75: {
          const u = this.hex4(i + 2)
          if (u >= 0xd800 && u <= 0xdfff) {
            // A pair must be a high surrogate escape directly followed by a low one; anything
            // else yields U+FFFD and the next escape is read on its own.
            if (u < 0xdc00 && b[i + 6] === BACKSLASH && b[i + 7] === 0x75) {
              const lo = this.hex4(i + 8)
              if (lo >= 0xdc00 && lo <= 0xdfff) {
                out += String.fromCharCode(u, lo)
                i += 12
                runStart = i
                continue
              }
            }
            out += "\uFFFD"
          } else {
            out += String.fromCharCode(u)
          }
          i += 6
          runStart = i
          continue
        }
        default:
          throw this.syntax(i + 1, "in string escape code")
      }
      i += 2
      runStart = i
    }
    if (runStart < end) out += decodeUtf8GoLossy(b, runStart, end)
    return out
  }

  private hex4(at: number): number {
    const b = this.b
    let v = 0
    for (let k = 0; k < 4; k++) {
      const h = hexValue(b[at + k])
      if (h < 0) throw this.syntax(at + k, "in \\u hexadecimal character escape")
      v = v * 16 + h
    }
    return v
  }
}
