/**
 * Regression tests for the YAML loader's fast paths (plain words and comment/block-scalar
 * lines measured with indexOf, the decoder's one-pass character check, the duplicate-key set,
 * the reused parser event). Each input below sits on a boundary between a fast path and the
 * exact character-by-character code, and every expectation was produced by the loader as it
 * was before the fast paths (which matched go-yaml on the unit and conformance suites), so
 * these pin that behaviour, error texts and positions included.
 */
import { describe, expect, it } from "vitest"
import { isSopsError } from "../src/errors.js"
import { loadYamlBranches } from "../src/stores/yaml/load.js"
import { Comment, TreeBranch } from "../src/tree.js"
import { enc, render } from "./yaml-render.js"

/** The loader's result as data: the rendered documents, or the error's code, message and details. */
function outcome(text: string): unknown {
  try {
    return { docs: loadYamlBranches(enc(text)).map(render) }
  } catch (err) {
    if (!isSopsError(err)) throw err
    return { error: { code: err.code, message: err.message, details: err.details ?? null } }
  }
}

const cases: [string, unknown][] = [
  ["a: b:\n", {"error":{"code":"ERR_FORMAT","message":"yaml: mapping values are not allowed in this context","details":{"line":1,"column":5}}}],
  ["a: b:", {"error":{"code":"ERR_FORMAT","message":"yaml: mapping values are not allowed in this context","details":{"line":1,"column":5}}}],
  ["a:b: c\n", {"docs":[{"map":[["a:b","c"]]}]}],
  ["a: x:y\nb: x: y\n", {"error":{"code":"ERR_FORMAT","message":"yaml: line 2: mapping values are not allowed in this context","details":{"line":2,"column":5}}}],
  ["k: ENC[AES256_GCM,data:abc,iv:def=,tag:ghi==,type:str]\n", {"docs":[{"map":[["k","ENC[AES256_GCM,data:abc,iv:def=,tag:ghi==,type:str]"]]}]}],
  ["a: one two  three\n", {"docs":[{"map":[["a","one two  three"]]}]}],
  ["a: one\n  two\n\n  three\n", {"docs":[{"map":[["a","one two\nthree"]]}]}],
  ["a: one\r\n  two\r\n\r\n  three\r\n", {"docs":[{"map":[["a","one two\nthree"]]}]}],
  ["a: one\r  two\r\r  three\rb: 2\r", {"docs":[{"map":[["a","one two\nthree"],["b","2n"]]}]}],
  ["a: one\u0085  two\u2028b: x\u2029", {"docs":[{"map":[["a","one two"],["b","x"]]}]}],
  ["a: x\ty\nb: 1\n", {"docs":[{"map":[["a","x\ty"],["b","1n"]]}]}],
  ["a:\tx\n", {"docs":[{"map":[["a","x"]]}]}],
  ["a: x\t# c\nb: y # d\t\n", {"docs":[{"map":["#~ c",["a","x"],"#~ d\t",["b","y"]]}]}],
  ["k\u00e9: v\u00e9\n", {"docs":[{"map":[["k\u00e9","v\u00e9"]]}]}],
  ["\ud83d\ude00: \ud83d\ude00 \ud83d\ude00\n# \ud83d\ude00 c\nb: 1\n", {"docs":[{"map":[["\ud83d\ude00","\ud83d\ude00 \ud83d\ude00"],"# \ud83d\ude00 c",["b","1n"]]}]}],
  ["a: \ud83d\ude00\n  b: 1\n", {"error":{"code":"ERR_FORMAT","message":"yaml: line 2: mapping values are not allowed in this context","details":{"line":2,"column":4}}}],
  ["a: \ud83d\ude00x: y\n", {"error":{"code":"ERR_FORMAT","message":"yaml: mapping values are not allowed in this context","details":{"line":1,"column":6}}}],
  ["top:\n  a: 1 # \ud83d\ude00\n  # foot \ud83d\ude00\nb: 2\n", {"docs":[{"map":[["top",{"map":["#~ \ud83d\ude00",["a","1n"],"# foot \ud83d\ude00"]}],["b","2n"]]}]}],
  ["a: |\r\n  l1\r\n  l2\r\nb: 1\r\n", {"docs":[{"map":[["a","l1\nl2\n"],["b","1n"]]}]}],
  ["a: |\n  t\tab\n  \ud83d\ude00\n  \u0085x\nb: 1\n", {"error":{"code":"ERR_FORMAT","message":"yaml: line 5: could not find expected ':'","details":{"line":6,"column":1}}}],
  ["a: | # c\n  x\nb: >- # \ud83d\ude00\n  y\n  z\n", {"docs":[{"map":["#~ c",["a","x\n"],"#~ \ud83d\ude00",["b","y z"]]}]}],
  ["a: |\n  x\n \tb\n", {"error":{"code":"ERR_FORMAT","message":"yaml: line 3: found a tab character where an indentation space is expected","details":{"line":3,"column":2}}}],
  ["# c1\r\n# c2\r\na: 1 # c3\r\n# c4\r\n", {"docs":[{"map":["# c1","# c2","#~ c3",["a","1n"],"# c4"]}]}],
  ["# \tc1\n#\u0085c2\na: 1\n", {"error":{"code":"ERR_FORMAT","message":"yaml: line 4: mapping values are not allowed in this context","details":{"line":4,"column":2}}}],
  ["a: 1\n\u0001", {"error":{"code":"ERR_FORMAT","message":"yaml: control characters are not allowed","details":{"line":2,"column":1}}}],
  ["a: 1\tb\n\u0001", {"error":{"code":"ERR_FORMAT","message":"yaml: control characters are not allowed","details":{"line":2,"column":1}}}],
  ["a: 1\r\nb: \u0002\r\n", {"error":{"code":"ERR_FORMAT","message":"yaml: control characters are not allowed","details":{"line":2,"column":4}}}],
  ["\ud83d\ude00: \u0003", {"error":{"code":"ERR_FORMAT","message":"yaml: control characters are not allowed","details":{"line":1,"column":5}}}],
  ["a: b\u0085\u0004", {"error":{"code":"ERR_FORMAT","message":"yaml: control characters are not allowed","details":{"line":1,"column":6}}}],
  ["a: 1\nb: 2\na: 3\nb: 4\n", {"error":{"code":"ERR_DUPLICATE_KEY","message":"yaml: unmarshal errors:\n  line 3: mapping key \"a\" already defined at line 1\n  line 4: mapping key \"b\" already defined at line 2","details":{"errors":["line 3: mapping key \"a\" already defined at line 1","line 4: mapping key \"b\" already defined at line 2"]}}}],
  ["? [x]\n: 1\n? [y]\n: 2\n? [x]\n: 3\n", {"error":{"code":"ERR_FORMAT","message":"yaml: line 1: invalid map key: mappings and sequences cannot be keys","details":null}}],
  ["{a: 1}: x\n{a: 1}: y\n", {"error":{"code":"ERR_FORMAT","message":"yaml: line 1: invalid map key: mappings and sequences cannot be keys","details":null}}],
  ["a: 1\nb:\n  c: 1\n  c: 2\n  d: 3\n  d: 4\na: 5\n", {"error":{"code":"ERR_DUPLICATE_KEY","message":"yaml: unmarshal errors:\n  line 7: mapping key \"a\" already defined at line 1\n  line 4: mapping key \"c\" already defined at line 3\n  line 6: mapping key \"d\" already defined at line 5","details":{"errors":["line 7: mapping key \"a\" already defined at line 1","line 4: mapping key \"c\" already defined at line 3","line 6: mapping key \"d\" already defined at line 5"]}}}],
  ["a: [b: c, d: e]\n", {"docs":[{"map":[["a",[{"map":[["b","c"]]},{"map":[["d","e"]]}]]]}]}],
  ["a: {b: [c, {d: e}], f: g}\n", {"docs":[{"map":[["a",{"map":[["b",["c",{"map":[["d","e"]]}]],["f","g"]]}]]}]}],
  ["a: [one two, three\n  four]\n", {"docs":[{"map":[["a",["one two","three four"]]]}]}],
  ["a: 1\n  b: 2\n", {"error":{"code":"ERR_FORMAT","message":"yaml: line 2: mapping values are not allowed in this context","details":{"line":2,"column":4}}}],
  ["a: b\n - c\n", {"docs":[{"map":[["a","b - c"]]}]}],
  ["a:\n  - b\n  - c: d\n    e: f\n  -\n", {"docs":[{"map":[["a",["b",{"map":[["c","d"],["e","f"]]},null]]]}]}],
  ["--- \na: 1\n...\n--- # c\nb: 2\n", {"docs":[{"map":[["a","1n"]]},{"map":["# c",["b","2n"]]}]}],
  ["a: 'x\r\n  y'\nb: \"p\\\r\n  q\"\n", {"docs":[{"map":[["a","x y"],["b","pq"]]}]}],
  ["a: x\n...", {"docs":[{"map":[["a","x"]]}]}],
  ["a: --- x\nb: ...y\n", {"docs":[{"map":[["a","--- x"],["b","...y"]]}]}],
  ["a:\n---\nb:\n", {"docs":[{"map":[["a",null]]},{"map":[["b",null]]}]}],
]

