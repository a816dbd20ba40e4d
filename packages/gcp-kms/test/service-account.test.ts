/**
 * Service-account JSON keys end to end: the real `@google-cloud/kms` client with a key file
 * the emulator issued, over gRPC and REST.
 *
 * What the client library really does with such a key (google-auth-library 10, with the
 * `useJWTAccessWithScope` that GAPIC clients set): it never visits `token_uri`. It signs a
 * *self-signed JWT* (RS256, `kid` = private_key_id, `iss` = `sub` = client_email, one hour,
 * and `scope` = cloud-platform + cloudkms when the endpoint is overridden, or
 * `aud` = `https://cloudkms.googleapis.com/` on the default one) and sends it as the bearer
 * token, reusing it until near expiry. The emulator verifies that JWT as Google does. Its
 * token endpoint (`grant_type=…jwt-bearer`) is tested directly below, with the request gtoken
 * makes: gtoken posts to Google's fixed URL and ignores `token_uri`, so no library path here
 * reaches it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inspect } from "node:util"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { SopsError, decrypt, encodeStdBase64, encrypt } from "@sops-ts/core"
import {
  GCP_KMS_SCOPES,
  GOOGLE_TOKEN_URL,
  generateGcpServiceAccount,
  signGcpJwt,
  startGcpKmsEmulator,
  type GcpKmsEmulator,
  type GcpServiceAccountCredentials,
} from "@sops-ts/testkit"
import { gcpKmsKeyService, gcpKmsKeyServiceFromEnvironment, type GcpKmsKeyService, type GcpKmsKeyServiceOptions } from "../src/index.js"
import { KEY, TRANSPORTS, dataKey, gcpKey, type Transport } from "./helpers.js"

const PLAIN = "app:\n    db_password: hunter2\n    replicas: 3\n"
const SCOPE = GCP_KMS_SCOPES.join(" ")
const now = (): number => Math.floor(Date.now() / 1000)

async function failure(p: Promise<unknown>): Promise<SopsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SopsError)
  return err as SopsError
}

/** A line from the middle of the PEM body: key material that must never be echoed. */
function keyMaterial(account: GcpServiceAccountCredentials): string {
  return account.private_key.split("\n")[5]!
}

/** The error, its details and its whole cause chain hold neither the private key nor the data key. */
function expectNoSecrets(err: SopsError, account: GcpServiceAccountCredentials): void {
  const everything = `${err.message}\n${inspect(err, { depth: 12 })}`
  expect(everything).not.toContain("PRIVATE KEY")
  expect(everything).not.toContain(keyMaterial(account))
  expect(everything).not.toContain(encodeStdBase64(dataKey()))
}

