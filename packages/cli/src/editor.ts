/**
 * Finding and splitting the editor command (`$SOPS_EDITOR`, `$EDITOR`, else vim/nano/vi).
 * @module
 */
import { accessSync, constants, statSync } from "node:fs"
import { delimiter, join } from "node:path"

/**
 * Splits a command line with POSIX-shell-like quoting (the shlex rules sops uses): single
 * quotes are literal, double quotes allow `\"`/`\\` escapes, a backslash escapes outside
 * quotes, whitespace separates words.
 * @returns the words, or null when a quote is not closed
 */
export function shellSplit(s: string): string[] | null {
  const out: string[] = []
  let cur = ""
  let has = false
  let i = 0
  while (i < s.length) {
    const c = s[i]!
    if (c === "'") {
      const end = s.indexOf("'", i + 1)
      if (end === -1) return null
      cur += s.slice(i + 1, end)
      has = true
      i = end + 1
    } else if (c === '"') {
      i++
      has = true
      for (;;) {
        if (i >= s.length) return null
        const d = s[i]!
        if (d === '"') {
          i++
          break
        }
        if (d === "\\" && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1]!)) {
          cur += s[i + 1]
          i += 2
          continue
        }
        cur += d
        i++
      }
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[i + 1]
      has = true
      i += 2
    } else if (/\s/.test(c)) {
      if (has) out.push(cur)
      cur = ""
      has = false
      i++
    } else {
      cur += c
      has = true
      i++
    }
  }
  if (has) out.push(cur)
  return out
}

function onPath(name: string, env: Readonly<Record<string, string | undefined>>): string | null {
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue
    const p = join(dir, name)
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK)
        return p
      }
    } catch {
      // not here
    }
  }
  return null
}

/** The editor command words, or null when none is configured or found. */
export function editorCommand(env: Readonly<Record<string, string | undefined>>): string[] | null {
  const configured = env["SOPS_EDITOR"] || env["EDITOR"]
  if (configured) {
    const words = shellSplit(configured)
    return words && words.length > 0 ? words : null
  }
  for (const name of ["vim", "nano", "vi"]) {
    const p = onPath(name, env)
    if (p) return [p]
  }
  return null
}
