/**
 * The AWS KMS key service driving the real AWS SDK against the loopback emulator: round
 * trips, what sops stores in `enc`, and every failure path (bad signature, context mismatch,
 * key policy, unknown key, throttling, timeout, abort, service down).
 */
import { DecryptCommand, KMSClient } from "@aws-sdk/client-kms"
import { isSopsError, type SopsError } from "@sops-ts/core"
import { startAwsKmsEmulator, TEST_AWS_ACCOUNT, TEST_AWS_CREDENTIALS, TEST_KMS_KEY_ARN, type AwsKmsEmulator } from "@sops-ts/testkit"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { awsKmsKeyService, keyServiceFromEnv, type AwsKmsKeyService, type AwsKmsKeyServiceOptions } from "@sops-ts/aws-kms"
import { dataKey, isolateAwsEnvironment, kmsKey, withEnc } from "./helpers.js"

const EU_KEY = `arn:aws:kms:eu-west-2:${TEST_AWS_ACCOUNT}:key/5d1c9a3e-4b7f-4e2a-8c6d-0f1e2d3c4b5a`
const EU_ALIAS = `arn:aws:kms:eu-west-2:${TEST_AWS_ACCOUNT}:alias/sops`
const LOCKED_KEY = `arn:aws:kms:us-east-1:${TEST_AWS_ACCOUNT}:key/9a8b7c6d-0000-4000-8000-000000000001`
const OTHER_USER = { accessKeyId: "AKIAEMULATOROTHER001", secretAccessKey: "otherSecret/000000000000000000000000000" }
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

let env: ReturnType<typeof isolateAwsEnvironment>
let aws: AwsKmsEmulator
const services: AwsKmsKeyService[] = []

/** A key service against the emulator, with fast retries unless told otherwise. */
function service(extra: AwsKmsKeyServiceOptions = {}): AwsKmsKeyService {
  const s = awsKmsKeyService({ endpoint: aws.url, credentials: TEST_AWS_CREDENTIALS, retryDelayMs: 1, ...extra })
  services.push(s)
  return s
}

async function failure(p: Promise<unknown>): Promise<SopsError> {
  try {
    await p
  } catch (err) {
    if (isSopsError(err)) return err
    throw new Error(`expected a SopsError, got ${String(err)}`)
  }
  throw new Error("expected the operation to fail")
}

beforeAll(async () => {
  env = isolateAwsEnvironment()
  aws = await startAwsKmsEmulator({
    users: [TEST_AWS_CREDENTIALS, OTHER_USER],
    keys: [
      { arn: TEST_KMS_KEY_ARN },
      { arn: EU_KEY, aliases: ["alias/sops"] },
      { arn: LOCKED_KEY, allow: [OTHER_USER.accessKeyId] },
    ],
  })
})
afterEach(() => {
  for (const s of services.splice(0)) s.close()
})
afterAll(async () => {
  await aws.stop()
  env.restore()
})

