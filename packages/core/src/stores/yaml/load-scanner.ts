/**
 * A YAML tokenizer that reproduces go-yaml v3's scanner, including where it files comments.
 *
 * sops encrypts comments with the path of the mapping they end up in, so the nesting level
 * go-yaml gives each comment is part of the file format. go-yaml decides it while scanning:
 * from the column of a comment, the blank lines around it, the last token before it and the
 * indentation levels being closed. Generic YAML libraries attribute comments differently, so
 * this scanner keeps go-yaml's token queue, marks and comment records as observable state.
 *
 * Input is a JS string (already decoded and checked by `load-input.ts`); reads past its end give
 * NUL, as go-yaml's padded buffer does.
 *
 * Speed notes (the loader's time is mostly here): plain scalars, most of a sops file, are
 * measured with `indexOf` over cached next-occurrence positions instead of char by char, and
 * the per-token path allocates no marks it does not keep.
 * @module
 */

/** A position: UTF-16 offset, 0-based line and column. */
export interface Mark {
  readonly index: number
  readonly line: number
  readonly column: number
}

/** go-yaml's token kinds. */
export const Tk = {
  StreamStart: 1,
  StreamEnd: 2,
  VersionDirective: 3,
  TagDirective: 4,
  DocumentStart: 5,
  DocumentEnd: 6,
  BlockSequenceStart: 7,
  BlockMappingStart: 8,
  BlockEnd: 9,
  FlowSequenceStart: 10,
  FlowSequenceEnd: 11,
  FlowMappingStart: 12,
  FlowMappingEnd: 13,
  BlockEntry: 14,
  FlowEntry: 15,
  Key: 16,
  Value: 17,
  Alias: 18,
  Anchor: 19,
  Tag: 20,
  Scalar: 21,
} as const
/** A token kind. */
export type TokenKind = (typeof Tk)[keyof typeof Tk]

/** Scalar styles, as go-yaml numbers them. */
export const ScalarStyle = { Plain: 1, Single: 2, Double: 3, Literal: 4, Folded: 5 } as const

/** One token. `value` holds scalar text, anchor names or a tag handle; `suffix` a tag suffix. */
export interface Token {
  readonly type: TokenKind
  readonly start: Mark
  readonly end: Mark
  readonly value: string
  readonly suffix: string
  readonly style: number
}

/**
 * The scanner's {@link Token}. The end mark is kept as numbers and made on demand: the parser
 * reads it only for the few tokens that stand for an empty value, and one mark object less
 * per token means noticeably less garbage on large files.
 */
class ScannedToken implements Token {
  constructor(
    readonly type: TokenKind,
    readonly start: Mark,
    private readonly endIndex: number,
    private readonly endLine: number,
    private readonly endColumn: number,
    readonly value: string,
    readonly style: number,
    readonly suffix: string,
  ) {}

  get end(): Mark {
    return { index: this.endIndex, line: this.endLine, column: this.endColumn }
  }
}

/** A comment record waiting to be attached to the token at or after `tokenMark`. */
export interface CommentRecord {
  scanMark: Mark
  tokenMark: Mark
  startMark: Mark
  endMark: Mark
  head: string
  line: string
  foot: string
}

/** A syntax error with go-yaml's context and problem texts. */
export class YamlSyntaxError extends Error {
  /** @param problem - what went wrong; @param mark - where; @param context - while doing what; @param contextMark - where that started; @param scanner - raised by the scanner */
  constructor(
    readonly problem: string,
    readonly mark: Mark,
    readonly context: string = "",
    readonly contextMark: Mark | null = null,
    readonly scanner = false,
  ) {
    super(problem)
  }
}

/** Block scalar scanning state: the indentation and where the content seen so far ends. */
interface BlockScalarState {
  indent: number
  endIndex: number
  endLine: number
  endColumn: number
}

interface SimpleKey {
  possible: boolean
  required: boolean
  tokenNumber: number
  mark: Mark
}

const ZERO: Mark = { index: 0, line: 0, column: 0 }
const MAX_INDENTS = 10000
const MAX_FLOW_LEVEL = 10000

const SP = 0x20
const TAB = 0x09
const LF = 0x0a
const CR = 0x0d

function isBlank(c: number): boolean {
  return c === SP || c === TAB
}
function isBreak(c: number): boolean {
  return c === LF || c === CR || c === 0x85 || c === 0x2028 || c === 0x2029
}
function isBreakZ(c: number): boolean {
  return c === 0 || isBreak(c)
}
function isBlankZ(c: number): boolean {
  return c === SP || c === TAB || c === 0 || isBreak(c)
}
function isAlpha(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d
}
function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

/** Characters allowed in a tag URI besides alphanumerics (go-yaml's list). */
const URI_CHARS = new Set(Array.from(";/?:@&=+$,.!~*'()[]%", (ch) => ch.charCodeAt(0)))

/** Never found, for {@link NextIndex}: above any string offset, and still a small integer. */
const NOWHERE = 0x7fffffff

/**
 * The next position at or after a query offset where a fixed string occurs. Queries come in
 * increasing order, so the answer is cached until the offset passes it: every `indexOf` starts
 * past the previous hit and a whole scan costs one pass over the text, not one per query.
 */
class NextIndex {
  private from = NOWHERE
  private at = -1
  constructor(
    private readonly src: string,
    private readonly needle: string,
  ) {}

  /** The first offset >= `p` of the needle, or {@link NOWHERE}. */
  after(p: number): number {
    if (this.at < p || p < this.from) {
      const i = this.src.indexOf(this.needle, p)
      this.at = i < 0 ? NOWHERE : i
      this.from = p
    }
    return this.at
  }
}

/** {@link NextIndex} for a character class (a global regex matching one code unit). */
class NextMatch {
  private from = NOWHERE
  private at = -1
  /**
   * @param first - when the caller knows it: an offset no match comes before (the first match
   *   itself, or an earlier one: the answer is then early, and callers only lose a fast path
   *   until they pass it), or -1 for no match at all
   */
  constructor(
    private readonly src: string,
    private readonly re: RegExp,
    first?: number,
  ) {
    if (first !== undefined) {
      this.from = 0
      this.at = first < 0 ? NOWHERE : first
    }
  }

  /** The first offset >= `p` of a match, or {@link NOWHERE}. */
  after(p: number): number {
    if (this.at < p || p < this.from) {
      this.re.lastIndex = p
      this.at = this.re.test(this.src) ? this.re.lastIndex - 1 : NOWHERE
      this.from = p
    }
    return this.at
  }
}

