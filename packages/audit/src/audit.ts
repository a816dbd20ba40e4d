/**
 * The audit run: list files, gather repository facts, check each file, optionally verify
 * MACs with keys and read history, and assemble the report.
 * @module
 */
import { stat } from "node:fs/promises"
import { posix, relative, resolve, sep } from "node:path"
import {
  findConfigFile,
  formatForPath,
  loadConfig,
  openDocument,
  parseEncrypted,
  resolveKeyServices,
  type KeyService,
  type SopsConfig,
} from "@sops-ts/core"
import { analyzeFile } from "./analyze-file.js"
import { AuditContext, isKustomization } from "./context.js"
import { auditHistory } from "./history.js"
import { SEVERITIES, severityRank, type AuditReport, type FileEntry, type Finding, type Severity, type VerifyResult } from "./model.js"
import { DEFAULT_POLICY, POLICY_FILE_NAME, loadPolicy, type AuditPolicy } from "./policy.js"
import { MAX_FILE_BYTES, stagedSource, worktreeSource, type FileSource } from "./source.js"
import { AUDIT_VERSION } from "./version-info.js"

/** Options of {@link runAudit}. */
export interface AuditOptions {
  /** The directory to audit (default: the current directory). */
  readonly root?: string
  /** A policy, or the path of a policy file (default: `<root>/.sops-audit.yaml` when present). */
  readonly policy?: AuditPolicy | string
  /** The `.sops.yaml` to use (default: looked up from the root upwards). */
  readonly sopsConfig?: string
  /** Audit the git index instead of the work tree (pre-commit hooks). */
  readonly staged?: boolean
  /** Also decrypt every encrypted file and verify its MAC. */
  readonly verify?: boolean
  /** Key services for `verify` (default: the registered ones). */
  readonly keyServices?: readonly KeyService[]
  /** Also read git history (rotations, key changes, plaintext commits). */
  readonly history?: boolean
  /** The clock (data-key ages). */
  readonly now?: Date
}

/** Files the audit never classifies: its own configuration. */
const OWN_FILES = new Set([".sops.yaml", POLICY_FILE_NAME])

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch {
    return false
  }
}

function toRel(root: string, abs: string): string {
  return relative(root, abs).split(sep).join("/")
}

/**
 * Audits a repository without any key (and with keys when `verify` is set).
 * @throws SopsError `ERR_CONFIG` for an invalid policy or `.sops.yaml`, `ERR_IO` when git fails
 */
