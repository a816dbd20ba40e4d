import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { createMessage, encrypt } from "openpgp"
import { KeyUnavailableError, isSopsError, type PgpMasterKey } from "@sops-ts/core"
import { describeWithTool } from "@sops-ts/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { armorMessage } from "../src/armor.js"
import { gpgKeyService, pgpDefaultKeyService, pgpKeyService } from "../src/index.js"
import { parseKeyFile } from "../src/keyring.js"
import {
  FUNCTIONAL_KEYS,
  KEY1_FP,
  KEY2_FP,
  KEY3_PUBLIC_ONLY_FP,
  OLD_FUNCTIONAL_KEYS,
  corpusPath,
  createGnupgHome,
  dataKeyWithCrLf,
  hasConformance,
  pgpStanzas,
  type TempGnupgHome,
} from "./helpers.js"

function pgpKey(fp: string, enc = ""): PgpMasterKey {
  return { type: "pgp", fp, enc, createdAt: "2026-01-01T00:00:00Z" }
}

/** A stand-in for a gpg stuck on a prompt: a script that ignores its arguments and sleeps. */
function stuckGpg(home: TempGnupgHome): string {
  const path = join(home.dir, "stuck-gpg.sh")
  writeFileSync(path, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 })
  return path
}

const dataKey = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff)

