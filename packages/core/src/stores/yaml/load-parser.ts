/**
 * Turns go-yaml-compatible tokens into events, handing out the pending head, line and foot
 * comments the way go-yaml's parser does (including its "stem" comments for collections
 * that start under a `-`, and its rule that a BLOCK-END never takes a head comment).
 * @module
 */
import { type Mark, type Token, ScalarStyle, Scanner, Tk, YamlSyntaxError } from "./load-scanner.js"

/** Event kinds. */
export const Ev = {
  StreamStart: 1,
  StreamEnd: 2,
  DocumentStart: 3,
  DocumentEnd: 4,
  Alias: 5,
  Scalar: 6,
  SequenceStart: 7,
  SequenceEnd: 8,
  MappingStart: 9,
  MappingEnd: 10,
} as const
/** An event kind. */
export type EventKind = (typeof Ev)[keyof typeof Ev]

/** One parser event with the comments go-yaml attaches to it. */
export interface YamlEvent {
  readonly type: EventKind
  readonly start: Mark
  /** Anchor name (anchor or alias). */
  readonly anchor: string
  /** Resolved tag, "" when none. */
  readonly tag: string
  /** Scalar text. */
  readonly value: string
  /** Scalar style ({@link ScalarStyle}); for collections 1 = block, 2 = flow. */
  readonly style: number
  head: string
  line: string
  foot: string
}

const enum St {
  StreamStart,
  ImplicitDocumentStart,
  DocumentStart,
  DocumentContent,
  DocumentEnd,
  BlockNode,
  BlockNodeOrIndentlessSequence,
  FlowNode,
  BlockSequenceFirstEntry,
  BlockSequenceEntry,
  IndentlessSequenceEntry,
  BlockMappingFirstKey,
  BlockMappingKey,
  BlockMappingValue,
  FlowSequenceFirstEntry,
  FlowSequenceEntry,
  FlowSequenceEntryMappingKey,
  FlowSequenceEntryMappingValue,
  FlowSequenceEntryMappingEnd,
  FlowMappingFirstKey,
  FlowMappingKey,
  FlowMappingValue,
  FlowMappingEmptyValue,
  End,
}

/** Collection styles in {@link YamlEvent.style}. */
export const BLOCK_STYLE = 1
/** Collection styles in {@link YamlEvent.style}. */
export const FLOW_STYLE = 2

interface TagDirective {
  handle: string
  prefix: string
}

const DEFAULT_TAG_DIRECTIVES: TagDirective[] = [
  { handle: "!", prefix: "!" },
  { handle: "!!", prefix: "tag:yaml.org,2002:" },
]

/** The event parser. */
export class Parser {
  private readonly scanner: Scanner
  private state: St = St.StreamStart
  private readonly states: St[] = []
  private readonly marks: Mark[] = []
  private tagDirectives: TagDirective[] = []
  private headComment = ""
  private lineComment = ""
  private footComment = ""
  private stemComment: string | null = null
  private done = false
  /** The event handed out by every call of {@link Parser.next}: one allocation, not one per event. */
  private readonly current: { -readonly [K in keyof YamlEvent]: YamlEvent[K] } = {
    type: Ev.StreamStart,
    start: { index: 0, line: 0, column: 0 },
    anchor: "",
    tag: "",
    value: "",
    style: 0,
    head: "",
    line: "",
    foot: "",
  }

  /**
   * @param text - the decoded input
   * @param firstIrregular - as `decodeYamlInput` reports it; see the `Scanner` constructor
   */
  constructor(text: string, firstIrregular?: number) {
    this.scanner = new Scanner(text, firstIrregular)
  }

  /**
   * The next event, or null after STREAM-END. The parser fills in the same event object on
   * every call (the composer never keeps one across calls), so read it before the next call.
   */
  next(): YamlEvent | null {
    if (this.done) return null
    const ev = this.dispatch()
    if (ev.type === Ev.StreamEnd) this.done = true
    return ev
  }

  // ---- tokens and comments -----------------------------------------------------------

  private peek(): Token {
    const token = this.scanner.peek()
    this.unfoldComments(token)
    return token
  }

  private skip(): void {
    this.scanner.skipToken()
  }

