import { describe, expect, it } from "vitest"
import { SopsError } from "../src/errors.js"
import { emitJsonDocument, emitJsonValue, jsonIndentString } from "../src/stores/json/emit.js"
import { Comment, NonStringKey, Timestamp, TreeBranch, type TreeValue } from "../src/tree.js"

const dec = new TextDecoder()
const branch = (...pairs: [string | Comment | NonStringKey, TreeValue][]): TreeBranch =>
  new TreeBranch(pairs.map(([key, value]) => ({ key, value })))
const value = (v: TreeValue, indent = "\t"): string => dec.decode(emitJsonValue(v, indent))
const doc = (b: TreeBranch, indent = "\t"): string => dec.decode(emitJsonDocument(b, indent))

function unsupported(fn: () => unknown): SopsError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SopsError)
    expect((err as SopsError).code).toBe("ERR_UNSUPPORTED_VALUE")
    return err as SopsError
  }
  throw new Error("expected ERR_UNSUPPORTED_VALUE")
}

describe("JSON string escaping (Go json.Marshal)", () => {
  it.each([
    ["plain", '"plain"'],
    ['q"b\\s/', String.raw`"q\"b\\s/"`],
    ["\n\r\t\b\f", String.raw`"\n\r\t\b\f"`],
    ["\u0000\u0001\u001f\u000b", String.raw`"\u0000\u0001\u001f\u000b"`],
    ["<a href='x'>&</a>", String.raw`"\u003ca href='x'\u003e\u0026\u003c/a\u003e"`],
    ["\u2028\u2029", String.raw`"\u2028\u2029"`],
    ["\u007f é € 😀 \uFFFD \uFEFF", '"\u007f é € 😀 \uFFFD \uFEFF"'],
    ["lone \ud800 and \udc00", '"lone \uFFFD and \uFFFD"'],
  ])("%j → %s", (input, expected) => {
    expect(value(input)).toBe(expected)
  })

  it("writes byte strings as Go strings: valid UTF-8 as text, each invalid byte as \\ufffd", () => {
    expect(value(new Uint8Array([0x61, 0xc3, 0xa9, 0x3c]))).toBe('"aé\\u003c"')
    expect(value(new Uint8Array([0x61, 0xff, 0xe2, 0x82, 0x0a, 0xed, 0xa0, 0x80]))).toBe(
      String.raw`"a\ufffd\ufffd\ufffd\n\ufffd\ufffd\ufffd"`,
    )
    expect(value(new Uint8Array([]))).toBe('""')
  })
})

