import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import { ValueCipher } from "../src/cipher.js"
import { compileSelection } from "../src/selection.js"
import { MAC_ONLY_ENCRYPTED_INIT, decryptTree, encryptTree } from "../src/tree-crypto.js"
import { Comment, NonStringKey, Timestamp, TreeBranch, type TreeValue } from "../src/tree.js"
import type { EncryptionOptions } from "../src/metadata/model.js"

const KEY = new Uint8Array(32).fill(7)
const b = (entries: [string | Comment, TreeValue][]): TreeBranch =>
  new TreeBranch(entries.map(([key, value]) => ({ key, value })))
const isEnc = (v: unknown): boolean => typeof v === "string" && v.startsWith("ENC[")
const sha512 = (...parts: string[]): string => {
  const h = createHash("sha512")
  for (const p of parts) h.update(p)
  return h.digest("hex").toUpperCase()
}

function roundTrip(tree: TreeBranch, opts: EncryptionOptions = {}): { mac: string; encrypted: TreeBranch } {
  const cipher = new ValueCipher(KEY)
  const sel = compileSelection(opts)
  const mac = encryptTree([tree], cipher, sel)
  return { mac, encrypted: tree }
}

describe("tree encryption and the MAC", () => {
  it("hashes the plaintext values in order, without keys or separators (format.enc.yaml: foo: bar)", () => {
    const { mac } = roundTrip(b([["foo", "bar"]]))
    expect(mac).toBe(sha512("bar"))
    expect(mac.startsWith("D82C4EB5261CB9C8")).toBe(true)
  })

  it("hashes unencrypted values too, typed as sops serialises them", () => {
    const t = b([
      ["a", 1n],
      ["b_unencrypted", true],
      ["c", 1.5],
      ["d", ""],
      ["e", null],
    ])
    const { mac, encrypted } = roundTrip(t)
    expect(mac).toBe(sha512("1", "True", "1.5"))
    expect(isEnc(encrypted.get("a"))).toBe(true)
    expect(encrypted.get("b_unencrypted")).toBe(true)
    expect(encrypted.get("d")).toBe("")
    expect(encrypted.get("e")).toBeNull()
  })

  it("prefixes SHA-256('sops') and skips clear values with mac_only_encrypted", () => {
    const { mac } = roundTrip(b([["a", "x"], ["b_unencrypted", "y"]]), { macOnlyEncrypted: true })
    const h = createHash("sha512").update(MAC_ONLY_ENCRYPTED_INIT).update("x").digest("hex").toUpperCase()
    expect(mac).toBe(h)
  })

  it("applies the unencrypted suffix to whole subtrees and lists", () => {
    const t = b([["outer_unencrypted", b([["inner", "x"], ["list", ["a", "b"]]])], ["other", ["c"]]])
    const { encrypted } = roundTrip(t)
    const outer = encrypted.get("outer_unencrypted") as TreeBranch
    expect(outer.get("inner")).toBe("x")
    expect(outer.get("list")).toEqual(["a", "b"])
    expect(isEnc((encrypted.get("other") as string[])[0])).toBe(true)
  })

  it("selects with encrypted_regex on any path component (unanchored RE2 search)", () => {
    const t = b([["data", b([["password", "p"], ["user", "u"]])], ["stringData", "s"], ["kind", "Secret"]])
    const { encrypted } = roundTrip(t, { encryptedRegex: "^(data|stringData)$" })
    expect(isEnc((encrypted.get("data") as TreeBranch).get("user"))).toBe(true)
    expect(isEnc(encrypted.get("stringData"))).toBe(true)
    expect(encrypted.get("kind")).toBe("Secret")
  })

  it("encrypts comments with the AAD of their container, and decrypts them back", () => {
    const t = b([[new Comment(" top"), null], ["app", b([[new Comment(" nested"), null], ["k", "v"]])]])
    const cipher = new ValueCipher(KEY)
    const sel = compileSelection({})
    const mac = encryptTree([t], cipher, sel)
    const top = t.items[0]!.key as Comment
    expect(top.value.startsWith("ENC[")).toBe(true)
    // The top-level comment uses AAD ":", the nested one "app:".
    expect(new ValueCipher(KEY).decrypt(top.value, ":")).toEqual(new Comment(" top"))
    const nested = (t.get("app") as TreeBranch).items[0]!.key as Comment
    expect(new ValueCipher(KEY).decrypt(nested.value, "app:")).toEqual(new Comment(" nested"))
    const { mac: mac2 } = decryptTree([t], cipher, sel)
    expect(mac2).toBe(mac)
    expect((t.items[0]!.key as Comment).value).toBe(" top")
  })

  it("follows sops' encrypted_comment_regex semantics (sops_test.go TestEncryptedCommentRegex)", () => {
    const c = (s: string): Comment => new Comment(s)
    const t = b([
      [c("sops:enc"), null],
      ["foo", "bar"],
      ["bar", b([["foo", "bar"], [c("before"), null], [c("sops:enc"), null], ["encrypted", "bar"]])],
      ["array", ["bar", c("sops:enc"), "baz"]],
      [c("sops:enc"), null],
      [c("after"), null],
      ["encarray", ["bar", "baz"]],
    ])
    roundTrip(t, { encryptedCommentRegex: "sops:enc" })
    expect((t.items[0]!.key as Comment).value).toBe("sops:enc")
    expect(isEnc(t.get("foo"))).toBe(true)
    const bar = t.get("bar") as TreeBranch
    expect(bar.get("foo")).toBe("bar")
    expect((bar.items[1]!.key as Comment).value).toBe("before")
    expect((bar.items[2]!.key as Comment).value).toBe("sops:enc")
    expect(isEnc(bar.get("encrypted"))).toBe(true)
    const arr = t.get("array") as TreeValue[]
    expect(arr[0]).toBe("bar")
    expect(arr[1]).toEqual(c("sops:enc"))
    expect(isEnc(arr[2])).toBe(true)
    expect((t.items[4]!.key as Comment).value).toBe("sops:enc")
    expect(isEnc((t.items[5]!.key as Comment).value)).toBe(true)
    expect((t.get("encarray") as TreeValue[]).every(isEnc)).toBe(true)
  })

  it("skips values that decrypt to comments when recomputing the MAC (sops >= 3.13.3 rule)", () => {
    const t = b([["list", ["a", new Comment(" in list"), "b"]]])
    const cipher = new ValueCipher(KEY)
    const sel = compileSelection({})
    const mac = encryptTree([t], cipher, sel)
    // The comment became a plain ENC[...type:comment] string element.
    const list = t.get("list") as TreeValue[]
    expect(typeof list[1]).toBe("string")
    expect(list[1] as string).toMatch(/type:comment\]$/)
    const { mac: back } = decryptTree([t], cipher, sel)
    expect(back).toBe(mac)
    expect(list[1]).toEqual(new Comment(" in list"))
  })

  it("refuses non-string keys and clear values where ciphertext is expected", () => {
    const t = new TreeBranch([{ key: new NonStringKey(1n), value: "x" }])
    expect(() => roundTrip(t)).toThrowError(expect.objectContaining({ code: "ERR_UNSUPPORTED_VALUE" }))
    const clear = b([["n", 5n]])
    expect(() => decryptTree([clear], new ValueCipher(KEY), compileSelection({}))).toThrowError(
      expect.objectContaining({ code: "ERR_VALUE_INVALID" }),
    )
  })

  it.each([{}, { macOnlyEncrypted: true }, { unencryptedSuffix: "_u" }] as EncryptionOptions[])(
    "serialises each value once for the MAC and the cipher, and decrypts to the same values and MAC (%j)",
    (opts) => {
      const values: [string, TreeValue][] = [
        ["s", "text ünï 😀"],
        ["i", -42n],
        ["f", 0.1],
        ["t", true],
        ["ts", new Timestamp(1700000000, 5, 60)],
        ["raw", new Uint8Array([0xff, 0x01])],
        ["empty", ""],
        ["s_u", "clear"],
        ["n_u", 7n],
      ]
      const tree = b([[new Comment(" c"), null], ...values, ["list", ["a", 1n, new Comment(" in list")]]])
      const cipher = new ValueCipher(KEY)
      const sel = compileSelection(opts)
      const mac = encryptTree([tree], cipher, sel)
      const clear = opts.unencryptedSuffix ? ["s_u", "n_u"] : []
      const h = createHash("sha512")
      if (opts.macOnlyEncrypted) h.update(MAC_ONLY_ENCRYPTED_INIT)
      const texts: [string, string | Uint8Array][] = [
        ["s", "text ünï 😀"],
        ["i", "-42"],
        ["f", "0.1"],
        ["t", "True"],
        ["ts", "2023-11-14T23:13:20.000000005+01:00"],
        ["raw", new Uint8Array([0xff, 0x01])],
        ["s_u", "clear"],
        ["n_u", "7"],
        ["list", "a"],
        ["list", "1"],
      ]
      for (const [k, t] of texts) if (!(opts.macOnlyEncrypted && clear.includes(k))) h.update(t)
      expect(mac).toBe(h.digest("hex").toUpperCase())
      for (const [k] of values) expect(isEnc(tree.get(k))).toBe(k !== "empty" && !clear.includes(k))
      const { mac: back } = decryptTree([tree], cipher, sel)
      expect(back).toBe(mac)
      for (const [k, v] of values) expect(tree.get(k)).toEqual(v)
      expect(tree.get("list")).toEqual(["a", 1n, new Comment(" in list")])
    },
  )

  it("rejects conflicting selection options", () => {
    expect(() => compileSelection({ encryptedRegex: "a", unencryptedSuffix: "_u" })).toThrowError(
      expect.objectContaining({ code: "ERR_CONFLICTING_OPTIONS" }),
    )
  })

  it("treats an invalid regex as never matching, as sops does", () => {
    const t = b([["a", "x"]])
    roundTrip(t, { encryptedRegex: "(" })
    expect(t.get("a")).toBe("x")
  })
})