  /** Moves every comment filed at or before `token` into the pending comment slots. */
  private unfoldComments(token: Token): void {
    const sc = this.scanner
    const list = sc.comments
    while (sc.commentsHead < list.length && token.start.index >= list[sc.commentsHead]!.tokenMark.index) {
      const c = list[sc.commentsHead]!
      if (c.head.length > 0) {
        // A block end never takes a head comment; keep it for the next token.
        if (token.type === Tk.BlockEnd) break
        this.headComment = this.headComment.length > 0 ? this.headComment + "\n" + c.head : c.head
      }
      if (c.foot.length > 0) this.footComment = this.footComment.length > 0 ? this.footComment + "\n" + c.foot : c.foot
      if (c.line.length > 0) this.lineComment = this.lineComment.length > 0 ? this.lineComment + "\n" + c.line : c.line
      const zero = { index: 0, line: 0, column: 0 }
      c.head = c.line = c.foot = ""
      c.scanMark = c.tokenMark = c.startMark = c.endMark = zero
      sc.commentsHead++
    }
  }

  private takeComments(ev: YamlEvent): YamlEvent {
    ev.head = this.headComment
    ev.line = this.lineComment
    ev.foot = this.footComment
    this.headComment = this.lineComment = this.footComment = ""
    this.stemComment = null
    return ev
  }

  /** Resets the one event object (see {@link Parser.next}) and returns it. */
  private event(type: EventKind, start: Mark, anchor = "", tag = "", value = "", style = 0): YamlEvent {
    const ev = this.current
    ev.type = type
    ev.start = start
    ev.anchor = anchor
    ev.tag = tag
    ev.value = value
    ev.style = style
    ev.head = ""
    ev.line = ""
    ev.foot = ""
    return ev
  }

  private fail(problem: string, mark: Mark, context = "", contextMark: Mark | null = null): never {
    throw new YamlSyntaxError(problem, mark, context, contextMark, false)
  }

  private popState(): void {
    this.state = this.states.pop()!
  }

  // ---- state machine -----------------------------------------------------------------

  private dispatch(): YamlEvent {
    switch (this.state) {
      case St.StreamStart: {
        const t = this.peek()
        if (t.type !== Tk.StreamStart) this.fail("did not find expected <stream-start>", t.start)
        this.state = St.ImplicitDocumentStart
        this.skip()
        return this.event(Ev.StreamStart, t.start)
      }
      case St.ImplicitDocumentStart:
        return this.documentStart(true)
      case St.DocumentStart:
        return this.documentStart(false)
      case St.DocumentContent: {
        const t = this.peek()
        if (t.type === Tk.VersionDirective || t.type === Tk.TagDirective || t.type === Tk.DocumentStart || t.type === Tk.DocumentEnd || t.type === Tk.StreamEnd) {
          this.popState()
          return this.emptyScalar(t.start)
        }
        return this.node(true, false)
      }
      case St.DocumentEnd:
        return this.documentEnd()
      case St.BlockNode:
        return this.node(true, false)
      case St.BlockNodeOrIndentlessSequence:
        return this.node(true, true)
      case St.FlowNode:
        return this.node(false, false)
      case St.BlockSequenceFirstEntry:
        return this.blockSequenceEntry(true)
      case St.BlockSequenceEntry:
        return this.blockSequenceEntry(false)
      case St.IndentlessSequenceEntry:
        return this.indentlessSequenceEntry()
      case St.BlockMappingFirstKey:
        return this.blockMappingKey(true)
      case St.BlockMappingKey:
        return this.blockMappingKey(false)
      case St.BlockMappingValue:
        return this.blockMappingValue()
      case St.FlowSequenceFirstEntry:
        return this.flowSequenceEntry(true)
      case St.FlowSequenceEntry:
        return this.flowSequenceEntry(false)
      case St.FlowSequenceEntryMappingKey:
        return this.flowSequenceEntryMappingKey()
      case St.FlowSequenceEntryMappingValue:
        return this.flowSequenceEntryMappingValue()
      case St.FlowSequenceEntryMappingEnd: {
        const t = this.peek()
        this.state = St.FlowSequenceEntry
        return this.event(Ev.MappingEnd, t.start)
      }
      case St.FlowMappingFirstKey:
        return this.flowMappingKey(true)
      case St.FlowMappingKey:
        return this.flowMappingKey(false)
      case St.FlowMappingValue:
        return this.flowMappingValue(false)
      case St.FlowMappingEmptyValue:
        return this.flowMappingValue(true)
      case St.End:
        return this.event(Ev.StreamEnd, { index: 0, line: 0, column: 0 })
    }
  }

