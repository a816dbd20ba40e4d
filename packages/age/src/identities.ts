/**
 * age identities: parsing identity text (key files, `SOPS_AGE_KEY`, SSH private keys),
 * generation, and identity → recipient conversion.
 * @module
 */
import { randomBytes } from "node:crypto"
import type { Identity } from "age-encryption"
import { SopsError } from "@sops-ts/core"
import { encodeStdBase64 } from "./internal/base64.js"
import { Bech32Error, bech32Decode, bech32Encode } from "./internal/bech32.js"
import { decodeArmor } from "./internal/format.js"
import { lazySshIdentity } from "./internal/lazy-ssh.js"
import { LockedSshIdentity, type SshPassphraseCallback } from "./internal/locked-ssh-identity.js"
import { PluginNameError, pluginNameOfIdentity } from "./internal/plugin-names.js"
import {
  inspectSshPrivateKey,
  parseSshPrivateKey,
  type InspectedSshPrivateKey,
  type LockedSshPrivateKey,
  type SshPublicKey,
} from "./internal/ssh-keys.js"
import { loadTypage } from "./internal/typage.js"
import { x25519IdentityScalar, x25519PrivateKey, x25519PublicBytes } from "./internal/x25519-identity.js"

/** The kinds of identity this package can use. */
export type AgeIdentityKind = "X25519" | "mlkem768x25519" | "plugin" | "ssh-ed25519" | "ssh-rsa" | "custom"

/**
 * A parsed identity and where it came from. `identity` is what typage's
 * `Decrypter.addIdentity` accepts, except for `plugin` identities: their text
 * (`AGE-PLUGIN-<NAME>-1…`) is used by {@link ageKeyService}, which runs the plugin. Treat the
 * object as secret.
 */
export interface AgeIdentity {
  readonly kind: AgeIdentityKind
  /** Where the identity was read from, for messages (an env var name or a path). */
  readonly source: string
  readonly identity: string | Identity
  /** For a `plugin` identity, the plugin's name (`yubikey` for `AGE-PLUGIN-YUBIKEY-1…`). */
  readonly plugin?: string
}

/** Options of {@link parseAgeIdentities}. */
export interface ParseAgeIdentitiesOptions {
  /**
   * Split every line on whitespace and accept several identities per line, as sops does
   * for `SOPS_AGE_KEY`. Default: true. Key files and command output use one per line.
   */
  readonly multiplePerLine?: boolean
  /**
   * Accepts a passphrase-protected SSH private key in OpenSSH format (whose public half is
   * stored in the clear): the identity asks this callback for the passphrase when a file has
   * a stanza for the key. Without it such a key is refused. A passphrase-protected PEM key
   * is refused either way: its public half is only in the `.pub` file next to it, which
   * discovery reads.
   */
  readonly onSshPassphrase?: SshPassphraseCallback
}

/** Whether `text` is a passphrase-encrypted age file (binary or armored), as sops checks it. */
export function isEncryptedIdentityFile(text: string): boolean {
  return text.startsWith("age-encryption") || text.startsWith("-----BEGIN AGE")
}

const SSH_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/

/** Validates a native identity as typage would (Bech32, prefix, 32 bytes), without loading it. */
function checkNativeIdentity(s: string, kind: "X25519" | "mlkem768x25519"): void {
  if (kind === "X25519") {
    x25519IdentityScalar(s)
    return
  }
  const { prefix, bytes } = bech32Decode(s)
  if (prefix !== "age-secret-key-pq-") throw new Error("not a post-quantum age identity")
  if (bytes.length !== 32) throw new Error("wrong length")
}

/**
 * The plugin name of an `AGE-PLUGIN-…` identity.
 * @throws SopsError `ERR_INVALID_ARGUMENT` naming `where`, never the identity
 */
function pluginIdentityName(s: string, where: string): string {
  try {
    return pluginNameOfIdentity(s)
  } catch (err) {
    const reason = err instanceof PluginNameError ? "invalid plugin name or prefix" : bech32Reason(err)
    throw new SopsError("ERR_INVALID_ARGUMENT", `${where}: malformed age plugin identity (${reason})`)
  }
}

/**
 * A secret-free reason for a Bech32 decoding failure. Identity text is a private key (with a
 * typo), so neither a decoder's message nor the error itself travels on as a `cause`.
 */
