/**
 * SSH key parsing for age's `ssh-ed25519` and `ssh-rsa` recipient types: authorized_keys
 * lines, public key blobs, OpenSSH private keys (`openssh-key-v1`) and PEM (PKCS#1 / PKCS#8)
 * private keys. Passphrase-protected keys are parsed as far as possible without the
 * passphrase ({@link inspectSshPrivateKey}); unlocking them is `ssh-unlock.ts`, loaded only
 * when a file needs the key.
 *
 * Errors are {@link SopsError}s with `ERR_INVALID_ARGUMENT` and never quote key material.
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto"
import { SopsError } from "@sops-ts/core"
import { decodeBase64Url, decodeStdBase64, encodeBase64Url, encodeStdBase64 } from "./base64.js"
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

/** How an OpenSSH private key cipher maps onto `node:crypto`. */
export interface OpenSshCipher {
  /** The `node:crypto` cipher name. */
  readonly node: string
  readonly keyLength: number
  readonly ivLength: number
  /** The AEAD tag length (0 for CTR and CBC). */
  readonly tagLength: number
}

/**
 * The ciphers OpenSSH encrypts private keys with that we can undo with `node:crypto`, by
 * OpenSSH name (`cipher.c`): the key and IV are bcrypt_pbkdf output, in that order; an AEAD
 * cipher's tag follows the encrypted section. `chacha20-poly1305@openssh.com` and `3des-cbc`
 * are left out.
 */
export const OPENSSH_CIPHERS: Readonly<Record<string, OpenSshCipher>> = {
  "aes128-ctr": { node: "aes-128-ctr", keyLength: 16, ivLength: 16, tagLength: 0 },
  "aes192-ctr": { node: "aes-192-ctr", keyLength: 24, ivLength: 16, tagLength: 0 },
  "aes256-ctr": { node: "aes-256-ctr", keyLength: 32, ivLength: 16, tagLength: 0 },
  "aes128-cbc": { node: "aes-128-cbc", keyLength: 16, ivLength: 16, tagLength: 0 },
  "aes192-cbc": { node: "aes-192-cbc", keyLength: 24, ivLength: 16, tagLength: 0 },
  "aes256-cbc": { node: "aes-256-cbc", keyLength: 32, ivLength: 16, tagLength: 0 },
  "aes128-gcm@openssh.com": { node: "aes-128-gcm", keyLength: 16, ivLength: 12, tagLength: 16 },
  "aes256-gcm@openssh.com": { node: "aes-256-gcm", keyLength: 32, ivLength: 12, tagLength: 16 },
}

/**
 * The most bcrypt_pbkdf rounds accepted, as in golang.org/x/crypto/ssh (sops): the cost is
 * linear in the rounds (OpenSSH's default is 16), and the count comes from the file.
 */
export const MAX_BCRYPT_ROUNDS = 2048

/** The legacy PEM encryptions (`DEK-Info`) we unlock: OpenSSL's, keyed with EVP_BytesToKey (MD5). */
const PEM_CIPHERS = new Set(["AES-128-CBC", "AES-192-CBC", "AES-256-CBC"])

/**
 * A passphrase-protected SSH private key, as far as it can be read without the passphrase.
 * Treat it as secret (it is the encrypted key).
 */
export type LockedSshPrivateKey =
  | {
      readonly format: "openssh"
      /** The public key stored unencrypted in the file. */
      readonly publicKey: SshPublicKey
      /** Its cipher (from {@link OPENSSH_CIPHERS}). */
      readonly spec: OpenSshCipher
      readonly salt: Uint8Array
      readonly rounds: number
      /** The encrypted private section. */
      readonly encrypted: Uint8Array
      /** The AEAD tag after it (empty for CTR and CBC). */
      readonly tag: Uint8Array
    }
  | {
      readonly format: "pem"
      /** The whole PEM block (`Proc-Type: 4,ENCRYPTED`, PKCS#1 RSA). */
      readonly pem: string
    }

/** What {@link inspectSshPrivateKey} found. */
export type InspectedSshPrivateKey =
  | { readonly locked: false; readonly key: SshPrivateKey }
  | { readonly locked: true; readonly key: LockedSshPrivateKey }

interface OpenSshContainer {
  readonly cipher: string
  readonly kdf: string
  readonly kdfOptions: Uint8Array
  readonly publicBlob: Uint8Array
  readonly privateSection: Uint8Array
  /** Bytes after the private section (an AEAD cipher's tag). */
  readonly trailer: Uint8Array
}

