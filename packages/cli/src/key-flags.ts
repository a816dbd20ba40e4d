/**
 * Master keys from `--add-*`/`--rm-*` style flags (sops' `getMasterKeys`).
 * @module
 */
import {
  parseAgeRecipients,
  parseAzureKvUrls,
  parseGcpKmsIds,
  parseHckmsIds,
  parseKmsArns,
  parseKmsEncryptionContext,
  parsePgpFingerprints,
  parseVaultUris,
  SopsError,
  type MasterKey,
} from "@sops-ts/core"
import type { Flags } from "./args.js"
import { CliError, ExitCode } from "./exit-codes.js"

/** Parses `--encryption-context`; a malformed one is exit 6. */
export function encryptionContext(flags: Flags): Record<string, string> {
  const text = flags.declares("encryption-context") ? flags.string("encryption-context") : ""
  try {
    return parseKmsEncryptionContext(text)
  } catch (err) {
    throw new CliError(err instanceof SopsError ? err.message : "Invalid KMS encryption context format", ExitCode.ErrorInvalidKMSEncryptionContextFormat, { cause: err })
  }
}

/**
 * The keys named by `<prefix>kms`, `<prefix>pgp`, `<prefix>gcp-kms`, `<prefix>hckms`,
 * `<prefix>azure-kv`, `<prefix>hc-vault-transit`, `<prefix>age` (in that order).
 */
export function masterKeysFromFlags(flags: Flags, prefix: "add-" | "rm-", context: Record<string, string>, awsProfile = ""): MasterKey[] {
  const v = (t: string): string => (flags.declares(prefix + t) ? flags.string(prefix + t) : "")
  const out: MasterKey[] = []
  if (v("kms")) out.push(...parseKmsArns(v("kms"), { context, awsProfile }))
  if (v("pgp")) out.push(...parsePgpFingerprints(v("pgp")))
  if (v("gcp-kms")) out.push(...parseGcpKmsIds(v("gcp-kms")))
  if (v("hckms")) out.push(...parseHckmsIds(v("hckms")))
  if (v("azure-kv")) out.push(...parseAzureKvUrls(v("azure-kv")))
  if (v("hc-vault-transit")) out.push(...parseVaultUris(v("hc-vault-transit")))
  if (v("age")) out.push(...parseAgeRecipients(v("age")))
  return out
}

/** Whether any `--add-*` or `--rm-*` flag is non-empty. */
export function hasKeyChanges(flags: Flags): boolean {
  return ["kms", "pgp", "gcp-kms", "hckms", "azure-kv", "hc-vault-transit", "age"].some(
    (t) => (flags.declares(`add-${t}`) && flags.string(`add-${t}`) !== "") || (flags.declares(`rm-${t}`) && flags.string(`rm-${t}`) !== ""),
  )
}
