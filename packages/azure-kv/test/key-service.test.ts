import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { newAzureKvKey, parseAzureKvUrls, type AzureKvMasterKey } from "@sops-ts/core"
import { startAzureKvEmulator, type AzureKvEmulator } from "@sops-ts/testkit"
import { azureKeyVaultKeyService, fromRawBase64Url, toRawBase64Url } from "../src/index.js"
import { failure, serviceFor } from "./helpers.js"

const DATA_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 5) & 0xff)

let kv: AzureKvEmulator
beforeAll(async () => {
  kv = await startAzureKvEmulator({ keys: [{ name: "sops" }, { name: "other" }, { name: "locked", denied: true }] })
})
afterAll(async () => {
  await kv.stop()
})
afterEach(() => {
  kv.setLatency(0)
  kv.throttle(0)
})

function keyFor(name = "sops", version = kv.keyVersion(name)): AzureKvMasterKey {
  return newAzureKvKey(kv.vaultUrl, name, version)
}

function callsSince(n: number) {
  return kv.calls.slice(n)
}

describe("azureKeyVaultKeyService against the Key Vault emulator", () => {
  it("wraps with RSA-OAEP-256 into unpadded base64url and unwraps again", async () => {
    const before = kv.calls.length
    const key = keyFor()
    const enc = await serviceFor(kv).encrypt(key, DATA_KEY)
    // RSA-2048: 256 bytes of ciphertext are 342 base64url characters, no padding.
    expect(enc).toMatch(/^[A-Za-z0-9_-]{342}$/)
    // A fresh service (new client, new challenge) opens it.
    expect(await serviceFor(kv).decrypt({ ...key, enc })).toEqual(DATA_KEY)
    const calls = callsSince(before)
    expect(calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      `POST /keys/sops/${key.version}/encrypt 401`,
      `POST /keys/sops/${key.version}/encrypt 200`,
      `POST /keys/sops/${key.version}/decrypt 401`,
      `POST /keys/sops/${key.version}/decrypt 200`,
    ])
    expect(calls.filter((c) => c.status === 200).map((c) => c.algorithm)).toEqual(["RSA-OAEP-256", "RSA-OAEP-256"])
    expect(calls.every((c) => c.apiVersion === "2025-07-01" && c.host.startsWith("sops-test.vault.azure.net:"))).toBe(true)
  })

  it("answers the bearer challenge with a token for the Key Vault resource and tenant", async () => {
    const before = kv.credential.requests.length
    const key = keyFor()
    await serviceFor(kv).encrypt(key, DATA_KEY)
    expect(kv.credential.requests.slice(before)).toEqual([
      { scopes: ["https://vault.azure.net/.default"], tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47" },
    ])
  })

  it("reuses the authenticated client for later calls on the same key", async () => {
    const svc = serviceFor(kv)
    const key = keyFor()
    const enc = await svc.encrypt(key, DATA_KEY)
    const before = kv.calls.length
    await svc.decrypt({ ...key, enc })
    expect(callsSince(before).map((c) => c.status)).toEqual([200])
  })

  it("wraps 33-byte Shamir shares", async () => {
    const share = Uint8Array.from({ length: 33 }, (_, i) => i)
    const svc = serviceFor(kv)
    const key = keyFor()
    expect(await svc.decrypt({ ...key, enc: await svc.encrypt(key, share) })).toEqual(share)
  })

  it("honours serviceVersion and reports an API version the service does not know", async () => {
    const before = kv.calls.length
    const key = keyFor()
    await serviceFor(kv, { clientOptions: { serviceVersion: "7.4" } }).encrypt(key, DATA_KEY)
    expect(callsSince(before).map((c) => c.apiVersion)).toEqual(["7.4", "7.4"])
    const err = await failure(serviceFor(kv, { clientOptions: { serviceVersion: "1999-01-01" } }).encrypt(key, DATA_KEY))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("HTTP 400 BadParameter")
    expect(err.message).toContain("1999-01-01")
  })

  it("works on the loopback address with a trusted CA and challenge verification disabled", async () => {
    const svc = azureKeyVaultKeyService({
      credential: kv.credential,
      clientOptions: { tlsOptions: { ca: kv.caPem }, disableChallengeResourceVerification: true },
    })
    const key = newAzureKvKey(kv.loopbackUrl, "sops", kv.keyVersion("sops"))
    expect(await svc.decrypt({ ...key, enc: await svc.encrypt(key, DATA_KEY) })).toEqual(DATA_KEY)
  })

  it("keeps the SDK's challenge-resource check: a loopback vault is refused by default", async () => {
    const svc = azureKeyVaultKeyService({ credential: kv.credential, clientOptions: { tlsOptions: { ca: kv.caPem } } })
    const err = await failure(svc.encrypt(newAzureKvKey(kv.loopbackUrl, "sops", kv.keyVersion("sops")), DATA_KEY))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("does not match the requested domain")
  })

  it("a ciphertext only opens with the key version that made it", async () => {
    const svc = serviceFor(kv)
    const enc = await svc.encrypt(keyFor(), DATA_KEY)
    const err = await failure(svc.decrypt({ ...keyFor("other"), enc }))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain("HTTP 400")
  })
})

