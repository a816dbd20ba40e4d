/**
 * GCP KMS through the core API: a YAML file encrypted to a GCP key and an age key decrypts
 * with either, and a failing GCP key falls through to the age key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decrypt, encrypt, isSopsError, newAgeKey } from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { startGcpKmsEmulator, type GcpKmsEmulator } from "@sops-ts/testkit"
import * as grpc from "@grpc/grpc-js"
import { KeyManagementServiceClient } from "@google-cloud/kms"
import { gcpKmsKeyService, gcpKmsKeyServiceFromEnvironment } from "../src/index.js"
import { KEY, TRANSPORTS, gcpKey, serviceFor } from "./helpers.js"

const PLAIN = "db:\n    user: admin\n    password: hunter2\nport: 5432\n"

describe.each(TRANSPORTS)("end to end over %s", (transport) => {
  let kms: GcpKmsEmulator
  beforeAll(async () => {
    kms = await startGcpKmsEmulator({ keys: [KEY] })
  })
  afterAll(async () => {
    await kms.stop()
  })

  it("encrypts a YAML file to GCP KMS and decrypts it again", async () => {
    const gcp = serviceFor(kms, transport)
    try {
      const file = new TextDecoder().decode(await encrypt(PLAIN, { format: "yaml", keys: [gcpKey()], keyServices: [gcp] }))
      expect(file).toContain("gcp_kms:")
      expect(file).toContain(`resource_id: ${KEY}`)
      expect(file).not.toContain("hunter2")
      const out = await decrypt(file, { format: "yaml", keyServices: [gcp] })
      expect(new TextDecoder().decode(out)).toBe(PLAIN)
    } finally {
      await gcp.close()
    }
  })

  it("falls through to the age key when the GCP key fails, and reports both when all fail", async () => {
    const age = await generateAgeIdentity()
    const gcp = serviceFor(kms, transport)
    try {
      const file = await encrypt(PLAIN, {
        format: "yaml",
        keys: [gcpKey(), newAgeKey(age.recipient)],
        keyServices: [gcp, ageKeyService({ identities: [age.identity] })],
      })
      kms.forbid(KEY)
      // GCP comes first in the decryption order here, so the age key is tried after it fails.
      const attempts: string[] = []
      const out = await decrypt(file, {
        format: "yaml",
        decryptionOrder: ["gcp_kms", "age"],
        keyServices: [gcp, ageKeyService({ identities: [age.identity] })],
        onKeyAttempt: (a) => attempts.push(`${a.key.split(" ")[0]}:${a.ok}`),
      })
      expect(new TextDecoder().decode(out)).toBe(PLAIN)
      expect(attempts).toEqual(["gcp_kms:false", "age:true"])

      const err = await decrypt(file, { format: "yaml", keyServices: [gcp] }).catch((e: unknown) => e)
      expect(isSopsError(err, "ERR_NO_DATA_KEY")).toBe(true)
      expect((err as Error).message).toContain(KEY)
      expect((err as Error).message).toContain("PERMISSION_DENIED")
    } finally {
      kms.forbid(KEY, false)
      await gcp.close()
    }
  })
})

it("a stopped GCP service does not prevent decryption with the age key", async () => {
  const kms = await startGcpKmsEmulator({ keys: [KEY] })
  const age = await generateAgeIdentity()
  const gcp = serviceFor(kms, "grpc", { maxAttempts: 2 })
  const ageSvc = ageKeyService({ identities: [age.identity] })
  try {
    const file = await encrypt(PLAIN, { format: "yaml", keys: [gcpKey(), newAgeKey(age.recipient)], keyServices: [gcp, ageSvc] })
    await kms.stop()
    const attempts: string[] = []
    const out = await decrypt(file, {
      format: "yaml",
      decryptionOrder: ["gcp_kms", "age"],
      keyServices: [gcp, ageSvc],
      onKeyAttempt: (a) => attempts.push(`${a.key.split(" ")[0]}:${a.ok}`),
    })
    expect(new TextDecoder().decode(out)).toBe(PLAIN)
    expect(attempts).toEqual(["gcp_kms:false", "age:true"])
  } finally {
    await gcp.close()
    await kms.stop()
  }
})

describe("configured like the sops binary", () => {
  it("GOOGLE_OAUTH_ACCESS_TOKEN + SOPS_GCP_KMS_CLIENT_TYPE=rest + SOPS_GCP_KMS_ENDPOINT reach the service", async () => {
    const kms = await startGcpKmsEmulator({ keys: [KEY] })
    const env = {
      GOOGLE_OAUTH_ACCESS_TOKEN: kms.token,
      SOPS_GCP_KMS_CLIENT_TYPE: "rest",
      SOPS_GCP_KMS_ENDPOINT: kms.restUrl,
    }
    const gcp = gcpKmsKeyServiceFromEnvironment(env, { retryDelayMs: 1 })
    try {
      const file = await encrypt(PLAIN, { format: "yaml", keys: [gcpKey()], keyServices: [gcp] })
      expect(new TextDecoder().decode(await decrypt(file, { format: "yaml", keyServices: [gcp] }))).toBe(PLAIN)
      expect(kms.calls.map((c) => c.transport)).toEqual(["rest", "rest"])
    } finally {
      await gcp.close()
      await kms.stop()
    }
  })

  it("uses a caller's own client as is and leaves it open on close()", async () => {
    const kms = await startGcpKmsEmulator({ keys: [KEY] })
    const [host, port] = kms.grpcEndpoint.split(":")
    const token = { universeDomain: "googleapis.com", getRequestHeaders: async () => new Headers({ authorization: `Bearer ${kms.token}` }) }
    const client = new KeyManagementServiceClient({
      apiEndpoint: host!,
      port: Number(port),
      sslCreds: grpc.credentials.combineChannelCredentials(
        grpc.credentials.createSsl(Buffer.from(kms.caCert)),
        // grpc-js wants a plain header object here (google-gax converts Headers itself)
        grpc.credentials.createFromGoogleCredential({ getRequestHeaders: async () => ({ authorization: `Bearer ${kms.token}` }) }),
      ),
      authClient: token as never,
    })
    const gcp = gcpKmsKeyService({ client, accessToken: "ignored-because-client-is-given" })
    try {
      const enc = await gcp.encrypt(gcpKey(), new Uint8Array(32).fill(9))
      await gcp.close()
      expect(await gcp.decrypt(gcpKey(KEY, enc))).toEqual(new Uint8Array(32).fill(9))
    } finally {
      await client.close()
      await kms.stop()
    }
  })
})
