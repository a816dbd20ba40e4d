/**
 * Unit tests of the YAML loader. Expected trees were checked against sops' own loading code
 * running on go-yaml v3.0.4 (the comment attribution decides the AAD of encrypted comments,
 * so each placement below is behaviour users depend on).
 */
import { describe, expect, it } from "vitest"
import { isSopsError, type SopsErrorCode } from "../src/errors.js"
import { loadYamlBranches } from "../src/stores/yaml/load.js"
import { INT64_MAX } from "../src/stores/yaml/resolve.js"
import { enc, render } from "./yaml-render.js"

const load = (s: string): unknown[] => loadYamlBranches(enc(s)).map(render)
const load1 = (s: string): unknown => load(s)[0]

function expectCode(fn: () => unknown, code: SopsErrorCode): Error {
  try {
    fn()
  } catch (err) {
    expect(isSopsError(err, code), `expected ${code}, got ${String(err)}`).toBe(true)
    return err as Error
  }
  throw new Error(`expected ${code}, nothing thrown`)
}

describe("comment placement (go-yaml attribution + sops linearisation)", () => {
  it("keeps the first '#' off and the following space on", () => {
    expect(load1("#no space\n# one space\na: 1\n")).toEqual({ map: ["#no space", "# one space", ["a", "1n"]] })
  })

  it("puts a scalar's line comment inline, before the item", () => {
    expect(load1("a: b # x\n")).toEqual({ map: ["#~ x", ["a", "b"]] })
  })

  it("makes a comment right under content a foot, and one after a blank line a head", () => {
    expect(load1("a: 1\n# foot\n\n# head\nb: 2\n")).toEqual({ map: [["a", "1n"], "# foot", "# head", ["b", "2n"]] })
  })

  it("keeps a document head comment and a key head comment apart but in order", () => {
    expect(load1("# doc head\n\n# key head\na: 1\n")).toEqual({ map: ["# doc head", "# key head", ["a", "1n"]] })
  })

  it("files foot comments by indentation at the level they are indented to", () => {
    const src = "a:\n  b:\n    c: 1\n    # deep foot\n  # mid foot\n# top foot\nd: 2\n"
    expect(load1(src)).toEqual({
      map: [["a", { map: [["b", { map: [["c", "1n"], "# deep foot"] }], "# mid foot"] }], "# top foot", ["d", "2n"]],
    })
  })

  it("keeps the comment before the first nested key inside the nested mapping", () => {
    expect(load1("a:\n  # first\n  b: 1\n")).toEqual({ map: [["a", { map: ["# first", ["b", "1n"]] }]] })
  })

  it("puts the line comment of a key with a nested value before the key, not inline", () => {
    expect(load1("a: # after colon\n  b: 1\n")).toEqual({ map: ["# after colon", ["a", { map: [["b", "1n"]] }]] })
  })

  it("keeps a comment after the last key of a nested mapping inside it", () => {
    expect(load1("c:\n  d: 1\n  # in\n# out\ne: 1\n")).toEqual({ map: [["c", { map: [["d", "1n"], "# in"] }], "# out", ["e", "1n"]] })
  })

  it("drops blank lines inside comment blocks but keeps every comment line", () => {
    expect(load1("# h1\n# h2\n\n# h3\n\n# h4\na: 1\n")).toEqual({ map: ["# h1", "# h2", "# h3", "# h4", ["a", "1n"]] })
  })

  it("turns comments in sequences into Comment elements, '- # c' heading the nested collection", () => {
    const src = "a:\n- # head of x\n  x: 1\n- # lc\n  - nested\n- 3 # three\n# after 3\n"
    expect(load1(src)).toEqual({
      map: [["a", [{ map: ["# head of x", ["x", "1n"]] }, ["# lc", "nested"], "#~ three", "3n", "# after 3"]]],
    })
  })

  it("places comments between sequence items", () => {
    const src = "a:\n  - 1 # one\n  # after one\n  - 2\n\n  # before three\n  - 3\n# end\n"
    expect(load1(src)).toEqual({ map: [["a", ["#~ one", "1n", "# after one", "2n", "# before three", "3n"]], "# end"] })
  })

  it("repeats a comment inside an anchored mapping at each alias", () => {
    const src = "base: &b\n  # in anchor\n  x: 1\ncopy: *b\n"
    expect(load1(src)).toEqual({
      map: [
        ["base", { map: ["# in anchor", ["x", "1n"]] }],
        ["copy", { map: ["# in anchor", ["x", "1n"]] }],
      ],
    })
  })

  it("gives every document its own branch and comments", () => {
    expect(load("a: 1 # one\n---\n# d2\nb: 2\n")).toEqual([{ map: ["#~ one", ["a", "1n"]] }, { map: ["# d2", ["b", "2n"]] }])
  })

  it("handles CRLF input like LF input", () => {
    const lf = "a: 1\n# c\nb:\n  c: |\n    x\n    y\n"
    expect(load(lf.replaceAll("\n", "\r\n"))).toEqual(load(lf))
  })
})

