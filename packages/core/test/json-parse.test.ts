import { describe, expect, it } from "vitest"
import { SopsError } from "../src/errors.js"
import { JSON_MAX_DEPTH, parseJsonObject } from "../src/stores/json/parse.js"
import { TreeBranch, type TreeValue } from "../src/tree.js"

const enc = new TextEncoder()
const parse = (s: string | Uint8Array): TreeBranch => parseJsonObject(typeof s === "string" ? enc.encode(s) : s)

/** Plain JS view of a tree: branches become [key, value] pair lists so order and dupes show. */
function view(v: TreeValue): unknown {
  if (v instanceof TreeBranch) return v.items.map((i) => [i.key, view(i.value)])
  if (Array.isArray(v)) return v.map(view)
  return v
}

function formatError(input: string | Uint8Array): SopsError {
  try {
    parse(input)
  } catch (err) {
    expect(err).toBeInstanceOf(SopsError)
    expect((err as SopsError).code).toBe("ERR_FORMAT")
    return err as SopsError
  }
  throw new Error("expected ERR_FORMAT")
}

describe("parseJsonObject: structure", () => {
  it("keeps members in file order, duplicates included", () => {
    expect(view(parse('{"b": 1, "a": 2, "b": 3}'))).toEqual([
      ["b", 1n],
      ["a", 2n],
      ["b", 3n],
    ])
  })

  it("reads nested objects, arrays and every scalar type", () => {
    const t = parse('{"o": {"x": [1, 2.5, "s", true, false, null, [], {}]}, "e": {}}')
    expect(view(t)).toEqual([
      ["o", [["x", [1n, 2.5, "s", true, false, null, [], []]]]],
      ["e", []],
    ])
    const o = t.get("o") as TreeBranch
    expect((o.get("x") as TreeValue[])[7]).toBeInstanceOf(TreeBranch)
  })

  it("ignores whatever follows the top-level object", () => {
    expect(view(parse('{"a": 1} trailing garbage ]]] {'))).toEqual([["a", 1n]])
    expect(view(parse('  \r\n\t{}{"b":2}'))).toEqual([])
  })

  it("accepts the four JSON whitespace bytes anywhere between tokens", () => {
    expect(view(parse(' \t\r\n{ \t\r\n"a" \t\r\n: \t\r\n[ 1 , 2 ] \t\r\n}'))).toEqual([["a", [1n, 2n]]])
  })
})

describe("parseJsonObject: numbers", () => {
  it("keeps int64 integers exact as bigint, including both bounds", () => {
    const t = parse(
      '{"max": 9223372036854775807, "min": -9223372036854775808, "big": 9007199254740993, "z": 0, "nz": -0}',
    )
    expect(view(t)).toEqual([
      ["max", 9223372036854775807n],
      ["min", -9223372036854775808n],
      ["big", 9007199254740993n],
      ["z", 0n],
      ["nz", 0n],
    ])
  })

  it("turns integers outside int64 and non-integer literals into floats", () => {
    const t = parse('{"a": 9223372036854775808, "b": -9223372036854775809, "c": 1.0, "d": 1e2, "e": -0.0, "f": 1E-7}')
    const vals = t.items.map((i) => i.value)
    expect(vals).toEqual([9223372036854775808, -9223372036854775809, 1, 100, -0, 1e-7])
    expect(Object.is(vals[4], -0)).toBe(true)
    for (const v of vals) expect(typeof v).toBe("number")
  })

  it("underflows tiny floats to zero but rejects overflow (Go ParseFloat ErrRange)", () => {
    expect(parse('{"a": 1e-400}').get("a")).toBe(0)
    const err = formatError('{"a": 1e400}')
    expect(err.message).toContain("out of range")
    expect(err.message).not.toContain("1e400")
  })

  it.each(['{"a": 01}', '{"a": 1.}', '{"a": .5}', '{"a": +1}', '{"a": 1e}', '{"a": -}', '{"a": 0x10}', '{"a": 1e+}'])(
    "rejects the malformed number in %s",
    (s) => {
      formatError(s)
    },
  )
})

