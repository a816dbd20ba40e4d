/**
 * The seam between the format engine and the key providers: one {@link KeyService} interface
 * that age, PGP, the cloud KMSs, Vault and the remote keyservice client all implement.
 * @module
 */
import type { MasterKey } from "../metadata/model.js"

/** A wrapped data key together with the (possibly completed) master key it was wrapped for. */
export interface WrappedKey {
  /** The master key as it must be recorded, with `enc` set. */
  readonly key: MasterKey
}

/** Options of every key operation. */
export interface KeyOperationOptions {
  /** Aborts the operation (network calls, subprocesses). */
  readonly signal?: AbortSignal
}

/**
 * Wraps and unwraps data keys for master keys of the types it supports.
 *
 * Contract of {@link KeyService.decrypt} (after typage's `Identity.unwrapFileKey`):
 * - return the unwrapped bytes on success;
 * - return `null`, or throw a {@link KeyUnavailableError}, when this service has no identity
 *   or credential for the key ("not my key": the next key or service is tried);
 * - throw any other error when the key *is* this service's and the operation failed
 *   (corrupt ciphertext, access denied, network error). The next key is still tried, and
 *   the failure is reported if no key succeeds.
 */
export interface KeyService {
  /** A short name for messages, e.g. `"age"`, `"gpg"`, `"keyservice unix:///run/sops.sock"`. */
  readonly name: string
  /** Whether this service can wrap/unwrap keys like `key` (usually: by `key.type`). */
  supports(key: MasterKey): boolean
  /**
   * Wraps `dataKey` (32 bytes, or a 33-byte Shamir share) for `key`.
   * @returns the `enc` string to store in the metadata, or a {@link WrappedKey} when the
   *   service also completed the key's identifying fields (e.g. Azure resolves a missing key
   *   version, which sops records in the file). `key` itself is never modified.
   */
  encrypt(key: MasterKey, dataKey: Uint8Array, options?: KeyOperationOptions): Promise<string | WrappedKey>
  /** Unwraps `key.enc`. See the interface documentation for the null/throw contract. */
  decrypt(key: MasterKey, options?: KeyOperationOptions): Promise<Uint8Array | null>
}
