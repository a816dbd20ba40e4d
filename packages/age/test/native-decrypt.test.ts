/**
 * The `node:crypto` decrypt path for X25519 age files: files made by the real `age` CLI and
 * by typage open, multi-chunk STREAM payloads open, and every kind of corruption is
 * ERR_KEY_FAILED while "not my key" stays KeyUnavailableError.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient } from "age-encryption"
import { describe, expect, it } from "vitest"
import { describeWithTool } from "@sops-ts/testkit"
import { KeyUnavailableError, SopsError } from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { bech32Decode, bech32Encode } from "../src/internal/bech32.js"
import { decryptAgeFile } from "../src/internal/decrypt-file.js"
import { isEd25519Point } from "../src/internal/ed25519-point.js"
import { decodeArmor, encodeArmor } from "../src/internal/format.js"
import { NodeX25519Identity, x25519IdentityScalar } from "../src/internal/x25519-identity.js"
import { ageKey } from "./helpers.js"

const CHUNK = 64 * 1024
const SIZES = [0, 1, 32, 33, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 17]

function nativeIdentity(identity: string): NodeX25519Identity {
  return new NodeX25519Identity(x25519IdentityScalar(identity))
}

async function typageEncrypt(recipients: string[], data: Uint8Array): Promise<Uint8Array> {
  const e = new Encrypter()
  for (const r of recipients) e.addRecipient(r)
  return await e.encrypt(data)
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SopsError)
  expect(err).not.toBeInstanceOf(KeyUnavailableError)
  expect((err as SopsError).code).toBe(code)
}

/** Replaces the MAC on the `---` line of a binary age file with another valid 32-byte MAC. */
function withOtherMac(file: Uint8Array): Uint8Array {
  const s = Buffer.from(file).toString("latin1")
  const at = s.indexOf("\n--- ") + 5
  const end = s.indexOf("\n", at)
  const other = Buffer.from(randomBytes(32)).toString("base64").replace(/=+$/, "")
  return new Uint8Array(Buffer.from(s.slice(0, at) + other + s.slice(end), "latin1"))
}

describe("native X25519 decrypt: typage-made files", () => {
  it.each(SIZES)("opens a %i-byte payload (STREAM chunking)", async (n) => {
    const identity = await generateX25519Identity()
    const data = new Uint8Array(randomBytes(n))
    const file = await typageEncrypt([await identityToRecipient(identity)], data)
    expect(await decryptAgeFile(file, [nativeIdentity(identity)])).toEqual(data)
  })

  it("finds its stanza when it is not the first one", async () => {
    const others = await Promise.all([generateX25519Identity(), generateX25519Identity()])
    const mine = await generateAgeIdentity()
    const recipients = [...(await Promise.all(others.map((o) => identityToRecipient(o)))), mine.recipient]
    const dataKey = new Uint8Array(randomBytes(32))
    const enc = armor.encode(await typageEncrypt(recipients, dataKey))
    const svc = ageKeyService({ identities: [mine.identity] })
    expect(await svc.decrypt(ageKey(mine.recipient, enc))).toEqual(dataKey)
  })

  it("tries identities in order: a non-matching identity before the right one is fine", async () => {
    const wrong = await generateAgeIdentity()
    const right = await generateAgeIdentity()
    const dataKey = new Uint8Array(randomBytes(32))
    const enc = armor.encode(await typageEncrypt([right.recipient], dataKey))
    const svc = ageKeyService({ identities: [wrong.identity, right.identity] })
    expect(await svc.decrypt(ageKey(right.recipient, enc))).toEqual(dataKey)
  })

  it("reports a file for someone else as KeyUnavailableError", async () => {
    const mine = await generateAgeIdentity()
    const other = await generateAgeIdentity()
    const enc = armor.encode(await typageEncrypt([other.recipient], new Uint8Array(32)))
    const err = await ageKeyService({ identities: [mine.identity] })
      .decrypt(ageKey(other.recipient, enc))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyUnavailableError)
  })

  it("our encrypt output opens with typage, and typage's with us (same format both ways)", async () => {
    const { identity, recipient } = await generateAgeIdentity()
    const dataKey = new Uint8Array(randomBytes(32))
    const enc = await ageKeyService().encrypt(ageKey(recipient), dataKey)
    const d = new Decrypter()
    d.addIdentity(identity)
    expect(await d.decrypt(armor.decode(enc))).toEqual(dataKey)
    expect(decodeArmor(enc)).toEqual(armor.decode(enc))
    expect(encodeArmor(armor.decode(enc))).toBe(enc)
  })
})

