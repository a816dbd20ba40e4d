/**
 * The age identity of a passphrase-protected SSH private key (filippo.io/age/agessh
 * `EncryptedSSHIdentity`, which sops 3.10+ builds for encrypted SSH keys): stanzas are
 * matched against the key's public half, and only when one is addressed to it is the
 * passphrase asked for and the private key decrypted (`ssh-unlock.ts`, loaded then). The
 * unlocked identity is kept, so the passphrase is asked for at most once per identity object.
 * @module
 */
import { createHash, createPublicKey } from "node:crypto"
import type { Identity } from "age-encryption"
import { SopsError } from "@sops-ts/core"
import { encodeRawBase64 } from "./base64.js"
import type { Stanza } from "./format.js"
import { lazySshIdentity } from "./lazy-ssh.js"
import { formatSshPublicKey, unlockSshPrivateKey, type LockedSshPrivateKey, type SshPrivateKey, type SshPublicKey } from "./ssh-keys.js"

/** What {@link SshPassphraseCallback} is asked. */
export interface SshPassphraseRequest {
  /**
   * The path of the private key file (as given in `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, or
   * `~/.ssh/id_…`), or null for a key passed in as text.
   */
  readonly path: string | null
  /** The key's public half, `ssh-ed25519 AAAA…` or `ssh-rsa AAAA…` (no comment). */
  readonly publicKey: string
}

/**
 * Supplies the passphrase of a passphrase-protected SSH private key. Called only when a file
 * has a stanza for that key, and at most once per key and key service (a wrong passphrase
 * lets a later decryption ask again). Return null when there is no passphrase (the user
 * cancelled, no terminal): the key then counts as "not my key", so other identities and key
 * services are tried, and the failure message names it.
 */
export type SshPassphraseCallback = (
  request: SshPassphraseRequest,
) => string | Uint8Array | null | Promise<string | Uint8Array | null>

/** SHA-256(blob)[0:4], the stanza tag agessh uses (`ssh-stanzas.ts` computes it with noble). */
function keyTag(blob: Uint8Array): string {
  return encodeRawBase64(createHash("sha256").update(blob).digest().subarray(0, 4))
}

/** Whether the decrypted key is the one the stanzas were matched against. */
function samePublicHalf(key: SshPrivateKey, expected: SshPublicKey): boolean {
  if (key.type === "ssh-ed25519") {
    // The stored public half, checked against the secret's second half when parsed (as agessh).
    return expected.type === "ssh-ed25519" && Buffer.from(key.publicKey.key).equals(expected.key)
  }
  return expected.type === "ssh-rsa" && createPublicKey(key.key).equals(expected.key)
}

/** Keys the unlocked private key with the public blob the stanzas were matched against. */
function withPublicKey(key: SshPrivateKey, publicKey: SshPublicKey): SshPrivateKey {
  if (key.type === "ssh-ed25519" && publicKey.type === "ssh-ed25519") return { ...key, publicKey }
  if (key.type === "ssh-rsa" && publicKey.type === "ssh-rsa") return { ...key, publicKey }
  return key
}

function passphraseBytes(answer: unknown, source: string): Uint8Array | null {
  if (answer === null || answer === undefined) return null
  if (typeof answer === "string") return new TextEncoder().encode(answer)
  // A copy, so that wiping it after use leaves the caller's buffer alone.
  if (answer instanceof Uint8Array) return Uint8Array.from(answer)
  throw new SopsError("ERR_INVALID_ARGUMENT", `${source}: the SSH passphrase callback must return a string, a Uint8Array or null`)
}

/** The identity of one passphrase-protected SSH private key. Treat it as secret. */
export class LockedSshIdentity implements Identity {
  private readonly tag: string
  private unlocking: Promise<Identity | null> | null = null
  /** Whether the key was addressed but no passphrase was given (cached: not asked again). */
  private declined = false

  /**
   * @param locked - the encrypted key
   * @param publicKey - its public half (from the OpenSSH file, or the `.pub` next to a PEM key)
   * @param source - where it came from, for messages
   * @param path - its file, handed to `ask`; null for key text passed in
   * @param ask - the passphrase callback; without one the key always declines
   */
  constructor(
    private readonly locked: LockedSshPrivateKey,
    readonly publicKey: SshPublicKey,
    readonly source: string,
    private readonly path: string | null,
    private readonly ask: SshPassphraseCallback | undefined,
  ) {
    this.tag = keyTag(publicKey.blob)
  }

  /**
   * Whether a stanza is addressed to this key (its type and tag), the check agessh makes
   * before asking for a passphrase.
   * @throws Error for a stanza of this key's type without a tag, as the unlocked identity would
   */
  matches(stanzas: readonly Stanza[]): boolean {
    const type = this.publicKey.type
    for (const s of stanzas) {
      if (s.args[0] !== type) continue
      if (s.args.length < 2) throw new Error(`invalid ${type} recipient stanza`)
      if (s.args[1] === this.tag) return true
    }
    return false
  }

  /** Why this key did not open `stanzas` although it is addressed by them, or null. */
  noteFor(stanzas: readonly Stanza[]): string | null {
    if (!this.declined) return null
    let addressed: boolean
    try {
      addressed = this.matches(stanzas)
    } catch {
      return null
    }
    if (!addressed) return null
    return this.ask === undefined
      ? `${this.source} is a passphrase-protected SSH key addressed by this file, but no passphrase callback (onSshPassphrase) is configured`
      : `${this.source} is a passphrase-protected SSH key addressed by this file, but no passphrase was given`
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    if (!this.matches(stanzas)) return null
    this.unlocking ??= this.unlock()
    const pending = this.unlocking
    let inner: Identity | null
    try {
      inner = await pending
    } catch (err) {
      // A wrong passphrase is not kept: a later decryption may ask again.
      if (this.unlocking === pending) this.unlocking = null
      throw err
    }
    return inner === null ? null : await inner.unwrapFileKey(stanzas)
  }

  private async unlock(): Promise<Identity | null> {
    if (this.ask === undefined) {
      this.declined = true
      return null
    }
    let answer: unknown
    try {
      answer = await this.ask({ path: this.path, publicKey: formatSshPublicKey(this.publicKey) })
    } catch (err) {
      const reason = err instanceof Error ? `: ${err.message}` : ""
      throw new SopsError("ERR_KEY_FAILED", `${this.source}: could not obtain the passphrase of the SSH key${reason}`, { cause: err })
    }
    const passphrase = passphraseBytes(answer, this.source)
    if (passphrase === null) {
      this.declined = true
      return null
    }
    try {
      const key = await unlockSshPrivateKey(this.locked, passphrase)
      if (!samePublicHalf(key, this.publicKey)) {
        throw new SopsError("ERR_KEY_FAILED", "the decrypted SSH private key does not match its public key")
      }
      return lazySshIdentity(withPublicKey(key, this.publicKey))
    } catch (err) {
      if (err instanceof SopsError) throw new SopsError(err.code, `${this.source}: ${err.message}`, { cause: err })
      throw err
    } finally {
      passphrase.fill(0)
    }
  }
}
