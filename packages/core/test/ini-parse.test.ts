/**
 * go-ini parsing semantics as sops sees them, through the INI store's loadPlain. Expected
 * values were checked against go-ini v1.67 itself (LoadSources with AllowNonUniqueSections).
 */
import { describe, expect, it } from "vitest"
import { createIniStore } from "../src/stores/ini/index.js"
import { bin, enc, expectSopsError, view } from "./ini-dotenv-helpers.js"

const store = createIniStore()
const load = (s: string | Uint8Array): unknown => view(store.loadPlain(typeof s === "string" ? enc(s) : s)[0]!)

describe("INI loading: sections", () => {
  it("starts with the implicit DEFAULT section, even when empty, and keeps file order", () => {
    expect(load("[b]\nx=1\n[a]\ny=2\n")).toEqual([
      ["DEFAULT", []],
      ["b", [["x", "1"]]],
      ["a", [["y", "2"]]],
    ])
    expect(load("")).toEqual([["DEFAULT", []]])
  })

  it("puts keys before the first header into DEFAULT", () => {
    expect(load("top=1\n[s]\nk=v")).toEqual([
      ["DEFAULT", [["top", "1"]]],
      ["s", [["k", "v"]]],
    ])
  })

  it("keeps repeated sections apart (an explicit [DEFAULT] too) and names case-sensitive", () => {
    expect(load("[s]\n[s]\nk=1\n[DEFAULT]\n[S]\n")).toEqual([
      ["DEFAULT", []],
      ["s", []],
      ["s", [["k", "1"]]],
      ["DEFAULT", []],
      ["S", []],
    ])
  })

  it("takes the name up to the last ] without trimming", () => {
    expect(load("[ a]b ] tail\n")).toEqual([
      ["DEFAULT", []],
      [" a]b ", []],
    ])
  })
})

describe("INI loading: keys and values", () => {
  it("splits at = or :, trims key and value, and lets the last duplicate value win in place", () => {
    expect(load("a = 1\nb: 2\n  c=3  \na=4\n")).toEqual([["DEFAULT", [["a", "4"], ["b", "2"], ["c", "3"]]]])
  })

  it("treats an unquoted # or ; in a value as an inline comment", () => {
    expect(load("url = http://x/#frag\npass = a;b\n")).toEqual([
      ["DEFAULT", [["url", "http://x/"], ["#frag", null], ["pass", "a"], ["#b", null]]],
    ])
  })

  it("removes surrounding double or single quotes, but only one matched pair", () => {
    expect(load(`k = "a b"\nj = 'x'\nm = "a"b"\nn = " padded "\n`)).toEqual([
      ["DEFAULT", [["k", "a b"], ["j", "x"], ["m", '"a"b"'], ["n", " padded "]]],
    ])
  })

  it("takes backtick and triple-quoted values verbatim, across lines", () => {
    expect(load('k = `a;b#c`\nq = """x\n  y ; z\n"""\nr = `1\n2`\n')).toEqual([
      ["DEFAULT", [["k", "a;b#c"], ["q", "x\n  y ; z\n"], ["r", "1\n2"]]],
    ])
  })

  it("joins continuation lines ending in a backslash", () => {
    expect(load("k = a \\\n  b\\\n c\nz=1")).toEqual([["DEFAULT", [["k", "a bc"], ["z", "1"]]]])
  })

  it("accepts quoted key names", () => {
    expect(load('"a=b" = 1\n`c"d`:2\n"""e`f""" = 3\n')).toEqual([["DEFAULT", [["a=b", "1"], ['c"d', "2"], ["e`f", "3"]]]])
  })

  it("numbers the key - as #1, #2 … per section", () => {
    expect(load("- = a\n- = b\n[s]\n- = c")).toEqual([
      ["DEFAULT", [["#1", "a"], ["#2", "b"]]],
      ["s", [["#1", "c"]]],
    ])
  })

  it("reads an empty value as the empty string", () => {
    expect(load("k =\nj=")).toEqual([["DEFAULT", [["k", ""], ["j", ""]]]])
  })

  it("trims CRLF line ends and skips a UTF-8 BOM", () => {
    expect(load("\uFEFF[s]\r\nk = v\r\n; c\r\nj = w\r\n")).toEqual([["DEFAULT", []], ["s", [["k", "v"], ["j", "w"], ["#c", null]]]])
  })

  it("trims Unicode white space (NBSP, U+2028) like Go's TrimSpace", () => {
    expect(load("k =\u00a0v\u2028\n")).toEqual([["DEFAULT", [["k", "v"]]]])
  })

  it("keeps value bytes that are not UTF-8", () => {
    const [b] = store.loadPlain(bin("k = \xff\xfe\n"))
    const section = b!.items[0]!.value as { items: { value: unknown }[] }
    expect(section.items[0]!.value).toEqual(bin("\xff\xfe"))
  })
})

describe("INI loading: comments", () => {
  it("attaches comment lines to the next key and stores them after it, marker stripped", () => {
    expect(load("a=1\n; c1\n; c2\nb = v # inline\n")).toEqual([
      ["DEFAULT", [["a", "1"], ["b", "v"], ["#c1\n; c2\n# inline", null]]],
    ])
  })

  it("attaches comments before a header (and after it on the line) to the section, first", () => {
    expect(load("[a]\nx=1\n# about b\n[b] ; more\ny=2\n")).toEqual([
      ["DEFAULT", []],
      ["a", [["x", "1"]]],
      ["b", [["#about b\n; more", null], ["y", "2"]]],
    ])
  })

  it("strips a whole run of markers and spaces (sops stripCommentChar)", () => {
    expect(load(";;; ;x\nk=v\n#  # y\nj=w\n")).toEqual([["DEFAULT", [["k", "v"], ["#x", null], ["j", "w"], ["#y", null]]]])
  })

  it("drops comments at the end of the file", () => {
    expect(load("k=v\n; lost\n")).toEqual([["DEFAULT", [["k", "v"]]]])
  })

  it("keeps the comment after the closing quote of a multi-line value", () => {
    expect(load('q = """x\ny""" ; tail\n')).toEqual([["DEFAULT", [["q", "x\ny"], ["#tail", null]]]])
  })
})

describe("INI loading: errors", () => {
  const cases: [string, string][] = [
    ["a line without delimiter", "[s]\nsecret-token\n"],
    ["an unclosed section header", "[s\n"],
    ["an empty section name", "[]\n"],
    ["an empty key name", "= v\n"],
    ["an empty quoted key name", '"" = v\n'],
    ["an unterminated triple-quoted value", 'k = """abc\nmore\n'],
    ["an unterminated backtick value", "k = `abc\n"],
    ["a quoted key without closing quote", '"abc = 1\n'],
  ]
  for (const [what, input] of cases) {
    it(`rejects ${what} with ERR_FORMAT`, () => {
      const err = expectSopsError(() => store.loadPlain(enc(input)), "ERR_FORMAT")
      expect(err.message).toMatch(/line \d+/)
      expect(err.message).not.toContain("secret-token")
    })
  }

  it("rejects section names, key names and comments that are not UTF-8", () => {
    expectSopsError(() => store.loadPlain(bin("[\xff]\n")), "ERR_FORMAT")
    expectSopsError(() => store.loadPlain(bin("\xff = 1\n")), "ERR_FORMAT")
    expectSopsError(() => store.loadPlain(bin("; \xff\nk=1\n")), "ERR_FORMAT")
  })
})