describe("native X25519 decrypt: corruption is ERR_KEY_FAILED", () => {
  async function setup(extraRecipients = 0) {
    const mine = await generateAgeIdentity()
    const others: string[] = []
    for (let i = 0; i < extraRecipients; i++) others.push((await generateAgeIdentity()).recipient)
    const dataKey = new Uint8Array(randomBytes(32))
    const file = await typageEncrypt([...others, mine.recipient], dataKey)
    const svc = ageKeyService({ identities: [mine.identity] })
    return { mine, file, svc, dataKey }
  }

  it("a replaced header MAC", async () => {
    const { mine, file, svc } = await setup()
    await expectCode(svc.decrypt(ageKey(mine.recipient, armor.encode(withOtherMac(file)))), "ERR_KEY_FAILED")
  })

  it("a changed byte in someone else's stanza (the MAC covers the whole header)", async () => {
    const { mine, file, svc } = await setup(1)
    const s = Buffer.from(file).toString("latin1")
    // The second line is the other recipient's stanza `-> X25519 <share>`; change its share.
    const at = s.indexOf("-> X25519 ") + 10
    const flipped = s.slice(0, at) + (s[at] === "A" ? "B" : "A") + s.slice(at + 1)
    await expectCode(svc.decrypt(ageKey(mine.recipient, armor.encode(new Uint8Array(Buffer.from(flipped, "latin1"))))), "ERR_KEY_FAILED")
  })

  it("a flipped payload byte, a truncated payload, a dropped payload", async () => {
    const { mine, file, svc } = await setup()
    const flipped = Uint8Array.from(file)
    flipped[flipped.length - 1]! ^= 1
    await expectCode(svc.decrypt(ageKey(mine.recipient, armor.encode(flipped))), "ERR_KEY_FAILED")
    await expectCode(svc.decrypt(ageKey(mine.recipient, armor.encode(file.subarray(0, file.length - 1)))), "ERR_KEY_FAILED")
    const headerEnd = Buffer.from(file).indexOf("\n", Buffer.from(file).indexOf("\n--- ") + 1) + 1
    await expectCode(svc.decrypt(ageKey(mine.recipient, armor.encode(file.subarray(0, headerEnd + 16)))), "ERR_KEY_FAILED")
  })

  it("appended data after the last chunk", async () => {
    const { mine, file, svc } = await setup()
    const longer = new Uint8Array(file.length + 20)
    longer.set(file)
    await expectCode(svc.decrypt(ageKey(mine.recipient, armor.encode(longer))), "ERR_KEY_FAILED")
  })

  it("broken armor: short inner line, bad character, missing footer, non-canonical padding", async () => {
    const { mine, file, svc } = await setup()
    const enc = armor.encode(file)
    const lines = enc.split("\n")
    const variants = [
      [lines[0], lines[1]!.slice(0, 60), lines[1]!.slice(60), ...lines.slice(2)].join("\n"),
      enc.replace(lines[1]!, `${lines[1]!.slice(0, 10)}*${lines[1]!.slice(11)}`),
      lines.slice(0, -2).join("\n"),
      enc.replace(/([A-Za-z0-9+/])(=+)\n-----END/, (_m, c: string, pad: string) => `${c === "A" ? "B" : "A"}${pad}\n-----END`),
    ]
    for (const v of variants) await expectCode(svc.decrypt(ageKey(mine.recipient, v)), "ERR_KEY_FAILED")
  })

  it("malformed headers that typage also rejects", async () => {
    const { mine, file } = await setup()
    const s = Buffer.from(file).toString("latin1")
    const bad = [
      s.replace("age-encryption.org/v1", "age-encryption.org/v2"),
      s.replace("-> X25519 ", "->  X25519 "),
      s.replace("\n--- ", "\n---"),
      s.replace(/\n(-> X25519 \S+)\n(\S+)\n/, "\n$1\n$2=\n"),
    ]
    for (const b of bad) {
      const bytes = new Uint8Array(Buffer.from(b, "latin1"))
      const d = new Decrypter()
      d.addIdentity(mine.identity)
      await expect(d.decrypt(bytes), b.slice(0, 40)).rejects.toThrow()
      await expect(decryptAgeFile(bytes, [nativeIdentity(mine.identity)])).rejects.toThrow()
    }
  })

  it("an X25519 stanza with a malformed share is an error, not a silent skip", async () => {
    const { mine, file, svc } = await setup()
    const s = Buffer.from(file).toString("latin1").replace(/-> X25519 (\S+)/, (_m, share: string) => `-> X25519 ${share.slice(0, -2)}`)
    await expectCode(svc.decrypt(ageKey(mine.recipient, armor.encode(new Uint8Array(Buffer.from(s, "latin1"))))), "ERR_KEY_FAILED")
  })
})

