/**
 * The JSON writer of the JSON and binary stores. sops builds compact JSON with Go
 * `json.Marshal` for every scalar and then runs Go `json.Indent` over it; this module writes the
 * same bytes in one pass (format spec 1.4, "Emitting").
 *
 * Output is collected as string pieces and encoded into one exactly sized buffer at the end, so
 * a very large value (the ciphertext of a big binary file) is never concatenated into a second
 * string before encoding.
 * @module
 */
import { SopsError } from "../../errors.js"
import { formatJsonFloat } from "../../gofmt.js"
import { Comment, Timestamp, TreeBranch, type TreeItem, type TreeValue } from "../../tree.js"
import { decodeUtf8Strict, forEachUtf8Run } from "./utf8.js"

const encoder = new TextEncoder()

/**
 * The indent string sops uses for a JSON `indent` setting: absent or -1 → one tab per level,
 * 0 → line breaks without indentation, n > 0 → n spaces.
 *
 * @throws SopsError `ERR_INVALID_ARGUMENT` for values below -1 or non-integers
 */
export function jsonIndentString(indent: number | undefined): string {
  if (indent === undefined || indent === -1) return "\t"
  if (!Number.isInteger(indent)) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "JSON indentation must be an integer")
  }
  if (indent < -1) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "JSON Indentation parameter smaller than -1 is not accepted")
  }
  return " ".repeat(indent)
}

/**
 * Emits a document as sops writes a JSON file: the branch's items (comments skipped), then
 * `trailing` if given (the `sops` metadata item), laid out with `indent`, and a final newline.
 *
 * @param branch - the document; it is not modified
 * @param indent - the indent string per level (see {@link jsonIndentString})
 * @param trailing - an extra item written after all others
 * @throws SopsError `ERR_UNSUPPORTED_VALUE` for NaN/Inf floats, non-string keys, years outside
 *   0..9999, or values of unknown type
 */
export function emitJsonDocument(branch: TreeBranch, indent: string, trailing?: TreeItem): Uint8Array {
  const w = new Writer(indent)
  guardDepth(() => w.branch(branch.items, 0, trailing))
  w.add("\n")
  return w.finish()
}

/**
 * Emits one value as sops' JSON `EmitValue` does (`--extract` of a non-mapping value): indented
 * like a document but without a trailing newline.
 *
 * @throws SopsError `ERR_UNSUPPORTED_VALUE` as {@link emitJsonDocument}
 */
export function emitJsonValue(value: TreeValue, indent: string): Uint8Array {
  const w = new Writer(indent)
  guardDepth(() => w.value(value, 0))
  return w.finish()
}

/** Turns engine limits (call stack on an absurdly deep tree, string size) into a SopsError. */
function guardDepth(write: () => void): void {
  try {
    write()
  } catch (err) {
    if (!(err instanceof RangeError)) throw err
    const reason = /call stack/i.test(err.message) ? "nested too deeply" : "too large"
    throw new SopsError("ERR_UNSUPPORTED_VALUE", `the tree is ${reason} to be written as JSON`, { cause: err })
  }
}

// Characters that json.Marshal (with HTML escaping, its default) does not copy verbatim.
// Surrogates are included so that unpaired ones can be replaced.
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/
const HEX = "0123456789abcdef"

/** The body of a Go `json.Marshal` string literal (without the quotes). */
export function escapeJsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s
  let out = ""
  let last = 0
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    let rep: string
    if (c < 0x20) {
      switch (c) {
        case 0x08:
          rep = "\\b"
          break
        case 0x09:
          rep = "\\t"
          break
        case 0x0a:
          rep = "\\n"
          break
        case 0x0c:
          rep = "\\f"
          break
        case 0x0d:
          rep = "\\r"
          break
        default:
          rep = "\\u00" + HEX[c >> 4]! + HEX[c & 15]!
      }
    } else if (c === 0x22) rep = '\\"'
    else if (c === 0x5c) rep = "\\\\"
    else if (c === 0x3c) rep = "\\u003c"
    else if (c === 0x3e) rep = "\\u003e"
    else if (c === 0x26) rep = "\\u0026"
    else if (c === 0x2028) rep = "\\u2028"
    else if (c === 0x2029) rep = "\\u2029"
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0
      if (c < 0xdc00 && next >= 0xdc00 && next <= 0xdfff) {
        i++
        continue
      }
      // An unpaired surrogate has no UTF-8 form; TextEncoder (and so the tree's byte view of
      // this string) turns it into U+FFFD, which Go then writes verbatim.
      rep = "\uFFFD"
    } else continue
    out += s.slice(last, i) + rep
    last = i + 1
  }
  return out + s.slice(last)
}