/**
 * Characters that make the plain-scalar fast path step aside for the exact loop: blanks and
 * breaks other than space, LF and CR (tab, NEL, LS, PS), NUL, and high surrogates (a pair is
 * one column). Each matches one UTF-16 code unit. Shared: every use sets `lastIndex` first.
 */
const PLAIN_RARE = /[\0\t\x85\u2028\u2029\ud800-\udbff]/g

/**
 * go-yaml's `simple_keys_by_tok`: token number to index in the simple-key stack, with the
 * same set/delete semantics as the Go map. Only the head token's number is ever looked up
 * ({@link SimpleKeysByToken.getHead}) and token numbers only grow, so entries for tokens
 * already parsed can never be seen again and are dropped there; the few live entries sit in
 * a flat array (a JS Map allocates on deletes, which happen for nearly every key).
 */
class SimpleKeysByToken {
  /** token, index, token, index, ...: the first `size` entries are used. */
  private readonly pairs: number[] = []
  /** Used length of {@link SimpleKeysByToken.pairs}; the array itself never shrinks, so it is not reallocated. */
  private size = 0

  set(token: number, index: number): void {
    const pairs = this.pairs
    for (let i = 0; i < this.size; i += 2) {
      if (pairs[i] === token) {
        pairs[i + 1] = index
        return
      }
    }
    pairs[this.size] = token
    pairs[this.size + 1] = index
    this.size += 2
  }

  delete(token: number): void {
    const pairs = this.pairs
    for (let i = 0; i < this.size; i += 2) {
      if (pairs[i] === token) {
        this.removeAt(i)
        return
      }
    }
  }

  /** The index for `parsed`, the number of the head token; drops entries below it. */
  getHead(parsed: number): number | undefined {
    const pairs = this.pairs
    let found: number | undefined
    for (let i = 0; i < this.size; ) {
      const token = pairs[i]!
      if (token < parsed) {
        this.removeAt(i)
        continue
      }
      if (token === parsed) found = pairs[i + 1]
      i += 2
    }
    return found
  }

  /** Removes the pair at `i` (order does not matter: tokens are unique). */
  private removeAt(i: number): void {
    const pairs = this.pairs
    const last = this.size - 2
    pairs[i] = pairs[last]!
    pairs[i + 1] = pairs[last + 1]!
    this.size = last
  }
}

/** The tokenizer. Call {@link Scanner.peek} / {@link Scanner.skipToken}; comments are read with {@link Scanner.unfoldComments}. */
export class Scanner {
  private readonly src: string
  /** Length of the input; {@link Scanner.ch} reads 0 at and past it. */
  private readonly len: number
  private pos = 0
  private line = 0
  private column = 0
  /** Line breaks seen since the last non-blank character (go-yaml's `newlines`). */
  private newlines = 0

  private readonly tokens: Token[] = []
  private head = 0
  private tokensParsed = 0
  private tokenAvailable = false
  private streamStartProduced = false

  private indent = -1
  private readonly indents: number[] = []
  private simpleKeyAllowed = false
  private readonly simpleKeys: SimpleKey[] = []
  private readonly simpleKeysByTok = new SimpleKeysByToken()
  private flowLevel = 0

  /** Every comment record scanned; consumed ones are cleared, as go-yaml does. */
  readonly comments: CommentRecord[] = []
  /** Index of the first comment not yet unfolded. */
  commentsHead = 0

  // Cached next positions of the plain-scalar terminators (block context) and of the
  // characters that need the exact loop; see blockPlainRunEnd and skipToBreak.
  private readonly nextSpace: NextIndex
  private readonly nextLf: NextIndex
  private readonly nextCr: NextIndex
  private readonly nextRare: NextMatch

  /**
   * @param text - the whole input, without BOM handling (done here)
   * @param firstIrregular - when known: an offset no tab, NEL, LS, PS, NUL or high surrogate
   *   in `text` comes before (-1: there is none); spares the scanner its own search for them.
   *   `decodeYamlInput` also stops at a CR, which only costs CRLF files one search.
   */
  constructor(text: string, firstIrregular?: number) {
    // Reads past the end give 0 (see ch), so the text needs no NUL padding, which would make
    // it a rope that is slower to index. Only a lone high surrogate at the very end lets skip()
    // step past the end and a slice reach the padding; keep the padding for that case.
    const last = text.charCodeAt(text.length - 1)
    this.src = last >= 0xd800 && last <= 0xdbff ? text + "\0\0\0\0" : text
    this.len = text.length
    this.nextSpace = new NextIndex(this.src, " ")
    this.nextLf = new NextIndex(this.src, "\n")
    this.nextCr = new NextIndex(this.src, "\r")
    this.nextRare = new NextMatch(this.src, PLAIN_RARE, firstIrregular)
  }

  private mark(): Mark {
    return { index: this.pos, line: this.line, column: this.column }
  }

  /** The character `offset` code units ahead; 0 past the end (go-yaml pads with NULs). */
  private ch(offset = 0): number {
    const p = this.pos + offset
    return p < this.len ? this.src.charCodeAt(p) : 0
  }

  /** Advances over one character (a surrogate pair counts as one column). */
  private skip(): void {
    const c = this.ch()
    if (!isBlank(c)) this.newlines = 0
    this.pos += c >= 0xd800 && c <= 0xdbff ? 2 : 1
    this.column++
  }

  private skipLine(): void {
    const c = this.ch()
    if (c === CR && this.ch(1) === LF) {
      this.pos += 2
    } else if (isBreak(c)) {
      this.pos += 1
    } else {
      return
    }
    this.column = 0
    this.line++
    this.newlines++
  }

  /** Consumes a line break and returns its normalised form (go-yaml's `read_line`). */
  private readLine(): string {
    const c = this.ch()
    let out: string
    if (c === CR && this.ch(1) === LF) {
      this.pos += 2
      out = "\n"
    } else if (c === CR || c === LF || c === 0x85) {
      this.pos += 1
      out = "\n"
    } else {
      this.pos += 1
      out = String.fromCharCode(c)
    }
    this.column = 0
    this.line++
    this.newlines++
    return out
  }

  /** Reads one character into the result (go-yaml's `read`). */
  private read(): string {
    const start = this.pos
    this.skip()
    return this.src.slice(start, this.pos)
  }

  private error(context: string, contextMark: Mark, problem: string): never {
    throw new YamlSyntaxError(problem, this.mark(), context, contextMark, true)
  }

  // ---- token queue -------------------------------------------------------------------