  private documentStart(implicit: boolean): YamlEvent {
    let t = this.peek()
    if (!implicit) {
      while (t.type === Tk.DocumentEnd) {
        this.skip()
        t = this.peek()
      }
    }
    if (implicit && t.type !== Tk.VersionDirective && t.type !== Tk.TagDirective && t.type !== Tk.DocumentStart && t.type !== Tk.StreamEnd) {
      this.processDirectives()
      this.states.push(St.DocumentEnd)
      this.state = St.BlockNode
      // The part of the head comment before its last blank line belongs to the document.
      let docHead = ""
      const hc = this.headComment
      for (let i = hc.length - 1; i > 0; i--) {
        if (hc[i] === "\n") {
          if (i === hc.length - 1) {
            docHead = hc.slice(0, i)
            this.headComment = hc.slice(i + 1)
            break
          } else if (hc[i - 1] === "\n") {
            docHead = hc.slice(0, i - 1)
            this.headComment = hc.slice(i + 1)
            break
          }
        }
      }
      const ev = this.event(Ev.DocumentStart, t.start)
      ev.head = docHead
      return ev
    }
    if (t.type !== Tk.StreamEnd) {
      const start = t.start
      this.processDirectives()
      t = this.peek()
      if (t.type !== Tk.DocumentStart) this.fail("did not find expected <document start>", t.start)
      this.states.push(St.DocumentEnd)
      this.state = St.DocumentContent
      this.skip()
      return this.event(Ev.DocumentStart, start)
    }
    this.state = St.End
    this.skip()
    return this.event(Ev.StreamEnd, t.start)
  }

  private documentEnd(): YamlEvent {
    const t = this.peek()
    if (t.type === Tk.DocumentEnd) this.skip()
    this.tagDirectives = []
    this.state = St.DocumentStart
    const ev = this.takeComments(this.event(Ev.DocumentEnd, t.start))
    if (ev.head.length > 0 && ev.foot.length === 0) {
      ev.foot = ev.head
      ev.head = ""
    }
    return ev
  }

  private processDirectives(): void {
    const dirs: TagDirective[] = []
    let seenVersion = false
    let t = this.peek()
    while (t.type === Tk.VersionDirective || t.type === Tk.TagDirective) {
      if (t.type === Tk.VersionDirective) {
        if (seenVersion) this.fail("found duplicate %YAML directive", t.start)
        seenVersion = true
        const [major, minor] = t.value.split(".").map(Number)
        if (major !== 1 || (minor !== 1 && minor !== 2)) this.fail("found incompatible YAML document", t.start)
      } else {
        if (dirs.some((d) => d.handle === t.value)) this.fail("found duplicate %TAG directive", t.start)
        dirs.push({ handle: t.value, prefix: t.suffix })
      }
      this.skip()
      t = this.peek()
    }
    for (const d of DEFAULT_TAG_DIRECTIVES) if (!dirs.some((x) => x.handle === d.handle)) dirs.push(d)
    this.tagDirectives = dirs
  }

  private emptyScalar(mark: Mark): YamlEvent {
    return this.event(Ev.Scalar, mark, "", "", "", ScalarStyle.Plain)
  }

