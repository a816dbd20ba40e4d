/**
 * Go `json.Marshal` of a sops tree value, which is what the INI store's `EmitValue` returns
 * (`--extract` of a single value from an INI file prints it JSON-encoded).
 * @module
 */
import { utf8, utf8DecodeLossy } from "../../bytes.js"
import { SopsError } from "../../errors.js"
import { formatJsonFloat } from "../../gofmt.js"
import { Comment, NonStringKey, Timestamp, TreeBranch, type TreeKey, type TreeValue } from "../../tree.js"

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/**
 * A Go JSON string literal: HTML-safe (`<`, `>`, `&` as `\u003c`…), U+2028/U+2029 escaped,
 * other control characters as `\u00XX`; invalid UTF-8 becomes U+FFFD.
 */
export function goJsonString(v: string | Uint8Array): string {
  const s = typeof v === "string" ? v : utf8DecodeLossy(v)
  // Lone surrogates cannot come from UTF-8; Go would see U+FFFD.
  const wellFormed = s.replace(LONE_SURROGATE, "\ufffd")
  return (
    '"' +
    wellFormed.replace(/["\\\u0000-\u001f<>&\u2028\u2029]/g, (c) => {
      return SHORT_ESCAPES[c] ?? "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")
    }) +
    '"'
  )
}

function marshal(v: TreeValue | TreeKey): string {
  if (typeof v === "string" || v instanceof Uint8Array) return goJsonString(v)
  if (typeof v === "bigint") return v.toString()
  if (typeof v === "boolean") return v ? "true" : "false"
  if (v === null) return "null"
  if (typeof v === "number") {
    const s = formatJsonFloat(v)
    if (s === null) throw new SopsError("ERR_UNSUPPORTED_VALUE", "json: unsupported value: NaN or infinite float")
    return s
  }
  if (v instanceof Timestamp) return '"' + v.toRFC3339Nano() + '"'
  if (v instanceof Comment) return '{"Value":' + goJsonString(v.value) + "}"
  if (v instanceof NonStringKey) return marshal(v.value)
  // A Go TreeBranch is a slice of TreeItem structs: exported fields Key and Value.
  if (v instanceof TreeBranch) {
    return "[" + v.items.map((it) => '{"Key":' + marshal(it.key) + ',"Value":' + marshal(it.value) + "}").join(",") + "]"
  }
  return "[" + v.map(marshal).join(",") + "]"
}

/**
 * Go `json.Marshal(v)` for a tree value.
 * @throws SopsError `ERR_UNSUPPORTED_VALUE` for NaN or an infinite float (Go refuses them)
 */
export function goJsonMarshal(v: TreeValue): Uint8Array {
  return utf8(marshal(v))
}
