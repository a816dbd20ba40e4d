/**
 * Flattened metadata for the flat formats (dotenv, INI), as sops `stores/flatten.go` and
 * `stores/metadata.go` lay it out: the nested `sops` tree becomes one item per leaf, named by
 * its path with `__map_<key>` and `__list_<index>` separators (`pgp__list_0__map_enc`).
 *
 * Values pass through unchanged in both directions: the flat formats hold only strings, and
 * the metadata decoder converts `"2"`/`"true"` weakly, as sops' mapstructure does.
 * @module
 */
import { SopsError } from "../errors.js"
import { Comment, TreeBranch, type TreeItem, type TreeValue } from "../tree.js"

const MAP_SEP = "__map_"
const LIST_SEP = "__list_"

/**
 * A bound on path depth when rebuilding the tree: real metadata is at most five levels deep;
 * the limit keeps hostile keys from exhausting the stack.
 */
const MAX_DEPTH = 256

/** Options shared by {@link flattenMetadata} and {@link unflattenMetadata}. */
export interface FlattenOptions {
  /** Prepended to every flattened name (dotenv: `sops_`; INI: none). */
  readonly prefix?: string
  /**
   * INI only: write real newlines in string values as the two characters `\n` (so PGP and age
   * armour fit on one line), and turn them back into newlines when reading.
   */
  readonly escapeNewlines?: boolean
}

function invalid(message: string): SopsError {
  return new SopsError("ERR_METADATA_INVALID", message)
}

/**
 * Flattens a metadata tree depth-first. Map children are named `parent__map_key`, list
 * elements `parent__list_N` (N counts the non-comment elements from 0); top-level names have
 * no separator. Empty maps and lists yield nothing; comments are skipped.
 *
 * @param metadata - the (sorted) metadata tree
 * @param opts - name prefix and newline escaping
 * @returns the leaves as items, in depth-first order
 * @throws SopsError `ERR_METADATA_INVALID` when two paths flatten to the same name or a key is
 *   not a string
 */
export function flattenMetadata(metadata: TreeBranch, opts: FlattenOptions = {}): TreeItem[] {
  const out: TreeItem[] = []
  const seen = new Set<string>()
  const escape = opts.escapeNewlines === true

  const leaf = (name: string, value: TreeValue): void => {
    if (seen.has(name)) throw invalid(`metadata key collision while flattening: ${JSON.stringify(name)}`)
    seen.add(name)
    const v = escape && typeof value === "string" ? value.replaceAll("\n", "\\n") : value
    out.push({ key: name, value: v })
  }
  const descend = (value: TreeValue, name: string): void => {
    if (value instanceof TreeBranch) descendMap(value, name + MAP_SEP)
    else if (Array.isArray(value)) descendList(value, name + LIST_SEP)
    else leaf(name, value)
  }
  const descendMap = (branch: TreeBranch, prefix: string): void => {
    for (const item of branch.items) {
      if (item.key instanceof Comment) continue
      if (typeof item.key !== "string") throw invalid("metadata contains a non-string key")
      descend(item.value, prefix + item.key)
    }
  }
  const descendList = (list: TreeValue[], prefix: string): void => {
    let i = 0
    for (const element of list) {
      if (element instanceof Comment) continue
      descend(element, prefix + String(i))
      i++
    }
  }

  descendMap(metadata, opts.prefix ?? "")
  return out
}

type Token = { map: string } | { list: number }

/** Splits a flattened name at every `__map_` / `__list_`, scanning left to right like sops. */
function tokenize(path: string): Token[] {
  const tokens: Token[] = []
  let kind: "first" | "map" | "list" = "first"
  let start = 0
  const finish = (end: number): void => {
    if (kind === "list") tokens.push({ list: goAtoiOrZero(path.slice(start, end)) })
    else tokens.push({ map: path.slice(start, end) })
  }
  let i = 0
  while (i < path.length) {
    if (path.startsWith(MAP_SEP, i)) {
      finish(i)
      kind = "map"
      i += MAP_SEP.length
      start = i
    } else if (path.startsWith(LIST_SEP, i)) {
      finish(i)
      kind = "list"
      i += LIST_SEP.length
      start = i
    } else {
      i++
    }
  }
  finish(path.length)
  return tokens
}

