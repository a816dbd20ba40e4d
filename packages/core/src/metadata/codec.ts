/**
 * Converting between the raw `sops` section (a {@link TreeBranch} handed over by a store) and
 * the typed {@link Metadata} (spec sections 5.1-5.4).
 *
 * Reading is lenient the way sops' mapstructure decoding is: any key order, case-insensitive
 * field names, weak typing (numbers as strings and back), null or empty key lists, unknown
 * keys ignored. Writing follows sops 3.13: every map's keys sorted byte-wise, flat key lists
 * for one group, `key_groups` for two or more.
 * @module
 */
import { SopsError } from "../errors.js"
import { formatFloatF } from "../gofmt.js"
import { formatRFC3339Utc, parseRFC3339 } from "../time.js"
import { Comment, Timestamp, TreeBranch, type TreeItem, type TreeValue } from "../tree.js"
import { checkExclusiveOptions } from "../selection.js"
import {
  KEY_TYPES_LOAD_ORDER,
  type EncryptionOptions,
  type KeyGroup,
  type KeyType,
  type MasterKey,
  type Metadata,
} from "./model.js"

type Raw = Map<string, TreeValue>

function invalid(message: string): SopsError {
  return new SopsError("ERR_METADATA_INVALID", `invalid sops metadata: ${message}`)
}

/** Lower-cased field map of a branch (mapstructure matches field names case-insensitively). */
function fields(branch: TreeBranch): Raw {
  const m: Raw = new Map()
  for (const item of branch.items) {
    if (item.key instanceof Comment || typeof item.key !== "string") continue
    const k = item.key.toLowerCase()
    if (!m.has(k)) m.set(k, item.value)
  }
  return m
}

/** Weak conversion to string, as mapstructure's WeaklyTypedInput does. */
function weakString(v: TreeValue | undefined, what: string): string {
  if (v === undefined || v === null) return ""
  if (typeof v === "string") return v
  if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8")
  if (typeof v === "bigint") return v.toString()
  if (typeof v === "number") return formatFloatF(v)
  if (typeof v === "boolean") return v ? "1" : "0"
  if (v instanceof Timestamp) return v.toRFC3339Nano()
  throw invalid(`${what} must be a string`)
}

function weakInt(v: TreeValue | undefined, what: string): number {
  if (v === undefined || v === null || v === "") return 0
  if (typeof v === "bigint") return Number(v)
  if (typeof v === "number" && Number.isInteger(v)) return v
  if (typeof v === "boolean") return v ? 1 : 0
  if (typeof v === "string" && /^[+-]?\d+$/.test(v)) return Number(v)
  throw invalid(`${what} must be an integer`)
}

function weakBool(v: TreeValue | undefined, what: string): boolean {
  if (v === undefined || v === null || v === "") return false
  if (typeof v === "boolean") return v
  if (typeof v === "bigint") return v !== 0n
  if (typeof v === "number") return v !== 0
  if (typeof v === "string") {
    if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true
    if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false
  }
  throw invalid(`${what} must be a boolean`)
}

function list(v: TreeValue | undefined, what: string): TreeBranch[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw invalid(`${what} must be a list`)
  const out: TreeBranch[] = []
  for (const e of v) {
    if (e instanceof Comment) continue
    if (!(e instanceof TreeBranch)) throw invalid(`every entry of ${what} must be a mapping`)
    out.push(e)
  }
  return out
}

function requiredTime(v: TreeValue | undefined, what: string): string {
  const s = weakString(v, what)
  if (s === "") throw invalid(`${what} is missing`)
  const t = parseRFC3339(s)
  if (t === null) throw invalid(`${what} is not an RFC 3339 time`)
  return s
}

/**
 * sops keeps `created_at` as a time and writes it back as RFC 3339 UTC. Files written by the
 * Python implementation have epoch floats or no `created_at` at all; sops 3 refuses those, we
 * read them (keeping what we cannot interpret as it is).
 */
function createdAt(v: TreeValue | undefined, what: string): string {
  if (v === undefined || v === null || v === "") return ""
  if (typeof v === "number" || typeof v === "bigint") {
    return formatRFC3339Utc(new Date(Number(v) * 1000))
  }
  const s = weakString(v, what)
  const t = parseRFC3339(s)
  return t === null ? s : formatRFC3339Utc(new Date(t.epochMs))
}