describe.each(TRANSPORTS)("service-account JSON over %s", (transport: Transport) => {
  let kms: GcpKmsEmulator
  let account: GcpServiceAccountCredentials
  const services: GcpKmsKeyService[] = []
  const endpoint = (): string => (transport === "grpc" ? kms.grpcEndpoint : kms.restUrl)
  const svc = (extra: GcpKmsKeyServiceOptions): GcpKmsKeyService => {
    const s = gcpKmsKeyService({ transport, apiEndpoint: endpoint(), grpcRootCerts: kms.caCert, retryDelayMs: 1, timeoutMs: 5_000, ...extra })
    services.push(s)
    return s
  }

  beforeAll(async () => {
    kms = await startGcpKmsEmulator({ keys: [KEY] })
    account = kms.createServiceAccount()
  })
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.close()))
  })
  afterAll(async () => {
    await kms.stop()
  })

  it.each([
    ["a parsed object", () => account],
    ["JSON text", () => JSON.stringify(account)],
  ])("wraps and unwraps a data key with credentials as %s", async (_, creds) => {
    const s = svc({ credentials: creds() })
    const before = kms.calls.length
    const enc = await s.encrypt(gcpKey(), dataKey())
    expect(await s.decrypt(gcpKey(KEY, enc))).toEqual(dataKey())
    expect(kms.calls.slice(before)).toMatchObject([
      { transport, method: "Encrypt", status: "OK", authKind: "self-signed-jwt", principal: account.client_email },
      { transport, method: "Decrypt", status: "OK", authKind: "self-signed-jwt", principal: account.client_email },
    ])
  })

  it("encrypts and decrypts a YAML document through the core API", async () => {
    const gcp = svc({ credentials: account })
    const file = new TextDecoder().decode(await encrypt(PLAIN, { format: "yaml", keys: [gcpKey()], keyServices: [gcp] }))
    expect(file).toContain(`resource_id: ${KEY}`)
    expect(file).not.toContain("hunter2")
    expect(new TextDecoder().decode(await decrypt(file, { format: "yaml", keyServices: [gcp] }))).toBe(PLAIN)
  })

  it("GOOGLE_CREDENTIALS naming a key file, read by the environment helper as sops does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sops-ts-gcp-sa-"))
    try {
      const path = join(dir, "sa.json")
      writeFileSync(path, `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600 })
      const env = {
        GOOGLE_CREDENTIALS: path,
        GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.ignored-because-GOOGLE_CREDENTIALS-wins",
        SOPS_GCP_KMS_ENDPOINT: endpoint(),
        ...(transport === "rest" ? { SOPS_GCP_KMS_CLIENT_TYPE: "rest" } : {}),
      }
      // The emulator's TLS root cannot come from the environment; everything else does.
      const gcp = gcpKmsKeyServiceFromEnvironment(env, { grpcRootCerts: kms.caCert, retryDelayMs: 1 })
      services.push(gcp)
      const before = kms.calls.length
      const file = await encrypt(PLAIN, { format: "yaml", keys: [gcpKey()], keyServices: [gcp] })
      expect(new TextDecoder().decode(await decrypt(file, { format: "yaml", keyServices: [gcp] }))).toBe(PLAIN)
      expect(kms.calls.slice(before).map((c) => [c.transport, c.authKind, c.principal])).toEqual([
        [transport, "self-signed-jwt", account.client_email],
        [transport, "self-signed-jwt", account.client_email],
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("signs one token and reuses it for every call; no token request is made", async () => {
    const s = svc({ credentials: JSON.stringify(account) })
    const before = kms.calls.length
    const encs = []
    for (let i = 0; i < 4; i++) encs.push(await s.encrypt(gcpKey(), dataKey(i)))
    for (const [i, enc] of encs.entries()) expect(await s.decrypt(gcpKey(KEY, enc))).toEqual(dataKey(i))
    const calls = kms.calls.slice(before)
    expect(calls).toHaveLength(8)
    expect(calls.every((c) => c.status === "OK" && c.authKind === "self-signed-jwt")).toBe(true)
    expect(new Set(calls.map((c) => c.tokenFingerprint)).size).toBe(1)
    expect(kms.tokenRequests).toHaveLength(0)
  })

  it("retries throttling with service-account credentials too", async () => {
    // Over REST these errors come from google-auth-library's HTTP client, not google-gax.
    const s = svc({ credentials: account, maxAttempts: 3 })
    kms.failNext("RESOURCE_EXHAUSTED", 2, "Encrypt")
    const before = kms.calls.length
    const enc = await s.encrypt(gcpKey(), dataKey())
    expect(kms.calls.slice(before).map((c) => c.status)).toEqual(["RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED", "OK"])
    expect(await s.decrypt(gcpKey(KEY, enc))).toEqual(dataKey())
  })

  describe("refusals surface as the provider's SopsError, without key material", () => {
    it("an account the emulator does not know", async () => {
      const stranger = generateGcpServiceAccount({ name: "stranger" })
      const before = kms.calls.length
      const err = await failure(svc({ credentials: stranger }).encrypt(gcpKey(), dataKey()))
      expect(err.code).toBe("ERR_KEY_WRAP")
      expect(err.details).toMatchObject({ key: KEY, status: "UNAUTHENTICATED", attempts: 1 })
      expect(err.message).toContain(`gcp_kms ${KEY}`)
      expect(err.message).toContain("unknown service account")
      expect(kms.calls.slice(before)).toMatchObject([{ status: "UNAUTHENTICATED", hadAuthorization: true }])
      expectNoSecrets(err, stranger)
    })

    it("a JWT signed by another key than the one registered under its kid", async () => {
      const forged = { ...account, private_key: generateGcpServiceAccount().private_key }
      const err = await failure(svc({ credentials: forged }).decrypt(gcpKey(KEY, "AAAA")))
      expect(err.code).toBe("ERR_KEY_FAILED")
      expect(err.details).toMatchObject({ status: "UNAUTHENTICATED", attempts: 1 })
      expect(err.message).toContain("invalid signature")
      expectNoSecrets(err, forged)
    })

    it("a key that was deleted, while the account's other key still works", async () => {
      const second = kms.createServiceAccount()
      const enc = await svc({ credentials: second }).encrypt(gcpKey(), dataKey())
      kms.removeServiceAccount(second.client_email, second.private_key_id)
      const err = await failure(svc({ credentials: second }).decrypt(gcpKey(KEY, enc)))
      expect(err.details).toMatchObject({ status: "UNAUTHENTICATED" })
      expect(await svc({ credentials: account }).decrypt(gcpKey(KEY, enc))).toEqual(dataKey())
    })

    it.each([
      ["a wrong audience", { aud: "https://storage.googleapis.com/" }, "UNAUTHENTICATED", "audience"],
      ["the token endpoint's audience", { aud: GOOGLE_TOKEN_URL, scope: SCOPE }, "UNAUTHENTICATED", "audience"],
      ["an expired JWT", { scope: SCOPE, iat: now() - 7200, exp: now() - 3600 }, "UNAUTHENTICATED", "expired"],
      ["a lifetime over one hour", { scope: SCOPE, iat: now(), exp: now() + 7200 }, "UNAUTHENTICATED", "at most one hour"],
      ["another principal as sub", { scope: SCOPE, sub: "admin@example.com" }, "UNAUTHENTICATED", "sub"],
      ["a scope without Cloud KMS", { scope: "https://www.googleapis.com/auth/devstorage.read_only" }, "PERMISSION_DENIED", "insufficient authentication scopes"],
    ] as const)("a self-signed JWT with %s, sent as the bearer token", async (_, claims, status, why) => {
      const jwt = signGcpJwt(account, { iss: account.client_email, sub: account.client_email, iat: now(), exp: now() + 3600, ...claims })
      const err = await failure(svc({ accessToken: jwt }).encrypt(gcpKey(), dataKey()))
      expect(err.code).toBe("ERR_KEY_WRAP")
      expect(err.details).toMatchObject({ status, attempts: 1 })
      expect(err.message).toContain(why)
      expect(err.message).not.toContain(jwt)
    })

    it("the same JWT with the right scope is accepted (the cases above differ only in the claim named)", async () => {
      const jwt = signGcpJwt(account, { iss: account.client_email, sub: account.client_email, scope: SCOPE, iat: now(), exp: now() + 3600 })
      const enc = await svc({ accessToken: jwt }).encrypt(gcpKey(), dataKey())
      expect(kms.calls.at(-1)).toMatchObject({ status: "OK", authKind: "self-signed-jwt", principal: account.client_email })
      expect(await svc({ credentials: account }).decrypt(gcpKey(KEY, enc))).toEqual(dataKey())
    })

    it("unusable credentials fail the key cleanly: no unhandled rejection, and the service stays usable", async () => {
      const unhandled: unknown[] = []
      const onUnhandled = (e: unknown): number => unhandled.push(e)
      process.on("unhandledRejection", onUnhandled)
      try {
        const broken = { ...account, private_key: "" }
        // Without grpcRootCerts (the production gRPC set-up), google-gax makes the auth client
        // while it creates the stub, as REST always does.
        for (const s of [svc({ credentials: broken }), svc({ credentials: broken, grpcRootCerts: undefined })]) {
          for (let i = 0; i < 2; i++) {
            const err = await failure(s.encrypt(gcpKey(), dataKey()))
            expect(err.code).toBe("ERR_KEY_WRAP")
            expect(err.message).toContain("private_key")
          }
          await s.close()
        }
        await new Promise((r) => setTimeout(r, 50))
        expect(unhandled).toEqual([])
      } finally {
        process.off("unhandledRejection", onUnhandled)
      }
    })
  })
})

describe("the emulator's OAuth token endpoint (JWT bearer grant, the request gtoken makes)", () => {
  let kms: GcpKmsEmulator
  let account: GcpServiceAccountCredentials

  beforeAll(async () => {
    kms = await startGcpKmsEmulator({ keys: [KEY] })
    account = kms.createServiceAccount()
  })
  afterAll(async () => {
    await kms.stop()
  })

  /** gtoken's assertion: iss, scope, aud = the token endpoint, one hour. */
  const assertion = (claims: Record<string, unknown> = {}, signer: GcpServiceAccountCredentials = account, header: Record<string, unknown> = {}): string =>
    signGcpJwt(signer, { iss: signer.client_email, scope: SCOPE, aud: account.token_uri, iat: now(), exp: now() + 3600, ...claims }, header)

  const requestToken = async (form: Record<string, string>, contentType = "application/x-www-form-urlencoded") => {
    const res = await fetch(kms.tokenUrl, { method: "POST", headers: { "content-type": contentType }, body: new URLSearchParams(form).toString() })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const grant = (jwt: string) => requestToken({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: jwt })

  it("the accounts it creates name it as token_uri", () => {
    expect(account).toMatchObject({ type: "service_account", token_uri: kms.tokenUrl, client_email: "sops-test@sops-ts.iam.gserviceaccount.com" })
    expect(account.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    expect(account.private_key_id).toMatch(/^[0-9a-f]{40}$/)
  })

  it("issues an access token that KMS then accepts, over either transport", async () => {
    const before = kms.tokenRequests.length
    const { status, body } = await grant(assertion())
    expect(status).toBe(200)
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3599 })
    expect(body["access_token"]).toMatch(/^ya29\./)
    expect(kms.tokenRequests.slice(before)).toEqual([{ principal: account.client_email, outcome: "OK" }])
    for (const transport of TRANSPORTS) {
      const s = gcpKmsKeyService({
        accessToken: body["access_token"] as string,
        transport,
        apiEndpoint: transport === "grpc" ? kms.grpcEndpoint : kms.restUrl,
        grpcRootCerts: kms.caCert,
      })
      try {
        expect(await s.decrypt(gcpKey(KEY, await s.encrypt(gcpKey(), dataKey())))).toEqual(dataKey())
        expect(kms.calls.at(-1)).toMatchObject({ transport, status: "OK", authKind: "access-token", principal: account.client_email })
      } finally {
        await s.close()
      }
    }
  })

  it("accepts Google's own token URL as the audience (gtoken's fixed aud)", async () => {
    expect((await grant(assertion({ aud: GOOGLE_TOKEN_URL }))).status).toBe(200)
  })

  it.each([
    ["an unknown account", () => assertion({}, generateGcpServiceAccount({ name: "stranger" })), 400, "invalid_grant"],
    ["a signature by another key", () => assertion({}, { ...account, private_key: generateGcpServiceAccount().private_key }), 400, "invalid_grant"],
    ["an unknown kid", () => assertion({}, account, { kid: "0".repeat(40) }), 400, "invalid_grant"],
    ["alg none", () => `${assertion({}, account, { alg: "none" }).split(".").slice(0, 2).join(".")}.`, 400, "invalid_grant"],
    ["HS256", () => assertion({}, account, { alg: "HS256" }), 400, "invalid_grant"],
    ["a wrong audience", () => assertion({ aud: "https://cloudkms.googleapis.com/" }), 400, "invalid_grant"],
    ["an expired assertion", () => assertion({ iat: now() - 7200, exp: now() - 3600 }), 400, "invalid_grant"],
    ["iat in the future", () => assertion({ iat: now() + 3600, exp: now() + 4000 }), 400, "invalid_grant"],
    ["a lifetime over one hour", () => assertion({ exp: now() + 3601 + 60 }), 400, "invalid_grant"],
    ["no scope", () => assertion({ scope: undefined }), 400, "invalid_scope"],
    ["a scope without Cloud KMS", () => assertion({ scope: "https://www.googleapis.com/auth/devstorage.read_only" }), 400, "invalid_scope"],
    ["another user as sub (domain-wide delegation)", () => assertion({ sub: "someone@example.com" }), 401, "unauthorized_client"],
  ] as const)("refuses %s with an OAuth error", async (_, jwt, status, error) => {
    const before = kms.tokenRequests.length
    const token = jwt()
    const res = await grant(token)
    expect(res.status).toBe(status)
    expect(res.body).toMatchObject({ error })
    expect(typeof res.body["error_description"]).toBe("string")
    expect(res.body["access_token"]).toBeUndefined()
    expect(JSON.stringify(res.body)).not.toContain(token)
    expect(kms.tokenRequests.slice(before)).toMatchObject([{ outcome: error }])
  })

  it("refuses other grant types, a missing assertion and a non-form body", async () => {
    expect(await requestToken({ grant_type: "client_credentials" })).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } })
    expect(await requestToken({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer" })).toMatchObject({ status: 400, body: { error: "invalid_request" } })
    expect(await requestToken({ grant_type: "x" }, "application/json")).toMatchObject({ status: 400, body: { error: "invalid_request" } })
  })

  it("the assertion is not an access credential: KMS refuses it as a bearer token", async () => {
    const s = gcpKmsKeyService({ accessToken: assertion(), transport: "rest", apiEndpoint: kms.restUrl })
    try {
      const err = await failure(s.encrypt(gcpKey(), dataKey()))
      expect(err.details).toMatchObject({ status: "UNAUTHENTICATED" })
    } finally {
      await s.close()
    }
  })
})

describe("self-signed JWTs on the default endpoint's shape (aud instead of scope)", () => {
  it("accepts aud = https://cloudkms.<universe>/, as the library signs it without an endpoint override", async () => {
    const kms = await startGcpKmsEmulator({ keys: [KEY], universeDomain: "s3nsapis.fr" })
    const account = kms.createServiceAccount()
    const jwt = (aud: string) => signGcpJwt(account, { iss: account.client_email, sub: account.client_email, aud, iat: now(), exp: now() + 3600 })
    const post = (token: string) =>
      fetch(`${kms.restUrl}/v1/${KEY}:encrypt`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ plaintext: "AAAA" }),
      })
    try {
      expect((await post(jwt("https://cloudkms.s3nsapis.fr/"))).status).toBe(200)
      const wrong = await post(jwt("https://cloudkms.googleapis.com/"))
      expect(wrong.status).toBe(401)
      expect(await wrong.json()).toMatchObject({ error: { code: 401, status: "UNAUTHENTICATED" } })
    } finally {
      await kms.stop()
    }
  })
})