  /** The next token, fetching as many as go-yaml would first. */
  peek(): Token {
    if (!this.tokenAvailable) this.fetchMoreTokens()
    return this.tokens[this.head]!
  }

  /** Drops the token returned by {@link Scanner.peek}. */
  skipToken(): void {
    this.tokenAvailable = false
    this.tokensParsed++
    this.head++
    // Keep the queue short; the scanner only ever looks at its last two entries.
    if (this.head > 1024 && this.head > this.tokens.length - 8) {
      const drop = this.head - 2
      const tokens = this.tokens
      tokens.copyWithin(0, drop)
      tokens.length -= drop
      this.head = 2
    }
  }

  private insertToken(at: number, token: Token): void {
    const tokens = this.tokens
    if (at < 0) {
      tokens.push(token)
      return
    }
    // Inserts land a token or two before the end (a KEY before its scalar): shift by hand,
    // which is cheaper than splice.
    const index = this.head + at
    let i = tokens.length
    if (index >= i) {
      tokens.push(token)
      return
    }
    tokens.push(tokens[i - 1]!)
    for (i--; i > index; i--) tokens[i] = tokens[i - 1]!
    tokens[index] = token
  }

  private lastToken(back = 1): Token | undefined {
    return this.tokens[this.tokens.length - back]
  }

  private fetchMoreTokens(): void {
    for (;;) {
      if (this.head < this.tokens.length - 2) {
        // A possible simple key at the head needs the next tokens to be resolved.
        const idx = this.simpleKeysByTok.getHead(this.tokensParsed)
        if (idx === undefined) break
        if (!this.simpleKeyIsValid(this.simpleKeys[idx]!)) break
      }
      this.fetchNextToken()
    }
    this.tokenAvailable = true
  }

  private tok(type: TokenKind, start: Mark, end: Mark, value = "", style = 0, suffix = ""): Token {
    return new ScannedToken(type, start, end.index, end.line, end.column, value, style, suffix)
  }

  /** A token from `start` to the current position. */
  private tokToHere(type: TokenKind, start: Mark, value = "", style = 0, suffix = ""): Token {
    return new ScannedToken(type, start, this.pos, this.line, this.column, value, style, suffix)
  }

  private fetchNextToken(): void {
    if (!this.streamStartProduced) {
      this.indent = -1
      this.simpleKeys.push({ possible: false, required: false, tokenNumber: 0, mark: ZERO })
      this.simpleKeyAllowed = true
      this.streamStartProduced = true
      const m = this.mark()
      this.insertToken(-1, this.tok(Tk.StreamStart, m, m))
      return
    }
    const scanIndex = this.pos
    const scanLine = this.line
    const scanColumn = this.column
    this.scanToNextToken()
    this.unrollIndent(this.column, scanIndex, scanLine, scanColumn)

    const c = this.ch()
    if (c === 0) {
      this.fetchStreamEnd()
      return
    }
    if (this.column === 0 && c === 0x25 /* % */) {
      this.fetchDirective()
      return
    }
    if (this.column === 0 && isBlankZ(this.ch(3))) {
      if (c === 0x2d && this.ch(1) === 0x2d && this.ch(2) === 0x2d) {
        this.fetchDocumentIndicator(Tk.DocumentStart)
        return
      }
      if (c === 0x2e && this.ch(1) === 0x2e && this.ch(2) === 0x2e) {
        this.fetchDocumentIndicator(Tk.DocumentEnd)
        return
      }
    }

    // The comment after a ':' or ',' belongs with the token before it; otherwise with the
    // token about to be fetched (its mark is built only if there is a comment).
    let previousStart: Mark | null = null
    if (this.tokens.length > 0 && ((this.flowLevel === 0 && c === 0x3a) || (this.flowLevel > 0 && c === 0x2c))) {
      previousStart = this.lastToken()!.start
    }
    const tokenIndex = this.pos
    const tokenLine = this.line
    const tokenColumn = this.column
    this.fetchToken(c)
    // A '-' alone has no line comment: what follows it on the line heads the entry.
    if (this.lastToken()!.type !== Tk.BlockEntry) {
      const peek = this.lineCommentAhead()
      if (peek >= 0) this.addLineComment(previousStart ?? { index: tokenIndex, line: tokenLine, column: tokenColumn }, peek)
    }
  }

  private fetchToken(c: number): void {
    const flow = this.flowLevel > 0
    const next = this.ch(1)
    switch (c) {
      case 0x5b: // [
        return this.fetchFlowCollectionStart(Tk.FlowSequenceStart)
      case 0x7b: // {
        return this.fetchFlowCollectionStart(Tk.FlowMappingStart)
      case 0x5d: // ]
        return this.fetchFlowCollectionEnd(Tk.FlowSequenceEnd)
      case 0x7d: // }
        return this.fetchFlowCollectionEnd(Tk.FlowMappingEnd)
      case 0x2c: // ,
        return this.fetchFlowEntry()
      case 0x2a: // *
        return this.fetchAnchor(Tk.Alias)
      case 0x26: // &
        return this.fetchAnchor(Tk.Anchor)
      case 0x21: // !
        return this.fetchTag()
      case 0x27: // '
        return this.fetchFlowScalar(true)
      case 0x22: // "
        return this.fetchFlowScalar(false)
    }
    if (c === 0x2d && isBlankZ(next)) return this.fetchBlockEntry()
    if (c === 0x3f && (flow || isBlankZ(next))) return this.fetchKey()
    if (c === 0x3a && (flow || isBlankZ(next))) return this.fetchValue()
    if (!flow && (c === 0x7c || c === 0x3e)) return this.fetchBlockScalar(c === 0x7c)
    const cannotStart =
      isBlankZ(c) ||
      c === 0x2d || c === 0x3f || c === 0x3a || c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b ||
      c === 0x7d || c === 0x23 || c === 0x26 || c === 0x2a || c === 0x21 || c === 0x7c || c === 0x3e ||
      c === 0x27 || c === 0x22 || c === 0x25 || c === 0x40 || c === 0x60
    if (
      !cannotStart ||
      (c === 0x2d && !isBlank(next)) ||
      (!flow && (c === 0x3f || c === 0x3a) && !isBlankZ(next))
    ) {
      return this.fetchPlainScalar()
    }
    this.error("while scanning for the next token", this.mark(), "found character that cannot start any token")
  }

  // ---- simple keys and indentation ---------------------------------------------------

  private simpleKeyIsValid(key: SimpleKey): boolean {
    if (!key.possible) return false
    if (key.mark.line < this.line || key.mark.index + 1024 < this.pos) {
      if (key.required) this.error("while scanning a simple key", key.mark, "could not find expected ':'")
      key.possible = false
      return false
    }
    return true
  }