function contextOf(v: TreeValue | undefined, what: string): Record<string, string> {
  const ctx: Record<string, string> = {}
  if (v === undefined || v === null) return ctx
  if (!(v instanceof TreeBranch)) throw invalid(`${what} must be a mapping`)
  for (const item of v.items) {
    if (typeof item.key !== "string") continue
    ctx[item.key] = weakString(item.value, `${what}.${item.key}`)
  }
  return ctx
}

function parseKey(type: KeyType, b: TreeBranch, where: string): MasterKey {
  const f = fields(b)
  const s = (name: string): string => weakString(f.get(name), `${where}.${name}`)
  switch (type) {
    case "age":
      return { type, recipient: s("recipient").trim(), enc: s("enc") }
    case "pgp":
      return { type, fp: s("fp"), createdAt: createdAt(f.get("created_at"), `${where}.created_at`), enc: s("enc") }
    case "kms":
      return {
        type,
        arn: s("arn"),
        role: s("role"),
        context: contextOf(f.get("context"), `${where}.context`),
        awsProfile: s("aws_profile"),
        createdAt: createdAt(f.get("created_at"), `${where}.created_at`),
        enc: s("enc"),
      }
    case "gcp_kms":
      return { type, resourceId: s("resource_id"), createdAt: createdAt(f.get("created_at"), `${where}.created_at`), enc: s("enc") }
    case "hckms":
      return { type, keyId: s("key_id"), createdAt: createdAt(f.get("created_at"), `${where}.created_at`), enc: s("enc") }
    case "azure_kv":
      return {
        type,
        vaultUrl: s("vault_url"),
        name: s("name"),
        version: s("version"),
        createdAt: createdAt(f.get("created_at"), `${where}.created_at`),
        enc: s("enc"),
      }
    case "hc_vault":
      return {
        type,
        vaultAddress: s("vault_address"),
        enginePath: s("engine_path"),
        keyName: s("key_name"),
        createdAt: createdAt(f.get("created_at"), `${where}.created_at`),
        enc: s("enc"),
      }
  }
}

function groupFrom(f: Raw, where: string): KeyGroup {
  const group: KeyGroup = []
  for (const type of KEY_TYPES_LOAD_ORDER) {
    const entries = list(f.get(type), `${where}${type}`)
    entries.forEach((e, i) => group.push(parseKey(type, e, `${where}${type}[${i}]`)))
  }
  return group
}

/**
 * Parses the raw `sops` section.
 * @throws SopsError `ERR_METADATA_INVALID` with the field at fault
 */
export function metadataFromBranch(branch: TreeBranch): Metadata {
  const f = fields(branch)
  let keyGroups: KeyGroup[]
  const flat = groupFrom(f, "")
  if (flat.length > 0) {
    keyGroups = [flat]
  } else {
    const groups = list(f.get("key_groups"), "key_groups")
    keyGroups = groups.map((g, i) => groupFrom(fields(g), `key_groups[${i}].`))
    if (keyGroups.length === 0) throw invalid("no keys found in file (no master keys and no key_groups)")
  }
  const lastModifiedRaw = f.get("lastmodified")
  // Files of the Python era (sops 0.8) have no lastmodified; their MAC cannot be verified,
  // which openDocument reports, but their values can still be read with --ignore-mac.
  const lastModified =
    lastModifiedRaw instanceof Timestamp
      ? lastModifiedRaw.toRFC3339()
      : lastModifiedRaw === undefined || lastModifiedRaw === null
        ? ""
        : requiredTime(lastModifiedRaw, "lastmodified")
  const options: EncryptionOptions = {}
  const opt = (name: string): string => weakString(f.get(name), name)
  if (opt("unencrypted_suffix")) options.unencryptedSuffix = opt("unencrypted_suffix")
  if (opt("encrypted_suffix")) options.encryptedSuffix = opt("encrypted_suffix")
  if (opt("unencrypted_regex")) options.unencryptedRegex = opt("unencrypted_regex")
  if (opt("encrypted_regex")) options.encryptedRegex = opt("encrypted_regex")
  if (opt("unencrypted_comment_regex")) options.unencryptedCommentRegex = opt("unencrypted_comment_regex")
  if (opt("encrypted_comment_regex")) options.encryptedCommentRegex = opt("encrypted_comment_regex")
  if (weakBool(f.get("mac_only_encrypted"), "mac_only_encrypted")) options.macOnlyEncrypted = true
  try {
    checkExclusiveOptions(options)
  } catch (err) {
    throw invalid((err as Error).message)
  }
  return {
    keyGroups,
    shamirThreshold: weakInt(f.get("shamir_threshold"), "shamir_threshold"),
    lastModified,
    mac: weakString(f.get("mac"), "mac"),
    hasMac: f.has("mac"),
    options,
    version: weakString(f.get("version"), "version"),
  }
}

