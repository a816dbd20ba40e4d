/**
 * Typed reading of a YAML node tree with go-yaml v3's `Unmarshal` rules, which is how sops
 * reads `.sops.yaml`:
 * - a string field takes the text of any scalar (`indent: 4` read as a string is "4"), and
 *   null leaves it "";
 * - an int field takes an int (or a float, truncated); a bool field takes a bool or one of
 *   the YAML 1.1 words `yes`/`no`/`on`/`off`/`y`/`n`;
 * - a struct takes a mapping; unknown keys are ignored; a repeated key is an error; `<<`
 *   merge keys fill the fields the mapping does not set itself;
 * - null leaves any field at its zero value;
 * - anything else is a type error.
 * @module
 */
import type { Document, LineCounter, Node } from "yaml"
import { yaml } from "../lazy-deps.js"

// Node-kind guards of the yaml package, resolved when the first config is read.
const isAlias = (n: unknown): n is import("yaml").Alias => yaml().isAlias(n)
const isMap = (n: unknown): n is import("yaml").YAMLMap => yaml().isMap(n)
const isScalar = (n: unknown): n is import("yaml").Scalar => yaml().isScalar(n)
const isSeq = (n: unknown): n is import("yaml").YAMLSeq => yaml().isSeq(n)
import { SopsError } from "../errors.js"
import { goTrimSpace } from "../keys/parse-key-strings.js"

/** Scalars, mappings and sequences reachable from a document (aliases resolved away). */
type Resolved = Node

/** Caps the nodes visited, so a small file of nested aliases cannot expand without bound. */
const NODE_BUDGET = 1_000_000

/** A field of a struct being decoded: the key's text and the value node. */
export type Fields = ReadonlyMap<string, Resolved | null>

/**
 * Reads nodes of one document; every failure is a {@link SopsError} `ERR_CONFIG` naming the
 * field path and line, never the value.
 */
export class YamlReader {
  private budget = NODE_BUDGET

  /**
   * @param doc - the parsed document (aliases are resolved against it)
   * @param lines - line index of the source, for messages
   */
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Resolves aliases; returns null for an absent node or a YAML null. */
  resolve(node: unknown, where: string): Resolved | null {
    if (--this.budget < 0) throw this.error(null, where, "too many nodes (alias expansion)")
    let n: unknown = node
    for (let hops = 0; isAlias(n); hops++) {
      if (hops > 100) throw this.error(null, where, "alias chain too long")
      const target: unknown = n.resolve(this.doc)
      if (target === undefined) throw this.error(n as Node, where, `unknown alias *${n.source}`)
      n = target
    }
    if (n === null || n === undefined) return null
    if (isScalar(n) && n.value === null) return null
    return n as Resolved
  }

  /** A type error at `node`. */
  error(node: Node | null, where: string, message: string): SopsError {
    const offset = node?.range?.[0]
    const line = offset === undefined ? "" : `line ${this.lines.linePos(offset).line}: `
    return new SopsError("ERR_CONFIG", `error loading config: ${line}${where}: ${message}`, {
      details: { field: where },
    })
  }

  /** Go `string` field. */
  string(node: unknown, where: string): string {
    const n = this.resolve(node, where)
    if (n === null) return ""
    if (isScalar(n)) return n.source ?? String(n.value)
    throw this.error(n, where, `expected a string, got ${kindOf(n)}`)
  }

  /** Go `int` field. */
  int(node: unknown, where: string): number {
    const n = this.resolve(node, where)
    if (n === null) return 0
    if (isScalar(n)) {
      const v = n.value
      if (typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) return Math.trunc(v)
    }
    throw this.error(n, where, `expected an integer, got ${kindOf(n)}`)
  }

  /** Go `bool` field. */
  bool(node: unknown, where: string): boolean {
    const n = this.resolve(node, where)
    if (n === null) return false
    if (isScalar(n)) {
      if (typeof n.value === "boolean") return n.value
      if (typeof n.value === "string") {
        if (YAML11_TRUE.has(n.value)) return true
        if (YAML11_FALSE.has(n.value)) return false
      }
    }
    throw this.error(n, where, `expected a boolean, got ${kindOf(n)}`)
  }

  /** Go slice field: the element nodes, or an empty list for null. */
  list(node: unknown, where: string): readonly unknown[] {
    const n = this.resolve(node, where)
    if (n === null) return []
    if (isSeq(n)) return n.items
    throw this.error(n, where, `expected a list, got ${kindOf(n)}`)
  }

