/**
 * The YAML event writer: a state machine with the observable behaviour of go-yaml v3.0.4's
 * emitter (`emitterc.go`) for the events sops produces (block mappings and sequences, empty
 * flow `{}`/`[]`, scalars, comments, several documents; no anchors, no directives).
 *
 * Comment placement in go-yaml is stateful: a comment read from one event can stay pending and
 * be written at a later event (a value's line comment can move to the next key; a foot comment
 * leaves a blank line before the next line at the same indentation). Reproducing sops' bytes
 * therefore needs the same states, pending-comment slots and column bookkeeping, which is why
 * this is a state machine rather than a recursive printer. Line width is unlimited, as sops
 * configures go-yaml.
 * @module
 */
import { SopsError } from "../../errors.js"
import { EventType, type YamlEvent } from "./emit-events.js"
import {
  isBreakCode,
  isPrintableCode,
  ScalarStyle,
  type ScalarAnalysis,
} from "./emit-scalar.js"

const enum State {
  StreamStart,
  FirstDocumentStart,
  DocumentStart,
  DocumentContent,
  DocumentEnd,
  FlowSequenceFirstItem,
  FlowMappingFirstKey,
  BlockSequenceFirstItem,
  BlockSequenceItem,
  BlockMappingFirstKey,
  BlockMappingKey,
  BlockMappingSimpleValue,
  BlockMappingValue,
  End,
}

const TAG_PREFIX_SHORT = "!!"

/** Escape letters go-yaml uses in double-quoted scalars. */
const SHORT_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x00, "0"], [0x07, "a"], [0x08, "b"], [0x09, "t"], [0x0a, "n"], [0x0b, "v"], [0x0c, "f"],
  [0x0d, "r"], [0x1b, "e"], [0x22, "\""], [0x5c, "\\"], [0x85, "N"], [0xa0, "_"],
  [0x2028, "L"], [0x2029, "P"],
])

function internal(what: string): SopsError {
  return new SopsError("ERR_UNSUPPORTED_VALUE", `YAML emitter: unexpected ${what}`)
}

/**
 * Writes a complete event stream (STREAM-START … STREAM-END) to text.
 * @param events - the events, starting with StreamStart and ending with StreamEnd
 * @param bestIndent - the indentation width (go-yaml clamps values outside 2..9 to 2)
 */
export function writeEvents(events: readonly YamlEvent[], bestIndent: number): string {
  return new EventWriter(events, bestIndent).run()
}

class EventWriter {
  private readonly events: readonly YamlEvent[]
  private head = 0
  private readonly bestIndent: number
  /** The output so far; appending to one string (a V8 rope) beats many small array pushes. */
  private out = ""

  private state = State.StreamStart
  private readonly states: State[] = []
  private indent = -1
  private readonly indents: number[] = []
  private flowLevel = 0

  private column = 0
  private whitespace = true
  private indention = true
  private footIndent = -1

  private simpleKeyContext = false

  private headComment = ""
  private lineComment = ""
  private footComment = ""
  private tailComment = ""
  private keyLineComment = ""

  // Per-event analysis.
  private tagSuffix = ""
  private scalarValue = ""
  private scalarStyle = ScalarStyle.Plain
  private analysis: ScalarAnalysis | undefined

  constructor(events: readonly YamlEvent[], bestIndent: number) {
    this.events = events
    this.bestIndent = bestIndent < 2 || bestIndent > 9 ? 2 : bestIndent
  }

  run(): string {
    for (; this.head < this.events.length; this.head++) {
      const event = this.events[this.head] as YamlEvent
      this.analyzeEvent(event)
      this.dispatch(event)
    }
    return this.out
  }

  // ---- low-level output -------------------------------------------------------------------

  /** Writes text with no line breaks; `width` is its length in characters. */
  private put(text: string, width: number): void {
    this.out += text
    this.column += width
  }

  private putBreak(): void {
    this.out += "\n"
    this.column = 0
    this.indention = true
  }

  /** Writes one line-break character of scalar or comment text (LF, or CR/NEL/LS/PS as is). */
  private writeBreak(c: number): void {
    if (c === 0x0a) {
      this.putBreak()
      return
    }
    this.out += String.fromCharCode(c)
    this.column = 0
    this.indention = true
  }

