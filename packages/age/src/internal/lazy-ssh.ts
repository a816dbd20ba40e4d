/**
 * SSH recipients and identities whose stanza code (`ssh-stanzas.ts`, which loads a curve
 * library) is imported on first use, so that importing this package stays cheap. The checks
 * a parser must make up front (a valid Ed25519 point, an RSA key of at least 2048 bits) are
 * done here, without that library.
 * @module
 */
import type { Identity, Recipient } from "age-encryption"
import { SopsError } from "@sops-ts/core"
import { isEd25519Point } from "./ed25519-point.js"
import type { Stanza } from "./format.js"
import type { SshPrivateKey, SshPublicKey } from "./ssh-keys.js"

type StanzaModule = typeof import("./ssh-stanzas.js")
let loading: Promise<StanzaModule> | null = null

function stanzaModule(): Promise<StanzaModule> {
  loading ??= import("./ssh-stanzas.js")
  return loading
}

/**
 * The age recipient object for an SSH public key.
 * @throws SopsError `ERR_INVALID_ARGUMENT` for an Ed25519 key that is not a curve point or
 *   an RSA key below 2048 bits
 */
export function lazySshRecipient(publicKey: SshPublicKey): Recipient {
  if (publicKey.type === "ssh-ed25519" && !isEd25519Point(publicKey.key)) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "invalid SSH Ed25519 public key (not a curve point)")
  }
  if (publicKey.type === "ssh-rsa" && publicKey.bits < 2048) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "SSH RSA key is too small (age requires at least 2048 bits)")
  }
  let inner: Recipient | null = null
  return {
    async wrapFileKey(fileKey: Uint8Array) {
      inner ??= (await stanzaModule()).sshRecipient(publicKey)
      return await inner.wrapFileKey(fileKey)
    },
  }
}

/** The age identity object for an SSH private key; files without SSH stanzas never load the stanza code. */
export function lazySshIdentity(privateKey: SshPrivateKey): Identity {
  let inner: Identity | null = null
  return {
    async unwrapFileKey(stanzas: Stanza[]) {
      if (!stanzas.some((s) => s.args[0] === "ssh-ed25519" || s.args[0] === "ssh-rsa")) return null
      inner ??= (await stanzaModule()).sshIdentity(privateKey)
      return await inner.unwrapFileKey(stanzas)
    },
  }
}
