import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { ValueCipher, parseCanonical, parseEncryptedValue, type EncryptedParts, type Plain } from "../src/cipher.js"
import { decodeBase64RunInPlace } from "../src/bytes.js"
import { SopsError } from "../src/errors.js"
import { Comment, Timestamp } from "../src/tree.js"

const KEY_F = new Uint8Array(32).fill("f".charCodeAt(0))

describe("value cipher", () => {
  it("decrypts sops' own known-answer vector (aes/cipher_test.go TestDecrypt)", () => {
    const enc = "ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]"
    expect(new ValueCipher(KEY_F).decrypt(enc, "bar:")).toBe("foo")
  })

  it("rejects the vector under another AAD, as the AAD binds the key path", () => {
    const enc = "ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]"
    expect(() => new ValueCipher(KEY_F).decrypt(enc, "baz:")).toThrowError(expect.objectContaining({ code: "ERR_DECRYPT_FAILED" }))
  })

  it("writes a 32-byte IV, a 16-byte tag and padded standard base64", () => {
    const enc = new ValueCipher(KEY_F).encrypt("hello", "a:")
    const p = parseEncryptedValue(enc, "a")
    expect(p.iv.length).toBe(32)
    expect(p.tag.length).toBe(16)
    expect(p.data.length).toBe(5)
    expect(enc).toMatch(/^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]+,iv:[A-Za-z0-9+/]{43}=,tag:[A-Za-z0-9+/]{22}==,type:str\]$/)
  })

  it.each([
    ["str", "x y", "x y"],
    ["int", 42n, 42n],
    ["int", -9223372036854775808n, -9223372036854775808n],
    ["float", 1.5, 1.5],
    ["float", 1e21, 1e21],
    ["bool", true, true],
    ["bool", false, false],
  ] as const)("round-trips a %s value", (type, value, back) => {
    const c = new ValueCipher(KEY_F)
    const enc = c.encrypt(value, "k:")
    expect(enc.endsWith(`type:${type}]`)).toBe(true)
    expect(c.decrypt(enc, "k:")).toEqual(back)
  })

  it("round-trips timestamps with zone and nanoseconds, and comments", () => {
    const c = new ValueCipher(KEY_F)
    const t = new Timestamp(1700000000, 120000000, -300)
    const back = c.decrypt(c.encrypt(t, "t:"), "t:") as Timestamp
    expect(back.toRFC3339Nano()).toBe(t.toRFC3339Nano())
    const com = c.decrypt(c.encrypt(new Comment(" note"), ":"), ":")
    expect(com).toBeInstanceOf(Comment)
    expect((com as Comment).value).toBe(" note")
  })

  it("keeps byte strings that are not UTF-8 as bytes", () => {
    const c = new ValueCipher(KEY_F)
    const raw = new Uint8Array([0xff, 0x00, 0xfe])
    expect(c.decrypt(c.encrypt(raw, "d:"), "d:")).toEqual(raw)
  })

  it("decrypts multi-megabyte values (binary files) without exhausting the regex stack", () => {
    const c = new ValueCipher(KEY_F)
    const big = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 31) & 0xff)
    const back = c.decrypt(c.encrypt(big, "data:"), "data:") as Uint8Array
    // Compare as buffers: a deep element-by-element equality over 8 MB is far too slow.
    expect(Buffer.compare(Buffer.from(back), Buffer.from(big))).toBe(0)
  })

  it("leaves empty strings unencrypted", () => {
    const c = new ValueCipher(KEY_F)
    expect(c.encrypt("", "a:")).toBe("")
    expect(c.decrypt("", "a:")).toBe("")
  })

  it("serialises values as Go sops does before encryption", () => {
    const c = new ValueCipher(KEY_F)
    const dec = (v: Parameters<ValueCipher["encrypt"]>[0]) => {
      const p = parseEncryptedValue(c.encrypt(v, "x:"), "x")
      return Buffer.from(c.decryptParts(p, "x:", "x")).toString()
    }
    expect(dec(true)).toBe("True")
    expect(dec(1e21)).toBe("1000000000000000000000")
    expect(dec(1e-7)).toBe("0.0000001")
    expect(dec(1234568000)).toBe("1234568000")
  })

  it("reuses IVs of unchanged values when asked (minimal diffs)", () => {
    const c = new ValueCipher(KEY_F, { reuseIvs: true })
    const enc = new ValueCipher(KEY_F).encrypt("same", "p:")
    c.decrypt(enc, "p:")
    expect(c.encrypt("same", "p:")).toBe(enc)
    expect(c.encrypt("same", "q:")).not.toBe(enc)
    expect(c.encrypt("changed", "p:")).not.toBe(enc)
  })

  it.each([
    ["not an ENC value", "hello"],
    ["bad base64", "ENC[AES256_GCM,data:@@,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]"],
    ["truncated tag", "ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Zw==,type:str]"],
  ])("rejects a malformed value (%s) with ERR_VALUE_INVALID and no value in the message", (_name, enc) => {
    try {
      new ValueCipher(KEY_F).decrypt(enc, "secret:")
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(SopsError)
      expect((err as SopsError).code).toBe("ERR_VALUE_INVALID")
      expect((err as Error).message).not.toContain("oYyi")
    }
  })

  it("rejects an unknown type tag and a value that does not parse as its type", () => {
    const c = new ValueCipher(KEY_F)
    const enc = c.encrypt("1.5", "n:").replace("type:str", "type:int")
    expect(() => c.decrypt(enc, "n:")).toThrowError(expect.objectContaining({ code: "ERR_DECRYPT_FAILED" }))
    const unk = c.encrypt("x", "n:").replace("type:str", "type:weird")
    expect(() => c.decrypt(unk, "n:")).toThrowError(expect.objectContaining({ code: "ERR_DECRYPT_FAILED" }))
  })
})

