/**
 * The audit's data model: findings, per-file inventory and the report. This is also the shape
 * of the JSON output (documented in `docs/audit-json-schema.json`).
 * @module
 */
import type { Format, KeyType } from "@sops-ts/core"

/** How bad a finding is, from worst to mildest. */
export type Severity = "critical" | "high" | "medium" | "low" | "info"

/** Severities, worst first. */
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"]

/** Rank of a severity: 0 for critical, 4 for info. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s)
}

/** Whether `s` is at least as bad as `threshold`. */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) <= severityRank(threshold)
}

/** Every kind of finding the audit reports. */
export type FindingKind =
  /** Plaintext file matched by a `.sops.yaml` creation rule. */
  | "plaintext-rule-match"
  /** Plaintext Kubernetes `Secret` manifest. */
  | "plaintext-k8s-secret"
  /** Plaintext `SopsSecret` (sops-secrets-operator) manifest. */
  | "plaintext-sops-secret"
  /** Plaintext file read by a kustomize `secretGenerator`. */
  | "plaintext-secret-generator"
  /** Plaintext Helm secrets values file (`secrets*.yaml`). */
  | "plaintext-helm-secrets"
  /** High-entropy value under a secret-looking key in a plaintext file. */
  | "plaintext-high-entropy"
  /** A secret-looking value left in clear in an encrypted file (suffix/regex exemption). */
  | "cleartext-secret-value"
  /** The file's master keys differ from what `.sops.yaml` requires now. */
  | "key-drift"
  /** The data key is older than the policy allows. */
  | "stale-data-key"
  /** A key the policy requires is missing. */
  | "missing-required-key"
  /** A key or key type the policy forbids is present. */
  | "forbidden-key"
  /** An RSA key (PGP or ssh-rsa age recipient) shorter than 2048 bits. */
  | "weak-rsa-key"
  /** Written by a sops version older than the policy allows. */
  | "old-sops-version"
  /** No MAC: integrity cannot be verified. */
  | "missing-mac"
  /** `mac_only_encrypted` is set where the policy forbids it. */
  | "mac-only-encrypted"
  /** An encrypted file outside the paths the policy allows. */
  | "path-not-allowed"
  /** The file cannot be parsed in its format. */
  | "unparseable"
  /** An `ENC[...]` value is malformed. */
  | "malformed-value"
  /** Values look encrypted but there is no `sops` metadata. */
  | "metadata-missing"
  /** The `sops` metadata is present but invalid. */
  | "metadata-invalid"
  /** `--verify`: the data key could not be recovered with the available keys. */
  | "verify-no-key"
  /** `--verify`: decryption or MAC verification failed. */
  | "verify-failed"
  /** `--history`: a secret file was committed in plaintext at some point. */
  | "plaintext-in-history"

/** Every finding kind with its default severity and a one-line title. */
export const FINDING_KINDS: Readonly<Record<FindingKind, { readonly severity: Severity; readonly title: string }>> = {
  "plaintext-rule-match": { severity: "critical", title: "Plaintext file matches a .sops.yaml creation rule" },
  "plaintext-k8s-secret": { severity: "critical", title: "Plaintext Kubernetes Secret" },
  "plaintext-sops-secret": { severity: "critical", title: "Plaintext SopsSecret manifest" },
  "plaintext-secret-generator": { severity: "critical", title: "Plaintext secretGenerator input" },
  "plaintext-helm-secrets": { severity: "critical", title: "Plaintext Helm secrets values file" },
  "plaintext-high-entropy": { severity: "high", title: "High-entropy value under a secret-looking key" },
  "cleartext-secret-value": { severity: "high", title: "Secret-looking value left unencrypted" },
  "key-drift": { severity: "medium", title: "Master keys differ from .sops.yaml" },
  "stale-data-key": { severity: "medium", title: "Data key older than the policy allows" },
  "missing-required-key": { severity: "high", title: "Required key missing" },
  "forbidden-key": { severity: "high", title: "Forbidden key or key type" },
  "weak-rsa-key": { severity: "high", title: "RSA key shorter than 2048 bits" },
  "old-sops-version": { severity: "low", title: "Written by an old sops version" },
  "missing-mac": { severity: "high", title: "No MAC" },
  "mac-only-encrypted": { severity: "medium", title: "mac_only_encrypted is set" },
  "path-not-allowed": { severity: "medium", title: "Encrypted file outside allowed paths" },
  unparseable: { severity: "high", title: "File cannot be parsed" },
  "malformed-value": { severity: "high", title: "Malformed ENC[...] value" },
  "metadata-missing": { severity: "high", title: "Encrypted values without sops metadata" },
  "metadata-invalid": { severity: "high", title: "Invalid sops metadata" },
  "verify-no-key": { severity: "medium", title: "No available key opens the file" },
  "verify-failed": { severity: "critical", title: "Decryption or MAC verification failed" },
  "plaintext-in-history": { severity: "critical", title: "Secret file was committed in plaintext" },
}

