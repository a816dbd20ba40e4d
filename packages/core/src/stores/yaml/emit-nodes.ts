/**
 * Tree → YAML node graph, placing comments exactly where sops' YAML store puts them
 * (`appendTreeBranch`, `appendSequence`, `addComments*` in `stores/yaml/store.go`):
 *
 * - consecutive comment items are buffered; non-inline ones become the head comment of the next
 *   key (mapping) or element (sequence), or of the container itself when nothing was emitted yet;
 * - inline ones become the line comment of the next value (mapping) or element (sequence);
 * - comments left at the end become the foot comment of the last key / element (head ones
 *   first, then inline ones), or the container's head comment when it has no entries.
 *
 * Every comment line is written as `#` + its text.
 * @module
 */
import { SopsError } from "../../errors.js"
import { Comment, NonStringKey, TreeBranch, type TreeKey, type TreeValue } from "../../tree.js"
import { EventType } from "./emit-events.js"
import { describeType, scalarText, type ScalarText } from "./emit-scalar.js"

/** Comments attached to a node, as go-yaml's `Node` carries them (`""` = none). */
interface NodeComments {
  head: string
  line: string
  foot: string
}

/**
 * A scalar node. It also has the shape of its own Scalar event (with no tail comment), so the
 * serializer can emit the node itself instead of a copy.
 */
export interface ScalarNode extends NodeComments {
  readonly kind: "scalar"
  readonly type: EventType.Scalar
  readonly scalar: ScalarText
  readonly tail: ""
}

/** A block mapping: keys and values interleaved, as in go-yaml. */
export interface MappingNode extends NodeComments {
  readonly kind: "mapping"
  readonly content: YamlNode[]
}

/** A block sequence. */
export interface SequenceNode extends NodeComments {
  readonly kind: "sequence"
  readonly content: YamlNode[]
}

/** Any node the emitter handles. */
export type YamlNode = ScalarNode | MappingNode | SequenceNode

function joinComments(lines: readonly string[]): string {
  return "#" + lines.join("\n#")
}

/**
 * go-yaml refuses to print an empty node that carries a comment ("cannot encode node with
 * unknown kind 0"), which makes sops fail; so does this emitter.
 */
function checkCommentable(node: NodeComments | ScalarNode): void {
  if ("scalar" in node && node.scalar.unreadable === true) {
    throw new SopsError(
      "ERR_UNSUPPORTED_VALUE",
      "YAML cannot attach a comment to a multi-line string that starts with a tab (go-yaml cannot encode it)",
    )
  }
}

function addHead(node: NodeComments, lines: string[]): void {
  if (lines.length === 0) return
  checkCommentable(node)
  const text = joinComments(lines)
  node.head = node.head.length > 0 ? text + "\n" + node.head : text
}

function addLine(node: NodeComments, lines: string[]): void {
  if (lines.length === 0) return
  checkCommentable(node)
  const text = joinComments(lines)
  node.line = node.line.length > 0 ? node.line + "\n" + text : text
}

/** `isKey`: a key's foot comment is moved off the key when serialised, so it never fails. */
function addFoot(node: NodeComments, lines: string[], isKey: boolean): void {
  if (lines.length === 0) return
  if (!isKey) checkCommentable(node)
  const text = joinComments(lines)
  node.foot = node.foot.length > 0 ? node.foot + "\n" + text : text
}

function scalarNode(scalar: ScalarText): ScalarNode {
  return { kind: "scalar", type: EventType.Scalar, scalar, head: "", line: "", foot: "", tail: "" }
}

function keyNode(key: Exclude<TreeKey, Comment>): ScalarNode {
  if (typeof key === "string") return scalarNode(scalarText(key))
  if (key instanceof NonStringKey) return scalarNode(scalarText(key.value))
  throw new SopsError("ERR_UNSUPPORTED_VALUE", `YAML cannot emit a mapping key of type ${describeType(key)}`)
}

/** Builds the mapping node of a branch. */
export function mappingNode(branch: TreeBranch): MappingNode {
  const node: MappingNode = { kind: "mapping", content: [], head: "", line: "", foot: "" }
  let heads: string[] = []
  let inlines: string[] = []
  let lastKey: ScalarNode | undefined
  for (const item of branch.items) {
    const key = item.key
    if (key instanceof Comment) {
      if (key.inline) inlines.push(key.value)
      else heads.push(key.value)
      continue
    }
    if (lastKey === undefined) {
      addHead(node, heads)
      heads = []
    }
    const k = keyNode(key)
    addHead(k, heads)
    heads = []
    const v = valueNode(item.value)
    addLine(v, inlines)
    inlines = []
    node.content.push(k, v)
    lastKey = k
  }
  const rest = heads.concat(inlines)
  if (lastKey === undefined) addHead(node, rest)
  else addFoot(lastKey, rest, true)
  return node
}

function sequenceNode(items: readonly TreeValue[]): SequenceNode {
  const node: SequenceNode = { kind: "sequence", content: [], head: "", line: "", foot: "" }
  let heads: string[] = []
  let inlines: string[] = []
  let last: YamlNode | undefined
  for (const item of items) {
    if (item instanceof Comment) {
      if (item.inline) inlines.push(item.value)
      else heads.push(item.value)
      continue
    }
    if (last === undefined) {
      addHead(node, heads)
      heads = []
    }
    const element = valueNode(item)
    addHead(element, heads)
    heads = []
    addLine(element, inlines)
    inlines = []
    node.content.push(element)
    last = element
  }
  const rest = heads.concat(inlines)
  if (last === undefined) addHead(node, rest)
  else addFoot(last, rest, false)
  return node
}

/**
 * Builds the node of any tree value.
 * @throws SopsError `ERR_UNSUPPORTED_VALUE` for a comment in value position or a non-tree value
 */
export function valueNode(value: TreeValue): YamlNode {
  if (value instanceof TreeBranch) return mappingNode(value)
  if (Array.isArray(value)) return sequenceNode(value)
  if (value instanceof Comment) {
    throw new SopsError("ERR_UNSUPPORTED_VALUE", "YAML cannot emit a comment in the position of a value")
  }
  return scalarNode(scalarText(value))
}
