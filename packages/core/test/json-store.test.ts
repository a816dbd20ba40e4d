import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { fc, test as fcTest } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { SopsError } from "../src/errors.js"
import { formatJsonFloat } from "../src/gofmt.js"
import { createJsonStore } from "../src/stores/json/index.js"
import { decodeUtf8GoLossy } from "../src/stores/json/utf8.js"
import { Comment, Timestamp, TreeBranch, type TreeValue } from "../src/tree.js"

const enc = new TextEncoder()
const dec = new TextDecoder()
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))
const conformance = path.resolve(repoRoot, "../shared/conformance")
const haveConformance = existsSync(path.join(conformance, "manifest.json"))
if (!haveConformance) console.warn(`conformance vectors not found at ${conformance}: skipping JSON vector tests`)

interface Vector {
  file: string
  format: string
  sops_version: string | null
  plaintext: string | null
}
const vectors: Vector[] = haveConformance
  ? (JSON.parse(readFileSync(path.join(conformance, "manifest.json"), "utf8")) as Vector[]).filter(
      (v) => v.format === "json" || v.format === "binary",
    )
  : []

/** The indent setting that reproduces a file: tab → -1, else the number of leading spaces. */
function detectIndent(text: string): number {
  const m = /\n([ \t]*)"/.exec(text)
  const ws = m?.[1] ?? "\t"
  return ws.startsWith("\t") ? -1 : ws.length
}

describe("JSON store", () => {
  const store = createJsonStore()

  it("loads a plain file as one branch and flags a top-level sops key", () => {
    const branches = store.loadPlain(enc.encode('{"a": {"sops": 1}}'))
    expect(branches).toHaveLength(1)
    expect(store.hasSopsTopLevelKey(branches[0]!)).toBe(false)
    expect(store.hasSopsTopLevelKey(store.loadPlain(enc.encode('{"a": 1, "sops": {}}'))[0]!)).toBe(true)
  })

  it("splits off the sops metadata on loadEncrypted and puts it back last on emitEncrypted", () => {
    const input = '{\n\t"sops": {\n\t\t"version": "3.13.1"\n\t},\n\t"a": 1\n}\n'
    const { branches, metadata } = store.loadEncrypted(enc.encode(input))
    expect(branches[0]!.items.map((i) => i.key)).toEqual(["a"])
    expect(metadata.get("version")).toBe("3.13.1")
    expect(dec.decode(store.emitEncrypted(branches, metadata))).toBe(
      '{\n\t"a": 1,\n\t"sops": {\n\t\t"version": "3.13.1"\n\t}\n}\n',
    )
    // The caller's branch is not modified.
    expect(branches[0]!.items).toHaveLength(1)
  })

  it("fails loadEncrypted without metadata", () => {
    expect(() => store.loadEncrypted(enc.encode('{"a": 1}'))).toThrow(
      expect.objectContaining({ code: "ERR_METADATA_MISSING" }),
    )
  })

  it("emits only the first document", () => {
    const docs = [new TreeBranch([{ key: "a", value: 1n }]), new TreeBranch([{ key: "b", value: 2n }])]
    expect(dec.decode(store.emitPlain(docs))).toBe('{\n\t"a": 1\n}\n')
    expect(() => store.emitPlain([])).toThrow(expect.objectContaining({ code: "ERR_NO_DOCUMENT" }))
  })

  it("emits single values without a trailing newline", () => {
    expect(dec.decode(store.emitValue([1n, "x"]))).toBe('[\n\t1,\n\t"x"\n]')
    expect(dec.decode(createJsonStore({ indent: 0 }).emitValue(new TreeBranch([{ key: "k", value: null }])))).toBe(
      '{\n"k": null\n}',
    )
  })

  it("honours the indent option and refuses indents below -1 when emitting", () => {
    const doc = [new TreeBranch([{ key: "a", value: [true] }])]
    expect(dec.decode(createJsonStore({ indent: 3 }).emitPlain(doc))).toBe('{\n   "a": [\n      true\n   ]\n}\n')
    expect(dec.decode(createJsonStore({ indent: -1 }).emitPlain(doc))).toBe('{\n\t"a": [\n\t\ttrue\n\t]\n}\n')
    const bad = createJsonStore({ indent: -2 })
    expect(bad.loadPlain(enc.encode("{}"))).toHaveLength(1)
    expect(() => bad.emitPlain(doc)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })

  it("round-trips values through emit and load (int64 exact, duplicates kept)", () => {
    const input = '{"i": 9223372036854775807, "f": 0.5, "s": "<&>", "i": -9223372036854775808, "n": null}'
    const t = store.loadPlain(enc.encode(input))
    expect(store.loadPlain(store.emitPlain(t))).toStrictEqual(t)
  })
})

describe.skipIf(!haveConformance)("JSON and binary conformance vectors", () => {
  it("finds the vectors", () => {
    expect(vectors.length).toBeGreaterThan(20)
  })

  for (const v of vectors) {
    const file = path.join(conformance, v.file)
    const current = v.sops_version?.startsWith("3.13") === true
    it(`${current ? "re-emits byte for byte" : "round-trips"}: ${v.file} (sops ${v.sops_version})`, () => {
      const bytes = new Uint8Array(readFileSync(file))
      const store = createJsonStore({ indent: detectIndent(dec.decode(bytes)) })
      const loaded = store.loadEncrypted(bytes)
      const out = store.emitEncrypted(loaded.branches, loaded.metadata)
      if (current) expect(dec.decode(out)).toBe(dec.decode(bytes))
      // Old files may hold integral floats (`"version": 1.0`), which sops re-emits as ints.
      const again = store.loadEncrypted(out)
      expect(again.branches).toStrictEqual(loaded.branches.map(afterRoundTrip))
      expect(again.metadata).toStrictEqual(afterRoundTrip(loaded.metadata))
      expect(Buffer.compare(store.emitEncrypted(again.branches, again.metadata), out)).toBe(0)
    })

    if (v.plaintext !== null && v.format === "json") {
      it(`writes the expected plaintext layout: ${v.plaintext}`, () => {
        const plain = new Uint8Array(readFileSync(path.join(conformance, v.plaintext!)))
        const store = createJsonStore()
        expect(dec.decode(store.emitPlain(store.loadPlain(plain)))).toBe(dec.decode(plain))
      })
    }
  }

  it("reproduces format.enc.json exactly", () => {
    const file = path.join(conformance, "getsops-sops/functional-tests/res/format.enc.json")
    const bytes = new Uint8Array(readFileSync(file))
    const store = createJsonStore()
    const { branches, metadata } = store.loadEncrypted(bytes)
    expect(Buffer.compare(store.emitEncrypted(branches, metadata), bytes)).toBe(0)
  })
})

// ---- property: random trees survive emit → load -------------------------------------------

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** What a value becomes after a JSON round trip: the changes sops itself makes. */
function afterRoundTrip(v: TreeValue): TreeValue {
  if (v instanceof TreeBranch) {
    return new TreeBranch(
      v.items.filter((i) => !(i.key instanceof Comment)).map((i) => ({ key: i.key, value: afterRoundTrip(i.value) })),
    )
  }
  if (Array.isArray(v)) return v.filter((e) => !(e instanceof Comment)).map(afterRoundTrip)
  if (typeof v === "number") {
    // An integral float is written without a fraction (shortest digits, so 3.604615718747033e16
    // prints as 36046157187470330) and reads back as that int when it fits in int64.
    const printed = formatJsonFloat(v)!
    if (/^-?\d+$/.test(printed)) {
      const n = BigInt(printed)
      if (n >= INT64_MIN && n <= INT64_MAX) return n
    }
  }
  if (v instanceof Uint8Array) return decodeUtf8GoLossy(v, 0, v.length)
  if (v instanceof Timestamp) return v.toRFC3339Nano()
  if (typeof v === "string") return dec.decode(enc.encode(v)) // unpaired surrogates → U+FFFD
  return v
}

const scalar: fc.Arbitrary<TreeValue> = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string(),
  fc.string({ unit: fc.constantFrom("<", ">", "&", "\u2028", "\u0000", "\n", "\ud800", "a", "é", "\\", '"') }),
  fc.uint8Array({ maxLength: 12 }),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc
    .record({ s: fc.integer({ min: -62135596800, max: 253402300799 }), ns: fc.integer({ min: 0, max: 999_999_999 }) })
    .map(({ s, ns }) => new Timestamp(s, ns)),
)
const key = fc.oneof(fc.string(), fc.constantFrom("sops", "a", "<k>"))