  private node(block: boolean, indentlessSequence: boolean): YamlEvent {
    let t = this.peek()
    if (t.type === Tk.Alias) {
      this.popState()
      const ev = this.takeComments(this.event(Ev.Alias, t.start, t.value))
      this.skip()
      return ev
    }
    const start = t.start
    let anchor = ""
    let tagToken: Token | null = null
    if (t.type === Tk.Anchor) {
      anchor = t.value
      this.skip()
      t = this.peek()
      if (t.type === Tk.Tag) {
        tagToken = t
        this.skip()
        t = this.peek()
      }
    } else if (t.type === Tk.Tag) {
      tagToken = t
      this.skip()
      t = this.peek()
      if (t.type === Tk.Anchor) {
        anchor = t.value
        this.skip()
        t = this.peek()
      }
    }
    let tag = ""
    if (tagToken !== null) {
      if (tagToken.value.length === 0) {
        tag = tagToken.suffix
      } else {
        const dir = this.tagDirectives.find((d) => d.handle === tagToken!.value)
        if (dir === undefined) this.fail("found undefined tag handle", tagToken.start, "while parsing a node", start)
        tag = dir.prefix + tagToken.suffix
      }
    }
    if (indentlessSequence && t.type === Tk.BlockEntry) {
      this.state = St.IndentlessSequenceEntry
      return this.event(Ev.SequenceStart, start, anchor, tag, "", BLOCK_STYLE)
    }
    if (t.type === Tk.Scalar) {
      this.popState()
      const ev = this.takeComments(this.event(Ev.Scalar, start, anchor, tag, t.value, t.style))
      this.skip()
      return ev
    }
    if (t.type === Tk.FlowSequenceStart) {
      this.state = St.FlowSequenceFirstEntry
      return this.takeComments(this.event(Ev.SequenceStart, start, anchor, tag, "", FLOW_STYLE))
    }
    if (t.type === Tk.FlowMappingStart) {
      this.state = St.FlowMappingFirstKey
      return this.takeComments(this.event(Ev.MappingStart, start, anchor, tag, "", FLOW_STYLE))
    }
    if (block && (t.type === Tk.BlockSequenceStart || t.type === Tk.BlockMappingStart)) {
      this.state = t.type === Tk.BlockSequenceStart ? St.BlockSequenceFirstEntry : St.BlockMappingFirstKey
      const ev = this.event(t.type === Tk.BlockSequenceStart ? Ev.SequenceStart : Ev.MappingStart, start, anchor, tag, "", BLOCK_STYLE)
      if (this.stemComment !== null) {
        ev.head = this.stemComment
        this.stemComment = null
      }
      return ev
    }
    if (anchor.length > 0 || tag.length > 0) {
      this.popState()
      return this.event(Ev.Scalar, start, anchor, tag, "", ScalarStyle.Plain)
    }
    return this.fail("did not find expected node content", t.start, block ? "while parsing a block node" : "while parsing a flow node", start)
  }

  /** A head comment read before a `-` goes to the collection that starts under it. */
  private splitStemComment(stemLen: number): void {
    if (stemLen === 0) return
    const t = this.peek()
    if (t.type !== Tk.BlockSequenceStart && t.type !== Tk.BlockMappingStart) return
    this.stemComment = this.headComment.slice(0, stemLen)
    this.headComment = this.headComment.length === stemLen ? "" : this.headComment.slice(stemLen + 1)
  }

  private blockSequenceEntry(first: boolean): YamlEvent {
    if (first) {
      this.marks.push(this.peek().start)
      this.skip()
    }
    let t = this.peek()
    if (t.type === Tk.BlockEntry) {
      const mark = t.end
      const prior = this.headComment.length
      this.skip()
      this.splitStemComment(prior)
      t = this.peek()
      if (t.type !== Tk.BlockEntry && t.type !== Tk.BlockEnd) {
        this.states.push(St.BlockSequenceEntry)
        return this.node(true, false)
      }
      this.state = St.BlockSequenceEntry
      return this.emptyScalar(mark)
    }
    if (t.type === Tk.BlockEnd) {
      this.popState()
      this.marks.pop()
      this.skip()
      return this.event(Ev.SequenceEnd, t.start)
    }
    const ctx = this.marks.pop()!
    return this.fail("did not find expected '-' indicator", t.start, "while parsing a block collection", ctx)
  }

  private indentlessSequenceEntry(): YamlEvent {
    let t = this.peek()
    if (t.type === Tk.BlockEntry) {
      const mark = t.end
      const prior = this.headComment.length
      this.skip()
      this.splitStemComment(prior)
      t = this.peek()
      if (t.type !== Tk.BlockEntry && t.type !== Tk.Key && t.type !== Tk.Value && t.type !== Tk.BlockEnd) {
        this.states.push(St.IndentlessSequenceEntry)
        return this.node(true, false)
      }
      this.state = St.IndentlessSequenceEntry
      return this.emptyScalar(mark)
    }
    this.popState()
    return this.event(Ev.SequenceEnd, t.start)
  }

  private blockMappingKey(first: boolean): YamlEvent {
    if (first) {
      this.marks.push(this.peek().start)
      this.skip()
    }
    let t = this.peek()
    if (t.type === Tk.Key) {
      const mark = t.end
      this.skip()
      t = this.peek()
      if (t.type !== Tk.Key && t.type !== Tk.Value && t.type !== Tk.BlockEnd) {
        this.states.push(St.BlockMappingValue)
        return this.node(true, true)
      }
      this.state = St.BlockMappingValue
      return this.emptyScalar(mark)
    }
    if (t.type === Tk.BlockEnd) {
      this.popState()
      this.marks.pop()
      const ev = this.takeComments(this.event(Ev.MappingEnd, t.start))
      this.skip()
      return ev
    }
    const ctx = this.marks.pop()!
    return this.fail("did not find expected key", t.start, "while parsing a block mapping", ctx)
  }