  private writeIndent(): void {
    const indent = this.indent < 0 ? 0 : this.indent
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.putBreak()
    }
    if (this.footIndent === indent) this.putBreak()
    if (this.column < indent) this.put(spaces(indent - this.column), indent - this.column)
    this.whitespace = true
    this.footIndent = -1
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(" ", 1)
    this.put(indicator, indicator.length)
    this.whitespace = isWhitespace
    this.indention = this.indention && isIndention
  }

  private writeComment(comment: string): void {
    let breaks = false
    let pound = false
    let run = ""
    let runWidth = 0
    const flush = (): void => {
      if (run.length > 0) this.put(run, runWidth)
      run = ""
      runWidth = 0
    }
    for (let i = 0; i < comment.length; ) {
      const c = comment.codePointAt(i) as number
      const w = c > 0xffff ? 2 : 1
      if (isBreakCode(c)) {
        flush()
        this.writeBreak(c)
        breaks = true
        pound = false
      } else {
        if (breaks) this.writeIndent()
        if (!pound) {
          if (c !== 0x23) {
            run += "# "
            runWidth += 2
          }
          pound = true
        }
        run += comment.slice(i, i + w)
        runWidth++
        this.indention = false
        breaks = false
      }
      i += w
    }
    flush()
    if (!breaks) this.putBreak()
    this.whitespace = true
  }

  // ---- comments ---------------------------------------------------------------------------

  private processHeadComment(): void {
    if (this.tailComment.length > 0) {
      this.writeIndent()
      this.writeComment(this.tailComment)
      this.tailComment = ""
      this.footIndent = this.indent < 0 ? 0 : this.indent
    }
    if (this.headComment.length === 0) return
    this.writeIndent()
    this.writeComment(this.headComment)
    this.headComment = ""
  }

  private processLineComment(linebreak = false): void {
    if (this.lineComment.length === 0) {
      if (linebreak) this.putBreak()
      return
    }
    if (!this.whitespace) this.put(" ", 1)
    this.writeComment(this.lineComment)
    this.lineComment = ""
  }

  private processFootComment(): void {
    if (this.footComment.length === 0) return
    this.writeIndent()
    this.writeComment(this.footComment)
    this.footComment = ""
    this.footIndent = this.indent < 0 ? 0 : this.indent
  }

  // ---- state machine ----------------------------------------------------------------------

  private analyzeEvent(event: YamlEvent): void {
    this.tagSuffix = ""
    this.analysis = undefined
    if (event.head.length > 0) this.headComment = event.head
    if (event.line.length > 0) this.lineComment = event.line
    if (event.foot.length > 0) this.footComment = event.foot
    if (event.tail.length > 0) this.tailComment = event.tail
    if (event.type === EventType.Scalar) {
      const scalar = event.scalar
      if (scalar === undefined) throw internal("scalar event without a value")
      if (scalar.tag !== "") {
        if (!scalar.tag.startsWith(TAG_PREFIX_SHORT)) throw internal("tag")
        this.tagSuffix = scalar.tag.slice(TAG_PREFIX_SHORT.length)
      }
      this.scalarValue = scalar.value
      this.analysis = scalar.analysis
    }
  }

  private popState(): void {
    this.state = this.states.pop() as State
  }

  private popIndent(): void {
    this.indent = this.indents.pop() as number
  }

  private increaseIndent(flow: boolean): void {
    this.indents.push(this.indent)
    if (this.indent < 0) {
      this.indent = flow ? this.bestIndent : 0
    } else if (this.states[this.states.length - 1] === State.BlockSequenceItem) {
      // Content of a "- " entry starts right after the indicator.
      this.indent += 2
    } else {
      this.indent = this.bestIndent * Math.floor((this.indent + this.bestIndent) / this.bestIndent)
    }
  }

  private dispatch(event: YamlEvent): void {
    switch (this.state) {
      case State.StreamStart:
        if (event.type !== EventType.StreamStart) throw internal("event before stream start")
        this.state = State.FirstDocumentStart
        return
      case State.FirstDocumentStart:
        return this.documentStart(event, true)
      case State.DocumentStart:
        return this.documentStart(event, false)
      case State.DocumentContent:
        return this.documentContent(event)
      case State.DocumentEnd:
        return this.documentEnd(event)
      case State.FlowSequenceFirstItem:
        return this.emptyFlowCollection(event, EventType.SequenceEnd, "[", "]")
      case State.FlowMappingFirstKey:
        return this.emptyFlowCollection(event, EventType.MappingEnd, "{", "}")
      case State.BlockSequenceFirstItem:
        return this.blockSequenceItem(event, true)
      case State.BlockSequenceItem:
        return this.blockSequenceItem(event, false)
      case State.BlockMappingFirstKey:
        return this.blockMappingKey(event, true)
      case State.BlockMappingKey:
        return this.blockMappingKey(event, false)
      case State.BlockMappingSimpleValue:
        return this.blockMappingValue(event, true)
      case State.BlockMappingValue:
        return this.blockMappingValue(event, false)
      case State.End:
        throw internal("event after stream end")
    }
  }

  private documentStart(event: YamlEvent, first: boolean): void {
    if (event.type === EventType.StreamEnd) {
      // sops closes the encoder after clearing go-yaml's open-ended flag: nothing is written.
      this.state = State.End
      return
    }
    if (event.type !== EventType.DocumentStart) throw internal("event at document start")
    if (!first) {
      this.writeIndent()
      this.writeIndicator("---", true, false, false)
      this.writeIndent()
    }
    if (this.headComment.length > 0) {
      this.processHeadComment()
      this.putBreak()
    }
    this.state = State.DocumentContent
  }

  private documentContent(event: YamlEvent): void {
    this.states.push(State.DocumentEnd)
    this.processHeadComment()
    this.emitNode(event, false)
    this.processLineComment()
    this.processFootComment()
  }

  private documentEnd(event: YamlEvent): void {
    if (event.type !== EventType.DocumentEnd) throw internal("event at document end")
    // go-yaml forces a blank line between a document's foot comment and what follows.
    this.footIndent = 0
    this.processFootComment()
    this.footIndent = -1
    this.writeIndent()
    this.state = State.DocumentStart
  }

  /** `[]` or `{}`: sops only produces flow collections when they are empty. */
  private emptyFlowCollection(event: YamlEvent, endType: EventType, open: string, close: string): void {
    this.writeIndicator(open, true, true, false)
    this.increaseIndent(true)
    this.flowLevel++
    if (event.type !== endType) throw internal("content in a flow collection")
    if (endType === EventType.MappingEnd) this.processHeadComment()
    this.flowLevel--
    this.popIndent()
    if (endType === EventType.SequenceEnd && this.column === 0) this.writeIndent()
    this.writeIndicator(close, false, false, false)
    this.processLineComment()
    this.processFootComment()
    this.popState()
  }

  private blockSequenceItem(event: YamlEvent, first: boolean): void {
    if (first) this.increaseIndent(false)
    if (event.type === EventType.SequenceEnd) {
      this.popIndent()
      this.popState()
      return
    }
    this.processHeadComment()
    this.writeIndent()
    this.writeIndicator("-", true, false, true)
    this.states.push(State.BlockSequenceItem)
    this.emitNode(event, false)
    this.processLineComment()
    this.processFootComment()
  }

  private blockMappingKey(event: YamlEvent, first: boolean): void {
    if (first) this.increaseIndent(false)
    this.processHeadComment()
    if (event.type === EventType.MappingEnd) {
      this.popIndent()
      this.popState()
      return
    }
    this.writeIndent()
    if (this.lineComment.length > 0) {
      // A pending line comment (left by a preceding container) is kept for this key's value.
      this.keyLineComment = this.lineComment
      this.lineComment = ""
    }
    if (this.checkSimpleKey(event)) {
      this.states.push(State.BlockMappingSimpleValue)
      this.emitNode(event, true)
    } else {
      this.writeIndicator("?", true, false, true)
      this.states.push(State.BlockMappingValue)
      this.emitNode(event, false)
    }
  }

  private blockMappingValue(event: YamlEvent, simple: boolean): void {
    if (simple) {
      this.writeIndicator(":", false, false, false)
    } else {
      this.writeIndent()
      this.writeIndicator(":", true, false, true)
    }
    if (this.keyLineComment.length > 0) {
      if (event.type === EventType.Scalar) {
        if (this.lineComment.length === 0) {
          this.lineComment = this.keyLineComment
          this.keyLineComment = ""
        }
      } else if (event.type === EventType.MappingStart || event.type === EventType.SequenceStart) {
        const own = this.lineComment
        this.lineComment = this.keyLineComment
        this.processLineComment()
        this.lineComment = own
        this.keyLineComment = ""
      }
    }
    this.states.push(State.BlockMappingKey)
    this.emitNode(event, false)
    this.processLineComment()
    this.processFootComment()
  }

  /** Emits a node start; only the simple-key context changes the output of sops' trees. */
  private emitNode(event: YamlEvent, simpleKey: boolean): void {
    this.simpleKeyContext = simpleKey
    switch (event.type) {
      case EventType.Scalar:
        return this.emitScalar()
      case EventType.SequenceStart:
        this.state = this.nextIsEnd(EventType.SequenceEnd) || this.flowLevel > 0
          ? State.FlowSequenceFirstItem
          : State.BlockSequenceFirstItem
        return
      case EventType.MappingStart:
        this.state = this.nextIsEnd(EventType.MappingEnd) || this.flowLevel > 0
          ? State.FlowMappingFirstKey
          : State.BlockMappingFirstKey
        return
      default:
        throw internal("event where a node was expected")
    }
  }

  private nextIsEnd(endType: EventType): boolean {
    return this.events[this.head + 1]?.type === endType
  }

  private checkSimpleKey(event: YamlEvent): boolean {
    let length: number
    switch (event.type) {
      case EventType.Scalar: {
        const a = this.analysis as ScalarAnalysis
        if (a.multiline) return false
        length = (this.tagSuffix === "" ? 0 : TAG_PREFIX_SHORT.length + this.tagSuffix.length) + a.byteLength
        break
      }
      case EventType.SequenceStart:
        if (!this.nextIsEnd(EventType.SequenceEnd)) return false
        length = 0
        break
      case EventType.MappingStart:
        if (!this.nextIsEnd(EventType.MappingEnd)) return false
        length = 0
        break
      default:
        return false
    }
    return length <= 128
  }

  // ---- scalars ----------------------------------------------------------------------------

  private emitScalar(): void {
    this.selectScalarStyle()
    if (this.tagSuffix !== "") {
      if (!this.whitespace) this.put(" ", 1)
      this.put(TAG_PREFIX_SHORT + this.tagSuffix, TAG_PREFIX_SHORT.length + this.tagSuffix.length)
      this.whitespace = false
      this.indention = false
    }
    this.increaseIndent(true)
    switch (this.scalarStyle) {
      case ScalarStyle.Plain:
        this.writePlain(this.scalarValue)
        break
      case ScalarStyle.SingleQuoted:
        this.writeSingleQuoted(this.scalarValue)
        break
      case ScalarStyle.DoubleQuoted:
        this.writeDoubleQuoted(this.scalarValue)
        break
      case ScalarStyle.Literal:
        this.writeLiteral(this.scalarValue)
        break
    }
    this.popIndent()
    this.popState()
  }

  private selectScalarStyle(): void {
    const event = this.events[this.head] as YamlEvent
    const a = this.analysis as ScalarAnalysis
    let style = (event.scalar as { style: ScalarStyle }).style
    if (this.simpleKeyContext && a.multiline) style = ScalarStyle.DoubleQuoted
    if (style === ScalarStyle.Plain) {
      if ((this.flowLevel > 0 && !a.flowPlainAllowed) || (this.flowLevel === 0 && !a.blockPlainAllowed)) {
        style = ScalarStyle.SingleQuoted
      }
      if (this.scalarValue.length === 0 && (this.flowLevel > 0 || this.simpleKeyContext)) {
        style = ScalarStyle.SingleQuoted
      }
    }
    if (style === ScalarStyle.SingleQuoted && !a.singleQuotedAllowed) style = ScalarStyle.DoubleQuoted
    if (style === ScalarStyle.Literal && (!a.blockAllowed || this.flowLevel > 0 || this.simpleKeyContext)) {
      style = ScalarStyle.DoubleQuoted
    }
    this.scalarStyle = style
  }

  private writePlain(value: string): void {
    if (value.length > 0 && !this.whitespace) this.put(" ", 1)
    // Plain scalars never hold breaks (the analysis forbids it) and width is unlimited.
    this.put(value, (this.analysis as ScalarAnalysis).width)
    if (value.length > 0) this.whitespace = false
    this.indention = false
  }

  private writeSingleQuoted(value: string): void {
    this.writeIndicator("'", true, false, false)
    let breaks = false
    let run = ""
    let runWidth = 0
    for (let i = 0; i < value.length; ) {
      const c = value.codePointAt(i) as number
      const w = c > 0xffff ? 2 : 1
      if (c === 0x20) {
        run += " "
        runWidth++
      } else if (isBreakCode(c)) {
        if (run.length > 0) this.put(run, runWidth)
        run = ""
        runWidth = 0
        if (!breaks && c === 0x0a) this.putBreak()
        this.writeBreak(c)
        breaks = true
      } else {
        if (breaks) this.writeIndent()
        if (c === 0x27) run += "'"
        run += value.slice(i, i + w)
        runWidth += c === 0x27 ? 2 : 1
        this.indention = false
        breaks = false
      }
      i += w
    }
    if (run.length > 0) this.put(run, runWidth)
    this.writeIndicator("'", false, false, false)
    this.whitespace = false
    this.indention = false
  }

  private writeDoubleQuoted(value: string): void {
    this.writeIndicator("\"", true, false, false)
    // go-yaml's BOM test looks at the start of the value, not at the current character, so a
    // leading U+FEFF makes it escape every character.
    const escapeAll = value.charCodeAt(0) === 0xfeff
    const parts: string[] = []
    let width = 0
    const n = value.length
    for (let i = 0; i < n; ) {
      // A run of characters written as they are: all in the BMP (surrogates are escaped), so
      // each code unit is one column.
      const start = i
      if (!escapeAll) {
        while (i < n && writtenUnescaped(value.charCodeAt(i))) i++
      }
      if (i > start) {
        parts.push(start === 0 && i === n ? value : value.slice(start, i))
        width += i - start
        if (i === n) break
      }
      const c = value.codePointAt(i) as number
      const esc = escapeSequence(c)
      parts.push(esc)
      width += esc.length
      i += c > 0xffff ? 2 : 1
    }
    this.put(parts.length === 1 ? (parts[0] as string) : parts.join(""), width)
    this.writeIndicator("\"", false, false, false)
    this.whitespace = false
    this.indention = false
  }

  private writeLiteral(value: string): void {
    this.writeIndicator("|", true, false, false)
    const first = value.codePointAt(0) as number
    if (first === 0x20 || isBreakCode(first)) {
      this.writeIndicator(String(this.bestIndent), false, false, false)
    }
    const chomp = chompIndicator(value)
    if (chomp !== "") this.writeIndicator(chomp, false, false, false)
    this.processLineComment(true)
    this.whitespace = true
    const n = value.length
    for (let i = 0; i < n; ) {
      const c = value.charCodeAt(i)
      if (isBreakCode(c)) {
        this.writeBreak(c)
        i++
        continue
      }
      // One line: indentation, then the text up to the next break (breaks are never surrogates).
      this.writeIndent()
      const start = i
      let surrogates = false
      for (; i < n; i++) {
        const d = value.charCodeAt(i)
        if (isBreakCode(d)) break
        if (d >= 0xd800 && d <= 0xdfff) surrogates = true
      }
      const line = value.slice(start, i)
      this.put(line, surrogates ? codePointCount(line) : i - start)
      this.indention = false
    }
  }
}

