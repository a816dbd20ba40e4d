/**
 * Loading caller-supplied OpenPGP keys (armoured or binary, inline or from files) and finding
 * the key a sops `fp` names.
 * @module
 */
import { readFile } from "node:fs/promises"
import { readKeys, type KeyID, type Key, type PrivateKey, type PublicKey, type Subkey } from "openpgp"
import { SopsError } from "@sops-ts/core"
import type { KeySelector } from "./fingerprint.js"

/** A key given inline: armoured text, or armoured/binary bytes. */
export type KeyMaterial = string | Uint8Array

/** One armoured key block; files such as sops' test key hold several blocks back to back. */
const KEY_BLOCK = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g

function looksArmored(bytes: Uint8Array): boolean {
  // Armour starts with "-----BEGIN" after optional whitespace; binary keys start with a packet tag (high bit set).
  for (const b of bytes) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue
    return b === 0x2d
  }
  return false
}

/**
 * Parses every key in `material`. Armoured input may contain several key blocks.
 * @param label - names the input in error messages (e.g. `secretKeys[1]` or a file path)
 * @throws SopsError `ERR_INVALID_ARGUMENT` when the input holds no readable key
 */
export async function parseKeys(material: KeyMaterial, label: string): Promise<Key[]> {
  try {
    if (typeof material !== "string" && !looksArmored(material)) {
      return await readKeys({ binaryKeys: material })
    }
    const text = typeof material === "string" ? material : new TextDecoder().decode(material)
    const blocks = text.match(KEY_BLOCK)
    if (!blocks) throw new Error("no armored key block found")
    const keys: Key[] = []
    for (const block of blocks) keys.push(...(await readKeys({ armoredKeys: block })))
    return keys
  } catch (err) {
    throw new SopsError("ERR_INVALID_ARGUMENT", `${label} is not a readable OpenPGP key: ${errorText(err)}`, {
      cause: err,
    })
  }
}

/**
 * Reads and parses a key file.
 * @throws SopsError `ERR_IO` when the file cannot be read, `ERR_INVALID_ARGUMENT` when it holds no key
 */
export async function parseKeyFile(path: string): Promise<Key[]> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    throw new SopsError("ERR_IO", `cannot read OpenPGP key file ${path}: ${errorText(err)}`, { cause: err })
  }
  return parseKeys(bytes, path)
}

/** The keys a service works with: secret keys for decryption, public keys for encryption. */
export interface Keyring {
  readonly secret: readonly PrivateKey[]
  readonly public: readonly PublicKey[]
}

/** Builds a {@link Keyring}; secret keys also serve as public keys. */
export function buildKeyring(keys: readonly Key[]): Keyring {
  const secret: PrivateKey[] = []
  const pub: PublicKey[] = []
  for (const key of keys) {
    if (key.isPrivate()) {
      secret.push(key)
      pub.push(key.toPublic())
    } else {
      pub.push(key)
    }
  }
  return { secret, public: pub }
}

/** The key to encrypt to and, for an exact (`!`) subkey selector, the subkey id to use. */
export interface EncryptionTarget {
  readonly key: PublicKey
  readonly subkeyId?: KeyID
}

/**
 * Finds the key `selector` names, the way gpg resolves `-r`: the primary fingerprint first (the
 * only match sops' pure-Go path makes), then a subkey fingerprint, then a primary or subkey long
 * key id.
 */
export function findEncryptionTarget(keys: readonly PublicKey[], selector: KeySelector): EncryptionTarget | null {
  const byFingerprint = selector.hex.length !== 16
  const id = (k: PublicKey | Subkey): string => (byFingerprint ? k.getFingerprint() : k.getKeyID().toHex()).toUpperCase()
  for (const key of keys) {
    if (id(key) === selector.hex) return { key }
  }
  for (const key of keys) {
    for (const sub of key.getSubkeys()) {
      if (id(sub) === selector.hex) return selector.exact ? { key, subkeyId: sub.getKeyID() } : { key }
    }
  }
  return null
}

/** An error's message, for wrapping library errors (openpgp and fs messages carry no secrets). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
