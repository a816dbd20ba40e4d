/**
 * Credentials the way sops gets them: a key's `role` assumed through STS (session name
 * `sops@<host>`, temporary credentials then sign the KMS call) and a key's `aws_profile`
 * loaded from the shared config files by the SDK.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { isSopsError, type SopsError } from "@sops-ts/core"
import { startAwsKmsEmulator, TEST_AWS_ACCOUNT, TEST_AWS_CREDENTIALS, type AwsKmsEmulator } from "@sops-ts/testkit"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { awsKmsKeyService, type AwsKmsKeyService, type AwsKmsKeyServiceOptions } from "@sops-ts/aws-kms"
import { dataKey, isolateAwsEnvironment, kmsKey, withEnc } from "./helpers.js"

const ROLE = `arn:aws:iam::${TEST_AWS_ACCOUNT}:role/sops-decrypt`
const UNTRUSTED_ROLE = `arn:aws:iam::${TEST_AWS_ACCOUNT}:role/admins-only`
const ROLE_KEY = `arn:aws:kms:eu-central-1:${TEST_AWS_ACCOUNT}:key/7f6e5d4c-3b2a-4190-8877-665544332211`
const PROFILE_KEY = `arn:aws:kms:ap-southeast-2:${TEST_AWS_ACCOUNT}:key/11112222-3333-4444-8555-666677778888`
const PROFILE_USER = { accessKeyId: "AKIAPROFILEUSER00001", secretAccessKey: "profileSecret/00000000000000000000000000" }

let env: ReturnType<typeof isolateAwsEnvironment>
let aws: AwsKmsEmulator
const services: AwsKmsKeyService[] = []

function service(extra: AwsKmsKeyServiceOptions = {}): AwsKmsKeyService {
  const s = awsKmsKeyService({ endpoint: aws.url, stsEndpoint: aws.url, retryDelayMs: 1, ...extra })
  services.push(s)
  return s
}

async function failure(p: Promise<unknown>): Promise<SopsError> {
  try {
    await p
  } catch (err) {
    if (isSopsError(err)) return err
    throw err
  }
  throw new Error("expected the operation to fail")
}

beforeAll(async () => {
  env = isolateAwsEnvironment()
  aws = await startAwsKmsEmulator({
    users: [TEST_AWS_CREDENTIALS, PROFILE_USER],
    roles: [
      { arn: ROLE, trusted: [TEST_AWS_CREDENTIALS.accessKeyId, PROFILE_USER.accessKeyId] },
      { arn: UNTRUSTED_ROLE, trusted: [] },
    ],
    // Only sessions of the role may use ROLE_KEY; only the profile's user may use PROFILE_KEY.
    keys: [
      { arn: ROLE_KEY, allow: [ROLE] },
      { arn: PROFILE_KEY, allow: [PROFILE_USER.accessKeyId, ROLE] },
    ],
  })
  writeFileSync(
    join(env.dir, "credentials"),
    `[sops-test]\naws_access_key_id = ${PROFILE_USER.accessKeyId}\naws_secret_access_key = ${PROFILE_USER.secretAccessKey}\n`,
  )
  // The profile's region must not matter: sops always calls the region of the ARN.
  writeFileSync(join(env.dir, "config"), "[profile sops-test]\nregion = us-west-1\n")
})
afterEach(() => {
  for (const s of services.splice(0)) s.close()
})
afterAll(async () => {
  await aws.stop()
  env.restore()
})

describe("role assumption", () => {
  it("assumes the role with RoleSessionName sops@<host> and signs KMS calls with the temporary credentials", async () => {
    const svc = service({ credentials: TEST_AWS_CREDENTIALS, hostname: () => "ci runner#7_b.example.com" })
    const key = kmsKey(ROLE_KEY, { role: ROLE })
    const from = aws.calls.length
    const enc = await svc.encrypt(key, dataKey())
    expect(await svc.decrypt(withEnc(key, enc))).toEqual(dataKey())

    const calls = aws.calls.slice(from)
    const sts = calls.filter((c) => c.service === "sts")
    const kms = calls.filter((c) => c.service === "kms")
    // One AssumeRole: the temporary credentials are reused until they near expiry.
    expect(sts).toHaveLength(1)
    expect(sts[0]).toMatchObject({
      operation: "AssumeRole",
      roleArn: ROLE,
      roleSessionName: "sops@cirunner7_b.example.com",
      accessKeyId: TEST_AWS_CREDENTIALS.accessKeyId,
      region: "eu-central-1",
      result: "ok",
    })
    expect(kms.map((c) => c.operation)).toEqual(["Encrypt", "Decrypt"])
    for (const c of kms) {
      expect(c.accessKeyId).toMatch(/^ASIA/)
      expect(c.sessionToken).toBe(true)
      expect(c.result).toBe("ok")
    }
  })

  it("without the role the same key is refused by its policy", async () => {
    const err = await failure(service({ credentials: TEST_AWS_CREDENTIALS }).encrypt(kmsKey(ROLE_KEY), dataKey()))
    expect(err.code).toBe("ERR_KEY_WRAP")
    expect(err.message).toContain("AccessDeniedException")
  })

  it("truncates the session name to 64 characters, which STS accepts", async () => {
    const svc = service({ credentials: TEST_AWS_CREDENTIALS, hostname: () => "h".repeat(100) })
    const key = kmsKey(ROLE_KEY, { role: ROLE })
    await svc.encrypt(key, dataKey())
    const sts = aws.calls.filter((c) => c.service === "sts").at(-1)!
    expect(sts.roleSessionName).toBe(`sops@${"h".repeat(59)}`)
    expect(sts.result).toBe("ok")
  })

  it("a role that does not trust the caller fails with the STS reason and step", async () => {
    const key = kmsKey(ROLE_KEY, { role: UNTRUSTED_ROLE })
    const err = await failure(service({ credentials: TEST_AWS_CREDENTIALS }).decrypt(withEnc(key, "AAAA")))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.message).toContain(`failed to assume role ${UNTRUSTED_ROLE}`)
    expect(err.message).toContain("AccessDenied")
    expect(err.details).toMatchObject({ reason: "AccessDenied", step: "sts:AssumeRole" })
  })

  it("STS throttling is retried like KMS throttling", async () => {
    aws.throttle(1, "AssumeRole")
    const svc = service({ credentials: TEST_AWS_CREDENTIALS })
    const key = kmsKey(ROLE_KEY, { role: ROLE })
    expect(await svc.decrypt(withEnc(key, await svc.encrypt(key, dataKey(2))))).toEqual(dataKey(2))
    const sts = aws.calls.filter((c) => c.service === "sts").slice(-2)
    expect(sts.map((c) => c.result)).toEqual(["Throttling", "ok"])
  })
})

describe("aws_profile", () => {
  it("loads the profile's credentials from the shared credentials file and calls the ARN's region", async () => {
    const svc = service() // no credentials: the SDK chain with the key's profile
    const key = kmsKey(PROFILE_KEY, { awsProfile: "sops-test" })
    expect(await svc.decrypt(withEnc(key, await svc.encrypt(key, dataKey(3))))).toEqual(dataKey(3))
    for (const c of aws.calls.slice(-2)) {
      expect(c.accessKeyId).toBe(PROFILE_USER.accessKeyId)
      expect(c.region).toBe("ap-southeast-2")
    }
  })

  it("uses the profile's credentials for AssumeRole when the key has both", async () => {
    const svc = service()
    const key = kmsKey(PROFILE_KEY, { awsProfile: "sops-test", role: ROLE })
    await svc.encrypt(key, dataKey())
    const sts = aws.calls.filter((c) => c.service === "sts").at(-1)!
    expect(sts.accessKeyId).toBe(PROFILE_USER.accessKeyId)
    expect(aws.calls.at(-1)!.accessKeyId).toMatch(/^ASIA/)
  })

  it("a profile that does not exist is ERR_KEY_UNAVAILABLE naming the key", async () => {
    const key = kmsKey(PROFILE_KEY, { awsProfile: "nope" })
    const err = await failure(service().decrypt(withEnc(key, "AAAA")))
    expect(err.code).toBe("ERR_KEY_UNAVAILABLE")
    expect(err.message).toContain(PROFILE_KEY)
  })
})

describe("allowKey: a policy for the role and profile a file names", () => {
  const ownRoles = (k: { role: string; awsProfile: string }): boolean =>
    (k.role === "" || k.role === ROLE) && (k.awsProfile === "" || k.awsProfile === "sops-test")

  it("refuses a key whose role the policy does not allow, before any STS or KMS request", async () => {
    const svc = service({ credentials: TEST_AWS_CREDENTIALS, allowKey: ownRoles })
    const from = aws.calls.length
    const key = kmsKey(ROLE_KEY, { role: UNTRUSTED_ROLE })
    const err = await failure(svc.decrypt(withEnc(key, "AAAA")))
    expect(err.code).toBe("ERR_KEY_FAILED")
    expect(err.details).toMatchObject({ reason: "refused" })
    expect(err.message).toContain("allowKey")
    const wrap = await failure(svc.encrypt(kmsKey(PROFILE_KEY, { awsProfile: "admin" }), dataKey()))
    expect(wrap.code).toBe("ERR_KEY_WRAP")
    expect(wrap.details).toMatchObject({ reason: "refused" })
    expect(aws.calls.length).toBe(from)
  })

  it("lets allowed keys through unchanged", async () => {
    const svc = service({ credentials: TEST_AWS_CREDENTIALS, allowKey: ownRoles })
    const key = kmsKey(ROLE_KEY, { role: ROLE })
    expect(await svc.decrypt(withEnc(key, await svc.encrypt(key, dataKey(4))))).toEqual(dataKey(4))
  })
})
