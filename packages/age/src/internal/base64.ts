/**
 * Base64 helpers for the age format: stanza arguments use the standard alphabet without
 * padding, and age rejects non-canonical encodings.
 * @module
 */

const RAW_B64 = /^[A-Za-z0-9+/]*$/

/** Standard base64 without padding (age's `format.EncodeToString`). */
export function encodeRawBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/=+$/, "")
}

/** Strict, canonical decoding of unpadded standard base64; null when malformed. */
export function decodeRawBase64(s: string): Uint8Array | null {
  if (!RAW_B64.test(s) || s.length % 4 === 1) return null
  const buf = Buffer.from(s, "base64")
  const out = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  // Node ignores stray low bits in the last character; age does not.
  return encodeRawBase64(out) === s ? out : null
}

// A character class and a length check: linear, unlike a grouped repetition, whose
// backtracking overflows the regex stack on a multi-megabyte string (recipients come from files).
const STD_B64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Strict standard base64 with padding (SSH key blobs); null when malformed. */
export function decodeStdBase64(s: string): Uint8Array | null {
  if (s.length % 4 !== 0 || !STD_B64.test(s)) return null
  const buf = Buffer.from(s, "base64")
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

/** Standard base64 with padding. */
export function encodeStdBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
}

/** Unpadded base64url (JWK fields) to bytes. */
export function decodeBase64Url(s: string): Uint8Array {
  const buf = Buffer.from(s, "base64url")
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

/** Bytes to unpadded base64url (JWK fields). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url")
}
