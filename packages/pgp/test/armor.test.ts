import { readFileSync } from "node:fs"
import { readMessage } from "openpgp"
import { describe, expect, it } from "vitest"
import { armorMessage } from "../src/armor.js"
import { corpusPath, extractEncs, hasConformance } from "./helpers.js"

function dearmorBody(armored: string): Uint8Array {
  const lines = armored.split("\n")
  const body = lines.slice(2, lines.findIndex((l) => l.startsWith("=")))
  return Uint8Array.from(Buffer.from(body.join(""), "base64"))
}

describe("armorMessage", () => {
  it("uses sops' layout: no headers, 64 columns, CRC24 line, no trailing newline", () => {
    const binary = Uint8Array.from({ length: 100 }, (_, i) => i)
    const text = armorMessage(binary)
    const lines = text.split("\n")
    expect(lines[0]).toBe("-----BEGIN PGP MESSAGE-----")
    expect(lines[1]).toBe("")
    expect(lines[2]).toHaveLength(64)
    expect(lines.at(-2)).toMatch(/^=[A-Za-z0-9+/]{4}$/)
    expect(lines.at(-1)).toBe("-----END PGP MESSAGE-----")
    expect(text.endsWith("\n")).toBe(false)
  })

  it("ends the body cleanly when it fills the last line exactly", () => {
    const text = armorMessage(new Uint8Array(48)) // 48 bytes = 64 base64 characters
    expect(text.split("\n")).toHaveLength(5)
  })

  describe.skipIf(!hasConformance)("against Go sops output", () => {
    it.each([
      "getsops-sops/example.yaml",
      "getsops-sops/example.json",
      "getsops-sops/functional-tests/res/format.enc.env",
    ])("re-armours the enc values of %s byte for byte", (file) => {
      const encs = extractEncs(readFileSync(corpusPath(file), "utf8"))
      expect(encs.length).toBeGreaterThan(0)
      for (const enc of encs) expect(armorMessage(dearmorBody(enc))).toBe(enc)
    })
  })

  it("is readable by openpgp.js", async () => {
    const message = await readMessage({ armoredMessage: armorMessage(Uint8Array.from([0xcb, 0x03, 0x62, 0x00, 0x41])) })
    expect(message.packets.length).toBe(1)
  })
})
