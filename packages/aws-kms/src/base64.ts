/**
 * The base64 of KMS `enc` values: standard alphabet, padded, as Go's `base64.StdEncoding`.
 * @module
 */

// Go's StdEncoding drops CR and LF before decoding and otherwise requires canonical padding.
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Standard padded base64 of `bytes`. */
export function encodeStdBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
}

/** Decodes standard padded base64 like Go's `StdEncoding.DecodeString`; null when malformed. */
export function decodeStdBase64(s: string): Uint8Array | null {
  const clean = s.replace(/[\r\n]/g, "")
  if (!STD_BASE64.test(clean)) return null
  return new Uint8Array(Buffer.from(clean, "base64"))
}
