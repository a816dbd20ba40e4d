/** "Not my key" (KeyUnavailableError) versus "mine but failed" (ERR_KEY_FAILED). */
import { describe, expect, it } from "vitest"
import { Encrypter, armor } from "age-encryption"
import { KeyUnavailableError, SopsError } from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { ageKey } from "./helpers.js"
import {
  mockEncryptedKey,
  mockEncryptedSshKey,
  mockIdentity,
  mockOtherIdentity,
  mockRecipient,
  mockSshIdentity,
  mockSshRecipient,
} from "./sops-vectors.js"

async function failure(p: Promise<unknown>): Promise<SopsError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SopsError)
  return err as SopsError
}

/** Re-armors `enc` after editing its binary age file. */
function edit(enc: string, f: (raw: string) => string): string {
  const raw = Buffer.from(armor.decode(enc)).toString("latin1")
  return armor.encode(new Uint8Array(Buffer.from(f(raw), "latin1")))
}

describe("not my key", () => {
  it("no identity for the recipient → KeyUnavailableError with a count, no key material", async () => {
    const err = await failure(ageKeyService({ identities: [mockOtherIdentity] }).decrypt(ageKey(mockRecipient, mockEncryptedKey)))
    expect(err).toBeInstanceOf(KeyUnavailableError)
    expect(err.code).toBe("ERR_KEY_UNAVAILABLE")
    expect(err.message).toBe(`no age identity matches recipient ${mockRecipient} (1 identity loaded from identities[0])`)
  })

  it("no identities at all → KeyUnavailableError", async () => {
    const err = await failure(ageKeyService().decrypt(ageKey(mockRecipient, mockEncryptedKey)))
    expect(err).toBeInstanceOf(KeyUnavailableError)
    expect(err.message).toContain("no age identities configured")
  })

  it("no identities and an enc that is not an age file → still KeyUnavailableError, as in sops; with an identity → ERR_KEY_FAILED", async () => {
    const garbage = ageKey(mockRecipient, "-----BEGIN AGE ENCRYPTED FILE-----\nnot base64 !!\n-----END AGE ENCRYPTED FILE-----\n")
    const none = await failure(ageKeyService().decrypt(garbage))
    expect(none).toBeInstanceOf(KeyUnavailableError)
    expect(none.message).toContain("no age identities configured")
    const mine = await failure(ageKeyService({ identities: [mockIdentity] }).decrypt(garbage))
    expect(mine).not.toBeInstanceOf(KeyUnavailableError)
    expect(mine.code).toBe("ERR_KEY_FAILED")
    expect(mine.message).toBe(`the enc of age key ${mockRecipient} is not a valid armored age file`)
  })

  it("an ssh-ed25519 stanza for another SSH key is not ours", async () => {
    const other = await generateAgeIdentity()
    const err = await failure(ageKeyService({ identities: [other.identity] }).decrypt(ageKey(mockSshRecipient, mockEncryptedSshKey)))
    expect(err).toBeInstanceOf(KeyUnavailableError)
  })

  it("an X25519 stanza that does not open is not ours (X25519 stanzas are anonymous, as in age)", async () => {
    const enc = edit(mockEncryptedKey, (raw) => raw.replace(/(\n-> X25519 )(.)/, (_m, head: string, c: string) => head + (c === "A" ? "B" : "A")))
    const err = await failure(ageKeyService({ identities: [mockIdentity] }).decrypt(ageKey(mockRecipient, enc)))
    expect(err).toBeInstanceOf(KeyUnavailableError)
  })

  it("an X25519 identity does not claim an ssh-ed25519 stanza, nor an SSH identity an X25519 one", async () => {
    const svc = ageKeyService({ identities: [mockIdentity] })
    expect(await failure(svc.decrypt(ageKey(mockSshRecipient, mockEncryptedSshKey)))).toBeInstanceOf(KeyUnavailableError)
    const ssh = ageKeyService({ identities: [mockSshIdentity] })
    expect(await failure(ssh.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBeInstanceOf(KeyUnavailableError)
  })
})

describe("mine but failed (ERR_KEY_FAILED)", () => {
  const svc = ageKeyService({ identities: [mockIdentity, mockSshIdentity] })

  it("an enc that is not an armored age file", async () => {
    for (const enc of ["invalid", "-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n-----END AGE ENCRYPTED FILE-----\n"]) {
      const err = await failure(svc.decrypt(ageKey(mockRecipient, enc)))
      expect(err.code).toBe("ERR_KEY_FAILED")
      expect(err).not.toBeInstanceOf(KeyUnavailableError)
    }
  })

  it("an empty enc", async () => {
    expect((await failure(svc.decrypt(ageKey(mockRecipient, "")))).code).toBe("ERR_KEY_FAILED")
  })

  it("a header whose MAC does not verify", async () => {
    const enc = edit(mockEncryptedKey, (raw) => raw.replace(/\n--- (.)/, (_m, c: string) => `\n--- ${c === "A" ? "B" : "A"}`))
    const err = await failure(svc.decrypt(ageKey(mockRecipient, enc)))
    expect(err.code).toBe("ERR_KEY_FAILED")
  })

  it("a tampered payload", async () => {
    const enc = edit(mockEncryptedKey, (raw) => raw.slice(0, -1) + String.fromCharCode(raw.charCodeAt(raw.length - 1) ^ 1))
    expect((await failure(svc.decrypt(ageKey(mockRecipient, enc)))).code).toBe("ERR_KEY_FAILED")
  })

  it("an ssh-ed25519 stanza with our tag whose body does not open", async () => {
    const enc = edit(mockEncryptedSshKey, (raw) =>
      raw.replace(/(\n-> ssh-ed25519 \S+ \S+\n)(\S+)/, (_m, head: string, body: string) => head + (body[0] === "A" ? "B" : "A") + body.slice(1)),
    )
    const err = await failure(svc.decrypt(ageKey(mockSshRecipient, enc)))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).not.toContain("OPENSSH")
  })

  it("a malformed ssh-ed25519 stanza", async () => {
    const e = new Encrypter()
    e.addRecipient({ wrapFileKey: () => [{ args: ["ssh-ed25519", "abcdef"], body: new Uint8Array(32) }] })
    const enc = armor.encode(await e.encrypt(new Uint8Array(32)))
    expect((await failure(svc.decrypt(ageKey(mockSshRecipient, enc)))).code).toBe("ERR_KEY_FAILED")
  })
})

describe("service contract", () => {
  it("supports only age keys and rejects others with ERR_INVALID_ARGUMENT", async () => {
    const svc = ageKeyService()
    expect(svc.name).toBe("age")
    expect(svc.supports(ageKey(mockRecipient))).toBe(true)
    const pgp = { type: "pgp", fp: "ABCD", enc: "", createdAt: "" } as const
    expect(svc.supports(pgp)).toBe(false)
    expect((await failure(svc.encrypt(pgp, new Uint8Array(32)))).code).toBe("ERR_INVALID_ARGUMENT")
    expect((await failure(svc.decrypt(pgp))).code).toBe("ERR_INVALID_ARGUMENT")
  })

  it("malformed configured identities fail at construction, naming the entry but not its content", () => {
    const secretish = "AGE-SECRET-KEY-1NOTAVALIDKEY"
    try {
      ageKeyService({ identities: [mockIdentity, secretish] })
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({ code: "ERR_INVALID_ARGUMENT" })
      expect((err as Error).message).toContain("identities[1], line 1")
      expect((err as Error).message).not.toContain(secretish)
    }
  })

  it("honours an aborted signal", async () => {
    const svc = ageKeyService({ identities: [mockIdentity] })
    const ac = new AbortController()
    ac.abort()
    await expect(svc.decrypt(ageKey(mockRecipient, mockEncryptedKey), { signal: ac.signal })).rejects.toMatchObject({ code: "ERR_ABORTED" })
    await expect(svc.encrypt(ageKey(mockRecipient), new Uint8Array(32), { signal: ac.signal })).rejects.toMatchObject({ code: "ERR_ABORTED" })
  })
})
