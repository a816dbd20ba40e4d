/**
 * Where the audited files come from: the work tree (honouring `.gitignore`) or the git index
 * (`--staged`, for pre-commit hooks).
 * @module
 */
import { readFile, readdir } from "node:fs/promises"
import { join, relative, sep } from "node:path"
import { git, gitText, isGitWorkTree, splitZ } from "./git.js"

/** A set of files to audit. */
export interface FileSource {
  readonly kind: "worktree" | "staged"
  /** Paths relative to the root, `/` separators, sorted. */
  list(): Promise<string[]>
  /** The content of one listed file, or null when it vanished. */
  read(path: string): Promise<Uint8Array | null>
}

/** Directories never worth walking. */
const SKIP_DIRS = new Set([".git", "node_modules"])

/** Files larger than this are not secrets worth parsing (and would slow the walk). */
export const MAX_FILE_BYTES = 8 * 1024 * 1024

/** Compiles one `.gitignore` line into a matcher on `/`-separated relative paths. */
function gitignoreRule(line: string): { re: RegExp; negate: boolean; dirOnly: boolean } | null {
  let p = line.replace(/\s+$/, "")
  if (p === "" || p.startsWith("#")) return null
  const negate = p.startsWith("!")
  if (negate) p = p.slice(1)
  const dirOnly = p.endsWith("/")
  if (dirOnly) p = p.slice(0, -1)
  const anchored = p.includes("/")
  if (p.startsWith("/")) p = p.slice(1)
  let re = ""
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    if (c === "*" && p[i + 1] === "*") {
      re += ".*"
      i++
      if (p[i + 1] === "/") i++
    } else if (c === "*") re += "[^/]*"
    else if (c === "?") re += "[^/]"
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&")
  }
  return { re: new RegExp((anchored ? "^" : "(^|/)") + re + "(/|$)"), negate, dirOnly }
}

async function walkPlain(root: string): Promise<string[]> {
  let rules: ReturnType<typeof gitignoreRule>[] = []
  try {
    rules = (await readFile(join(root, ".gitignore"), "utf8")).split("\n").map(gitignoreRule)
  } catch {
    // No .gitignore: nothing is ignored.
  }
  const ignored = (rel: string, isDir: boolean): boolean => {
    let out = false
    for (const r of rules) {
      if (r === null || (r.dirOnly && !isDir && !r.re.source.includes(".*"))) continue
      if (r.re.test(rel)) out = !r.negate
    }
    return out
  }
  const out: string[] = []
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true })
    for (const e of entries) {
      const abs = join(dir, e.name)
      const rel = relative(root, abs).split(sep).join("/")
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !ignored(rel, true)) await visit(abs)
      } else if (e.isFile() && !ignored(rel, false)) out.push(rel)
    }
  }
  await visit(root)
  return out.sort()
}

async function readSafe(path: string): Promise<Uint8Array | null> {
  try {
    const b = await readFile(path)
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  } catch {
    return null
  }
}

/**
 * The work tree under `root`: tracked and untracked files that `.gitignore` does not exclude.
 * Outside a git repository the root `.gitignore` is applied by a simple matcher.
 */
export function worktreeSource(root: string): FileSource {
  return {
    kind: "worktree",
    async list() {
      if (await isGitWorkTree(root)) {
        const text = await gitText(root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        return [...new Set(splitZ(text))].sort()
      }
      return walkPlain(root)
    },
    read: (path) => readSafe(join(root, path)),
  }
}

/** The files added, copied, modified or renamed in the git index, read from the index. */
export function stagedSource(root: string): FileSource {
  return {
    kind: "staged",
    async list() {
      const text = await gitText(root, ["diff", "--cached", "--name-only", "--relative", "-z", "--diff-filter=ACMR"])
      return splitZ(text).sort()
    },
    async read(path) {
      const r = await git(root, ["show", `:./${path}`])
      return r.code === 0 ? r.stdout : null
    },
  }
}
