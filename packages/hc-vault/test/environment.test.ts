import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { newVaultKeyFromUri } from "@sops-ts/core"
import { startVaultEmulator, type VaultEmulator } from "@sops-ts/testkit"
import { keyServiceFromEnv, parseVaultAllowlist, vaultKeyServiceFromEnvironment, vaultOptionsFromEnvironment } from "../src/index.js"

let vault: VaultEmulator
let home: string
beforeAll(async () => {
  vault = await startVaultEmulator({ namespace: "ns1" })
  home = mkdtempSync(join(tmpdir(), "sops-ts-vault-home-"))
})
afterAll(async () => {
  await vault.stop()
  rmSync(home, { recursive: true, force: true })
})

describe("settings from the environment", () => {
  it("VAULT_TOKEN wins over ~/.vault-token; VAULT_NAMESPACE and the allowlist are read", () => {
    expect(vaultOptionsFromEnvironment({ VAULT_TOKEN: "t", VAULT_NAMESPACE: "ns", SOPS_HC_VAULT_ALLOWLIST: "https://a,https://b/" }, "/home/u")).toEqual({
      token: "t",
      namespace: "ns",
      allowlist: ["https://a", "https://b/"],
    })
    expect(vaultOptionsFromEnvironment({}, "/home/u")).toEqual({ tokenFile: join("/home/u", ".vault-token"), allowlist: "all" })
  })

  it("parses SOPS_HC_VAULT_ALLOWLIST like sops", () => {
    expect(parseVaultAllowlist(undefined)).toBe("all")
    expect(parseVaultAllowlist("")).toBe("all")
    expect(parseVaultAllowlist("none")).toBe("none")
    expect(parseVaultAllowlist("https://a, https://b")).toEqual(["https://a", " https://b"])
    expect(() => keyServiceFromEnv({ SOPS_HC_VAULT_ALLOWLIST: "https://a,,https://b" })).toThrow(/entry 2 is empty/)
  })

  it("a service from the environment round-trips with the token file in the home directory", async () => {
    writeFileSync(join(home, ".vault-token"), vault.token + "\n")
    const svc = vaultKeyServiceFromEnvironment({ VAULT_NAMESPACE: "ns1", VAULT_ADDR: "http://ignored.invalid:1" }, home)
    const key = newVaultKeyFromUri(`${vault.url}/v1/transit/keys/sops`)
    const dataKey = new Uint8Array(32).fill(9)
    const enc = await svc.encrypt(key, dataKey)
    expect(await svc.decrypt({ ...key, enc })).toEqual(dataKey)
    // The key's address is used, not VAULT_ADDR.
    expect(vault.calls.every((c) => c.namespace === "ns1" && c.tokenValid)).toBe(true)
  })

  it("keyServiceFromEnv uses HOME and honours SOPS_HC_VAULT_ALLOWLIST=none", async () => {
    const before = vault.calls.length
    const svc = keyServiceFromEnv({ HOME: home, SOPS_HC_VAULT_ALLOWLIST: "none" })
    const key = newVaultKeyFromUri(`${vault.url}/v1/transit/keys/sops`)
    await expect(svc.encrypt(key, new Uint8Array(32))).rejects.toMatchObject({ code: "ERR_KEY_WRAP", details: { reason: "refused" } })
    expect(vault.calls.length).toBe(before)
  })
})