describe("cipher behaviour kept by the fast paths", () => {
  it("returns non-UTF-8 strings and legacy bytes as plain Uint8Arrays, not Buffers", () => {
    const c = new ValueCipher(KEY_F)
    const raw = new Uint8Array([0xff, 0x00, 0xfe])
    const back = c.decrypt(c.encrypt(raw, "d:"), "d:")
    expect(Object.getPrototypeOf(back)).toBe(Uint8Array.prototype)
    const legacy = c.encrypt(raw, "d:").replace("type:str", "type:bytes")
    const bytes = c.decrypt(legacy, "d:")
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype)
    expect(bytes).toEqual(raw)
    const p = parseEncryptedValue(c.encrypt("abc", "x:"), "x")
    expect(Object.getPrototypeOf(c.decryptParts(p, "x:", "x"))).toBe(Uint8Array.prototype)
  })

  it("keeps its error codes and messages, which name the path and never the value", () => {
    const c = new ValueCipher(KEY_F)
    const enc = c.encrypt("s3cret", "k:")
    expect(() => c.decrypt(enc, "other:", "a.b")).toThrowError(
      new SopsError(
        "ERR_DECRYPT_FAILED",
        "could not decrypt the value at a.b: authentication failed (wrong data key, or the value or its key path was changed)",
      ),
    )
    const asInt = c.encrypt("s3cret", "k:").replace("type:str", "type:int")
    expect(() => c.decrypt(asInt, "k:", "a.b")).toThrowError('value at a.b does not parse as its type "int"')
    const asBool = c.encrypt("s3cret", "k:").replace("type:str", "type:bool")
    expect(() => c.decrypt(asBool, "k:", () => "lazy")).toThrowError('value at lazy does not parse as its type "bool"')
    const odd = c.encrypt("s3cret", "k:").replace("type:str", "type:weird")
    expect(() => c.decrypt(odd, "k:", "a.b")).toThrowError('value at a.b has unknown type tag "weird"')
  })

  it("draws a fresh, distinct 32-byte IV for every value, across IV batches", () => {
    const c = new ValueCipher(KEY_F)
    const ivs = new Set<string>()
    for (let i = 0; i < 600; i++) {
      const enc = c.encrypt(`v${i}`, "k:")
      const p = parseEncryptedValue(enc, "k")
      expect(p.iv.length).toBe(32)
      ivs.add(Buffer.from(p.iv).toString("hex"))
      expect(c.decrypt(enc, "k:")).toBe(`v${i}`)
    }
    expect(ivs.size).toBe(600)
  })

  it("encryptPlainBytes encrypts serialised bytes as encrypt does, and leaves empty ones unencrypted", () => {
    const c = new ValueCipher(KEY_F, { reuseIvs: true })
    const enc = c.encrypt(42n, "n:")
    c.decrypt(enc, "n:")
    expect(c.encryptPlainBytes({ bytes: Buffer.from("42"), type: "int" }, "n:")).toBe(enc)
    expect(c.encryptPlainBytes({ bytes: new Uint8Array(0), type: "str" }, "n:")).toBe("")
    expect(c.encryptPlainBytes({ bytes: new Uint8Array(0), type: "comment" }, "n:")).toBe("")
    expect(c.encrypt(new Comment(""), "n:")).toBe("")
  })
})

