/**
 * An INI parser with the semantics of go-ini v1.67 `LoadSources(LoadOptions{
 * AllowNonUniqueSections: true}, …)`, the library sops reads INI with. The rules that shape
 * sops files:
 *
 * - a UTF-8/UTF-16 BOM is skipped; lines are trimmed of leading white space; blank lines vanish;
 * - `#`/`;` lines are comments; they pile up and attach to the next key or section header;
 *   comments left at the end of the file are dropped;
 * - `=` or `:` separates key and value; both are trimmed; keys may be quoted with `"`, `"""`
 *   or backticks; the key `-` is auto-numbered `#1`, `#2`, … within a section;
 * - a value in backticks or `"""` is taken verbatim and may span lines; otherwise an unquoted
 *   `#` or `;` starts an inline comment (appended to the key's comment), surrounding `"…"` or
 *   `'…'` are removed, and a trailing `\` continues the value on the next line;
 * - a repeated key in a section keeps its first position and takes the last value;
 *   repeated sections stay separate.
 *
 * Error messages give line numbers, never line content (values may be secrets).
 * @module
 */
import { SopsError } from "../../errors.js"
import { indexAny, trimLeftSpace, trimSpace } from "./bytestr.js"
import { DEFAULT_SECTION, IniSection } from "./model.js"

const DELIMITERS = "=:"

function formatError(line: number, message: string): SopsError {
  return new SopsError("ERR_FORMAT", `invalid INI input, line ${line}: ${message}`)
}

/** Go `strings.Index`/`LastIndex` helpers are JS `indexOf`/`lastIndexOf`; this one is go-ini's. */
function hasSurroundedQuote(s: string, quote: string): boolean {
  return s.length >= 2 && s[0] === quote && s[s.length - 1] === quote && s.indexOf(quote, 1) === s.length - 1
}

/** Everything from the first `#` or `;` on, or null. */
function cleanComment(s: string): string | null {
  const i = indexAny(s, "#;")
  return i === -1 ? null : s.slice(i)
}

class Parser {
  private pos = 0
  private lineNo = 0
  private eof = false
  private comment = ""

  constructor(private readonly src: string) {
    // go-ini skips the UTF-16 BE/LE marks (2 bytes) and the UTF-8 BOM (3 bytes).
    const b0 = src.charCodeAt(0)
    const b1 = src.charCodeAt(1)
    if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0xff && b1 === 0xfe)) this.pos = 2
    else if (b0 === 0xef && b1 === 0xbb && src.charCodeAt(2) === 0xbf) this.pos = 3
  }

  /** The next line including its `\n` (bufio `ReadBytes('\n')`); sets `eof` on the last one. */
  private readLine(): string {
    this.lineNo++
    const nl = this.src.indexOf("\n", this.pos)
    if (nl === -1) {
      const rest = this.src.slice(this.pos)
      this.pos = this.src.length
      this.eof = true
      return rest
    }
    const line = this.src.slice(this.pos, nl + 1)
    this.pos = nl + 1
    return line
  }

  parse(): IniSection[] {
    const sections: IniSection[] = []
    let section = new IniSection(DEFAULT_SECTION)
    sections.push(section)
    let autoCount = 1
    while (!this.eof) {
      const line = trimLeftSpace(this.readLine())
      if (line.length === 0) continue
      const first = line[0]
      if (first === "#" || first === ";") {
        // The line break is kept: it separates this comment line from the next one.
        this.comment += line
        continue
      }
      if (first === "[") {
        const close = line.lastIndexOf("]")
        if (close === -1) throw formatError(this.lineNo, "unclosed section header")
        const name = line.slice(1, close)
        if (name.length === 0) throw formatError(this.lineNo, "empty section name")
        section = new IniSection(name)
        sections.push(section)
        const inline = cleanComment(line.slice(close + 1))
        if (inline !== null) this.comment += inline
        section.comment = trimSpace(this.comment)
        this.comment = ""
        autoCount = 1
        continue
      }
      const lineNo = this.lineNo
      let [name, offset] = this.readKeyName(line)
      if (name === "-") name = "#" + String(autoCount++)
      const value = this.readValue(line.slice(offset))
      if (name.length === 0) throw formatError(lineNo, "empty key name")
      const key = section.setKey(name, value)
      key.comment = trimSpace(this.comment)
      this.comment = ""
    }
    return sections
  }

  private readKeyName(line: string): [string, number] {
    let quote = ""
    if (line[0] === '"') quote = line.length > 6 && line.startsWith('"""') ? '"""' : '"'
    else if (line[0] === "`") quote = "`"
    if (quote !== "") {
      const start = quote.length
      const close = line.indexOf(quote, start)
      if (close === -1) throw formatError(this.lineNo, "missing closing key quote")
      const delim = indexAny(line, DELIMITERS, close + start)
      if (delim === -1) throw formatError(this.lineNo, "key-value delimiter not found")
      return [trimSpace(line.slice(start, close)), delim + 1]
    }
    const delim = indexAny(line, DELIMITERS)
    if (delim === -1) throw formatError(this.lineNo, "key-value delimiter not found")
    if (delim === 0) throw formatError(this.lineNo, "empty key name")
    return [trimSpace(line.slice(0, delim)), delim + 1]
  }

  private readValue(raw: string): string {
    let line = trimLeftSpace(raw)
    if (line.length === 0) return ""

    let quote = ""
    if (line.length > 3 && line.startsWith('"""')) quote = '"""'
    else if (line[0] === "`") quote = "`"
    if (quote !== "") {
      const start = quote.length
      const close = line.lastIndexOf(quote)
      if (close < start) return this.readMultiline(line.slice(start), quote)
      return line.slice(start, close)
    }

    line = trimSpace(line)
    if (line[line.length - 1] === "\\") return this.readContinuation(line.slice(0, -1))

    const hash = indexAny(line, "#;")
    if (hash !== -1) {
      this.comment += line.slice(hash)
      line = trimSpace(line.slice(0, hash))
    }
    if (hasSurroundedQuote(line, "'") || hasSurroundedQuote(line, '"')) line = line.slice(1, -1)
    return line
  }

  /** A backtick or `"""` value without its closing quote on the first line. */
  private readMultiline(first: string, quote: string): string {
    const startLine = this.lineNo
    let value = first
    for (;;) {
      const next = this.readLine()
      const close = next.lastIndexOf(quote)
      if (close !== -1) {
        value += next.slice(0, close)
        const inline = cleanComment(next.slice(close))
        if (inline !== null) this.comment += trimSpace(inline)
        return value
      }
      value += next
      if (this.eof) throw formatError(startLine, "missing closing value quote")
    }
  }

  /** Lines after a value ending in `\`, trimmed and joined until one does not end in `\`. */
  private readContinuation(first: string): string {
    let value = first
    for (;;) {
      if (this.eof) return value
      const next = trimSpace(this.readLine())
      if (next.length === 0) return value
      value += next
      if (value[value.length - 1] !== "\\") return value
      value = value.slice(0, -1)
    }
  }
}

/**
 * Parses an INI byte string into sections. The first section is always the implicit
 * `DEFAULT` (possibly empty).
 *
 * @param src - the file as a byte string
 * @throws SopsError `ERR_FORMAT` for an unclosed section header, an empty section or key
 *   name, a line without `=`/`:`, or an unterminated quoted value
 */
export function parseIni(src: string): IniSection[] {
  return new Parser(src).parse()
}
