/**
 * Standard base64 with the strictness of Go's `base64.StdEncoding` (padding required, no
 * stray characters), so an `enc` that sops would reject is rejected here too.
 * @module
 */

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Standard, padded base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
}

/**
 * Decodes standard padded base64. Go's decoder skips CR and LF, so they are dropped first.
 * @returns the bytes, or null when `s` is not valid base64
 */
export function fromBase64(s: string): Uint8Array | null {
  const clean = s.replace(/[\r\n]/g, "")
  if (!STD_BASE64.test(clean)) return null
  return new Uint8Array(Buffer.from(clean, "base64"))
}
