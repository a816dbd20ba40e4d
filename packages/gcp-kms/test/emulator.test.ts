/**
 * The emulator itself checks what Cloud KMS checks, so the provider tests mean something:
 * requests without a token, malformed names, key rotation, the REST error envelope.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as grpc from "@grpc/grpc-js"
import { KeyManagementServiceClient } from "@google-cloud/kms"
import { startGcpKmsEmulator, type GcpKmsEmulator } from "@sops-ts/testkit"
import { KEY, dataKey, gcpKey, serviceFor } from "./helpers.js"

/** Keeps google-auth-library from probing for default credentials; with sslCreds it sends nothing. */
const NO_AUTH = { universeDomain: "googleapis.com", getRequestHeaders: async () => new Headers() } as never

describe("GCP KMS emulator", () => {
  let kms: GcpKmsEmulator
  beforeAll(async () => {
    kms = await startGcpKmsEmulator({ keys: [KEY] })
  })
  afterAll(async () => {
    await kms.stop()
  })

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${kms.restUrl}/v1/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })

  it("REST: no Authorization header → 401 UNAUTHENTICATED in Google's error envelope", async () => {
    const res = await post(`${KEY}:encrypt`, { plaintext: "AAAA" })
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: { code: 401, status: "UNAUTHENTICATED" } })
    expect(kms.calls.at(-1)).toMatchObject({ transport: "rest", hadAuthorization: false, status: "UNAUTHENTICATED" })
  })

  it("REST: a malformed name → 400 INVALID_ARGUMENT; an unknown key → 404 NOT_FOUND", async () => {
    const auth = { authorization: `Bearer ${kms.token}` }
    const bad = await post("projects/p/keyRings/r/cryptoKeys/k:encrypt", { plaintext: "AAAA" }, auth)
    expect(bad.status).toBe(400)
    const missing = await post(`${KEY}-missing:encrypt`, { plaintext: "AAAA" }, auth)
    expect(missing.status).toBe(404)
    const ok = await post(`${KEY}:encrypt`, { plaintext: "AAAA" }, auth)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ name: `${KEY}/cryptoKeyVersions/1` })
  })

  it("gRPC: the real client without call credentials is refused with UNAUTHENTICATED", async () => {
    const [host, port] = kms.grpcEndpoint.split(":")
    const client = new KeyManagementServiceClient({
      apiEndpoint: host!,
      port: Number(port),
      sslCreds: grpc.credentials.createSsl(Buffer.from(kms.caCert)),
      authClient: NO_AUTH,
    })
    try {
      const err = await client.encrypt({ name: KEY, plaintext: dataKey() }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: grpc.status.UNAUTHENTICATED })
      expect(kms.calls.at(-1)).toMatchObject({ transport: "grpc", hadAuthorization: false })
    } finally {
      await client.close()
    }
  })

  it("gRPC: an unknown method answers UNIMPLEMENTED (only Encrypt/Decrypt are emulated)", async () => {
    const [host, port] = kms.grpcEndpoint.split(":")
    const client = new KeyManagementServiceClient({
      apiEndpoint: host!,
      port: Number(port),
      sslCreds: grpc.credentials.createSsl(Buffer.from(kms.caCert)),
      authClient: NO_AUTH,
    })
    try {
      const err = await client.getCryptoKey({ name: KEY }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: grpc.status.UNIMPLEMENTED })
    } finally {
      await client.close()
    }
  })

  it("old ciphertexts still decrypt after the key is rotated, over either transport", async () => {
    const grpcSvc = serviceFor(kms, "grpc")
    const restSvc = serviceFor(kms, "rest")
    try {
      const before = await grpcSvc.encrypt(gcpKey(), dataKey(3))
      kms.rotateKey(KEY)
      const after = await restSvc.encrypt(gcpKey(), dataKey(4))
      expect(Buffer.from(after, "base64").readUInt32BE(2)).toBe(2)
      expect(await restSvc.decrypt(gcpKey(KEY, before))).toEqual(dataKey(3))
      expect(await grpcSvc.decrypt(gcpKey(KEY, after))).toEqual(dataKey(4))
    } finally {
      await grpcSvc.close()
      await restSvc.close()
    }
  })
})