/**
 * Go `strconv.Atoi` with its error ignored, as sops does: a malformed index reads as 0 (and
 * then usually fails as a duplicate or incomplete list).
 */
function goAtoiOrZero(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) return 0
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : 0
}

interface Node {
  hasValue: boolean
  value: TreeValue
  subkeys: Map<string, Node> | undefined
  indices: Map<number, Node> | undefined
}

function newNode(): Node {
  return { hasValue: false, value: null, subkeys: undefined, indices: undefined }
}

/** Orders strings by their UTF-8 bytes, as Go's `sort.Strings` does. */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(i)
    if (ca === cb) continue
    // Below the surrogate range UTF-16 order equals code point (and UTF-8) order; a surrogate
    // (astral code point) must sort after U+E000..U+FFFF.
    const sa = ca >= 0xd800 && ca <= 0xdfff
    const sb = cb >= 0xd800 && cb <= 0xdfff
    if (sa !== sb) return sa ? 1 : -1
    return ca < cb ? -1 : 1
  }
  return a.length - b.length
}

function convert(node: Node): TreeValue {
  const hasSub = node.subkeys !== undefined && node.subkeys.size > 0
  const hasIdx = node.indices !== undefined && node.indices.size > 0
  if (Number(node.hasValue) + Number(hasSub) + Number(hasIdx) > 1) {
    throw invalid("cannot unflatten metadata: type mismatch (a key is both a value and a container)")
  }
  if (node.hasValue) return node.value
  if (node.subkeys !== undefined && hasSub) {
    const keys = [...node.subkeys.keys()].sort(compareGoStrings)
    return new TreeBranch(keys.map((k) => ({ key: k, value: convert(node.subkeys!.get(k)!) })))
  }
  if (node.indices !== undefined && hasIdx) {
    let min = Infinity
    let max = -Infinity
    for (const k of node.indices.keys()) {
      if (k < min) min = k
      if (k > max) max = k
    }
    if (min !== 0 || max + 1 !== node.indices.size) {
      throw invalid("cannot unflatten metadata: incomplete list")
    }
    const list: TreeValue[] = new Array<TreeValue>(node.indices.size)
    for (const [k, child] of node.indices) list[k] = convert(child)
    return list
  }
  return new TreeBranch()
}

/**
 * Rebuilds the metadata tree from flattened entries (names already stripped of any prefix).
 * Names are split at every `__map_` and `__list_`; maps come out with their keys sorted; list
 * indices must be exactly 0..n-1.
 *
 * @param items - `[name, value]` pairs, e.g. `["pgp__list_0__map_fp", "FBC7…"]`
 * @param opts - with `escapeNewlines`, the two characters `\n` in string values become a
 *   newline (values that already hold real newlines, as 3.13.0/3.13.1 INI wrote, are kept)
 * @returns the nested metadata tree
 * @throws SopsError `ERR_METADATA_INVALID` on a duplicate name, an incomplete list or a name
 *   that is both a value and a container
 */
export function unflattenMetadata(items: Iterable<readonly [string, TreeValue]>, opts: FlattenOptions = {}): TreeBranch {
  const root = newNode()
  const unescape = opts.escapeNewlines === true
  for (const [name, raw] of items) {
    const tokens = tokenize(name)
    if (tokens.length > MAX_DEPTH) throw invalid(`metadata key nested too deeply: ${JSON.stringify(name.slice(0, 64))}`)
    let node = root
    for (const t of tokens) {
      let next: Node | undefined
      if ("map" in t) {
        node.subkeys ??= new Map()
        next = node.subkeys.get(t.map)
        if (next === undefined) node.subkeys.set(t.map, (next = newNode()))
      } else {
        node.indices ??= new Map()
        next = node.indices.get(t.list)
        if (next === undefined) node.indices.set(t.list, (next = newNode()))
      }
      node = next
    }
    if (node.hasValue) throw invalid(`cannot unflatten metadata: duplicate key ${JSON.stringify(name)}`)
    node.hasValue = true
    node.value = unescape && typeof raw === "string" ? raw.replaceAll("\\n", "\n") : raw
  }
  const result = convert(root)
  if (!(result instanceof TreeBranch)) throw invalid("cannot unflatten metadata: no root mapping")
  return result
}
