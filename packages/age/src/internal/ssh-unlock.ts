/**
 * The cryptography of passphrase-protected SSH private keys: OpenSSH's format (bcrypt_pbkdf,
 * then AES-CTR, AES-CBC or AES-GCM) and OpenSSL's legacy encrypted PEM
 * (`Proc-Type: 4,ENCRYPTED`). This module, and `bcrypt-pbkdf` behind it, are imported only
 * when a file has a stanza for such a key and its passphrase was given; it imports nothing of
 * this package, so that bundling it does not split the startup code into more chunks.
 * Parsing the decrypted key is `ssh-keys.ts`'s job.
 *
 * A wrong passphrase is an `ERR_KEY_FAILED` SopsError. No message quotes the passphrase or
 * key material; buffers holding them are zeroed after use (best effort: JavaScript and
 * OpenSSL may keep copies).
 * @module
 */
import { createDecipheriv, createPrivateKey, type CipherGCMTypes, type KeyObject } from "node:crypto"
import { SopsError } from "@sops-ts/core"
import type { OpenSshCipher } from "./ssh-keys.js"

type Bcrypt = (typeof import("bcrypt-pbkdf"))["default"]
let loading: Promise<Bcrypt> | null = null

/** `bcrypt-pbkdf`, imported on first use (its CommonJS exports are the default export). */
function loadBcrypt(): Promise<Bcrypt> {
  loading ??= import("bcrypt-pbkdf").then((m) => m.default)
  return loading
}

/** The error of a wrong passphrase; `reason` says how it showed. */
export function wrongPassphrase(reason: string, cause?: unknown): SopsError {
  return new SopsError("ERR_KEY_FAILED", `wrong passphrase for the SSH private key (${reason})`, cause === undefined ? undefined : { cause })
}

function toU8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/** Decrypts an OpenSSH private section with the derived key and IV. */
function decryptSection(spec: OpenSshCipher, key: Uint8Array, iv: Uint8Array, encrypted: Uint8Array, tag: Uint8Array): Uint8Array {
  if (spec.tagLength > 0) {
    // OpenSSH's AES-GCM: the whole derived IV is the nonce, no associated data, tag after the section.
    const d = createDecipheriv(spec.node as CipherGCMTypes, key, iv, { authTagLength: spec.tagLength })
    d.setAuthTag(tag)
    const head = d.update(encrypted)
    try {
      return toU8(Buffer.concat([head, d.final()]))
    } catch (err) {
      throw wrongPassphrase("the key does not authenticate", err)
    } finally {
      head.fill(0)
    }
  }
  const d = createDecipheriv(spec.node, key, iv)
  // CBC sections are padded by OpenSSH itself (1, 2, 3, …), not with PKCS#7.
  d.setAutoPadding(false)
  const head = d.update(encrypted)
  const out = toU8(Buffer.concat([head, d.final()]))
  head.fill(0)
  return out
}

/**
 * Decrypts the private section of an OpenSSH key: bcrypt_pbkdf(passphrase, salt, rounds)
 * gives the cipher's key and IV.
 * @param passphrase - its bytes (left untouched; the caller wipes them)
 * @returns the decrypted section (the caller checks it and wipes it)
 * @throws SopsError `ERR_KEY_FAILED` for an empty passphrase or, with AES-GCM, a wrong one
 */
export async function decryptOpenSshSection(
  locked: { readonly spec: OpenSshCipher; readonly salt: Uint8Array; readonly rounds: number; readonly encrypted: Uint8Array; readonly tag: Uint8Array },
  passphrase: Uint8Array,
): Promise<Uint8Array> {
  const { spec } = locked
  // bcrypt_pbkdf refuses an empty passphrase, and OpenSSH never encrypts with one.
  if (passphrase.length === 0) throw wrongPassphrase("it is empty")
  const { pbkdf } = await loadBcrypt()
  const derived = new Uint8Array(spec.keyLength + spec.ivLength)
  try {
    if (pbkdf(passphrase, passphrase.length, locked.salt, locked.salt.length, derived, derived.length, locked.rounds) !== 0) {
      throw new SopsError("ERR_INVALID_ARGUMENT", "malformed OpenSSH private key (bcrypt KDF parameters)")
    }
    return decryptSection(spec, derived.subarray(0, spec.keyLength), derived.subarray(spec.keyLength), locked.encrypted, locked.tag)
  } finally {
    derived.fill(0)
  }
}

/**
 * Decrypts a legacy encrypted PEM key with OpenSSL (EVP_BytesToKey with MD5, then the
 * `DEK-Info` cipher).
 * @throws SopsError `ERR_KEY_FAILED` for a wrong passphrase (or a corrupt key: the format
 *   cannot tell them apart)
 */
export function decryptPemKey(pem: string, passphrase: Uint8Array): KeyObject {
  if (passphrase.length === 0) throw wrongPassphrase("it is empty")
  try {
    return createPrivateKey({ key: pem, format: "pem", passphrase: Buffer.from(passphrase.buffer, passphrase.byteOffset, passphrase.byteLength) })
  } catch (err) {
    // A wrong passphrase shows as bad padding or, by chance, as DER that does not parse.
    throw wrongPassphrase("or the key is corrupt", err)
  }
}