describe("key versions", () => {
  it("encrypt resolves a missing version with getKey and returns the completed key", async () => {
    const before = kv.calls.length
    const [key] = parseAzureKvUrls(`${kv.vaultUrl}/keys/sops`)
    expect(key!.version).toBe("")
    const svc = serviceFor(kv)
    const out = await svc.encrypt(key!, DATA_KEY)
    if (typeof out === "string") throw new Error("expected the completed key")
    const wrapped = out.key as typeof key & { version: string }
    expect(wrapped.version).toBe(kv.keyVersion("sops"))
    expect(key!.version).toBe("") // the caller's key is not modified
    expect(callsSince(before).filter((c) => c.status === 200).map((c) => `${c.method} ${c.path}`)).toEqual([
      "GET /keys/sops/",
      `POST /keys/sops/${wrapped.version}/encrypt`,
    ])
    expect(await svc.decrypt(wrapped)).toEqual(DATA_KEY)
  })

  it("resolveVersion follows rotation; old ciphertexts still open with their version", async () => {
    const svc = serviceFor(kv)
    const old = keyFor("other")
    const enc = await svc.encrypt(old, DATA_KEY)
    const newest = await kv.rotateKey("other")
    const resolved = await svc.resolveVersion(newAzureKvKey(kv.vaultUrl, "other", ""))
    expect(resolved.version).toBe(newest)
    expect(await svc.resolveVersion(old)).toBe(old)
    expect(await svc.decrypt({ ...old, enc })).toEqual(DATA_KEY)
  })
})