  /** @param mark - the current position (the caller's token start, shared to save an allocation) */
  private saveSimpleKey(mark: Mark): void {
    const required = this.flowLevel === 0 && this.indent === this.column
    if (this.simpleKeyAllowed) {
      this.removeSimpleKey()
      // The record is only ever reached through the array, so it is reused in place.
      const last = this.simpleKeys.length - 1
      const key = this.simpleKeys[last]!
      key.possible = true
      key.required = required
      key.tokenNumber = this.tokensParsed + (this.tokens.length - this.head)
      key.mark = mark
      this.simpleKeysByTok.set(key.tokenNumber, last)
    }
  }

  private removeSimpleKey(): void {
    const key = this.simpleKeys[this.simpleKeys.length - 1]!
    if (key.possible) {
      if (key.required) this.error("while scanning a simple key", key.mark, "could not find expected ':'")
      key.possible = false
      this.simpleKeysByTok.delete(key.tokenNumber)
    }
  }

  private increaseFlowLevel(): void {
    this.simpleKeys.push({
      possible: false,
      required: false,
      tokenNumber: this.tokensParsed + (this.tokens.length - this.head),
      mark: this.mark(),
    })
    this.flowLevel++
    if (this.flowLevel > MAX_FLOW_LEVEL) {
      this.error("while increasing flow level", this.simpleKeys[this.simpleKeys.length - 1]!.mark, `exceeded max depth of ${MAX_FLOW_LEVEL}`)
    }
  }

  private decreaseFlowLevel(): void {
    if (this.flowLevel > 0) {
      this.flowLevel--
      const last = this.simpleKeys.pop()!
      this.simpleKeysByTok.delete(last.tokenNumber)
    }
  }

  private rollIndent(column: number, number: number, type: TokenKind, mark: Mark): void {
    if (this.flowLevel > 0) return
    if (this.indent < column) {
      this.indents.push(this.indent)
      this.indent = column
      if (this.indents.length > MAX_INDENTS) {
        this.error("while increasing indent level", this.simpleKeys[this.simpleKeys.length - 1]!.mark, `exceeded max depth of ${MAX_INDENTS}`)
      }
      const token = this.tok(type, mark, mark)
      this.insertToken(number > -1 ? number - this.tokensParsed : -1, token)
    }
  }

  /**
   * Closes indentation levels deeper than `column`. Each BLOCK-END is placed before the
   * run of just-scanned comments that sit at the closing block's own column, so those
   * comments stay inside the block as its foot.
   */
  private unrollIndent(column: number, scanIndex: number, scanLine: number, scanColumn: number): void {
    if (this.flowLevel > 0 || this.indent <= column) return
    let blockMark: Mark = { index: scanIndex - 1, line: scanLine, column: scanColumn }
    while (this.indent > column) {
      let stopIndex = blockMark.index
      for (let i = this.comments.length - 1; i >= 0; i--) {
        const comment = this.comments[i]!
        if (comment.endMark.index < stopIndex) break
        if (comment.startMark.column === this.indent + 1) blockMark = comment.startMark
        stopIndex = comment.scanMark.index
      }
      this.insertToken(-1, this.tok(Tk.BlockEnd, blockMark, blockMark))
      this.indent = this.indents.pop()!
    }
  }

  // ---- fetchers ----------------------------------------------------------------------

  private fetchStreamEnd(): void {
    if (this.column !== 0) {
      this.column = 0
      this.line++
    }
    this.unrollIndent(-1, this.pos, this.line, this.column)
    this.removeSimpleKey()
    this.simpleKeyAllowed = false
    const m = this.mark()
    this.insertToken(-1, this.tok(Tk.StreamEnd, m, m))
  }

  private fetchDirective(): void {
    this.unrollIndent(-1, this.pos, this.line, this.column)
    this.removeSimpleKey()
    this.simpleKeyAllowed = false
    this.insertToken(-1, this.scanDirective())
  }

  private fetchDocumentIndicator(type: TokenKind): void {
    this.unrollIndent(-1, this.pos, this.line, this.column)
    this.removeSimpleKey()
    this.simpleKeyAllowed = false
    const start = this.mark()
    this.skip()
    this.skip()
    this.skip()
    this.insertToken(-1, this.tokToHere(type, start))
  }

  private fetchFlowCollectionStart(type: TokenKind): void {
    const start = this.mark()
    this.saveSimpleKey(start)
    this.increaseFlowLevel()
    this.simpleKeyAllowed = true
    this.skip()
    this.insertToken(-1, this.tokToHere(type, start))
  }

  private fetchFlowCollectionEnd(type: TokenKind): void {
    this.removeSimpleKey()
    this.decreaseFlowLevel()
    this.simpleKeyAllowed = false
    const start = this.mark()
    this.skip()
    this.insertToken(-1, this.tokToHere(type, start))
  }

  private fetchFlowEntry(): void {
    this.removeSimpleKey()
    this.simpleKeyAllowed = true
    const start = this.mark()
    this.skip()
    this.insertToken(-1, this.tokToHere(Tk.FlowEntry, start))
  }

  private fetchBlockEntry(): void {
    if (this.flowLevel === 0) {
      if (!this.simpleKeyAllowed) this.error("", this.mark(), "block sequence entries are not allowed in this context")
      this.rollIndent(this.column, -1, Tk.BlockSequenceStart, this.mark())
    }
    this.removeSimpleKey()
    this.simpleKeyAllowed = true
    const start = this.mark()
    this.skip()
    this.insertToken(-1, this.tokToHere(Tk.BlockEntry, start))
  }

  private fetchKey(): void {
    if (this.flowLevel === 0) {
      if (!this.simpleKeyAllowed) this.error("", this.mark(), "mapping keys are not allowed in this context")
      this.rollIndent(this.column, -1, Tk.BlockMappingStart, this.mark())
    }
    this.removeSimpleKey()
    this.simpleKeyAllowed = this.flowLevel === 0
    const start = this.mark()
    this.skip()
    this.insertToken(-1, this.tokToHere(Tk.Key, start))
  }

