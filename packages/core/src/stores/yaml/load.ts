/**
 * Loads a YAML file into sops tree branches, one per document, as sops' YAML store does
 * with go-yaml v3: same values, same comment items at the same places and nesting levels
 * (comments are encrypted with the path of their container, so placement is format).
 *
 * sops first decodes the first document into a Go map only to reject duplicate keys; that
 * strict pass is reproduced here for document 0 (duplicate keys, ill-typed tagged scalars,
 * bad merge values), while later documents are read leniently, as sops does.
 * @module
 */
import { SopsError } from "../../errors.js"
import { Comment, NonStringKey, TreeBranch, type TreeBranches, type TreeItem, type TreeKey, type TreeValue } from "../../tree.js"
import { Composer, Kind, scalarShortTag, type YamlNode } from "./load-compose.js"
import { decodeYamlInput } from "./load-input.js"
import { YamlSyntaxError } from "./load-scanner.js"
import { decodeScalar, ResolveError, Tags } from "./resolve.js"

/**
 * Parses YAML bytes into one {@link TreeBranch} per document.
 *
 * Empty input gives no branches; a document that is only `---` gives an empty branch.
 * @throws SopsError `ERR_FORMAT` for invalid YAML or a root that is not a mapping,
 *   `ERR_DUPLICATE_KEY` for a repeated key in the first document,
 *   `ERR_NO_DOCUMENT` for non-empty input with no document (only comments or blanks)
 */
export function loadYamlBranches(input: Uint8Array): TreeBranches {
  const { text, firstIrregular } = decodeYamlInput(input)
  const composer = new Composer(text, firstIrregular)
  const branches: TreeBranches = []
  try {
    for (let doc = composer.nextDocument(); doc !== null; doc = composer.nextDocument()) {
      const reader = new DocumentReader(branches.length === 0)
      branches.push(reader.readDocument(doc))
      reader.throwDuplicates()
    }
  } catch (err) {
    throw toSopsError(err)
  }
  if (branches.length === 0 && input.length > 0) {
    // sops' duplicate-key pre-pass decodes the first document and fails with io.EOF.
    throw new SopsError("ERR_NO_DOCUMENT", "EOF: the YAML input holds no document")
  }
  return branches
}

function toSopsError(err: unknown): unknown {
  if (err instanceof SopsError) return err
  if (err instanceof YamlSyntaxError) {
    const where = err.contextMark !== null && err.contextMark.line !== 0 ? err.contextMark : err.mark
    // go-yaml reports 0-based lines for parser errors and 1-based ones for scanner errors.
    const shown = where.line !== 0 ? (err.scanner ? where.line + 1 : where.line) : 0
    const prefix = shown !== 0 ? `line ${shown}: ` : ""
    return new SopsError("ERR_FORMAT", `yaml: ${prefix}${err.problem}`, {
      cause: err,
      details: { line: err.mark.line + 1, column: err.mark.column + 1 },
    })
  }
  if (err instanceof ResolveError) return new SopsError("ERR_FORMAT", `yaml: ${err.message}`)
  if (err instanceof RangeError) {
    // Only reachable through pathological nesting depth.
    return new SopsError("ERR_FORMAT", "yaml: document is nested too deeply", { cause: err })
  }
  return err
}

/** go-yaml's alias-expansion budget (`decode.go: allowedAliasRatio`). */
function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= 400_000) return 0.99
  if (decodeCount >= 4_000_000) return 0.1
  return 0.99 - 0.89 * ((decodeCount - 400_000) / 3_600_000)
}

/** Converts one document node, following sops' `appendYamlNodeToTreeBranch` order. */
class DocumentReader {
  private decodeCount = 0
  private aliasCount = 0
  private aliasDepth = 0
  private readonly expanding = new Set<YamlNode>()
  private readonly duplicates: string[] = []

  /** @param strict - the first document: apply sops' strict pre-pass checks */
  constructor(private readonly strict: boolean) {}

