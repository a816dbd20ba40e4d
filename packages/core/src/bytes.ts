/**
 * Byte helpers: UTF-8 with strict validation, base64 as Go's `StdEncoding`, constant-time
 * comparison. Internal; not part of the public API.
 * @module
 */
import { isUtf8 } from "node:buffer"
import { timingSafeEqual } from "node:crypto"

const encoder = new TextEncoder()
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const lossyDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

/** UTF-8 encodes a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s)
}

/** Decodes UTF-8, or returns null when the bytes are not valid UTF-8. */
export function utf8DecodeStrict(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes)
  } catch {
    return null
  }
}

/** Decodes UTF-8, replacing invalid sequences with U+FFFD (Go's behaviour for JSON). */
export function utf8DecodeLossy(bytes: Uint8Array): string {
  return lossyDecoder.decode(bytes)
}

/** The bytes of a Go string value (`string` or raw bytes). */
export function stringBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? encoder.encode(v) : v
}

/** A Go string value from bytes: a JS string when valid UTF-8, else the bytes themselves. */
export function bytesToStringValue(bytes: Uint8Array): string | Uint8Array {
  // A validation pass plus Buffer's decoder is several times faster than a fatal
  // TextDecoder on the short values of the hot path; both reject the same sequences
  // (overlongs, surrogates, truncation) and keep a BOM.
  if (!isUtf8(bytes)) return bytes
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
}

/** Standard base64 with padding (Go `base64.StdEncoding.EncodeToString`). */
export function base64Encode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
}

/** The 6-bit value of each standard base64 character by byte; 255 for anything else (`=` too). */
export const BASE64_SEXTET: Uint8Array = new Uint8Array(256).fill(255)
for (let i = 0; i < 64; i++) BASE64_SEXTET["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i

/**
 * Decodes the run of standard base64 that starts at `from` in `b` (whole groups of four
 * characters, the last of which may end in `=` or `==`) and writes the bytes into `b` itself
 * from `to` on. `to` must not be past `from`: each write then lands before the characters
 * still to be read. The run ends at the first group that is not four base64 characters; its
 * length in characters is `Math.ceil(written / 3) * 4`. As Go's `StdEncoding` (and Buffer), the
 * unused low bits of a padded group are ignored.
 *
 * @returns the number of bytes written, or -1 when no group starts at `from` or a group
 *   ending in `=` does not have two or three base64 characters before its padding
 */
export function decodeBase64RunInPlace(b: Uint8Array, from: number, to: number): number {
  const n = b.length
  let i = from
  let w = to
  for (; i + 4 <= n; i += 4) {
    const c0 = BASE64_SEXTET[b[i]!]!
    const c1 = BASE64_SEXTET[b[i + 1]!]!
    const c2 = BASE64_SEXTET[b[i + 2]!]!
    const c3 = BASE64_SEXTET[b[i + 3]!]!
    if ((c0 | c1 | c2 | c3) > 63) break
    b[w++] = (c0 << 2) | (c1 >> 4)
    b[w++] = ((c1 & 15) << 4) | (c2 >> 2)
    b[w++] = ((c2 & 3) << 6) | c3
  }
  if (i + 4 <= n && b[i + 3] === 0x3d) {
    const c0 = BASE64_SEXTET[b[i]!]!
    const c1 = BASE64_SEXTET[b[i + 1]!]!
    const pad2 = b[i + 2] === 0x3d
    const c2 = pad2 ? 0 : BASE64_SEXTET[b[i + 2]!]!
    if ((c0 | c1 | c2) > 63) return -1
    b[w++] = (c0 << 2) | (c1 >> 4)
    if (!pad2) b[w++] = ((c1 & 15) << 4) | (c2 >> 2)
    i += 4
  }
  return i === from ? -1 : w - to
}

// A character-class check plus a length check: linear, and no backtracking stack on
// multi-megabyte values (a grouped repetition overflowed the regex stack on large binaries).
const B64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Strict standard base64 decoding (padding required, no whitespace), as Go's
 * `StdEncoding.DecodeString`. Returns null on malformed input.
 */
export function base64DecodeStrict(s: string): Uint8Array | null {
  if (s.length % 4 !== 0 || !B64_CHARS.test(s)) return null
  const buf = Buffer.from(s, "base64")
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

/** Constant-time equality of two byte arrays (false when lengths differ). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  return timingSafeEqual(a, b)
}

/** Best-effort zeroing of secret bytes (JS gives no guarantee copies do not exist). */
export function wipe(...arrays: (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0)
}

/** Concatenates byte arrays into a new array with its own buffer (never Node's shared pool). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/**
 * Decodes standard padded base64 as Go's `base64.StdEncoding.DecodeString` does: CR and LF are
 * skipped, anything else must be canonical. Linear time whatever the length (the value comes
 * from a file). Returns null when malformed.
 */
export function decodeStdBase64(s: string): Uint8Array | null {
  const view = base64DecodeStrict(s.includes("\n") || s.includes("\r") ? s.replace(/[\r\n]/g, "") : s)
  // A copy with its own ArrayBuffer: small Buffers share a pool, and SDKs that serialise
  // `.buffer` would otherwise send the whole pool.
  return view === null ? null : new Uint8Array(view)
}
