/**
 * The emulator checks what AWS checks, so the provider tests can fail for the right reasons:
 * unsigned and half-signed requests, tampered bodies, stale signatures, session tokens.
 */
import { EncryptCommand, KMSClient } from "@aws-sdk/client-kms"
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts"
import { startAwsKmsEmulator, TEST_AWS_ACCOUNT, TEST_AWS_CREDENTIALS, TEST_KMS_KEY_ARN, type AwsKmsEmulator } from "@sops-ts/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { isolateAwsEnvironment } from "./helpers.js"

const ROLE = `arn:aws:iam::${TEST_AWS_ACCOUNT}:role/r`
let env: ReturnType<typeof isolateAwsEnvironment>
let aws: AwsKmsEmulator

beforeAll(async () => {
  env = isolateAwsEnvironment()
  aws = await startAwsKmsEmulator({ roles: [{ arn: ROLE }], keys: [{ arn: TEST_KMS_KEY_ARN, allow: [ROLE, TEST_AWS_CREDENTIALS.accessKeyId] }] })
})
afterAll(async () => {
  await aws.stop()
  env.restore()
})

function kms(extra: Partial<ConstructorParameters<typeof KMSClient>[0]> = {}): KMSClient {
  return new KMSClient({ endpoint: aws.url, region: "us-east-1", credentials: TEST_AWS_CREDENTIALS, maxAttempts: 1, ...extra })
}

const encrypt = new EncryptCommand({ KeyId: TEST_KMS_KEY_ARN, Plaintext: new Uint8Array(32) })

async function kmsError(client: KMSClient): Promise<{ name: string; message: string }> {
  try {
    await client.send(encrypt)
  } catch (err) {
    return err as { name: string; message: string }
  } finally {
    client.destroy()
  }
  throw new Error("expected an error")
}

describe("KMS JSON protocol", () => {
  it("refuses an unsigned request with the JSON error shape", async () => {
    const res = await fetch(aws.url, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.Encrypt" },
      body: "{}",
    })
    expect(res.status).toBe(400)
    expect(res.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException")
    expect(await res.json()).toMatchObject({ __type: "MissingAuthenticationTokenException" })
  })

  it("answers as AWS front ends do: a Content-Length (not chunked) and its own Date", async () => {
    const skewed = await startAwsKmsEmulator({ now: () => new Date("2030-01-02T03:04:05Z") })
    try {
      const res = await fetch(skewed.url, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.Encrypt" },
        body: "{}",
      })
      const text = await res.text()
      expect(res.headers.get("transfer-encoding")).toBeNull()
      expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(text)))
      expect(res.headers.get("date")).toBe("Wed, 02 Jan 2030 03:04:05 GMT")
    } finally {
      await skewed.stop()
    }
  })

  it("refuses an Authorization header without its parts (IncompleteSignatureException)", async () => {
    const res = await fetch(aws.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "TrentService.Encrypt",
        authorization: `AWS4-HMAC-SHA256 Credential=${TEST_AWS_CREDENTIALS.accessKeyId}/20240101/us-east-1/kms/aws4_request`,
      },
      body: "{}",
    })
    expect(((await res.json()) as { __type: string }).__type).toBe("IncompleteSignatureException")
  })

  it("refuses a body changed after signing", async () => {
    const client = kms()
    client.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { body: string }
        // Same length, so only the signature can notice.
        req.body = req.body.replace('"KeyId"', '"KeyID"')
        return next(args)
      },
      { step: "deserialize", name: "tamperAfterSigning" },
    )
    expect((await kmsError(client)).name).toBe("InvalidSignatureException")
  })

  it("refuses a signature made with a clock 20 minutes off", async () => {
    const skewed = await startAwsKmsEmulator({ now: () => new Date(Date.now() + 20 * 60 * 1000) })
    const client = new KMSClient({ endpoint: skewed.url, region: "us-east-1", credentials: TEST_AWS_CREDENTIALS, maxAttempts: 1 })
    const err = await kmsError(client)
    await skewed.stop()
    expect(err.name).toBe("InvalidSignatureException")
    expect(err.message).toContain("Signature expired")
  })

  it("refuses a signature scoped to another service", async () => {
    const client = kms({ signingName: "s3" } as Partial<ConstructorParameters<typeof KMSClient>[0]>)
    const err = await kmsError(client)
    expect(err.name).toBe("InvalidSignatureException")
  })

  it("accepts a correctly signed request", async () => {
    const client = kms()
    const out = await client.send(encrypt)
    client.destroy()
    expect(out.KeyId).toBe(TEST_KMS_KEY_ARN)
    expect(out.CiphertextBlob!.length).toBeGreaterThan(32 + 16)
  })
})

describe("STS AssumeRole (query protocol)", () => {
  it("issues temporary credentials that KMS accepts only with their session token", async () => {
    const sts = new STSClient({ endpoint: aws.url, region: "us-east-1", credentials: TEST_AWS_CREDENTIALS, maxAttempts: 1 })
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: "sops@test" }))
    sts.destroy()
    const c = out.Credentials!
    expect(c.AccessKeyId).toMatch(/^ASIA/)
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${TEST_AWS_ACCOUNT}:assumed-role/r/sops@test`)
    expect(c.Expiration!.getTime()).toBeGreaterThan(Date.now())

    const withToken = kms({ credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } })
    expect((await withToken.send(encrypt)).KeyId).toBe(TEST_KMS_KEY_ARN)
    withToken.destroy()

    const noToken = kms({ credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey! } })
    expect((await kmsError(noToken)).name).toBe("UnrecognizedClientException")
    const wrongToken = kms({ credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: "forged" } })
    expect((await kmsError(wrongToken)).name).toBe("UnrecognizedClientException")
  })

  it("rejects a session name STS would reject, and a wrong secret with SignatureDoesNotMatch", async () => {
    const sts = new STSClient({ endpoint: aws.url, region: "us-east-1", credentials: TEST_AWS_CREDENTIALS, maxAttempts: 1 })
    await expect(sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: "has space" }))).rejects.toMatchObject({
      name: "ValidationError",
    })
    sts.destroy()
    const bad = new STSClient({
      endpoint: aws.url,
      region: "us-east-1",
      credentials: { ...TEST_AWS_CREDENTIALS, secretAccessKey: "wrong" },
      maxAttempts: 1,
    })
    await expect(bad.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: "sops@x" }))).rejects.toMatchObject({
      name: "SignatureDoesNotMatch",
    })
    bad.destroy()
  })
})