const { tree } = fc.letrec<{ tree: TreeBranch; value: TreeValue; list: TreeValue[] }>((tie) => ({
  tree: fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.record({ key, value: tie("value") }) },
        { weight: 1, arbitrary: fc.string().map((s) => ({ key: new Comment(s), value: null })) },
      ),
      { maxLength: 5 },
    )
    .map((items) => new TreeBranch(items)),
  list: fc.array(fc.oneof({ weight: 6, arbitrary: tie("value") }, { weight: 1, arbitrary: fc.string().map((s) => new Comment(s)) }), {
    maxLength: 5,
  }),
  value: fc.oneof({ maxDepth: 4, depthSize: "small" }, scalar, tie("tree"), tie("list")),
}))

describe("JSON store properties", () => {
  fcTest.prop([tree, fc.integer({ min: -1, max: 12 })], { numRuns: process.env.SLOW ? 2000 : 200 })(
    "emit then load gives the same tree (modulo sops' own normalisations)",
    (t, indent) => {
      const store = createJsonStore({ indent })
      const out = store.emitPlain([t])
      expect(store.loadPlain(out)).toStrictEqual([afterRoundTrip(t)])
      // After one round trip (which may turn -0 into 0), re-emitting is stable.
      const out2 = store.emitPlain(store.loadPlain(out))
      expect(Buffer.compare(store.emitPlain(store.loadPlain(out2)), out2)).toBe(0)
    },
  )
})

describe("JSON store errors", () => {
  it("wraps everything in SopsError", () => {
    const store = createJsonStore()
    for (const input of ["", "[]", "{", '{"a":1e999}', "\uFEFF{}"]) {
      expect(() => store.loadPlain(enc.encode(input))).toThrow(SopsError)
    }
  })
})