describeWithTool("gpg", "gpgKeyService (gpg binary)", () => {
  describe.skipIf(!hasConformance)("with the sops functional-test keys", () => {
    let home: TempGnupgHome
    let gpg: ReturnType<typeof gpgKeyService>
    const inProcess = pgpKeyService({ secretKeyFiles: [corpusPath(FUNCTIONAL_KEYS), corpusPath(OLD_FUNCTIONAL_KEYS)] })
    const stanzas = pgpStanzas()

    beforeAll(() => {
      home = createGnupgHome()
      home.gpg(["--import", corpusPath(FUNCTIONAL_KEYS), corpusPath(OLD_FUNCTIONAL_KEYS)])
      gpg = gpgKeyService({ homeDir: home.dir })
    })
    afterAll(() => home?.dispose())

    it.each(stanzas.filter((s) => s.identity).map((s) => [`${s.file} #${s.index} (${s.literalMode})`, s] as const))(
      "unwraps %s to the same 32 bytes as openpgp.js",
      async (_, stanza) => {
        const key = await gpg.decrypt(pgpKey(stanza.fp, stanza.enc))
        expect(key?.length).toBe(32)
        expect(key).toEqual(await inProcess.decrypt(pgpKey(stanza.fp, stanza.enc)))
      },
    )

    it.each(stanzas.filter((s) => !s.identity).slice(0, 3).map((s) => [`${s.file} #${s.index}`, s] as const))(
      "reports %s (nobody's key) as not mine",
      async (_, stanza) => {
        await expect(gpg.decrypt(pgpKey(stanza.fp, stanza.enc))).rejects.toBeInstanceOf(KeyUnavailableError)
      },
    )

    it("round-trips a data key and writes what sops' gpg path writes", async () => {
      const enc = await gpg.encrypt(pgpKey(KEY1_FP), dataKey)
      expect(enc).toMatch(/^-----BEGIN PGP MESSAGE-----\n\n[\s\S]+\n-----END PGP MESSAGE-----$/)
      expect(await gpg.decrypt(pgpKey(KEY1_FP, enc))).toEqual(dataKey)
    })

    it("accepts armour with CRLF line endings and an armour header", async () => {
      const enc = await gpg.encrypt(pgpKey(KEY1_FP), dataKey)
      const variant = enc.replace("-----\n\n", "-----\nVersion: GnuPG v1\n\n").replace(/\n/g, "\r\n")
      expect(await gpg.decrypt(pgpKey(KEY1_FP, variant))).toEqual(dataKey)
    })

    it("interop: a data key wrapped in-process is opened by plain gpg --decrypt", async () => {
      const enc = await inProcess.encrypt(pgpKey(KEY2_FP), dataKey)
      const out = home.gpg(["--decrypt"], enc)
      expect(new Uint8Array(out)).toEqual(dataKey)
    })

    it("interop: a data key wrapped by gpg --encrypt is opened in-process", async () => {
      const enc = home.gpg(["--trust-model", "always", "--encrypt", "-a", "-r", KEY1_FP], dataKey).toString("utf8")
      expect(await inProcess.decrypt(pgpKey(KEY1_FP, enc))).toEqual(dataKey)
    })

    it("reads the raw literal data of a text-mode packet where gpg --decrypt loses bytes", async () => {
      const crlfKey = dataKeyWithCrLf()
      const key1 = (await parseKeyFile(corpusPath(FUNCTIONAL_KEYS))).find((k) => k.getFingerprint().toUpperCase() === KEY1_FP)!
      const message = await createMessage({ binary: crlfKey, format: "text" })
      const enc = armorMessage(await encrypt({ message, encryptionKeys: key1.toPublic(), format: "binary" }))
      // The quirk itself: gpg canonicalises the two CR LF pairs to LF.
      expect(home.gpg(["--decrypt"], enc).length).toBe(30)
      expect(await gpg.decrypt(pgpKey(KEY1_FP, enc))).toEqual(crlfKey)
    })

    it("reports a data key for a public-only key (no secret key) as not mine", async () => {
      const enc = await gpg.encrypt(pgpKey(KEY3_PUBLIC_ONLY_FP), dataKey)
      const err = await gpg.decrypt(pgpKey(KEY3_PUBLIC_ONLY_FP, enc)).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KeyUnavailableError)
    })

    it("reports an unknown recipient on encrypt as not mine", async () => {
      await expect(gpg.encrypt(pgpKey("0000000000000000000000000000000000000000"), dataKey)).rejects.toBeInstanceOf(
        KeyUnavailableError,
      )
    })

    it("fails with ERR_KEY_FAILED when our key's message is tampered with, even though gpg printed data", async () => {
      const enc = await gpg.encrypt(pgpKey(KEY1_FP), dataKey)
      const lines = enc.split("\n")
      const body = Buffer.from(lines.slice(2, -2).join(""), "base64")
      body[body.length - 5]! ^= 0x55
      const err = await gpg.decrypt(pgpKey(KEY1_FP, armorMessage(body))).catch((e: unknown) => e)
      expect(isSopsError(err, "ERR_KEY_FAILED")).toBe(true)
    })

    it("fails with ERR_KEY_FAILED when our key's encrypted session key is corrupt", async () => {
      const enc = await gpg.encrypt(pgpKey(KEY1_FP), dataKey)
      const body = Buffer.from(enc.split("\n").slice(2, -2).join(""), "base64")
      body[20]! ^= 0x55 // inside the RSA-encrypted session key, after the key id
      const err = await gpg.decrypt(pgpKey(KEY1_FP, armorMessage(body))).catch((e: unknown) => e)
      expect(isSopsError(err, "ERR_KEY_FAILED")).toBe(true)
    })

    it("fails with ERR_KEY_FAILED on garbage", async () => {
      await expect(gpg.decrypt(pgpKey(KEY1_FP, "not a pgp message"))).rejects.toMatchObject({ code: "ERR_KEY_FAILED" })
    })

    it("uses GNUPGHOME and SOPS_GPG_EXEC from the environment by default", async () => {
      const service = pgpDefaultKeyService({ ...home.env, SOPS_GPG_EXEC: "gpg" })
      const enc = await service.encrypt(pgpKey(KEY1_FP), dataKey)
      expect(await service.decrypt(pgpKey(KEY1_FP, enc))).toEqual(dataKey)
      const missing = pgpDefaultKeyService({ ...home.env, SOPS_GPG_EXEC: "/nonexistent/sops-ts-gpg" })
      await expect(missing.decrypt(pgpKey(KEY1_FP, enc))).rejects.toBeInstanceOf(KeyUnavailableError)
    })

    it("stops gpg when the signal aborts", async () => {
      const controller = new AbortController()
      const slow = gpgKeyService({ gpgPath: stuckGpg(home) })
      const pending = slow.decrypt(pgpKey(KEY1_FP, "x"), { signal: controller.signal })
      setTimeout(() => controller.abort(), 50)
      await expect(pending).rejects.toMatchObject({ code: "ERR_ABORTED" })
    })

    it("stops gpg after the timeout", async () => {
      const slow = gpgKeyService({ gpgPath: stuckGpg(home), timeoutMs: 100 })
      await expect(slow.encrypt(pgpKey(KEY1_FP), dataKey)).rejects.toMatchObject({ code: "ERR_ABORTED" })
    })
  })

  describe("with a passphrase-protected key and no pinentry", () => {
    let home: TempGnupgHome
    let fp: string
    beforeAll(() => {
      home = createGnupgHome()
      home.gpg(["--passphrase", "secret words", "--pinentry-mode", "loopback", "--quick-gen-key", "Locked <locked@example.com>", "default", "default", "never"])
      const listing = execFileSync("gpg", ["--homedir", home.dir, "--with-colons", "--list-keys"], { env: home.env, stdio: ["ignore", "pipe", "pipe"] }).toString()
      fp = /^fpr:+([0-9A-F]{40}):/m.exec(listing)![1]!
    })
    afterAll(() => home?.dispose())

    it("fails with ERR_KEY_FAILED (our key, cannot unlock), not 'not my key'", async () => {
      const gpg = gpgKeyService({ homeDir: home.dir })
      const enc = await gpg.encrypt(pgpKey(fp), dataKey)
      const err = await gpg.decrypt(pgpKey(fp, enc)).catch((e: unknown) => e)
      expect(isSopsError(err, "ERR_KEY_FAILED")).toBe(true)
      expect((err as Error).message).not.toContain("secret words")
    })
  })
})

describe("gpgKeyService options", () => {
  it("rejects unknown options", () => {
    expect(() => gpgKeyService({ gpgpath: "gpg" } as never)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })

  it("reports a missing gpg executable as not mine", async () => {
    const gpg = gpgKeyService({ gpgPath: "/nonexistent/sops-ts-gpg" })
    await expect(gpg.decrypt(pgpKey(KEY1_FP, "x"))).rejects.toBeInstanceOf(KeyUnavailableError)
  })
})
