import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { createDotenvStore } from "../src/stores/dotenv.js"
import { Comment, NonStringKey, Timestamp, TreeBranch, type TreeItem } from "../src/tree.js"
import { bin, branch, dec, enc, expectSopsError, hasConformance, vector, view } from "./ini-dotenv-helpers.js"

const store = createDotenvStore()

// sops stores/dotenv/store_test.go PLAIN / BRANCH.
const PLAIN = "VAR1=val1\nVAR2=val2\n#comment\nVAR3_unencrypted=val3\nVAR4=val4\\nval4\n"
const BRANCH = [
  ["VAR1", "val1"],
  ["VAR2", "val2"],
  ["#comment", null],
  ["VAR3_unencrypted", "val3"],
  ["VAR4", "val4\nval4"],
]

describe("dotenv loadPlain", () => {
  it("reads key=value lines, comments and \\n escapes (sops store_test PLAIN)", () => {
    const branches = store.loadPlain(enc(PLAIN))
    expect(branches).toHaveLength(1)
    expect(view(branches[0]!)).toEqual(BRANCH)
  })

  it("splits at the first = without trimming anything", () => {
    expect(view(store.loadPlain(enc("foo = bar\n a=b=c\nexport X='q'\n"))[0]!)).toEqual([
      ["foo ", " bar"],
      [" a", "b=c"],
      ["export X", "'q'"],
    ])
  })

  it("keeps \\r at the end of CRLF lines and skips empty lines", () => {
    expect(view(store.loadPlain(enc("A=1\r\n\n\n#c\r\nB=\r\n"))[0]!)).toEqual([
      ["A", "1\r"],
      ["#c\r", null],
      ["B", "\r"],
    ])
  })

  it("treats only a # in the first byte as a comment", () => {
    expect(view(store.loadPlain(enc(" #x=1\n#y=2\nz=#3"))[0]!)).toEqual([
      [" #x", "1"],
      ["#y=2", null],
      ["z", "#3"],
    ])
  })

  it("keeps a BOM as part of the first key", () => {
    expect(view(store.loadPlain(enc("\uFEFFA=1"))[0]!)).toEqual([["\uFEFFA", "1"]])
  })

  it("keeps values that are not UTF-8 as raw bytes", () => {
    const [b] = store.loadPlain(bin("K=\xff\\n\xfe\n"))
    expect(b!.items[0]!.value).toEqual(bin("\xff\n\xfe"))
  })

  it("gives one empty branch for empty input", () => {
    const branches = store.loadPlain(new Uint8Array(0))
    expect(branches).toHaveLength(1)
    expect(branches[0]!.items).toEqual([])
  })

  it("rejects a line without = with ERR_FORMAT, naming the line but not its content", () => {
    const err = expectSopsError(() => store.loadPlain(enc("A=1\n\nsecret-token\n")), "ERR_FORMAT")
    expect(err.message).toContain("line 3")
    expect(err.message).not.toContain("secret-token")
  })

  it("rejects keys and comments that are not UTF-8 (tree keys are text)", () => {
    expectSopsError(() => store.loadPlain(bin("\xff=1")), "ERR_FORMAT")
    expectSopsError(() => store.loadPlain(bin("#\xff")), "ERR_FORMAT")
  })
})

describe("dotenv emitPlain", () => {
  it("writes sops store_test BRANCH back to PLAIN exactly", () => {
    const tree = branch(["VAR1", "val1"], ["VAR2", "val2"], ["#comment", null], ["VAR3_unencrypted", "val3"], ["VAR4", "val4\nval4"])
    expect(dec(store.emitPlain([tree]))).toBe(PLAIN)
  })

  it("prints non-string values with ValToString, null as <nil>", () => {
    const tree = branch(["f", 100], ["i", 42n], ["b", true], ["n", null], ["t", new Timestamp(1735776000)])
    expect(dec(store.emitPlain([tree]))).toBe("f=100.0\ni=42\nb=true\nn=<nil>\nt=2025-01-02T00:00:00Z\n")
  })

  it("escapes newlines in raw byte values too, and writes their bytes as they are", () => {
    expect(store.emitPlain([branch(["k", bin("\xff\n")])])).toEqual(bin("k=\xff\\n\n"))
  })

  it("writes only the first branch", () => {
    expect(dec(store.emitPlain([branch(["a", "1"]), branch(["b", "2"])]))).toBe("a=1\n")
  })

  it("refuses maps and lists with ERR_UNSUPPORTED_VALUE naming the key", () => {
    const err = expectSopsError(() => store.emitPlain([branch(["ok", "1"], ["nested", branch(["x", "y"])])]), "ERR_UNSUPPORTED_VALUE")
    expect(err.message).toBe("cannot use complex value in dotenv file; offending key nested")
    expectSopsError(() => store.emitPlain([branch(["list", ["a"]])]), "ERR_UNSUPPORTED_VALUE")
  })

  it("refuses non-string keys", () => {
    const tree = new TreeBranch([{ key: new NonStringKey(1n), value: "x" }])
    expectSopsError(() => store.emitPlain([tree]), "ERR_UNSUPPORTED_VALUE")
  })
})