/** The parse that {@link parseCanonical} must agree with, or null where it throws. */
function generalParse(s: string): EncryptedParts | null {
  try {
    return parseEncryptedValue(s, "x")
  } catch {
    return null
  }
}

function hex(p: EncryptedParts): [string, string, string, string] {
  return [Buffer.from(p.data).toString("hex"), Buffer.from(p.iv).toString("hex"), Buffer.from(p.tag).toString("hex"), p.type]
}

const TYPES = ["str", "int", "float", "bool", "time", "comment", "bytes", "weird"]

/** Characters that stress the parser: separators, padding, non-base64, non-ASCII (Ł is U+0141, low byte "A"). */
const ODD_CHARS = ["=", ",", ":", "]", "[", "A", "z", "+", "/", "-", "_", " ", "\n", "\r", "é", "Ł", "Ā", "\uD800", "😀", "S", "i", "v"]

describe("parseCanonical (the fast split of values in sops' own shape)", () => {
  const partsArb = fc.record({
    data: fc.uint8Array({ minLength: 1, maxLength: 80 }),
    iv: fc.uint8Array({ minLength: 1, maxLength: 40 }),
    tag: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    type: fc.constantFrom(...TYPES),
  })
  const text = (p: { data: Uint8Array; iv: Uint8Array; tag: Uint8Array; type: string }): string =>
    `ENC[AES256_GCM,data:${Buffer.from(p.data).toString("base64")},iv:${Buffer.from(p.iv).toString("base64")},tag:${Buffer.from(p.tag).toString("base64")},type:${p.type}]`

  test.prop([partsArb], { numRuns: 500 })("splits and decodes every value of the shape as the general parser does", (p) => {
    const s = text(p)
    const fast = parseCanonical(s)
    expect(fast).not.toBeNull()
    expect(hex(fast!)).toEqual(hex(generalParse(s)!))
    expect(hex(fast!)).toEqual(hex(p))
  })

  const mutationArb = fc.tuple(
    partsArb,
    fc.array(
      fc.record({ op: fc.constantFrom("replace", "insert", "delete"), at: fc.nat(), ch: fc.constantFrom(...ODD_CHARS) }),
      { minLength: 1, maxLength: 3 },
    ),
  )

  test.prop([mutationArb], { numRuns: 3000 })("on any damaged value, is null or agrees with the general parser", ([p, edits]) => {
    let s = text(p)
    for (const { op, at, ch } of edits) {
      const i = at % (s.length + 1)
      if (op === "insert") s = s.slice(0, i) + ch + s.slice(i)
      else if (op === "replace") s = s.slice(0, i) + ch + s.slice(i + 1)
      else s = s.slice(0, i) + s.slice(i + 1)
    }
    const fast = parseCanonical(s)
    if (fast !== null) expect(hex(fast)).toEqual(hex(generalParse(s)!))
  })

  it("decodes sops' vector and values with ignored trailing bits as Go's StdEncoding does", () => {
    const vector = "ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]"
    for (const s of [vector, vector.replace("data:oYyi", "data:oR=="), vector.replace("data:oYyi", "data:oYz="), vector.replace("8o=", "8p=")]) {
      expect(hex(parseCanonical(s)!)).toEqual(hex(generalParse(s)!))
    }
  })

  it.each([
    ["a non-ASCII character whose low byte is base64", "data:oYyŁ"],
    ["a non-ASCII character in the type", "type:strŁ"],
    ["a lone surrogate", "data:oYy\uD800"],
    ["padding inside a part", "data:oY==oYyi"],
    ["three padding characters", "data:o==="],
    ["a part that is not a whole number of groups", "data:oYyiA"],
    ["an empty part", "data:"],
    ["URL-safe base64", "data:o-_i"],
    ["an upper-case type", "type:STR"],
    ["text after the bracket", "type:str]x"],
    ["a 15-byte tag", "tag:t5z2Z023Up0kxwCgw1gN"],
  ])("leaves %s to the general parser", (_name, change) => {
    const vector = "ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]"
    const key = change.slice(0, change.indexOf(":") + 1)
    const s =
      key === "type:"
        ? vector.replace("type:str]", change.endsWith("]x") ? change : `${change}]`)
        : vector.replace(new RegExp(`${key}[^,]*`), change)
    expect(s).not.toBe(vector)
    expect(parseCanonical(s)).toBeNull()
  })

  it("takes the fast path for every kind of value the cipher writes", () => {
    const c = new ValueCipher(KEY_F)
    const values: Plain[] = ["x", "ünï", new Uint8Array([0xff]), 7n, -1.5, true, new Timestamp(1, 2, 0), new Comment(" c"), "y".repeat(5000)]
    for (const v of values) expect(parseCanonical(c.encrypt(v, "k:"))).not.toBeNull()
  })
})

