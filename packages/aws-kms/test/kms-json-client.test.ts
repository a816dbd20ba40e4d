/**
 * The KMS calls sent without the SDK's middleware pipeline (kms-json-client.ts) must be the
 * calls the SDK itself would send, and fail with the errors the SDK itself would throw. Each
 * test sends the same call both ways through the same client and compares.
 */
import { InvalidCiphertextException, KMSClient, KMSServiceException, NotFoundException, type KMSClientConfig } from "@aws-sdk/client-kms"
import { writeFileSync } from "node:fs"
import { newKmsKey } from "@sops-ts/core"
import { startAwsKmsEmulator, TEST_AWS_CREDENTIALS, TEST_KMS_KEY_ARN } from "@sops-ts/testkit"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { SdkHttpRequest, SdkHttpResponse } from "../src/http-handler.js"
import { awsKmsKeyService } from "../src/index.js"
import { KmsJsonClient, sdkKmsCaller, type KmsCaller, type KmsTransport } from "../src/kms-json-client.js"
import { isolateAwsEnvironment } from "./helpers.js"

let env: ReturnType<typeof isolateAwsEnvironment>
beforeEach(() => {
  env = isolateAwsEnvironment()
})
afterEach(() => env.restore())

/** A transport that records each request and answers with a fixed response. */
class Recorder implements KmsTransport {
  readonly requests: SdkHttpRequest[] = []
  constructor(private readonly answer: () => SdkHttpResponse) {}
  handle(request: SdkHttpRequest): Promise<{ response: SdkHttpResponse }> {
    this.requests.push(request)
    return Promise.resolve({ response: this.answer() })
  }
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): SdkHttpResponse => ({
  statusCode,
  headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "req-1", ...headers },
  body: new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body)),
})

