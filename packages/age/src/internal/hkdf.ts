/**
 * HKDF-SHA-256 (RFC 5869) for outputs of at most 32 bytes, on two HMAC calls.
 *
 * `crypto.hkdfSync` wraps its input in a secret `KeyObject` and validates every argument on
 * each call, which costs about twice the two HMACs; a bulk re-key derives three keys per
 * file (the X25519 wrap key, the header MAC key and the payload key). Outputs are identical
 * (checked against `hkdfSync` in the tests).
 * @module
 */
import { createHmac } from "node:crypto"

const ONE = new Uint8Array([1])

/**
 * HKDF-SHA-256(ikm, salt, info) truncated to `length` bytes (1 to 32). An empty salt is the
 * RFC's default (HMAC pads the empty key with zeros, exactly as a string of zeros).
 * @throws RangeError when `length` is outside 1..32
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string, length = 32): Uint8Array {
  if (!(length >= 1 && length <= 32)) throw new RangeError("hkdfSha256 derives 1 to 32 bytes")
  const prk = createHmac("sha256", salt).update(ikm).digest()
  const okm = createHmac("sha256", prk).update(info, "latin1").update(ONE).digest()
  prk.fill(0)
  const out = new Uint8Array(length)
  out.set(okm.subarray(0, length))
  okm.fill(0)
  return out
}