  readDocument(doc: YamlNode): TreeBranch {
    return new TreeBranch(this.branch(doc, [], false))
  }

  throwDuplicates(): void {
    if (this.duplicates.length === 0) return
    throw new SopsError("ERR_DUPLICATE_KEY", `yaml: unmarshal errors:\n  ${this.duplicates.join("\n  ")}`, {
      details: { errors: [...this.duplicates] },
    })
  }

  private count(): void {
    this.decodeCount++
    if (this.aliasDepth > 0) this.aliasCount++
    if (this.aliasCount > 100 && this.decodeCount > 1000 && this.aliasCount / this.decodeCount > allowedAliasRatio(this.decodeCount)) {
      throw new SopsError("ERR_FORMAT", "yaml: document contains excessive aliasing")
    }
  }

  /** Follows an alias, guarding against anchors that contain themselves. */
  private enterAlias<T>(node: YamlNode, fn: (target: YamlNode) => T): T {
    const target = node.alias!
    if (this.expanding.has(target)) {
      throw new SopsError("ERR_FORMAT", `yaml: anchor '${node.value}' value contains itself`)
    }
    this.expanding.add(target)
    this.aliasDepth++
    try {
      return fn(target)
    } finally {
      this.aliasDepth--
      this.expanding.delete(target)
    }
  }

  private branch(node: YamlNode, items: TreeItem[], handled: boolean): TreeItem[] {
    this.count()
    if (!handled) {
      mapComments(node.head, false, items)
      mapComments(node.lineComment, false, items)
    }
    switch (node.kind) {
      case Kind.Document:
        for (const child of node.content) this.branch(child, items, false)
        break
      case Kind.Sequence:
        throw new SopsError("ERR_FORMAT", "Error unmarshaling input YAML: YAML documents that are sequences are not supported")
      case Kind.Mapping:
        this.mappingItems(node, items)
        break
      case Kind.Scalar:
        if (scalarShortTag(node) === Tags.null) return items
        throw new SopsError("ERR_FORMAT", "Error unmarshaling input YAML: YAML documents that are values are not supported")
      case Kind.Alias:
        this.enterAlias(node, (target) => this.branch(target, items, false))
        break
    }
    if (!handled) mapComments(node.foot, false, items)
    return items
  }

  private mappingItems(node: YamlNode, items: TreeItem[]): void {
    const content = node.content
    if (this.strict) this.checkMapping(node)
    for (let i = 0; i + 1 < content.length; i += 2) {
      const key = content[i]!
      const value = content[i + 1]!
      mapComments(key.head, false, items)
      mapComments(key.lineComment, false, items)
      const valueComments = value.kind === Kind.Scalar || value.kind === Kind.Alias
      if (valueComments) {
        mapComments(value.head, false, items)
        mapComments(value.lineComment, true, items)
      }
      const k = this.key(key)
      items.push({ key: k, value: this.value(value, valueComments) })
      if (valueComments) mapComments(value.foot, false, items)
      mapComments(key.foot, false, items)
    }
  }

  /** sops' `nodeToTreeValue`. */
  private value(node: YamlNode, handled: boolean): TreeValue {
    switch (node.kind) {
      case Kind.Sequence: {
        this.count()
        const list: TreeValue[] = []
        if (!handled) {
          listComments(node.head, false, list)
          listComments(node.lineComment, false, list)
        }
        for (const item of node.content) {
          listComments(item.head, false, list)
          listComments(item.lineComment, true, list)
          list.push(this.value(item, true))
          listComments(item.foot, false, list)
        }
        if (!handled) listComments(node.foot, false, list)
        return list
      }
      case Kind.Mapping:
        return new TreeBranch(this.branch(node, [], handled))
      case Kind.Scalar:
        this.count()
        return this.scalar(node)
      case Kind.Alias:
        return this.enterAlias(node, (target) => this.value(target, false))
      default:
        throw new SopsError("ERR_FORMAT", "yaml: unexpected document node")
    }
  }

