/**
 * Conversions between trees and plain JavaScript objects, for apps that want values rather
 * than file bytes.
 * @module
 */
import { SopsError } from "../errors.js"
import { utf8DecodeLossy } from "../bytes.js"
import { Comment, NonStringKey, Timestamp, TreeBranch, type TreeValue } from "../tree.js"

/** How integers become JS values. */
export interface ToObjectOptions {
  /** `"auto"` (default): numbers when safe, bigint beyond ±2^53; `"bigint"`: always bigint; `"number"`: always number. */
  readonly integers?: "auto" | "bigint" | "number"
}

/**
 * Converts a tree value to plain JS: mappings → objects (comments dropped; a repeated key
 * keeps its last value), lists → arrays, ints → number/bigint, timestamps → Date,
 * byte strings → string (UTF-8, invalid bytes replaced) unless they hold invalid UTF-8, which stay Uint8Array.
 */
export function treeToObject(v: TreeValue, options: ToObjectOptions = {}): unknown {
  const ints = options.integers ?? "auto"
  const conv = (x: TreeValue): unknown => {
    if (x instanceof TreeBranch) {
      const o: Record<string, unknown> = {}
      for (const it of x.items) {
        if (it.key instanceof Comment) continue
        const k = it.key instanceof NonStringKey ? String(it.key.value) : it.key
        // A file's `__proto__` key must become an own property, not the object's prototype
        // (plain assignment would let a file inject inherited properties).
        if (k === "__proto__") Object.defineProperty(o, k, { value: conv(it.value), enumerable: true, writable: true, configurable: true })
        else o[k] = conv(it.value)
      }
      return o
    }
    if (Array.isArray(x)) return x.filter((e) => !(e instanceof Comment)).map(conv)
    if (typeof x === "bigint") {
      if (ints === "bigint") return x
      if (ints === "number") return Number(x)
      return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x
    }
    if (x instanceof Timestamp) return x.toDate()
    if (x instanceof Comment) return x.value
    return x
  }
  return conv(v)
}

/**
 * Converts a plain JS value to a tree value: objects → mappings (insertion order), arrays →
 * lists, integral numbers → int, other numbers → float, bigint → int, Date → timestamp.
 * @param v - the value
 * @param path - where `v` sits, for error messages
 * @throws SopsError `ERR_UNSUPPORTED_VALUE` for functions, symbols, undefined in arrays,
 *   and objects that contain themselves
 */
export function objectToTree(v: unknown, path = "(root)"): TreeValue {
  return toTree(v, path, new Set())
}

/** `ancestors` holds the objects being converted above `v`, to turn a cycle into an error
 * rather than a stack overflow. */
function toTree(v: unknown, path: string, ancestors: Set<object>): TreeValue {
  if (v === null) return null
  if (typeof v === "string" || typeof v === "boolean") return v
  if (typeof v === "bigint") return v
  if (typeof v === "number") return Number.isInteger(v) && !Object.is(v, -0) ? BigInt(v) : v
  if (v instanceof Uint8Array) return v
  if (v instanceof Date) return Timestamp.fromDate(v)
  if (v instanceof Timestamp || v instanceof TreeBranch || v instanceof Comment) return v
  if (typeof v === "object") {
    if (ancestors.has(v)) throw new SopsError("ERR_UNSUPPORTED_VALUE", `cannot store a circular reference at ${path}`)
    ancestors.add(v)
    try {
      if (Array.isArray(v)) return v.map((e, i) => toTree(e, `${path}[${i}]`, ancestors))
      const items = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => ({ key: k, value: toTree(x, `${path}.${k}`, ancestors) }))
      return new TreeBranch(items)
    } finally {
      ancestors.delete(v)
    }
  }
  throw new SopsError("ERR_UNSUPPORTED_VALUE", `cannot store a ${typeof v} at ${path}`)
}

/** A Go string value as JS text (lossy for invalid UTF-8). */
export function stringValueText(v: string | Uint8Array): string {
  return typeof v === "string" ? v : utf8DecodeLossy(v)
}
