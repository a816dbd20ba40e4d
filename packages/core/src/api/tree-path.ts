/**
 * Tree paths as sops writes them (`["a"][0]['b']`), and extract/set/unset on a tree
 * (spec sections 1.9 and 9.3).
 * @module
 */
import { SopsError } from "../errors.js"
import { Comment, TreeBranch, type TreeItem, type TreeValue } from "../tree.js"

/** One step of a path: a mapping key or a list index. */
export type PathComponent = string | number

/**
 * Parses `["a"][0]['b']` into `["a", 0, "b"]`: quoted pieces are keys (no escapes), bare
 * pieces are decimal indexes.
 * @throws SopsError `ERR_PATH_INVALID`
 */
export function parseTreePath(path: string): PathComponent[] {
  const out: PathComponent[] = []
  const pieces = path.split("[")
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!
    if (p === "") continue
    if (i === 0 || !p.endsWith("]")) {
      throw new SopsError("ERR_PATH_INVALID", `invalid tree path "${path}": each component must look like ["key"] or [0]`)
    }
    const inner = p.slice(0, -1)
    const q = inner[0]
    if (q === '"' || q === "'") {
      out.push(inner.slice(1, -1))
    } else if (/^[+-]?\d+$/.test(inner)) {
      out.push(Number(inner))
    } else {
      throw new SopsError("ERR_PATH_INVALID", `invalid tree path "${path}": "${inner}" is neither a quoted key nor an index`)
    }
  }
  return out
}

/** Formats a path for messages: `["a"][0]`. */
export function formatTreePath(path: readonly PathComponent[]): string {
  return path.map((c) => (typeof c === "number" ? `[${c}]` : `["${c}"]`)).join("")
}

function notFound(path: readonly PathComponent[], upto: number): SopsError {
  const c = path[upto]!
  return new SopsError(
    "ERR_PATH_NOT_FOUND",
    typeof c === "number"
      ? `index ${c} out of bounds at ${formatTreePath(path.slice(0, upto)) || "the top level"}`
      : `component ['${c}'] not found`,
  )
}

/**
 * Returns the value at `path` (sops `Truncate`): the first item with the key in a mapping,
 * the element in a list.
 * @throws SopsError `ERR_PATH_NOT_FOUND`
 */
export function getAtPath(root: TreeBranch, path: readonly PathComponent[]): TreeValue {
  let cur: TreeValue = root
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!
    if (typeof c === "string") {
      if (!(cur instanceof TreeBranch)) throw notFound(path, i)
      const found: TreeItem | undefined = cur.items.find((it) => it.key === c)
      if (!found) throw notFound(path, i)
      cur = found.value
    } else {
      if (!Array.isArray(cur)) throw notFound(path, i)
      const list: TreeValue[] = cur
      if (c < 0 || c >= list.length) throw notFound(path, i)
      cur = list[c]!
    }
  }
  return cur
}

function equalValues(a: TreeValue, b: TreeValue): boolean {
  if (a instanceof TreeBranch && b instanceof TreeBranch) {
    return (
      a.items.length === b.items.length &&
      a.items.every((it, i) => {
        const o = b.items[i]!
        const keq = it.key instanceof Comment ? o.key instanceof Comment && o.key.value === it.key.value : it.key === o.key
        return keq && equalValues(it.value, o.value)
      })
    )
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equalValues(x, b[i]!))
  if (a instanceof Comment && b instanceof Comment) return a.value === b.value
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b))
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    const x = typeof a === "string" ? Buffer.from(a) : a instanceof Uint8Array ? Buffer.from(a) : null
    const y = typeof b === "string" ? Buffer.from(b) : b instanceof Uint8Array ? Buffer.from(b) : null
    return x !== null && y !== null && x.equals(y)
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    return String(a) === String(b) && a.constructor === b.constructor
  }
  return a === b
}

function build(path: readonly PathComponent[], i: number, value: TreeValue): TreeValue {
  if (i === path.length) return value
  const c = path[i]!
  if (typeof c === "string") return new TreeBranch([{ key: c, value: build(path, i + 1, value) }])
  return [build(path, i + 1, value)]
}

/**
 * Sets the value at `path`, creating missing mappings/lists (missing keys are appended at
 * the end; an index past the end appends). Returns whether anything changed.
 */
export function setAtPath(root: TreeBranch, path: readonly PathComponent[], value: TreeValue): boolean {
  if (path.length === 0) throw new SopsError("ERR_PATH_INVALID", "the path must name at least one key")
  const setIn = (container: TreeValue, i: number): { value: TreeValue; changed: boolean } => {
    if (i === path.length) return { value, changed: !equalValues(container, value) }
    const c = path[i]!
    if (typeof c === "string") {
      const branch = container instanceof TreeBranch ? container : new TreeBranch([])
      const item = branch.items.find((it) => it.key === c)
      if (!item) {
        branch.items.push({ key: c, value: build(path, i + 1, value) })
        return { value: branch, changed: true }
      }
      const r = setIn(item.value, i + 1)
      item.value = r.value
      return { value: branch, changed: r.changed || branch !== container }
    }
    const list: TreeValue[] = Array.isArray(container) ? container : []
    if (c < 0) throw new SopsError("ERR_PATH_INVALID", `negative index ${c}`)
    if (c >= list.length) {
      list.push(build(path, i + 1, value))
      return { value: list, changed: true }
    }
    const r = setIn(list[c]!, i + 1)
    list[c] = r.value
    return { value: list, changed: r.changed || list !== container }
  }
  return setIn(root, 0).changed
}

/**
 * Removes the key or list element at `path`.
 * @throws SopsError `ERR_PATH_NOT_FOUND`
 */
export function unsetAtPath(root: TreeBranch, path: readonly PathComponent[]): void {
  if (path.length === 0) throw new SopsError("ERR_PATH_INVALID", "the path must name at least one key")
  const parent = getAtPath(root, path.slice(0, -1))
  const last = path[path.length - 1]!
  if (typeof last === "string") {
    if (!(parent instanceof TreeBranch)) throw notFound(path, path.length - 1)
    const idx = parent.items.findIndex((it) => it.key === last)
    if (idx === -1) throw notFound(path, path.length - 1)
    parent.items.splice(idx, 1)
  } else {
    if (!Array.isArray(parent) || last < 0 || last >= parent.length) throw notFound(path, path.length - 1)
    parent.splice(last, 1)
  }
}
