/**
 * Classifies one file: sops-encrypted, plaintext that must be encrypted, broken, or plain.
 * @module
 */
import { posix } from "node:path"
import { formatForPath, isSopsError, storeFor, treeToObject, type Format, type LoadedEncrypted, type TreeBranches } from "@sops-ts/core"
import { analyzeEncrypted, type FileResult } from "./analyze-encrypted.js"
import type { AuditContext } from "./context.js"
import type { Finding, FindingKind } from "./model.js"
import { looksLikeSecret } from "./secrets.js"
import { forEachString, lineOf, pathText } from "./tree-walk.js"

export type { FileResult } from "./analyze-encrypted.js"

/** helm-secrets' naming convention for encrypted values files. */
const HELM_SECRETS_RE = /^secrets(\.[^/]+)?\.ya?ml$/
/** Kubernetes fields that hold secret data; Flux recommends encrypting only these. */
export const K8S_ENCRYPTED_REGEX = "^(data|stringData)$"

const strict = new TextDecoder("utf-8", { fatal: true })

function decodeText(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes)
  } catch {
    return null
  }
}

/** Whether bytes look like sops' binary-store JSON (`{"data": ..., "sops": {...}}`). */
function looksLikeBinaryEnvelope(text: string): boolean {
  const t = text.trimStart()
  return t.startsWith("{") && t.includes('"sops"') && t.includes('"data"')
}

/**
 * Checks one file.
 * @param rel - path relative to the root, `/` separators
 * @param bytes - the file's content
 */
