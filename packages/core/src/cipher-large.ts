/**
 * Decrypting one large `ENC[...]` value held as bytes (the binary store's payload) without
 * turning it into a string: the base64 is validated and decoded chunk by chunk, and the
 * ciphertext decrypted chunk by chunk, optionally into the value's own bytes. Peak memory is
 * then the input plus about two chunks, instead of input + base64 string + ciphertext +
 * plaintext.
 * @module
 */
import { createDecipheriv, type CipherGCMTypes, type KeyObject } from "node:crypto"
import { BASE64_SEXTET as SEXTET } from "./bytes.js"
import { SopsError } from "./errors.js"

/** Values shorter than this take the string path; the chunked path pays off on megabytes. */
export const LARGE_VALUE_BYTES = 1 << 20

/** Ciphertext bytes per `update()` call. */
const CHUNK_BYTES = 1 << 16

const PREFIX = "ENC[AES256_GCM,data:"
const B64_PART = /^[A-Za-z0-9+/]+={0,2}$/
const TYPE_RE = /^[a-z]+$/

/** A parsed large value: where the data is, and the decoded small parts. */
export interface LargeValueParts {
  readonly dataEnd: number
  readonly iv: Buffer
  readonly tag: Buffer
  readonly type: string
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * Splits a value in the canonical shape sops writes (see `parseCanonical` in cipher.ts),
 * checking everything but the characters of the data, which {@link decryptLargeValue} checks
 * as it decodes. Null when the value needs the general parser; nothing is modified.
 */
export function parseLargeValue(bytes: Uint8Array, tagLength: number): LargeValueParts | null {
  const b = asBuffer(bytes)
  if (b.length < PREFIX.length || b.toString("latin1", 0, PREFIX.length) !== PREFIX) return null
  const iIv = b.indexOf(",iv:", PREFIX.length, "latin1")
  if (iIv < 0) return null
  const iTag = b.indexOf(",tag:", iIv, "latin1")
  if (iTag < 0) return null
  const iType = b.indexOf(",type:", iTag, "latin1")
  if (iType < 0 || b[b.length - 1] !== 0x5d) return null
  const dataLength = iIv - PREFIX.length
  if (dataLength === 0 || dataLength % 4 !== 0) return null
  const iv64 = b.toString("latin1", iIv + 4, iTag)
  const tag64 = b.toString("latin1", iTag + 5, iType)
  const type = b.toString("latin1", iType + 6, b.length - 1)
  if (!TYPE_RE.test(type)) return null
  if (iv64.length % 4 !== 0 || tag64.length % 4 !== 0 || !B64_PART.test(iv64) || !B64_PART.test(tag64)) return null
  const tag = Buffer.from(tag64, "base64")
  if (tag.length !== tagLength) return null
  return { dataEnd: iIv, iv: Buffer.from(iv64, "base64"), tag, type }
}

/**
 * Decodes and decrypts the data of a value split by {@link parseLargeValue}. With `inPlace`
 * the plaintext is written over `bytes` itself (the caller owns them and no longer needs the
 * text); otherwise into one new buffer. Returns a view of the plaintext.
 *
 * @throws SopsError `ERR_VALUE_INVALID` when the data is not strict base64 (with the message
 *   the general parser gives), `ERR_DECRYPT_FAILED` when authentication fails
 */
export function decryptLargeValue(
  bytes: Uint8Array,
  parts: LargeValueParts,
  cipher: { readonly algo: CipherGCMTypes; readonly key: KeyObject; readonly aad: string; readonly tagLength: number },
  where: () => string,
  inPlace: boolean,
): Uint8Array {
  const src = asBuffer(bytes)
  const out = inPlace ? src : Buffer.allocUnsafe(((parts.dataEnd - PREFIX.length) / 4) * 3)
  // Decoded in JS straight from the bytes: no chunk strings, whose garbage made the young
  // generation (and so the RSS) grow by tens of megabytes on a 50 MB file.
  const written = decodeBase64(src, PREFIX.length, parts.dataEnd, out)
  if (written < 0) throw badBase64(src, -written - 1, parts.dataEnd, where)
  try {
    const d = createDecipheriv(cipher.algo, cipher.key, parts.iv, { authTagLength: cipher.tagLength })
    d.setAAD(Buffer.from(cipher.aad, "utf8"))
    d.setAuthTag(parts.tag)
    let plain = 0
    for (let pos = 0; pos < written; pos += CHUNK_BYTES) {
      const chunk = d.update(out.subarray(pos, Math.min(pos + CHUNK_BYTES, written)))
      plain += chunk.copy(out, plain)
    }
    d.final()
    return new Uint8Array(out.buffer, out.byteOffset, plain)
  } catch (cause) {
    out.fill(0, 0, written) // unauthenticated plaintext must not stay behind
    throw new SopsError(
      "ERR_DECRYPT_FAILED",
      `could not decrypt the value at ${where()}: authentication failed (wrong data key, or the value or its key path was changed)`,
      { cause },
    )
  }
}

/**
 * Strict standard base64 of `src[start, end)` (length a multiple of 4, up to two `=` at the
 * end) into `out` from index 0. `out` may be `src` itself: each write lands before the bytes
 * still to be read. Returns the number of bytes written, or `-(i + 1)` for a bad byte at `i`.
 */
function decodeBase64(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let stop = end
  if (src[stop - 1] === 0x3d) stop--
  if (src[stop - 1] === 0x3d) stop--
  let w = 0
  let i = start
  for (; i + 4 <= stop; i += 4) {
    const a = SEXTET[src[i]!]!
    const b = SEXTET[src[i + 1]!]!
    const c = SEXTET[src[i + 2]!]!
    const d = SEXTET[src[i + 3]!]!
    if ((a | b | c | d) > 63) {
      for (let k = i; ; k++) if (SEXTET[src[k]!]! > 63) return -(k + 1)
    }
    out[w++] = (a << 2) | (b >> 4)
    out[w++] = ((b & 15) << 4) | (c >> 2)
    out[w++] = ((c & 3) << 6) | d
  }
  const tail = stop - i // 0, 2 or 3: the length is a multiple of 4 with at most two `=`
  if (tail > 0) {
    const a = SEXTET[src[i]!]!
    const b = SEXTET[src[i + 1]!]!
    const c = tail === 3 ? SEXTET[src[i + 2]!]! : 0
    if ((a | b | c) > 63) {
      for (let k = i; ; k++) if (SEXTET[src[k]!]! > 63) return -(k + 1)
    }
    // Bits past the last byte are ignored, as Go's (non-strict) StdEncoding does.
    out[w++] = (a << 2) | (b >> 4)
    if (tail === 3) out[w++] = ((b & 15) << 4) | (c >> 2)
  }
  return w
}

/** The error the general parser reports for bad characters in the data part. */
function badBase64(src: Buffer, from: number, end: number, where: () => string): SopsError {
  // A line break makes the whole value unrecognisable to sops' pattern; other characters
  // only fail the base64 decoding. Bytes before `from` were valid base64 (and may be gone).
  const nl = src.indexOf(0x0a, from)
  if (nl >= 0 && nl < end) {
    return new SopsError("ERR_VALUE_INVALID", `value at ${where()} is not in sops' ENC[AES256_GCM,...] format`)
  }
  return new SopsError("ERR_VALUE_INVALID", `value at ${where()} has invalid base64 in its data, iv or tag`)
}
