import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { isSopsError, newVaultKeyFromUri, type HcVaultMasterKey, type SopsError } from "@sops-ts/core"
import { startVaultEmulator, type VaultEmulator } from "@sops-ts/testkit"
import { vaultTransitKeyService, type VaultTransitOptions } from "../src/index.js"

const DATA_KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)

let vault: VaultEmulator
beforeEach(async () => {
  vault = await startVaultEmulator({ keys: [{ name: "sops" }, { name: "other" }, { name: "secret", denied: true }, { mount: "team/transit", name: "app" }] })
})
afterEach(async () => {
  await vault.stop()
})

function keyFor(path = "transit/keys/sops"): HcVaultMasterKey {
  return newVaultKeyFromUri(`${vault.url}/v1/${path}`)
}

function service(extra: VaultTransitOptions = {}) {
  return vaultTransitKeyService({ token: vault.token, retryDelayMs: 1, ...extra })
}

async function failure(p: Promise<unknown>): Promise<SopsError> {
  const err = await p.then(
    () => {
      throw new Error("expected a rejection")
    },
    (e: unknown) => e,
  )
  if (!isSopsError(err)) throw new Error(`expected a SopsError, got ${String(err)}`)
  return err
}

describe("vaultTransitKeyService against the Vault emulator", () => {
  it("wraps to a vault:v1: ciphertext and unwraps it again", async () => {
    const svc = service()
    const key = keyFor()
    const enc = await svc.encrypt(key, DATA_KEY)
    expect(enc).toMatch(/^vault:v1:[A-Za-z0-9+/]+={0,2}$/)
    expect(await svc.decrypt({ ...key, enc })).toEqual(DATA_KEY)
    expect(vault.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      "POST /v1/transit/encrypt/sops 200",
      "POST /v1/transit/decrypt/sops 200",
    ])
  })

  it("uses multi-segment engine paths", async () => {
    const svc = service()
    const key = keyFor("team/transit/keys/app")
    expect(key.enginePath).toBe("team/transit")
    const enc = await svc.encrypt(key, DATA_KEY)
    expect(await svc.decrypt({ ...key, enc })).toEqual(DATA_KEY)
    expect(vault.calls[0]!.path).toBe("/v1/team/transit/encrypt/app")
  })

  it("wraps 33-byte Shamir shares", async () => {
    const svc = service()
    const share = Uint8Array.from({ length: 33 }, (_, i) => 255 - i)
    const key = keyFor()
    expect(await svc.decrypt({ ...key, enc: await svc.encrypt(key, share) })).toEqual(share)
  })

  it("decrypts ciphertexts of an older key version after rotation", async () => {
    const svc = service()
    const key = keyFor()
    const v1 = await svc.encrypt(key, DATA_KEY)
    vault.rotateKey("sops")
    const v2 = await svc.encrypt(key, DATA_KEY)
    expect(v2.startsWith("vault:v2:")).toBe(true)
    expect(await svc.decrypt({ ...key, enc: v1 })).toEqual(DATA_KEY)
  })

  it("a ciphertext is bound to its key: opening it with another key fails", async () => {
    const svc = service()
    const enc = await svc.encrypt(keyFor(), DATA_KEY)
    const err = await failure(svc.decrypt({ ...keyFor("transit/keys/other"), enc }))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain("message authentication failed")
  })

  it("supports only hc_vault keys", () => {
    const svc = service()
    expect(svc.supports(keyFor())).toBe(true)
    expect(svc.supports({ type: "age", recipient: "age1x", enc: "" })).toBe(false)
  })

  it("sends the namespace header and the emulator enforces it", async () => {
    await vault.stop()
    vault = await startVaultEmulator({ namespace: "team-a" })
    const key = keyFor()
    const enc = await service({ namespace: "team-a" }).encrypt(key, DATA_KEY)
    expect(vault.calls[0]!.namespace).toBe("team-a")
    const err = await failure(service().decrypt({ ...key, enc }))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain("HTTP 403: permission denied")
  })

  it("reads and trims the token file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sops-ts-vault-"))
    try {
      const svc = vaultTransitKeyService({ tokenFile: join(dir, ".vault-token") })
      const key = keyFor()
      // No file yet: unavailable. A later `vault login` is picked up by the same service.
      expect((await failure(svc.encrypt(key, DATA_KEY))).code).toBe("ERR_KEY_UNAVAILABLE")
      writeFileSync(join(dir, ".vault-token"), `  ${vault.token}\n`)
      expect(await svc.decrypt({ ...key, enc: await svc.encrypt(key, DATA_KEY) })).toEqual(DATA_KEY)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("failure paths", () => {
  it("without any token the key is unavailable and nothing is sent", async () => {
    const err = await failure(vaultTransitKeyService({ tokenFile: "/nonexistent/.vault-token" }).decrypt({ ...keyFor(), enc: "vault:v1:AAAA" }))
    expect(err.code).toBe("ERR_KEY_UNAVAILABLE")
    expect(err.message).toContain("VAULT_TOKEN")
    expect(vault.calls).toEqual([])
  })

  it("a wrong token is access denied, naming the key", async () => {
    const err = await failure(service({ token: "hvs.wrong" }).encrypt(keyFor(), DATA_KEY))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain(`hc_vault ${vault.url}/v1/transit/keys/sops`)
    expect(err.message).toContain("HTTP 403: permission denied")
    expect(err.details).toMatchObject({ status: 403 })
  })

  it("a key the policy denies is access denied", async () => {
    const err = await failure(service().encrypt(keyFor("transit/keys/secret"), DATA_KEY))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("permission denied")
  })

  it("an unknown key and an unknown mount are reported with Vault's reason", async () => {
    const svc = service()
    const unknownKey = await failure(svc.decrypt({ ...keyFor("transit/keys/nope"), enc: "vault:v1:AAAA" }))
    expect(unknownKey.code).toBe("ERR_KEY_FAILED")
    expect(unknownKey.message).toContain("HTTP 400: encryption key not found")
    const unknownMount = await failure(svc.encrypt(keyFor("transit2/keys/sops"), DATA_KEY))
    expect(unknownMount.message).toContain("HTTP 404: no handler for route")
    // Client errors are not retried.
    expect(vault.calls).toHaveLength(2)
  })

  it("retries throttling (429) and a sealed Vault (503), then succeeds", async () => {
    const svc = service({ maxAttempts: 3 })
    const key = keyFor()
    vault.throttle(2, 429)
    const enc = await svc.encrypt(key, DATA_KEY)
    vault.throttle(2, 503)
    expect(await svc.decrypt({ ...key, enc })).toEqual(DATA_KEY)
    expect(vault.calls.map((c) => c.status)).toEqual([429, 429, 200, 503, 503, 200])
  })

  it("gives up after maxAttempts with the last reason", async () => {
    vault.throttle(5, 429)
    const err = await failure(service({ maxAttempts: 2 }).encrypt(keyFor(), DATA_KEY))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toMatch(/HTTP 429: .*rate limit quota exceeded \(after 2 attempts\)/)
    expect(vault.calls).toHaveLength(2)
  })

  it("times out after timeoutMs as a key failure (so the next key is still tried)", async () => {
    vault.setLatency(2_000)
    const err = await failure(service({ timeoutMs: 100 }).encrypt(keyFor(), DATA_KEY))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("did not answer within 100 ms")
  })

  it("the caller's AbortSignal aborts with ERR_ABORTED", async () => {
    vault.setLatency(2_000)
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 50)
    const err = await failure(service().decrypt({ ...keyFor(), enc: "vault:v1:AAAA" }, { signal: ac.signal }))
    expect(err.code).toBe("ERR_ABORTED")
  })

  it("a stopped server is a network failure naming the address", async () => {
    const key = keyFor()
    await vault.stop()
    const err = await failure(service().decrypt({ ...key, enc: "vault:v1:AAAA" }))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain(`cannot reach Vault at ${key.vaultAddress}`)
    vault = await startVaultEmulator()
  })

  it("rejects key names that would leave the transit engine", async () => {
    const key: HcVaultMasterKey = { ...keyFor(), keyName: "..", enc: "vault:v1:AAAA" }
    const err = await failure(service().decrypt(key))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(vault.calls).toEqual([])
  })
})

