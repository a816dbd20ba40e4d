/**
 * The GCP KMS key service through the real `@google-cloud/kms` client, over gRPC and REST,
 * against the loopback emulator.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { SopsError, isSopsError } from "@sops-ts/core"
import { startGcpKmsEmulator, type GcpKmsEmulator } from "@sops-ts/testkit"
import type { GcpKmsKeyService } from "../src/index.js"
import { KEY, OTHER_KEY, TRANSPORTS, dataKey, gcpKey, serviceFor } from "./helpers.js"

async function failure(p: Promise<unknown>): Promise<SopsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SopsError)
  return err as SopsError
}

describe.each(TRANSPORTS)("over %s", (transport) => {
  let kms: GcpKmsEmulator
  const services: GcpKmsKeyService[] = []
  const svc = (extra?: Parameters<typeof serviceFor>[2]): GcpKmsKeyService => {
    const s = serviceFor(kms, transport, extra)
    services.push(s)
    return s
  }

  beforeAll(async () => {
    kms = await startGcpKmsEmulator({ keys: [KEY, OTHER_KEY] })
  })
  afterEach(async () => {
    kms.setDelay(0)
    kms.forbid(KEY, false)
    await Promise.all(services.splice(0).map((s) => s.close()))
  })
  afterAll(async () => {
    await kms.stop()
  })

  it("wraps and unwraps a data key; enc is standard base64 of the ciphertext", async () => {
    const s = svc()
    const enc = await s.encrypt(gcpKey(), dataKey())
    expect(enc).toMatch(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/)
    // 2-byte marker + version + IV + 32 bytes + tag: a real ciphertext, not the key itself
    expect(Buffer.from(enc, "base64").length).toBe(2 + 4 + 12 + 32 + 16)
    expect(await s.decrypt(gcpKey(KEY, enc))).toEqual(dataKey())
    const last = kms.calls.slice(-2)
    expect(last.map((c) => [c.transport, c.method, c.name, c.hadAuthorization])).toEqual([
      [transport, "Encrypt", KEY, true],
      [transport, "Decrypt", KEY, true],
    ])
  })

  it("wraps a 33-byte Shamir share", async () => {
    const share = Uint8Array.from({ length: 33 }, (_, i) => 255 - i)
    const s = svc()
    expect(await s.decrypt(gcpKey(KEY, await s.encrypt(gcpKey(), share)))).toEqual(share)
  })

  it("a ciphertext only opens under the key that made it", async () => {
    const s = svc()
    const enc = await s.encrypt(gcpKey(), dataKey())
    const err = await failure(s.decrypt(gcpKey(OTHER_KEY, enc)))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain(OTHER_KEY)
    expect(err.message).toContain("INVALID_ARGUMENT")
  })

  it("rejects a wrong token (UNAUTHENTICATED) without retrying", async () => {
    const before = kms.calls.length
    const err = await failure(svc({ accessToken: "ya29.wrong" }).encrypt(gcpKey(), dataKey()))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain(`gcp_kms ${KEY}`)
    expect(err.message).toContain("UNAUTHENTICATED")
    expect(err.details).toMatchObject({ key: KEY, status: "UNAUTHENTICATED", attempts: 1 })
    expect(kms.calls.length - before).toBe(1)
    expect(err.message).not.toContain("ya29.wrong")
  })

  it("rejects an empty token", async () => {
    const err = await failure(svc({ accessToken: "" }).decrypt(gcpKey(KEY, "AAAA")))
    expect(err.details).toMatchObject({ status: "UNAUTHENTICATED" })
  })

  it("reports an unknown key as NOT_FOUND", async () => {
    const missing = "projects/sops-ts/locations/global/keyRings/ring/cryptoKeys/missing"
    const err = await failure(svc().encrypt(gcpKey(missing), dataKey()))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain(missing)
    expect(err.details).toMatchObject({ status: "NOT_FOUND" })
  })

  it("reports a forbidden key as PERMISSION_DENIED with the permission it needs", async () => {
    const s = svc()
    const enc = await s.encrypt(gcpKey(), dataKey())
    kms.forbid(KEY)
    const err = await failure(s.decrypt(gcpKey(KEY, enc)))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.details).toMatchObject({ status: "PERMISSION_DENIED", attempts: 1 })
    expect(err.message).toContain("useToDecrypt")
  })

  it("retries throttling and unavailability, then succeeds", async () => {
    const s = svc({ maxAttempts: 4 })
    kms.failNext("RESOURCE_EXHAUSTED", 2, "Encrypt")
    kms.failNext("UNAVAILABLE", 1, "Encrypt")
    const before = kms.calls.length
    const enc = await s.encrypt(gcpKey(), dataKey())
    expect(kms.calls.slice(before).map((c) => c.status)).toEqual(["RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED", "UNAVAILABLE", "OK"])
    expect(await s.decrypt(gcpKey(KEY, enc))).toEqual(dataKey())
  })

  it("gives up after maxAttempts and says how often it tried", async () => {
    kms.failNext("RESOURCE_EXHAUSTED", 3, "Decrypt")
    const before = kms.calls.length
    const err = await failure(svc({ maxAttempts: 3 }).decrypt(gcpKey(KEY, "AAAA")))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain("after 3 attempts")
    expect(err.details).toMatchObject({ status: "RESOURCE_EXHAUSTED", attempts: 3 })
    expect(kms.calls.length - before).toBe(3)
  })

  it("makes exactly maxAttempts calls (the client library's own retries are off)", async () => {
    kms.failNext("UNAVAILABLE", 5, "Encrypt")
    const before = kms.calls.length
    const err = await failure(svc({ maxAttempts: 1 }).encrypt(gcpKey(), dataKey()))
    expect(err.details).toMatchObject({ status: "UNAVAILABLE", attempts: 1 })
    expect(kms.calls.length - before).toBe(1)
    // the four faults left are absorbed by a service that may try five times
    await svc({ maxAttempts: 5 }).encrypt(gcpKey(), dataKey())
  })

  it("times out a slow call as a key failure (so the next key can be tried)", async () => {
    kms.setDelay(1_500)
    const err = await failure(svc({ timeoutMs: 200 }).encrypt(gcpKey(), dataKey()))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("timed out after 200 ms")
  })

  it("stops at once with ERR_ABORTED when the caller aborts", async () => {
    kms.setDelay(1_500)
    const ac = new AbortController()
    setTimeout(() => ac.abort(new Error("user cancelled")), 100)
    const err = await failure(svc().decrypt(gcpKey(KEY, "AAAA"), { signal: ac.signal }))
    expect(err.code).toBe("ERR_ABORTED")
  })

  it("does not call the service for an already aborted signal", async () => {
    const before = kms.calls.length
    const err = await failure(svc().encrypt(gcpKey(), dataKey(), { signal: AbortSignal.abort() }))
    expect(err.code).toBe("ERR_ABORTED")
    expect(kms.calls.length).toBe(before)
  })

  it("rejects a malformed resource id before any call, as sops does", async () => {
    const before = kms.calls.length
    const err = await failure(svc().encrypt(gcpKey("projects/p/keyRings/r/cryptoKeys/k"), dataKey()))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("no valid resource ID")
    expect(kms.calls.length).toBe(before)
  })

  it("rejects an enc that is not standard base64 before any call", async () => {
    const before = kms.calls.length
    for (const enc of ["not base64!", "AAA", "AA-_", ""]) {
      const err = await failure(svc().decrypt(gcpKey(KEY, enc)))
      expect(err.code).toBe("ERR_KEY_FAILED")
    }
    expect(kms.calls.length).toBe(before)
  })
})

describe("service down", () => {
  it.each(TRANSPORTS)("over %s: retries, then fails with ERR_KEY_FAILED naming the key", async (transport) => {
    const kms = await startGcpKmsEmulator({ keys: [KEY] })
    const s = serviceFor(kms, transport, { maxAttempts: 2 })
    const enc = await s.encrypt(gcpKey(), dataKey())
    await kms.stop()
    try {
      const err = await failure(s.decrypt(gcpKey(KEY, enc)))
      expect(err.code).toBe("ERR_KEY_FAILED")
      expect(err.message).toContain(KEY)
      expect(err.details).toMatchObject({ status: "UNAVAILABLE", attempts: 2 })
    } finally {
      await s.close()
    }
  })
})

describe("key routing", () => {
  it("supports only gcp_kms keys and refuses others as unavailable", async () => {
    const s = serviceFor({ token: "t", grpcEndpoint: "127.0.0.1:1", restUrl: "http://127.0.0.1:1", caCert: "" } as GcpKmsEmulator, "rest")
    expect(s.supports(gcpKey())).toBe(true)
    const age = { type: "age" as const, recipient: "age1xyz", enc: "" }
    expect(s.supports(age)).toBe(false)
    const err = await s.decrypt(age).catch((e: unknown) => e)
    expect(isSopsError(err, "ERR_KEY_UNAVAILABLE")).toBe(true)
  })
})