  private fetchValue(): void {
    const key = this.simpleKeys[this.simpleKeys.length - 1]!
    if (this.simpleKeyIsValid(key)) {
      this.insertToken(key.tokenNumber - this.tokensParsed, this.tok(Tk.Key, key.mark, key.mark))
      this.rollIndent(key.mark.column, key.tokenNumber, Tk.BlockMappingStart, key.mark)
      key.possible = false
      this.simpleKeysByTok.delete(key.tokenNumber)
      this.simpleKeyAllowed = false
    } else {
      if (this.flowLevel === 0) {
        if (!this.simpleKeyAllowed) this.error("", this.mark(), "mapping values are not allowed in this context")
        this.rollIndent(this.column, -1, Tk.BlockMappingStart, this.mark())
      }
      this.simpleKeyAllowed = this.flowLevel === 0
    }
    const start = this.mark()
    this.skip()
    this.insertToken(-1, this.tokToHere(Tk.Value, start))
  }

  private fetchAnchor(type: TokenKind): void {
    const start = this.mark()
    this.saveSimpleKey(start)
    this.simpleKeyAllowed = false
    this.skip()
    const from = this.pos
    while (isAlpha(this.ch())) this.skip()
    const name = this.src.slice(from, this.pos)
    const c = this.ch()
    const okEnd =
      isBlankZ(c) || c === 0x3f || c === 0x3a || c === 0x2c || c === 0x5d || c === 0x7d || c === 0x25 || c === 0x40 || c === 0x60
    if (name.length === 0 || !okEnd) {
      this.error(type === Tk.Anchor ? "while scanning an anchor" : "while scanning an alias", start, "did not find expected alphabetic or numeric character")
    }
    this.insertToken(-1, this.tokToHere(type, start, name))
  }

  private fetchTag(): void {
    const start = this.mark()
    this.saveSimpleKey(start)
    this.simpleKeyAllowed = false
    let handle = ""
    let suffix = ""
    if (this.ch(1) === 0x3c /* < */) {
      this.skip()
      this.skip()
      suffix = this.scanTagUri(false, "", start)
      if (this.ch() !== 0x3e) this.error("while scanning a tag", start, "did not find the expected '>'")
      this.skip()
    } else {
      handle = this.scanTagHandle(false, start)
      if (handle.length > 1 && handle.endsWith("!")) {
        suffix = this.scanTagUri(false, "", start)
      } else {
        suffix = this.scanTagUri(false, handle, start)
        handle = "!"
        if (suffix.length === 0) {
          suffix = handle
          handle = ""
        }
      }
    }
    if (!isBlankZ(this.ch())) this.error("while scanning a tag", start, "did not find expected whitespace or line break")
    this.insertToken(-1, this.tokToHere(Tk.Tag, start, handle, 0, suffix))
  }

  private scanTagHandle(directive: boolean, start: Mark): string {
    const ctx = directive ? "while parsing a %TAG directive" : "while parsing a tag"
    if (this.ch() !== 0x21) this.error(ctx, start, "did not find expected '!'")
    let s = this.read()
    while (isAlpha(this.ch())) s += this.read()
    if (this.ch() === 0x21) s += this.read()
    else if (directive && s !== "!") this.error(ctx, start, "did not find expected '!'")
    return s
  }

  private scanTagUri(directive: boolean, head: string, start: Mark): string {
    const ctx = directive ? "while parsing a %TAG directive" : "while parsing a tag"
    let s = head.length > 1 ? head.slice(1) : ""
    let hasTag = head.length > 0
    for (;;) {
      const c = this.ch()
      if (!(isAlpha(c) || URI_CHARS.has(c))) break
      if (c === 0x25) {
        s += this.scanUriEscapes(ctx, start)
      } else {
        s += this.read()
      }
      hasTag = true
    }
    if (!hasTag) this.error(ctx, start, "did not find expected tag URI")
    return s
  }

  private scanUriEscapes(ctx: string, start: Mark): string {
    const bytes: number[] = []
    let width = 1024
    while (width > 0) {
      if (!(this.ch() === 0x25 && isHex(this.ch(1)) && isHex(this.ch(2)))) this.error(ctx, start, "did not find URI escaped octet")
      const octet = parseInt(this.src.slice(this.pos + 1, this.pos + 3), 16)
      if (width === 1024) {
        width = (octet & 0x80) === 0 ? 1 : (octet & 0xe0) === 0xc0 ? 2 : (octet & 0xf0) === 0xe0 ? 3 : (octet & 0xf8) === 0xf0 ? 4 : 0
        if (width === 0) this.error(ctx, start, "found an incorrect leading UTF-8 octet")
      } else if ((octet & 0xc0) !== 0x80) {
        this.error(ctx, start, "found an incorrect trailing UTF-8 octet")
      }
      bytes.push(octet)
      this.skip()
      this.skip()
      this.skip()
      width--
    }
    return new TextDecoder().decode(new Uint8Array(bytes))
  }

  private scanDirective(): Token {
    const start = this.mark()
    this.skip()
    const from = this.pos
    while (isAlpha(this.ch())) this.skip()
    const name = this.src.slice(from, this.pos)
    if (name.length === 0) this.error("while scanning a directive", start, "could not find expected directive name")
    if (!isBlankZ(this.ch())) this.error("while scanning a directive", start, "found unexpected non-alphabetical character")
    let token: Token
    if (name === "YAML") {
      while (isBlank(this.ch())) this.skip()
      const vFrom = this.pos
      while (!isBlankZ(this.ch())) this.skip()
      const version = this.src.slice(vFrom, this.pos)
      if (!/^[0-9]{1,9}\.[0-9]{1,9}$/.test(version)) {
        this.error("while scanning a %YAML directive", start, "did not find expected version number")
      }
      token = this.tokToHere(Tk.VersionDirective, start, version)
    } else if (name === "TAG") {
      while (isBlank(this.ch())) this.skip()
      const handle = this.scanTagHandle(true, start)
      if (!isBlank(this.ch())) this.error("while scanning a %TAG directive", start, "did not find expected whitespace")
      while (isBlank(this.ch())) this.skip()
      const prefix = this.scanTagUri(true, "", start)
      if (!isBlankZ(this.ch())) this.error("while scanning a %TAG directive", start, "did not find expected whitespace or line break")
      token = this.tokToHere(Tk.TagDirective, start, handle, 0, prefix)
    } else {
      this.error("while scanning a directive", start, "found unknown directive name")
    }
    while (isBlank(this.ch())) this.skip()
    if (this.ch() === 0x23) {
      this.skipToBreak()
    }
    if (!isBreakZ(this.ch())) this.error("while scanning a directive", start, "did not find expected comment or line break")
    if (isBreak(this.ch())) this.skipLine()
    return token
  }

  // ---- scalars -----------------------------------------------------------------------

  private fetchBlockScalar(literal: boolean): void {
    this.removeSimpleKey()
    this.simpleKeyAllowed = true
    this.insertToken(-1, this.scanBlockScalar(literal))
  }

