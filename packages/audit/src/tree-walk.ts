/**
 * Walks the leaves of a sops tree with their paths, and maps paths to approximate lines.
 * @module
 */
import { Comment, NonStringKey, TreeBranch, formatTreePath, type TreeValue } from "@sops-ts/core"

/** A string leaf of a tree. */
export interface StringLeaf {
  /** Mapping keys and list indices from the root. */
  readonly path: readonly (string | number)[]
  /** The nearest mapping key (what secret-key heuristics look at). */
  readonly key: string
  readonly value: string
}

const lossy = new TextDecoder()

/** Calls `visit` for every string value (comments and non-string scalars are skipped). */
export function forEachString(root: TreeValue, visit: (leaf: StringLeaf) => void): void {
  const go = (v: TreeValue, path: (string | number)[], key: string): void => {
    if (v instanceof TreeBranch) {
      for (const item of v.items) {
        if (item.key instanceof Comment) continue
        const k = item.key instanceof NonStringKey ? String(item.key.value) : item.key
        go(item.value, [...path, k], k)
      }
    } else if (Array.isArray(v)) {
      v.forEach((e, i) => go(e, [...path, i], key))
    } else if (typeof v === "string") {
      visit({ path, key, value: v })
    } else if (v instanceof Uint8Array) {
      visit({ path, key, value: lossy.decode(v) })
    }
  }
  go(root, [], "")
}

/** A tree path as sops prints it: `["data"]["password"]`. */
export function pathText(path: readonly (string | number)[]): string {
  return formatTreePath(path)
}

/**
 * The 1-based line of the first occurrence of `key` after the line of its parent key, or
 * undefined. Good enough to point code scanning at the right place; never exact for
 * repeated keys.
 */
export function lineOf(lines: readonly string[], path: readonly (string | number)[]): number | undefined {
  let from = 0
  for (const c of path) {
    if (typeof c === "number") continue
    const i = lines.findIndex((l, n) => n >= from && l.includes(c))
    if (i === -1) return undefined
    from = i
  }
  return path.length === 0 ? undefined : from + 1
}
