/**
 * `.gitignore` rules for the fallback directory walker (used outside a git work tree, or
 * when git is not installed): comments, `!` negation, trailing `/` for directories only,
 * anchoring by an inner `/`, and `**`. The last matching rule wins, as in git.
 * @module
 */
import { globToRegExpSource } from "./glob.js"

/** One compiled rule of a `.gitignore` file. */
interface Rule {
  readonly negate: boolean
  readonly dirOnly: boolean
  readonly re: RegExp
}

/** The rules of one `.gitignore`, which apply to paths under its directory. */
export interface IgnoreFile {
  /** Absolute directory of the `.gitignore`, `/`-separated. */
  readonly base: string
  readonly rules: readonly Rule[]
}

function trimTrailingSpaces(line: string): string {
  // Trailing spaces are ignored unless escaped with a backslash.
  let end = line.length
  while (end > 0 && line[end - 1] === " " && line[end - 2] !== "\\") end--
  return line.slice(0, end)
}

/**
 * Parses `.gitignore` text. Lines that do not compile (an unclosed `[`) are dropped, as git
 * treats them as never matching.
 * @param text - the file's content
 * @param base - the absolute directory holding the file, `/`-separated
 */
export function parseGitignore(text: string, base: string): IgnoreFile {
  const rules: Rule[] = []
  for (const raw of text.split(/\r?\n/)) {
    let line = trimTrailingSpaces(raw)
    if (line === "" || line.startsWith("#")) continue
    let negate = false
    if (line.startsWith("!")) {
      negate = true
      line = line.slice(1)
    } else if (line.startsWith("\\!") || line.startsWith("\\#")) {
      line = line.slice(1)
    }
    let dirOnly = false
    if (line.endsWith("/")) {
      dirOnly = true
      line = line.slice(0, -1)
    }
    if (line === "") continue
    // A slash at the start or in the middle anchors the pattern to the .gitignore's directory;
    // otherwise it matches a name at any depth.
    const anchored = line.includes("/")
    if (line.startsWith("/")) line = line.slice(1)
    let source: string
    try {
      source = globToRegExpSource(line)
    } catch {
      continue
    }
    const re = new RegExp(anchored ? `^${source}$` : `^(?:.*/)?${source}$`)
    rules.push({ negate, dirOnly, re })
  }
  return { base, rules }
}

/**
 * Whether `absPath` is ignored by the stack of `.gitignore` files (outermost first).
 * @returns true when the last matching rule (deepest file last) ignores it
 */
export function isIgnored(stack: readonly IgnoreFile[], absPath: string, isDir: boolean): boolean {
  let ignored = false
  for (const file of stack) {
    const prefix = file.base.endsWith("/") ? file.base : `${file.base}/`
    if (!absPath.startsWith(prefix)) continue
    const rel = absPath.slice(prefix.length)
    for (const rule of file.rules) {
      if (rule.dirOnly && !isDir) continue
      if (rule.re.test(rel)) ignored = !rule.negate
    }
  }
  return ignored
}