describe("address allowlist", () => {
  it("refuses an address outside the allowlist before any request", async () => {
    const key = keyFor()
    for (const allowlist of ["none", ["https://vault.example.org:8200"]] as const) {
      const svc = service({ allowlist })
      const dec = await failure(svc.decrypt({ ...key, enc: "vault:v1:AAAA" }))
      expect(dec.code).toBe("ERR_KEY_FAILED")
      expect(dec.message).toContain(`the Vault address ${vault.url} is not allowed by SOPS_HC_VAULT_ALLOWLIST`)
      expect(dec.details).toMatchObject({ reason: "refused" })
      const enc = await failure(svc.encrypt(key, DATA_KEY))
      expect(enc.code).toBe("ERR_KEY_WRAP")
    }
    expect(vault.calls).toEqual([])
  })

  it("allows listed prefixes, and a prefix does not match a longer host name", async () => {
    const key = keyFor()
    const ok = service({ allowlist: [" https://vault.example.org ", vault.url] })
    expect(await ok.decrypt({ ...key, enc: await ok.encrypt(key, DATA_KEY) })).toEqual(DATA_KEY)
    // "http://127.0.0.1:1" must not allow "http://127.0.0.1:12345".
    const port = new URL(vault.url).port
    const tricky = service({ allowlist: [`http://127.0.0.1:${port.slice(0, 1)}`] })
    expect((await failure(tricky.encrypt(key, DATA_KEY))).details).toMatchObject({ reason: "refused" })
  })

  it("re-checks a redirect target against the allowlist", async () => {
    const key = keyFor()
    const redirecting = (async (input: string, init: RequestInit) => {
      if (input.startsWith(vault.url)) return new Response(null, { status: 307, headers: { location: "https://evil.example.com/v1/transit/encrypt/sops" } })
      return fetch(input, init)
    }) as VaultTransitOptions["fetch"]
    const err = await failure(service({ allowlist: [vault.url], fetch: redirecting! }).encrypt(key, DATA_KEY))
    expect(err.message).toContain("redirected to https://evil.example.com")
  })

  it("rejects an empty allowlist entry", () => {
    expect(() => vaultTransitKeyService({ allowlist: ["https://a", " "] })).toThrow(/entry 2 is empty/)
  })
})
