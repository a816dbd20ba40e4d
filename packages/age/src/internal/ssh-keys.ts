/**
 * SSH key parsing for age's `ssh-ed25519` and `ssh-rsa` recipient types: authorized_keys
 * lines, public key blobs, unencrypted OpenSSH private keys (`openssh-key-v1`) and PEM
 * (PKCS#1 / PKCS#8) private keys.
 *
 * Errors are {@link SopsError}s with `ERR_INVALID_ARGUMENT` and never quote key material.
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto"
import { SopsError } from "@sops-ts/core"
import { decodeBase64Url, decodeStdBase64, encodeBase64Url } from "./base64.js"
import { WireFormatError, WireReader, WireWriter } from "./ssh-wire.js"

/** An SSH Ed25519 public key. */
export interface SshEd25519PublicKey {
  readonly type: "ssh-ed25519"
  /** The SSH wire-format public key blob (what age hashes for the tag). */
  readonly blob: Uint8Array
  /** The raw 32-byte Ed25519 public key. */
  readonly key: Uint8Array
}

/** An SSH RSA public key. */
export interface SshRsaPublicKey {
  readonly type: "ssh-rsa"
  readonly blob: Uint8Array
  readonly key: KeyObject
  /** Modulus size in bits. */
  readonly bits: number
}

/** A public key usable as an age SSH recipient. */
export type SshPublicKey = SshEd25519PublicKey | SshRsaPublicKey

/** A private key usable as an age SSH identity. */
export type SshPrivateKey =
  | { readonly type: "ssh-ed25519"; readonly publicKey: SshEd25519PublicKey; readonly seed: Uint8Array }
  | { readonly type: "ssh-rsa"; readonly publicKey: SshRsaPublicKey; readonly key: KeyObject }

function invalid(message: string, cause?: unknown): SopsError {
  return new SopsError("ERR_INVALID_ARGUMENT", message, cause === undefined ? undefined : { cause })
}

const ascii = new TextDecoder("latin1")

function rsaPublicFromJwkParts(n: Uint8Array, e: Uint8Array): SshRsaPublicKey {
  const blob = new WireWriter().string("ssh-rsa").mpint(e).mpint(n).bytes()
  let key: KeyObject
  try {
    key = createPublicKey({ key: { kty: "RSA", n: encodeBase64Url(n), e: encodeBase64Url(e) }, format: "jwk" })
  } catch (err) {
    throw invalid("invalid SSH RSA public key", err)
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? n.length * 8
  return { type: "ssh-rsa", blob, key, bits }
}

/** Parses an SSH wire-format public key blob (`ssh-ed25519` or `ssh-rsa`). */
export function parseSshPublicKeyBlob(blob: Uint8Array): SshPublicKey {
  try {
    const r = new WireReader(blob)
    const type = ascii.decode(r.string())
    if (type === "ssh-ed25519") {
      const key = r.string()
      if (key.length !== 32 || r.remaining !== 0) throw invalid("invalid SSH Ed25519 public key")
      return { type, blob, key }
    }
    if (type === "ssh-rsa") {
      const e = r.mpint()
      const n = r.mpint()
      if (r.remaining !== 0 || n.length === 0 || e.length === 0) throw invalid("invalid SSH RSA public key")
      const pub = rsaPublicFromJwkParts(n, e)
      // Keep the caller's exact bytes: age hashes the blob as found in the key.
      return { ...pub, blob }
    }
    throw invalid(`unsupported SSH key type "${type.slice(0, 40)}" (age supports ssh-ed25519 and ssh-rsa)`)
  } catch (err) {
    if (err instanceof WireFormatError) throw invalid("malformed SSH public key", err)
    throw err
  }
}

/**
 * Parses one authorized_keys line: `[options] type base64 [comment]`.
 * @returns the key and its comment ("" when none)
 */
export function parseAuthorizedKey(line: string): { publicKey: SshPublicKey; comment: string } {
  const fields = line.trim().split(/\s+/)
  // Skip an options field (e.g. `no-pty,command="x"`): the key type is the first field
  // that names a known type.
  const at = fields.findIndex((f) => f === "ssh-ed25519" || f === "ssh-rsa")
  if (at < 0 || at + 1 >= fields.length) throw invalid("malformed SSH public key: expected \"ssh-ed25519 AAAA...\" or \"ssh-rsa AAAA...\"")
  const blob = decodeStdBase64(fields[at + 1]!)
  if (blob === null) throw invalid("malformed SSH public key: invalid base64")
  const publicKey = parseSshPublicKeyBlob(blob)
  if (publicKey.type !== fields[at]) throw invalid("malformed SSH public key: key type does not match its data")
  return { publicKey, comment: fields.slice(at + 2).join(" ") }
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/

function bigFrom(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt("0x" + Buffer.from(bytes).toString("hex"))
}

function bytesFrom(n: bigint): Uint8Array {
  let hex = n.toString(16)
  if (hex.length % 2 === 1) hex = "0" + hex
  return new Uint8Array(Buffer.from(hex, "hex"))
}

function parseOpenSshPrivateKey(data: Uint8Array): SshPrivateKey {
  const magic = "openssh-key-v1\0"
  if (data.length < magic.length || ascii.decode(data.subarray(0, magic.length)) !== magic) {
    throw invalid("malformed OpenSSH private key")
  }
  const r = new WireReader(data.subarray(magic.length))
  const cipher = ascii.decode(r.string())
  const kdf = ascii.decode(r.string())
  r.string() // kdf options
  if (cipher !== "none" || kdf !== "none") {
    throw new SopsError(
      "ERR_INVALID_ARGUMENT",
      "passphrase-protected SSH private keys are not supported; provide an unencrypted key (e.g. through SOPS_AGE_SSH_PRIVATE_KEY_CMD)",
    )
  }
  if (r.uint32() !== 1) throw invalid("OpenSSH private key files with more than one key are not supported")
  const publicBlob = r.string()
  const priv = new WireReader(r.string())
  if (priv.uint32() !== priv.uint32()) throw invalid("malformed OpenSSH private key (check bytes differ)")
  const type = ascii.decode(priv.string())
  const publicKey = parseSshPublicKeyBlob(publicBlob)
  if (publicKey.type !== type) throw invalid("malformed OpenSSH private key (key type mismatch)")
  if (publicKey.type === "ssh-ed25519") {
    const pub = priv.string()
    const secret = priv.string()
    if (pub.length !== 32 || secret.length !== 64) throw invalid("malformed OpenSSH Ed25519 private key")
    if (!Buffer.from(secret.subarray(32)).equals(pub) || !Buffer.from(pub).equals(publicKey.key)) {
      throw invalid("malformed OpenSSH Ed25519 private key (public key mismatch)")
    }
    return { type: "ssh-ed25519", publicKey, seed: secret.slice(0, 32) }
  }
  const n = priv.mpint()
  const e = priv.mpint()
  const d = priv.mpint()
  const iqmp = priv.mpint()
  const p = priv.mpint()
  const q = priv.mpint()
  const dBig = bigFrom(d)
  const jwk = {
    kty: "RSA",
    n: encodeBase64Url(n),
    e: encodeBase64Url(e),
    d: encodeBase64Url(d),
    p: encodeBase64Url(p),
    q: encodeBase64Url(q),
    dp: encodeBase64Url(bytesFrom(dBig % (bigFrom(p) - 1n))),
    dq: encodeBase64Url(bytesFrom(dBig % (bigFrom(q) - 1n))),
    qi: encodeBase64Url(iqmp),
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: jwk, format: "jwk" })
  } catch (err) {
    throw invalid("malformed OpenSSH RSA private key", err)
  }
  return { type: "ssh-rsa", publicKey, key }
}