describe("dotenv metadata", () => {
  const meta = branch(
    ["lastmodified", "2026-05-22T20:15:29Z"],
    ["mac", "ENC[x]"],
    ["pgp", [branch(["created_at", "c"], ["enc", "-----BEGIN-----\n\nabc\n-----END-----"], ["fp", "F"])]],
    ["shamir_threshold", 2n],
    ["version", "3.13.2"],
  )

  it("appends flattened sops_ keys after the data, newlines escaped", () => {
    const out = dec(store.emitEncrypted([branch(["A", "1"], ["#c", null])], meta))
    expect(out).toBe(
      "A=1\n#c\nsops_lastmodified=2026-05-22T20:15:29Z\nsops_mac=ENC[x]\nsops_pgp__list_0__map_created_at=c\n" +
        "sops_pgp__list_0__map_enc=-----BEGIN-----\\n\\nabc\\n-----END-----\nsops_pgp__list_0__map_fp=F\n" +
        "sops_shamir_threshold=2\nsops_version=3.13.2\n",
    )
  })

  it("loads the sops_ keys back as a nested tree (values as strings) and the rest as data", () => {
    const loaded = store.loadEncrypted(store.emitEncrypted([branch(["A", "1"], ["#c", null])], meta))
    expect(view(loaded.branches[0]!)).toEqual([
      ["A", "1"],
      ["#c", null],
    ])
    expect(view(loaded.metadata)).toEqual([
      ["lastmodified", "2026-05-22T20:15:29Z"],
      ["mac", "ENC[x]"],
      ["pgp", [[["created_at", "c"], ["enc", "-----BEGIN-----\n\nabc\n-----END-----"], ["fp", "F"]]]],
      ["shamir_threshold", "2"],
      ["version", "3.13.2"],
    ])
  })

  it("takes sops_ keys wherever they are in the file", () => {
    const loaded = store.loadEncrypted(enc("sops_version=1\nA=1\nsops_mac=m\n"))
    expect(view(loaded.branches[0]!)).toEqual([["A", "1"]])
    expect(view(loaded.metadata)).toEqual([
      ["mac", "m"],
      ["version", "1"],
    ])
  })

  it("reports ERR_METADATA_MISSING for a plain file", () => {
    expectSopsError(() => store.loadEncrypted(enc(PLAIN)), "ERR_METADATA_MISSING")
    expectSopsError(() => store.loadEncrypted(new Uint8Array(0)), "ERR_METADATA_MISSING")
  })

  it("reports malformed flattened metadata as ERR_METADATA_INVALID", () => {
    expectSopsError(() => store.loadEncrypted(enc("sops_pgp__list_1__map_fp=F\n")), "ERR_METADATA_INVALID")
    expectSopsError(() => store.loadEncrypted(enc("sops_a=1\nsops_a__map_b=2\n")), "ERR_METADATA_INVALID")
  })

  it("refuses to embed metadata next to a data key with the reserved prefix", () => {
    expectSopsError(() => store.emitEncrypted([branch(["sops_x", "1"])], meta), "ERR_UNSUPPORTED_VALUE")
  })

  it("emits metadata-only output for an empty tree, the same every time", () => {
    const a = store.emitEncrypted([new TreeBranch()], meta)
    expect(store.emitEncrypted([new TreeBranch()], meta)).toEqual(a)
    expect(dec(a).startsWith("sops_lastmodified=")).toBe(true)
  })

  it("detects any top-level key starting with sops_ (not a bare sops)", () => {
    expect(store.hasSopsTopLevelKey(branch(["sops", "v"]))).toBe(false)
    expect(store.hasSopsTopLevelKey(branch(["sops_", "v"]))).toBe(true)
    expect(store.hasSopsTopLevelKey(branch(["#sops_x", null]))).toBe(false)
  })
})

describe("dotenv emitValue", () => {
  it("returns strings and bytes raw and refuses anything else", () => {
    expect(dec(store.emitValue("hello\n"))).toBe("hello\n")
    expect(store.emitValue(bin("\xff"))).toEqual(bin("\xff"))
    expectSopsError(() => store.emitValue(branch(["a", "b"])), "ERR_UNSUPPORTED_VALUE")
    expectSopsError(() => store.emitValue(1n), "ERR_UNSUPPORTED_VALUE")
    expectSopsError(() => store.emitValue(null), "ERR_UNSUPPORTED_VALUE")
  })
})

