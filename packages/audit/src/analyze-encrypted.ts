/**
 * Checks of one sops-encrypted file: inventory, drift, staleness, weak or forbidden keys,
 * MAC, malformed values and secrets left in clear.
 * @module
 */
import {
  keyId,
  metadataFromBranch,
  parseEncryptedValue,
  parseRFC3339,
  type Format,
  type LoadedEncrypted,
  type MasterKey,
  type Metadata,
} from "@sops-ts/core"
import type { AuditContext } from "./context.js"
import { shellQuote } from "./fixes.js"
import type { EncryptedInfo, FileEntry, Finding, KeyRef } from "./model.js"
import { sshRsaBits } from "./rsa-keys.js"
import { looksLikeSecret } from "./secrets.js"
import { forEachString, lineOf, pathText } from "./tree-walk.js"
import { compareVersions } from "./version.js"

const DAY_MS = 86_400_000

/** The metadata names of the selection options. */
const OPTION_NAMES: readonly (readonly [keyof Metadata["options"], string])[] = [
  ["unencryptedSuffix", "unencrypted_suffix"],
  ["encryptedSuffix", "encrypted_suffix"],
  ["unencryptedRegex", "unencrypted_regex"],
  ["encryptedRegex", "encrypted_regex"],
  ["unencryptedCommentRegex", "unencrypted_comment_regex"],
  ["encryptedCommentRegex", "encrypted_comment_regex"],
  ["macOnlyEncrypted", "mac_only_encrypted"],
]

/** A master key as the inventory lists it. */
export function keyRef(k: MasterKey): KeyRef {
  const createdAt = "createdAt" in k && k.createdAt !== "" ? k.createdAt : undefined
  return { type: k.type, id: keyId(k), ...(createdAt !== undefined ? { createdAt } : {}) }
}

function label(k: KeyRef): string {
  return `${k.type} ${k.id}`
}

/** Result of checking one file. */
export interface FileResult {
  readonly entry: FileEntry
  readonly findings: Finding[]
}