const item = (key: string, value: TreeValue): TreeItem => ({ key, value })
const byKey = (a: TreeItem, b: TreeItem): number => {
  const x = a.key as string
  const y = b.key as string
  return x < y ? -1 : x > y ? 1 : 0
}
const sorted = (items: TreeItem[]): TreeBranch => new TreeBranch(items.sort(byKey))

function keyToBranch(k: MasterKey): TreeBranch {
  switch (k.type) {
    case "age":
      return sorted([item("recipient", k.recipient), item("enc", k.enc)])
    case "pgp":
      return sorted([item("fp", k.fp), item("created_at", k.createdAt), item("enc", k.enc)])
    case "kms": {
      const items = [item("arn", k.arn), item("created_at", k.createdAt), item("enc", k.enc), item("aws_profile", k.awsProfile)]
      if (k.role) items.push(item("role", k.role))
      const ctxKeys = Object.keys(k.context)
      if (ctxKeys.length > 0) items.push(item("context", sorted(ctxKeys.map((c) => item(c, k.context[c]!)))))
      return sorted(items)
    }
    case "gcp_kms":
      return sorted([item("resource_id", k.resourceId), item("created_at", k.createdAt), item("enc", k.enc)])
    case "hckms":
      return sorted([item("key_id", k.keyId), item("created_at", k.createdAt), item("enc", k.enc)])
    case "azure_kv":
      return sorted([
        item("vault_url", k.vaultUrl),
        item("name", k.name),
        item("version", k.version),
        item("created_at", k.createdAt),
        item("enc", k.enc),
      ])
    case "hc_vault":
      return sorted([
        item("vault_address", k.vaultAddress),
        item("engine_path", k.enginePath),
        item("key_name", k.keyName),
        item("created_at", k.createdAt),
        item("enc", k.enc),
      ])
  }
}

function groupItems(group: KeyGroup, alwaysAgeAndVault: boolean): TreeItem[] {
  const items: TreeItem[] = []
  const types: KeyType[] = ["age", "azure_kv", "gcp_kms", "hc_vault", "hckms", "kms", "pgp"]
  for (const t of types) {
    const keys = group.filter((k) => k.type === t).map(keyToBranch)
    if (keys.length > 0 || (alwaysAgeAndVault && (t === "age" || t === "hc_vault"))) items.push(item(t, keys))
  }
  return items
}

/**
 * Serialises metadata the way sops 3.13 does: keys sorted at every level; one group → flat
 * key lists; two or more → `key_groups` (each with `age` and `hc_vault` always present).
 */
export function metadataToBranch(m: Metadata): TreeBranch {
  const items: TreeItem[] = []
  if (m.keyGroups.length === 1) items.push(...groupItems(m.keyGroups[0]!, false))
  else if (m.keyGroups.length > 1) {
    items.push(item("key_groups", m.keyGroups.map((g) => new TreeBranch(groupItems(g, true)))))
  }
  items.push(item("lastmodified", m.lastModified))
  items.push(item("mac", m.mac))
  const o = m.options
  if (o.unencryptedSuffix) items.push(item("unencrypted_suffix", o.unencryptedSuffix))
  if (o.encryptedSuffix) items.push(item("encrypted_suffix", o.encryptedSuffix))
  if (o.unencryptedRegex) items.push(item("unencrypted_regex", o.unencryptedRegex))
  if (o.encryptedRegex) items.push(item("encrypted_regex", o.encryptedRegex))
  if (o.unencryptedCommentRegex) items.push(item("unencrypted_comment_regex", o.unencryptedCommentRegex))
  if (o.encryptedCommentRegex) items.push(item("encrypted_comment_regex", o.encryptedCommentRegex))
  if (o.macOnlyEncrypted) items.push(item("mac_only_encrypted", true))
  if (m.shamirThreshold !== 0) items.push(item("shamir_threshold", BigInt(m.shamirThreshold)))
  items.push(item("version", m.version))
  return sorted(items)
}
