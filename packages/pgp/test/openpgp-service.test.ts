import { createMessage, encrypt, enums, generateKey, readKey, readMessage, type PrivateKey } from "openpgp"
import { KeyUnavailableError, isSopsError, type PgpMasterKey } from "@sops-ts/core"
import { describe, expect, it, vi } from "vitest"
import { armorMessage } from "../src/armor.js"
import { parseKeyFile } from "../src/keyring.js"
import { pgpKeyService } from "../src/index.js"
import {
  FUNCTIONAL_KEYS,
  KEY1_ENC_SUBKEY_FP,
  KEY1_FP,
  KEY2_FP,
  KEY3_PUBLIC_ONLY_FP,
  OLD_FUNCTIONAL_KEYS,
  corpusPath,
  dataKeyWithCrLf,
  hasConformance,
  pgpStanzas,
} from "./helpers.js"

function pgpKey(fp: string, enc = ""): PgpMasterKey {
  return { type: "pgp", fp, enc, createdAt: "2026-01-01T00:00:00Z" }
}

const dataKey = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)

describe.skipIf(!hasConformance)("pgpKeyService with the sops functional-test keys", () => {
  const service = pgpKeyService({ secretKeyFiles: [corpusPath(FUNCTIONAL_KEYS), corpusPath(OLD_FUNCTIONAL_KEYS)] })
  const stanzas = pgpStanzas()

  it("finds the 4 text-mode vectors in the corpus", () => {
    expect(stanzas.filter((s) => s.literalMode === "t")).toHaveLength(4)
  })

  it.each(stanzas.filter((s) => s.identity).map((s) => [`${s.file} #${s.index} (${s.literalMode})`, s] as const))(
    "unwraps %s to 32 bytes",
    async (_, stanza) => {
      const key = await service.decrypt(pgpKey(stanza.fp, stanza.enc))
      expect(key).toBeInstanceOf(Uint8Array)
      expect(key?.length).toBe(32)
    },
  )

  it("unwraps the same data key from both stanzas of a file", async () => {
    const both = stanzas.filter((s) => s.file === "getsops-sops/example.yaml")
    expect(both.map((s) => s.fp)).toEqual([KEY1_FP, KEY2_FP])
    const [a, b] = await Promise.all(both.map((s) => service.decrypt(pgpKey(s.fp, s.enc))))
    expect(a).toEqual(b)
  })

  it.each(stanzas.filter((s) => !s.identity).slice(0, 3).map((s) => [`${s.file} #${s.index}`, s] as const))(
    "reports %s (nobody's key) as not mine",
    async (_, stanza) => {
      await expect(service.decrypt(pgpKey(stanza.fp, stanza.enc))).rejects.toBeInstanceOf(KeyUnavailableError)
    },
  )

  it("wraps in sops' armour layout and unwraps its own output", async () => {
    const enc = await service.encrypt(pgpKey(KEY1_FP), dataKey)
    expect(enc).toMatch(/^-----BEGIN PGP MESSAGE-----\n\n[A-Za-z0-9+/\n=]+\n=[A-Za-z0-9+/]{4}\n-----END PGP MESSAGE-----$/)
    expect(await service.decrypt(pgpKey(KEY1_FP, enc))).toEqual(dataKey)
  })

  it("accepts armour with CRLF line endings, an armour header and surrounding whitespace", async () => {
    const enc = await service.encrypt(pgpKey(KEY1_FP), dataKey)
    const variant = "\n  " + enc.replace("-----\n\n", "-----\nVersion: GnuPG v1\n\n").replace(/\n/g, "\r\n") + "\r\n"
    expect(await service.decrypt(pgpKey(KEY1_FP, variant))).toEqual(dataKey)
  })

  it("writes a binary literal packet with no file name and date 0, like sops", async () => {
    const enc = await service.encrypt(pgpKey(KEY2_FP), dataKey)
    const message = await readMessage({ armoredMessage: enc })
    const decrypted = await message.decrypt([await functionalKey(KEY2_FP)])
    const literal = decrypted.packets.findPacket(enums.packet.literalData) as unknown as LiteralFields
    expect(String.fromCharCode(literal.format)).toBe("b")
    expect(literal.filename).toBe("")
    expect(literal.date.getTime()).toBe(0)
  })

  it("selects the key by subkey fingerprint and long key id as gpg does", async () => {
    for (const fp of [KEY1_ENC_SUBKEY_FP, KEY1_ENC_SUBKEY_FP + "!", "3D16CEE4A27381B4", "fbc7 b9e2 a4f9 289a c0c1 d484 3d16 cee4 a273 81b4"]) {
      const enc = await service.encrypt(pgpKey(fp), dataKey)
      expect(await service.decrypt(pgpKey(fp, enc))).toEqual(dataKey)
    }
  })

  it("wraps 33-byte Shamir shares too", async () => {
    const share = new Uint8Array(33).fill(7)
    const enc = await service.encrypt(pgpKey(KEY1_FP), share)
    expect(await service.decrypt(pgpKey(KEY1_FP, enc))).toEqual(share)
  })

  it("encrypts to a public-only key but cannot decrypt for it (not my key)", async () => {
    const enc = await service.encrypt(pgpKey(KEY3_PUBLIC_ONLY_FP), dataKey)
    const err = await service.decrypt(pgpKey(KEY3_PUBLIC_ONLY_FP, enc)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyUnavailableError)
    expect(isSopsError(err, "ERR_KEY_UNAVAILABLE")).toBe(true)
  })

  it("reports an unknown fingerprint on encrypt as not mine", async () => {
    await expect(service.encrypt(pgpKey("0000000000000000000000000000000000000000"), dataKey)).rejects.toBeInstanceOf(
      KeyUnavailableError,
    )
  })

  it("rejects a malformed fp on encrypt with ERR_KEY_WRAP", async () => {
    await expect(service.encrypt(pgpKey("someone@example.com"), dataKey)).rejects.toMatchObject({ code: "ERR_KEY_WRAP" })
  })

  it("fails with ERR_KEY_FAILED on a corrupt or tampered enc", async () => {
    const enc = await service.encrypt(pgpKey(KEY1_FP), dataKey)
    await expect(service.decrypt(pgpKey(KEY1_FP, "not a pgp message"))).rejects.toMatchObject({ code: "ERR_KEY_FAILED" })
    // Flip a byte near the end: inside the encrypted data, after the recipient's key id.
    const lines = enc.split("\n")
    const body = Buffer.from(lines.slice(2, -2).join(""), "base64")
    body[body.length - 5]! ^= 0x55
    const tampered = armorMessage(body)
    const err = await service.decrypt(pgpKey(KEY1_FP, tampered)).catch((e: unknown) => e)
    expect(isSopsError(err, "ERR_KEY_FAILED")).toBe(true)
    expect(String((err as Error).message)).not.toContain(Buffer.from(dataKey).toString("hex"))
  })

  it("returns the raw literal bytes of a text-mode packet (the old Go sops quirk)", async () => {
    const crlfKey = dataKeyWithCrLf()
    const message = await createMessage({ binary: crlfKey, format: "text" })
    const publicKey = (await functionalKey(KEY1_FP)).toPublic()
    const enc = armorMessage(await encrypt({ message, encryptionKeys: publicKey, format: "binary" }))
    expect(await service.decrypt(pgpKey(KEY1_FP, enc))).toEqual(crlfKey)
  })

  it("honours an aborted signal", async () => {
    const signal = AbortSignal.abort()
    await expect(service.encrypt(pgpKey(KEY1_FP), dataKey, { signal })).rejects.toMatchObject({ code: "ERR_ABORTED" })
  })
})

