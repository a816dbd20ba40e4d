/**
 * sops `stores.ValToString`: how the flat formats (dotenv, INI) and `exec-env` print a
 * non-string value. INI also runs nested maps and lists through it, which in Go falls through
 * to `fmt.Sprintf("%v")`; {@link goFormatV} reproduces that (lossy) rendering.
 * @module
 */
import { concatBytes, utf8 } from "../bytes.js"
import { formatFloatG, formatFloatValToString } from "../gofmt.js"
import { Comment, NonStringKey, Timestamp, TreeBranch, type TreeKey, type TreeValue } from "../tree.js"

/**
 * Prints a value as sops' `ValToString` does: floats with `'G'` (and `.0` when the result
 * would look like an integer: `100.0`), booleans `true`/`false`, timestamps RFC 3339 without
 * fraction, integers in decimal, `null` as `<nil>`. Strings and raw byte strings come back
 * unchanged; maps, lists and comments use Go's `%v` layout ({@link goFormatV}).
 *
 * @param v - the value
 * @returns a string, or raw bytes when the value (or a nested part of it) is a byte string
 */
export function valToString(v: TreeValue): string | Uint8Array {
  if (typeof v === "string" || v instanceof Uint8Array) return v
  if (typeof v === "number") return formatFloatValToString(v)
  if (typeof v === "boolean") return v ? "true" : "false"
  if (typeof v === "bigint") return v.toString()
  if (v === null) return "<nil>"
  if (v instanceof Timestamp) return v.toRFC3339()
  return goFormatV(v)
}

/**
 * Go `fmt.Sprintf("%v", v)` for sops tree values: a map is `[{key value} {key value}]`, a list
 * `[a b]`, a comment `{text}`, a float `'g'`, a time `2006-01-02 15:04:05 +0000 UTC`.
 *
 * @param v - any tree value
 * @returns the text, or bytes when a raw byte string is part of it
 */
export function goFormatV(v: TreeValue): string | Uint8Array {
  const parts: (string | Uint8Array)[] = []
  formatInto(v, parts)
  if (parts.every((p) => typeof p === "string")) return parts.join("")
  return concatBytes(parts.map((p) => (typeof p === "string" ? utf8(p) : p)))
}

function formatInto(v: TreeValue, out: (string | Uint8Array)[]): void {
  if (typeof v === "string" || v instanceof Uint8Array) out.push(v)
  else if (typeof v === "number") out.push(formatFloatG(v))
  else if (typeof v === "boolean") out.push(v ? "true" : "false")
  else if (typeof v === "bigint") out.push(v.toString())
  else if (v === null) out.push("<nil>")
  else if (v instanceof Timestamp) out.push(goTimeString(v))
  else if (v instanceof Comment) out.push("{" + v.value + "}")
  else if (v instanceof TreeBranch) {
    out.push("[")
    v.items.forEach((item, i) => {
      if (i > 0) out.push(" ")
      out.push("{")
      formatKeyInto(item.key, out)
      out.push(" ")
      formatInto(item.value, out)
      out.push("}")
    })
    out.push("]")
  } else {
    out.push("[")
    v.forEach((e, i) => {
      if (i > 0) out.push(" ")
      formatInto(e, out)
    })
    out.push("]")
  }
}

function formatKeyInto(k: TreeKey, out: (string | Uint8Array)[]): void {
  if (k instanceof NonStringKey) formatInto(k.value, out)
  else formatInto(k, out)
}

/** Go `time.Time.String()` for a time in UTC or in a fixed, unnamed zone. */
function goTimeString(t: Timestamp): string {
  const rfc = t.toRFC3339Nano()
  const m = /^(.*)T(.*?)(Z|[+-]\d\d:\d\d)$/.exec(rfc)
  if (m === null) return rfc
  const [, date, time, zone] = m as unknown as [string, string, string, string]
  const numeric = zone === "Z" ? "+0000" : zone.replace(":", "")
  return `${date} ${time} ${numeric} ${zone === "Z" ? "UTC" : numeric}`
}