function bech32Reason(err: unknown): string {
  if (err instanceof Bech32Error) {
    if (err.reason === "bad checksum") return "bad checksum"
    if (err.reason === "invalid character" || err.reason === "mixed case") return "invalid character"
    return "not valid Bech32"
  }
  const m = err instanceof Error ? err.message : ""
  if (/length/i.test(m)) return "wrong length"
  return "not valid Bech32"
}

/**
 * Parses identity text: one `AGE-SECRET-KEY-1…` (X25519), `AGE-SECRET-KEY-PQ-1…`
 * (post-quantum hybrid) or `AGE-PLUGIN-<NAME>-1…` (plugin) identity per line, with empty
 * lines and `#` comments skipped; or a single SSH private key (OpenSSH or PEM, Ed25519 or
 * RSA; passphrase-protected only in OpenSSH format and with `onSshPassphrase`). Plugin
 * identities are checked (Bech32, plugin name) but their plugin is not run here.
 *
 * @param text - the identity text
 * @param source - where it came from (named in error messages; the content never is)
 * @throws SopsError `ERR_INVALID_ARGUMENT` naming the source and line of a malformed identity,
 *   or when the text is a passphrase-encrypted identity file (see {@link ageKeyService}'s
 *   `passphrase` option) or a passphrase-protected SSH key that cannot be used (see
 *   {@link ParseAgeIdentitiesOptions.onSshPassphrase})
 */
export function parseAgeIdentities(text: string, source: string, options?: ParseAgeIdentitiesOptions): AgeIdentity[] {
  if (isEncryptedIdentityFile(text)) {
    throw new SopsError(
      "ERR_INVALID_ARGUMENT",
      `${source} holds a passphrase-encrypted age identity file; supply a passphrase callback to unlock it`,
    )
  }
  if (SSH_PRIVATE_KEY.test(text)) {
    const inspected = inspectSshKeyText(text, source)
    if (!inspected.locked) return [{ kind: inspected.key.type, source, identity: lazySshIdentity(inspected.key) }]
    const ask = options?.onSshPassphrase
    if (ask === undefined) {
      throw new SopsError(
        "ERR_INVALID_ARGUMENT",
        `${source}: the SSH private key is passphrase-protected; supply an onSshPassphrase callback to unlock it`,
      )
    }
    if (inspected.key.format === "pem") {
      throw new SopsError(
        "ERR_INVALID_ARGUMENT",
        `${source}: a passphrase-protected PEM private key cannot be used without its public key; ` +
          "convert it to the OpenSSH format (`ssh-keygen -p -f <key>`) or let discovery read it with its .pub file",
      )
    }
    return [lockedSshIdentity(inspected.key, inspected.key.publicKey, source, null, ask)]
  }
  const multiple = options?.multiplePerLine ?? true
  const identities: AgeIdentity[] = []
  const lines = text.split("\n")
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim()
    if (line === "" || line.startsWith("#")) continue
    for (const word of multiple ? line.split(/\s+/) : [line]) {
      const where = `${source}, line ${n + 1}`
      if (word.startsWith("AGE-PLUGIN-")) {
        identities.push({ kind: "plugin", source, identity: word, plugin: pluginIdentityName(word, where) })
        continue
      }
      const kind: AgeIdentityKind | null = word.startsWith("AGE-SECRET-KEY-PQ-1")
        ? "mlkem768x25519"
        : word.startsWith("AGE-SECRET-KEY-1")
          ? "X25519"
          : null
      if (kind === null) {
        throw new SopsError("ERR_INVALID_ARGUMENT", `${where}: not an age identity (expected AGE-SECRET-KEY-1…)`)
      }
      try {
        checkNativeIdentity(word, kind)
      } catch (err) {
        throw new SopsError("ERR_INVALID_ARGUMENT", `${where}: malformed ${kind} age identity (${bech32Reason(err)})`)
      }
      identities.push({ kind, source, identity: word })
    }
  }
  return identities
}

/**
 * Reads SSH private key text: the key, or the passphrase-protected key still locked.
 * @throws SopsError `ERR_INVALID_ARGUMENT` naming `source` (never the content)
 * @internal
 */
export function inspectSshKeyText(text: string, source: string): InspectedSshPrivateKey {
  try {
    return inspectSshPrivateKey(text)
  } catch (err) {
    const reason = err instanceof SopsError ? err.message : "malformed key"
    throw new SopsError("ERR_INVALID_ARGUMENT", `${source}: invalid SSH identity: ${reason}`, { cause: err })
  }
}

