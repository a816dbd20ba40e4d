/**
 * The audit policy (`.sops-audit.yaml`): what the repository promises about its secrets.
 * Every field is optional; {@link DEFAULT_POLICY} fills the gaps.
 * @module
 */
import { readFile } from "node:fs/promises"
import { KEY_TYPES_LOAD_ORDER, SopsError, TreeBranch, storeFor, treeToObject, type KeyType } from "@sops-ts/core"
import { FINDING_KINDS, SEVERITIES, type FindingKind, type Severity } from "./model.js"

/** The policy file name looked up at the audited root. */
export const POLICY_FILE_NAME = ".sops-audit.yaml"

/** A resolved policy. */
export interface AuditPolicy {
  /** Maximum data-key age in days before `rotate` is due (0 = no limit). */
  readonly maxDataKeyAgeDays: number
  /** Oldest sops version allowed to have written a file ("" = any). */
  readonly minSopsVersion: string
  /** Key ids every encrypted file must include (e.g. a break-glass recipient). */
  readonly requiredKeys: readonly string[]
  /** Key ids no file may include (revoked or departed). */
  readonly forbiddenKeys: readonly string[]
  /** Key types every encrypted file must include at least one of each. */
  readonly requiredKeyTypes: readonly KeyType[]
  /** Key types no file may use (e.g. `pgp` once the team moved to age or KMS). */
  readonly forbiddenKeyTypes: readonly KeyType[]
  /** Minimum RSA modulus size. */
  readonly minRsaBits: number
  /** Whether files without a MAC are tolerated. */
  readonly requireMac: boolean
  /** Whether `mac_only_encrypted` is allowed. */
  readonly allowMacOnlyEncrypted: boolean
  /** Regexes (JavaScript syntax) of paths where encrypted files may live; empty = anywhere. */
  readonly allowedPaths: readonly RegExp[]
  /** Regexes of paths the audit skips. */
  readonly ignorePaths: readonly RegExp[]
  /** Severity overrides per finding kind. */
  readonly severities: Readonly<Partial<Record<FindingKind, Severity>>>
  /** Lowest severity that fails the run (exit code 1). */
  readonly failOn: Severity
  /** The program named in fix commands (`sops` or `sops-ts`). */
  readonly sopsCommand: string
  /** Minimum Shannon entropy (bits per character) for a value to look like a secret. */
  readonly entropyThreshold: number
  /** Public OpenPGP key files (relative paths) whose key sizes are checked; default: `*.asc` found in the repo. */
  readonly pgpKeyFiles: readonly string[]
}

/** The defaults used without a policy file. */
export const DEFAULT_POLICY: AuditPolicy = {
  maxDataKeyAgeDays: 180,
  minSopsVersion: "3.7.0",
  requiredKeys: [],
  forbiddenKeys: [],
  requiredKeyTypes: [],
  forbiddenKeyTypes: [],
  minRsaBits: 2048,
  requireMac: true,
  allowMacOnlyEncrypted: true,
  allowedPaths: [],
  ignorePaths: [],
  severities: {},
  failOn: "high",
  sopsCommand: "sops",
  entropyThreshold: 3.5,
  pgpKeyFiles: [],
}

const FIELDS: Record<string, keyof AuditPolicy> = {
  max_data_key_age_days: "maxDataKeyAgeDays",
  min_sops_version: "minSopsVersion",
  required_keys: "requiredKeys",
  forbidden_keys: "forbiddenKeys",
  required_key_types: "requiredKeyTypes",
  forbidden_key_types: "forbiddenKeyTypes",
  min_rsa_bits: "minRsaBits",
  require_mac: "requireMac",
  allow_mac_only_encrypted: "allowMacOnlyEncrypted",
  allowed_paths: "allowedPaths",
  ignore_paths: "ignorePaths",
  severities: "severities",
  fail_on: "failOn",
  sops_command: "sopsCommand",
  entropy_threshold: "entropyThreshold",
  pgp_key_files: "pgpKeyFiles",
}

function bad(where: string, what: string): SopsError {
  return new SopsError("ERR_CONFIG", `invalid audit policy: ${where} ${what}`, { details: { field: where } })
}

function num(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw bad(where, "must be a non-negative number")
  return v
}

function strList(v: unknown, where: string): string[] {
  if (typeof v === "string") return [v]
  if (!Array.isArray(v) || !v.every((e) => typeof e === "string")) throw bad(where, "must be a list of strings")
  return v as string[]
}

