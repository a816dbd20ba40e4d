import { generateKeyPairSync } from "node:crypto"
import { describe, expect, it } from "vitest"
import { generateHybridIdentity, identityToRecipient } from "age-encryption"
import { ageKeyService, parseAgeRecipient } from "@sops-ts/age"
import { encodePluginRecipient } from "@sops-ts/testkit"
import { WireWriter } from "../src/internal/ssh-wire.js"
import { ageKey, text } from "./helpers.js"
import { mockRecipient, mockSshRecipient } from "./sops-vectors.js"

function sshRsaLine(bits: number): string {
  const jwk = generateKeyPairSync("rsa", { modulusLength: bits, publicKeyEncoding: { format: "jwk" } }).publicKey
  const blob = new WireWriter().string("ssh-rsa").mpint(Buffer.from(jwk.e!, "base64url")).mpint(Buffer.from(jwk.n!, "base64url")).bytes()
  return `ssh-rsa ${Buffer.from(blob).toString("base64")} rsa@test`
}

describe("parseAgeRecipient", () => {
  it("recognises X25519, trimming whitespace", () => {
    expect(parseAgeRecipient(`  ${mockRecipient} \n`)).toMatchObject({ kind: "X25519", text: mockRecipient })
  })

  it("recognises SSH recipients in authorized_keys syntax and keeps the comment in the text", () => {
    expect(parseAgeRecipient(mockSshRecipient)).toMatchObject({ kind: "ssh-ed25519", text: mockSshRecipient })
    const rsa = sshRsaLine(2048)
    expect(parseAgeRecipient(rsa)).toMatchObject({ kind: "ssh-rsa", text: rsa })
  })

  it("recognises post-quantum hybrid recipients, which round-trip", async () => {
    const identity = await generateHybridIdentity()
    const recipient = await identityToRecipient(identity)
    expect(parseAgeRecipient(recipient).kind).toBe("mlkem768x25519")
    const svc = ageKeyService({ identities: [identity] })
    const enc = await svc.encrypt(ageKey(recipient), new TextEncoder().encode("hybrid"))
    expect(text(await svc.decrypt(ageKey(recipient, enc)))).toBe("hybrid")
  })

  it("recognises plugin recipients (the plugin runs only when wrapping; see plugin.test.ts)", () => {
    const recipient = encodePluginRecipient("yubikey", new Uint8Array(33).fill(2))
    expect(parseAgeRecipient(` ${recipient}\n`)).toMatchObject({ kind: "plugin", plugin: "yubikey", text: recipient })
  })

  it("rejects malformed plugin recipients with a clear message", () => {
    expect(() => parseAgeRecipient("age1yubikey1qwertyqwerty")).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT", message: expect.stringContaining("invalid age plugin recipient") }),
    )
  })

  it.each([
    ["bad Bech32 checksum", mockRecipient.slice(0, -1) + (mockRecipient.endsWith("n") ? "m" : "n")],
    ["unknown type", "npub1abc"],
    ["empty", "   "],
    ["SSH with bad base64", "ssh-ed25519 AAAA!!!"],
    ["SSH type mismatch", mockSshRecipient.replace("ssh-ed25519", "ssh-rsa")],
    ["unsupported SSH type", "ssh-dss AAAAB3NzaC1kc3MAAACBAP"],
    ["RSA below 2048 bits", sshRsaLine(1024)],
  ])("rejects %s with ERR_INVALID_ARGUMENT", (_label, r) => {
    expect(() => parseAgeRecipient(r)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })

  it("encrypt rejects an invalid recipient with ERR_INVALID_ARGUMENT", async () => {
    await expect(ageKeyService().encrypt(ageKey("age1notvalid"), new Uint8Array(32))).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
    })
  })
})
