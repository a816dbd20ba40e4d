import { hkdfSync, randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { hkdfSha256 } from "../src/internal/hkdf.js"
import { pooledRandomBytes } from "../src/internal/random-pool.js"

describe("hkdfSha256", () => {
  it("matches RFC 5869 test case 1", () => {
    const ikm = new Uint8Array(22).fill(0x0b)
    const salt = Uint8Array.from(Buffer.from("000102030405060708090a0b0c", "hex"))
    // The RFC's info is binary (f0..f9); ours takes text, so compare through hkdfSync with the same bytes as latin1.
    const info = Buffer.from("f0f1f2f3f4f5f6f7f8f9", "hex").toString("latin1")
    expect(Buffer.from(hkdfSha256(ikm, salt, info)).toString("hex")).toBe(
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf",
    )
  })

  it("equals node's hkdfSync for the labels age uses, with and without a salt", () => {
    for (let i = 0; i < 200; i++) {
      const ikm = new Uint8Array(randomBytes(i % 2 === 0 ? 16 : 32))
      const salt = new Uint8Array(randomBytes([0, 16, 64][i % 3]!))
      for (const info of ["header", "payload", "age-encryption.org/v1/X25519", "age-encryption.org/v1/ssh-ed25519"]) {
        const len = 1 + (i % 32)
        expect(hkdfSha256(ikm, salt, info, len)).toEqual(new Uint8Array(hkdfSync("sha256", ikm, salt, info, len)))
      }
    }
  })

  it("refuses lengths it cannot give", () => {
    expect(() => hkdfSha256(new Uint8Array(32), new Uint8Array(0), "x", 33)).toThrow(RangeError)
    expect(() => hkdfSha256(new Uint8Array(32), new Uint8Array(0), "x", 0)).toThrow(RangeError)
  })
})

describe("pooledRandomBytes", () => {
  it("never hands out the same bytes twice, across pool refills", () => {
    const seen = new Set<string>()
    // 4096-byte pool: 1,000 draws of 16 bytes cross several refills, and odd sizes misalign them.
    for (let i = 0; i < 1000; i++) {
      const b = pooledRandomBytes(i % 7 === 0 ? 13 : 16)
      expect(b.length).toBe(i % 7 === 0 ? 13 : 16)
      const hex = Buffer.from(b).toString("hex")
      expect(seen.has(hex)).toBe(false)
      seen.add(hex)
    }
  })

  it("returns arrays the caller owns (zeroing one leaves the next draw random)", () => {
    const a = pooledRandomBytes(32)
    a.fill(0)
    const b = pooledRandomBytes(32)
    expect(b.some((x) => x !== 0)).toBe(true)
    expect(a.buffer).not.toBe(b.buffer)
  })

  it("refuses sizes beyond a small value", () => {
    expect(() => pooledRandomBytes(257)).toThrow(RangeError)
    expect(() => pooledRandomBytes(-1)).toThrow(RangeError)
  })
})
