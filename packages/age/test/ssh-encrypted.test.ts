/**
 * Passphrase-protected SSH private keys as age identities (sops 3.10+, agessh
 * `EncryptedSSHIdentity`): keys made by `ssh-keygen -N`, in OpenSSH format (aes256-ctr by
 * default, other ciphers with `-Z`) and legacy encrypted PEM (`-m PEM`). The passphrase is
 * asked for only when a file has a stanza for the key, and once per key and service.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { KeyUnavailableError } from "@sops-ts/core"
import { ageKeyService, ageRecipientOf, generateAgeIdentity, parseAgeIdentities, type SshPassphraseRequest } from "@sops-ts/age"
import { describeWithTool } from "@sops-ts/testkit"
import { encodeArmor } from "../src/internal/format.js"
import { lazySshRecipient } from "../src/internal/lazy-ssh.js"
import { encryptSmallFile } from "../src/internal/small-file.js"
import { parseAuthorizedKey } from "../src/internal/ssh-keys.js"
import { NodeX25519Recipient, x25519RecipientBytes } from "../src/internal/x25519-recipient.js"
import { ageKey, tempDir } from "./helpers.js"
import {
  lockedSshData,
  lockedSshEnc,
  lockedSshGcmEnc,
  lockedSshGcmKey,
  lockedSshGcmRecipient,
  lockedSshKey,
  lockedSshPassphrase,
  lockedSshRecipient,
} from "./ssh-encrypted-vectors.js"

const PASSPHRASE = "correct horse battery"

/** A key pair written by ssh-keygen: private key text, `.pub` line, and paths. */
interface KeyPair {
  readonly path: string
  readonly privateKey: string
  /** `type base64 comment` from the .pub file. */
  readonly publicLine: string
  /** `type base64`, as the passphrase callback is given it. */
  readonly publicKey: string
}

/** Records the callback's requests and answers with `answer`. */
function recorder(answer: string | Uint8Array | null = PASSPHRASE): {
  calls: SshPassphraseRequest[]
  ask: (r: SshPassphraseRequest) => Promise<string | Uint8Array | null>
} {
  const calls: SshPassphraseRequest[] = []
  return {
    calls,
    ask: async (r) => {
      calls.push(r)
      return answer
    },
  }
}

/** The whole cause chain of an error as text, to check that no secret is in it. */
function chain(err: unknown): string {
  const parts: string[] = []
  for (let e: unknown = err; e !== undefined && e !== null; e = (e as { cause?: unknown }).cause) {
    parts.push(String(e), String((e as Error).stack))
  }
  return parts.join("\n")
}

const dataKey = (): Uint8Array => new Uint8Array(randomBytes(32))

describe("passphrase-protected SSH keys (vectors made by ssh-keygen and age)", () => {
  for (const [cipher, key, recipient, enc] of [
    ["aes256-ctr", lockedSshKey, lockedSshRecipient, lockedSshEnc],
    ["aes256-gcm@openssh.com", lockedSshGcmKey, lockedSshGcmRecipient, lockedSshGcmEnc],
  ] as const) {
    it(`${cipher}: \`age -R key.pub\` output opens with the passphrase; a wrong one fails`, async () => {
      const r = recorder(lockedSshPassphrase)
      const svc = ageKeyService({ identities: [key], onSshPassphrase: r.ask })
      expect(await svc.decrypt(ageKey(recipient, enc))).toEqual(new Uint8Array(Buffer.from(lockedSshData, "hex")))
      expect(r.calls).toEqual([{ path: null, publicKey: recipient.split(" ").slice(0, 2).join(" ") }])
      const reason = cipher === "aes256-ctr" ? "the decrypted check bytes do not match" : "the key does not authenticate"
      await expect(
        ageKeyService({ identities: [key], onSshPassphrase: () => "Correct horse battery" }).decrypt(ageKey(recipient, enc)),
      ).rejects.toMatchObject({ code: "ERR_KEY_FAILED", message: expect.stringContaining(`wrong passphrase for the SSH private key (${reason})`) })
    })
  }
})

