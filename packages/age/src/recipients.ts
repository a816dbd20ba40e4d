/**
 * Parsing of age recipients as sops accepts them (`age/keysource.go:parseRecipient`).
 * @module
 */
import type { Recipient } from "age-encryption"
import { SopsError } from "@sops-ts/core"
import { bech32Decode } from "./internal/bech32.js"
import { lazySshRecipient } from "./internal/lazy-ssh.js"
import { PluginRecipient, defaultPluginRunOptions } from "./internal/plugin-lazy.js"
import { PluginNameError, pluginNameOfRecipient } from "./internal/plugin-names.js"
import { parseAuthorizedKey } from "./internal/ssh-keys.js"
import { NodeX25519Recipient } from "./internal/x25519-recipient.js"

/** The recipient kinds sops knows. */
export type AgeRecipientKind = "X25519" | "mlkem768x25519" | "plugin" | "ssh-ed25519" | "ssh-rsa"

/** A parsed recipient. */
export interface ParsedAgeRecipient {
  readonly kind: AgeRecipientKind
  /** The recipient as written (trimmed): what is stored in metadata. */
  readonly text: string
  /** What typage's `Encrypter.addRecipient` accepts (post-quantum recipients stay text). */
  readonly recipient: string | Recipient
  /**
   * For a plugin recipient, the plugin's name: wrapping runs `age-plugin-<plugin>` found on
   * `PATH` (with the process environment, no prompts, when used through `recipient`).
   */
  readonly plugin?: string
}

function abbreviate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 40)}…` : s
}

/**
 * Decodes a native recipient with typage's rules (Bech32 with no length limit, the expected
 * prefix, the key length), without loading typage.
 */
function decodeNative(s: string, kind: string, prefix: string, size: number): Uint8Array {
  let decoded
  try {
    decoded = bech32Decode(s)
  } catch (err) {
    throw new SopsError("ERR_INVALID_ARGUMENT", `invalid ${kind} age recipient "${abbreviate(s)}"`, { cause: err })
  }
  if (decoded.prefix !== prefix || decoded.bytes.length !== size) {
    throw new SopsError("ERR_INVALID_ARGUMENT", `invalid ${kind} age recipient "${abbreviate(s)}"`)
  }
  return decoded.bytes
}

/**
 * Parses a recipient, checked in sops' order: `age1pq1…` (post-quantum hybrid), `age1…` with
 * more than one `1` (plugin), `age1…` (X25519), `ssh-…` (authorized_keys syntax: `ssh-ed25519`
 * or `ssh-rsa`, comment allowed). Surrounding whitespace is trimmed.
 *
 * A plugin recipient is checked here (Bech32, and a plugin name of letters, digits and
 * `-_.+`, which becomes the binary name `age-plugin-<name>`); its plugin runs only when a data
 * key is wrapped.
 *
 * @throws SopsError `ERR_INVALID_ARGUMENT` for an invalid recipient
 */
export function parseAgeRecipient(recipient: string): ParsedAgeRecipient {
  const text = recipient.trim()
  if (text.startsWith("age1pq1")) {
    // ML-KEM-768 encapsulation key (1184 bytes) ‖ X25519 key (32 bytes).
    decodeNative(text, "post-quantum", "age1pq", 1216)
    return { kind: "mlkem768x25519", text, recipient: text }
  }
  if (text.startsWith("age1") && text.split("1").length > 2) {
    let plugin: string
    try {
      plugin = pluginNameOfRecipient(text)
    } catch (err) {
      const reason = err instanceof PluginNameError ? err.message : "not valid Bech32"
      throw new SopsError("ERR_INVALID_ARGUMENT", `invalid age plugin recipient "${abbreviate(text)}": ${reason}`, { cause: err })
    }
    // The plugin runs only when a data key is wrapped (see ageKeyService's plugin options).
    return { kind: "plugin", text, recipient: new PluginRecipient(plugin, text, defaultPluginRunOptions()), plugin }
  }
  if (text.startsWith("age1")) {
    const key = decodeNative(text, "X25519", "age", 32)
    // Node's native X25519 instead of typage's WebCrypto path: same stanza, a tenth of the CPU.
    return { kind: "X25519", text, recipient: new NodeX25519Recipient(key) }
  }
  if (text.startsWith("ssh-")) {
    let parsed
    try {
      parsed = parseAuthorizedKey(text)
    } catch (err) {
      const reason = err instanceof SopsError ? err.message : "malformed key"
      throw new SopsError("ERR_INVALID_ARGUMENT", `invalid SSH age recipient "${abbreviate(text)}": ${reason}`, { cause: err })
    }
    let r: Recipient
    try {
      r = lazySshRecipient(parsed.publicKey)
    } catch (err) {
      const reason = err instanceof SopsError ? err.message : "invalid key"
      throw new SopsError("ERR_INVALID_ARGUMENT", `invalid SSH age recipient "${abbreviate(text)}": ${reason}`, { cause: err })
    }
    return { kind: parsed.publicKey.type, text, recipient: r }
  }
  throw new SopsError("ERR_INVALID_ARGUMENT", `unknown age recipient type "${abbreviate(text)}" (expected age1…, age1pq1… or ssh-…)`)
}
