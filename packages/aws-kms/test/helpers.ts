/**
 * Shared set-up of the AWS KMS tests: keep the SDK off the real network and away from the
 * developer's own AWS configuration.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { newKmsKey, type KmsMasterKey } from "@sops-ts/core"

const SDK_ENV = [
  "AWS_EC2_METADATA_DISABLED",
  "AWS_CONFIG_FILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_PROFILE",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_KMS",
  "AWS_ENDPOINT_URL_STS",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
] as const

/**
 * Isolates the SDK: no instance metadata, shared config files in an empty temp directory, no
 * credentials or endpoints from the real environment. Returns a restore function.
 */
export function isolateAwsEnvironment(): { dir: string; restore: () => void } {
  const saved = new Map<string, string | undefined>(SDK_ENV.map((k) => [k, process.env[k]]))
  for (const k of SDK_ENV) delete process.env[k]
  const dir = mkdtempSync(join(tmpdir(), "sops-ts-aws-"))
  process.env["AWS_EC2_METADATA_DISABLED"] = "true"
  process.env["AWS_CONFIG_FILE"] = join(dir, "config")
  process.env["AWS_SHARED_CREDENTIALS_FILE"] = join(dir, "credentials")
  return {
    dir,
    restore: () => {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A KMS master key for `arn` with the given extras and a fixed creation time. */
export function kmsKey(arn: string, extra: { role?: string; context?: Record<string, string>; awsProfile?: string } = {}): KmsMasterKey {
  return newKmsKey({ arn, ...extra }, { now: () => new Date("2024-01-01T00:00:00Z") })
}

/** `key` with `enc` set. */
export function withEnc(key: KmsMasterKey, enc: string): KmsMasterKey {
  return { ...key, enc }
}

/** 32 recognisable bytes. */
export function dataKey(seed = 1): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + seed) & 0xff)
}
