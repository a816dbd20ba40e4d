/**
 * Decryption of a binary age file on `node:crypto`: header parsing, file-key unwrap through
 * a list of identities, the header MAC, and the STREAM payload (ChaCha20-Poly1305 in 64 KiB
 * chunks). Same contract as typage's `Decrypter.decrypt`: identities are asked in order, the
 * first non-null file key wins, and an identity throws only for a stanza addressed to it
 * that does not open.
 * @module
 */
import { createDecipheriv, createHmac, timingSafeEqual } from "node:crypto"
import type { Identity } from "age-encryption"
import { AgeFormatError, parseHeader, type AgeHeader } from "./format.js"
import { hkdfSha256 } from "./hkdf.js"

/** No identity returned a file key. */
export class NoIdentityMatchedError extends Error {
  constructor() {
    super("no identity matched any of the file's recipients")
    this.name = "NoIdentityMatchedError"
  }
}

const CHUNK = 64 * 1024
const TAG = 16
const NONCE_SIZE = 16
const EMPTY = new Uint8Array(0)

function toU8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/**
 * Checks the header MAC: HMAC-SHA-256 under HKDF-SHA-256(file key, "header") over the
 * header up to `---`, compared in constant time.
 * @throws AgeFormatError when it does not match
 */
export function verifyHeaderMac(header: AgeHeader, fileKey: Uint8Array): void {
  const macKey = hkdfSha256(fileKey, EMPTY, "header")
  const mac = createHmac("sha256", macKey).update(header.headerNoMac).digest()
  macKey.fill(0)
  if (!timingSafeEqual(mac, header.mac)) throw new AgeFormatError("invalid age header MAC")
}

/**
 * Opens the STREAM payload (`nonce ‖ chunks`) under `fileKey`. Chunks are 64 KiB of
 * plaintext plus a 16-byte tag; the nonce of chunk i is i as an 11-byte big-endian counter
 * followed by 1 for the last chunk and 0 otherwise. Only the first chunk may be empty.
 * @throws AgeFormatError when the payload is truncated or any chunk fails to authenticate
 */
export function decryptPayload(payload: Uint8Array, fileKey: Uint8Array): Uint8Array {
  if (payload.length < NONCE_SIZE + TAG) throw new AgeFormatError("truncated age payload")
  const streamKey = hkdfSha256(fileKey, payload.subarray(0, NONCE_SIZE), "payload")
  const body = payload.subarray(NONCE_SIZE)
  const nonce = new Uint8Array(12)
  const out: Uint8Array[] = []
  let total = 0
  try {
    for (let offset = 0, counter = 0; ; counter++) {
      const last = offset + CHUNK + TAG >= body.length
      const end = last ? body.length : offset + CHUNK + TAG
      const chunk = body.subarray(offset, end)
      if (chunk.length < TAG) throw new AgeFormatError("truncated age payload chunk")
      if (last && chunk.length === TAG && counter > 0) throw new AgeFormatError("empty last chunk in age payload")
      // 11-byte big-endian counter; beyond 2^53 chunks is far past any input we can hold.
      let c = counter
      for (let i = 10; i >= 0; i--) {
        nonce[i] = c % 256
        c = Math.floor(c / 256)
      }
      nonce[11] = last ? 1 : 0
      const d = createDecipheriv("chacha20-poly1305", streamKey, nonce, { authTagLength: TAG })
      d.setAuthTag(chunk.subarray(chunk.length - TAG))
      const head = d.update(chunk.subarray(0, chunk.length - TAG))
      let tail: Buffer
      try {
        tail = d.final()
      } catch {
        head.fill(0)
        throw new AgeFormatError("age payload chunk failed to authenticate")
      }
      out.push(toU8(head), toU8(tail))
      total += head.length + tail.length
      if (last) break
      offset = end
    }
  } catch (err) {
    for (const o of out) o.fill(0)
    throw err
  } finally {
    streamKey.fill(0)
  }
  if (out.length === 2 && out[1]!.length === 0) return out[0]!
  const plain = new Uint8Array(total)
  let o = 0
  for (const part of out) {
    plain.set(part, o)
    o += part.length
    part.fill(0)
  }
  return plain
}

/**
 * Decrypts a binary age file with `identities`, tried in order.
 * @throws AgeFormatError for a malformed file, a bad MAC or a corrupt payload;
 *   NoIdentityMatchedError when every identity returned null; whatever an identity throws
 */
export async function decryptAgeFile(file: Uint8Array, identities: readonly Identity[]): Promise<Uint8Array> {
  const header = parseHeader(file)
  return await decryptWithHeader(file, header, identities)
}

/** {@link decryptAgeFile} for a header that was already parsed from `file`. */
export async function decryptWithHeader(file: Uint8Array, header: AgeHeader, identities: readonly Identity[]): Promise<Uint8Array> {
  let fileKey: Uint8Array | null = null
  for (const id of identities) {
    fileKey = await id.unwrapFileKey(header.stanzas)
    if (fileKey !== null) break
  }
  if (fileKey === null) throw new NoIdentityMatchedError()
  // The file key is not zeroed here: a caller-supplied identity may hand out a buffer it keeps.
  verifyHeaderMac(header, fileKey)
  return decryptPayload(file.subarray(header.payloadOffset), fileKey)
}