describeWithTool("ssh-keygen", "passphrase-protected SSH keys (ssh-keygen)", () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())
  let n = 0

  function keygen(name: string, args: readonly string[], passphrase = PASSPHRASE): KeyPair {
    const path = join(tmp.dir, `${name}-${n++}`)
    execFileSync("ssh-keygen", ["-q", "-N", passphrase, "-C", `${name}@test`, "-f", path, ...args], { stdio: "pipe" })
    const publicLine = readFileSync(`${path}.pub`, "utf8").trim()
    return { path, privateKey: readFileSync(path, "utf8"), publicLine, publicKey: publicLine.split(" ").slice(0, 2).join(" ") }
  }

  /** Whether this ssh-keygen can write keys with `-Z <cipher>`. */
  function supportsCipher(cipher: string): boolean {
    try {
      keygen("probe", ["-t", "ed25519", "-a", "1", "-Z", cipher])
      return true
    } catch {
      return false
    }
  }

  let ed25519: KeyPair
  let rsa: KeyPair
  let pemRsa: KeyPair
  beforeAll(() => {
    ed25519 = keygen("ed25519", ["-t", "ed25519"])
    rsa = keygen("rsa", ["-t", "rsa", "-b", "2048"])
    pemRsa = keygen("pem", ["-t", "rsa", "-b", "2048", "-m", "PEM"])
  })

  async function encryptTo(recipient: string, key = dataKey()): Promise<{ enc: string; key: Uint8Array }> {
    // The age service returns the armored file as a string.
    return { enc: (await ageKeyService().encrypt(ageKey(recipient), key)) as string, key }
  }

  it("the test keys are encrypted as expected", () => {
    expect(Buffer.from(ed25519.privateKey.split("\n").slice(1, -2).join(""), "base64").toString("latin1")).toContain("aes256-ctr")
    expect(pemRsa.privateKey).toMatch(/^Proc-Type: 4,ENCRYPTED$/m)
    expect(pemRsa.privateKey).toMatch(/^DEK-Info: AES-128-CBC,/m)
  })

  describe("OpenSSH format", () => {
    for (const which of ["ed25519", "rsa"] as const) {
      it(`${which}: decrypts with the passphrase from the callback, asked with the public key`, async () => {
        const pair = which === "ed25519" ? ed25519 : rsa
        const { enc, key } = await encryptTo(pair.publicLine)
        const r = recorder()
        const svc = ageKeyService({ identities: [pair.privateKey], onSshPassphrase: r.ask })
        expect(await svc.decrypt(ageKey(pair.publicLine, enc))).toEqual(key)
        expect(r.calls).toEqual([{ path: null, publicKey: pair.publicKey }])
      })
    }

    it("accepts the passphrase as bytes and leaves the caller's buffer alone", async () => {
      const { enc, key } = await encryptTo(ed25519.publicLine)
      const bytes = new TextEncoder().encode(PASSPHRASE)
      const svc = ageKeyService({ identities: [ed25519.privateKey], onSshPassphrase: () => bytes })
      expect(await svc.decrypt(ageKey(ed25519.publicLine, enc))).toEqual(key)
      expect(new TextDecoder().decode(bytes)).toBe(PASSPHRASE)
    })

    for (const cipher of ["aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-cbc", "aes192-ctr"]) {
      it(`cipher ${cipher} (ssh-keygen -Z)`, async (ctx) => {
        if (!supportsCipher(cipher)) ctx.skip()
        const pair = keygen("cipher", ["-t", "ed25519", "-a", "4", "-Z", cipher])
        const { enc, key } = await encryptTo(pair.publicLine)
        expect(await ageKeyService({ identities: [pair.privateKey], onSshPassphrase: () => PASSPHRASE }).decrypt(ageKey(pair.publicLine, enc))).toEqual(key)
        const wrong = await ageKeyService({ identities: [pair.privateKey], onSshPassphrase: () => "wrong passphrase" })
          .decrypt(ageKey(pair.publicLine, enc))
          .catch((e: unknown) => e)
        expect(wrong).toMatchObject({ code: "ERR_KEY_FAILED", message: expect.stringContaining("wrong passphrase") })
      })
    }

    it("a wrong passphrase fails clearly (check bytes), names the key, never the passphrase; the next decryption asks again", async () => {
      const { enc, key } = await encryptTo(ed25519.publicLine)
      const answers = ["not the passphrase", PASSPHRASE]
      const calls: SshPassphraseRequest[] = []
      const svc = ageKeyService({
        identities: [ed25519.privateKey],
        onSshPassphrase: (r) => {
          calls.push(r)
          return answers.shift() ?? null
        },
      })
      const err = await svc.decrypt(ageKey(ed25519.publicLine, enc)).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
      expect((err as Error).message).toContain("identities[0]: wrong passphrase for the SSH private key (the decrypted check bytes do not match)")
      expect(chain(err)).not.toContain("not the passphrase")
      expect(chain(err)).not.toContain(ed25519.privateKey.split("\n")[2])
      expect(await svc.decrypt(ageKey(ed25519.publicLine, enc))).toEqual(key)
      expect(calls).toHaveLength(2)
    })

    it("an empty passphrase is a wrong passphrase", async () => {
      const { enc } = await encryptTo(rsa.publicLine)
      const err = await ageKeyService({ identities: [rsa.privateKey], onSshPassphrase: () => "" })
        .decrypt(ageKey(rsa.publicLine, enc))
        .catch((e: unknown) => e)
      expect(err).toMatchObject({ code: "ERR_KEY_FAILED", message: expect.stringContaining("wrong passphrase") })
    })

    it("is asked once per key and service, for many decryptions, concurrent ones included", async () => {
      const files = await Promise.all([1, 2, 3, 4].map(() => encryptTo(ed25519.publicLine)))
      const r = recorder()
      const svc = ageKeyService({ identities: [ed25519.privateKey], onSshPassphrase: r.ask })
      const [a, b] = await Promise.all([svc.decrypt(ageKey(ed25519.publicLine, files[0]!.enc)), svc.decrypt(ageKey(ed25519.publicLine, files[1]!.enc))])
      expect(a).toEqual(files[0]!.key)
      expect(b).toEqual(files[1]!.key)
      for (const f of files.slice(2)) expect(await svc.decrypt(ageKey(ed25519.publicLine, f.enc))).toEqual(f.key)
      expect(r.calls).toHaveLength(1)
    })

    it("is not asked when no stanza is addressed to the key", async () => {
      const other = await generateAgeIdentity()
      const { enc, key } = await encryptTo(other.recipient)
      const r = recorder()
      const svc = ageKeyService({ identities: [ed25519.privateKey, other.identity], onSshPassphrase: r.ask })
      expect(await svc.decrypt(ageKey(other.recipient, enc))).toEqual(key)
      // A file for another SSH key of the same type: "not my key", still without asking.
      const toRsa = await encryptTo(rsa.publicLine)
      const otherEd = keygen("other", ["-t", "ed25519", "-a", "1"])
      const toOtherEd = await encryptTo(otherEd.publicLine)
      const only = ageKeyService({ identities: [ed25519.privateKey], onSshPassphrase: r.ask })
      await expect(only.decrypt(ageKey(rsa.publicLine, toRsa.enc))).rejects.toBeInstanceOf(KeyUnavailableError)
      await expect(only.decrypt(ageKey(otherEd.publicLine, toOtherEd.enc))).rejects.toBeInstanceOf(KeyUnavailableError)
      expect(r.calls).toEqual([])
    })

    it("a callback returning null makes the key 'not mine': another identity opens the file, and it is not asked again", async () => {
      const other = await generateAgeIdentity()
      const key = dataKey()
      const both = encodeArmor(
        await encryptSmallFile([lazySshRecipient(parseAuthorizedKey(ed25519.publicLine).publicKey), new NodeX25519Recipient(x25519RecipientBytes(other.recipient))], key),
      )
      const r = recorder(null)
      const svc = ageKeyService({ identities: [ed25519.privateKey, other.identity], onSshPassphrase: r.ask })
      expect(await svc.decrypt(ageKey(ed25519.publicLine, both))).toEqual(key)
      expect(r.calls).toHaveLength(1)
      // Alone, the declined key is unavailable, and the message says why.
      const { enc } = await encryptTo(ed25519.publicLine)
      const err = await svc.decrypt(ageKey(ed25519.publicLine, enc)).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KeyUnavailableError)
      expect((err as Error).message).toContain("identities[0] is a passphrase-protected SSH key addressed by this file, but no passphrase was given")
      expect(r.calls).toHaveLength(1)
    })

    it("a failing callback is a key failure that says so", async () => {
      const { enc } = await encryptTo(ed25519.publicLine)
      const svc = ageKeyService({
        identities: [ed25519.privateKey],
        onSshPassphrase: () => {
          throw new Error("no pinentry")
        },
      })
      await expect(svc.decrypt(ageKey(ed25519.publicLine, enc))).rejects.toMatchObject({
        code: "ERR_KEY_FAILED",
        message: expect.stringContaining("identities[0]: could not obtain the passphrase of the SSH key: no pinentry"),
      })
    })

    it("without onSshPassphrase a configured passphrase-protected key is refused; the key text is parsed as locked with it", () => {
      expect(() => ageKeyService({ identities: [ed25519.privateKey] })).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_ARGUMENT", message: expect.stringContaining("passphrase-protected; supply an onSshPassphrase callback") }),
      )
      const ids = parseAgeIdentities(rsa.privateKey, "key", { onSshPassphrase: () => null })
      expect(ids.map((i) => [i.kind, i.source])).toEqual([["ssh-rsa", "key"]])
    })

    it("ageRecipientOf refuses a locked key without quoting it", async () => {
      const err = await ageRecipientOf(ed25519.privateKey).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: expect.stringContaining("passphrase-protected") })
    })
  })

  describe("legacy encrypted PEM (ssh-keygen -m PEM)", () => {
    it("is unlocked through discovery with the .pub next to it", async () => {
      const { enc, key } = await encryptTo(pemRsa.publicLine)
      const r = recorder()
      const svc = ageKeyService({ discover: { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: pemRsa.path }, homeDir: tmp.dir }, onSshPassphrase: r.ask })
      expect(await svc.decrypt(ageKey(pemRsa.publicLine, enc))).toEqual(key)
      expect(r.calls).toEqual([{ path: pemRsa.path, publicKey: pemRsa.publicKey }])
    })

    it("a wrong passphrase fails clearly", async () => {
      const { enc } = await encryptTo(pemRsa.publicLine)
      const svc = ageKeyService({
        discover: { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: pemRsa.path }, homeDir: tmp.dir },
        onSshPassphrase: () => "not it at all",
      })
      const err = await svc.decrypt(ageKey(pemRsa.publicLine, enc)).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: "ERR_KEY_FAILED", message: expect.stringContaining("wrong passphrase for the SSH private key") })
      expect(chain(err)).not.toContain("not it at all")
    })

    it("without its .pub it is a load error naming the .pub file; as key text it is refused", async () => {
      const pair = keygen("nopub", ["-t", "rsa", "-b", "2048", "-m", "PEM", "-a", "1"])
      renameSync(`${pair.path}.pub`, `${pair.path}.pub.away`)
      const { enc } = await encryptTo(pair.publicLine)
      const r = recorder()
      const svc = ageKeyService({ discover: { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: pair.path }, homeDir: tmp.dir }, onSshPassphrase: r.ask })
      const err = await svc.decrypt(ageKey(pair.publicLine, enc)).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
      expect((err as Error).message).toContain(`its public key could not be read from ${pair.path}.pub (ENOENT)`)
      expect(r.calls).toEqual([])
      expect(() => ageKeyService({ identities: [pair.privateKey], onSshPassphrase: r.ask })).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_ARGUMENT", message: expect.stringContaining("cannot be used without its public key") }),
      )
    })

    it("a .pub that belongs to another key is detected after unlocking", async () => {
      const pair = keygen("mismatch", ["-t", "rsa", "-b", "2048", "-m", "PEM", "-a", "1"])
      writeFileSync(`${pair.path}.pub`, `${rsa.publicLine}\n`)
      const { enc } = await encryptTo(rsa.publicLine)
      const svc = ageKeyService({ discover: { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: pair.path }, homeDir: tmp.dir }, onSshPassphrase: () => PASSPHRASE })
      await expect(svc.decrypt(ageKey(rsa.publicLine, enc))).rejects.toMatchObject({
        code: "ERR_KEY_FAILED",
        message: expect.stringContaining("does not match its public key"),
      })
    })
  })

  describe("discovery", () => {
    it("SOPS_AGE_SSH_PRIVATE_KEY_FILE: the callback gets the path as given", async () => {
      const { enc, key } = await encryptTo(rsa.publicLine)
      const r = recorder()
      const svc = ageKeyService({ discover: { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: rsa.path }, homeDir: tmp.dir }, onSshPassphrase: r.ask })
      expect(await svc.decrypt(ageKey(rsa.publicLine, enc))).toEqual(key)
      expect(r.calls).toEqual([{ path: rsa.path, publicKey: rsa.publicKey }])
    })

    it("~/.ssh/id_ed25519", async () => {
      const home = join(tmp.dir, "home")
      mkdirSync(join(home, ".ssh"), { recursive: true, mode: 0o700 })
      writeFileSync(join(home, ".ssh", "id_ed25519"), ed25519.privateKey, { mode: 0o600 })
      const { enc, key } = await encryptTo(ed25519.publicLine)
      const r = recorder()
      const svc = ageKeyService({ discover: { env: {}, homeDir: home }, onSshPassphrase: r.ask })
      expect(await svc.decrypt(ageKey(ed25519.publicLine, enc))).toEqual(key)
      expect(r.calls).toEqual([{ path: join(home, ".ssh", "id_ed25519"), publicKey: ed25519.publicKey }])
    })

    it("without onSshPassphrase the key never opens, and the message names it", async () => {
      const { enc } = await encryptTo(ed25519.publicLine)
      const svc = ageKeyService({ discover: { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: ed25519.path }, homeDir: tmp.dir } })
      const err = await svc.decrypt(ageKey(ed25519.publicLine, enc)).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KeyUnavailableError)
      expect((err as Error).message).toContain(
        `SOPS_AGE_SSH_PRIVATE_KEY_FILE (${ed25519.path}) is a passphrase-protected SSH key addressed by this file, but no passphrase callback (onSshPassphrase) is configured`,
      )
    })

    it("SOPS_AGE_SSH_PRIVATE_KEY_CMD printing a passphrase-protected key is an error, as in sops", async () => {
      const { enc } = await encryptTo(ed25519.publicLine)
      const r = recorder()
      const svc = ageKeyService({
        discover: { env: { PATH: process.env["PATH"], SOPS_AGE_SSH_PRIVATE_KEY_CMD: `cat ${ed25519.path}` }, homeDir: tmp.dir },
        onSshPassphrase: r.ask,
      })
      const err = await svc.decrypt(ageKey(ed25519.publicLine, enc)).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: "ERR_KEY_FAILED", message: expect.stringContaining("not supported for SOPS_AGE_SSH_PRIVATE_KEY_CMD") })
      expect(r.calls).toEqual([])
    })
  })

  describeWithTool("age", "interop: files encrypted by the age CLI to the SSH public key", () => {
    for (const which of ["ed25519", "rsa"] as const) {
      it(`${which}: \`age -a -R key.pub\` output opens with the passphrase-protected key`, async () => {
        const pair = which === "ed25519" ? ed25519 : rsa
        const key = dataKey()
        const enc = execFileSync("age", ["-a", "-R", `${pair.path}.pub`], { input: key }).toString()
        const r = recorder()
        const svc = ageKeyService({ discover: { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: pair.path }, homeDir: tmp.dir }, onSshPassphrase: r.ask })
        expect(await svc.decrypt(ageKey(pair.publicLine, enc))).toEqual(key)
        expect(r.calls).toHaveLength(1)
      })
    }
  })
})
