/**
 * Shell-like word splitting with the rules of github.com/google/shlex, which sops uses for
 * `SOPS_AGE_KEY_CMD` and `SOPS_AGE_SSH_PRIVATE_KEY_CMD` (the command is then run directly,
 * without a shell).
 * @module
 */

/** Thrown for unterminated quotes or a trailing escape; callers map it to a SopsError. */
export class ShlexError extends Error {}

const SPACE = new Set([" ", "\t", "\r", "\n"])

/**
 * Splits `s` into words: whitespace separates words, `'...'` is literal, `"..."` allows
 * backslash escapes, a backslash outside quotes escapes the next character, and `#` at the
 * start of a word begins a comment that runs to the end of the line.
 */
export function shlexSplit(s: string): string[] {
  const words: string[] = []
  let word: string | null = null
  let i = 0
  while (i < s.length) {
    const c = s[i]!
    if (word === null) {
      if (SPACE.has(c)) {
        i++
        continue
      }
      if (c === "#") {
        while (i < s.length && s[i] !== "\n") i++
        continue
      }
      word = ""
    }
    if (SPACE.has(c)) {
      words.push(word)
      word = null
      i++
    } else if (c === "\\") {
      if (i + 1 >= s.length) throw new ShlexError("EOF found after escape character")
      word += s[i + 1]
      i += 2
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1)
      if (end < 0) throw new ShlexError("EOF found when expecting closing quote")
      word += s.slice(i + 1, end)
      i = end + 1
    } else if (c === '"') {
      i++
      for (;;) {
        if (i >= s.length) throw new ShlexError("EOF found when expecting closing quote")
        const d = s[i]!
        if (d === '"') {
          i++
          break
        }
        if (d === "\\") {
          if (i + 1 >= s.length) throw new ShlexError("EOF found after escape character")
          word += s[i + 1]
          i += 2
        } else {
          word += d
          i++
        }
      }
    } else {
      word += c
      i++
    }
  }
  if (word !== null) words.push(word)
  return words
}
