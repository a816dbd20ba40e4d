/**
 * age's `ssh-ed25519` and `ssh-rsa` recipient types (age-encryption.org/v1, as implemented by
 * filippo.io/age/agessh), as typage {@link Recipient}/{@link Identity} objects.
 *
 * - `ssh-ed25519 <tag> <share>`: X25519 against the Montgomery form of the Ed25519 key; the
 *   shared secret is multiplied by a tweak derived from the SSH public key, so a plain X25519
 *   stanza and an SSH one never share a wrapping key.
 * - `ssh-rsa <tag>`: RSA-OAEP-SHA256 of the file key with a fixed label.
 *
 * `<tag>` is the first 4 bytes of SHA-256 of the SSH public key blob, so an identity can tell
 * its own stanzas apart: a tag mismatch is "not mine" (null), a matching stanza that fails to
 * open is an error, per typage's `Identity` contract.
 * @module
 */
import { constants, createHash, privateDecrypt, publicEncrypt, type KeyObject } from "node:crypto"
import { ed25519, x25519 } from "@noble/curves/ed25519.js"
import type { Identity, Recipient } from "age-encryption"
import { SopsError, concatBytes } from "@sops-ts/core"
import { decodeRawBase64, encodeRawBase64 } from "./base64.js"
import { openOnce, sealOnce } from "./chacha.js"
import { Stanza } from "./format.js"
import { hkdfSha256 } from "./hkdf.js"
import type { SshEd25519PublicKey, SshPrivateKey, SshPublicKey, SshRsaPublicKey } from "./ssh-keys.js"

const ED25519_LABEL = "age-encryption.org/v1/ssh-ed25519"
const RSA_LABEL = new TextEncoder().encode("age-encryption.org/v1/ssh-rsa")
const EMPTY = new Uint8Array(0)

/** The stanza tag of an SSH public key: base64 (raw) of SHA-256(blob)[0:4]. */
export function sshKeyTag(blob: Uint8Array): string {
  return encodeRawBase64(createHash("sha256").update(blob).digest().subarray(0, 4))
}

function tweakFor(blob: Uint8Array): Uint8Array {
  return hkdfSha256(EMPTY, blob, ED25519_LABEL)
}

/** Wraps file keys for an SSH Ed25519 public key. */
export class SshEd25519Recipient implements Recipient {
  private readonly tag: string
  private readonly montgomery: Uint8Array
  private readonly tweak: Uint8Array

  constructor(publicKey: SshEd25519PublicKey) {
    try {
      this.montgomery = ed25519.utils.toMontgomery(publicKey.key)
    } catch (err) {
      throw new SopsError("ERR_INVALID_ARGUMENT", "invalid SSH Ed25519 public key (not a curve point)", { cause: err })
    }
    this.tag = sshKeyTag(publicKey.blob)
    this.tweak = tweakFor(publicKey.blob)
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const ephemeral = x25519.utils.randomSecretKey()
    const share = x25519.getPublicKey(ephemeral)
    const shared = x25519.scalarMult(this.tweak, x25519.scalarMult(ephemeral, this.montgomery))
    const key = hkdfSha256(shared, concatBytes([share, this.montgomery]), ED25519_LABEL)
    return [new Stanza(["ssh-ed25519", this.tag, encodeRawBase64(share)], sealOnce(key, fileKey))]
  }
}

/** Unwraps `ssh-ed25519` stanzas with an Ed25519 private key. */
export class SshEd25519Identity implements Identity {
  private readonly tag: string
  private readonly secret: Uint8Array
  private readonly ourPublic: Uint8Array
  private readonly tweak: Uint8Array

  constructor(publicKey: SshEd25519PublicKey, seed: Uint8Array) {
    this.tag = sshKeyTag(publicKey.blob)
    this.secret = ed25519.utils.toMontgomerySecret(seed)
    this.ourPublic = x25519.getPublicKey(this.secret)
    this.tweak = tweakFor(publicKey.blob)
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== "ssh-ed25519") continue
      if (s.args.length !== 3) throw new Error("invalid ssh-ed25519 recipient stanza")
      const share = decodeRawBase64(s.args[2]!)
      if (share === null || share.length !== 32) throw new Error("invalid ssh-ed25519 recipient stanza")
      if (s.args[1] !== this.tag) continue
      let shared: Uint8Array
      try {
        shared = x25519.scalarMult(this.tweak, x25519.scalarMult(this.secret, share))
      } catch {
        throw new Error("invalid ssh-ed25519 ephemeral share")
      }
      const key = hkdfSha256(shared, concatBytes([share, this.ourPublic]), ED25519_LABEL)
      const fileKey = openOnce(key, s.body)
      if (fileKey === null) throw new Error("failed to decrypt the ssh-ed25519 stanza addressed to this key")
      return fileKey
    }
    return null
  }
}

/** Wraps file keys for an SSH RSA public key (at least 2048 bits, as age requires). */
export class SshRsaRecipient implements Recipient {
  private readonly tag: string
  private readonly key: KeyObject

  constructor(publicKey: SshRsaPublicKey) {
    if (publicKey.bits < 2048) throw new SopsError("ERR_INVALID_ARGUMENT", "SSH RSA key is too small (age requires at least 2048 bits)")
    this.tag = sshKeyTag(publicKey.blob)
    this.key = publicKey.key
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const body = publicEncrypt(
      { key: this.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: RSA_LABEL },
      fileKey,
    )
    return [new Stanza(["ssh-rsa", this.tag], new Uint8Array(body.buffer, body.byteOffset, body.byteLength))]
  }
}

/** Unwraps `ssh-rsa` stanzas with an RSA private key. */
export class SshRsaIdentity implements Identity {
  private readonly tag: string

  constructor(publicKey: SshRsaPublicKey, private readonly key: KeyObject) {
    this.tag = sshKeyTag(publicKey.blob)
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== "ssh-rsa") continue
      if (s.args.length !== 2) throw new Error("invalid ssh-rsa recipient stanza")
      if (s.args[1] !== this.tag) continue
      try {
        const out = privateDecrypt(
          { key: this.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: RSA_LABEL },
          s.body,
        )
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
      } catch {
        throw new Error("failed to decrypt the ssh-rsa stanza addressed to this key")
      }
    }
    return null
  }
}

/** The age recipient object for an SSH public key. */
export function sshRecipient(publicKey: SshPublicKey): Recipient {
  return publicKey.type === "ssh-ed25519" ? new SshEd25519Recipient(publicKey) : new SshRsaRecipient(publicKey)
}

/** The age identity object for an SSH private key. */
export function sshIdentity(privateKey: SshPrivateKey): Identity {
  return privateKey.type === "ssh-ed25519"
    ? new SshEd25519Identity(privateKey.publicKey, privateKey.seed)
    : new SshRsaIdentity(privateKey.publicKey, privateKey.key)
}
