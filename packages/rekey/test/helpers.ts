/** Fixtures for the rekey tests: temp repos of age-encrypted files and fake key services. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { decrypt, encrypt, newAgeKey, type KeyService, type MasterKey } from "@sops-ts/core"

/** A fresh temporary directory. */
export function tempDir(prefix = "sops-ts-rekey-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** An age identity with its master key and a service that can open it. */
export interface AgeId {
  identity: string
  recipient: string
  key: MasterKey
}

/** Generates an age identity. */
export async function newAgeId(): Promise<AgeId> {
  const { identity, recipient } = await generateAgeIdentity()
  return { identity, recipient, key: newAgeKey(recipient) }
}

/** An age key service holding `ids`. */
export function ageService(...ids: AgeId[]): KeyService {
  return ageKeyService({ identities: ids.map((i) => i.identity) })
}

/** Counters of a {@link fakeService}. */
export interface FakeStats {
  active: number
  maxActive: number
  calls: number
}

/**
 * A fake key service for `type` keys: "wraps" by base64 with a prefix (not secure; tests only),
 * optionally slow, counting concurrent calls.
 */
export function fakeService(type: MasterKey["type"], delayMs = 0, stats: FakeStats = { active: 0, maxActive: 0, calls: 0 }): KeyService & { stats: FakeStats } {
  const slow = async <T>(fn: () => T): Promise<T> => {
    stats.calls++
    stats.active++
    stats.maxActive = Math.max(stats.maxActive, stats.active)
    try {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
      return fn()
    } finally {
      stats.active--
    }
  }
  return {
    name: `fake-${type}`,
    stats,
    supports: (k) => k.type === type,
    encrypt: (_k, dataKey) => slow(() => `fake:${Buffer.from(dataKey).toString("base64")}`),
    decrypt: (k) =>
      slow(() => (k.enc.startsWith("fake:") ? new Uint8Array(Buffer.from(k.enc.slice(5), "base64")) : null)),
  }
}

/** A HashiCorp Vault master key (for "foreign key" tests: no service installed for it). */
export function vaultKey(): MasterKey {
  return {
    type: "hc_vault",
    vaultAddress: "https://vault.example.com:8200",
    enginePath: "transit",
    keyName: "sops",
    createdAt: "2024-01-01T00:00:00Z",
    enc: "",
  }
}

/** The plaintext of fixture file `i`. */
export function plainYaml(i: number): string {
  return `name: file-${i}\npassword: secret-${i}\nnested:\n    list:\n        - a\n        - ${i}\n`
}

/** Encrypts fixture YAML `i` to `keys` and writes it at `path`. */
export async function writeEncrypted(
  path: string,
  i: number,
  keys: readonly MasterKey[],
  services: readonly KeyService[],
  groups?: readonly (readonly MasterKey[])[],
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true })
  const out = await encrypt(plainYaml(i), {
    format: "yaml",
    keyServices: services,
    ...(groups ? { keyGroups: groups.map((g) => [...g]) } : { keys: [...keys] }),
  })
  writeFileSync(path, out)
}

/** Decrypts a YAML file's bytes to text with `services`. */
export async function decryptText(bytes: Uint8Array, services: readonly KeyService[]): Promise<string> {
  return new TextDecoder().decode(await decrypt(bytes, { format: "yaml", keyServices: services }))
}
