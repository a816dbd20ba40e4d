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
  readonly content: YamlNode[]
  head: string
  lineComment: string
  foot: string
}

/** Reads documents one at a time, sharing anchors across documents as go-yaml does. */
export class Composer {
  private readonly parser: Parser
  private ev: YamlEvent | null = null
  private readonly anchors = new Map<string, YamlNode>()
  private started = false

  /** @param text - the decoded input */
  constructor(text: string) {
    this.parser = new Parser(text)
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

  private node(kind: NodeKind, defaultTag: string, tag: string, value: string, e: YamlEvent, quoted = false): YamlNode {
    // Untagged plain scalars keep "" and are typed when decoded (resolving here twice is slow).
    let t = ""
    if (tag !== "" && tag !== "!") t = shortTag(tag)
    else if (defaultTag !== "") t = defaultTag
    return {
      kind,
      tag: t,
      value,
      quoted,
      flow: e.style === FLOW_STYLE && (kind === Kind.Mapping || kind === Kind.Sequence),
      line: e.start.line + 1,
      column: e.start.column + 1,
      alias: null,
      content: [],
      head: e.head,
      lineComment: e.line,
      foot: e.foot,
    }
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
    const n = this.node(Kind.Document, "", "", "", e)
    this.expect(Ev.DocumentStart)
    n.content.push(this.parse())
    const end = this.peek()
    if (end.type === Ev.DocumentEnd) n.foot = end.foot
    this.expect(Ev.DocumentEnd)
    return n
  }

  private aliasNode(): YamlNode {
    const e = this.peek()
    const n = this.node(Kind.Alias, "", "", e.anchor, e)
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
    const n = this.node(Kind.Scalar, defaultTag, e.tag, e.value, e, quoted)
    this.anchor(n, e.anchor)
    this.expect(Ev.Scalar)
    return n
  }

  private sequence(): YamlNode {
    const e = this.peek()
    const n = this.node(Kind.Sequence, Tags.seq, e.tag, "", e)
    this.anchor(n, e.anchor)
    this.expect(Ev.SequenceStart)
    while (this.peek().type !== Ev.SequenceEnd) n.content.push(this.parse())
    const end = this.expect(Ev.SequenceEnd)
    n.lineComment = end.line
    n.foot = end.foot
    return n
  }

  private mapping(): YamlNode {
    const e = this.peek()
    const n = this.node(Kind.Mapping, Tags.map, e.tag, "", e)
    const block = !n.flow
    this.anchor(n, e.anchor)
    this.expect(Ev.MappingStart)
    while (this.peek().type !== Ev.MappingEnd) {
      const k = this.parse()
      n.content.push(k)
      if (block && k.foot !== "") {
        // A foot comment read just before a key belongs to the previous value.
        if (n.content.length > 2) {
          n.content[n.content.length - 3]!.foot = k.foot
          k.foot = ""
        }
      }
      const v = this.parse()
      n.content.push(v)
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
