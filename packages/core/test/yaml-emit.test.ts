/**
 * The YAML emitter against go-yaml v3.0.4 as sops drives it. Expected bytes come from sops'
 * own files (conformance vectors) or were produced by sops' emitting code (`appendTreeBranch`
 * + go-yaml v3.0.4) run on the same trees.
 */
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { SopsError } from "../src/errors.js"
import { emitYamlBranches, emitYamlValue } from "../src/stores/yaml/emit.js"
import { Comment, NonStringKey, Timestamp, TreeBranch, type TreeKey, type TreeValue } from "../src/tree.js"

const dec = new TextDecoder()
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))
const conformance = path.resolve(repoRoot, "../shared/conformance")
const haveConformance = existsSync(path.join(conformance, "manifest.json"))
if (!haveConformance) console.warn(`conformance vectors not found at ${conformance}: skipping YAML vector tests`)

/** A branch from `[key, value]` pairs; a bare Comment is a comment item. */
function map(...entries: ([TreeKey, TreeValue] | Comment)[]): TreeBranch {
  return new TreeBranch(entries.map((e) => (e instanceof Comment ? { key: e, value: null } : { key: e[0], value: e[1] })))
}

const yaml = (branches: TreeBranch[], indent?: number): string =>
  dec.decode(emitYamlBranches(branches, indent === undefined ? undefined : { indent }))
const one = (value: TreeValue): string => dec.decode(emitYamlValue(value))

const PGP_ARMOR = [
  "-----BEGIN PGP MESSAGE-----",
  "",
  "wcBMAyUpShfNkFB/AQf/b1Bdb5X/56d4Oe/5ZoEvKmjN68fr5n9c7gK8qW8Y+Q/L",
  "vbfY+l/3HDta5fHHe1RIvyHle/Zgrh1PcQELvhPwsp2nW3NSPsCOCvemziNv7b2b",
  "c57DjDyt97C2UDG82jBCwMUYp5ekYuXleTcMLTJF2V9GQ5jeGDflpfrrPXoI22bh",
  "LJBAGtQp0kQQgoQSdLEQ9fCVAt0UV4MfZ28I9ezUoihrVydLFGtYFqqQCyLdpDfW",
  "jXQk2QHM+FUPWJyaCZlFJYv29LYz9AYG0db6FLcUUrVbkujdPZak107va8r6FDFF",
  "xwJBfau2I/ocQwkWv99+/+AYCh7+DWkwJ20W8uFBytJRAeL2P3JHSof0YsnpeRDH",
  "MJzf3oxf6c61w3mCxA6p/sgeUpYU0Ja/MNeRTD4c5xt6AppbQfNkyeI/BcvSD3UQ",
  "FTBiiWDU11xm4NWm0sIRbnof",
  "=5PzX",
  "-----END PGP MESSAGE-----",
].join("\n")
const FOO_ENC = "ENC[AES256_GCM,data:8CvE,iv:tjchf/lmMpXDOA1tLE/N4oY9IqJIzfQ/7NlvQlDUtoA=,tag:1aFCHIRp3j/VPNcCEsE95A==,type:str]"
const MAC_ENC =
  "ENC[AES256_GCM,data:t5sIFo7psXtfOiPdp9psT3nmgO/sH2GojpOIluWadfDJGPIsucbPrj906LwpVqva/4bq7q1aUKhm7X4RwfkvVsdgRbKr6azww5uvTUFTN58Vi0jxyhSaUh96+aVK02SkPbzx5oSEK0R9M/ZWSKnP8VY6AKTlP6I3I2P8HAEK6xs=,iv:mhrVlCOWU0MnIYxnccGGFDCPAXsNwl9sopIm7f74kT8=,tag:w+XIuL4lhKHlgGOlclR2PA==,type:str]"

/** `functional-tests/res/format.enc.yaml` (sops 3.13.1), built item by item. */
function formatEncTree(): TreeBranch {
  return map(
    ["foo", FOO_ENC],
    [
      "sops",
      map(
        ["lastmodified", "2026-05-22T20:16:23Z"],
        ["mac", MAC_ENC],
        ["pgp", [map(["created_at", "2026-05-22T20:16:20Z"], ["enc", PGP_ARMOR], ["fp", "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"])]],
        ["unencrypted_suffix", "_unencrypted"],
        ["version", "3.13.1"],
      ),
    ],
  )
}

