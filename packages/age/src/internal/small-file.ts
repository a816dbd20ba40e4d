/**
 * Encryption of a small age file (one payload chunk, up to 64 KiB) for recipient objects,
 * without typage's `Encrypter`.
 *
 * A sops data key is 32 bytes, but `Encrypter.encrypt` pushes it through WHATWG streams (a
 * TransformStream, readers and transferable buffers), which costs more CPU than the
 * X25519 wrap itself when thousands of files are re-keyed. This builds the same file
 * directly (age-encryption.org/v1): the header with one or more stanzas and its
 * HMAC-SHA256 under HKDF(file key, "header"), a 16-byte nonce, and the payload as a single
 * last STREAM chunk (ChaCha20-Poly1305, nonce = 11-byte counter 0 ‖ 0x01) under
 * HKDF(file key, salt = nonce, "payload").
 * @module
 */
import { createCipheriv, createHmac } from "node:crypto"
import type { Recipient } from "age-encryption"
import { encodeRawBase64 } from "./base64.js"
import { encodeHeaderNoMac, type Stanza } from "./format.js"
import { hkdfSha256 } from "./hkdf.js"
import { pooledRandomBytes } from "./random-pool.js"

/** The largest plaintext that fits in one STREAM chunk. */
export const MAX_SMALL_FILE = 64 * 1024

const LAST_CHUNK_NONCE = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
const EMPTY = new Uint8Array(0)

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/**
 * Encrypts `plaintext` (at most {@link MAX_SMALL_FILE} bytes) to `recipients`; returns the
 * binary age file, byte-compatible with what `Encrypter.encrypt` writes.
 * @throws Error from a recipient's `wrapFileKey`, or for a plaintext that is too large
 */
export async function encryptSmallFile(recipients: readonly Recipient[], plaintext: Uint8Array): Promise<Uint8Array> {
  if (plaintext.length > MAX_SMALL_FILE) throw new Error("plaintext too large for a single age chunk")
  const fileKey = pooledRandomBytes(16)
  try {
    const stanzas: Stanza[] = []
    for (const r of recipients) stanzas.push(...(await r.wrapFileKey(fileKey)))
    const head = Buffer.from(encodeHeaderNoMac(stanzas), "utf8")
    const macKey = hkdfSha256(fileKey, EMPTY, "header")
    const mac = u8(createHmac("sha256", macKey).update(head).digest())
    macKey.fill(0)
    const nonce = pooledRandomBytes(16)
    const streamKey = hkdfSha256(fileKey, nonce, "payload")
    const c = createCipheriv("chacha20-poly1305", streamKey, LAST_CHUNK_NONCE, { authTagLength: 16 })
    const sealed = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
    streamKey.fill(0)
    const macLine = Buffer.from(` ${encodeRawBase64(mac)}\n`, "utf8")
    return u8(Buffer.concat([head, macLine, nonce, sealed]))
  } finally {
    fileKey.fill(0)
  }
}