describe("JSON numbers", () => {
  it.each([
    [0, "0"],
    [-0, "-0"],
    [1, "1"],
    [100, "100"],
    [0.1, "0.1"],
    [-2.5, "-2.5"],
    [1e20, "100000000000000000000"],
    [1e21, "1e+21"],
    [1.5e300, "1.5e+300"],
    [1e-6, "0.000001"],
    [1.234e-6, "0.000001234"],
    [1e-7, "1e-7"],
    [9.5e-7, "9.5e-7"],
    [-9.99999999999999e-7, "-9.99999999999999e-7"],
    [1e-10, "1e-10"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [123456789.123, "123456789.123"],
    [3.604615718747033e16, "36046157187470330"],
  ])("float %d → %s", (input, expected) => {
    expect(value(input)).toBe(expected)
  })

  it.each([
    [0n, "0"],
    [9223372036854775807n, "9223372036854775807"],
    [-9223372036854775808n, "-9223372036854775808"],
    [9007199254740993n, "9007199254740993"],
  ])("int %s → %s", (input, expected) => {
    expect(value(input)).toBe(expected)
  })

  it.each([NaN, Infinity, -Infinity])("refuses %d like Go (json: unsupported value)", (f) => {
    expect(unsupported(() => doc(branch(["a", f]))).message).toContain("json: unsupported value")
  })
})

describe("JSON other scalars", () => {
  it("writes null, booleans and timestamps (quoted RFC 3339 with nanoseconds)", () => {
    expect(value(null)).toBe("null")
    expect(value(true)).toBe("true")
    expect(value(false)).toBe("false")
    expect(value(new Timestamp(1704067200, 120_000_000, 90))).toBe('"2024-01-01T01:30:00.12+01:30"')
    expect(value(new Timestamp(1704067200))).toBe('"2024-01-01T00:00:00Z"')
  })

  it("refuses a year Go cannot marshal", () => {
    unsupported(() => value(new Timestamp(253402300800))) // year 10000
  })

  it("refuses non-string keys", () => {
    unsupported(() => doc(branch([new NonStringKey(1n), "x"])))
  })
})

describe("JSON layout (Go json.Indent)", () => {
  const tree = branch(
    ["a", "b"],
    ["empty_map", new TreeBranch()],
    ["empty_list", []],
    ["list", [1n, branch(["k", null]), [2n, [3n]], []]],
    ["map", branch(["x", branch(["y", true])])],
  )

  it("indents with a tab per level by default", () => {
    expect(doc(tree)).toBe(
      [
        "{",
        '\t"a": "b",',
        '\t"empty_map": {},',
        '\t"empty_list": [],',
        '\t"list": [',
        "\t\t1,",
        "\t\t{",
        '\t\t\t"k": null',
        "\t\t},",
        "\t\t[",
        "\t\t\t2,",
        "\t\t\t[",
        "\t\t\t\t3",
        "\t\t\t]",
        "\t\t],",
        "\t\t[]",
        "\t],",
        '\t"map": {',
        '\t\t"x": {',
        '\t\t\t"y": true',
        "\t\t}",
        "\t}",
        "}",
        "",
      ].join("\n"),
    )
  })

  it("matches JSON.stringify for space indents, even beyond 10 spaces", () => {
    const plain = {
      a: "b",
      empty_map: {},
      empty_list: [],
      list: [1, { k: null }, [2, [3]], []],
      map: { x: { y: true } },
    }
    expect(doc(tree, "  ")).toBe(JSON.stringify(plain, null, 2) + "\n")
    const twelve = JSON.stringify(plain, null, "#").replaceAll("#", " ".repeat(12))
    expect(doc(tree, " ".repeat(12))).toBe(twelve + "\n")
  })

  it("breaks lines without indenting for indent 0", () => {
    expect(doc(branch(["a", [1n]], ["b", new TreeBranch()]), "")).toBe('{\n"a": [\n1\n],\n"b": {}\n}\n')
  })

  it("writes an empty document as {}", () => {
    expect(doc(new TreeBranch())).toBe("{}\n")
  })

  it("skips comment items and comment list elements", () => {
    const t = branch([new Comment(" top"), null], ["a", [new Comment("x"), 1n, new Comment("y")]], ["c", [new Comment("z")]])
    expect(doc(t, "  ")).toBe('{\n  "a": [\n    1\n  ],\n  "c": []\n}\n')
    expect(doc(branch([new Comment(" only"), null]))).toBe("{}\n")
  })

  it("keeps duplicate keys in order", () => {
    expect(doc(branch(["a", 1n], ["a", 2n]), "")).toBe('{\n"a": 1,\n"a": 2\n}\n')
  })

  it("appends a trailing item after the data", () => {
    const out = dec.decode(emitJsonDocument(branch(["a", 1n]), " ", { key: "sops", value: branch(["v", "1"]) }))
    expect(out).toBe('{\n "a": 1,\n "sops": {\n  "v": "1"\n }\n}\n')
  })

  it("emits single values without a trailing newline", () => {
    expect(value("x")).toBe('"x"')
    expect(value([1n, "a"], "  ")).toBe('[\n  1,\n  "a"\n]')
    expect(value(branch(["k", 1.5]))).toBe('{\n\t"k": 1.5\n}')
  })
})

describe("JSON emit limits", () => {
  it("reports a tree too deep for the call stack as ERR_UNSUPPORTED_VALUE", () => {
    let v: TreeValue = 1n
    for (let i = 0; i < 200_000; i++) v = [v]
    expect(unsupported(() => doc(branch(["a", v]))).message).toContain("nested too deeply")
    expect(unsupported(() => value(v)).message).toContain("nested too deeply")
  })
})

describe("jsonIndentString", () => {
  it("maps sops indent settings", () => {
    expect(jsonIndentString(undefined)).toBe("\t")
    expect(jsonIndentString(-1)).toBe("\t")
    expect(jsonIndentString(0)).toBe("")
    expect(jsonIndentString(4)).toBe("    ")
  })

  it.each([-2, 1.5, NaN])("rejects %d", (n) => {
    expect(() => jsonIndentString(n)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })
})

describe("JSON emit speed and size", () => {
  it("emits 10,000 values", () => {
    const items = []
    for (let i = 0; i < 10_000; i++) {
      items.push({ key: `key_${i}`, value: i % 3 === 0 ? BigInt(i) : i % 3 === 1 ? `value <${i}> é` : i + 0.5 })
    }
    const t = new TreeBranch(items)
    let out: Uint8Array = new Uint8Array()
    for (let run = 0; run < 5; run++) {
      out = emitJsonDocument(t, "\t")
    }
    expect(out.length).toBeGreaterThan(200_000)
  })

  it("writes a large value into an exactly sized buffer", () => {
    const big = "A".repeat(3_000_000) + "é"
    const out = emitJsonDocument(branch(["data", big], ["z", "<>"]), "\t")
    const expected = new TextEncoder().encode(`{\n\t"data": "${big}",\n\t"z": "\\u003c\\u003e"\n}\n`)
    expect(out.byteLength).toBe(expected.byteLength)
    expect(out.buffer.byteLength).toBe(expected.byteLength)
    expect(Buffer.compare(out, expected)).toBe(0)
  })
})