describe("YAML emitter: sops metadata layout", () => {
  it("lays out a PGP entry as sops 3.13 does (quoted times, `enc: |-`, plain version)", () => {
    const out = yaml([formatEncTree()])
    expect(out).toContain('    lastmodified: "2026-05-22T20:16:23Z"\n')
    expect(out).toContain('        - created_at: "2026-05-22T20:16:20Z"\n          enc: |-\n            -----BEGIN PGP MESSAGE-----\n\n            wcBM')
    expect(out).toContain("            -----END PGP MESSAGE-----\n          fp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n")
    expect(out.endsWith("    version: 3.13.1\n")).toBe(true)
  })

  it.skipIf(!haveConformance)("reproduces format.enc.yaml byte for byte", () => {
    const file = readFileSync(path.join(conformance, "getsops-sops/functional-tests/res/format.enc.yaml"))
    expect(Buffer.from(emitYamlBranches([formatEncTree()])).equals(file)).toBe(true)
  })

  it("writes an age armor (ending with a newline) as `enc: |`", () => {
    const armor = "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"
    const tree = map(
      ["data", "ENC[x]"],
      ["sops", map(["age", [map(["enc", armor], ["recipient", "age1abc"])]], ["lastmodified", "2026-05-22T20:16:23Z"], ["version", "3.13.1"])],
    )
    expect(yaml([tree])).toBe(
      "data: ENC[x]\n" +
        "sops:\n" +
        "    age:\n" +
        "        - enc: |\n" +
        "            -----BEGIN AGE ENCRYPTED FILE-----\n" +
        "            YWdl\n" +
        "            -----END AGE ENCRYPTED FILE-----\n" +
        "          recipient: age1abc\n" +
        '    lastmodified: "2026-05-22T20:16:23Z"\n' +
        "    version: 3.13.1\n",
    )
  })
})

