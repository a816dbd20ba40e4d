/**
 * Interoperability with the real `age` CLI (filippo.io/age), the library sops uses: data keys
 * wrapped here open with `age -d`, and files made by `age -a` open here, for X25519,
 * ssh-ed25519 and ssh-rsa recipients.
 */
import { execFileSync } from "node:child_process"
import { generateKeyPairSync, randomBytes } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { describeWithTool, requireTool } from "@sops-ts/testkit"
import { ageKeyService, ageRecipientOf, generateAgeIdentity } from "@sops-ts/age"
import { WireWriter } from "../src/internal/ssh-wire.js"
import { ageKey, tempDir } from "./helpers.js"

function ageDecrypt(identityFile: string, armored: string): Uint8Array {
  return new Uint8Array(execFileSync("age", ["-d", "-i", identityFile], { input: armored }))
}

function ageEncrypt(args: string[], data: Uint8Array): string {
  return execFileSync("age", ["-a", ...args], { input: data }).toString("utf8")
}

interface SshPair {
  readonly label: string
  readonly privateFile: string
  /** authorized_keys line, comment included. */
  readonly publicLine: string
}

/** Key pairs made with node:crypto (PKCS#8 PEM), which age also accepts. */
function nodeSshPairs(dir: string): SshPair[] {
  // Both halves are encoded by the generation: a later KeyObject.export can deadlock Node 20.
  const pkcs8 = { type: "pkcs8", format: "pem" } as const
  const ed = generateKeyPairSync("ed25519", { publicKeyEncoding: { format: "jwk" }, privateKeyEncoding: pkcs8 })
  const edPub = Buffer.from(ed.publicKey.x!, "base64url")
  const edBlob = new WireWriter().string("ssh-ed25519").string(edPub).bytes()
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { format: "jwk" }, privateKeyEncoding: pkcs8 })
  const jwk = rsa.publicKey
  const rsaBlob = new WireWriter()
    .string("ssh-rsa")
    .mpint(Buffer.from(jwk.e!, "base64url"))
    .mpint(Buffer.from(jwk.n!, "base64url"))
    .bytes()
  const edFile = join(dir, "node_ed25519")
  const rsaFile = join(dir, "node_rsa")
  writeFileSync(edFile, ed.privateKey, { mode: 0o600 })
  writeFileSync(rsaFile, rsa.privateKey, { mode: 0o600 })
  return [
    { label: "ssh-ed25519 (PKCS#8 PEM)", privateFile: edFile, publicLine: `ssh-ed25519 ${Buffer.from(edBlob).toString("base64")} node-ed` },
    { label: "ssh-rsa (PKCS#8 PEM)", privateFile: rsaFile, publicLine: `ssh-rsa ${Buffer.from(rsaBlob).toString("base64")} node-rsa` },
  ]
}

/** Key pairs made with ssh-keygen in OpenSSH format (and PKCS#1 PEM for RSA). */
function sshKeygenPairs(dir: string): SshPair[] {
  const make = (label: string, name: string, args: string[]): SshPair => {
    const file = join(dir, name)
    execFileSync("ssh-keygen", ["-q", "-N", "", "-C", `${name}@test`, "-f", file, ...args])
    return { label, privateFile: file, publicLine: readFileSync(`${file}.pub`, "utf8").trim() }
  }
  return [
    make("ssh-ed25519 (OpenSSH)", "id_ed25519", ["-t", "ed25519"]),
    make("ssh-rsa (OpenSSH)", "id_rsa", ["-t", "rsa", "-b", "2048"]),
    make("ssh-rsa 3072 (PKCS#1 PEM)", "id_rsa_pem", ["-t", "rsa", "-b", "3072", "-m", "PEM"]),
  ]
}