describe("round trip through the AWS SDK", () => {
  it("wraps and unwraps a data key; enc is the padded standard base64 of the CiphertextBlob", async () => {
    const svc = service()
    const key = kmsKey(TEST_KMS_KEY_ARN)
    const enc = await svc.encrypt(key, dataKey())
    expect(enc).toMatch(STD_BASE64)
    expect(await svc.decrypt(withEnc(key, enc))).toEqual(dataKey())

    // Independent check of the `enc` encoding: the raw SDK decrypts base64-decoded enc.
    const raw = new KMSClient({ endpoint: aws.url, region: "us-east-1", credentials: TEST_AWS_CREDENTIALS })
    const out = await raw.send(new DecryptCommand({ CiphertextBlob: Buffer.from(enc, "base64") }))
    raw.destroy()
    expect(new Uint8Array(out.Plaintext!)).toEqual(dataKey())
  })

  it("wraps 33-byte Shamir shares too", async () => {
    const svc = service()
    const key = kmsKey(TEST_KMS_KEY_ARN)
    const share = Uint8Array.from({ length: 33 }, (_, i) => 255 - i)
    expect(await svc.decrypt(withEnc(key, await svc.encrypt(key, share)))).toEqual(share)
  })

  it("calls the region named in the ARN, with the ARN as KeyId and the context attached", async () => {
    const svc = service()
    const key = kmsKey(EU_KEY, { context: { app: "billing", env: "prod" } })
    const enc = await svc.encrypt(key, dataKey(2))
    await svc.decrypt(withEnc(key, enc))
    const [e, d] = aws.calls.slice(-2)
    for (const call of [e!, d!]) {
      expect(call.region).toBe("eu-west-2")
      expect(call.keyId).toBe(EU_KEY)
      expect(call.encryptionContext).toEqual({ app: "billing", env: "prod" })
      expect(call.result).toBe("ok")
    }
    expect([e!.operation, d!.operation]).toEqual(["Encrypt", "Decrypt"])
  })

  it("accepts alias ARNs", async () => {
    const svc = service()
    const key = kmsKey(EU_ALIAS)
    expect(await svc.decrypt(withEnc(key, await svc.encrypt(key, dataKey(3))))).toEqual(dataKey(3))
  })

  it("uses a client from clientFor when given, with the ARN's region", async () => {
    const seen: string[] = []
    const client = new KMSClient({ endpoint: aws.url, region: "eu-west-2", credentials: TEST_AWS_CREDENTIALS })
    const svc = awsKmsKeyService({
      clientFor: (region) => {
        seen.push(region)
        return client
      },
    })
    const key = kmsKey(EU_KEY)
    expect(await svc.decrypt(withEnc(key, await svc.encrypt(key, dataKey(4))))).toEqual(dataKey(4))
    expect(seen).toEqual(["eu-west-2", "eu-west-2"])
    client.destroy()
  })

  it("supports only kms keys", () => {
    const svc = service()
    expect(svc.supports(kmsKey(TEST_KMS_KEY_ARN))).toBe(true)
    expect(svc.supports({ type: "age", recipient: "age1x", enc: "" })).toBe(false)
  })
})

describe("failures name the key and the reason", () => {
  let enc = ""
  beforeAll(async () => {
    const s = awsKmsKeyService({ endpoint: aws.url, credentials: TEST_AWS_CREDENTIALS })
    enc = await s.encrypt(kmsKey(TEST_KMS_KEY_ARN, { context: { env: "prod" } }), dataKey())
    s.close()
  })

  it("a client with the wrong secret key is refused by the signature check", async () => {
    const svc = service({ credentials: { ...TEST_AWS_CREDENTIALS, secretAccessKey: "not-the-secret-0000000000000000000000000" } })
    const err = await failure(svc.decrypt(withEnc(kmsKey(TEST_KMS_KEY_ARN, { context: { env: "prod" } }), enc)))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain(TEST_KMS_KEY_ARN)
    expect(err.message).toContain("InvalidSignatureException")
    expect(err.message).not.toContain("not-the-secret")
    expect(aws.calls.at(-1)!.result).toBe("InvalidSignatureException")
  })

  it("an unknown access key is refused", async () => {
    const svc = service({ credentials: { accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: "x".repeat(40) } })
    const err = await failure(svc.decrypt(withEnc(kmsKey(TEST_KMS_KEY_ARN, { context: { env: "prod" } }), enc)))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain("UnrecognizedClientException")
  })

  it("a different encryption context does not open the ciphertext", async () => {
    const err = await failure(service().decrypt(withEnc(kmsKey(TEST_KMS_KEY_ARN, { context: { env: "dev" } }), enc)))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain("InvalidCiphertextException")
    expect(err.message).toContain("encryption context")
    expect(err.details).toMatchObject({ reason: "InvalidCiphertextException" })
    // No context at all is a mismatch as well.
    const none = await failure(service().decrypt(withEnc(kmsKey(TEST_KMS_KEY_ARN), enc)))
    expect(none.message).toContain("InvalidCiphertextException")
  })

  it("the key policy is enforced on encrypt (ERR_KEY_WRAP) and decrypt", async () => {
    const key = kmsKey(LOCKED_KEY)
    const wrap = await failure(service().encrypt(key, dataKey()))
    expect(wrap.code).toBe("ERR_KEY_WRAP")
    expect(wrap.message).toContain("AccessDeniedException")
    expect(wrap.message).toContain(LOCKED_KEY)

    const allowed = service({ credentials: OTHER_USER })
    const lockedEnc = await allowed.encrypt(key, dataKey(5))
    expect(await allowed.decrypt(withEnc(key, lockedEnc))).toEqual(dataKey(5))
    const unwrap = await failure(service().decrypt(withEnc(key, lockedEnc)))
    expect(unwrap.code).toBe("ERR_KEY_FAILED")
    expect(unwrap.details).toMatchObject({ key: LOCKED_KEY, reason: "AccessDeniedException", step: "kms:Decrypt" })
  })

  it("an unknown key is NotFoundException", async () => {
    const missing = `arn:aws:kms:us-east-1:${TEST_AWS_ACCOUNT}:key/00000000-0000-4000-8000-00000000dead`
    const err = await failure(service().encrypt(kmsKey(missing), dataKey()))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("NotFoundException")
    expect(err.message).toContain(missing)
  })

  it("a malformed enc fails before any network call", async () => {
    const before = aws.calls.length
    const err = await failure(service().decrypt(withEnc(kmsKey(TEST_KMS_KEY_ARN), "not base64!")))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain("not valid base64")
    const empty = await failure(service().decrypt(withEnc(kmsKey(TEST_KMS_KEY_ARN), "")))
    expect(empty.message).toContain("empty")
    expect(aws.calls.length).toBe(before)
  })

  it("a key with an ARN sops would not accept fails without a network call", async () => {
    const before = aws.calls.length
    const bogus = { ...kmsKey(TEST_KMS_KEY_ARN), arn: "arn:aws:s3:::bucket" }
    const err = await failure(service().encrypt(bogus, dataKey()))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("not a KMS key or alias ARN")
    expect(aws.calls.length).toBe(before)
  })
})

