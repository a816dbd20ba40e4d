/**
 * The sops environment variables of the AWS KMS provider, for the CLI.
 * @module
 */
import { parseKmsArns, type KeyService, type KmsMasterKey, type KmsParseOptions } from "@sops-ts/core"
import { awsKmsKeyService } from "./key-service.js"

/**
 * The KMS keys named by `SOPS_KMS_ARN` (the default of `--kms`): comma-separated ARNs,
 * spaces removed, `ARN+arn:aws:iam::…:role/Name` for a role to assume. Unset or empty means
 * no keys. AWS credentials themselves are read by the SDK (`AWS_PROFILE`,
 * `AWS_ACCESS_KEY_ID`, …), not here.
 * @param env - the environment to read (pass `process.env` explicitly)
 * @param options - encryption context (`--encryption-context`), profile (`--aws-profile`), clock
 * @throws SopsError `ERR_INVALID_ARGUMENT` when an item is not a KMS ARN
 * @example
 * ```ts
 * kmsKeysFromEnvironment(process.env, { awsProfile: "prod" })
 * ```
 */
export function kmsKeysFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  options?: KmsParseOptions,
): KmsMasterKey[] {
  const value = env["SOPS_KMS_ARN"]
  return value === undefined || value === "" ? [] : parseKmsArns(value, options)
}

/**
 * Connections per KMS endpoint of the CLI's service. The CLI's commands bound their calls
 * themselves (`sops-ts rekey --provider-limit kms=N`, 64 by default), so this only has to stay
 * out of their way.
 */
const CLI_MAX_SOCKETS = 256

/**
 * The CLI's entry point (the contract of `@sops-ts/cli`'s lazy providers): a service using
 * the AWS SDK's default credential chain, as sops does. The SDK reads its own variables
 * (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, ...) from the process environment. Up to 256 calls can
 * be on the wire at once, so that a re-key's `--provider-limit kms=N` is what bounds them.
 */
export function keyServiceFromEnv(_env: Readonly<Record<string, string | undefined>>): KeyService {
  return awsKmsKeyService({ maxSockets: CLI_MAX_SOCKETS })
}
