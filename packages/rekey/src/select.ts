/**
 * Turning the user's paths, globs and directories into the list of files to look at.
 * Directories (and the base directory of a glob) are listed with
 * `git ls-files --cached --others --exclude-standard` inside a git work tree, so everything
 * git ignores is skipped; elsewhere a walker reads the `.gitignore` files itself. Files named
 * explicitly are always taken. Symbolic links are resolved so a rename replaces the target,
 * not the link, and each real file appears once.
 * @module
 */
import { execFile } from "node:child_process"
import { realpathSync, statSync } from "node:fs"
import { readFile, readdir, stat } from "node:fs/promises"
import { dirname, isAbsolute, join, resolve, sep } from "node:path"
import { compileGlob, hasGlobMagic } from "./glob.js"
import { isIgnored, parseGitignore, type IgnoreFile } from "./gitignore.js"

/** Options of {@link selectFiles}. */
export interface SelectOptions {
  /** Relative inputs are resolved against it (default `process.cwd()`). */
  readonly cwd?: string
  /** Use `git ls-files` when inside a work tree (default true). */
  readonly useGit?: boolean
}

/** What {@link selectFiles} found. */
export interface Selection {
  /** Absolute real paths, without duplicates, in input order (sorted within a directory). */
  readonly files: string[]
  /** Inputs that matched nothing (missing paths, globs with no match). */
  readonly unmatched: string[]
}

const toSlash = (p: string): string => (sep === "/" ? p : p.split(sep).join("/"))

function gitLsFiles(dir: string): Promise<string[] | null> {
  return new Promise((done) => {
    execFile(
      "git",
      ["ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "."],
      { cwd: dir, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (err, stdout) => {
        if (err) return done(null)
        done(
          stdout
            .split("\0")
            .filter((s) => s !== "")
            .map((s) => join(dir, s)),
        )
      },
    )
  })
}

async function readIgnore(dir: string): Promise<IgnoreFile | null> {
  try {
    return parseGitignore(await readFile(join(dir, ".gitignore"), "utf8"), toSlash(dir))
  } catch {
    return null
  }
}

/**
 * A listed file: its path under the directory as the user named it (what globs match), and
 * its real path when already known. The walker lists from the real directory, so a regular
 * file it finds needs no further lookup; git's entries and symbolic links are resolved later.
 */
interface Listed {
  readonly path: string
  readonly real: string | null
}

/**
 * Lists a directory tree honouring `.gitignore` files, never following directory links.
 * `root` is a real path; `shown` is the same directory as the user named it.
 */
async function walk(root: string, shown: string, stack: IgnoreFile[]): Promise<Listed[]> {
  // The directory and its .gitignore are read at the same time, and subdirectories are
  // walked concurrently: each read is a thread-pool round trip, and one at a time they left
  // a large tree's listing mostly waiting.
  const [own, entries] = await Promise.all([readIgnore(root), readdir(root, { withFileTypes: true }).catch(() => null)])
  if (entries === null) return []
  const here = own ? [...stack, own] : stack
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  // In entry order: a file, or the pending listing of a subdirectory.
  const parts: (Listed | Promise<Listed[]>)[] = []
  for (const e of entries) {
    if (e.name === ".git") continue
    const abs = join(root, e.name)
    const isDir = e.isDirectory()
    if (isIgnored(here, toSlash(abs), isDir)) continue
    if (isDir) parts.push(walk(abs, join(shown, e.name), here))
    else if (e.isFile()) parts.push({ path: join(shown, e.name), real: abs })
    else if (e.isSymbolicLink()) parts.push({ path: join(shown, e.name), real: null })
  }
  // Promise.all observes every subdirectory's listing, so none can fail unobserved.
  const out: Listed[] = []
  for (const p of await Promise.all(parts)) {
    // One push per entry: spreading a subdirectory of 100,000 files into push() would pass
    // more arguments than a call can take.
    if (Array.isArray(p)) for (const l of p) out.push(l)
    else out.push(p)
  }
  return out
}

/**
 * The `.gitignore` files of the directories above `dir` (outermost first), up to the one that
 * holds `.git` (the top of a work tree) or the filesystem root.
 */
async function ancestorIgnores(dir: string): Promise<IgnoreFile[]> {
  const out: IgnoreFile[] = []
  let cur = dir
  for (let depth = 0; depth < 256; depth++) {
    if (await stat(join(cur, ".git")).then(() => true, () => false)) break
    const parent = dirname(cur)
    if (parent === cur) break
    cur = parent
    const ig = await readIgnore(cur)
    if (ig) out.unshift(ig)
  }
  return out
}

/** The files under `dir`: git's list inside a work tree, else the walker's from the real directory. */
async function listDir(dir: string, useGit: boolean): Promise<Listed[]> {
  if (useGit) {
    const listed = await gitLsFiles(dir)
    if (listed !== null) return listed.sort().map((path) => ({ path, real: null }))
  }
  let root: string
  try {
    // Walking from the real directory makes every regular file's path its real path.
    root = realpathSync.native(dir)
  } catch {
    return []
  }
  const stack = await ancestorIgnores(root)
  // The walk root itself may be ignored by a parent's rules; it was asked for, so list it anyway.
  return walk(root, dir, stack)
}

/** The leading path segments of a glob that hold no glob syntax (where to start listing). */
function globBase(absPattern: string): string {
  const parts = absPattern.split("/")
  const fixed: string[] = []
  for (const p of parts) {
    if (hasGlobMagic(p)) break
    fixed.push(p)
  }
  return fixed.join("/") || "/"
}

/**
 * Resolves inputs to files.
 * @param inputs - file paths, directories, or globs (`secrets/**\/*.yaml`)
 */
export async function selectFiles(inputs: readonly string[], options: SelectOptions = {}): Promise<Selection> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const useGit = options.useGit !== false
  const seen = new Set<string>()
  const files: string[] = []
  const unmatched: string[] = []
  const keep = (real: string): void => {
    if (!seen.has(real)) {
      seen.add(real)
      files.push(real)
    }
  }
  // Synchronous on purpose: answered from the inode cache in microseconds, while two
  // sequential thread-pool round trips per file made listing 1,000 files take 70 to 150 ms.
  const add = (p: string): boolean => {
    let real: string
    try {
      real = realpathSync.native(p)
      if (!statSync(real).isFile()) return false
    } catch {
      return false
    }
    keep(real)
    return true
  }
  const addListed = (f: Listed): boolean => {
    if (f.real === null) return add(f.path)
    keep(f.real)
    return true
  }
  for (const input of inputs) {
    const abs = isAbsolute(input) ? resolve(input) : resolve(cwd, input)
    let matched = 0
    if (hasGlobMagic(input)) {
      const pattern = toSlash(abs)
      const match = compileGlob(pattern)
      const base = globBase(pattern)
      const baseStat = await stat(base).catch(() => null)
      if (baseStat?.isDirectory()) {
        for (const f of await listDir(base, useGit)) if (match(toSlash(f.path)) && addListed(f)) matched++
      }
    } else {
      const st = await stat(abs).catch(() => null)
      if (st?.isDirectory()) {
        for (const f of await listDir(abs, useGit)) if (addListed(f)) matched++
      } else if (st !== null && add(abs)) {
        matched++
      }
    }
    if (matched === 0) unmatched.push(input)
  }
  return { files, unmatched }
}
