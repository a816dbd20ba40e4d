/**
 * Go RE2 regular expressions, as sops uses them for `path_regex` and the value-selection
 * options (`encrypted_regex`, `unencrypted_comment_regex`, ...).
 *
 * JavaScript's `RegExp` is the wrong engine here: it rejects `(?i)`, `\z` and `\pN`, accepts
 * lookarounds and backreferences that Go refuses, and its `$` and `\w` differ in corner
 * cases. `re2js` is a port of the RE2 engine Go's `regexp` package also derives from, so a
 * pattern is valid, and matches, exactly when it would in sops.
 * @module
 */
import type { RE2JS } from "re2js"
import { re2js } from "./lazy-deps.js"
import { SopsError } from "./errors.js"

/** A compiled Go RE2 pattern. */
export interface GoRegex {
  /** The pattern as given. */
  readonly source: string
  /**
   * Unanchored search, like Go's `MatchString`: true when the pattern matches anywhere in
   * `input` (write `^...$` to anchor). Raw byte strings are searched as UTF-8.
   */
  test(input: string | Uint8Array): boolean
}

/** Upper bound on cached patterns, so a long-running process fed many files stays bounded. */
const CACHE_LIMIT = 512

/** Compiled patterns and compile failures, by pattern. Failures are cached too: sops' "invalid
 * regex never matches" path asks again for every value of a file. */
const cache = new Map<string, GoRegex | CompileFailure>()

/** Why a pattern did not compile; a fresh SopsError is built per throw so stacks are useful. */
interface CompileFailure {
  readonly reason: string
  readonly cause: unknown
}

function remember(pattern: string, entry: GoRegex | CompileFailure): GoRegex | CompileFailure {
  if (cache.size >= CACHE_LIMIT) {
    // Map iteration order is insertion order: drop the oldest entry.
    const oldest = cache.keys().next()
    if (oldest.done !== true) cache.delete(oldest.value)
  }
  cache.set(pattern, entry)
  return entry
}

function compileUncached(pattern: string): GoRegex | CompileFailure {
  let re: RE2JS
  try {
    re = re2js().RE2JS.compile(pattern)
  } catch (err) {
    // The engine's message names the offending construct (`missing closing ]: ...`); it
    // quotes the pattern, never a value.
    return { reason: err instanceof Error ? err.message : String(err), cause: err }
  }
  return {
    source: pattern,
    test: (input: string | Uint8Array): boolean => re.test(input),
  }
}

function lookup(pattern: string): GoRegex | CompileFailure {
  return cache.get(pattern) ?? remember(pattern, compileUncached(pattern))
}

function isFailure(entry: GoRegex | CompileFailure): entry is CompileFailure {
  return "reason" in entry
}

/**
 * Compiles a Go RE2 pattern (cached).
 *
 * @example
 * ```ts
 * compileGoRegex("(?i)^secret").test("SECRET_KEY") // true
 * ```
 * @param pattern - Go `regexp` syntax
 * @returns the compiled pattern
 * @throws SopsError `ERR_REGEX_INVALID` when the pattern is not valid RE2 syntax
 */
export function compileGoRegex(pattern: string): GoRegex {
  const entry = lookup(pattern)
  if (isFailure(entry)) {
    throw new SopsError("ERR_REGEX_INVALID", `invalid regular expression ${JSON.stringify(pattern)}: ${entry.reason}`, {
      cause: entry.cause,
      details: { pattern },
    })
  }
  return entry
}

/**
 * Compiles a Go RE2 pattern, or returns `null` when it is invalid. This is sops' behaviour for
 * the value-selection regexes stored in metadata: they are never validated, and an invalid
 * one simply never matches.
 * @param pattern - Go `regexp` syntax
 * @returns the compiled pattern, or `null` if it does not compile
 */
export function tryCompileGoRegex(pattern: string): GoRegex | null {
  const entry = lookup(pattern)
  return isFailure(entry) ? null : entry
}