describe("parseJsonObject: strings", () => {
  it("decodes every escape", () => {
    expect(parse(String.raw`{"a": "\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20ac \ud83d\ude00 \u0000"}`).get("a")).toBe(
      '" \\ / \b \f \n \r \t A é € 😀 \u0000',
    )
  })

  it("replaces unpaired surrogate escapes by U+FFFD and reads the next escape on its own", () => {
    expect(parse(String.raw`{"a": "\ud800x"}`).get("a")).toBe("\uFFFDx")
    expect(parse(String.raw`{"a": "\udc00"}`).get("a")).toBe("\uFFFD")
    expect(parse(String.raw`{"a": "\ud800\u0041"}`).get("a")).toBe("\uFFFDA")
    expect(parse(String.raw`{"a": "\ud800\ud800\udc00"}`).get("a")).toBe("\uFFFD\u{10000}")
  })

  it("replaces each byte of invalid UTF-8 by U+FFFD, as Go does (not the WHATWG way)", () => {
    const head = enc.encode('{"a": "x')
    const tail = enc.encode('y"}')
    const mk = (mid: number[]): Uint8Array => new Uint8Array([...head, ...mid, ...tail])
    // A truncated 3-byte sequence: WHATWG gives one U+FFFD, Go gives one per byte.
    expect(parse(mk([0xe2, 0x82])).get("a")).toBe("x\uFFFD\uFFFDy")
    expect(parse(mk([0xff])).get("a")).toBe("x\uFFFDy")
    // UTF-8-encoded surrogate and overlong forms are invalid.
    expect(parse(mk([0xed, 0xa0, 0x80])).get("a")).toBe("x\uFFFD\uFFFD\uFFFDy")
    expect(parse(mk([0xc0, 0xaf])).get("a")).toBe("x\uFFFD\uFFFDy")
    // Valid multi-byte text is kept, also mixed with escapes and broken bytes.
    expect(parse(mk([0xc3, 0xa9, 0x5c, 0x6e, 0xf0, 0x9f, 0x98]).subarray(0)).get("a")).toBe("xé\n\uFFFD\uFFFD\uFFFDy")
  })

  it("keeps a U+FEFF inside a string", () => {
    expect(parse('{"a": "\uFEFFx"}').get("a")).toBe("\uFEFFx")
  })

  it("rejects raw control characters and bad escapes", () => {
    formatError('{"a": "x\ny"}')
    formatError('{"a": "\\x"}')
    formatError('{"a": "\\u12G4"}')
    formatError('{"a": "\\u12"}')
    formatError('{"a": "abc')
  })

  it("reads keys with the same rules", () => {
    expect(parse(String.raw`{"k\u00e9\n": 1}`).items[0]!.key).toBe("ké\n")
  })
})

describe("parseJsonObject: errors", () => {
  it("reports empty input as EOF", () => {
    expect(formatError("").message).toMatch(/EOF$/)
    expect(formatError(" \n\t ").message).toMatch(/EOF$/)
  })

  it("rejects a top-level array with sops' message", () => {
    expect(formatError("[1, 2]").message).toContain(
      "SOPS only supports JSON files with a top-level object (starting with '{'), not arrays or other types. Got delimiter [ instead.",
    )
  })

  it("rejects top-level scalars without showing the value", () => {
    expect(formatError("42").message).toContain("not other JSON types. Got a value of type int instead")
    expect(formatError('"secret"').message).toContain("of type string instead")
    expect(formatError('"secret"').message).not.toContain("secret")
    expect(formatError("true").message).toContain("Got true of type bool instead")
    expect(formatError("null").message).toContain("Got <nil> of type <nil> instead")
  })

  it("rejects a BOM, as Go does", () => {
    formatError("\uFEFF{}")
  })

  it("reports the position of a syntax error", () => {
    const err = formatError('{\n  "a": 1,\n  "b" 2\n}')
    expect(err.message).toContain("invalid character '2' after object key")
    expect(err.details).toEqual({ offset: 18, line: 3, column: 7 })
  })

  it.each([
    ["{", "unexpected end"],
    ['{"a"', "unexpected end"],
    ['{"a":', "unexpected end"],
    ['{"a":1', "unexpected end"],
    ['{"a":[1,', "unexpected end"],
    ['{"a":1,}', "looking for beginning of object key string"],
    ['{"a":[1,]}', "looking for beginning of value"],
    ['{"a":1 "b":2}', "after object key:value pair"],
    ['{"a":[1 2]}', "after array element"],
    ["{1:2}", "looking for beginning of object key string"],
    ['{"a"::1}', "looking for beginning of value"],
    ['{"a":tru}', "in literal true"],
    ['{"a":nul}', "in literal null"],
    ['{"a":truex}', "after object key:value pair"],
    ['{"a":[}', "looking for beginning of value"],
    ['{"a":}', "looking for beginning of value"],
    ["}", "looking for beginning of value"],
    ["{'a':1}", "looking for beginning of object key string"],
  ])("rejects %s", (input, text) => {
    expect(formatError(input).message).toContain(text)
  })

  it("bounds nesting depth without overflowing the stack", () => {
    const deep = (n: number): string => '{"a":' + "[".repeat(n) + "]".repeat(n) + "}"
    expect(() => parse(deep(JSON_MAX_DEPTH - 1))).not.toThrow()
    expect(formatError(deep(JSON_MAX_DEPTH)).message).toContain("exceeded max depth")
    expect(formatError(deep(1_000_000)).message).toContain("exceeded max depth")
  })
})

describe("parseJsonObject: speed", () => {
  it("parses 10,000 values", () => {
    const members: string[] = []
    for (let i = 0; i < 10_000; i++) {
      members.push(`"key_${i}": ${i % 3 === 0 ? i : i % 3 === 1 ? `"value number ${i} \\n é"` : i + 0.5}`)
    }
    const input = enc.encode("{" + members.join(",\n") + "}")
    let t = new TreeBranch()
    for (let run = 0; run < 5; run++) {
      t = parse(input)
    }
    expect(t.items.length).toBe(10_000)
  })
})