describe("bech32 and Ed25519 helpers", () => {
  it("round-trips age keys and agrees with typage's identity → recipient", async () => {
    for (let i = 0; i < 5; i++) {
      const identity = await generateX25519Identity()
      const { prefix, bytes } = bech32Decode(identity)
      expect(prefix).toBe("age-secret-key-")
      expect(bech32Encode(prefix, bytes).toUpperCase()).toBe(identity)
      const ours = await generateAgeIdentity()
      expect(await identityToRecipient(ours.identity)).toBe(ours.recipient)
    }
  })

  it("accepts real Ed25519 public keys and rejects non-points", async () => {
    const { generateKeyPairSync } = await import("node:crypto")
    for (let i = 0; i < 5; i++) {
      const pub = Buffer.from(generateKeyPairSync("ed25519", { publicKeyEncoding: { format: "jwk" } }).publicKey.x!, "base64url")
      expect(isEd25519Point(new Uint8Array(pub))).toBe(true)
    }
    // y = 2 is not on the curve; y = p (non-canonical) is rejected.
    const two = new Uint8Array(32)
    two[0] = 2
    expect(isEd25519Point(two)).toBe(false)
    const p = new Uint8Array(32).fill(0xff)
    p[0] = 0xed
    p[31] = 0x7f
    expect(isEd25519Point(p)).toBe(false)
  })
})

describeWithTool("age", "native X25519 decrypt of files made by the age CLI", () => {
  it.each(SIZES)("opens a %i-byte payload from `age -r … -a`", async (n) => {
    const { identity, recipient } = await generateAgeIdentity()
    const data = new Uint8Array(randomBytes(n))
    const enc = execFileSync("age", ["-a", "-r", recipient], { input: data }).toString("utf8")
    expect(await decryptAgeFile(decodeArmor(enc), [nativeIdentity(identity)])).toEqual(data)
  })

  it("opens a data key wrapped for three recipients, ours last", async () => {
    const a = await generateAgeIdentity()
    const b = await generateAgeIdentity()
    const mine = await generateAgeIdentity()
    const dataKey = new Uint8Array(randomBytes(32))
    const enc = execFileSync("age", ["-a", "-r", a.recipient, "-r", b.recipient, "-r", mine.recipient], { input: dataKey }).toString(
      "utf8",
    )
    expect(await ageKeyService({ identities: [mine.identity] }).decrypt(ageKey(mine.recipient, enc))).toEqual(dataKey)
    const err = await ageKeyService({ identities: [(await generateAgeIdentity()).identity] })
      .decrypt(ageKey(mine.recipient, enc))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyUnavailableError)
  })
})
