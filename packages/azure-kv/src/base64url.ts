/**
 * The unpadded base64url (`RawURLEncoding`) that sops stores Azure `enc` values in.
 * @module
 */

/** base64url without `=` padding. */
export function toRawBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url")
}

const RAW_URL = /^[A-Za-z0-9_-]*$/

/**
 * Decodes unpadded base64url, or returns null for anything else (padding, `+`, `/`,
 * whitespace, an impossible length), as Go's `RawURLEncoding` does.
 */
export function fromRawBase64Url(s: string): Uint8Array | null {
  if (!RAW_URL.test(s) || s.length % 4 === 1) return null
  const out = new Uint8Array(Buffer.from(s, "base64url"))
  // Non-canonical trailing bits would decode "successfully" in Node; re-encode to be strict.
  return toRawBase64Url(out) === s ? out : null
}
