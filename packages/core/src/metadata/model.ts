/**
 * The sops metadata (`sops:` section) as a typed model. Stores hand the core the raw section
 * as a {@link TreeBranch}; `metadata/codec.ts` converts between the two.
 * @module
 */

/** The master-key type identifiers sops knows, as written in metadata and decryption orders. */
export type KeyType = "age" | "pgp" | "kms" | "gcp_kms" | "azure_kv" | "hc_vault" | "hckms"

/** Every known key type, in the order sops loads a group's keys (`internalGroupFrom`). */
export const KEY_TYPES_LOAD_ORDER: readonly KeyType[] = [
  "kms",
  "gcp_kms",
  "hckms",
  "azure_kv",
  "hc_vault",
  "pgp",
  "age",
]

/** Fields every master key has. `enc` is the wrapped data key (or Shamir share). */
interface MasterKeyBase {
  /** The wrapped data key exactly as stored in the file ("" when not yet wrapped). */
  enc: string
}

/** An age recipient: X25519 `age1...`, post-quantum `age1pq1...`, plugin `age1<name>1...` or SSH. */
export interface AgeMasterKey extends MasterKeyBase {
  readonly type: "age"
  readonly recipient: string
}

/** An OpenPGP key, by fingerprint (spaces removed, case kept). */
export interface PgpMasterKey extends MasterKeyBase {
  readonly type: "pgp"
  readonly fp: string
  createdAt: string
}

/** An AWS KMS key. */
export interface KmsMasterKey extends MasterKeyBase {
  readonly type: "kms"
  readonly arn: string
  /** IAM role to assume first ("" = none). */
  readonly role: string
  /** Encryption context (empty = none). */
  readonly context: Readonly<Record<string, string>>
  /** Shared-config profile ("" = default chain). Always written, even empty. */
  readonly awsProfile: string
  createdAt: string
}

/** A GCP Cloud KMS key. */
export interface GcpKmsMasterKey extends MasterKeyBase {
  readonly type: "gcp_kms"
  readonly resourceId: string
  createdAt: string
}

/** A Huawei Cloud KMS key (`region:uuid`). */
export interface HckmsMasterKey extends MasterKeyBase {
  readonly type: "hckms"
  readonly keyId: string
  createdAt: string
}

/** An Azure Key Vault key. */
export interface AzureKvMasterKey extends MasterKeyBase {
  readonly type: "azure_kv"
  readonly vaultUrl: string
  readonly name: string
  readonly version: string
  createdAt: string
}

/** A HashiCorp Vault transit key. */
export interface HcVaultMasterKey extends MasterKeyBase {
  readonly type: "hc_vault"
  readonly vaultAddress: string
  readonly enginePath: string
  readonly keyName: string
  createdAt: string
}

/** Any master key recorded in metadata. Plain data: safe to log except `enc`. */
export type MasterKey =
  | AgeMasterKey
  | PgpMasterKey
  | KmsMasterKey
  | GcpKmsMasterKey
  | HckmsMasterKey
  | AzureKvMasterKey
  | HcVaultMasterKey

/** A key group: the data key (or one Shamir share) is wrapped for every key in it. */
export type KeyGroup = MasterKey[]

/** The value-selection options stored in metadata. At most one of the six strings is set. */
export interface EncryptionOptions {
  unencryptedSuffix?: string
  encryptedSuffix?: string
  unencryptedRegex?: string
  encryptedRegex?: string
  unencryptedCommentRegex?: string
  encryptedCommentRegex?: string
  /** Only encrypted values feed the MAC. */
  macOnlyEncrypted?: boolean
}

/** The metadata of an encrypted file. */
export interface Metadata {
  keyGroups: KeyGroup[]
  /** 0 = not set (then it is the number of groups when there are two or more). */
  shamirThreshold: number
  /** `lastmodified` exactly as written in the file (RFC 3339). */
  lastModified: string
  /** The encrypted MAC (`ENC[...]`), "" when absent. */
  mac: string
  /** Whether a `mac` key was present at all (old files have none). */
  hasMac: boolean
  /** Selection options as stored (the default `_unencrypted` suffix is *not* filled in here). */
  options: EncryptionOptions
  /** The sops version that wrote the file ("" when absent). */
  version: string
}

/** The default unencrypted suffix sops applies when no selection option is set. */
export const DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"

/** The sops version this implementation writes into new files. */
export const SOPS_VERSION = "3.13.2"

/**
 * The string sops uses to identify a key (`ToString()`): for de-duplication, `updatekeys`
 * diffs and `--rm-*` matching. Never includes `enc`.
 */
export function keyId(key: MasterKey): string {
  switch (key.type) {
    case "age":
      return key.recipient
    case "pgp":
      return key.fp
    case "kms": {
      let s = key.arn
      if (key.role) s += "+" + key.role
      const ctx = Object.keys(key.context)
        .sort()
        .map((k) => `${k}:${key.context[k]}`)
        .join(",")
      if (key.awsProfile) return `${s}|${ctx}|${key.awsProfile}`
      if (ctx) s += "|" + ctx
      return s
    }
    case "gcp_kms":
      return key.resourceId
    case "hckms":
      return key.keyId
    case "azure_kv":
      return `${key.vaultUrl}/keys/${key.name}/${key.version}`
    case "hc_vault":
      return `${key.vaultAddress}/v1/${key.enginePath}/keys/${key.keyName}`
  }
}

/** A short human label: `age age1abc...`, `pgp FBC7...`. */
export function describeKey(key: MasterKey): string {
  return `${key.type} ${keyId(key)}`
}