describe("connections", () => {
  // A service of its own: the calls must all be in flight together, and no earlier test's
  // slow requests may still be counted.
  let slow: AwsKmsEmulator
  const key = kmsKey(TEST_KMS_KEY_ARN)
  let enc = ""
  beforeAll(async () => {
    slow = await startAwsKmsEmulator()
    const s = awsKmsKeyService({ endpoint: slow.url, credentials: TEST_AWS_CREDENTIALS })
    enc = await s.encrypt(key, dataKey(4))
    s.close()
    slow.setLatency(200)
  })
  afterAll(async () => {
    await slow.stop()
  })

  async function decryptAtOnce(s: AwsKmsKeyService, n: number): Promise<void> {
    slow.resetPeakInFlight()
    const out = await Promise.all(Array.from({ length: n }, () => s.decrypt(withEnc(key, enc))))
    for (const k of out) expect(k).toEqual(dataKey(4))
  }

  it("puts 64 calls on the wire at once by default (the SDK alone stops at 50)", async () => {
    const s = awsKmsKeyService({ endpoint: slow.url, credentials: TEST_AWS_CREDENTIALS })
    services.push(s)
    await decryptAtOnce(s, 80)
    expect(slow.peakInFlight).toBe(64)
  })

  it("maxSockets bounds the calls on the wire; the others wait for a connection and succeed", async () => {
    const s = awsKmsKeyService({ endpoint: slow.url, credentials: TEST_AWS_CREDENTIALS, maxSockets: 3 })
    services.push(s)
    await decryptAtOnce(s, 10)
    expect(slow.peakInFlight).toBe(3)
  })

  it("the CLI's service (keyServiceFromEnv) lets the caller's own limit decide, well above 64", async () => {
    process.env["AWS_ENDPOINT_URL_KMS"] = slow.url
    process.env["AWS_ACCESS_KEY_ID"] = TEST_AWS_CREDENTIALS.accessKeyId
    process.env["AWS_SECRET_ACCESS_KEY"] = TEST_AWS_CREDENTIALS.secretAccessKey
    try {
      const s = keyServiceFromEnv({}) as AwsKmsKeyService
      services.push(s)
      await decryptAtOnce(s, 120)
      expect(slow.peakInFlight).toBe(120)
    } finally {
      delete process.env["AWS_ENDPOINT_URL_KMS"]
      delete process.env["AWS_ACCESS_KEY_ID"]
      delete process.env["AWS_SECRET_ACCESS_KEY"]
    }
  })

  it("maxSockets: Infinity puts every call on the wire at once", async () => {
    const s = awsKmsKeyService({ endpoint: slow.url, credentials: TEST_AWS_CREDENTIALS, maxSockets: Infinity })
    services.push(s)
    await decryptAtOnce(s, 100)
    expect(slow.peakInFlight).toBe(100)
  })

  it("refuses a maxSockets below 1", () => {
    expect(() => awsKmsKeyService({ maxSockets: 0 })).toThrow(/maxSockets/)
  })
})

