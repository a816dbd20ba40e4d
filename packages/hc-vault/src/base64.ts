/**
 * Strict standard base64 for the transit payloads.
 * @module
 */

/** Standard, padded base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Decodes standard padded base64, or returns null when `s` is not exactly that. */
export function fromBase64(s: string): Uint8Array | null {
  if (!STD_BASE64.test(s)) return null
  return new Uint8Array(Buffer.from(s, "base64"))
}
