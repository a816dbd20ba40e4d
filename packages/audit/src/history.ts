/**
 * Git history of secret files: the last data-key rotation, key changes over time, and
 * commits in which a secret was stored in plaintext.
 * @module
 */
import { formatForPath, isSopsError, keyId, metadataFromBranch, storeFor } from "@sops-ts/core"
import type { AuditContext } from "./context.js"
import { git, gitText, isGitWorkTree } from "./git.js"
import type { FileEntry, FileHistory, Finding } from "./model.js"
import { analyzeFile } from "./analyze-file.js"
import { forEachString } from "./tree-walk.js"

interface Commit {
  readonly sha: string
  readonly date: string
}

/** What one historical version of a file was. */
type Version =
  | { readonly kind: "encrypted"; readonly keys: ReadonlySet<string>; readonly values: ReadonlySet<string> }
  | { readonly kind: "plaintext" }
  | { readonly kind: "other" }

const HEADER_RE = /^([0-9a-f]{40})\t(.+)$/

/** Commits touching each path, oldest first (renames are not followed: each path stands alone). */
async function commitsByPath(root: string): Promise<Map<string, Commit[]>> {
  const text = await gitText(root, ["log", "--reverse", "--no-renames", "--relative", "--format=%H%x09%aI", "--name-only", "HEAD", "--", "."])
  const out = new Map<string, Commit[]>()
  let current: Commit | null = null
  for (const line of text.split("\n")) {
    const m = HEADER_RE.exec(line)
    if (m) {
      current = { sha: m[1]!, date: m[2]! }
    } else if (line !== "" && current !== null) {
      const list = out.get(line) ?? []
      list.push(current)
      out.set(line, list)
    }
  }
  return out
}

/** Paths whose history ever added a Kubernetes Secret or sops metadata. */
async function pathsMentioning(root: string, pattern: string): Promise<Set<string>> {
  const text = await gitText(root, ["log", "--no-renames", "--relative", "--format=", "--name-only", "-G", pattern, "HEAD", "--", "."])
  return new Set(text.split("\n").filter((l) => l !== ""))
}

function classifyVersion(ctx: AuditContext, path: string, bytes: Uint8Array): Version {
  const format = formatForPath(path)
  try {
    const loaded = storeFor(format).loadEncrypted(bytes)
    const meta = metadataFromBranch(loaded.metadata)
    const values = new Set<string>()
    for (const b of loaded.branches) {
      forEachString(b, (leaf) => {
        if (leaf.value.startsWith("ENC[")) values.add(leaf.value)
      })
    }
    return { kind: "encrypted", keys: new Set(meta.keyGroups.flat().map((k) => `${k.type} ${keyId(k)}`)), values }
  } catch (err) {
    if (!isSopsError(err, "ERR_METADATA_MISSING")) return { kind: "other" }
  }
  // Not encrypted: a leak when the content itself is a secret by the audit's rules.
  return analyzeFile(ctx, path, bytes).entry.class === "plaintext-secret" ? { kind: "plaintext" } : { kind: "other" }
}

/**
 * Reads the history of every secret file and adds `plaintext-in-history` findings.
 * @param files - the current inventory (encrypted and plaintext-secret files are followed)
 * @param findings - receives the new findings
 */
export async function auditHistory(ctx: AuditContext, files: readonly FileEntry[], findings: Finding[]): Promise<FileHistory[]> {
  if (!(await isGitWorkTree(ctx.root))) return []
  const head = await git(ctx.root, ["rev-parse", "--verify", "-q", "HEAD"])
  if (head.code !== 0) return []
  const byPath = await commitsByPath(ctx.root)
  const candidates = new Set(files.filter((f) => f.class === "encrypted" || f.class === "plaintext-secret").map((f) => f.path))
  for (const p of byPath.keys()) {
    const rule = ctx.ruleFor(p)
    if (rule !== null && !rule.catchAll) candidates.add(p)
  }
  for (const p of await pathsMentioning(ctx.root, "^kind: *(Secret|SopsSecret)|^sops:|\"sops\": *\\{|^sops_mac=")) candidates.add(p)

  const out: FileHistory[] = []
  for (const path of [...candidates].sort()) {
    const commits = byPath.get(path) ?? []
    if (commits.length === 0) continue
    let prev: Version | null = null
    let lastRotation: FileHistory["lastRotation"] = null
    const keyChanges: { commit: string; date: string; added: string[]; removed: string[] }[] = []
    const plaintextCommits: { commit: string; date: string }[] = []
    for (const c of commits) {
      const r = await git(ctx.root, ["show", `${c.sha}:./${path}`])
      if (r.code !== 0) {
        prev = null // deleted in this commit
        continue
      }
      const v = classifyVersion(ctx, path, r.stdout)
      if (v.kind === "plaintext") plaintextCommits.push({ commit: c.sha, date: c.date })
      if (v.kind === "encrypted") {
        const before = prev?.kind === "encrypted" ? prev : null
        // A new data key re-encrypts every value (edits keep unchanged ciphertexts, updatekeys
        // keeps them all), so no shared ciphertext means the data key was replaced.
        const shared = before !== null && [...v.values].some((x) => before.values.has(x))
        if (before === null || (!shared && v.values.size > 0)) lastRotation = { commit: c.sha, date: c.date }
        const oldKeys = before?.keys ?? new Set<string>()
        const added = [...v.keys].filter((k) => !oldKeys.has(k))
        const removed = [...oldKeys].filter((k) => !v.keys.has(k))
        if (added.length > 0 || removed.length > 0) keyChanges.push({ commit: c.sha, date: c.date, added, removed })
      }
      prev = v
    }
    if (lastRotation === null && keyChanges.length === 0 && plaintextCommits.length === 0) continue
    out.push({ path, lastRotation, keyChanges, plaintextCommits })
    if (plaintextCommits.length > 0) {
      const first = plaintextCommits[0]!
      findings.push(
        ctx.finding(
          "plaintext-in-history",
          path,
          `committed in plaintext in ${plaintextCommits.length} commit(s), first ${first.commit.slice(0, 12)} (${first.date})`,
          {
            command: ctx.fixes.purgeHistory(path),
            note: "first rotate every credential the file held (they are public to anyone with a clone), then rewrite history and force-push",
          },
          { details: { commits: plaintextCommits.map((p) => p.commit) } },
        ),
      )
    }
  }
  return out
}