describe("YAML loader fast paths", () => {
  it.each(cases)("loads %j as before", (text, expected) => {
    expect(outcome(text)).toEqual(expected)
  })

  /** A sops-like file: sections of encrypted-looking values, comments, a block scalar. */
  function sopsLike(values: number): string {
    let s = "# head\n\n"
    for (let i = 0; i < values; i++) {
      if (i % 100 === 0) s += `section_${i / 100}:\n`
      const comment = i % 7 === 0 ? ` # note ${i}` : ""
      s += `    key_${i}: ENC[AES256_GCM,data:${"x".repeat(i % 50)}=,iv:abc=,tag:def==,type:str]${comment}\n`
      if (i % 13 === 0) s += `    # foot ${i}\n`
    }
    return s + "sops:\n    enc: |\n        -----BEGIN-----\n        YWJj\n        -----END-----\n    version: 3.13.2\n"
  }

  it("reads LF, CRLF and CR line ends alike", () => {
    const lf = sopsLike(1500)
    const expected = outcome(lf)
    expect(outcome(lf.replaceAll("\n", "\r\n"))).toEqual(expected)
    expect(outcome(lf.replaceAll("\n", "\r"))).toEqual(expected)
  })

  it("keeps every value and comment of a file with thousands of tokens", () => {
    const branch = loadYamlBranches(enc(sopsLike(3000)))[0]!
    const section = branch.get("section_29") as TreeBranch
    const at = section.items.findIndex((it) => it.key === "key_2940")
    expect(render(section.items[at - 1]!.key as Comment)).toBe("#~ note 2940")
    expect(section.items[at + 1]!.key).toBe("key_2941")
    const before = branch.get("section_2") as TreeBranch
    expect(render(before.items.at(-1)!.key as Comment)).toBe("# foot 299")
    expect(section.get("key_2999")).toBe(`ENC[AES256_GCM,data:${"x".repeat(2999 % 50)}=,iv:abc=,tag:def==,type:str]`)
    const sops = branch.get("sops") as TreeBranch
    expect(sops.get("enc")).toBe("-----BEGIN-----\nYWJj\n-----END-----\n")
    let comments = 0
    for (const item of branch.items) {
      if (item.value instanceof TreeBranch) comments += item.value.items.filter((it) => it.key instanceof Comment).length
    }
    // 429 line comments (i % 7) and 231 foot comments (i % 13), each kept once, in its section.
    expect(comments).toBe(429 + 231)
    expect(branch.items.filter((it) => it.key instanceof Comment).map((it) => render(it.key as Comment))).toEqual(["# head"])
  })

  it("reports at most 20 duplicates, each with the line of the first occurrence", () => {
    const lines = ["a: 0", "b: 0"]
    for (let i = 0; i < 25; i++) lines.push(i % 2 === 0 ? "a: 1" : "b: 1")
    const result = outcome(lines.join("\n") + "\n") as { error: { code: string; details: { errors: string[] } } }
    expect(result.error.code).toBe("ERR_DUPLICATE_KEY")
    const errors = result.error.details.errors
    expect(errors).toHaveLength(20)
    expect(errors[0]).toBe('line 3: mapping key "a" already defined at line 1')
    expect(errors[1]).toBe('line 4: mapping key "b" already defined at line 2')
    expect(errors[19]).toBe('line 22: mapping key "b" already defined at line 2')
  })
})
