/**
 * The built `sops-ts` with the real AWS KMS provider, configured the way CI jobs configure
 * the AWS CLI (credentials and the KMS endpoint in the environment), against the loopback
 * KMS emulator: a round trip works, and stderr stays as quiet as sops' (the AWS SDK's notice
 * about its future Node versions is not a sops-ts message).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startAwsKmsEmulator, TEST_AWS_CREDENTIALS, TEST_KMS_KEY_ARN, type AwsKmsEmulator } from "@sops-ts/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { built, runBinAsync } from "./bin-helpers.js"

let aws: AwsKmsEmulator
let dir: string
beforeAll(async () => {
  aws = await startAwsKmsEmulator()
  dir = mkdtempSync(join(tmpdir(), "sops-ts-cli-kms-"))
})
afterAll(async () => {
  await aws.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!built)("sops-ts with AWS KMS (process)", () => {
  it("encrypts and decrypts through the KMS endpoint from the environment, with nothing on stderr", async () => {
    const env = {
      AWS_ACCESS_KEY_ID: TEST_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_AWS_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_KMS: aws.url,
      AWS_EC2_METADATA_DISABLED: "true",
    }
    writeFileSync(join(dir, "app.yaml"), "password: hunter2\n")
    const enc = await runBinAsync(dir, ["encrypt", "--kms", TEST_KMS_KEY_ARN, "app.yaml"], env)
    expect(enc.err).toBe("")
    expect(enc.code).toBe(0)
    expect(enc.out).toContain(`arn: ${TEST_KMS_KEY_ARN}`)
    expect(enc.out).not.toContain("hunter2")
    writeFileSync(join(dir, "app.enc.yaml"), enc.out)

    const dec = await runBinAsync(dir, ["decrypt", "app.enc.yaml"], env)
    expect(dec.err).toBe("")
    expect(dec.code).toBe(0)
    expect(dec.out).toBe("password: hunter2\n")
    expect(aws.calls.map((c) => c.operation)).toEqual(["Encrypt", "Decrypt"])
  })
})