/**
 * The identity of a passphrase-protected SSH key: `ask` is called for the passphrase only
 * when a file has a stanza for `publicKey`.
 * @internal
 */
export function lockedSshIdentity(
  locked: LockedSshPrivateKey,
  publicKey: SshPublicKey,
  source: string,
  path: string | null,
  ask: SshPassphraseCallback | undefined,
): AgeIdentity {
  return { kind: publicKey.type, source, identity: new LockedSshIdentity(locked, publicKey, source, path, ask) }
}

/**
 * Decrypts a passphrase-encrypted identity file (binary or armored age file with a single
 * scrypt stanza) and returns its text.
 * @throws SopsError `ERR_KEY_FAILED` for a wrong passphrase or a corrupt file
 */
export async function decryptIdentityFile(contents: string, source: string, passphrase: string): Promise<string> {
  let bytes: Uint8Array
  try {
    bytes = contents.startsWith("-----BEGIN AGE") ? decodeArmor(contents) : new TextEncoder().encode(contents)
  } catch (err) {
    throw new SopsError("ERR_KEY_FAILED", `${source}: malformed encrypted age identity file`, { cause: err })
  }
  try {
    // scrypt stays with typage: this runs once per identity file, never on the decrypt path.
    const { Decrypter } = await loadTypage()
    const d = new Decrypter()
    d.addPassphrase(passphrase)
    return await d.decrypt(bytes, "text")
  } catch (err) {
    throw new SopsError("ERR_KEY_FAILED", `${source}: could not decrypt the encrypted age identity file (wrong passphrase?)`, {
      cause: err,
    })
  }
}

/**
 * Generates a new X25519 age identity.
 * @returns the identity (`AGE-SECRET-KEY-1…`, secret) and its recipient (`age1…`)
 */
export async function generateAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  const scalar = new Uint8Array(randomBytes(32))
  const identity = bech32Encode("AGE-SECRET-KEY-", scalar).toUpperCase()
  const recipient = bech32Encode("age", x25519PublicBytes(x25519PrivateKey(scalar)))
  scalar.fill(0)
  return { identity, recipient }
}

/**
 * The recipient of an identity: `age1…` for `AGE-SECRET-KEY-1…`, `age1pq1…` for
 * `AGE-SECRET-KEY-PQ-1…`, or the `ssh-ed25519 AAAA…` / `ssh-rsa AAAA…` public key of an
 * unencrypted SSH private key.
 * @throws SopsError `ERR_INVALID_ARGUMENT` when `identity` is not a valid identity, or is a
 *   plugin identity (`AGE-PLUGIN-…`), whose recipient only its plugin knows
 */
export async function ageRecipientOf(identity: string): Promise<string> {
  const s = identity.trim()
  if (SSH_PRIVATE_KEY.test(s)) {
    try {
      const key = parseSshPrivateKey(s)
      return `${key.type} ${encodeStdBase64(key.publicKey.blob)}`
    } catch (err) {
      const reason = err instanceof SopsError ? err.message : "malformed key"
      throw new SopsError("ERR_INVALID_ARGUMENT", `invalid SSH identity: ${reason}`, { cause: err })
    }
  }
  if (s.startsWith("AGE-PLUGIN-")) {
    // There is no protocol command for it; plugins print the recipient when they make a key.
    throw new SopsError("ERR_INVALID_ARGUMENT", "the recipient of an age plugin identity is known only to its plugin")
  }
  if (!s.startsWith("AGE-SECRET-KEY-")) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "not an age identity (expected AGE-SECRET-KEY-1… or an SSH private key)")
  }
  const kind = s.startsWith("AGE-SECRET-KEY-PQ-1") ? "mlkem768x25519" : "X25519"
  let scalar: Uint8Array | null = null
  try {
    if (kind === "X25519") scalar = x25519IdentityScalar(s)
    else checkNativeIdentity(s, kind)
  } catch (err) {
    throw new SopsError("ERR_INVALID_ARGUMENT", `malformed age identity (${bech32Reason(err)})`)
  }
  if (scalar === null) {
    // Deriving the ML-KEM public key needs typage's post-quantum code.
    const { identityToRecipient } = await loadTypage()
    return await identityToRecipient(s)
  }
  return bech32Encode("age", x25519PublicBytes(x25519PrivateKey(scalar)))
}