/** Checks an encrypted file whose store already loaded it. */
export function analyzeEncrypted(ctx: AuditContext, rel: string, format: Format, loaded: LoadedEncrypted, text: string): FileResult {
  const findings: Finding[] = []
  const fx = ctx.fixes
  let meta: Metadata
  try {
    meta = metadataFromBranch(loaded.metadata)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    findings.push(
      ctx.finding("metadata-invalid", rel, `the sops metadata is invalid: ${reason}`, {
        command: fx.restore(rel),
        note: "restore the last good version (see `git log -- <file>`), then re-apply the change with sops",
      }),
    )
    return { entry: { path: rel, class: "broken" }, findings }
  }

  // sops refuses files whose lastmodified does not parse (it is the MAC's AAD).
  if (parseRFC3339(meta.lastModified) === null) {
    findings.push(
      ctx.finding("metadata-invalid", rel, "the sops metadata is invalid: lastmodified is missing or not an RFC 3339 time", {
        command: fx.restore(rel),
        note: "restore the last good version, then re-apply the change with sops",
      }),
    )
    return { entry: { path: rel, class: "broken" }, findings }
  }
  const groups = meta.keyGroups.map((g) => g.map(keyRef))
  const allKeys = groups.flat()
  const threshold = groups.length >= 2 ? meta.shamirThreshold || groups.length : 1
  const ts = parseRFC3339(meta.lastModified)
  const ageDays = ts === null ? null : Math.floor((ctx.now.getTime() - ts.toDate().getTime()) / DAY_MS)
  const selection: Record<string, string | boolean> = {}
  for (const [k, name] of OPTION_NAMES) {
    const v = meta.options[k]
    if (v !== undefined && v !== "" && v !== false) selection[name] = v
  }

  // Values: count, find malformed ENC[...] and secrets left in clear.
  const lines = text.split("\n")
  let encryptedValues = 0
  let cleartextValues = 0
  for (const branch of loaded.branches) {
    forEachString(branch, (leaf) => {
      if (leaf.value === "") return
      if (leaf.value.startsWith("ENC[")) {
        try {
          parseEncryptedValue(leaf.value, pathText(leaf.path))
          encryptedValues++
        } catch {
          const line = lineOf(lines, leaf.path)
          findings.push(
            ctx.finding("malformed-value", rel, `the value at ${pathText(leaf.path)} is not a well-formed ENC[AES256_GCM,...] value`, {
              command: fx.restore(rel),
              note: "the value was damaged outside sops (merge conflict, manual edit); restore it from history",
            }, { location: pathText(leaf.path), ...(line !== undefined ? { line } : {}) }),
          )
        }
        return
      }
      cleartextValues++
      if (format !== "binary" && looksLikeSecret(leaf.key, leaf.value, ctx.policy.entropyThreshold)) {
        const line = lineOf(lines, leaf.path)
        findings.push(
          ctx.finding(
            "cleartext-secret-value",
            rel,
            `the value at ${pathText(leaf.path)} looks like a secret but is stored unencrypted (exempted by ${Object.keys(selection).filter((n) => n !== "mac_only_encrypted").join(", ") || "unencrypted_suffix: _unencrypted"})`,
            { command: fx.edit(rel), note: "move the value to a key that the file's selection options encrypt, then rotate the credential: it is in Git history" },
            { location: pathText(leaf.path), ...(line !== undefined ? { line } : {}) },
          ),
        )
      }
    })
  }

  const info: EncryptedInfo = {
    format,
    sopsVersion: meta.version,
    keyGroups: groups,
    threshold,
    lastModified: meta.lastModified,
    dataKeyAgeDays: ageDays,
    selection,
    macPresent: meta.hasMac && meta.mac !== "",
    encryptedValues,
    cleartextValues,
  }
  const rule = ctx.ruleFor(rel)
  const entry: FileEntry = { path: rel, class: "encrypted", encrypted: info, ...(rule ? { creationRule: rule.index } : {}) }
  const p = ctx.policy

  // Drift against .sops.yaml.
  const required = ctx.requiredKeysFor(rel)
  if (required !== null && required.keyGroups.some((g) => g.length > 0)) {
    const want = required.keyGroups.map((g) => g.map(keyRef))
    const setOf = (gs: KeyRef[][]): Set<string> => new Set(gs.flat().map(label))
    const have = setOf(groups)
    const need = setOf(want)
    const added = [...need].filter((k) => !have.has(k))
    const removed = [...have].filter((k) => !need.has(k))
    const sameShape =
      want.length === groups.length &&
      want.every((g, i) => {
        const mine = new Set((groups[i] ?? []).map(label))
        return g.length === mine.size && g.every((k) => mine.has(label(k)))
      })
    const wantThreshold = want.length >= 2 ? required.shamirThreshold || want.length : 1
    if (!sameShape || wantThreshold !== threshold) {
      findings.push(
        ctx.finding(
          "key-drift",
          rel,
          `the master keys differ from .sops.yaml creation rule: ${added.length} to add, ${removed.length} to remove${wantThreshold !== threshold ? `, threshold ${threshold} → ${wantThreshold}` : ""}`,
          removed.length > 0
            ? { command: fx.updatekeys(rel), note: `removed keys can still open old versions from Git history; follow with \`${fx.rotate(rel)}\`` }
            : { command: fx.updatekeys(rel) },
          { details: { add: added, remove: removed } },
        ),
      )
    }
  }

  // Data-key age.
  if (p.maxDataKeyAgeDays > 0 && ageDays !== null && ageDays > p.maxDataKeyAgeDays) {
    findings.push(
      ctx.finding("stale-data-key", rel, `the data key is ${ageDays} days old (policy: at most ${p.maxDataKeyAgeDays})`, { command: fx.rotate(rel) }, {
        details: { ageDays, maxDays: p.maxDataKeyAgeDays, lastModified: meta.lastModified },
      }),
    )
  }

  // Required and forbidden keys and key types.
  const ids = new Set(allKeys.map((k) => k.id))
  const types = new Set(allKeys.map((k) => k.type))
  for (const id of p.requiredKeys) {
    if (!ids.has(id)) {
      const type = guessType(id)
      findings.push(
        ctx.finding("missing-required-key", rel, `the required key ${id} is not among the file's master keys`, {
          command: fx.rotate(rel, { add: [{ type, id }] }),
          note: "or add the key to the matching .sops.yaml rule and run updatekeys",
        }, { details: { key: id } }),
      )
    }
  }
  for (const t of p.requiredKeyTypes) {
    if (!types.has(t)) {
      findings.push(
        ctx.finding("missing-required-key", rel, `the file has no ${t} key (policy requires one)`, {
          command: fx.rotate(rel, { add: [{ type: t, id: `<${t}-key>` }] }),
        }, { details: { keyType: t } }),
      )
    }
  }
  const forbidden = allKeys.filter((k) => p.forbiddenKeys.includes(k.id) || p.forbiddenKeyTypes.includes(k.type))
  if (forbidden.length > 0) {
    const remaining = allKeys.length - forbidden.length
    findings.push(
      ctx.finding(
        "forbidden-key",
        rel,
        `the file is encrypted to ${forbidden.length === 1 ? "a key" : "keys"} the policy forbids: ${forbidden.map(label).join(", ")}`,
        {
          command: fx.rotate(rel, { remove: forbidden, ...(remaining === 0 ? { add: [{ type: "age", id: ctx.anyAgeRecipient() ?? "<age-recipient>" }] } : {}) }),
          note: "rotating replaces the data key, so the removed keys cannot open future versions",
        },
        { details: { keys: forbidden.map(label) } },
      ),
    )
  }

  // Weak RSA keys.
  for (const k of allKeys) {
    let bits: number | null = null
    if (k.type === "age") bits = sshRsaBits(k.id)
    else if (k.type === "pgp") bits = ctx.pgpKeys.get(k.id.toUpperCase())?.rsaBits ?? null
    if (bits !== null && bits < p.minRsaBits) {
      const remaining = allKeys.length - 1
      findings.push(
        ctx.finding("weak-rsa-key", rel, `${label(k)} is a ${bits}-bit RSA key (minimum ${p.minRsaBits})`, {
          command: fx.rotate(rel, { remove: [k], ...(remaining === 0 ? { add: [{ type: "age", id: ctx.anyAgeRecipient() ?? "<age-recipient>" }] } : {}) }),
          note: "replace the key in .sops.yaml with a stronger one (age or a KMS key)",
        }, { details: { key: label(k), bits } }),
      )
    }
  }

  // Version and MAC.
  if (p.minSopsVersion !== "" && (meta.version === "" || compareVersions(meta.version, p.minSopsVersion) < 0)) {
    findings.push(
      ctx.finding("old-sops-version", rel, `written by sops ${meta.version === "" ? "(no version)" : meta.version}, older than ${p.minSopsVersion}`, {
        command: fx.reencrypt(rel),
        note: "rotate and updatekeys keep the version stamp; re-encrypting writes the current one",
      }, { details: { version: meta.version, minimum: p.minSopsVersion } }),
    )
  }
  if (p.requireMac && !info.macPresent) {
    findings.push(
      ctx.finding("missing-mac", rel, "the file has no MAC, so tampering with its values cannot be detected", {
        command: fx.rotate(rel, { ignoreMac: true }),
        note: "check the values first: the rotation trusts them and writes a new MAC",
      }),
    )
  }
  if (!p.allowMacOnlyEncrypted && meta.options.macOnlyEncrypted === true) {
    findings.push(
      ctx.finding("mac-only-encrypted", rel, "mac_only_encrypted is set: values left in clear are not covered by the MAC", {
        command: fx.reencrypt(rel),
        note: "remove mac_only_encrypted from the .sops.yaml rule first",
      }),
    )
  }
  if (p.allowedPaths.length > 0 && !p.allowedPaths.some((re) => re.test(rel))) {
    findings.push(
      ctx.finding("path-not-allowed", rel, "encrypted file outside the paths the policy allows", {
        command: `git mv ${shellQuote(rel)} <allowed-path>/`,
        note: `allowed: ${p.allowedPaths.map((r) => r.source).join(", ")}`,
      }),
    )
  }
  return { entry, findings }
}

/** Guesses the key type of a policy key id, for fix commands. */
export function guessType(id: string): KeyRef["type"] {
  if (id.startsWith("age1") || id.startsWith("ssh-")) return "age"
  if (id.startsWith("arn:")) return "kms"
  if (id.startsWith("projects/")) return "gcp_kms"
  if (/^https:\/\/[^/]+\.vault\.azure\.net\//.test(id)) return "azure_kv"
  if (/^https?:\/\/.+\/v1\/.+\/keys\//.test(id)) return "hc_vault"
  if (/^[0-9A-Fa-f]{16,40}$/.test(id)) return "pgp"
  return "hckms"
}
