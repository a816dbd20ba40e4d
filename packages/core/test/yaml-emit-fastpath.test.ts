/**
 * The emitter's fast paths (regexp scalar analysis, run-wise double-quoted and literal writing,
 * code-point widths from the analysis) must give the bytes of the general per-character code.
 * Expected bytes were produced by the per-character emitter before the fast paths existed.
 */
import { describe, expect, it } from "vitest"
import { emitYamlBranches } from "../src/stores/yaml/emit.js"
import { analyzeScalar } from "../src/stores/yaml/emit-scalar.js"
import { TreeBranch, type TreeValue } from "../src/tree.js"

const dec = new TextDecoder()
const emit = (entries: [string, TreeValue][]): string =>
  dec.decode(emitYamlBranches([new TreeBranch(entries.map(([key, value]) => ({ key, value })))]))

describe("YAML emitter fast paths", () => {
  it("writes double-quoted text in runs between escapes", () => {
    expect(emit([["dq", "a\"b\\c é 😀\u0007 end\u2028x"]])).toBe('dq: "a\\"b\\\\c é \\U0001F600\\a end\\Lx"\n')
    expect(emit([["lone", "x\ud800y\u0001"]])).toBe('lone: "x\\uD800y\\x01"\n')
  })

  it("escapes every character after a leading BOM", () => {
    expect(emit([["bom", "\ufeffab\"c"]])).toBe('bom: "\\uFEFF\\x61\\x62\\"\\x63"\n')
  })

  it("writes literal blocks line by line", () => {
    expect(emit([["lit", "é line\n  second é\n"], ["litTab", "a\n\tb\n"]])).toBe(
      "lit: |\n    é line\n      second é\nlitTab: |\n    a\n    \tb\n",
    )
    expect(emit([["k", ["a\nb"]]])).toBe("k:\n    - |-\n      a\n      b\n")
  })

  it("sends a final colon and a leading document marker to the general analysis", () => {
    expect(emit([["colon", "key:"], ["dots", "...x"]])).toBe("colon: 'key:'\ndots: '...x'\n")
    expect(analyzeScalar("a:").blockPlainAllowed).toBe(false)
    expect(analyzeScalar("...x").blockPlainAllowed).toBe(false)
  })

  it("analyses multi-line ASCII by its space/break neighbourhoods", () => {
    expect(emit([["k", "-----BEGIN X-----\nYWJj: #d\n-----END X-----\n"]])).toBe(
      "k: |\n    -----BEGIN X-----\n    YWJj: #d\n    -----END X-----\n",
    )
    expect(emit([["k", "a \nb\n"]])).toBe('k: "a \\nb\\n"\n')
    expect(emit([["k", "a\n b\n"]])).toBe("k: |\n    a\n     b\n")
    expect(emit([["k", "a\nb "]])).toBe('k: "a\\nb "\n')
    expect(analyzeScalar("a\n b")).toMatchObject({ multiline: true, singleQuotedAllowed: false, blockAllowed: true })
  })

  it("keeps ENC values plain and counts widths in code points", () => {
    const enc = "ENC[AES256_GCM,data:abc=,iv:x+/=,tag:q==,type:str]"
    expect(emit([["enc", enc]])).toBe(`enc: ${enc}\n`)
    expect(analyzeScalar(enc)).toMatchObject({ flowPlainAllowed: false, blockPlainAllowed: true, width: enc.length })
    expect(analyzeScalar("日本😀")).toMatchObject({ width: 3, byteLength: 10 })
    expect(emit([["uni", "日本語テキスト"], ["nested", new TreeBranch([{ key: "é😀", value: "日本" }])]])).toBe(
      'uni: 日本語テキスト\nnested:\n    "é\\U0001F600": 日本\n',
    )
  })
})
