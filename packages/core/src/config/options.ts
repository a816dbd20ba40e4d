/**
 * The six value-selection options and sops' "at most one of them" rule.
 * @module
 */
import type { EncryptionOptions } from "../metadata/model.js"

/** The selection options, as {@link EncryptionOptions} fields. */
export const SELECTION_OPTIONS = [
  "unencryptedSuffix",
  "encryptedSuffix",
  "unencryptedRegex",
  "encryptedRegex",
  "unencryptedCommentRegex",
  "encryptedCommentRegex",
] as const

/** One of {@link SELECTION_OPTIONS}. */
export type SelectionOption = (typeof SELECTION_OPTIONS)[number]

/** The option names in sops' messages. */
export const SELECTION_OPTIONS_TEXT =
  "encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex"

/** The selection options that are set (non-empty) in `options`. */
export function selectionOptionsSet(options: EncryptionOptions): SelectionOption[] {
  return SELECTION_OPTIONS.filter((name) => (options[name] ?? "") !== "")
}

/** `options` without empty strings and without a false `macOnlyEncrypted`. */
export function compactOptions(options: EncryptionOptions): EncryptionOptions {
  const out: EncryptionOptions = {}
  for (const name of SELECTION_OPTIONS) {
    const v = options[name]
    if (v !== undefined && v !== "") out[name] = v
  }
  if (options.macOnlyEncrypted === true) out.macOnlyEncrypted = true
  return out
}