/** `-` without a final break, `+` with two or more (or when the value is one break), else none. */
function chompIndicator(value: string): string {
  const lastCp = lastCodePoint(value, value.length)
  if (!isBreakCode(lastCp.cp)) return "-"
  if (lastCp.start === 0) return "+"
  const prev = lastCodePoint(value, lastCp.start)
  return isBreakCode(prev.cp) ? "+" : ""
}

function lastCodePoint(value: string, end: number): { cp: number; start: number } {
  const lo = value.charCodeAt(end - 1)
  if (lo >= 0xdc00 && lo <= 0xdfff && end >= 2) {
    const hi = value.charCodeAt(end - 2)
    if (hi >= 0xd800 && hi <= 0xdbff) return { cp: value.codePointAt(end - 2) as number, start: end - 2 }
  }
  return { cp: lo, start: end - 1 }
}

const SPACES: string[] = []

/** `n` spaces, cached: indentation is written once per line. */
function spaces(n: number): string {
  let s = SPACES[n]
  if (s === undefined) {
    s = " ".repeat(n)
    SPACES[n] = s
  }
  return s
}

/** Printable ASCII but `"` and `\\`: written as is inside double quotes (by char code). */
const DQ_PLAIN_ASCII: Uint8Array = (() => {
  const table = new Uint8Array(128)
  for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x22 && c !== 0x5c) table[c] = 1
  return table
})()

/**
 * Whether a UTF-16 code unit goes unescaped into a double-quoted scalar: printable, not a
 * break, not `"` or `\\`, and not a surrogate (characters beyond the BMP are escaped).
 */
function writtenUnescaped(c: number): boolean {
  if (c < 0x80) return DQ_PLAIN_ASCII[c] === 1
  return isPrintableCode(c) && !isBreakCode(c)
}

/** go-yaml's escape of one code point in a double-quoted scalar. */
function escapeSequence(c: number): string {
  const short = SHORT_ESCAPES.get(c)
  if (short !== undefined) return "\\" + short
  if (c <= 0xff) return "\\x" + hex(c, 2)
  if (c <= 0xffff) return "\\u" + hex(c, 4)
  return "\\U" + hex(c, 8)
}

function hex(c: number, digits: number): string {
  return c.toString(16).toUpperCase().padStart(digits, "0")
}

function codePointCount(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--
        i++
      }
    }
  }
  return n
}