  private fetchFlowScalar(single: boolean): void {
    const start = this.mark()
    this.saveSimpleKey(start)
    this.simpleKeyAllowed = false
    this.insertToken(-1, this.scanFlowScalar(single, start))
  }

  private fetchPlainScalar(): void {
    const start = this.mark()
    this.saveSimpleKey(start)
    this.simpleKeyAllowed = false
    this.insertToken(-1, this.scanPlainScalar(start))
  }

  private scanBlockScalar(literal: boolean): Token {
    const start = this.mark()
    this.skip()
    let chomping = 0
    let increment = 0
    const ctx = "while scanning a block scalar"
    let c = this.ch()
    if (c === 0x2b || c === 0x2d) {
      chomping = c === 0x2b ? 1 : -1
      this.skip()
      c = this.ch()
      if (c >= 0x30 && c <= 0x39) {
        if (c === 0x30) this.error(ctx, start, "found an indentation indicator equal to 0")
        increment = c - 0x30
        this.skip()
      }
    } else if (c >= 0x30 && c <= 0x39) {
      if (c === 0x30) this.error(ctx, start, "found an indentation indicator equal to 0")
      increment = c - 0x30
      this.skip()
      c = this.ch()
      if (c === 0x2b || c === 0x2d) {
        chomping = c === 0x2b ? 1 : -1
        this.skip()
      }
    }
    while (isBlank(this.ch())) this.skip()
    if (this.ch() === 0x23) {
      const peek = this.lineCommentAhead()
      if (peek >= 0) this.addLineComment(start, peek)
      this.skipToBreak()
    }
    if (!isBreakZ(this.ch())) this.error(ctx, start, "did not find expected comment or line break")
    if (isBreak(this.ch())) this.skipLine()

    const state: BlockScalarState = { indent: 0, endIndex: this.pos, endLine: this.line, endColumn: this.column }
    if (increment > 0) state.indent = this.indent >= 0 ? this.indent + increment : increment
    let s = ""
    let leadingBreak = ""
    let trailingBreaks = this.scanBlockScalarBreaks(state, start)
    let leadingBlank = false
    while (this.column === state.indent && this.ch() !== 0) {
      const trailingBlank = isBlank(this.ch())
      if (!literal && !leadingBlank && !trailingBlank && leadingBreak.length > 0 && leadingBreak[0] === "\n") {
        if (trailingBreaks.length === 0) s += " "
      } else {
        s += leadingBreak
      }
      leadingBreak = ""
      s += trailingBreaks
      trailingBreaks = ""
      leadingBlank = isBlank(this.ch())
      const from = this.pos
      this.skipToBreak()
      s += this.src.slice(from, this.pos)
      leadingBreak = isBreak(this.ch()) ? this.readLine() : ""
      trailingBreaks = this.scanBlockScalarBreaks(state, start)
    }
    if (chomping !== -1) s += leadingBreak
    if (chomping === 1) s += trailingBreaks
    return new ScannedToken(Tk.Scalar, start, state.endIndex, state.endLine, state.endColumn, s, literal ? ScalarStyle.Literal : ScalarStyle.Folded, "")
  }

  private scanBlockScalarBreaks(state: BlockScalarState, start: Mark): string {
    state.endIndex = this.pos
    state.endLine = this.line
    state.endColumn = this.column
    let breaks = ""
    let maxIndent = 0
    for (;;) {
      // Indentation spaces: skip() of a space only moves one column.
      while ((state.indent === 0 || this.column < state.indent) && this.ch() === SP) {
        this.pos++
        this.column++
      }
      if (this.column > maxIndent) maxIndent = this.column
      if ((state.indent === 0 || this.column < state.indent) && this.ch() === TAB) {
        this.error("while scanning a block scalar", start, "found a tab character where an indentation space is expected")
      }
      if (!isBreak(this.ch())) break
      breaks += this.readLine()
      state.endIndex = this.pos
      state.endLine = this.line
      state.endColumn = this.column
    }
    if (state.indent === 0) {
      state.indent = Math.max(maxIndent, this.indent + 1, 1)
    }
    return breaks
  }

  private atDocumentIndicator(): boolean {
    if (this.column !== 0) return false
    const c = this.ch()
    return (
      ((c === 0x2d && this.ch(1) === 0x2d && this.ch(2) === 0x2d) || (c === 0x2e && this.ch(1) === 0x2e && this.ch(2) === 0x2e)) &&
      isBlankZ(this.ch(3))
    )
  }

  /** @param start - the current position, at the opening quote */
  private scanFlowScalar(single: boolean, start: Mark): Token {
    this.skip()
    let s = ""
    let leadingBreak = ""
    let trailingBreaks = ""
    let whitespaces = ""
    for (;;) {
      if (this.atDocumentIndicator()) this.error("while scanning a quoted scalar", start, "found unexpected document indicator")
      if (this.ch() === 0) this.error("while scanning a quoted scalar", start, "found unexpected end of stream")
      let leadingBlanks = false
      let runStart = this.pos
      for (;;) {
        const c = this.ch()
        if (isBlankZ(c)) break
        if (single && c === 0x27) {
          if (this.ch(1) === 0x27) {
            s += this.src.slice(runStart, this.pos) + "'"
            this.skip()
            this.skip()
            runStart = this.pos
            continue
          }
          break
        }
        if (!single && c === 0x22) break
        if (!single && c === 0x5c && isBreak(this.ch(1))) {
          s += this.src.slice(runStart, this.pos)
          this.skip()
          this.skipLine()
          leadingBlanks = true
          runStart = this.pos
          break
        }
        if (!single && c === 0x5c) {
          s += this.src.slice(runStart, this.pos)
          s += this.scanEscape(start)
          runStart = this.pos
          continue
        }
        this.skip()
      }
      if (!leadingBlanks) s += this.src.slice(runStart, this.pos)
      const q = this.ch()
      if (single ? q === 0x27 : q === 0x22) break
      for (;;) {
        const c = this.ch()
        if (isBlank(c)) {
          if (!leadingBlanks) whitespaces += this.read()
          else this.skip()
        } else if (isBreak(c)) {
          if (!leadingBlanks) {
            whitespaces = ""
            leadingBreak = this.readLine()
            leadingBlanks = true
          } else {
            trailingBreaks += this.readLine()
          }
        } else {
          break
        }
      }
      if (leadingBlanks) {
        if (leadingBreak.length > 0 && leadingBreak[0] === "\n") {
          s += trailingBreaks.length === 0 ? " " : trailingBreaks
        } else {
          s += leadingBreak + trailingBreaks
        }
        trailingBreaks = ""
        leadingBreak = ""
      } else {
        s += whitespaces
        whitespaces = ""
      }
    }
    this.skip()
    return this.tokToHere(Tk.Scalar, start, s, single ? ScalarStyle.Single : ScalarStyle.Double)
  }