  /** Like {@link list} but tells null/absent (`null`) from an empty list. */
  optionalList(node: unknown, where: string): readonly unknown[] | null {
    return this.resolve(node, where) === null ? null : this.list(node, where)
  }

  /** Go `[]string` field. */
  stringList(node: unknown, where: string): string[] {
    return this.list(node, where).map((item, i) => this.string(item, `${where}[${i}]`))
  }

  /**
   * A field sops types as `interface{}` holding "string or list of strings" (`parseKeyField`):
   * a string is split on `,`, items trimmed and empty items dropped; a list must hold string
   * scalars only and is kept as is.
   */
  stringOrList(node: unknown, where: string): string[] {
    const n = this.resolve(node, where)
    if (n === null) return []
    if (isScalar(n) && typeof n.value === "string") {
      return n.value
        .split(",")
        .map(goTrimSpace)
        .filter((s) => s !== "")
    }
    if (isSeq(n)) {
      return n.items.map((item, i) => {
        const e = this.resolve(item, `${where}[${i}]`)
        if (e !== null && isScalar(e) && typeof e.value === "string") return e.value
        throw this.error(e, `${where}[${i}]`, `invalid key configuration: expected a string in the list, got ${kindOf(e)}`)
      })
    }
    throw this.error(n, where, `invalid key configuration: expected a string or a list of strings, got ${kindOf(n)}`)
  }

  /** Go `map[string]*string` field: keys by their text, null values kept as null. */
  stringMap(node: unknown, where: string): Map<string, string | null> {
    const out = new Map<string, string | null>()
    const n = this.resolve(node, where)
    if (n === null) return out
    if (!isMap(n)) throw this.error(n, where, `expected a mapping, got ${kindOf(n)}`)
    for (const pair of n.items) {
      const key = this.string(pair.key, where)
      if (out.has(key)) throw this.error(pair.key as Node, `${where}.${key}`, "key already defined")
      const v = this.resolve(pair.value, `${where}.${key}`)
      out.set(key, v === null ? null : this.string(v, `${where}.${key}`))
    }
    return out
  }

  /**
   * A Go struct field: the mapping's entries by key text. Explicit keys win over `<<` merges;
   * among merged mappings the first one to set a key wins. Null gives no fields.
   */
  struct(node: unknown, where: string): Fields {
    const n = this.resolve(node, where)
    const out = new Map<string, Resolved | null>()
    if (n === null) return out
    if (!isMap(n)) throw this.error(n, where, `expected a mapping, got ${kindOf(n)}`)
    let merge: unknown = undefined
    for (const pair of n.items) {
      const key = pair.key
      if (isScalar(key) && key.type === "PLAIN" && key.tag === undefined && key.source === "<<") {
        merge = pair.value
        continue
      }
      const k = this.resolve(key, where)
      // Non-scalar keys cannot name a field; go-yaml skips them.
      if (k !== null && !isScalar(k)) continue
      const name = k === null ? "" : (k.source ?? String(k.value))
      if (out.has(name)) throw this.error(k, `${where}.${name}`, "field already set")
      out.set(name, this.resolve(pair.value, `${where}.${name}`))
    }
    if (merge !== undefined) {
      const m = this.resolve(merge, `${where}.<<`)
      const sources = m !== null && isSeq(m) ? m.items : [merge]
      for (const src of sources) {
        const s = this.resolve(src, `${where}.<<`)
        if (s === null || !isMap(s)) throw this.error(s, `${where}.<<`, "map merge requires a mapping or a list of mappings")
        for (const [k, v] of this.struct(s, where)) if (!out.has(k)) out.set(k, v)
      }
    }
    return out
  }
}

const YAML11_TRUE = new Set(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"])
const YAML11_FALSE = new Set(["n", "N", "no", "No", "NO", "off", "Off", "OFF"])

/** go-yaml-style name of a node's kind, for messages (the value itself is never quoted). */
function kindOf(n: Node | null): string {
  if (n === null) return "null"
  if (isMap(n)) return "a mapping"
  if (isSeq(n)) return "a list"
  if (isScalar(n)) {
    const v = n.value
    if (typeof v === "string") return "a string"
    if (typeof v === "boolean") return "a boolean"
    if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a number"
    return "a scalar"
  }
  return "an unsupported node"
}
