/**
 * Which values are encrypted: sops' `shouldBeEncrypted` (spec section 3.2), with the
 * selection options resolved once per file.
 * @module
 */
import { DEFAULT_UNENCRYPTED_SUFFIX, type EncryptionOptions } from "./metadata/model.js"
import { tryCompileGoRegex, type GoRegex } from "./regex.js"
import { SopsError } from "./errors.js"

/** The six mutually exclusive selection options, by metadata name. */
export const SELECTION_OPTION_NAMES = [
  ["unencryptedSuffix", "unencrypted_suffix"],
  ["encryptedSuffix", "encrypted_suffix"],
  ["unencryptedRegex", "unencrypted_regex"],
  ["encryptedRegex", "encrypted_regex"],
  ["unencryptedCommentRegex", "unencrypted_comment_regex"],
  ["encryptedCommentRegex", "encrypted_comment_regex"],
] as const

/**
 * Checks that at most one selection option is set.
 * @throws SopsError `ERR_CONFLICTING_OPTIONS`
 */
export function checkExclusiveOptions(options: EncryptionOptions): void {
  const set = SELECTION_OPTION_NAMES.filter(([k]) => (options[k] ?? "") !== "").map(([, n]) => n)
  if (set.length > 1) {
    throw new SopsError(
      "ERR_CONFLICTING_OPTIONS",
      `Cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file (found ${set.join(", ")})`,
    )
  }
}

/** Applies sops' default: no option set means `unencrypted_suffix: _unencrypted`. */
export function withDefaultSuffix(options: EncryptionOptions): EncryptionOptions {
  const any = SELECTION_OPTION_NAMES.some(([k]) => (options[k] ?? "") !== "")
  return any ? options : { ...options, unencryptedSuffix: DEFAULT_UNENCRYPTED_SUFFIX }
}

/** A compiled selection rule set. */
export interface Selection {
  /** Does any path component decide the value? (evaluated incrementally per key) */
  readonly keyRule: KeyRule | null
  /** Comment-based rule, if any. */
  readonly commentRule: CommentRule | null
  readonly macOnlyEncrypted: boolean
}

/**
 * A rule on path components. `match(key)` tells whether one component matches; `whenAny`
 * is the decision when some component of the path matched, `otherwise` when none did.
 */
export interface KeyRule {
  match(component: string): boolean
  readonly whenAny: boolean
  readonly otherwise: boolean
}

/** A rule on the active comments. */
export interface CommentRule {
  match(comment: string): boolean
  /** true: `encrypted_comment_regex` (selects); false: `unencrypted_comment_regex` (exempts). */
  readonly selects: boolean
  /** The regex source, for the encrypt-time guard. */
  readonly regex: GoRegex | null
}

const NEVER = { test: (): boolean => false }

/**
 * Compiles the options (after the default suffix is applied) into a {@link Selection}.
 * Invalid regexes never match, as in sops.
 */
export function compileSelection(options: EncryptionOptions): Selection {
  checkExclusiveOptions(options)
  const o = withDefaultSuffix(options)
  let keyRule: KeyRule | null = null
  let commentRule: CommentRule | null = null
  if (o.unencryptedSuffix) {
    const sfx = o.unencryptedSuffix
    keyRule = { match: (k) => k.endsWith(sfx), whenAny: false, otherwise: true }
  } else if (o.encryptedSuffix) {
    const sfx = o.encryptedSuffix
    keyRule = { match: (k) => k.endsWith(sfx), whenAny: true, otherwise: false }
  } else if (o.unencryptedRegex) {
    const re = tryCompileGoRegex(o.unencryptedRegex) ?? NEVER
    keyRule = { match: (k) => re.test(k), whenAny: false, otherwise: true }
  } else if (o.encryptedRegex) {
    const re = tryCompileGoRegex(o.encryptedRegex) ?? NEVER
    keyRule = { match: (k) => re.test(k), whenAny: true, otherwise: false }
  } else if (o.unencryptedCommentRegex) {
    const re = tryCompileGoRegex(o.unencryptedCommentRegex)
    commentRule = { match: (c) => (re ?? NEVER).test(c), selects: false, regex: re }
  } else if (o.encryptedCommentRegex) {
    const re = tryCompileGoRegex(o.encryptedCommentRegex)
    commentRule = { match: (c) => (re ?? NEVER).test(c), selects: true, regex: re }
  }
  return { keyRule, commentRule, macOnlyEncrypted: o.macOnlyEncrypted === true }
}