  private blockMappingValue(): YamlEvent {
    let t = this.peek()
    if (t.type === Tk.Value) {
      const mark = t.end
      this.skip()
      t = this.peek()
      if (t.type !== Tk.Key && t.type !== Tk.Value && t.type !== Tk.BlockEnd) {
        this.states.push(St.BlockMappingKey)
        return this.node(true, true)
      }
      this.state = St.BlockMappingKey
      return this.emptyScalar(mark)
    }
    this.state = St.BlockMappingKey
    return this.emptyScalar(t.start)
  }

  private flowSequenceEntry(first: boolean): YamlEvent {
    if (first) {
      this.marks.push(this.peek().start)
      this.skip()
    }
    let t = this.peek()
    if (t.type !== Tk.FlowSequenceEnd) {
      if (!first) {
        if (t.type === Tk.FlowEntry) {
          this.skip()
          t = this.peek()
        } else {
          const ctx = this.marks.pop()!
          this.fail("did not find expected ',' or ']'", t.start, "while parsing a flow sequence", ctx)
        }
      }
      if (t.type === Tk.Key) {
        this.state = St.FlowSequenceEntryMappingKey
        const ev = this.event(Ev.MappingStart, t.start, "", "", "", FLOW_STYLE)
        this.skip()
        return ev
      } else if (t.type !== Tk.FlowSequenceEnd) {
        this.states.push(St.FlowSequenceEntry)
        return this.node(false, false)
      }
    }
    this.popState()
    this.marks.pop()
    const ev = this.takeComments(this.event(Ev.SequenceEnd, t.start))
    this.skip()
    return ev
  }

  private flowSequenceEntryMappingKey(): YamlEvent {
    const t = this.peek()
    if (t.type !== Tk.Value && t.type !== Tk.FlowEntry && t.type !== Tk.FlowSequenceEnd) {
      this.states.push(St.FlowSequenceEntryMappingValue)
      return this.node(false, false)
    }
    const mark = t.end
    this.skip()
    this.state = St.FlowSequenceEntryMappingValue
    return this.emptyScalar(mark)
  }

  private flowSequenceEntryMappingValue(): YamlEvent {
    let t = this.peek()
    if (t.type === Tk.Value) {
      this.skip()
      t = this.peek()
      if (t.type !== Tk.FlowEntry && t.type !== Tk.FlowSequenceEnd) {
        this.states.push(St.FlowSequenceEntryMappingEnd)
        return this.node(false, false)
      }
    }
    this.state = St.FlowSequenceEntryMappingEnd
    return this.emptyScalar(t.start)
  }

  private flowMappingKey(first: boolean): YamlEvent {
    if (first) {
      this.marks.push(this.peek().start)
      this.skip()
    }
    let t = this.peek()
    if (t.type !== Tk.FlowMappingEnd) {
      if (!first) {
        if (t.type === Tk.FlowEntry) {
          this.skip()
          t = this.peek()
        } else {
          const ctx = this.marks.pop()!
          this.fail("did not find expected ',' or '}'", t.start, "while parsing a flow mapping", ctx)
        }
      }
      if (t.type === Tk.Key) {
        this.skip()
        t = this.peek()
        if (t.type !== Tk.Value && t.type !== Tk.FlowEntry && t.type !== Tk.FlowMappingEnd) {
          this.states.push(St.FlowMappingValue)
          return this.node(false, false)
        }
        this.state = St.FlowMappingValue
        return this.emptyScalar(t.start)
      } else if (t.type !== Tk.FlowMappingEnd) {
        this.states.push(St.FlowMappingEmptyValue)
        return this.node(false, false)
      }
    }
    this.popState()
    this.marks.pop()
    const ev = this.takeComments(this.event(Ev.MappingEnd, t.start))
    this.skip()
    return ev
  }

  private flowMappingValue(empty: boolean): YamlEvent {
    let t = this.peek()
    if (empty) {
      this.state = St.FlowMappingKey
      return this.emptyScalar(t.start)
    }
    if (t.type === Tk.Value) {
      this.skip()
      t = this.peek()
      if (t.type !== Tk.FlowEntry && t.type !== Tk.FlowMappingEnd) {
        this.states.push(St.FlowMappingKey)
        return this.node(false, false)
      }
    }
    this.state = St.FlowMappingKey
    return this.emptyScalar(t.start)
  }
}
