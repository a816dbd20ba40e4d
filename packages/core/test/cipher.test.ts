import { describe, expect, it } from "vitest"
import { ValueCipher, parseEncryptedValue } from "../src/cipher.js"
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