describe("decodeBase64RunInPlace", () => {
  const enc = new TextEncoder()
  const decodeAt = (text: string, from: number, to: number): { n: number; out: Buffer } => {
    const b = enc.encode(text)
    const n = decodeBase64RunInPlace(b, from, to)
    return { n, out: Buffer.from(b.subarray(to, to + Math.max(n, 0))) }
  }

  test.prop(
    [fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.string({ maxLength: 8 }), fc.constantFrom("", ",", ",iv:", "]", "\n", "=")],
    { numRuns: 1000 },
  )("decodes as Buffer does, into its own bytes, and stops where the run ends", (bytes, prefix, suffix) => {
    const b64 = Buffer.from(bytes).toString("base64")
    const from = enc.encode(prefix).length
    for (const to of [0, from >> 1, from]) {
      const { n, out } = decodeAt(prefix + b64 + suffix, from, to)
      expect(n).toBe(bytes.length)
      expect(out.equals(Buffer.from(bytes))).toBe(true)
      expect(Math.ceil(n / 3) * 4).toBe(b64.length)
    }
  })

  it.each([
    ["", -1],
    ["=", -1],
    ["====", -1],
    ["A===", -1],
    ["AB=C", -1],
    ["A=B=", -1],
    ["AB,iv:", -1],
    ["-_AA", -1],
    ["AAAAAB==", 4],
    ["AAAAAB,iv", 3],
    ["AAAA=AAA", 3],
    ["YR==", 1],
    ["YWI=", 2],
    ["YWJj", 3],
  ])("decodes %j to %i bytes (-1: no run)", (text, want) => {
    const { n, out } = decodeAt(text, 0, 0)
    expect(n).toBe(want)
    if (n > 0) expect(out.equals(Buffer.from(text.slice(0, Math.ceil(n / 3) * 4), "base64"))).toBe(true)
  })
})
