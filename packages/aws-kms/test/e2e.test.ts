/**
 * Through the core API: a YAML document encrypted to an AWS KMS key decrypts again, the
 * metadata holds what sops writes, and when the KMS key fails (service down, too slow) the
 * next key of the group — an age key — still opens the file.
 */
import { decrypt, encrypt, type KeyAttempt } from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { startAwsKmsEmulator, TEST_AWS_CREDENTIALS, TEST_KMS_KEY_ARN, type AwsKmsEmulator } from "@sops-ts/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parse } from "yaml"
import { awsKmsKeyService } from "@sops-ts/aws-kms"
import { isolateAwsEnvironment, kmsKey } from "./helpers.js"

const PLAIN = "db:\n    user: admin\n    password: s3cr3t\nport: 5432\n"
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

let env: ReturnType<typeof isolateAwsEnvironment>
let aws: AwsKmsEmulator
beforeAll(async () => {
  env = isolateAwsEnvironment()
  aws = await startAwsKmsEmulator()
})
afterAll(async () => {
  await aws.stop()
  env.restore()
})

describe("core encrypt/decrypt with the AWS KMS key service", () => {
  it("round-trips a YAML document and writes sops' kms metadata", async () => {
    const kms = awsKmsKeyService({ endpoint: aws.url, credentials: TEST_AWS_CREDENTIALS })
    const key = kmsKey(TEST_KMS_KEY_ARN, { context: { app: "web" } })
    const encrypted = await encrypt(PLAIN, { format: "yaml", keys: [key], keyServices: [kms] })
    const doc = parse(text(encrypted)) as { sops: { kms: Record<string, unknown>[] }; db: { password: string } }
    expect(doc.db.password).toMatch(/^ENC\[AES256_GCM,/)
    expect(doc.sops.kms).toHaveLength(1)
    expect(doc.sops.kms[0]).toMatchObject({ arn: TEST_KMS_KEY_ARN, context: { app: "web" }, aws_profile: "" })
    expect(doc.sops.kms[0]!["enc"]).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
    expect(text(await decrypt(encrypted, { format: "yaml", keyServices: [kms] }))).toBe(PLAIN)
    kms.close()
  })

  it("falls through to an age key when the KMS key fails, and reports why", async () => {
    const { identity, recipient } = await generateAgeIdentity()
    const age = ageKeyService({ identities: [identity] })
    const own = await startAwsKmsEmulator()
    const kms = awsKmsKeyService({ endpoint: own.url, credentials: TEST_AWS_CREDENTIALS })
    const encrypted = await encrypt(PLAIN, {
      format: "yaml",
      keys: [kmsKey(TEST_KMS_KEY_ARN), { type: "age", recipient, enc: "" }],
      keyServices: [kms, age],
    })
    await own.stop()

    const attempts: (KeyAttempt & { ok: boolean })[] = []
    const out = await decrypt(encrypted, {
      format: "yaml",
      keyServices: [kms, age],
      decryptionOrder: ["kms", "age"],
      onKeyAttempt: (a) => attempts.push(a),
    })
    expect(text(out)).toBe(PLAIN)
    expect(attempts.map((a) => [a.key.split(" ")[0], a.ok])).toEqual([
      ["kms", false],
      ["age", true],
    ])
    expect(attempts[0]!.reason).toContain(TEST_KMS_KEY_ARN)
    expect(attempts[0]!.reason).toContain("ECONNREFUSED")
    kms.close()
  })

  it("a KMS key that times out does not stop the next key either", async () => {
    const { identity, recipient } = await generateAgeIdentity()
    const age = ageKeyService({ identities: [identity] })
    const kms = awsKmsKeyService({ endpoint: aws.url, credentials: TEST_AWS_CREDENTIALS, timeoutMs: 100 })
    const encrypted = await encrypt(PLAIN, {
      format: "yaml",
      keys: [kmsKey(TEST_KMS_KEY_ARN), { type: "age", recipient, enc: "" }],
      keyServices: [kms, age],
    })
    aws.setLatency(3_000)
    try {
      const attempts: KeyAttempt[] = []
      const out = await decrypt(encrypted, {
        format: "yaml",
        keyServices: [kms, age],
        decryptionOrder: ["kms", "age"],
        onKeyAttempt: (a) => attempts.push(a),
      })
      expect(text(out)).toBe(PLAIN)
      expect(attempts[0]!.reason).toContain("within 100 ms")
    } finally {
      aws.setLatency(0)
      kms.close()
    }
  })
})