/** Splits an `openssh-key-v1` file (PROTOCOL.key) into its fields. */
function parseOpenSshContainer(data: Uint8Array): OpenSshContainer {
  const magic = "openssh-key-v1\0"
  if (data.length < magic.length || ascii.decode(data.subarray(0, magic.length)) !== magic) {
    throw invalid("malformed OpenSSH private key")
  }
  const r = new WireReader(data.subarray(magic.length))
  const cipher = ascii.decode(r.string())
  const kdf = ascii.decode(r.string())
  const kdfOptions = r.string()
  if (r.uint32() !== 1) throw invalid("OpenSSH private key files with more than one key are not supported")
  const publicBlob = r.string()
  const privateSection = r.string()
  return { cipher, kdf, kdfOptions, publicBlob, privateSection, trailer: r.raw(r.remaining) }
}

/**
 * Parses the (decrypted) private section of an OpenSSH key: check bytes, key type, key.
 * @param mismatch - the error for differing check bytes: a malformed file, or, for a
 *   decrypted section, a wrong passphrase
 */
export function parseOpenSshPrivateSection(section: Uint8Array, publicKey: SshPublicKey, mismatch: () => SopsError): SshPrivateKey {
  const priv = new WireReader(section)
  if (priv.uint32() !== priv.uint32()) throw mismatch()
  const type = ascii.decode(priv.string())
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

/** The salt and rounds of OpenSSH's `bcrypt` KDF, checked before any passphrase is asked for. */
function bcryptOptions(kdfOptions: Uint8Array): { salt: Uint8Array; rounds: number } {
  const r = new WireReader(kdfOptions)
  const salt = r.string()
  const rounds = r.uint32()
  if (r.remaining !== 0 || salt.length === 0 || rounds < 1) throw invalid("malformed OpenSSH private key (bcrypt KDF options)")
  if (rounds > MAX_BCRYPT_ROUNDS) {
    throw invalid(`OpenSSH private key uses ${rounds} bcrypt KDF rounds, more than the ${MAX_BCRYPT_ROUNDS} accepted`)
  }
  return { salt, rounds }
}

/** Reads an OpenSSH key file: the key itself, or what can be read of an encrypted one. */
function inspectOpenSshPrivateKey(data: Uint8Array): InspectedSshPrivateKey {
  const c = parseOpenSshContainer(data)
  const publicKey = parseSshPublicKeyBlob(c.publicBlob)
  if (c.cipher === "none" && c.kdf === "none") {
    const key = parseOpenSshPrivateSection(c.privateSection, publicKey, () => invalid("malformed OpenSSH private key (check bytes differ)"))
    return { locked: false, key }
  }
  if (c.kdf !== "bcrypt") throw invalid(`OpenSSH private key uses the unsupported KDF "${c.kdf.slice(0, 40)}" (expected bcrypt)`)
  // hasOwn: the name comes from the file and must not reach Object.prototype.
  const spec = Object.hasOwn(OPENSSH_CIPHERS, c.cipher) ? OPENSSH_CIPHERS[c.cipher] : undefined
  if (spec === undefined) {
    throw invalid(
      `OpenSSH private key is encrypted with the unsupported cipher "${c.cipher.slice(0, 40)}"; ` +
        "re-encrypt it with `ssh-keygen -p -Z aes256-ctr -f <key>`",
    )
  }
  const { salt, rounds } = bcryptOptions(c.kdfOptions)
  if (c.trailer.length < spec.tagLength) throw invalid("malformed OpenSSH private key (truncated authentication tag)")
  if (spec.node.endsWith("-cbc") && c.privateSection.length % 16 !== 0) {
    throw invalid("malformed OpenSSH private key (encrypted section is not a whole number of blocks)")
  }
  return {
    locked: true,
    key: {
      format: "openssh",
      publicKey,
      spec,
      salt,
      rounds,
      encrypted: c.privateSection,
      tag: c.trailer.subarray(0, spec.tagLength),
    },
  }
}

/** The SSH private key of a `node:crypto` key (Ed25519 or RSA). */
export function fromKeyObject(key: KeyObject): SshPrivateKey {
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
 * Reads an SSH private key: OpenSSH format (`BEGIN OPENSSH PRIVATE KEY`), PKCS#1
 * (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`). A passphrase-protected OpenSSH
 * key or legacy-encrypted PKCS#1 key (`Proc-Type: 4,ENCRYPTED`) is returned locked, with
 * its cipher and KDF parameters checked, so that an unusable key fails before any
 * passphrase is asked for.
 * @throws SopsError `ERR_INVALID_ARGUMENT` for malformed or unsupported keys (including
 *   encrypted PKCS#8, which sops does not read either)
 */
export function inspectSshPrivateKey(text: string): InspectedSshPrivateKey {
  const m = PEM_RE.exec(text)
  if (m === null) throw invalid("not a PEM or OpenSSH private key")
  const label = m[1]!
  if (label === "OPENSSH PRIVATE KEY") {
    const data = decodeStdBase64(m[2]!.replace(/\s+/g, ""))
    if (data === null) throw invalid("malformed OpenSSH private key (invalid base64)")
    try {
      return inspectOpenSshPrivateKey(data)
    } catch (err) {
      if (err instanceof WireFormatError) throw invalid("malformed OpenSSH private key", err)
      throw err
    }
  }
  if (label === "ENCRYPTED PRIVATE KEY") {
    throw invalid("encrypted PKCS#8 private keys are not supported (nor by sops); convert the key with `ssh-keygen -p -f <key>`")
  }
  if (/^Proc-Type:\s*4,ENCRYPTED/m.test(m[2]!)) {
    if (label !== "RSA PRIVATE KEY") {
      throw invalid(`unsupported private key type "${label}" (age supports ssh-ed25519 and ssh-rsa)`)
    }
    const dek = /^DEK-Info:\s*([A-Z0-9-]+),/m.exec(m[2]!)
    if (dek === null || !PEM_CIPHERS.has(dek[1]!)) {
      const name = dek === null ? "none" : dek[1]!.slice(0, 40)
      throw invalid(`encrypted PEM private key uses an unsupported encryption (DEK-Info ${name}; AES-128/192/256-CBC are supported)`)
    }
    return { locked: true, key: { format: "pem", pem: m[0] } }
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
  return { locked: false, key: fromKeyObject(key) }
}

/**
 * Parses an unencrypted SSH private key (see {@link inspectSshPrivateKey} for the formats).
 * @throws SopsError `ERR_INVALID_ARGUMENT` for malformed, unsupported or
 *   passphrase-protected keys
 */
export function parseSshPrivateKey(text: string): SshPrivateKey {
  const inspected = inspectSshPrivateKey(text)
  if (inspected.locked) throw invalid("the SSH private key is passphrase-protected")
  return inspected.key
}

/** The authorized_keys form of a public key (`ssh-ed25519 AAAA…`), without a comment. */
export function formatSshPublicKey(publicKey: SshPublicKey): string {
  return `${publicKey.type} ${encodeStdBase64(publicKey.blob)}`
}

/** Whether two SSH public keys are the same key (RSA compared as keys, not as encodings). */
export function sameSshPublicKey(a: SshPublicKey, b: SshPublicKey): boolean {
  if (a.type === "ssh-ed25519") return b.type === "ssh-ed25519" && Buffer.from(a.key).equals(b.key)
  return b.type === "ssh-rsa" && a.key.equals(b.key)
}

/**
 * Decrypts a passphrase-protected SSH private key (the cryptography is in `ssh-unlock.ts`,
 * imported here on first use).
 * @param passphrase - its bytes (left untouched; the caller wipes them)
 * @throws SopsError `ERR_KEY_FAILED` for a wrong passphrase; `ERR_INVALID_ARGUMENT` when the
 *   decrypted key is malformed
 */
export async function unlockSshPrivateKey(locked: LockedSshPrivateKey, passphrase: Uint8Array): Promise<SshPrivateKey> {
  const unlock = await import("./ssh-unlock.js")
  if (locked.format === "pem") return fromKeyObject(unlock.decryptPemKey(locked.pem, passphrase))
  const section = await unlock.decryptOpenSshSection(locked, passphrase)
  try {
    // Random bytes pass the check with probability 2^-32: this is the passphrase check.
    return parseOpenSshPrivateSection(section, locked.publicKey, () => unlock.wrongPassphrase("the decrypted check bytes do not match"))
  } catch (err) {
    if (err instanceof WireFormatError) throw invalid("malformed OpenSSH private key (decrypted section)", err)
    throw err
  } finally {
    section.fill(0)
  }
}
