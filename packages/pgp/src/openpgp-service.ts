/**
 * The in-process PGP key service: openpgp.js with keys the caller passes in. It reads no
 * environment, no GnuPG home and runs no subprocess.
 * @module
 */
import { createMessage, decrypt, decryptKey, encrypt, readMessage, type KeyID, type PrivateKey, type Subkey } from "openpgp"
import { KeyUnavailableError, SopsError } from "@sops-ts/core"
import type { KeyOperationOptions, KeyService, MasterKey, PgpMasterKey } from "@sops-ts/core"
import { armorMessage } from "./armor.js"
import { parseKeySelector } from "./fingerprint.js"
import {
  buildKeyring,
  errorText,
  findEncryptionTarget,
  parseKeyFile,
  parseKeys,
  type KeyMaterial,
  type Keyring,
} from "./keyring.js"

/** A passphrase, or a function that returns the passphrase for a primary key fingerprint. */
export type PassphraseSource = string | ((fingerprint: string) => Promise<string> | string)

/** Options of {@link pgpKeyService}. */
export interface PgpKeyServiceOptions {
  /** Secret keys (armoured text, or armoured/binary bytes). They also serve for encryption. */
  readonly secretKeys?: readonly KeyMaterial[]
  /** Paths of files holding secret keys, read on first use. */
  readonly secretKeyFiles?: readonly string[]
  /** Public keys to encrypt to (armoured text, or armoured/binary bytes). */
  readonly publicKeys?: readonly KeyMaterial[]
  /** Paths of files holding public keys, read on first use. */
  readonly publicKeyFiles?: readonly string[]
  /**
   * Unlocks passphrase-protected secret keys. A function receives the primary key's upper-case
   * fingerprint and is called at most once per key (the unlocked key is kept by the service).
   */
  readonly passphrase?: PassphraseSource
}

/**
 * openpgp.js refuses RSA keys under 2047 bits; gpg and sops' Go code accept 1024-bit keys, and
 * sops' own functional-test key 2 is one. Encrypting to a key the user configured is the
 * user's decision, so accept what gpg accepts.
 */
const OPENPGP_CONFIG = { minRSABits: 1024 }

const KNOWN_OPTIONS = new Set(["secretKeys", "secretKeyFiles", "publicKeys", "publicKeyFiles", "passphrase"])

function asPgpKey(key: MasterKey): PgpMasterKey {
  if (key.type !== "pgp") {
    throw new SopsError("ERR_INVALID_ARGUMENT", `the PGP key service cannot handle ${key.type} keys`)
  }
  return key
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SopsError("ERR_ABORTED", "the PGP operation was aborted", { cause: signal.reason })
}

/** Whether `key` holds real secret material for one of `recipients` (any, when null). */
function hasSecretFor(key: PrivateKey, recipients: readonly KeyID[] | null): boolean {
  const keys: (PrivateKey | Subkey)[] = recipients ? recipients.flatMap((id) => key.getKeys(id)) : key.getKeys()
  return keys.some((k) => !isStub(k))
}

/** gpg exports keep stub ("dummy") packets for secrets held elsewhere (a smartcard, `sec#`). */
function isStub(k: PrivateKey | Subkey): boolean {
  const packet = k.keyPacket
  return !("isDummy" in packet) || packet.isDummy()
}

/**
 * Wraps and unwraps sops data keys with openpgp.js, using only the keys given in `options`.
 *
 * Encryption writes a binary (`b`) literal packet and armours it in sops' layout. Decryption
 * returns the raw literal data whatever the packet's format flag: old Go sops put the data key
 * in a text-mode (`t`) literal packet, and converting its line endings would corrupt the key.
 *
 * @example
 * ```ts
 * const pgp = pgpKeyService({ secretKeyFiles: ["./sops_functional_tests_key.asc"] })
 * const dataKey = await pgp.decrypt({ type: "pgp", fp: "FBC7...", createdAt: "", enc })
 * ```
 * @throws SopsError `ERR_INVALID_ARGUMENT` for unknown option names
 */
export function pgpKeyService(options: PgpKeyServiceOptions = {}): KeyService {
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new SopsError("ERR_INVALID_ARGUMENT", `unknown pgpKeyService option "${name}"`)
  }
  return new OpenPgpKeyService(options)
}

class OpenPgpKeyService implements KeyService {
  readonly name = "pgp (openpgp.js)"
  readonly #options: PgpKeyServiceOptions
  #keyring: Promise<Keyring> | undefined
  /** Unlocked copies of passphrase-protected keys, by primary fingerprint. */
  readonly #unlocked = new Map<string, Promise<PrivateKey>>()

  constructor(options: PgpKeyServiceOptions) {
    this.#options = options
  }

  supports(key: MasterKey): boolean {
    return key.type === "pgp"
  }

