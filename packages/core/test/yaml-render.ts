/**
 * A compact, comparable view of loaded YAML trees for the loader tests: comments as "#text"
 * ("#~text" when inline), mapping items as [key, value], ints as "12n", timestamps as
 * "time:<RFC 3339>", bytes as { bytes: hex }.
 */
import { Comment, NonStringKey, Timestamp, TreeBranch, type TreeValue } from "../src/tree.js"

/** UTF-8 bytes of a test input. */
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

/** The compact view of `v`. */
export function render(v: TreeValue): unknown {
  if (v instanceof TreeBranch) {
    return {
      map: v.items.map((it) =>
        it.key instanceof Comment
          ? (it.key.inline ? "#~" : "#") + it.key.value
          : [it.key instanceof NonStringKey ? { key: render(it.key.value) } : it.key, render(it.value)],
      ),
    }
  }
  if (Array.isArray(v)) return v.map(render)
  if (v instanceof Comment) return (v.inline ? "#~" : "#") + v.value
  if (v instanceof Timestamp) return "time:" + v.toRFC3339Nano()
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString("hex") }
  if (typeof v === "bigint") return `${v}n`
  return v
}