describe("dotenv at scale", () => {
  it("loads and emits 10,000 values", () => {
    let text = ""
    for (let i = 0; i < 10_000; i++) text += `KEY_${i}=value ${i}\\nmore\n`
    const input = enc(text)
    store.emitPlain(store.loadPlain(enc("A=1\\nx\n#c\n")))
    const branches = store.loadPlain(input)
    const out = store.emitPlain(branches)
    expect(dec(out)).toBe(text)
  })
})

describe.skipIf(!hasConformance)("dotenv conformance vectors", () => {
  it("round-trips functional-tests/res/format.enc.env byte for byte", () => {
    const input = vector("getsops-sops/functional-tests/res/format.enc.env")
    const loaded = store.loadEncrypted(input)
    // The key keeps its trailing space ("foo = bar" was split at "=" without trimming).
    expect(loaded.branches[0]!.items.map((i) => i.key)).toEqual(["foo "])
    expect(loaded.metadata.items.map((i) => i.key)).toEqual([
      "lastmodified",
      "mac",
      "pgp",
      "unencrypted_suffix",
      "version",
    ])
    expect(store.emitEncrypted(loaded.branches, loaded.metadata)).toEqual(input)
  })

  it("round-trips the plaintext of format.enc.env", () => {
    const plain = vector("getsops-sops/functional-tests/res/format.enc.env.plaintext")
    expect(view(store.loadPlain(plain)[0]!)).toEqual([["foo ", " bar"]])
    expect(store.emitPlain(store.loadPlain(plain))).toEqual(plain)
  })

  it("loads the age-encrypted humphd/sops-age secret.enc.env and re-emits it exactly", () => {
    const input = vector("humphd-sops-age/history/da83fb6b1490/src/data/secret.enc.env")
    const loaded = store.loadEncrypted(input)
    const age = loaded.metadata.get("age")
    expect(Array.isArray(age) && age.length).toBe(3)
    expect(loaded.metadata.get("version")).toBe("3.8.1")
    expect(store.emitEncrypted(loaded.branches, loaded.metadata)).toEqual(input)
  })
})

// Flat trees that dotenv can represent: keys without "=" or a line feed that do not start
// with "#" (or the reserved "sops_"); values and comments without a line feed in comments.
// Values may hold the two characters "\n" only as part of a real newline (sops turns the
// literal pair into a newline on load, so it cannot round-trip).
const text = (max: number): fc.Arbitrary<string> => fc.string({ unit: "grapheme", maxLength: max })
const keyArb = text(10).filter(
  (k) => k.length > 0 && !k.includes("=") && !k.includes("\n") && !k.startsWith("#") && !k.startsWith("sops_"),
)
const valueArb = fc.oneof(text(20), fc.uint8Array({ maxLength: 12 }))
const itemArb: fc.Arbitrary<TreeItem> = fc.oneof(
  fc.tuple(keyArb, valueArb).map(([key, value]) => ({ key, value })),
  text(10)
    .filter((c) => !c.includes("\n"))
    .map((c) => ({ key: new Comment(c), value: null })),
)

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/** Item view where bytes that are valid UTF-8 compare equal to the string they decode to. */
function normalise(item: TreeItem): unknown {
  let v: unknown = item.value
  if (v instanceof Uint8Array) {
    try {
      v = strict.decode(v)
    } catch {
      v = Array.from(v as Uint8Array)
    }
  }
  return [item.key instanceof Comment ? { comment: item.key.value } : item.key, v]
}

const representable = (i: TreeItem): boolean => {
  const v = i.value
  if (typeof v === "string") return !v.includes("\\n")
  if (v instanceof Uint8Array) return !dec(v).includes("\\n")
  return true
}

describe("dotenv properties", () => {
  test.prop([fc.array(itemArb, { maxLength: 12 })], { numRuns: 300 })("emit → load gives the same flat tree", (items) => {
    const usable = items.filter(representable)
    const back = store.loadPlain(store.emitPlain([new TreeBranch(usable)]))[0]!
    expect(back.items.map(normalise)).toEqual(usable.map(normalise))
  })

  test.prop([fc.array(itemArb, { maxLength: 8 })], { numRuns: 100 })("emit(load(x)) is a fixed point for any emitted file", (items) => {
    const once = store.emitPlain([new TreeBranch(items)])
    expect(store.emitPlain(store.loadPlain(once))).toEqual(store.emitPlain(store.loadPlain(store.emitPlain(store.loadPlain(once)))))
  })
})