/** The command that fixes a finding. */
export interface Fix {
  /** A shell command, ready to paste (paths quoted when needed). */
  readonly command: string
  /** What to do besides, or why the command helps. */
  readonly note?: string
}

/** One problem found in one file. */
export interface Finding {
  readonly kind: FindingKind
  readonly severity: Severity
  /** Path relative to the audited root, with `/` separators. */
  readonly file: string
  /** A human message. Never contains a secret value. */
  readonly message: string
  /** Where in the file (a tree path like `["data"]["password"]`), when it applies. */
  readonly location?: string
  /** 1-based line, when known. */
  readonly line?: number
  readonly fix: Fix
  /** Machine-readable details (key ids, ages, commits). */
  readonly details?: Readonly<Record<string, unknown>>
}

/** A master key as listed in the inventory. */
export interface KeyRef {
  readonly type: KeyType
  /** sops' key id (`keyId`): recipient, fingerprint, ARN... */
  readonly id: string
  /** `created_at` of the key entry (absent for age). */
  readonly createdAt?: string
}

/** What the inventory records about an encrypted file. */
export interface EncryptedInfo {
  readonly format: Format
  /** `version` as written ("" when absent). */
  readonly sopsVersion: string
  readonly keyGroups: readonly (readonly KeyRef[])[]
  /** Effective threshold: the stored one, or the number of groups when unset with 2+ groups. */
  readonly threshold: number
  /** `lastmodified` as written. */
  readonly lastModified: string
  /** Data-key age in whole days at audit time (null when `lastmodified` is unparseable). */
  readonly dataKeyAgeDays: number | null
  /** Selection options in metadata names (`unencrypted_suffix`...), plus `mac_only_encrypted`. */
  readonly selection: Readonly<Record<string, string | boolean>>
  readonly macPresent: boolean
  /** Number of `ENC[...]` values. */
  readonly encryptedValues: number
  /** Number of non-empty values left in clear. */
  readonly cleartextValues: number
}

/** The class of a file. */
export type FileClass = "encrypted" | "plaintext-secret" | "broken" | "plain"

/** One audited file. */
export interface FileEntry {
  /** Path relative to the audited root, `/` separators. */
  readonly path: string
  readonly class: FileClass
  /** Present for `encrypted` files. */
  readonly encrypted?: EncryptedInfo
  /** The `.sops.yaml` creation rule index that matches, if any. */
  readonly creationRule?: number
}

/** History of one secret file (`--history`). */
export interface FileHistory {
  readonly path: string
  /** The commit in which the data key was last replaced (heuristic: every ciphertext changed). */
  readonly lastRotation: { readonly commit: string; readonly date: string } | null
  /** Commits that changed the set of master keys. */
  readonly keyChanges: readonly {
    readonly commit: string
    readonly date: string
    readonly added: readonly string[]
    readonly removed: readonly string[]
  }[]
  /** Commits in which the file was in plaintext. */
  readonly plaintextCommits: readonly { readonly commit: string; readonly date: string }[]
}

/** `--verify` result of one file. */
export interface VerifyResult {
  readonly path: string
  readonly ok: boolean
  /** The SopsError code on failure. */
  readonly errorCode?: string
  /** The key that opened the data key. */
  readonly keyUsed?: string
}

/** Counts for the summary. */
export interface AuditSummary {
  readonly files: number
  readonly encrypted: number
  readonly plaintextSecrets: number
  readonly broken: number
  readonly findings: Readonly<Record<Severity, number>>
}

/** The result of an audit. */
export interface AuditReport {
  /** JSON schema version of this document. */
  readonly schemaVersion: 1
  readonly tool: { readonly name: "sops-ts audit"; readonly version: string }
  /** ISO 8601 time of the audit. */
  readonly generatedAt: string
  /** Absolute path of the audited root. */
  readonly root: string
  /** What was audited: the work tree or the git index. */
  readonly source: "worktree" | "staged"
  /** The `.sops.yaml` used (relative), or null. */
  readonly sopsConfig: string | null
  /** The policy file used (relative), or null for the defaults. */
  readonly policyFile: string | null
  /** The policy limits the report was judged by. */
  readonly policy: { readonly maxDataKeyAgeDays: number; readonly minSopsVersion: string; readonly failOn: Severity }
  readonly summary: AuditSummary
  /** Only files that are encrypted, secret or broken (plain files are counted, not listed). */
  readonly files: readonly FileEntry[]
  readonly findings: readonly Finding[]
  readonly history?: readonly FileHistory[]
  readonly verify?: readonly VerifyResult[]
}
