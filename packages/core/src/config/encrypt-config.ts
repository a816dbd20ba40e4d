/**
 * The keys and options a new file is encrypted with, from CLI flags and `.sops.yaml` (sops'
 * `getEncryptConfig`, `keyGroups`, `shamirThreshold`). Environment variables are the
 * caller's business: the CLI passes `SOPS_KMS_ARN` & co. in as the flag values.
 * @module
 */
import { SopsError } from "../errors.js"
import {
  parseAgeRecipients,
  parseAzureKvUrls,
  parseGcpKmsIds,
  parseHckmsIds,
  parseKmsArns,
  parseKmsEncryptionContext,
  parsePgpFingerprints,
  parseVaultUris,
} from "../keys/parse-key-strings.js"
import { DEFAULT_UNENCRYPTED_SUFFIX, type EncryptionOptions, type KeyGroup, type MasterKey } from "../metadata/model.js"
import { SELECTION_OPTIONS, SELECTION_OPTIONS_TEXT, compactOptions, selectionOptionsSet } from "./options.js"
import type { CreationRule, SopsConfig } from "./sops-config.js"

/** Key lists given on the command line (or through their environment variables); "" = unset. */
export interface CliKeys {
  /** `--kms` / `SOPS_KMS_ARN` */
  readonly kms?: string
  /** `--pgp` / `SOPS_PGP_FP` */
  readonly pgp?: string
  /** `--age` / `SOPS_AGE_RECIPIENTS` */
  readonly age?: string
  /** `--gcp-kms` / `SOPS_GCP_KMS_IDS` */
  readonly gcpKms?: string
  /** `--azure-kv` / `SOPS_AZURE_KEYVAULT_URLS` */
  readonly azureKv?: string
  /** `--hc-vault-transit` / `SOPS_VAULT_URIS` */
  readonly hcVault?: string
  /** `--hckms` / `SOPS_HUAWEICLOUD_KMS_IDS` */
  readonly hckms?: string
}

/** Input of {@link resolveEncryptConfig}. */
export interface EncryptConfigInput {
  /** The file being created; the CLI passes the absolute path (of `--filename-override` if set). */
  readonly filePath: string
  /** The discovered or `--config` file, or null when there is none. */
  readonly config: SopsConfig | null
  /** Key flags; any non-empty one replaces all keys of the config. */
  readonly cliKeys?: CliKeys
  /** `--encryption-context "k:v,k2:v2"` for KMS keys from flags and flat rules. */
  readonly encryptionContext?: string
  /** `--aws-profile` for KMS keys from flags. */
  readonly awsProfile?: string
  /** `--shamir-secret-sharing-threshold` (0 = unset). */
  readonly shamirThreshold?: number
  /** Selection flags and `--mac-only-encrypted`; non-empty values win over the rule's. */
  readonly cliOptions?: EncryptionOptions
  /**
   * True for stores that hold a single value (the binary store): selection options make no
   * sense there and are dropped with a warning, and no default suffix is applied.
   */
  readonly singleValueStore?: boolean
  /** Clock for the keys' `createdAt`. */
  readonly now?: () => Date
}

/** The result of {@link resolveEncryptConfig}. */
export interface EncryptConfig {
  readonly keyGroups: KeyGroup[]
  /** 0 = not set (the encryptor then uses the number of groups when there are several). */
  readonly shamirThreshold: number
  /** Selection options (exactly one set, the default suffix when nothing else is) and
   * `macOnlyEncrypted` when true. */
  readonly options: EncryptionOptions
  /** Messages for the user (options ignored for a single-value store). */
  readonly warnings: string[]
}

/** The option names users write, for warnings. */
const OPTION_NAMES: Readonly<Record<(typeof SELECTION_OPTIONS)[number], string>> = {
  unencryptedSuffix: "unencrypted_suffix",
  encryptedSuffix: "encrypted_suffix",
  unencryptedRegex: "unencrypted_regex",
  encryptedRegex: "encrypted_regex",
  unencryptedCommentRegex: "unencrypted_comment_regex",
  encryptedCommentRegex: "encrypted_comment_regex",
}

function nonEmpty(s: string | undefined): s is string {
  return s !== undefined && s !== ""
}

/**
 * Resolves keys, Shamir threshold and selection options for a new file, with sops'
 * precedence:
 * 1. the matching creation rule is looked up first, so a config whose rules do not match is
 *    an error even when keys are given as flags;
 * 2. each selection flag wins over the rule's value when non-empty; `macOnlyEncrypted` is the
 *    OR of both; more than one resulting option is an error; none gives `_unencrypted`;
 * 3. any non-empty key flag means only the flag keys are used, as one group in the order
 *    kms, gcp_kms, hckms, azure_kv, pgp, hc_vault, age; otherwise the rule's groups;
 * 4. the threshold flag wins when non-zero, else the rule's, else 0.
 *
 * @throws SopsError `ERR_CONFIG` (no matching rule; no config and no key flags),
 *   `ERR_CONFLICTING_OPTIONS` (several selection options), `ERR_INVALID_ARGUMENT` (bad key
 *   flag or encryption context)
 */
