import { describe, expect, it } from "vitest"
import { Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient } from "age-encryption"
import { ageKeyService } from "@sops-ts/age"
import { MAX_SMALL_FILE, encryptSmallFile } from "../src/internal/small-file.js"
import { NodeX25519Recipient, x25519RecipientBytes } from "../src/internal/x25519-recipient.js"
import { ageKey, text } from "./helpers.js"

// The fast X25519 recipient must produce files any age implementation opens: typage's own
// Decrypter (independent code: WebCrypto/noble) is the reference here.
describe("NodeX25519Recipient", () => {
  it("decodes age1 recipients to the key bytes typage uses", async () => {
    const identity = await generateX25519Identity()
    const recipient = await identityToRecipient(identity)
    const bytes = x25519RecipientBytes(recipient)
    expect(bytes).toHaveLength(32)
    // Same key, re-encoded by typage from the identity's scalar: decode(upper) == decode(lower).
    expect(x25519RecipientBytes(recipient.toUpperCase())).toEqual(bytes)
  })

  it("wraps a file key that typage's Decrypter opens with the identity", async () => {
    const identity = await generateX25519Identity()
    const recipient = await identityToRecipient(identity)
    const e = new Encrypter()
    e.addRecipient(new NodeX25519Recipient(x25519RecipientBytes(recipient)))
    const file = await e.encrypt(new TextEncoder().encode("the data key"))
    const d = new Decrypter()
    d.addIdentity(identity)
    expect(text(await d.decrypt(file))).toBe("the data key")
  })

  it("writes a standard X25519 stanza with a fresh ephemeral share each time", async () => {
    const recipient = await identityToRecipient(await generateX25519Identity())
    const r = new NodeX25519Recipient(x25519RecipientBytes(recipient))
    const [a] = r.wrapFileKey(new Uint8Array(16))
    const [b] = r.wrapFileKey(new Uint8Array(16))
    expect(a!.args[0]).toBe("X25519")
    expect(a!.args[1]).toMatch(/^[A-Za-z0-9+/]{43}$/)
    expect(a!.body).toHaveLength(32)
    expect(b!.args[1]).not.toBe(a!.args[1])
  })

  it("refuses a low-order (all-zero) public key instead of wrapping under a known secret", () => {
    const r = new NodeX25519Recipient(new Uint8Array(32))
    expect(() => r.wrapFileKey(new Uint8Array(16))).toThrow()
  })

  it("is what the key service wraps with: another identity cannot open it, the right one can", async () => {
    const identity = await generateX25519Identity()
    const recipient = await identityToRecipient(identity)
    const enc = await ageKeyService().encrypt(ageKey(recipient), new Uint8Array(32).fill(7))
    const d = new Decrypter()
    d.addIdentity(identity)
    expect(await d.decrypt(armor.decode(enc))).toEqual(new Uint8Array(32).fill(7))
    const other = new Decrypter()
    other.addIdentity(await generateX25519Identity())
    await expect(other.decrypt(armor.decode(enc))).rejects.toThrow()
  })
})

describe("encryptSmallFile", () => {
  it("writes files typage opens, for one and for several recipients, empty and full-chunk payloads", async () => {
    const ids = await Promise.all([generateX25519Identity(), generateX25519Identity()])
    const rs = await Promise.all(ids.map(async (i) => new NodeX25519Recipient(x25519RecipientBytes(await identityToRecipient(i)))))
    for (const size of [0, 1, 32, MAX_SMALL_FILE]) {
      const plain = new Uint8Array(size).map((_, i) => i & 0xff)
      const file = await encryptSmallFile(rs, plain)
      for (const id of ids) {
        const d = new Decrypter()
        d.addIdentity(id)
        expect(await d.decrypt(file)).toEqual(plain)
      }
    }
  })

  it("has the same header layout and size as typage's Encrypter", async () => {
    const recipient = await identityToRecipient(await generateX25519Identity())
    const ours = await encryptSmallFile([new NodeX25519Recipient(x25519RecipientBytes(recipient))], new Uint8Array(32))
    const e = new Encrypter()
    e.addRecipient(recipient)
    const theirs = await e.encrypt(new Uint8Array(32))
    expect(ours.length).toBe(theirs.length)
    const head = (b: Uint8Array): string => new TextDecoder().decode(b.subarray(0, b.indexOf(0x2d /* - */, 30)))
    expect(head(ours).split("\n").map((l) => l.replace(/[A-Za-z0-9+/]{20,}/g, "B64"))).toEqual(
      head(theirs).split("\n").map((l) => l.replace(/[A-Za-z0-9+/]{20,}/g, "B64")),
    )
  })

  it("rejects a payload larger than one chunk", async () => {
    await expect(encryptSmallFile([], new Uint8Array(MAX_SMALL_FILE + 1))).rejects.toThrow()
  })
})