export async function runAudit(options: AuditOptions = {}): Promise<AuditReport> {
  const root = resolve(options.root ?? ".")
  const now = options.now ?? new Date()
  let policy: AuditPolicy = DEFAULT_POLICY
  let policyFile: string | null = null
  if (typeof options.policy === "object") policy = options.policy
  else {
    const path = options.policy !== undefined ? resolve(root, options.policy) : resolve(root, POLICY_FILE_NAME)
    if (options.policy !== undefined || (await exists(path))) {
      policy = await loadPolicy(path)
      policyFile = toRel(root, path)
    }
  }
  const configPath = options.sopsConfig !== undefined ? resolve(root, options.sopsConfig) : await findConfigFile(root)
  const config: SopsConfig | null = configPath === null ? null : await loadConfig(configPath)
  const ctx = new AuditContext(root, policy, config, now)
  const source: FileSource = options.staged ? stagedSource(root) : worktreeSource(root)

  const paths = (await source.list()).filter((p) => !OWN_FILES.has(posix.basename(p)) && !policy.ignorePaths.some((re) => re.test(p)))
  const contents = new Map<string, Uint8Array>()
  for (const p of paths) {
    const b = await source.read(p)
    if (b !== null && b.length <= MAX_FILE_BYTES) contents.set(p, b)
  }
  // First pass: facts other files depend on. Key files and kustomizations outside the staged
  // set still matter, so in staged mode they are read from the work tree.
  const factSource = options.staged ? worktreeSource(root) : source
  const factPaths = options.staged ? await factSource.list() : paths
  for (const p of factPaths) {
    const isKey = /\.(asc|gpg|pub)$/.test(p) || policy.pgpKeyFiles.includes(p)
    if (!isKey && !isKustomization(p)) continue
    const b = contents.get(p) ?? (await factSource.read(p))
    if (b === null) continue
    if (isKustomization(p)) ctx.noteKustomization(p, b)
    else ctx.notePgpKeyFile(b)
  }

  const files: FileEntry[] = []
  const findings: Finding[] = []
  let plainCount = 0
  for (const [p, b] of contents) {
    const r = analyzeFile(ctx, p, b)
    if (r.entry.class === "plain") plainCount++
    else files.push(r.entry)
    findings.push(...r.findings)
  }

  let verify: VerifyResult[] | undefined
  if (options.verify) {
    verify = []
    const keyServices = resolveKeyServices(options.keyServices)
    for (const f of files) {
      if (f.class !== "encrypted" || f.encrypted === undefined) continue
      const r = await verifyFile(contents.get(f.path)!, f.encrypted.format, keyServices)
      verify.push({ path: f.path, ...r })
      if (!r.ok) {
        const noKey = r.errorCode === "ERR_NO_DATA_KEY"
        findings.push(
          ctx.finding(
            noKey ? "verify-no-key" : "verify-failed",
            f.path,
            noKey ? "none of the available keys could recover the data key" : `decryption or MAC verification failed (${r.errorCode ?? "unknown error"})`,
            noKey
              ? { command: ctx.fixes.decrypt(f.path), note: "provide a key the file is encrypted to (SOPS_AGE_KEY_FILE, gpg agent, cloud credentials) and run again" }
              : { command: ctx.fixes.restore(f.path), note: "the file was modified outside sops; restore the last version that verifies" },
            { details: { errorCode: r.errorCode } },
          ),
        )
      }
    }
  }

  const history = options.history ? await auditHistory(ctx, files, findings) : undefined

  findings.sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || a.file.localeCompare(b.file) || a.kind.localeCompare(b.kind))
  files.sort((a, b) => a.path.localeCompare(b.path))
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>
  for (const f of findings) counts[f.severity]++
  return {
    schemaVersion: 1,
    tool: { name: "sops-ts audit", version: AUDIT_VERSION },
    generatedAt: now.toISOString(),
    root,
    source: source.kind,
    sopsConfig: configPath === null ? null : toRel(root, configPath),
    policyFile,
    policy: { maxDataKeyAgeDays: policy.maxDataKeyAgeDays, minSopsVersion: policy.minSopsVersion, failOn: policy.failOn },
    summary: {
      files: plainCount + files.length,
      encrypted: files.filter((f) => f.class === "encrypted").length,
      plaintextSecrets: files.filter((f) => f.class === "plaintext-secret").length,
      broken: files.filter((f) => f.class === "broken").length,
      findings: counts,
    },
    files,
    findings,
    ...(history !== undefined ? { history } : {}),
    ...(verify !== undefined ? { verify } : {}),
  }
}

async function verifyFile(bytes: Uint8Array, format: ReturnType<typeof formatForPath>, keyServices: readonly KeyService[]): Promise<Omit<VerifyResult, "path">> {
  let keyUsed: string | undefined
  try {
    const doc = parseEncrypted(bytes, format)
    const opened = await openDocument(doc, {
      keyServices,
      onKeyAttempt: (a) => {
        if (a.ok) keyUsed = a.key
      },
    })
    opened.dataKey.fill(0)
    return { ok: true, ...(keyUsed !== undefined ? { keyUsed } : {}) }
  } catch (err) {
    const code = (err as { code?: unknown }).code
    return { ok: false, errorCode: typeof code === "string" ? code : "ERR_UNKNOWN" }
  }
}

/** The exit code for a report: 1 when a finding is at or above `failOn`, else 0. */
export function exitCodeFor(report: AuditReport, failOn: Severity): number {
  return report.findings.some((f) => severityRank(f.severity) <= severityRank(failOn)) ? 1 : 0
}
