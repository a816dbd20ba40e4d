import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { decrypt, encrypt, newAgeKey, newVaultKeyFromUri, type KeyAttempt } from "@sops-ts/core"
import { startVaultEmulator, type VaultEmulator } from "@sops-ts/testkit"
import { vaultTransitKeyService } from "../src/index.js"

const PLAIN = "db:\n    user: admin\n    password: s3cr3t\nport: 5432\n"
const NOW = () => new Date("2024-05-01T12:00:00Z")

let vault: VaultEmulator
beforeAll(async () => {
  vault = await startVaultEmulator()
})
afterAll(async () => {
  await vault.stop()
})

describe("through the core", () => {
  it("encrypts a YAML document to a Vault key and decrypts it", async () => {
    const svc = vaultTransitKeyService({ token: vault.token })
    const key = newVaultKeyFromUri(`${vault.url}/v1/transit/keys/sops`, { now: NOW })
    const out = new TextDecoder().decode(await encrypt(PLAIN, { format: "yaml", keys: [key], keyServices: [svc], now: NOW }))
    expect(out).toContain("    hc_vault:\n")
    expect(out).toContain(`          vault_address: ${vault.url}\n`)
    expect(out).toContain("          engine_path: transit\n")
    expect(out).toContain("          key_name: sops\n")
    expect(out).toMatch(/          enc: vault:v1:[A-Za-z0-9+/=]+\n/)
    expect(out).not.toContain("s3cr3t")
    expect(new TextDecoder().decode(await decrypt(out, { format: "yaml", keyServices: [svc] }))).toBe(PLAIN)
  })

  it("falls through to an age key when Vault is down, and reports the Vault failure", async () => {
    const age = await generateAgeIdentity()
    const ageSvc = ageKeyService({ identities: [age.identity] })
    const vaultSvc = vaultTransitKeyService({ token: vault.token, retryDelayMs: 1 })
    const keys = [newVaultKeyFromUri(`${vault.url}/v1/transit/keys/sops`), newAgeKey(age.recipient)]
    const encrypted = await encrypt(PLAIN, { format: "yaml", keys, keyServices: [vaultSvc, ageSvc] })

    const attempts: (KeyAttempt & { ok: boolean })[] = []
    const down = await startVaultEmulator()
    await down.stop()
    // Vault first: it must fail (connection refused) and age must still be tried.
    const brokenVault = vaultTransitKeyService({ token: vault.token, fetch: (u, init) => fetch(u.replace(vault.url, down.url), init) })
    const plain = await decrypt(encrypted, {
      format: "yaml",
      keyServices: [brokenVault, ageSvc],
      decryptionOrder: ["hc_vault", "age"],
      onKeyAttempt: (a) => attempts.push(a),
    })
    expect(new TextDecoder().decode(plain)).toBe(PLAIN)
    expect(attempts.map((a) => [a.key.split(" ")[0], a.ok, a.outcome])).toEqual([
      ["hc_vault", false, "failed"],
      ["age", true, "unavailable"],
    ])
    expect(attempts[0]!.reason).toContain("cannot reach Vault")
  })

  it("throttled then succeeding decrypts through the core", async () => {
    const svc = vaultTransitKeyService({ token: vault.token, retryDelayMs: 1 })
    const key = newVaultKeyFromUri(`${vault.url}/v1/transit/keys/sops`)
    const encrypted = await encrypt(PLAIN, { format: "yaml", keys: [key], keyServices: [svc] })
    vault.throttle(2)
    expect(new TextDecoder().decode(await decrypt(encrypted, { format: "yaml", keyServices: [svc] }))).toBe(PLAIN)
  })
})
