import { describe, expect, it } from "vitest"
import { KeyUnavailableError } from "@sops-ts/core"
import { ageKeyService, ageRecipientOf } from "@sops-ts/age"
import { ageKey, text } from "./helpers.js"
import {
  mockEncryptedIdentity,
  mockEncryptedKey,
  mockEncryptedSshKey,
  mockIdentity,
  mockIdentityPassphrase,
  mockOtherIdentity,
  mockRecipient,
  mockSshIdentity,
  mockSshRecipient,
} from "./sops-vectors.js"

describe("sops age test vectors (age/keysource_test.go)", () => {
  it("the X25519 mock identity opens mockEncryptedKey to \"data\"", async () => {
    const svc = ageKeyService({ identities: [mockIdentity] })
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
  })

  it("the OpenSSH Ed25519 mock identity opens mockEncryptedSshKey to \"data\"", async () => {
    const svc = ageKeyService({ identities: [mockSshIdentity] })
    expect(text(await svc.decrypt(ageKey(mockSshRecipient, mockEncryptedSshKey)))).toBe("data")
  })

  it("an unrelated identity is reported as not-my-key", async () => {
    const svc = ageKeyService({ identities: [mockOtherIdentity, mockSshIdentity] })
    const err = await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyUnavailableError)
    expect((err as Error).message).toContain(mockRecipient)
    expect((err as Error).message).toContain("2 identities")
    expect((err as Error).message).not.toContain("AGE-SECRET-KEY")
  })

  it("derives the recipients of the mock identities", async () => {
    expect(await ageRecipientOf(mockIdentity)).toBe(mockRecipient)
    expect(await ageRecipientOf(mockSshIdentity)).toBe(mockSshRecipient.replace(/ Test$/, ""))
  })

  it("unlocks the scrypt-encrypted identity file with a passphrase callback (SOPS_AGE_KEY)", async () => {
    const sources: string[] = []
    const svc = ageKeyService({
      discover: { env: { SOPS_AGE_KEY: mockEncryptedIdentity }, homeDir: "/nonexistent-home-for-tests" },
      passphrase: (source) => {
        sources.push(source)
        return mockIdentityPassphrase
      },
    })
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
    expect(sources).toEqual(["SOPS_AGE_KEY"])
  })

  it("reports an encrypted identity file without a passphrase callback as a load failure", async () => {
    const svc = ageKeyService({ discover: { env: { SOPS_AGE_KEY: mockEncryptedIdentity }, homeDir: "/nonexistent-home-for-tests" } })
    await expect(svc.decrypt(ageKey(mockRecipient, mockEncryptedKey))).rejects.toMatchObject({
      code: "ERR_KEY_FAILED",
      message: expect.stringContaining("SOPS_AGE_KEY is a passphrase-encrypted age identity file"),
    })
  })

  it("reports a wrong passphrase as a load failure naming the source", async () => {
    const svc = ageKeyService({
      discover: { env: { SOPS_AGE_KEY: mockEncryptedIdentity }, homeDir: "/nonexistent-home-for-tests" },
      passphrase: () => "wrong",
    })
    await expect(svc.decrypt(ageKey(mockRecipient, mockEncryptedKey))).rejects.toMatchObject({
      code: "ERR_KEY_FAILED",
      message: expect.stringMatching(/SOPS_AGE_KEY: could not decrypt .*wrong passphrase/),
    })
  })
})
