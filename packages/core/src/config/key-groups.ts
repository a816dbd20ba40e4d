/**
 * Master keys of a creation rule (sops' `getKeyGroupsFromCreationRule`, `extractMasterKeys`).
 * @module
 */
import { SopsError } from "../errors.js"
import {
  newAzureKvKey,
  newGcpKmsKey,
  newHckmsKey,
  newKmsKey,
  newPgpKey,
  newVaultKeyFromUri,
  parseAgeRecipients,
  parseAzureKvUrls,
  parseGcpKmsIds,
  parseHckmsIds,
  parseKmsArns,
  parsePgpFingerprints,
  parseVaultUris,
  type KeyClockOptions,
} from "../keys/parse-key-strings.js"
import { keyId, type KeyGroup, type MasterKey } from "../metadata/model.js"
import type { CreationRuleConfig, KeyGroupConfig, KmsKeyConfig } from "./types.js"

/** Inputs that do not come from the rule itself. */
export interface RuleKeyOptions extends KeyClockOptions {
  /** `--encryption-context`, applied to the KMS keys of a flat rule (not of `key_groups`). */
  readonly kmsEncryptionContext?: Readonly<Record<string, string>>
}

/**
 * The key groups of a rule:
 * - with `key_groups`: one group per entry, each holding its merged groups' keys first, then
 *   age, pgp, kms, gcp_kms, hckms, azure_keyvault, hc_vault, with duplicates (same type and
 *   key id) removed;
 * - without: one group, in the order age, pgp, kms, gcp_kms, hckms, azure_keyvault,
 *   hc_vault, not de-duplicated. A rule without keys yields one empty group.
 * @throws SopsError `ERR_INVALID_ARGUMENT` for a malformed key (the caller adds the rule's
 *   location), `ERR_CONFIG` for a KMS context value that is null
 */
export function keyGroupsForRule(rule: CreationRuleConfig, opts?: RuleKeyOptions): KeyGroup[] {
  if (rule.keyGroups.length > 0) return rule.keyGroups.map((g) => groupKeys(g, opts))
  const group: MasterKey[] = []
  const join = (items: readonly string[]): string => items.join(",")
  group.push(...parseAgeRecipients(join(rule.age)))
  group.push(...parsePgpFingerprints(join(rule.pgp), opts))
  group.push(
    ...parseKmsArns(join(rule.kms), {
      ...opts,
      ...(opts?.kmsEncryptionContext === undefined ? {} : { context: opts.kmsEncryptionContext }),
      awsProfile: rule.awsProfile,
    }),
  )
  group.push(...parseGcpKmsIds(join(rule.gcpKms), opts))
  group.push(...parseHckmsIds(join(rule.hckms), opts))
  group.push(...parseAzureKvUrls(join(rule.azureKeyVault), opts))
  group.push(...parseVaultUris(join(rule.hcVaultTransitUri), opts))
  return [group]
}

function groupKeys(g: KeyGroupConfig, opts: KeyClockOptions | undefined): KeyGroup {
  const keys: MasterKey[] = []
  for (const sub of g.merge) keys.push(...groupKeys(sub, opts))
  // Each age item may itself be a comma-separated list; the other types take one key per item.
  for (const item of g.age) keys.push(...parseAgeRecipients(item))
  for (const fp of g.pgp) keys.push(newPgpKey(fp, opts))
  for (const k of g.kms) keys.push(kmsKey(k, opts))
  for (const id of g.gcpKms) keys.push(newGcpKmsKey(id, opts))
  for (const id of g.hckms) keys.push(newHckmsKey(id, opts))
  for (const k of g.azureKeyVault) keys.push(newAzureKvKey(k.vaultUrl, k.key, k.version, opts))
  for (const uri of g.hcVault) keys.push(newVaultKeyFromUri(uri, opts))
  return dedupe(keys)
}

function kmsKey(k: KmsKeyConfig, opts: KeyClockOptions | undefined): MasterKey {
  const context: Record<string, string> = {}
  for (const [name, value] of k.context) {
    if (value === null) {
      throw new SopsError("ERR_CONFIG", `error loading config: KMS key ${JSON.stringify(k.arn)}: context value for ${JSON.stringify(name)} is null`)
    }
    Object.defineProperty(context, name, { value, enumerable: true, writable: true, configurable: true })
  }
  return newKmsKey({ arn: k.arn, role: k.role, context, awsProfile: k.awsProfile }, opts)
}

/** Keeps the first key of each (type, key id). */
function dedupe(keys: readonly MasterKey[]): KeyGroup {
  const seen = new Set<string>()
  const out: MasterKey[] = []
  for (const key of keys) {
    const id = `${key.type}/${keyId(key)}`
    if (seen.has(id)) continue
    seen.add(id)
    out.push(key)
  }
  return out
}
