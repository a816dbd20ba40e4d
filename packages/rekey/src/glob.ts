/**
 * A small glob matcher for file selection and `.gitignore` patterns: `*`, `?`, `**`,
 * `[...]` classes (`!`/`^` negated) and `{a,b}` alternatives, over `/`-separated paths.
 * Compiled to one anchored RegExp, so matching is linear in the path length.
 * @module
 */
import { SopsError } from "@sops-ts/core"

/** Whether `s` contains glob syntax (so it is a pattern, not a literal path). */
export function hasGlobMagic(s: string): boolean {
  return /[*?[{]/.test(s)
}

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c
}

/**
 * Translates a glob to a RegExp source (without anchors).
 * @throws SopsError `ERR_INVALID_ARGUMENT` for an unclosed `[` or `{`
 */
export function globToRegExpSource(glob: string): string {
  let out = ""
  let i = 0
  let braceDepth = 0
  while (i < glob.length) {
    const c = glob[i]!
    if (c === "\\" && i + 1 < glob.length) {
      out += escapeRe(glob[i + 1]!)
      i += 2
      continue
    }
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const atStart = i === 0 || glob[i - 1] === "/"
        const next = glob[i + 2]
        if (atStart && next === "/") {
          // `**/` matches zero or more whole directories.
          out += "(?:[^/]*/)*"
          i += 3
          continue
        }
        if (atStart && next === undefined) {
          out += ".*"
          i += 2
          continue
        }
        // `**` inside a segment behaves like `*`, as in git.
        out += "[^/]*"
        i += 2
        continue
      }
      out += "[^/]*"
      i++
      continue
    }
    if (c === "?") {
      out += "[^/]"
      i++
      continue
    }
    if (c === "[") {
      const end = glob.indexOf("]", i + 2)
      if (end === -1) throw new SopsError("ERR_INVALID_ARGUMENT", `invalid glob ${JSON.stringify(glob)}: unclosed "["`)
      let body = glob.slice(i + 1, end)
      let negate = false
      if (body.startsWith("!") || body.startsWith("^")) {
        negate = true
        body = body.slice(1)
      }
      const cls = body.replace(/[\\\]^]/g, (m) => `\\${m}`)
      out += negate ? `[^/${cls}]` : `[${cls}]`
      i = end + 1
      continue
    }
    if (c === "{") {
      braceDepth++
      out += "(?:"
      i++
      continue
    }
    if (c === "}" && braceDepth > 0) {
      braceDepth--
      out += ")"
      i++
      continue
    }
    if (c === "," && braceDepth > 0) {
      out += "|"
      i++
      continue
    }
    out += escapeRe(c)
    i++
  }
  if (braceDepth > 0) throw new SopsError("ERR_INVALID_ARGUMENT", `invalid glob ${JSON.stringify(glob)}: unclosed "{"`)
  return out
}

/** Compiles a glob into a predicate over `/`-separated paths (the whole path must match). */
export function compileGlob(glob: string): (path: string) => boolean {
  const re = new RegExp(`^${globToRegExpSource(glob)}$`)
  return (path) => re.test(path)
}
