import { randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { shamirCombine, shamirSplit } from "../src/shamir.js"

describe("shamir secret sharing", () => {
  it("stores x = index + 1 as the last byte of each 33-byte share", () => {
    const shares = shamirSplit(new Uint8Array(randomBytes(32)), 3, 2)
    expect(shares.map((s) => s.length)).toEqual([33, 33, 33])
    expect(shares.map((s) => s[32])).toEqual([1, 2, 3])
  })

  it("recovers the secret from any threshold-sized subset and not from fewer", () => {
    const secret = new Uint8Array(randomBytes(32))
    const shares = shamirSplit(secret, 5, 3)
    expect(shamirCombine([shares[0]!, shares[2]!, shares[4]!])).toEqual(secret)
    expect(shamirCombine([shares[4]!, shares[1]!, shares[3]!])).toEqual(secret)
    expect(shamirCombine(shares)).toEqual(secret)
    expect(shamirCombine([shares[0]!, shares[1]!])).not.toEqual(secret)
  })

  it("combines hand-computed GF(2^8) shares (degree-1 polynomial, x=1,2)", () => {
    // f(x) = 0x53 + 0xCA*x over GF(2^8)/0x11B: f(1) = 0x99, f(2) = 0x53 ^ (0xCA*2 = 0x8F) = 0xDC
    expect(shamirCombine([new Uint8Array([0x99, 1]), new Uint8Array([0xdc, 2])])).toEqual(new Uint8Array([0x53]))
  })

  it("rejects duplicate parts, a threshold below 2 and more parts than 255", () => {
    const s = shamirSplit(new Uint8Array([1, 2, 3]), 2, 2)
    expect(() => shamirCombine([s[0]!, s[0]!])).toThrowError(expect.objectContaining({ code: "ERR_KEY_GROUPS" }))
    expect(() => shamirSplit(new Uint8Array([1]), 3, 1)).toThrowError(expect.objectContaining({ code: "ERR_KEY_GROUPS" }))
    expect(() => shamirSplit(new Uint8Array([1]), 256, 2)).toThrowError(expect.objectContaining({ code: "ERR_KEY_GROUPS" }))
  })

  test.prop([fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 4 })], {
    numRuns: 50,
  })("split then combine any threshold subset returns the secret", (secret, threshold, extra) => {
    const parts = threshold + extra
    const shares = shamirSplit(secret, parts, threshold)
    const subset = shares.slice(extra)
    expect(shamirCombine(subset)).toEqual(secret)
  })
})
