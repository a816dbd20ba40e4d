/**
 * age's native `X25519` identity (`AGE-SECRET-KEY-1…`) on Node's X25519, as a typage
 * {@link Identity}: for each `X25519 <share>` stanza, the wrapping key is
 * HKDF-SHA-256(X25519(secret, share), salt = share ‖ our public key,
 * "age-encryption.org/v1/X25519") and the 32-byte body is the file key sealed with
 * ChaCha20-Poly1305 under a zero nonce. A body that does not open is someone else's stanza.
 * @module
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto"
import type { Identity } from "age-encryption"
import { decodeBase64Url, decodeRawBase64, encodeBase64Url } from "./base64.js"
import { bech32Decode } from "./bech32.js"
import { openOnce } from "./chacha.js"
import type { Stanza } from "./format.js"
import { hkdfSha256 } from "./hkdf.js"

const LABEL = "age-encryption.org/v1/X25519"
/** DER of a PKCS #8 X25519 private key, up to the 32 key bytes (RFC 8410). */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex")

/**
 * The 32-byte scalar of an `AGE-SECRET-KEY-1…` identity, validated as typage and age do
 * (uppercase prefix, Bech32 checksum, 32 bytes).
 * @throws Bech32Error or Error("wrong length") when malformed
 */
export function x25519IdentityScalar(text: string): Uint8Array {
  const { prefix, bytes } = bech32Decode(text)
  if (!text.startsWith("AGE-SECRET-KEY-1") || prefix !== "age-secret-key-") throw new Error("not an X25519 age identity")
  if (bytes.length !== 32) throw new Error("wrong length")
  return bytes
}

/** The Node private key object of a 32-byte X25519 scalar. */
export function x25519PrivateKey(scalar: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, scalar]), format: "der", type: "pkcs8" })
}

/** The 32-byte public key (u-coordinate) of an X25519 private key object. */
export function x25519PublicBytes(privateKey: KeyObject): Uint8Array {
  return decodeBase64Url(createPublicKey(privateKey).export({ format: "jwk" }).x!)
}

/** Unwraps `X25519` stanzas with one identity; keys are imported on first use. */
export class NodeX25519Identity implements Identity {
  private readonly scalar: Uint8Array
  private key: { privateKey: KeyObject; publicKey: Uint8Array } | null = null

  /** @param scalar - the 32-byte secret scalar (copied) */
  constructor(scalar: Uint8Array) {
    this.scalar = Uint8Array.from(scalar)
  }

  private keys(): { privateKey: KeyObject; publicKey: Uint8Array } {
    if (this.key === null) {
      const privateKey = x25519PrivateKey(this.scalar)
      this.key = { privateKey, publicKey: x25519PublicBytes(privateKey) }
    }
    return this.key
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== "X25519") continue
      if (s.args.length !== 2) throw new Error("invalid X25519 stanza: expected one argument")
      const share = decodeRawBase64(s.args[1]!)
      if (share === null || share.length !== 32) throw new Error("invalid X25519 stanza: the share is not 32 bytes")
      if (s.body.length !== 32) throw new Error("invalid X25519 stanza: the body is not 32 bytes")
      const { privateKey, publicKey } = this.keys()
      let shared: Buffer
      try {
        const peer = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: encodeBase64Url(share) }, format: "jwk" })
        // OpenSSL refuses an all-zero result (a low-order share), as age does.
        shared = diffieHellman({ privateKey, publicKey: peer })
      } catch {
        throw new Error("invalid X25519 stanza: low-order or malformed share")
      }
      const salt = new Uint8Array(64)
      salt.set(share)
      salt.set(publicKey, 32)
      const key = hkdfSha256(shared, salt, LABEL)
      shared.fill(0)
      const fileKey = openOnce(key, s.body)
      key.fill(0)
      if (fileKey !== null) return fileKey
    }
    return null
  }
}