function fromKeyObject(key: KeyObject): SshPrivateKey {
  const jwk = key.export({ format: "jwk" })
  if (key.asymmetricKeyType === "ed25519" && typeof jwk.d === "string" && typeof jwk.x === "string") {
    const pub = decodeBase64Url(jwk.x)
    const blob = new WireWriter().string("ssh-ed25519").string(pub).bytes()
    return { type: "ssh-ed25519", publicKey: { type: "ssh-ed25519", blob, key: pub }, seed: decodeBase64Url(jwk.d) }
  }
  if (key.asymmetricKeyType === "rsa" && typeof jwk.n === "string" && typeof jwk.e === "string") {
    return { type: "ssh-rsa", publicKey: rsaPublicFromJwkParts(decodeBase64Url(jwk.n), decodeBase64Url(jwk.e)), key }
  }
  throw invalid(`unsupported SSH identity type "${key.asymmetricKeyType ?? "unknown"}" (age supports ssh-ed25519 and ssh-rsa)`)
}

/**
 * Parses an unencrypted SSH private key: OpenSSH format (`BEGIN OPENSSH PRIVATE KEY`),
 * PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`).
 * @throws SopsError `ERR_INVALID_ARGUMENT` for malformed, encrypted or unsupported keys
 */
export function parseSshPrivateKey(text: string): SshPrivateKey {
  const m = PEM_RE.exec(text)
  if (m === null) throw invalid("not a PEM or OpenSSH private key")
  const label = m[1]!
  if (label === "OPENSSH PRIVATE KEY") {
    const data = decodeStdBase64(m[2]!.replace(/\s+/g, ""))
    if (data === null) throw invalid("malformed OpenSSH private key (invalid base64)")
    try {
      return parseOpenSshPrivateKey(data)
    } catch (err) {
      if (err instanceof WireFormatError) throw invalid("malformed OpenSSH private key", err)
      throw err
    }
  }
  if (label === "ENCRYPTED PRIVATE KEY" || /^Proc-Type:\s*4,ENCRYPTED/m.test(m[2]!)) {
    throw invalid("passphrase-protected SSH private keys are not supported; provide an unencrypted key")
  }
  if (label !== "RSA PRIVATE KEY" && label !== "PRIVATE KEY") {
    throw invalid(`unsupported private key type "${label}" (age supports ssh-ed25519 and ssh-rsa)`)
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: m[0], format: "pem" })
  } catch (err) {
    throw invalid(`malformed ${label}`, err)
  }
  return fromKeyObject(key)
}