describe("failure paths", () => {
  it("an unknown key or version is reported as not found, naming the key", async () => {
    const svc = serviceFor(kv)
    const unknown = await failure(svc.encrypt(keyFor("nope", "0123456789abcdef0123456789abcdef"), DATA_KEY))
    expect(unknown.code).toBe("ERR_KEY_WRAP")
    expect(unknown.message).toContain(`azure_kv ${kv.vaultUrl}/keys/nope/0123456789abcdef0123456789abcdef`)
    expect(unknown.message).toContain("key not found (HTTP 404 KeyNotFound")
    const noVersion = await failure(svc.decrypt({ ...keyFor("sops", "ffffffffffffffffffffffffffffffff"), enc: "AAAA" }))
    expect(noVersion.code).toBe("ERR_KEY_FAILED")
    expect(noVersion.details).toMatchObject({ status: 404, azureCode: "KeyNotFound" })
  })

  it("a key the caller may not use is access denied", async () => {
    const err = await failure(serviceFor(kv).encrypt(keyFor("locked"), DATA_KEY))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("access denied (HTTP 403 Forbidden")
  })

  it("a token for the wrong audience is refused (401 after the challenge)", async () => {
    const svc = azureKeyVaultKeyService({
      credential: { getToken: async () => ({ token: "token-for-management.azure.com", expiresOnTimestamp: Date.now() + 3_600_000 }) },
      clientOptions: { agent: kv.agent },
    })
    const err = await failure(svc.encrypt(keyFor(), DATA_KEY))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("not authenticated (HTTP 401")
  })

  it("no usable credential makes the key unavailable", async () => {
    const unavailable = Object.assign(new Error("EnvironmentCredential is unavailable"), { name: "CredentialUnavailableError" })
    const svc = azureKeyVaultKeyService({
      credential: { getToken: async () => Promise.reject(unavailable) },
      clientOptions: { agent: kv.agent },
      maxAttempts: 1,
    })
    const err = await failure(svc.decrypt({ ...keyFor(), enc: "AAAA" }))
    expect(err.code).toBe("ERR_KEY_UNAVAILABLE")
    expect(err.message).toContain("no Azure credential is available")
  })

  it("retries throttling (429 with Retry-After) and 503, then succeeds", async () => {
    const svc = serviceFor(kv)
    const key = keyFor()
    await svc.encrypt(key, DATA_KEY) // authenticate first so only throttled calls follow
    const before = kv.calls.length
    kv.throttle(2, 429)
    const enc = await svc.encrypt(key, DATA_KEY)
    kv.throttle(1, 503)
    expect(await svc.decrypt({ ...key, enc })).toEqual(DATA_KEY)
    expect(callsSince(before).map((c) => c.status)).toEqual([429, 429, 200, 503, 200])
  })

  it("gives up after maxAttempts when throttling persists", async () => {
    const svc = serviceFor(kv, { maxAttempts: 2 })
    const key = keyFor()
    await svc.encrypt(key, DATA_KEY)
    kv.throttle(5, 429)
    const err = await failure(svc.encrypt(key, DATA_KEY))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("throttled (HTTP 429 Throttled")
  })

  it("times out after timeoutMs as a key failure", async () => {
    kv.setLatency(3_000)
    const err = await failure(serviceFor(kv, { timeoutMs: 150 }).encrypt(keyFor(), DATA_KEY))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("did not answer within 150 ms")
  })

  it("the caller's AbortSignal aborts with ERR_ABORTED", async () => {
    kv.setLatency(3_000)
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 50)
    const err = await failure(serviceFor(kv).decrypt({ ...keyFor(), enc: "AAAA" }, { signal: ac.signal }))
    expect(err.code).toBe("ERR_ABORTED")
  })

  it("a stopped vault is a network failure", async () => {
    const down = await startAzureKvEmulator()
    const key = newAzureKvKey(down.loopbackUrl, "sops", down.keyVersion("sops"))
    const svc = azureKeyVaultKeyService({
      credential: down.credential,
      retryDelayMs: 1,
      maxAttempts: 2,
      clientOptions: { tlsOptions: { ca: down.caPem }, disableChallengeResourceVerification: true },
    })
    await down.stop()
    const err = await failure(svc.decrypt({ ...key, enc: "AAAA" }))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain("cannot reach Azure Key Vault (ECONNREFUSED)")
  })

  it("refuses a malformed enc or a non-https vault URL without a request", async () => {
    const before = kv.calls.length
    const svc = serviceFor(kv)
    for (const enc of ["AAAA==", "AA+/", "A", ""]) {
      expect((await failure(svc.decrypt({ ...keyFor(), enc }))).code).toBe("ERR_KEY_FAILED")
    }
    const plain = newAzureKvKey("http://sops-test.vault.azure.net", "sops", "v")
    expect((await failure(svc.encrypt(plain, DATA_KEY))).message).toContain("must be https://")
    expect(kv.calls.length).toBe(before)
  })
})

describe("unpadded base64url", () => {
  it("round-trips and rejects padding, the standard alphabet and non-canonical tails", () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf, 0x00, 0x01])
    expect(toRawBase64Url(bytes)).toBe("-_-_AAE")
    expect(fromRawBase64Url("-_-_AAE")).toEqual(bytes)
    expect(fromRawBase64Url("-_-_AAE=")).toBeNull()
    expect(fromRawBase64Url("+/+/AAE")).toBeNull()
    expect(fromRawBase64Url("-_-_AAF")).toBeNull()
    expect(fromRawBase64Url("A")).toBeNull()
  })
})
