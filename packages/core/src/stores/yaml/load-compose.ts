/**
 * Builds go-yaml `Node` trees (one per document) from parser events, with go-yaml's final
 * comment moves: a key's foot comment that arrives dedented belongs to the previous value,
 * a value's foot comment moves to its key, and a block mapping's foot moves to its last key.
 * @module
 */
import { Ev, FLOW_STYLE, Parser, type YamlEvent } from "./load-parser.js"
import { ScalarStyle, YamlSyntaxError } from "./load-scanner.js"
import { resolve, shortTag, Tags } from "./resolve.js"

/** Node kinds. */
export const Kind = { Document: 1, Sequence: 2, Mapping: 3, Scalar: 4, Alias: 5 } as const
/** A node kind. */
export type NodeKind = (typeof Kind)[keyof typeof Kind]

/** A go-yaml `Node`, reduced to what sops reads. */
export interface YamlNode {
  readonly kind: NodeKind
  /** Short tag (`!!str`, `!!map`, `!Ref`...); "" for documents and untagged plain scalars. */
  readonly tag: string
  readonly value: string
  /** True for quoted and block scalars. */
  readonly quoted: boolean
  readonly flow: boolean
  /** 1-based line of the node. */
  readonly line: number
  readonly column: number
  /** For aliases: the anchored node. */
  alias: YamlNode | null
  /** Children of documents and collections; one shared empty array for scalars and aliases. */
  readonly content: readonly YamlNode[]
  head: string
  lineComment: string
  foot: string
}

/**
 * The composer's {@link YamlNode}. A class rather than an object literal: V8 tracks literal
 * sites for pretenuring, and as nearly every node lives until its document is read, it would
 * allocate them in the old generation, where each store of a young string or node into them
 * pays a write barrier and the heap fills up towards full collections (about a third slower).
 */
class Node implements YamlNode {
  alias: YamlNode | null = null
  constructor(
    readonly kind: NodeKind,
    readonly tag: string,
    readonly value: string,
    readonly quoted: boolean,
    readonly flow: boolean,
    readonly line: number,
    readonly column: number,
    readonly content: readonly YamlNode[],
    public head: string,
    public lineComment: string,
    public foot: string,
  ) {}
}

/** The content of every scalar and alias node: they have none, and 20,000 empty arrays cost. */
const NO_CHILDREN: readonly YamlNode[] = Object.freeze([])

/** Reads documents one at a time, sharing anchors across documents as go-yaml does. */
export class Composer {
  private readonly parser: Parser
  private ev: YamlEvent | null = null
  private readonly anchors = new Map<string, YamlNode>()
  private started = false

  /**
   * @param text - the decoded input
   * @param firstIrregular - as `decodeYamlInput` reports it; see the `Scanner` constructor
   */
  constructor(text: string, firstIrregular?: number) {
    this.parser = new Parser(text, firstIrregular)
  }

  /** The next document node, or null at the end of the stream. */
  nextDocument(): YamlNode | null {
    if (!this.started) {
      this.expect(Ev.StreamStart)
      this.started = true
    }
    const t = this.peek()
    if (t.type === Ev.StreamEnd) return null
    return this.document()
  }

  private peek(): YamlEvent {
    if (this.ev === null) {
      const e = this.parser.next()
      if (e === null) throw new YamlSyntaxError("attempted to go past the end of stream; corrupted value?", { index: 0, line: 0, column: 0 })
      this.ev = e
    }
    return this.ev
  }

  private expect(type: number): YamlEvent {
    const e = this.peek()
    if (e.type !== type) throw new YamlSyntaxError(`expected event ${type} but got ${e.type}`, e.start)
    this.ev = null
    return e
  }