export function resolveEncryptConfig(input: EncryptConfigInput): EncryptConfig {
  const contextText = input.encryptionContext ?? ""
  let context: Record<string, string> | undefined
  try {
    context = parseKmsEncryptionContext(contextText)
  } catch {
    // Reported below, where sops reports it: after the rule and the options are checked.
    context = undefined
  }
  const now = input.now
  const clock = now === undefined ? {} : { now }
  const rule: CreationRule | null =
    input.config?.creationRuleFor(input.filePath, {
      ...clock,
      ...(context === undefined ? {} : { kmsEncryptionContext: context }),
    }) ?? null

  const warnings: string[] = []
  const options = mergeOptions(input.cliOptions ?? {}, rule?.options ?? {}, input.singleValueStore === true, warnings)

  if (contextText !== "" && context === undefined) parseKmsEncryptionContext(contextText)
  const keyGroups = cliKeyGroup(input, context ?? {}) ?? ruleKeyGroups(rule)

  const cliThreshold = input.shamirThreshold ?? 0
  const shamirThreshold = cliThreshold !== 0 ? cliThreshold : (rule?.shamirThreshold ?? 0)
  return { keyGroups, shamirThreshold, options, warnings }
}

function mergeOptions(
  cli: EncryptionOptions,
  fromRule: EncryptionOptions,
  singleValueStore: boolean,
  warnings: string[],
): EncryptionOptions {
  const merged: EncryptionOptions = {}
  for (const name of SELECTION_OPTIONS) {
    const v = nonEmpty(cli[name]) ? cli[name] : fromRule[name]
    if (nonEmpty(v)) merged[name] = v
  }
  if (cli.macOnlyEncrypted === true || fromRule.macOnlyEncrypted === true) merged.macOnlyEncrypted = true
  if (singleValueStore) {
    // The binary store has one key that must always be encrypted, and no comments.
    for (const name of selectionOptionsSet(merged)) {
      if (name !== "unencryptedCommentRegex") {
        warnings.push(`${OPTION_NAMES[name]} does not make sense for a single-value store (binary) and is ignored`)
      }
    }
    return {}
  }
  const set = selectionOptionsSet(merged)
  if (set.length > 1) {
    throw new SopsError(
      "ERR_CONFLICTING_OPTIONS",
      `Error: cannot use more than one of ${SELECTION_OPTIONS_TEXT} in the same file`,
      { details: { options: set } },
    )
  }
  if (set.length === 0) merged.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX
  return compactOptions(merged)
}

/** The single group made of the key flags, or null when no key flag is set. */
function cliKeyGroup(input: EncryptConfigInput, context: Record<string, string>): KeyGroup[] | null {
  const k = input.cliKeys ?? {}
  const clock = input.now === undefined ? {} : { now: input.now }
  const kms = nonEmpty(k.kms)
    ? parseKmsArns(k.kms, { ...clock, context, ...(input.awsProfile === undefined ? {} : { awsProfile: input.awsProfile }) })
    : []
  const gcp = nonEmpty(k.gcpKms) ? parseGcpKmsIds(k.gcpKms, clock) : []
  const hckms = nonEmpty(k.hckms) ? parseHckmsIds(k.hckms, clock) : []
  const azure = nonEmpty(k.azureKv) ? parseAzureKvUrls(k.azureKv, clock) : []
  const vault = nonEmpty(k.hcVault) ? parseVaultUris(k.hcVault, clock) : []
  const pgp = nonEmpty(k.pgp) ? parsePgpFingerprints(k.pgp, clock) : []
  const age = nonEmpty(k.age) ? parseAgeRecipients(k.age) : []
  const anySet = [k.kms, k.pgp, k.gcpKms, k.hckms, k.azureKv, k.hcVault, k.age].some(nonEmpty)
  if (!anySet) return null
  const group: MasterKey[] = [...kms, ...gcp, ...hckms, ...azure, ...pgp, ...vault, ...age]
  return [group]
}

function ruleKeyGroups(rule: CreationRule | null): KeyGroup[] {
  if (rule === null) {
    throw new SopsError(
      "ERR_CONFIG",
      "config file not found, or has no creation rules, and no keys provided through command line options",
    )
  }
  return rule.keyGroups
}