  async encrypt(key: MasterKey, dataKey: Uint8Array, options?: KeyOperationOptions): Promise<string> {
    const pgp = asPgpKey(key)
    checkAborted(options?.signal)
    const selector = parseKeySelector(pgp.fp)
    if (!selector) {
      throw new SopsError("ERR_KEY_WRAP", `"${pgp.fp}" is not a PGP fingerprint or long key id`)
    }
    const keyring = await this.#loadKeyring()
    const target = findEncryptionTarget(keyring.public, selector)
    if (!target) throw new KeyUnavailableError(`no public PGP key with fingerprint ${pgp.fp} was given`)
    try {
      // The literal date is 0, as sops' Go encoder writes it; `format: "binary"` sets the 'b' flag.
      const message = await createMessage({ binary: dataKey, format: "binary", date: new Date(0) })
      const encrypted = await encrypt({
        message,
        encryptionKeys: target.key,
        ...(target.subkeyId ? { encryptionKeyIDs: target.subkeyId } : {}),
        format: "binary",
        config: OPENPGP_CONFIG,
      })
      return armorMessage(encrypted)
    } catch (err) {
      throw new SopsError("ERR_KEY_WRAP", `could not encrypt the data key to PGP key ${pgp.fp}: ${errorText(err)}`, {
        cause: err,
      })
    }
  }

  async decrypt(key: MasterKey, options?: KeyOperationOptions): Promise<Uint8Array> {
    const pgp = asPgpKey(key)
    checkAborted(options?.signal)
    const keyring = await this.#loadKeyring()
    let message
    try {
      message = await readMessage({ armoredMessage: pgp.enc.trim() })
    } catch (err) {
      throw new SopsError("ERR_KEY_FAILED", `the data key for PGP key ${pgp.fp} is not a valid PGP message: ${errorText(err)}`, {
        cause: err,
      })
    }
    const recipients = message.getEncryptionKeyIDs()
    const wildcard = recipients.some((id) => /^0+$/.test(id.toHex()))
    // Like gpg, pick secret keys by the message's recipient ids, not by `fp`: `fp` names the key
    // the data key was wrapped for, but any matching secret (sub)key can open it.
    const candidates = keyring.secret.filter((k) => hasSecretFor(k, wildcard ? null : recipients))
    if (candidates.length === 0) {
      const ids = recipients.map((id) => id.toHex().toUpperCase()).join(", ")
      throw new KeyUnavailableError(`no secret PGP key for the data key of ${pgp.fp} (encrypted to ${ids || "nobody"})`)
    }
    // Several secret keys can match (the same key given twice, or one per recipient); one that
    // cannot be unlocked only matters when no other can.
    const decryptionKeys: PrivateKey[] = []
    let unlockError: unknown
    for (const candidate of candidates) {
      checkAborted(options?.signal)
      try {
        decryptionKeys.push(await this.#unlock(candidate))
      } catch (err) {
        unlockError ??= err
      }
    }
    if (decryptionKeys.length === 0) throw unlockError
    checkAborted(options?.signal)
    try {
      const { data } = await decrypt({ message, decryptionKeys, format: "binary", config: OPENPGP_CONFIG })
      return data
    } catch (err) {
      throw new SopsError("ERR_KEY_FAILED", `could not decrypt the data key of PGP key ${pgp.fp}: ${errorText(err)}`, {
        cause: err,
      })
    }
  }

  /** Returns `key` ready for decryption, asking for its passphrase once if it is locked. */
  #unlock(key: PrivateKey): Promise<PrivateKey> {
    const locked = key.getKeys().some((k) => !isStub(k) && !k.isDecrypted())
    if (!locked) return Promise.resolve(key)
    const fingerprint = key.getFingerprint().toUpperCase()
    let pending = this.#unlocked.get(fingerprint)
    if (!pending) {
      pending = this.#unlockWithPassphrase(key, fingerprint)
      // A failed unlock is not cached, so a caller can retry (e.g. after a mistyped passphrase).
      pending.catch(() => this.#unlocked.delete(fingerprint))
      this.#unlocked.set(fingerprint, pending)
    }
    return pending
  }

  async #unlockWithPassphrase(key: PrivateKey, fingerprint: string): Promise<PrivateKey> {
    const source = this.#options.passphrase
    if (source === undefined) {
      throw new SopsError("ERR_KEY_FAILED", `secret PGP key ${fingerprint} is passphrase-protected and no passphrase was configured`)
    }
    let passphrase: string
    try {
      passphrase = typeof source === "string" ? source : await source(fingerprint)
    } catch (err) {
      throw new SopsError("ERR_KEY_FAILED", `no passphrase for secret PGP key ${fingerprint}`, { cause: err })
    }
    try {
      return await decryptKey({ privateKey: key, passphrase })
    } catch (err) {
      // openpgp's message ("Incorrect key passphrase") names no secret; the passphrase is never included.
      throw new SopsError("ERR_KEY_FAILED", `could not unlock secret PGP key ${fingerprint}: ${errorText(err)}`, {
        cause: err,
      })
    }
  }

  #loadKeyring(): Promise<Keyring> {
    if (!this.#keyring) {
      const loading = this.#readKeyring()
      // Do not cache a failure (a key file may appear later).
      loading.catch(() => {
        if (this.#keyring === loading) this.#keyring = undefined
      })
      this.#keyring = loading
    }
    return this.#keyring
  }

  async #readKeyring(): Promise<Keyring> {
    const o = this.#options
    const lists = await Promise.all([
      ...(o.secretKeys ?? []).map((m, i) => parseKeys(m, `secretKeys[${i}]`)),
      ...(o.secretKeyFiles ?? []).map((p) => parseKeyFile(p)),
      ...(o.publicKeys ?? []).map((m, i) => parseKeys(m, `publicKeys[${i}]`)),
      ...(o.publicKeyFiles ?? []).map((p) => parseKeyFile(p)),
    ])
    return buildKeyring(lists.flat())
  }
}
