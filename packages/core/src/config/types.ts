/**
 * The `.sops.yaml` schema as plain data, after decoding and before any key is built.
 * Field names are the camel-case forms of the YAML keys; absent fields hold Go's zero values
 * (`""`, `0`, `false`, `[]`), because sops decodes into typed structs and cannot tell
 * "absent" from "zero" either.
 * @module
 */

/** A `kms` entry of a key group. */
export interface KmsKeyConfig {
  readonly arn: string
  readonly role: string
  /** `context` map; values that are YAML null are kept as null (sops cannot use them). */
  readonly context: ReadonlyMap<string, string | null>
  readonly awsProfile: string
}

/** An `azure_keyvault` entry of a key group. */
export interface AzureKeyVaultKeyConfig {
  readonly vaultUrl: string
  readonly key: string
  /** "" = the latest version, resolved by the Azure provider. */
  readonly version: string
}

/** One entry of a rule's `key_groups`. */
export interface KeyGroupConfig {
  /** Groups inlined before this group's own keys (recursively). */
  readonly merge: readonly KeyGroupConfig[]
  readonly kms: readonly KmsKeyConfig[]
  /** `gcp_kms` entries' `resource_id`. */
  readonly gcpKms: readonly string[]
  /** `hckms` entries' `key_id`. */
  readonly hckms: readonly string[]
  readonly azureKeyVault: readonly AzureKeyVaultKeyConfig[]
  /** `hc_vault` URIs. */
  readonly hcVault: readonly string[]
  /** age recipients; each item may itself be a comma-separated list. */
  readonly age: readonly string[]
  readonly pgp: readonly string[]
}

/**
 * A `creation_rules` entry. The flat key fields hold the items after sops' `parseKeyField`:
 * a YAML string is split on `,`, trimmed and stripped of empty items; a YAML list is kept
 * as is.
 */
export interface CreationRuleConfig {
  readonly pathRegex: string
  readonly kms: readonly string[]
  readonly awsProfile: string
  readonly age: readonly string[]
  readonly pgp: readonly string[]
  readonly gcpKms: readonly string[]
  /** `hckms` (a YAML list only, as in sops). */
  readonly hckms: readonly string[]
  readonly azureKeyVault: readonly string[]
  /** `hc_vault_transit_uri`. */
  readonly hcVaultTransitUri: readonly string[]
  /** When non-empty, the flat key fields are ignored. */
  readonly keyGroups: readonly KeyGroupConfig[]
  readonly shamirThreshold: number
  readonly unencryptedSuffix: string
  readonly encryptedSuffix: string
  readonly unencryptedRegex: string
  readonly encryptedRegex: string
  readonly unencryptedCommentRegex: string
  readonly encryptedCommentRegex: string
  readonly macOnlyEncrypted: boolean
}

/**
 * A `destination_rules` entry, used by `sops publish`. Kept as written: the Vault defaults
 * (`vault_kv_mount_name` "secret/", `vault_kv_version` 2) are applied by the publisher when
 * the fields are ""/0.
 */
export interface DestinationRuleConfig {
  readonly pathRegex: string
  readonly s3Bucket: string
  readonly s3Prefix: string
  readonly gcsBucket: string
  readonly gcsPrefix: string
  readonly vaultPath: string
  readonly vaultAddress: string
  readonly vaultKvMountName: string
  readonly vaultKvVersion: number
  /** Keys to re-encrypt with before uploading (an all-zero rule when absent). */
  readonly recreationRule: CreationRuleConfig
  readonly omitExtensions: boolean
}

/** The `stores` section: output indentation per format. */
export interface StoresConfig {
  /** YAML indent; 0 means the default (4). */
  readonly yaml: { readonly indent: number }
  /** JSON indent; -1 (the default when absent) means a tab. */
  readonly json: { readonly indent: number }
  /** Binary-store JSON indent; -1 (the default when absent) means a tab. */
  readonly jsonBinary: { readonly indent: number }
}

/** The whole decoded file. */
export interface ConfigFileData {
  /** null when `creation_rules` is absent or YAML null: the config then has no rules at all. */
  readonly creationRules: readonly CreationRuleConfig[] | null
  /** null when absent or YAML null. */
  readonly destinationRules: readonly DestinationRuleConfig[] | null
  readonly stores: StoresConfig
}
