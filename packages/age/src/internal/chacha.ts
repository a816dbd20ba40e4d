/**
 * ChaCha20-Poly1305 with an all-zero nonce, as age uses to wrap a file key under a key that
 * is used exactly once.
 * @module
 */
import { createCipheriv, createDecipheriv } from "node:crypto"

const ZERO_NONCE = new Uint8Array(12)
const TAG = 16

/** Seals `plaintext` under `key` (32 bytes); returns ciphertext ‖ tag. */
export function sealOnce(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: TAG })
  const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** Opens ciphertext ‖ tag; returns null when authentication fails. */
export function openOnce(key: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG) return null
  const d = createDecipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: TAG })
  d.setAuthTag(sealed.subarray(sealed.length - TAG))
  try {
    const out = Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()])
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  } catch {
    return null
  }
}