describe("YAML emitter: layout", () => {
  const nested = map(
    ["a", [map(["x", 1n], ["y", ["p", ["q", "r"]]]), [], map()]],
    ["b", map(["c", [1n, 2n]])],
  )

  it("indents sequences inside mappings and aligns mapping entries after `- ` (indent 4)", () => {
    expect(yaml([nested])).toBe(
      "a:\n" +
        "    - x: 1\n" +
        '      "y":\n' +
        "        - p\n" +
        "        - - q\n" +
        "          - r\n" +
        "    - []\n" +
        "    - {}\n" +
        "b:\n" +
        "    c:\n" +
        "        - 1\n" +
        "        - 2\n",
    )
  })

  it("uses the configured indent (2)", () => {
    expect(yaml([nested], 2)).toBe(
      'a:\n  - x: 1\n    "y":\n      - p\n      - - q\n        - r\n  - []\n  - {}\nb:\n  c:\n    - 1\n    - 2\n',
    )
  })

  it("maps indent 0/absent to 4 and clamps 1 and 10 to 2 like go-yaml", () => {
    const t = map(["a", map(["b", 1n])])
    expect(yaml([t])).toBe("a:\n    b: 1\n")
    expect(yaml([t], 0)).toBe("a:\n    b: 1\n")
    expect(yaml([t], 1)).toBe("a:\n  b: 1\n")
    expect(yaml([t], 10)).toBe("a:\n  b: 1\n")
    expect(yaml([t], 9)).toBe("a:\n         b: 1\n")
  })

  it("rejects a negative or fractional indent with ERR_INVALID_ARGUMENT", () => {
    const err = (() => {
      try {
        emitYamlBranches([map()], { indent: -1 })
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(err).toBeInstanceOf(SopsError)
    expect((err as SopsError).code).toBe("ERR_INVALID_ARGUMENT")
    expect((err as SopsError).message).toBe("YAML Negative indentation not accepted")
    expect(() => emitYamlBranches([map()], { indent: 2.5 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })

  it("writes documents separated by `---`, `{}` for an empty one, nothing for none", () => {
    expect(yaml([])).toBe("")
    expect(yaml([map()])).toBe("{}\n")
    expect(yaml([map(["a", 1n]), map(), map(["b", "x"])])).toBe("a: 1\n---\n{}\n---\nb: x\n")
  })

  it("writes keys over 128 UTF-8 bytes (or multi-line) as explicit `? key`", () => {
    expect(yaml([map(["k".repeat(128), 1n])])).toBe("k".repeat(128) + ": 1\n")
    expect(yaml([map(["k".repeat(129), 1n])])).toBe("? " + "k".repeat(129) + "\n: 1\n")
    // 43 × 3 bytes = 129 bytes in 43 characters.
    expect(yaml([map(["€".repeat(43), 1n])])).toBe("? " + "€".repeat(43) + "\n: 1\n")
    expect(yaml([map(["a\nb", 1n])])).toBe("? |-\n    a\n    b\n: 1\n")
  })

  it("never folds long lines", () => {
    const long = "word ".repeat(100).trim()
    expect(yaml([map(["k", long])])).toBe(`k: ${long}\n`)
  })
})

describe("YAML emitter: comments", () => {
  it("places head, inline and trailing comments of a mapping", () => {
    const t = map(new Comment(" head"), ["a", 1n], new Comment(" between"), new Comment("inline", true), ["b", "x"], new Comment(" foot"))
    expect(yaml([t])).toBe("# head\na: 1\n# between\nb: x #inline\n# foot\n")
  })

  it("places comments inside sequences", () => {
    const t = map(["list", [new Comment(" first"), "a", new Comment("after-a", true), "b", new Comment(" last")]])
    expect(yaml([t])).toBe("list:\n    # first\n    - a\n    - b #after-a\n    # last\n")
  })

  it("puts a nested mapping's leading and trailing comments inside it", () => {
    const t = map(["a", map(new Comment(" in"), ["b", 1n], new Comment(" tail"))], ["c", 2n])
    expect(yaml([t])).toBe("a:\n    # in\n    b: 1\n    # tail\nc: 2\n")
    expect(yaml([map(["a", 1n], new Comment(" end")), map(["b", 2n])])).toBe("a: 1\n# end\n---\nb: 2\n")
  })

  it("keeps go-yaml's quirks: a mapping element's foot comment moves down and leaves a blank line", () => {
    const t = map(["a", ["x", map(["k", 1n]), new Comment(" foot")]], ["b", 2n], ["c", 3n])
    expect(yaml([t])).toBe("a:\n    - x\n    - k: 1\nb: 2\n# foot\n\nc: 3\n")
  })

  it("writes encrypted comments as `#` + text, with no space added", () => {
    expect(yaml([map(new Comment("ENC[AES256_GCM,data:x,iv:y,tag:z,type:comment]"), ["a", 1n])])).toBe(
      "#ENC[AES256_GCM,data:x,iv:y,tag:z,type:comment]\na: 1\n",
    )
  })

  it("keeps go-yaml's quirks: an inline comment before a nested mapping lands on the next key", () => {
    expect(yaml([map(new Comment("x", true), ["nested", map(["a", 1n])], ["next", 2n])])).toBe("nested:\n    a: 1\nnext: 2 #x\n")
  })

  it("writes a comment-only mapping as its comments then `{}`", () => {
    expect(yaml([map(new Comment(" only"))])).toBe("# only\n{}\n")
    expect(yaml([map(["k", map(new Comment(" only"))])])).toBe("k: {\n    # only\n}\n")
    expect(yaml([map(["k", [new Comment(" only")]])])).toBe("k: []\n# only\n")
  })
})

describe("YAML emitter: scalars", () => {
  // Each expected output is go-yaml v3.0.4's, through sops' node building (Node.Encode).
  const strings: [string, string][] = [
    ["plain text", "plain text"],
    ["", '""'],
    [" ", "' '"],
    ["123", '"123"'],
    ["-17", '"-17"'],
    ["0x1F", '"0x1F"'],
    ["0o17", '"0o17"'],
    ["0b101", '"0b101"'],
    ["017", '"017"'],
    ["08", '"08"'],
    ["1_000", '"1_000"'],
    ["1.5", '"1.5"'],
    ["1e3", '"1e3"'],
    [".5", '".5"'],
    [".inf", '".inf"'],
    ["-.Inf", '"-.Inf"'],
    [".NaN", '".NaN"'],
    ["1e400", "1e400"],
    ["true", '"true"'],
    ["False", '"False"'],
    ["TRUE", '"TRUE"'],
    ["yes", '"yes"'],
    ["No", '"No"'],
    ["on", '"on"'],
    ["OFF", '"OFF"'],
    ["y", '"y"'],
    ["n", '"n"'],
    ["null", '"null"'],
    ["Null", '"Null"'],
    ["~", '"~"'],
    ["2024-01-01", '"2024-01-01"'],
    ["2024-1-2", '"2024-1-2"'],
    ["2001-12-14t21:59:43.10-05:00", '"2001-12-14t21:59:43.10-05:00"'],
    ["2001-12-14 21:59:43.10", '"2001-12-14 21:59:43.10"'],
    ["2001-12-14T21:59:43", "2001-12-14T21:59:43"],
    ["2024-02-30", "2024-02-30"],
    ["1:20", '"1:20"'],
    ["-1:20:30.5", '"-1:20:30.5"'],
    ["12:60", "12:60"],
    ["<<", "!!merge <<"],
    ["#comment", "'#comment'"],
    ["a #b", "'a #b'"],
    ["a#b", "a#b"],
    ["a: b", "'a: b'"],
    ["a:b", "a:b"],
    ["key:", "'key:'"],
    ["- a", "'- a'"],
    ["-a", "-a"],
    ["? a", "'? a'"],
    ["?a", "?a"],
    [": a", "': a'"],
    ["---", "'---'"],
    ["--- a", "'--- a'"],
    ["...", "'...'"],
    ["[a]", "'[a]'"],
    ["a]", "a]"],
    ["{a}", "'{a}'"],
    ["&a", "'&a'"],
    ["*a", "'*a'"],
    ["!a", "'!a'"],
    ["|a", "'|a'"],
    [">a", "'>a'"],
    ["'a", "'''a'"],
    ['"a', "'\"a'"],
    ["%a", "'%a'"],
    ["@a", "'@a'"],
    ["`a", "'`a'"],
    [",a", "',a'"],
    ["a,b", "a,b"],
    ["it's", "it's"],
    ["trailing ", "'trailing '"],
    [" leading", "' leading'"],
    ["tab\there", '"tab\\there"'],
    ["\u00e9t\u00e9", "\u00e9t\u00e9"],
    ["\u{1F600}", '"\\U0001F600"'],
    ["bell\u0007", '"bell\\a"'],
    ["nel\u0085x", '"nel\\Nx"'],
    ["a\u2028b", "'a\u2028    b'"],
    ["\ufeffbom", '"\\uFEFF\\x62\\x6F\\x6D"'],
    ["back\\slash", "back\\slash"],
    ['quote"d', 'quote"d'],
    [FOO_ENC, FOO_ENC],
    ["a \nb", '"a \\nb"'],
    ["a\r\nb", '"a\\r\\nb"'],
    ["\u{1F600}\n", '"\\U0001F600\\n"'],
  ]
  it.each(strings)("writes the string %j as %s", (input, expected) => {
    expect(one(input)).toBe(expected + "\n")
  })

  const blocks: [string, string][] = [
    ["a\nb", "|-\n    a\n    b\n"],
    ["a\n", "|\n    a\n"],
    ["a\n\n", "|+\n    a\n\n"],
    ["\n", "|4+\n\n"],
    ["\n\n", "|4+\n\n\n"],
    [" a\nb", "|4-\n     a\n    b\n"],
    ["\na", "|4-\n\n    a\n"],
    ["a\n b", "|-\n    a\n     b\n"],
    ["x\t\ny", "|-\n    x\t\n    y\n"],
  ]
  it.each(blocks)("writes the multi-line string %j as a literal block", (input, expected) => {
    expect(one(input)).toBe(expected)
  })

  it("takes the indentation indicator from the configured indent", () => {
    expect(yaml([map(["k", " a\nb"])], 2)).toBe("k: |2-\n   a\n  b\n")
  })

  it("writes a multi-line string starting with a tab as null, as sops does, and refuses a comment on it", () => {
    expect(one("\tx\n")).toBe("null\n")
    expect(yaml([map(["\tk\n", 1n])])).toBe("null: 1\n")
    expect(() => yaml([map(["k", "\tx\n"], new Comment("c", true))])).not.toThrow()
    expect(() => yaml([map(new Comment("c", true), ["k", "\tx\n"])])).toThrow(
      expect.objectContaining({ code: "ERR_UNSUPPORTED_VALUE" }),
    )
  })

  it("writes typed scalars like go-yaml", () => {
    const t = map(
      ["null", null],
      ["bools", [true, false]],
      ["ints", [0n, -42n, 9223372036854775807n, -9223372036854775808n]],
      ["floats", [1.5, 1, 1e6, 123456.5, 1234567, 1e-5, 0.0001, -0, NaN, Infinity, -Infinity]],
      ["time", new Timestamp(1_704_067_200, 0, 0)],
      ["nanos", new Timestamp(1_704_067_200, 120_000_000, 330)],
    )
    expect(yaml([t])).toBe(
      '"null": null\n' +
        "bools:\n    - true\n    - false\n" +
        "ints:\n    - 0\n    - -42\n    - 9223372036854775807\n    - -9223372036854775808\n" +
        "floats:\n    - 1.5\n    - 1\n    - 1e+06\n    - 123456.5\n    - 1.234567e+06\n    - 1e-05\n    - 0.0001\n    - -0\n    - .nan\n    - .inf\n    - -.inf\n" +
        "time: 2024-01-01T00:00:00Z\n" +
        "nanos: 2024-01-01T05:30:00.12+05:30\n",
    )
  })

  it("writes byte strings as text when UTF-8, else as !!binary base64", () => {
    expect(one(new TextEncoder().encode("héllo"))).toBe("héllo\n")
    expect(one(new Uint8Array([0xff, 0x00, 0x01]))).toBe("!!binary /wAB\n")
    const long = new Uint8Array(60).fill(0xfe)
    const b64 = Buffer.from(long).toString("base64")
    expect(yaml([map(["k", long])])).toBe(`k: !!binary |\n    ${b64.slice(0, 70)}\n    ${b64.slice(70)}\n`)
  })

  it("writes non-string keys as their scalar", () => {
    const t = map([new NonStringKey(1n), "a"], [new NonStringKey(true), "b"], [new NonStringKey(null), "c"], [new NonStringKey(2.5), "d"])
    expect(yaml([t])).toBe("1: a\ntrue: b\nnull: c\n2.5: d\n")
  })
})

describe("emitYamlValue", () => {
  it("writes one value as a YAML document", () => {
    expect(one(5n)).toBe("5\n")
    expect(one("true")).toBe('"true"\n')
    expect(one("x")).toBe("x\n")
    expect(one(null)).toBe("null\n")
    expect(one([])).toBe("[]\n")
    expect(one(map())).toBe("{}\n")
    expect(one(map(["a", [1n, "b"]]))).toBe("a:\n    - 1\n    - b\n")
  })

  it("refuses a comment or a foreign value with ERR_UNSUPPORTED_VALUE", () => {
    expect(() => emitYamlValue(new Comment("x"))).toThrow(expect.objectContaining({ code: "ERR_UNSUPPORTED_VALUE" }))
    expect(() => emitYamlValue({} as unknown as TreeValue)).toThrow(expect.objectContaining({ code: "ERR_UNSUPPORTED_VALUE" }))
    expect(() => emitYamlBranches([map(["a", undefined as unknown as TreeValue])])).toThrow(SopsError)
  })
})

describe("YAML emitter at scale", () => {
  it("emits 10,000 encrypted values (~1.75 MB)", () => {
    const enc = "ENC[AES256_GCM,data:" + "A".repeat(56) + "=,iv:tjchf/lmMpXDOA1tLE/N4oY9IqJIzfQ/7NlvQlDUtoA=,tag:1aFCHIRp3j/VPNcCEsE95A==,type:str]"
    const groups: TreeBranch[] = []
    for (let g = 0; g < 100; g++) {
      const items: [TreeKey, TreeValue][] = []
      for (let i = 0; i < 100; i++) items.push([`key_${i}`, enc])
      groups.push(map(...items))
    }
    const tree = map(...groups.map((b, i): [TreeKey, TreeValue] => [`group_${i}`, b]))
    const out = emitYamlBranches([tree])
    expect(out.length).toBeGreaterThan(1_700_000)
  })
})