export function analyzeFile(ctx: AuditContext, rel: string, bytes: Uint8Array): FileResult {
  const plain: FileResult = { entry: { path: rel, class: "plain" }, findings: [] }
  const text = decodeText(bytes)
  const pathFormat = formatForPath(rel)
  // Anything that is not text, or a binary-format file that is not a sops envelope, is only
  // checked against the rules (a secret key file committed in clear, for instance).
  let format: Format = pathFormat
  if (pathFormat === "binary") {
    if (text === null || !looksLikeBinaryEnvelope(text)) return analyzeOpaque(ctx, rel, bytes.length)
    format = "binary"
  } else if (text === null) {
    return analyzeOpaque(ctx, rel, bytes.length)
  }
  const body = text ?? ""
  const sopsish = /\bsops\b|ENC\[AES256_GCM/.test(body)
  let loaded: LoadedEncrypted
  try {
    loaded = storeFor(format).loadEncrypted(bytes)
  } catch (err) {
    if (isSopsError(err, "ERR_METADATA_MISSING")) return analyzePlain(ctx, rel, format, bytes, body)
    if (isSopsError(err, "ERR_METADATA_INVALID")) {
      return {
        entry: { path: rel, class: "broken" },
        findings: [
          ctx.finding("metadata-invalid", rel, `the sops metadata is invalid: ${(err as Error).message}`, {
            command: ctx.fixes.restore(rel),
            note: "restore the last good version, then re-apply the change with sops",
          }),
        ],
      }
    }
    // Unparseable plain files (templates, partial YAML) are not the audit's business unless
    // they claim to be sops files or a rule says they must be.
    const rule = ctx.ruleFor(rel)
    if (!sopsish && (rule === null || rule.catchAll)) return plain
    const code = isSopsError(err) ? err.code : "ERR_FORMAT"
    return {
      entry: { path: rel, class: "broken" },
      findings: [
        ctx.finding("unparseable", rel, `the file cannot be parsed as ${format} (${code})`, {
          command: ctx.fixes.restore(rel),
          note: "look for merge-conflict markers or a manual edit; restore the last good version",
        }),
      ],
    }
  }
  return analyzeEncrypted(ctx, rel, format, loaded, body)
}

/** The fix for a plaintext file that must be encrypted. */
function encryptFix(ctx: AuditContext, rel: string, k8s: boolean): Finding["fix"] {
  const rule = ctx.ruleFor(rel)
  const ruleHasSelection = (() => {
    if (rule === null) return false
    const r = ctx.config?.data.creationRules?.[rule.index]
    return r !== undefined && [r.encryptedRegex, r.unencryptedRegex, r.encryptedSuffix, r.unencryptedSuffix, r.encryptedCommentRegex, r.unencryptedCommentRegex].some((s) => s !== "")
  })()
  const recipient = rule === null ? (ctx.anyAgeRecipient() ?? "<age-recipient>") : undefined
  const command = ctx.fixes.encrypt(rel, {
    ...(recipient !== undefined ? { recipient } : {}),
    ...(k8s && !ruleHasSelection ? { encryptedRegex: K8S_ENCRYPTED_REGEX } : {}),
  })
  const note = "if this content was ever pushed, rotate the credentials it holds"
  return rule === null ? { command, note: `no .sops.yaml creation rule matches this path; add one so that future edits use the right keys. ${note}` } : { command, note }
}

function analyzeOpaque(ctx: AuditContext, rel: string, size: number): FileResult {
  const findings: Finding[] = []
  const rule = ctx.ruleFor(rel)
  if (size > 0 && ctx.generatorInputs.has(rel)) {
    findings.push(ctx.finding("plaintext-secret-generator", rel, "a kustomize secretGenerator reads this file, and it is not encrypted", encryptFix(ctx, rel, false)))
  } else if (size > 0 && rule !== null && !rule.catchAll) {
    findings.push(ctx.finding("plaintext-rule-match", rel, `matches .sops.yaml creation_rules[${rule.index}] but is not encrypted`, encryptFix(ctx, rel, false)))
  }
  return { entry: { path: rel, class: findings.length > 0 ? "plaintext-secret" : "plain", ...(rule ? { creationRule: rule.index } : {}) }, findings }
}

function analyzePlain(ctx: AuditContext, rel: string, format: Format, bytes: Uint8Array, text: string): FileResult {
  const findings: Finding[] = []
  const lines = text.split("\n")
  const rule = ctx.ruleFor(rel)
  const add = (kind: FindingKind, message: string, k8s: boolean): void => {
    findings.push(ctx.finding(kind, rel, message, encryptFix(ctx, rel, k8s)))
  }
  if (/ENC\[AES256_GCM,/.test(text)) {
    return {
      entry: { path: rel, class: "broken" },
      findings: [
        ctx.finding("metadata-missing", rel, "the file holds ENC[...] values but no sops metadata: nobody can decrypt it", {
          command: ctx.fixes.restore(rel),
          note: "the sops section was lost (merge, copy-paste); restore it from history",
        }),
      ],
    }
  }
  let branches: TreeBranches = []
  try {
    branches = storeFor(format).loadPlain(bytes)
  } catch {
    // Handled above: a plain file that does not parse is only reported by the rule checks.
  }
  const nonEmpty = bytes.length > 0 && branches.some((b) => b.items.length > 0)
  let k8s = false
  for (const b of branches) {
    const doc = treeToObject(b) as Record<string, unknown>
    const kind = typeof doc["kind"] === "string" ? doc["kind"] : ""
    const hasData = (v: unknown): boolean => v !== null && typeof v === "object" && Object.keys(v).length > 0
    if (kind === "Secret" && (hasData(doc["data"]) || hasData(doc["stringData"]))) {
      k8s = true
      const name = (doc["metadata"] as { name?: unknown } | undefined)?.name
      add("plaintext-k8s-secret", `Kubernetes Secret${typeof name === "string" ? ` "${name}"` : ""} is committed in plaintext`, true)
    } else if (kind === "SopsSecret") {
      add("plaintext-sops-secret", "SopsSecret manifest is committed in plaintext (its secretTemplates hold the values)", false)
    }
  }
  if (nonEmpty && ctx.generatorInputs.has(rel)) add("plaintext-secret-generator", "a kustomize secretGenerator reads this file, and it is not encrypted", false)
  if (nonEmpty && format === "yaml" && HELM_SECRETS_RE.test(posix.basename(rel))) {
    add("plaintext-helm-secrets", "Helm secrets values file is not encrypted", false)
  }
  if (nonEmpty && rule !== null && !rule.catchAll && findings.length === 0) {
    add("plaintext-rule-match", `matches .sops.yaml creation_rules[${rule.index}] but is not encrypted`, k8s)
  }
  // Entropy findings only where nothing above already demands encrypting the whole file.
  if (findings.length === 0) {
    for (const b of branches) {
      forEachString(b, (leaf) => {
        if (!looksLikeSecret(leaf.key, leaf.value, ctx.policy.entropyThreshold)) return
        const line = lineOf(lines, leaf.path)
        findings.push(
          ctx.finding("plaintext-high-entropy", rel, `the value at ${pathText(leaf.path)} looks like a secret (high entropy under a secret-looking key)`, encryptFix(ctx, rel, false), {
            location: pathText(leaf.path),
            ...(line !== undefined ? { line } : {}),
          }),
        )
      })
    }
  }
  return {
    entry: { path: rel, class: findings.length > 0 ? "plaintext-secret" : "plain", ...(rule ? { creationRule: rule.index } : {}) },
    findings,
  }
}