const PLAINTEXT = new Uint8Array(32).map((_, i) => i * 7)
const CIPHERTEXT = new Uint8Array(48).map((_, i) => 255 - i)
const decryptAnswer = (): SdkHttpResponse =>
  json(200, { KeyId: TEST_KMS_KEY_ARN, Plaintext: Buffer.from(PLAINTEXT).toString("base64"), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" })

/** One client, a recorder as its transport, and both ways of calling through it. */
function bothWays(config: KMSClientConfig, answer: () => SdkHttpResponse = decryptAnswer): { recorder: Recorder; sdk: KmsCaller; direct: KmsCaller } {
  const recorder = new Recorder(answer)
  const client = new KMSClient({ credentials: TEST_AWS_CREDENTIALS, maxAttempts: 1, ...config, requestHandler: recorder })
  return { recorder, sdk: sdkKmsCaller(client), direct: new KmsJsonClient(client, recorder) }
}

/** What decides where a request goes and how the service reads it. */
function essentials(r: SdkHttpRequest): object {
  const auth = r.headers["authorization"] ?? ""
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth)
  const signed = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(";") ?? []
  return {
    method: r.method,
    protocol: r.protocol,
    hostname: r.hostname,
    port: r.port,
    path: r.path,
    query: Object.keys(r.query ?? {}).length === 0 ? {} : r.query,
    target: r.headers["x-amz-target"],
    contentType: r.headers["content-type"],
    host: r.headers["host"],
    scope: scope?.slice(1),
    signsHostAndDate: signed.includes("host") && signed.includes("x-amz-date"),
    sessionToken: r.headers["x-amz-security-token"],
    body: JSON.parse(String(r.body)),
  }
}

const input = { keyId: TEST_KMS_KEY_ARN, ciphertext: CIPHERTEXT, context: { team: "payments", env: "prod" } }

describe("requests", () => {
  // Each case names the host it must reach, so that a case cannot pass by both ways ignoring
  // the setting it is about.
  const none = (): void => undefined
  const cases: Array<[string, KMSClientConfig, () => void, string]> = [
    ["a commercial region", { region: "eu-west-1" }, none, "kms.eu-west-1.amazonaws.com"],
    ["a China region", { region: "cn-north-1" }, none, "kms.cn-north-1.amazonaws.com.cn"],
    ["GovCloud with FIPS endpoints", { region: "us-gov-west-1", useFipsEndpoint: true }, none, "kms-fips.us-gov-west-1.amazonaws.com"],
    ["dual-stack endpoints", { region: "ap-southeast-2", useDualstackEndpoint: true }, none, "kms.ap-southeast-2.api.aws"],
    ["a custom endpoint with a path", { region: "eu-central-1", endpoint: "http://127.0.0.1:4566/kms-proxy" }, none, "127.0.0.1"],
    ["a custom endpoint with a path and a query", { region: "eu-central-1", endpoint: "http://127.0.0.1:4566/kms/?tenant=a&x=1" }, none, "127.0.0.1"],
    ["AWS_ENDPOINT_URL_KMS", { region: "us-east-2" }, () => (process.env["AWS_ENDPOINT_URL_KMS"] = "https://kms.internal.example:8443"), "kms.internal.example"],
    [
      "the services endpoint_url of AWS_PROFILE's profile",
      { region: "us-west-2" },
      () => {
        writeFileSync(
          process.env["AWS_CONFIG_FILE"]!,
          "[profile vpc]\nservices = vpc-endpoints\n\n[services vpc-endpoints]\nkms =\n  endpoint_url = https://vpce-1.kms.us-west-2.vpce.amazonaws.com\n",
        )
        process.env["AWS_PROFILE"] = "vpc"
      },
      "vpce-1.kms.us-west-2.vpce.amazonaws.com",
    ],
    [
      "temporary credentials (session token)",
      { region: "us-east-1", credentials: { ...TEST_AWS_CREDENTIALS, sessionToken: "session-token-1" } },
      none,
      "kms.us-east-1.amazonaws.com",
    ],
  ]
  for (const [name, config, prepare, host] of cases) {
    it(`goes where the SDK sends it, signed for the same scope: ${name}`, async () => {
      prepare()
      const { recorder, sdk, direct } = bothWays(config)
      expect(await sdk.decrypt(input, undefined)).toEqual(PLAINTEXT)
      expect(await direct.decrypt(input, undefined)).toEqual(PLAINTEXT)
      const [viaSdk, viaDirect] = recorder.requests.map(essentials)
      expect(viaDirect).toEqual(viaSdk)
      expect(recorder.requests[1]!.hostname).toBe(host)
    })
  }

  it("writes Encrypt as the SDK does (base64 plaintext, context, target)", async () => {
    const { recorder, sdk, direct } = bothWays({ region: "eu-west-1" }, () =>
      json(200, { KeyId: TEST_KMS_KEY_ARN, CiphertextBlob: Buffer.from(CIPHERTEXT).toString("base64") }),
    )
    const enc = { keyId: TEST_KMS_KEY_ARN, plaintext: PLAINTEXT, context: { a: "1" } }
    expect(await sdk.encrypt(enc, undefined)).toEqual(CIPHERTEXT)
    expect(await direct.encrypt(enc, undefined)).toEqual(CIPHERTEXT)
    const [viaSdk, viaDirect] = recorder.requests.map(essentials)
    expect(viaDirect).toEqual(viaSdk)
  })

  it("wipes the bytes of a Decrypt answer (the data key in base64) once parsed", async () => {
    const answers: SdkHttpResponse[] = []
    const { direct } = bothWays({ region: "eu-west-1" }, () => {
      const a = decryptAnswer()
      answers.push(a)
      return a
    })
    expect(await direct.decrypt(input, undefined)).toEqual(PLAINTEXT)
    expect(answers[0]!.body.length).toBeGreaterThan(0)
    expect(answers[0]!.body.every((b) => b === 0)).toBe(true)
  })

  it("leaves EncryptionContext out when there is none", async () => {
    const { recorder, direct } = bothWays({ region: "eu-west-1" })
    await direct.decrypt({ keyId: TEST_KMS_KEY_ARN, ciphertext: CIPHERTEXT }, undefined)
    expect(JSON.parse(String(recorder.requests[0]!.body))).toEqual({ KeyId: TEST_KMS_KEY_ARN, CiphertextBlob: Buffer.from(CIPHERTEXT).toString("base64") })
  })
})

describe("answers", () => {
  const errorAnswers: Array<[string, () => SdkHttpResponse]> = [
    ["a modeled error named in x-amzn-errortype", () => json(400, { __type: "NotFoundException", message: "Key 'x' does not exist" }, { "x-amzn-errortype": "NotFoundException" })],
    ["a modeled error named only in __type, with a namespace", () => json(400, { __type: "com.amazonaws.kms#IncorrectKeyException", message: "wrong key" })],
    ["AccessDeniedException (which KMS does not model)", () => json(400, { __type: "AccessDeniedException", message: "not allowed" })],
    ["a capitalised Message", () => json(400, { __type: "InvalidCiphertextException", Message: "bad blob" })],
    ["a server fault", () => json(500, { __type: "KMSInternalException", message: "internal" })],
    ["an error KMS does not model (throttling)", () => json(400, { __type: "ThrottlingException", message: "Rate exceeded" })],
    ["an empty body", () => ({ statusCode: 400, headers: {}, body: new Uint8Array(0) })],
    ["an error type with a suffix", () => json(400, { message: "x" }, { "x-amzn-errortype": "DisabledException:http://internal.amazon.com/" })],
  ]
  for (const [name, answer] of errorAnswers) {
    it(`fails with the SDK's own exception: ${name}`, async () => {
      const { sdk, direct } = bothWays({ region: "eu-west-1" }, answer)
      const viaSdk = await sdk.decrypt(input, undefined).then(() => null, (e: unknown) => e)
      const viaDirect = await direct.decrypt(input, undefined).then(() => null, (e: unknown) => e)
      expect(viaSdk).toBeInstanceOf(KMSServiceException)
      expect(viaDirect).toBeInstanceOf((viaSdk as object).constructor)
      const view = (e: unknown): object => {
        const x = e as KMSServiceException
        return { name: x.name, message: x.message, fault: x.$fault, status: x.$metadata.httpStatusCode, requestId: x.$metadata.requestId }
      }
      expect(view(viaDirect)).toEqual(view(viaSdk))
    })
  }

  it("a proxy's error page (not JSON) keeps its HTTP status, so a 503 is retried as with the SDK", async () => {
    const page = (): SdkHttpResponse => ({ statusCode: 503, headers: { "content-type": "text/html" }, body: new TextEncoder().encode("<html>busy</html>") })
    const { sdk, direct } = bothWays({ region: "eu-west-1" }, page)
    // The SDK throws its JSON parser's SyntaxError here, with the status in $metadata.
    await expect(sdk.decrypt(input, undefined)).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } })
    const err = await direct.decrypt(input, undefined).then(() => null, (e: unknown) => e as KMSServiceException)
    expect(err).toBeInstanceOf(KMSServiceException)
    expect(err).toMatchObject({ name: "Unknown", $fault: "server", $metadata: { httpStatusCode: 503 } })
    expect(err?.message).toBe("HTTP 503 answer that is not KMS JSON (text/html)")
  })

  it("the modeled classes are the SDK's (instanceof works for callers)", async () => {
    const notFound = bothWays({ region: "eu-west-1" }, () => json(400, { __type: "NotFoundException", message: "gone" })).direct
    await expect(notFound.decrypt(input, undefined)).rejects.toBeInstanceOf(NotFoundException)
    const invalid = bothWays({ region: "eu-west-1" }, () => json(400, { __type: "InvalidCiphertextException", message: "no" })).direct
    await expect(invalid.decrypt(input, undefined)).rejects.toBeInstanceOf(InvalidCiphertextException)
  })

  it("a body that is not JSON, or a Plaintext that is not base64, is an invalid answer", async () => {
    const html = bothWays({ region: "eu-west-1" }, () => json(200, "<html>proxy</html>")).direct
    await expect(html.decrypt(input, undefined)).rejects.toMatchObject({ name: "InvalidResponse", $metadata: { httpStatusCode: 200 } })
    const notBase64 = bothWays({ region: "eu-west-1" }, () => json(200, { Plaintext: "%%%" })).direct
    await expect(notBase64.decrypt(input, undefined)).rejects.toMatchObject({ name: "InvalidResponse" })
  })

  it("a Decrypt answer cut short is wiped and not attached to the error (it may hold the data key)", async () => {
    const answers: SdkHttpResponse[] = []
    const { direct } = bothWays({ region: "eu-west-1" }, () => {
      const a = json(200, `{"Plaintext":"${Buffer.from(PLAINTEXT).toString("base64")}`)
      answers.push(a)
      return a
    })
    const err = await direct.decrypt(input, undefined).then(() => null, (e: unknown) => e as KMSServiceException)
    expect(err).toMatchObject({ name: "InvalidResponse", $metadata: { httpStatusCode: 200 } })
    expect((err as { $response?: unknown }).$response).toBeUndefined()
    expect(answers[0]!.body.every((b) => b === 0)).toBe(true)
  })

  it("an answer without Plaintext gives undefined (the key service reports it)", async () => {
    const { direct } = bothWays({ region: "eu-west-1" }, () => json(200, { KeyId: TEST_KMS_KEY_ARN }))
    expect(await direct.decrypt(input, undefined)).toBeUndefined()
  })

  it("an endpoint that cannot be resolved fails the call, and is resolved again on the next one", async () => {
    let region = "not a region!"
    const recorder = new Recorder(decryptAnswer)
    const client = new KMSClient({ region: () => Promise.resolve(region), credentials: TEST_AWS_CREDENTIALS, maxAttempts: 1, requestHandler: recorder })
    const direct = new KmsJsonClient(client, recorder)
    await expect(direct.decrypt(input, undefined)).rejects.toThrow()
    expect(recorder.requests).toHaveLength(0)
    region = "eu-west-1"
    expect(await direct.decrypt(input, undefined)).toEqual(PLAINTEXT)
    expect(recorder.requests[0]!.hostname).toBe("kms.eu-west-1.amazonaws.com")
  })
})

