/**
 * Heuristics for values that look like secrets: key names, Shannon entropy and well-known
 * token shapes. Used on plaintext files and on values a sops file leaves in clear.
 * @module
 */

/** Key names that usually hold credentials. */
const SECRET_KEY_RE =
  /(pass(word|wd|phrase)?|secret|token|api[-_]?key|apikey|private[-_]?key|client[-_]?secret|access[-_]?key|credential|auth|dsn|conn(ection)?[-_]?string|signing[-_]?key|encryption[-_]?key|webhook[-_]?url|bearer|cookie|salt)/i

/** Key names that match the pattern above but name a reference, not a value. */
const REFERENCE_KEY_RE = /(secret[-_]?(name|ref|key[-_]?ref)|existing[-_]?secret|secretkeyref|token[-_]?(file|path|url)|auth[-_]?(type|method|mode)|passwordfile|_file$|path$)/i

/** Token shapes that are secrets whatever their key (AWS, GitHub, Slack, private keys...). */
const TOKEN_RES: readonly RegExp[] = [
  /^AKIA[0-9A-Z]{16}$/,
  /^gh[pousr]_[A-Za-z0-9]{36,}$/,
  /^xox[abprs]-[A-Za-z0-9-]{10,}$/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^sk_(live|test)_[A-Za-z0-9]{16,}$/,
  /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/,
]

/** Values that are obviously placeholders. */
const PLACEHOLDER_RE = /^(\$\{[^}]*\}|\$\([^)]*\)|<[^>]*>|\{\{.*\}\}|changeme|change-me|example|xxx+|\*+|todo|none|null|true|false)$/i

/** Whether a key name suggests a credential. */
export function isSecretLookingKey(key: string): boolean {
  return SECRET_KEY_RE.test(key) && !REFERENCE_KEY_RE.test(key)
}

/** Shannon entropy of a string in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0
  const counts = new Map<string, number>()
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1)
  let h = 0
  const n = [...s].length
  for (const k of counts.values()) {
    const p = k / n
    h -= p * Math.log2(p)
  }
  return h
}

/** Whether a value has a well-known secret token shape. */
export function isKnownTokenShape(value: string): boolean {
  return TOKEN_RES.some((re) => re.test(value))
}

/** Minimum length of a value judged by entropy (shorter strings have unreliable entropy). */
export const MIN_SECRET_LENGTH = 12

/**
 * Whether `value` under `key` looks like a secret: a known token shape anywhere, or a
 * high-entropy, non-placeholder value under a secret-looking key.
 * @param threshold - minimum entropy in bits per character
 */
export function looksLikeSecret(key: string, value: string, threshold: number): boolean {
  const v = value.trim()
  if (v === "" || v.startsWith("ENC[AES256_GCM,")) return false
  if (isKnownTokenShape(v)) return true
  if (!isSecretLookingKey(key)) return false
  if (v.length < MIN_SECRET_LENGTH || PLACEHOLDER_RE.test(v) || /\s/.test(v)) return false
  return shannonEntropy(v) >= threshold
}