describeWithTool("age", "interop with the age CLI", () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  describe("X25519", () => {
    let identity = ""
    let recipient = ""
    let identityFile = ""
    beforeAll(async () => {
      ;({ identity, recipient } = await generateAgeIdentity())
      identityFile = join(tmp.dir, "x25519.txt")
      writeFileSync(identityFile, `# test key\n${identity}\n`, { mode: 0o600 })
    })

    it("age -d opens a data key wrapped here", async () => {
      const dataKey = new Uint8Array(randomBytes(32))
      const enc = await ageKeyService().encrypt(ageKey(recipient), dataKey)
      expect(ageDecrypt(identityFile, enc)).toEqual(dataKey)
    })

    it("a data key wrapped by age -r -a opens here", async () => {
      const dataKey = new Uint8Array(randomBytes(32))
      const enc = ageEncrypt(["-r", recipient], dataKey)
      const svc = ageKeyService({ identities: [readFileSync(identityFile, "utf8")] })
      expect(await svc.decrypt(ageKey(recipient, enc))).toEqual(dataKey)
    })

    it("33-byte Shamir shares round-trip too", async () => {
      const share = new Uint8Array(randomBytes(33))
      const enc = await ageKeyService().encrypt(ageKey(recipient), share)
      expect(ageDecrypt(identityFile, enc)).toEqual(share)
    })
  })

  describeWithTool("age-keygen", "age-keygen identities", () => {
    it("ageRecipientOf agrees with age-keygen -y, and keys.txt files from age-keygen load", async () => {
      const file = join(tmp.dir, "keygen.txt")
      execFileSync("age-keygen", ["-o", file], { stdio: "ignore" })
      const expected = execFileSync("age-keygen", ["-y", file]).toString("utf8").trim()
      const contents = readFileSync(file, "utf8")
      const line = contents.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"))!
      expect(await ageRecipientOf(line)).toBe(expected)
      const dataKey = new Uint8Array(randomBytes(32))
      const enc = ageEncrypt(["-r", expected], dataKey)
      const svc = ageKeyService({ identities: [contents] })
      expect(await svc.decrypt(ageKey(expected, enc))).toEqual(dataKey)
    })
  })

  const pairs: SshPair[] = []
  beforeAll(() => {
    pairs.push(...nodeSshPairs(tmp.dir))
    if (requireTool("ssh-keygen").available) pairs.push(...sshKeygenPairs(tmp.dir))
    else console.warn("[skipped] OpenSSH-format key interop: ssh-keygen not found on PATH")
  })

  it("SSH: age -d -i <ssh key> opens data keys wrapped here for ssh-ed25519 and ssh-rsa", async () => {
    expect(pairs.length).toBeGreaterThanOrEqual(2)
    for (const p of pairs) {
      const dataKey = new Uint8Array(randomBytes(32))
      const enc = await ageKeyService().encrypt(ageKey(p.publicLine), dataKey)
      const header = Buffer.from(enc.split("\n").slice(1, -2).join(""), "base64").toString("latin1")
      expect(header, p.label).toContain(`\n-> ${p.publicLine.split(" ")[0]} `)
      expect(ageDecrypt(p.privateFile, enc), p.label).toEqual(dataKey)
    }
  })

  it("SSH: data keys wrapped by age -R <pub> -a open here with the private key", async () => {
    for (const p of pairs) {
      const pubFile = `${p.privateFile}.recipient.pub`
      writeFileSync(pubFile, `${p.publicLine}\n`)
      const dataKey = new Uint8Array(randomBytes(32))
      const enc = ageEncrypt(["-R", pubFile], dataKey)
      const svc = ageKeyService({ identities: [readFileSync(p.privateFile, "utf8")] })
      expect(await svc.decrypt(ageKey(p.publicLine, enc)), p.label).toEqual(dataKey)
    }
  })

  it("SSH: ageRecipientOf gives the public key line without its comment", async () => {
    for (const p of pairs) {
      expect(await ageRecipientOf(readFileSync(p.privateFile, "utf8")), p.label).toBe(p.publicLine.split(" ").slice(0, 2).join(" "))
    }
  })
})