describe("clock skew", () => {
  it("a request refused for a skewed clock is corrected from the answer's Date and sent again", async () => {
    // The service's clock is 20 minutes ahead: beyond the 15 minutes AWS allows.
    const emulator = await startAwsKmsEmulator({ now: () => new Date(Date.now() + 20 * 60_000) })
    const kms = awsKmsKeyService({ endpoint: emulator.url, credentials: TEST_AWS_CREDENTIALS, retryDelayMs: 0 })
    try {
      const key = newKmsKey({ arn: TEST_KMS_KEY_ARN })
      // The AWS KMS service wraps to a string (the base64 CiphertextBlob).
      const enc = (await kms.encrypt(key, PLAINTEXT)) as string
      expect(emulator.calls.map((c) => c.result)).toEqual(["InvalidSignatureException", "ok"])
      // The corrected offset is kept: the next call is signed right the first time.
      expect(await kms.decrypt({ ...key, enc })).toEqual(PLAINTEXT)
      expect(emulator.calls.map((c) => c.result)).toEqual(["InvalidSignatureException", "ok", "ok"])
    } finally {
      kms.close()
      await emulator.stop()
    }
  })

  it("is not corrected when the client disables clock-skew correction", async () => {
    const recorder = new Recorder(() => json(400, { __type: "InvalidSignatureException", message: "Signature expired" }, { date: new Date(Date.now() + 20 * 60_000).toUTCString() }))
    const client = new KMSClient({
      region: "eu-west-1",
      credentials: TEST_AWS_CREDENTIALS,
      maxAttempts: 1,
      requestHandler: recorder,
      disableClockSkewCorrection: true,
    } as KMSClientConfig)
    const direct = new KmsJsonClient(client, recorder)
    const err = await direct.decrypt(input, undefined).then(() => null, (e: unknown) => e as KMSServiceException)
    expect(err?.name).toBe("InvalidSignatureException")
    expect((err?.$metadata as { clockSkewCorrected?: boolean }).clockSkewCorrected).toBeUndefined()
    expect((client.config as unknown as { systemClockOffset: number }).systemClockOffset).toBe(0)
  })
})