describe("retries, deadlines and outages", () => {
  const key = kmsKey(TEST_KMS_KEY_ARN)
  let enc = ""
  beforeAll(async () => {
    const s = awsKmsKeyService({ endpoint: aws.url, credentials: TEST_AWS_CREDENTIALS })
    enc = await s.encrypt(key, dataKey(9))
    s.close()
  })

  it("retries throttling with backoff and then succeeds", async () => {
    aws.throttle(2, "Decrypt")
    const start = Date.now()
    const out = await service({ maxAttempts: 3, retryDelayMs: 100 }).decrypt(withEnc(key, enc))
    expect(out).toEqual(dataKey(9))
    expect(aws.calls.slice(-3).map((c) => c.result)).toEqual(["ThrottlingException", "ThrottlingException", "ok"])
    // Backoff: at least half of 100 ms, then half of 200 ms.
    expect(Date.now() - start).toBeGreaterThanOrEqual(150)
  })

  it("gives up after maxAttempts and reports the throttling", async () => {
    aws.throttle(3, "Decrypt")
    const before = aws.calls.length
    const err = await failure(service({ maxAttempts: 3 }).decrypt(withEnc(key, enc)))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain("ThrottlingException")
    expect(aws.calls.length - before).toBe(3)
  })

  it("retries a transient server error (5xx)", async () => {
    aws.fail(1, { code: "KMSInternalException", status: 500 }, "Decrypt")
    expect(await service().decrypt(withEnc(key, enc))).toEqual(dataKey(9))
    expect(aws.calls.slice(-2).map((c) => c.result)).toEqual(["KMSInternalException", "ok"])
  })

  it("does not retry a refusal (access denied, bad signature)", async () => {
    const before = aws.calls.length
    await failure(service({ maxAttempts: 5 }).decrypt(withEnc(kmsKey(LOCKED_KEY), enc)))
    expect(aws.calls.length - before).toBe(1)
  })

  it("a slow service hits the deadline: ERR_KEY_FAILED (so the next key is tried), not ERR_ABORTED", async () => {
    aws.setLatency(5_000)
    try {
      const err = await failure(service({ timeoutMs: 150 }).decrypt(withEnc(key, enc)))
      expect(err.code).toBe("ERR_KEY_FAILED")
      expect(err.message).toContain("within 150 ms")
      expect(err.details).toMatchObject({ reason: "timeout" })
    } finally {
      aws.setLatency(0)
    }
  })

  it("the caller's signal aborts with ERR_ABORTED", async () => {
    aws.setLatency(5_000)
    try {
      const ac = new AbortController()
      setTimeout(() => ac.abort(), 50)
      const err = await failure(service().decrypt(withEnc(key, enc), { signal: ac.signal }))
      expect(err.code).toBe("ERR_ABORTED")
      const pre = await failure(service().encrypt(key, dataKey(), { signal: AbortSignal.abort() }))
      expect(pre.code).toBe("ERR_ABORTED")
    } finally {
      aws.setLatency(0)
    }
  })

  it("a stopped service fails fast with connection refused (no retry delays)", async () => {
    const down = await startAwsKmsEmulator()
    // A retry would wait far longer than the test timeout, so finishing at all proves none happened.
    const svc = service({ endpoint: down.url, retryDelayMs: 600_000 })
    const k = kmsKey(TEST_KMS_KEY_ARN)
    const downEnc = await svc.encrypt(k, dataKey())
    await down.stop()
    const err = await failure(svc.decrypt(withEnc(k, downEnc)))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain("ECONNREFUSED")
    expect(err.details).toMatchObject({ reason: "ECONNREFUSED" })
  })

  it("no credentials at all is 'not my key' (ERR_KEY_UNAVAILABLE), not a failure", async () => {
    // The isolated environment has no credentials, no shared files and no instance metadata.
    const svc = awsKmsKeyService({ endpoint: aws.url })
    services.push(svc)
    const err = await failure(svc.decrypt(withEnc(key, enc)))
    expect(err.code).toBe("ERR_KEY_UNAVAILABLE")
    expect(err.message).toContain(TEST_KMS_KEY_ARN)
  })
})