/** The body of a Go `json.Marshal` string literal for a byte string (invalid bytes → `\ufffd`). */
export function escapeJsonBytes(bytes: Uint8Array): string {
  const s = decodeUtf8Strict(bytes)
  if (s !== null) return escapeJsonString(s)
  let out = ""
  forEachUtf8Run(
    bytes,
    0,
    bytes.length,
    (text) => {
      out += escapeJsonString(text)
    },
    () => {
      out += "\\ufffd"
    },
  )
  return out
}

function unsupported(message: string): SopsError {
  return new SopsError("ERR_UNSUPPORTED_VALUE", message)
}

/** Pieces bigger than this are kept as separate parts instead of being concatenated. */
const BIG = 4096
/** Small pieces are gathered up to this length before becoming a part. */
const CHUNK = 16384

class Writer {
  private readonly parts: string[] = []
  private acc = ""
  private readonly indent: string
  private readonly breaks: string[] = []

  constructor(indent: string) {
    this.indent = indent
  }

  add(s: string): void {
    if (s.length > BIG) {
      if (this.acc.length > 0) this.parts.push(this.acc)
      this.acc = ""
      this.parts.push(s)
      return
    }
    this.acc += s
    if (this.acc.length > CHUNK) {
      this.parts.push(this.acc)
      this.acc = ""
    }
  }

  /** A line break followed by the indentation of `depth`. */
  private newline(depth: number): string {
    let s = this.breaks[depth]
    if (s === undefined) {
      s = "\n" + this.indent.repeat(depth)
      this.breaks[depth] = s
    }
    return s
  }

  private quoted(body: string): void {
    if (body.length > BIG) {
      this.add('"')
      this.add(body)
      this.add('"')
    } else {
      this.add('"' + body + '"')
    }
  }

  branch(items: readonly TreeItem[], depth: number, trailing?: TreeItem): void {
    this.add("{")
    let empty = true
    const member = (item: TreeItem): void => {
      const key = item.key
      if (key instanceof Comment) return
      if (typeof key !== "string") {
        throw unsupported(`JSON cannot hold a non-string mapping key (found a key of type ${typeof key.value})`)
      }
      this.add((empty ? "" : ",") + this.newline(depth + 1))
      this.quoted(escapeJsonString(key))
      this.add(": ")
      this.value(item.value, depth + 1)
      empty = false
    }
    for (const item of items) member(item)
    if (trailing !== undefined) member(trailing)
    this.add(empty ? "}" : this.newline(depth) + "}")
  }

  private array(values: readonly TreeValue[], depth: number): void {
    this.add("[")
    let empty = true
    for (const v of values) {
      if (v instanceof Comment) continue
      this.add((empty ? "" : ",") + this.newline(depth + 1))
      this.value(v, depth + 1)
      empty = false
    }
    this.add(empty ? "]" : this.newline(depth) + "]")
  }

  value(v: TreeValue, depth: number): void {
    if (typeof v === "string") this.quoted(escapeJsonString(v))
    else if (v === null) this.add("null")
    else if (typeof v === "bigint") this.add(v.toString())
    else if (typeof v === "boolean") this.add(v ? "true" : "false")
    else if (typeof v === "number") {
      const s = formatJsonFloat(v)
      if (s === null) throw unsupported(`json: unsupported value: ${Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf"}`)
      this.add(s)
    } else if (v instanceof Uint8Array) this.quoted(escapeJsonBytes(v))
    else if (v instanceof TreeBranch) this.branch(v.items, depth)
    else if (Array.isArray(v)) this.array(v, depth)
    else if (v instanceof Timestamp) {
      const s = v.toRFC3339Nano()
      // Go's Time.MarshalJSON refuses years that do not have exactly four digits.
      if (s.startsWith("-") || s.indexOf("-") !== 4) {
        throw unsupported("Time.MarshalJSON: year outside of range [0,9999]")
      }
      this.add('"' + s + '"')
    } else if (v instanceof Comment) {
      // Go marshals the Comment struct by its exported fields.
      this.branch(
        [
          { key: "Value", value: v.value },
          { key: "Inline", value: v.inline },
        ],
        depth,
      )
    } else {
      throw unsupported(`cannot emit a value of type ${typeof v} as JSON`)
    }
  }

  finish(): Uint8Array {
    if (this.parts.length === 0) return encoder.encode(this.acc)
    if (this.acc.length > 0) this.parts.push(this.acc)
    this.acc = ""
    let total = 0
    for (const p of this.parts) total += Buffer.byteLength(p, "utf8")
    const out = new Uint8Array(total)
    let at = 0
    for (const p of this.parts) at += encoder.encodeInto(p, out.subarray(at)).written
    return out
  }
}