interface LiteralFields {
  format: number
  filename: string
  date: Date
}

/** A secret key of the current functional-test keyring. */
async function functionalKey(fp: string): Promise<PrivateKey> {
  const keys = await parseKeyFile(corpusPath(FUNCTIONAL_KEYS))
  const key = keys.find((k) => k.getFingerprint().toUpperCase() === fp)
  if (!key?.isPrivate()) throw new Error(`no secret key ${fp}`)
  return key
}

describe("pgpKeyService with a passphrase-protected key", () => {
  const keyPair = generateKey({
    type: "ecc",
    curve: "curve25519Legacy",
    userIDs: [{ name: "sops-ts test", email: "test@example.com" }],
    passphrase: "correct horse",
    format: "armored",
  })

  async function setup(passphrase?: Parameters<typeof pgpKeyService>[0] extends infer O ? O extends { passphrase?: infer P } ? P : never : never) {
    const { privateKey } = await keyPair
    const fp = (await readKey({ armoredKey: privateKey })).getFingerprint().toUpperCase()
    const service = pgpKeyService({ secretKeys: [privateKey], ...(passphrase !== undefined ? { passphrase } : {}) })
    const enc = await service.encrypt(pgpKey(fp), dataKey)
    return { service, fp, enc }
  }

  it("unlocks it with a passphrase string", async () => {
    const { service, fp, enc } = await setup("correct horse")
    expect(await service.decrypt(pgpKey(fp, enc))).toEqual(dataKey)
  })

  it("asks a passphrase callback once per key, with the primary fingerprint", async () => {
    const ask = vi.fn(async () => "correct horse")
    const { service, fp, enc } = await setup(ask)
    expect(await service.decrypt(pgpKey(fp, enc))).toEqual(dataKey)
    expect(await service.decrypt(pgpKey(fp, enc))).toEqual(dataKey)
    expect(ask).toHaveBeenCalledTimes(1)
    expect(ask).toHaveBeenCalledWith(fp)
  })

  it("fails with ERR_KEY_FAILED on a wrong passphrase, without echoing it", async () => {
    const { service, fp, enc } = await setup("wrong horse")
    const err = await service.decrypt(pgpKey(fp, enc)).catch((e: unknown) => e)
    expect(isSopsError(err, "ERR_KEY_FAILED")).toBe(true)
    expect((err as Error).message).not.toContain("wrong horse")
  })

  it("fails with ERR_KEY_FAILED when no passphrase is configured", async () => {
    const { service, fp, enc } = await setup()
    await expect(service.decrypt(pgpKey(fp, enc))).rejects.toMatchObject({ code: "ERR_KEY_FAILED" })
  })

  it("accepts binary key material", async () => {
    const { privateKey } = await keyPair
    const key = await readKey({ armoredKey: privateKey })
    const service = pgpKeyService({ secretKeys: [key.write()], passphrase: "correct horse" })
    const fp = key.getFingerprint()
    const enc = await service.encrypt(pgpKey(fp), dataKey)
    expect(await service.decrypt(pgpKey(fp, enc))).toEqual(dataKey)
  })
})

describe("pgpKeyService options", () => {
  it("rejects unknown options", () => {
    expect(() => pgpKeyService({ secretkeys: [] } as never)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })

  it("reports unreadable key material and files with stable codes", async () => {
    const bad = pgpKeyService({ secretKeys: ["-----BEGIN PGP PRIVATE KEY BLOCK-----\n\ngarbage\n-----END PGP PRIVATE KEY BLOCK-----"] })
    await expect(bad.encrypt(pgpKey(KEY1_FP), dataKey)).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" })
    const missing = pgpKeyService({ secretKeyFiles: ["/nonexistent/sops-ts/key.asc"] })
    await expect(missing.decrypt(pgpKey(KEY1_FP, "x"))).rejects.toMatchObject({ code: "ERR_IO" })
  })

  it("supports only pgp keys", () => {
    const service = pgpKeyService()
    expect(service.supports(pgpKey(KEY1_FP))).toBe(true)
    expect(service.supports({ type: "age", recipient: "age1xyz", enc: "" })).toBe(false)
  })
})