function keyTypes(v: unknown, where: string): KeyType[] {
  const list = strList(v, where)
  for (const t of list) {
    if (!(KEY_TYPES_LOAD_ORDER as readonly string[]).includes(t)) {
      throw bad(where, `names an unknown key type "${t}" (use ${KEY_TYPES_LOAD_ORDER.join(", ")})`)
    }
  }
  return list as KeyType[]
}

function regexes(v: unknown, where: string): RegExp[] {
  return strList(v, where).map((s, i) => {
    try {
      return new RegExp(s)
    } catch {
      throw bad(`${where}[${i}]`, "is not a valid regular expression")
    }
  })
}

function severity(v: unknown, where: string): Severity {
  if (typeof v !== "string" || !(SEVERITIES as readonly string[]).includes(v)) {
    throw bad(where, `must be one of ${SEVERITIES.join(", ")}`)
  }
  return v as Severity
}

/**
 * Builds a policy from the parsed YAML object of a policy file.
 * @throws SopsError `ERR_CONFIG` for an unknown field or a value of the wrong type
 */
export function policyFromObject(obj: unknown): AuditPolicy {
  if (obj === null || obj === undefined) return DEFAULT_POLICY
  if (typeof obj !== "object" || Array.isArray(obj)) throw bad("the document", "must be a mapping")
  const out: Record<string, unknown> = { ...DEFAULT_POLICY }
  for (const [name, v] of Object.entries(obj as Record<string, unknown>)) {
    const field = FIELDS[name]
    if (field === undefined) throw bad(name, `is not a policy field (known: ${Object.keys(FIELDS).join(", ")})`)
    switch (field) {
      case "maxDataKeyAgeDays":
      case "minRsaBits":
      case "entropyThreshold":
        out[field] = num(v, name)
        break
      case "minSopsVersion":
      case "sopsCommand":
        if (typeof v !== "string") throw bad(name, "must be a string")
        out[field] = v
        break
      case "requiredKeys":
      case "forbiddenKeys":
      case "pgpKeyFiles":
        out[field] = strList(v, name)
        break
      case "requiredKeyTypes":
      case "forbiddenKeyTypes":
        out[field] = keyTypes(v, name)
        break
      case "requireMac":
      case "allowMacOnlyEncrypted":
        if (typeof v !== "boolean") throw bad(name, "must be true or false")
        out[field] = v
        break
      case "allowedPaths":
      case "ignorePaths":
        out[field] = regexes(v, name)
        break
      case "failOn":
        out[field] = severity(v, name)
        break
      case "severities": {
        if (v === null || typeof v !== "object" || Array.isArray(v)) throw bad(name, "must be a mapping of finding kind to severity")
        const sev: Partial<Record<FindingKind, Severity>> = {}
        for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
          if (!(k in FINDING_KINDS)) throw bad(`${name}.${k}`, "is not a finding kind")
          sev[k as FindingKind] = severity(s, `${name}.${k}`)
        }
        out[field] = sev
        break
      }
    }
  }
  return out as unknown as AuditPolicy
}

/**
 * Parses the text of a policy file.
 * @throws SopsError `ERR_CONFIG`
 */
export function parsePolicy(text: string): AuditPolicy {
  let branches
  try {
    branches = storeFor("yaml").loadPlain(new TextEncoder().encode(text))
  } catch (cause) {
    throw new SopsError("ERR_CONFIG", "invalid audit policy: not valid YAML", { cause })
  }
  const first = branches[0]
  if (first === undefined) return DEFAULT_POLICY
  return policyFromObject(treeToObject(first instanceof TreeBranch ? first : new TreeBranch()))
}

/**
 * Reads a policy file.
 * @throws SopsError `ERR_CONFIG` when it cannot be read or is invalid
 */
export async function loadPolicy(path: string): Promise<AuditPolicy> {
  let text: string
  try {
    text = await readFile(path, "utf8")
  } catch (cause) {
    throw new SopsError("ERR_CONFIG", `could not read the audit policy ${path}`, { cause, details: { path } })
  }
  return parsePolicy(text)
}

/** The severity of a finding kind under `policy`. */
export function severityFor(policy: AuditPolicy, kind: FindingKind): Severity {
  return policy.severities[kind] ?? FINDING_KINDS[kind].severity
}
