import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { decrypt, encrypt, newAgeKey, newAzureKvKey, parseAzureKvUrls, type KeyAttempt } from "@sops-ts/core"
import { startAzureKvEmulator, type AzureKvEmulator } from "@sops-ts/testkit"
import { azureKeyVaultKeyService } from "../src/index.js"
import { serviceFor } from "./helpers.js"

const PLAIN = "db:\n    user: admin\n    password: s3cr3t\nport: 5432\n"
const NOW = () => new Date("2024-05-01T12:00:00Z")
const text = (b: Uint8Array) => new TextDecoder().decode(b)

let kv: AzureKvEmulator
beforeAll(async () => {
  kv = await startAzureKvEmulator()
})
afterAll(async () => {
  await kv.stop()
})

describe("through the core", () => {
  it("encrypts a YAML document to an Azure key (version resolved) and decrypts it", async () => {
    const svc = serviceFor(kv)
    const keys = parseAzureKvUrls(`${kv.vaultUrl}/keys/sops`, { now: NOW })
    const out = text(await encrypt(PLAIN, { format: "yaml", keys, keyServices: [svc], now: NOW }))
    expect(out).toContain("    azure_kv:\n")
    expect(out).toContain(`          vault_url: ${kv.vaultUrl}\n`)
    expect(out).toContain("          name: sops\n")
    expect(out).toContain(`          version: ${kv.keyVersion("sops")}\n`)
    expect(out).toMatch(/          enc: [A-Za-z0-9_-]{342}\n/)
    expect(out).not.toContain("s3cr3t")
    expect(text(await decrypt(out, { format: "yaml", keyServices: [serviceFor(kv)] }))).toBe(PLAIN)
  })

  it("falls through to an age key when the vault is down, and reports the Azure failure", async () => {
    const age = await generateAgeIdentity()
    const ageSvc = ageKeyService({ identities: [age.identity] })
    const down = await startAzureKvEmulator()
    const keys = [newAzureKvKey(down.loopbackUrl, "sops", down.keyVersion("sops")), newAgeKey(age.recipient)]
    const azure = azureKeyVaultKeyService({
      credential: down.credential,
      retryDelayMs: 1,
      maxAttempts: 2,
      clientOptions: { tlsOptions: { ca: down.caPem }, disableChallengeResourceVerification: true },
    })
    const encrypted = await encrypt(PLAIN, { format: "yaml", keys, keyServices: [azure, ageSvc] })
    await down.stop()

    const attempts: (KeyAttempt & { ok: boolean })[] = []
    const plain = await decrypt(encrypted, {
      format: "yaml",
      keyServices: [azure, ageSvc],
      decryptionOrder: ["azure_kv", "age"],
      onKeyAttempt: (a) => attempts.push(a),
    })
    expect(text(plain)).toBe(PLAIN)
    expect(attempts.map((a) => [a.key.split(" ")[0], a.ok])).toEqual([
      ["azure_kv", false],
      ["age", true],
    ])
    expect(attempts[0]!.outcome).toBe("failed")
    expect(attempts[0]!.reason).toContain("ECONNREFUSED")
  })

  it("a denied Azure key falls through to age as well", async () => {
    await kv.addKey({ name: "locked", denied: true })
    const age = await generateAgeIdentity()
    const ageSvc = ageKeyService({ identities: [age.identity] })
    const open = serviceFor(kv)
    // Encrypt to an allowed key, then present the file as if it named the denied one.
    const encrypted = text(await encrypt(PLAIN, { format: "yaml", keys: [newAzureKvKey(kv.vaultUrl, "sops", kv.keyVersion("sops")), newAgeKey(age.recipient)], keyServices: [open, ageSvc] }))
    const tampered = encrypted.replace("name: sops", "name: locked").replace(`version: ${kv.keyVersion("sops")}`, `version: ${kv.keyVersion("locked")}`)
    const attempts: (KeyAttempt & { ok: boolean })[] = []
    // The MAC covers values only, so renaming the key in the metadata keeps the file valid.
    const plain = await decrypt(tampered, { format: "yaml", keyServices: [serviceFor(kv), ageSvc], decryptionOrder: ["azure_kv", "age"], onKeyAttempt: (a) => attempts.push(a) })
    expect(text(plain)).toBe(PLAIN)
    expect(attempts[0]!.reason).toContain("access denied")
  })
})