  private scanEscape(start: Mark): string {
    const ctx = "while parsing a quoted scalar"
    const e = this.ch(1)
    let out = ""
    let codeLength = 0
    switch (e) {
      case 0x30: out = "\0"; break
      case 0x61: out = "\x07"; break
      case 0x62: out = "\b"; break
      case 0x74: case TAB: out = "\t"; break
      case 0x6e: out = "\n"; break
      case 0x76: out = "\v"; break
      case 0x66: out = "\f"; break
      case 0x72: out = "\r"; break
      case 0x65: out = "\x1b"; break
      case SP: out = " "; break
      case 0x22: out = '"'; break
      case 0x27: out = "'"; break
      case 0x5c: out = "\\"; break
      case 0x4e: out = "\u0085"; break
      case 0x5f: out = "\u00a0"; break
      case 0x4c: out = "\u2028"; break
      case 0x50: out = "\u2029"; break
      case 0x78: codeLength = 2; break
      case 0x75: codeLength = 4; break
      case 0x55: codeLength = 8; break
      default:
        this.error(ctx, start, "found unknown escape character")
    }
    this.skip()
    this.skip()
    if (codeLength > 0) {
      let value = 0
      for (let k = 0; k < codeLength; k++) {
        const h = this.ch(k)
        if (!isHex(h)) this.error(ctx, start, "did not find expected hexdecimal number")
        value = value * 16 + parseInt(String.fromCharCode(h), 16)
      }
      if ((value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) {
        this.error(ctx, start, "found invalid Unicode character escape code")
      }
      out = String.fromCodePoint(value)
      for (let k = 0; k < codeLength; k++) this.skip()
    }
    return out
  }

  /**
   * Advances over the characters of one plain-scalar word (up to a blank, a break, ": " or,
   * in flow context, a flow indicator) and returns the end offset. Plain scalars are most of
   * a sops file, so block context first tries {@link Scanner.blockPlainRunEnd}.
   */
  private plainRunEnd(flow: boolean): number {
    const from = this.pos
    const fast = flow ? -1 : this.blockPlainRunEnd(from)
    if (fast >= 0) {
      if (fast > from) {
        this.newlines = 0
        this.pos = fast
        // No surrogates in the run (blockPlainRunEnd checked), so one column per code unit.
        this.column += fast - from
      }
      return fast
    }
    const src = this.src
    let p = from
    let col = this.column
    for (;;) {
      const c = src.charCodeAt(p) || 0
      if (c === SP || c === TAB || c === LF || c === CR || c === 0 || c === 0x85 || c === 0x2028 || c === 0x2029) break
      if (c === 0x3a && isBlankZ(src.charCodeAt(p + 1) || 0)) break
      if (flow && (c === 0x2c || c === 0x3f || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d)) break
      p += c >= 0xd800 && c <= 0xdbff ? 2 : 1
      col++
    }
    if (p > from) {
      this.newlines = 0
      this.pos = p
      this.column = col
    }
    return p
  }

  /**
   * The end of the block-context plain word starting at `p`, found with `indexOf` instead of
   * a loop over every character; -1 when the exact loop must decide.
   *
   * Let `m` be the first space, LF or CR at or after `p` (or the end of the input). If no tab,
   * NEL, LS, PS, NUL or high surrogate comes before `m`, no character before `m` is a blank or
   * a break, so the only ':' that can end the word early is one right before `m` (go-yaml ends
   * a word at a ':' followed by a blank, a break or the end). The word is then one column per
   * code unit.
   */
  private blockPlainRunEnd(p: number): number {
    let m = this.nextSpace.after(p)
    const lf = this.nextLf.after(p)
    if (lf < m) m = lf
    const cr = this.nextCr.after(p)
    if (cr < m) m = cr
    if (this.len < m) m = this.len
    if (this.nextRare.after(p) < m) return -1
    return m > p && this.src.charCodeAt(m - 1) === 0x3a ? m - 1 : m
  }

  /** @param start - the current position, where the scalar starts */
  private scanPlainScalar(start: Mark): Token {
    let s = ""
    let leadingBreak = ""
    let trailingBreaks = ""
    let whitespaces = ""
    let leadingBlanks = false
    const indent = this.indent + 1
    // The end of the last word read; a mark is made once, for the token.
    let endIndex = start.index
    let endLine = start.line
    let endColumn = start.column
    const flow = this.flowLevel > 0
    for (;;) {
      if (this.atDocumentIndicator()) break
      if (this.ch() === 0x23) break
      const runStart = this.pos
      const runEnd = this.plainRunEnd(flow)
      if (runEnd > runStart) {
        if (leadingBlanks) {
          if (leadingBreak[0] === "\n") {
            s += trailingBreaks.length === 0 ? " " : trailingBreaks
          } else {
            s += leadingBreak + trailingBreaks
          }
          trailingBreaks = ""
          leadingBreak = ""
          leadingBlanks = false
        } else if (whitespaces.length > 0) {
          s += whitespaces
          whitespaces = ""
        }
        s += this.src.slice(runStart, runEnd)
        endIndex = this.pos
        endLine = this.line
        endColumn = this.column
      }
      const c = this.ch()
      if (!(isBlank(c) || isBreak(c))) break
      for (;;) {
        const w = this.ch()
        if (w === SP || w === TAB) {
          if (leadingBlanks && this.column < indent && w === TAB) {
            this.error("while scanning a plain scalar", start, "found a tab character that violates indentation")
          }
          // skip()/read() of a blank: one column, no newline reset.
          if (!leadingBlanks) whitespaces += w === SP ? " " : "\t"
          this.pos++
          this.column++
        } else if (isBreak(w)) {
          if (!leadingBlanks) {
            whitespaces = ""
            leadingBreak = this.readLine()
            leadingBlanks = true
          } else {
            trailingBreaks += this.readLine()
          }
        } else {
          break
        }
      }
      if (!flow && this.column < indent) break
    }
    if (leadingBlanks) this.simpleKeyAllowed = true
    return new ScannedToken(Tk.Scalar, start, endIndex, endLine, endColumn, s, ScalarStyle.Plain, "")
  }

  // ---- whitespace and comments -------------------------------------------------------

  private scanToNextToken(): void {
    const scanIndex = this.pos
    const scanLine = this.line
    const scanColumn = this.column
    for (;;) {
      if (this.column === 0 && this.ch() === 0xfeff) this.skip()
      // Indentation: skip() on a blank only moves by one column (no surrogate, no reset).
      const tabs = this.flowLevel > 0 || !this.simpleKeyAllowed
      for (;;) {
        const c = this.ch()
        if (c !== SP && (c !== TAB || !tabs)) break
        this.pos++
        this.column++
      }
      // "- # comment" followed by content: the line comment heads what follows.
      if (this.comments.length > 0 && this.tokens.length > 1) {
        const a = this.lastToken(2)!
        const b = this.lastToken(1)!
        const comment = this.comments[this.comments.length - 1]!
        if (a.type === Tk.BlockSequenceStart && b.type === Tk.BlockEntry && comment.line.length > 0 && !isBreak(this.ch())) {
          comment.head = comment.line
          comment.line = ""
          if (comment.startMark.line === this.line - 1) comment.tokenMark = this.mark()
        }
      }
      if (this.ch() === 0x23) this.scanComments({ index: scanIndex, line: scanLine, column: scanColumn })
      if (isBreak(this.ch())) {
        this.skipLine()
        if (this.flowLevel === 0) this.simpleKeyAllowed = true
      } else {
        break
      }
    }
  }

  /** Reads the text of a comment from `#` to the end of its line, advancing past it. */
  private consumeCommentLine(): string {
    const from = this.pos
    this.skipToBreak()
    return this.src.slice(from, this.pos)
  }

  /**
   * Advances to the next line break or the end of the input, exactly as repeated skip()
   * would: one column per character (a surrogate pair is one), and the newline count reset
   * once a non-blank character is passed. Lines without tab, NEL, LS, PS, NUL or surrogates
   * are measured with `indexOf`.
   */
  private skipToBreak(): void {
    const src = this.src
    const from = this.pos
    let end = this.nextLf.after(from)
    const cr = this.nextCr.after(from)
    if (cr < end) end = cr
    if (this.len < end) end = this.len
    if (this.nextRare.after(from) >= end) {
      for (let p = from; p < end; p++) {
        const c = src.charCodeAt(p)
        if (c !== SP && c !== TAB) {
          this.newlines = 0
          break
        }
      }
      this.pos = end
      this.column += end - from
      return
    }
    while (!isBreakZ(this.ch())) this.skip()
  }

  /**
   * Where a line comment follows on the current line: the offset of its `#` after blanks, or
   * -1 (none, or a line break was already crossed, or more than 512 blanks: go-yaml's limits).
   */
  private lineCommentAhead(): number {
    if (this.newlines > 0) return -1
    for (let peek = 0; peek < 512; peek++) {
      const c = this.ch(peek)
      if (isBlank(c)) continue
      return c === 0x23 ? peek : -1
    }
    return -1
  }

  /** Records the line comment found by {@link Scanner.lineCommentAhead} `peek` characters ahead. */
  private addLineComment(tokenMark: Mark, peek: number): void {
    for (let i = 0; i < peek; i++) this.skip()
    const startMark = this.mark()
    const text = this.consumeCommentLine()
    this.comments.push({ scanMark: ZERO, tokenMark, startMark, endMark: ZERO, head: "", line: text, foot: "" })
  }

  /**
   * Scans a run of comment lines and splits it into foot comments of the content before and
   * a head comment of the content after, the way go-yaml does: a first block that directly
   * follows content (no blank line) or that is dedented is a foot; a change of column ends a
   * block; whatever remains heads the next token.
   */
  private scanComments(scanMarkIn: Mark): void {
    let scanMark = scanMarkIn
    let token = this.lastToken()!
    if (token.type === Tk.FlowEntry && this.tokens.length > 1) token = this.lastToken(2)!
    let tokenMark = token.start
    let startMark: Mark = ZERO
    let nextIndent = Math.max(this.indent, 0)
    let recentEmpty = false
    let firstEmpty = this.newlines <= 1
    let line = this.line
    let column = this.column
    let text = ""
    let hasText = false
    let footLine = -1
    if (scanMark.line > 0) {
      footLine = this.line - this.newlines + 1
      if (this.newlines === 0 && this.column > 1) footLine++
    }
    let peek = 0
    for (; peek < 512; peek++) {
      column++
      const c = this.ch(peek)
      if (isBlank(c)) continue
      const closeFlow = this.flowLevel > 0 && (c === 0x5d || c === 0x7d)
      if (closeFlow || isBreakZ(c)) {
        if (closeFlow || !recentEmpty) {
          if (closeFlow || (firstEmpty && ((startMark.line === footLine && token.type !== Tk.Value) || startMark.column - 1 < nextIndent))) {
            if (hasText) {
              if (startMark.column - 1 < nextIndent) tokenMark = startMark
              const endMark = { index: this.pos + peek, line, column }
              this.comments.push({ scanMark, tokenMark, startMark, endMark, head: "", line: "", foot: text })
              scanMark = endMark
              tokenMark = scanMark
              text = ""
              hasText = false
            }
          } else if (hasText && c !== 0) {
            text += "\n"
          }
        }
        if (!isBreak(c)) break
        firstEmpty = false
        recentEmpty = true
        column = 0
        line++
        continue
      }
      if (hasText && (closeFlow || (column - 1 < nextIndent && column !== startMark.column))) {
        // A comment at another column closes the block before it as a foot.
        const endMark = { index: this.pos + peek, line, column }
        this.comments.push({ scanMark, tokenMark, startMark, endMark, head: "", line: "", foot: text })
        scanMark = endMark
        tokenMark = scanMark
        text = ""
        hasText = false
      }
      if (c !== 0x23) break
      if (!hasText) startMark = { index: this.pos + peek, line, column }
      else text += "\n"
      recentEmpty = false
      // Move to the '#', counting the line breaks in between, then read the line.
      const seen = this.pos + peek
      while (this.pos < seen) {
        if (isBreak(this.ch())) this.skipLine()
        else this.skip()
      }
      text += this.consumeCommentLine()
      hasText = true
      // go-yaml resumes one character past the line break that ends the comment.
      peek = 0
      column = 0
      line = this.line
      nextIndent = Math.max(this.indent, 0)
    }
    if (hasText) {
      const endMark = { index: this.pos + peek - 1, line, column }
      this.comments.push({ scanMark, tokenMark: startMark, startMark, endMark, head: text, line: "", foot: "" })
    }
  }
}