describe("scalar resolution (go-yaml resolve.go)", () => {
  const cases: [string, unknown][] = [
    ["'1'", "1"],
    ['"true"', "true"],
    ["!!str 1", "1"],
    ["~", null],
    ["null", null],
    ["NULL", null],
    ["", null],
    ["true", true],
    ["True", true],
    ["FALSE", false],
    ["yes", "yes"],
    ["off", "off"],
    ["12", "12n"],
    ["-12", "-12n"],
    ["+12", "12n"],
    ["1_000", "1000n"],
    ["0x1F", "31n"],
    ["0o17", "15n"],
    ["017", "15n"],
    ["0b101", "5n"],
    ["-0b101", "-5n"],
    ["08", 8],
    ["9223372036854775807", "9223372036854775807n"],
    ["1.5", 1.5],
    ["1e3", 1000],
    [".5", 0.5],
    ["1.", 1],
    ["18446744073709551616", 18446744073709551616],
    ["1e400", "1e400"],
    [".inf", Number.POSITIVE_INFINITY],
    ["-.Inf", Number.NEGATIVE_INFINITY],
    ["2024-01-02", "time:2024-01-02T00:00:00Z"],
    ["2024-1-2T03:04:05.5+05:30", "time:2024-01-02T03:04:05.5+05:30"],
    ["2024-01-02 03:04:05", "time:2024-01-02T03:04:05Z"],
    ["2024-02-30", "2024-02-30"],
    ["'2024-01-02'", "2024-01-02"],
    ["!!binary aGVsbG8=", "hello"],
    ["!!binary /w==", { bytes: "ff" }],
    ["!Ref foo", "foo"],
    ["!!float 1", 1],
    ["<<", "<<"],
  ]
  it.each(cases)("%s", (text, expected) => {
    expect(load1(`k: ${text}\n`)).toEqual({ map: [["k", expected]] })
  })

  it("reads NaN", () => {
    const v = loadYamlBranches(enc("k: .nan\n"))[0]!.get("k")
    expect(Number.isNaN(v)).toBe(true)
  })

  it("keeps ints above int64 as a bigint beyond INT64_MAX (Go uint64, which encryption refuses)", () => {
    const v = loadYamlBranches(enc("k: 18446744073709551615\n"))[0]!.get("k")
    expect(typeof v === "bigint" && v > INT64_MAX).toBe(true)
  })

  it("makes non-string keys NonStringKey and merge keys a literal '<<'", () => {
    expect(load1("1: a\ntrue: b\n")).toEqual({ map: [[{ key: "1n" }, "a"], [{ key: true }, "b"]] })
    expect(load1("b: &b {x: 1}\nc:\n  <<: *b\n")).toEqual({ map: [["b", { map: [["x", "1n"]] }], ["c", { map: [["<<", { map: [["x", "1n"]] }]] }]] })
  })

  it("keeps escapes and folding of quoted and block scalars", () => {
    expect(load1('a: "\\x41\\u00e9\\n"\nb: \'it\'\'s\'\nc: |\n  l1\n  l2\nd: >-\n  f1\n  f2\n')).toEqual({
      map: [["a", "Aé\n"], ["b", "it's"], ["c", "l1\nl2\n"], ["d", "f1 f2"]],
    })
  })
})