  private scalar(node: YamlNode): TreeValue {
    try {
      return decodeScalar(node)
    } catch (err) {
      // sops ignores decode errors after the strict pass; the value is then nil.
      if (err instanceof ResolveError && !this.strict) return null
      throw err
    }
  }

  private key(node: YamlNode): TreeKey {
    if (node.kind === Kind.Alias) return this.enterAlias(node, (target) => this.key(target))
    if (node.kind !== Kind.Scalar) {
      throw new SopsError("ERR_FORMAT", `yaml: line ${node.line}: invalid map key: mappings and sequences cannot be keys`)
    }
    this.count()
    const v = this.scalar(node)
    if (typeof v === "string") return v
    return new NonStringKey(v as Exclude<typeof v, string | TreeBranch | Comment | TreeValue[]>)
  }

  /** The strict pre-pass: duplicate keys (linear) and merge values, as go-yaml's decoder checks them. */
  private checkMapping(node: YamlNode): void {
    // Keys are the same when kind and value are. Scalar keys go into a set by value, other
    // kinds (rare) by kind and value into a set of their own, so the common case builds no id
    // strings; one set operation per key, and the first occurrence's line is looked up only
    // for a duplicate that gets reported.
    const seenScalars = new Set<string>()
    let seenOthers: Set<string> | null = null
    const content = node.content
    for (let i = 0; i + 1 < content.length; i += 2) {
      const key = content[i]!
      let seen = seenScalars
      let id = key.value
      if (key.kind !== Kind.Scalar) {
        seen = seenOthers ??= new Set<string>()
        id = `${key.kind}\u0000${key.value}`
      }
      const size = seen.size
      seen.add(id)
      if (seen.size === size && this.duplicates.length < 20) {
        const first = firstKeyLike(content, key)
        this.duplicates.push(`line ${key.line}: mapping key ${JSON.stringify(key.value)} already defined at line ${first.line}`)
      }
      if (key.kind === Kind.Scalar && key.tag === Tags.merge && !isMergeable(content[i + 1]!)) {
        throw new SopsError("ERR_FORMAT", `yaml: line ${key.line}: map merge requires map or sequence of maps as the value`)
      }
    }
  }
}

/** The first key in a mapping's content with the kind and value of `key` (maybe `key` itself). */
function firstKeyLike(content: readonly YamlNode[], key: YamlNode): YamlNode {
  for (let i = 0; i < content.length; i += 2) {
    const k = content[i]!
    if (k.kind === key.kind && k.value === key.value) return k
  }
  return key
}

function deref(node: YamlNode): YamlNode {
  let n = node
  for (let i = 0; n.kind === Kind.Alias && n.alias !== null && i < 1000; i++) n = n.alias
  return n
}

function isMergeable(value: YamlNode): boolean {
  const v = deref(value)
  if (v.kind === Kind.Mapping) return true
  if (v.kind === Kind.Sequence) return v.content.every((item) => deref(item).kind === Kind.Mapping)
  return false
}

/*
 * A go-yaml comment block is split into lines; empty lines are dropped and each line loses
 * its `#` (sops' `appendCommentTo*WithInline`). The two helpers below repeat that loop rather
 * than share it through a callback: they run several times per mapping item, mostly on empty
 * text, and a closure over their arguments would be allocated on every call.
 */

function mapComments(text: string, inline: boolean, items: TreeItem[]): void {
  if (text.length === 0) return
  let from = 0
  for (;;) {
    const nl = text.indexOf("\n", from)
    const end = nl < 0 ? text.length : nl
    if (end > from) items.push({ key: new Comment(text.slice(from + 1, end), inline), value: null })
    if (nl < 0) return
    from = nl + 1
  }
}

function listComments(text: string, inline: boolean, list: TreeValue[]): void {
  if (text.length === 0) return
  let from = 0
  for (;;) {
    const nl = text.indexOf("\n", from)
    const end = nl < 0 ? text.length : nl
    if (end > from) list.push(new Comment(text.slice(from + 1, end), inline))
    if (nl < 0) return
    from = nl + 1
  }
}
