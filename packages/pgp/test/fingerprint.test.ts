import { describe, expect, it } from "vitest"
import { parseKeySelector, shortenFingerprint } from "../src/fingerprint.js"

describe("parseKeySelector", () => {
  it("normalises spaces, case and a 0x prefix", () => {
    expect(parseKeySelector("fbc7 b9e2 a4f9 289a c0c1  d484 3d16 cee4 a273 81b4")).toEqual({
      hex: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4",
      exact: false,
    })
    expect(parseKeySelector("0x3D16CEE4A27381B4")).toEqual({ hex: "3D16CEE4A27381B4", exact: false })
  })

  it("keeps gpg's exact-subkey marker", () => {
    expect(parseKeySelector("71D962851765394F76DB9CFC25294A17CD90507F!")).toEqual({
      hex: "71D962851765394F76DB9CFC25294A17CD90507F",
      exact: true,
    })
  })

  it("rejects what is not a fingerprint or long key id", () => {
    for (const bad of ["", "A27381B4", "not-a-key", "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B", "user@example.com"]) {
      expect(parseKeySelector(bad)).toBeNull()
    }
  })
})

describe("shortenFingerprint", () => {
  it("keeps the last 16 characters, 17 with a trailing !", () => {
    expect(shortenFingerprint("FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4")).toBe("3D16CEE4A27381B4")
    expect(shortenFingerprint("FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4!")).toBe("3D16CEE4A27381B4!")
    expect(shortenFingerprint("3D16CEE4A27381B4")).toBe("3D16CEE4A27381B4")
  })
})