describe("documents and errors", () => {
  it("gives no branch for empty input and an empty branch for a bare '---'", () => {
    expect(loadYamlBranches(new Uint8Array())).toEqual([])
    expect(load("---\n")).toEqual([{ map: [] }])
  })

  it("rejects input with no document at all, as sops does (EOF)", () => {
    expectCode(() => loadYamlBranches(enc("# only a comment\n")), "ERR_NO_DOCUMENT")
  })

  it("rejects sequence and scalar roots", () => {
    expect(expectCode(() => loadYamlBranches(enc("- a\n")), "ERR_FORMAT").message).toMatch(/sequences are not supported/)
    expect(expectCode(() => loadYamlBranches(enc("a: 1\n---\nfoo\n")), "ERR_FORMAT").message).toMatch(/values are not supported/)
  })

  it("rejects duplicate keys in the first document only, with go-yaml's message", () => {
    const err = expectCode(() => loadYamlBranches(enc("a: 1\nx:\n  b: 1\n  b: 2\n")), "ERR_DUPLICATE_KEY")
    expect(err.message).toContain('line 4: mapping key "b" already defined at line 3')
    expect(load("a: 1\n---\nb: 1\nb: 2\n")[1]).toEqual({ map: [["b", "1n"], ["b", "2n"]] })
  })

  it("detects duplicates among many keys in linear time", () => {
    const lines: string[] = []
    for (let i = 0; i < 50_000; i++) lines.push(`k${i}: ${i}`)
    lines.push("k7: dup")
    expectCode(() => loadYamlBranches(enc(lines.join("\n"))), "ERR_DUPLICATE_KEY")
  })

  it("reports syntax errors with a line", () => {
    const err = expectCode(() => loadYamlBranches(enc("a:\n  b: 1\n c: 2\n")), "ERR_FORMAT")
    expect(err.message).toBe("yaml: line 2: did not find expected key")
    expectCode(() => loadYamlBranches(enc("a: [1, 2\n")), "ERR_FORMAT")
    expectCode(() => loadYamlBranches(enc("a: *nope\n")), "ERR_FORMAT")
    expectCode(() => loadYamlBranches(enc("a: \u0001\n")), "ERR_FORMAT")
    expectCode(() => loadYamlBranches(new Uint8Array([0x61, 0x3a, 0x20, 0xff, 0x0a])), "ERR_FORMAT")
  })

  it("rejects ill-typed tags and bad merges in the first document, not in later ones", () => {
    expectCode(() => loadYamlBranches(enc("a: !!int abc\n")), "ERR_FORMAT")
    expectCode(() => loadYamlBranches(enc("c:\n  <<: 1\n")), "ERR_FORMAT")
    expect(load("a: 1\n---\nb: !!int abc\n")[1]).toEqual({ map: [["b", null]] })
  })

  it("refuses self-referencing anchors and alias bombs", () => {
    expectCode(() => loadYamlBranches(enc("a: 1\n---\nb: &x [*x]\n")), "ERR_FORMAT")
    let bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for (let i = 1; i < 9; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`
    expectCode(() => loadYamlBranches(enc(bomb)), "ERR_FORMAT")
  })

  it("loads 10,000 values (about 2 MB)", () => {
    let s = ""
    for (let i = 0; i < 1000; i++) {
      s += `# section ${i}\nsection${i}:\n`
      for (let j = 0; j < 10; j++) s += `    key${j}: ENC[AES256_GCM,data:${"A".repeat(100)},iv:${"B".repeat(44)},tag:${"C".repeat(24)},type:str] # c\n`
    }
    const bytes = enc(s)
    const branches = loadYamlBranches(bytes)
    expect(branches[0]!.items.length).toBe(2000)
  })
})