  private node(kind: NodeKind, defaultTag: string, tag: string, value: string, e: YamlEvent, content: readonly YamlNode[], quoted = false): YamlNode {
    // Untagged plain scalars keep "" and are typed when decoded (resolving here twice is slow).
    let t = ""
    if (tag !== "" && tag !== "!") t = shortTag(tag)
    else if (defaultTag !== "") t = defaultTag
    const flow = e.style === FLOW_STYLE && (kind === Kind.Mapping || kind === Kind.Sequence)
    return new Node(kind, t, value, quoted, flow, e.start.line + 1, e.start.column + 1, content, e.head, e.line, e.foot)
  }

  private anchor(n: YamlNode, name: string): void {
    if (name.length > 0) this.anchors.set(name, n)
  }

  private parse(): YamlNode {
    const e = this.peek()
    switch (e.type) {
      case Ev.Scalar:
        return this.scalar()
      case Ev.Alias:
        return this.aliasNode()
      case Ev.MappingStart:
        return this.mapping()
      case Ev.SequenceStart:
        return this.sequence()
      case Ev.DocumentStart:
        return this.document()
      default:
        throw new YamlSyntaxError(`unexpected event ${e.type}`, e.start)
    }
  }

  private document(): YamlNode {
    const e = this.peek()
    const content: YamlNode[] = []
    const n = this.node(Kind.Document, "", "", "", e, content)
    this.expect(Ev.DocumentStart)
    content.push(this.parse())
    const end = this.peek()
    if (end.type === Ev.DocumentEnd) n.foot = end.foot
    this.expect(Ev.DocumentEnd)
    return n
  }

  private aliasNode(): YamlNode {
    const e = this.peek()
    const n = this.node(Kind.Alias, "", "", e.anchor, e, NO_CHILDREN)
    const target = this.anchors.get(e.anchor)
    if (target === undefined) throw new YamlSyntaxError(`unknown anchor '${e.anchor}' referenced`, e.start)
    n.alias = target
    this.expect(Ev.Alias)
    return n
  }

  private scalar(): YamlNode {
    const e = this.peek()
    const quoted = e.style !== ScalarStyle.Plain && e.style !== 0
    let defaultTag = ""
    if (quoted) defaultTag = Tags.str
    else if (e.value === "<<") defaultTag = Tags.merge
    const n = this.node(Kind.Scalar, defaultTag, e.tag, e.value, e, NO_CHILDREN, quoted)
    this.anchor(n, e.anchor)
    this.expect(Ev.Scalar)
    return n
  }

  private sequence(): YamlNode {
    const e = this.peek()
    const content: YamlNode[] = []
    const n = this.node(Kind.Sequence, Tags.seq, e.tag, "", e, content)
    this.anchor(n, e.anchor)
    this.expect(Ev.SequenceStart)
    while (this.peek().type !== Ev.SequenceEnd) content.push(this.parse())
    const end = this.expect(Ev.SequenceEnd)
    n.lineComment = end.line
    n.foot = end.foot
    return n
  }

  private mapping(): YamlNode {
    const e = this.peek()
    const content: YamlNode[] = []
    const n = this.node(Kind.Mapping, Tags.map, e.tag, "", e, content)
    const block = !n.flow
    this.anchor(n, e.anchor)
    this.expect(Ev.MappingStart)
    while (this.peek().type !== Ev.MappingEnd) {
      const k = this.parse()
      content.push(k)
      if (block && k.foot !== "") {
        // A foot comment read just before a key belongs to the previous value.
        if (content.length > 2) {
          content[content.length - 3]!.foot = k.foot
          k.foot = ""
        }
      }
      const v = this.parse()
      content.push(v)
      if (k.foot === "" && v.foot !== "") {
        k.foot = v.foot
        v.foot = ""
      }
    }
    const end = this.expect(Ev.MappingEnd)
    n.lineComment = end.line
    n.foot = end.foot
    if (block && n.foot !== "" && n.content.length > 1) {
      n.content[n.content.length - 2]!.foot = n.foot
      n.foot = ""
    }
    return n
  }
}

/** go-yaml's `Node.ShortTag()` for a scalar. */
export function scalarShortTag(node: YamlNode): string {
  return node.tag !== "" ? node.tag : resolve("", node.value)[0]
}
