/**
 * Lazy access to typage (`age-encryption`). Importing it costs tens of milliseconds (it
 * loads ML-KEM, CBOR and WebAuthn code), so it is loaded only for what the `node:crypto`
 * paths do not cover: post-quantum recipients and identities, passphrase-encrypted identity
 * files, and data larger than one STREAM chunk.
 * @module
 */

let loading: Promise<typeof import("age-encryption")> | null = null

/** typage's module, imported on first call and cached. */
export function loadTypage(): Promise<typeof import("age-encryption")> {
  loading ??= import("age-encryption")
  return loading
}
