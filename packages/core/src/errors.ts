/**
 * The one error family of sops-ts. Every failure that a caller can act on is a
 * {@link SopsError} with a stable {@link SopsErrorCode}; branch on `code`, not on the message.
 *
 * Messages never contain plaintext values, key material or MACs: they name paths, key
 * identifiers and the *type* of a bad input.
 * @module
 */

/** Stable error codes. Each is documented in `docs/errors.md`. */
export type SopsErrorCode =
  /** The input could not be parsed in the requested format (YAML, JSON, dotenv, INI). */
  | "ERR_FORMAT"
  /** A mapping has the same key twice where the format forbids it. */
  | "ERR_DUPLICATE_KEY"
  /** The file has no `sops` metadata. */
  | "ERR_METADATA_MISSING"
  /** The `sops` metadata is present but malformed. */
  | "ERR_METADATA_INVALID"
  /** The metadata `version` is empty, not a version number, or has a major version above 3. */
  | "ERR_VERSION_UNSUPPORTED"
  /** A value is not a well-formed `ENC[AES256_GCM,...]` string. */
  | "ERR_VALUE_INVALID"
  /** A value failed AES-GCM authentication or could not be converted to its type. */
  | "ERR_DECRYPT_FAILED"
  /** The MAC does not match the values (or could not be decrypted, or is missing). */
  | "ERR_MAC_MISMATCH"
  /** No key group combination could recover the data key. */
  | "ERR_NO_DATA_KEY"
  /** A key service failed on a key it owns (network, denied, corrupt ciphertext...). */
  | "ERR_KEY_FAILED"
  /** A key service has no identity or credential for this key ("not my key"). */
  | "ERR_KEY_UNAVAILABLE"
  /** Wrapping the data key for a master key failed. */
  | "ERR_KEY_WRAP"
  /** Key groups or Shamir parameters are invalid (empty group, threshold too high...). */
  | "ERR_KEY_GROUPS"
  /** The input already has sops metadata and cannot be encrypted again. */
  | "ERR_ALREADY_ENCRYPTED"
  /** The input holds no document to encrypt. */
  | "ERR_NO_DOCUMENT"
  /** The tree holds something the format cannot encrypt or emit (non-string key, nested value in dotenv...). */
  | "ERR_UNSUPPORTED_VALUE"
  /** Encryption options conflict (more than one selection option...). */
  | "ERR_CONFLICTING_OPTIONS"
  /** `.sops.yaml` could not be read, parsed, or no creation rule matched. */
  | "ERR_CONFIG"
  /** A tree path (`["a"][0]`) is malformed. */
  | "ERR_PATH_INVALID"
  /** A tree path does not exist in the document. */
  | "ERR_PATH_NOT_FOUND"
  /** A regular expression is not valid RE2 syntax. */
  | "ERR_REGEX_INVALID"
  /** A decryption order lists a key type twice. */
  | "ERR_DECRYPTION_ORDER"
  /** A file could not be read or written. */
  | "ERR_IO"
  /** An argument passed to the API is invalid. */
  | "ERR_INVALID_ARGUMENT"
  /** The operation was aborted through an AbortSignal or timed out. */
  | "ERR_ABORTED"

/** Options accepted by {@link SopsError}. */
export interface SopsErrorOptions {
  /** The underlying error, kept for `--verbose` output and debugging. */
  readonly cause?: unknown
  /** Structured, secret-free details (paths, key ids, per-key failures). */
  readonly details?: Readonly<Record<string, unknown>>
}

/**
 * The error thrown by every sops-ts package.
 *
 * @example
 * ```ts
 * try { await decryptFile("secrets.enc.yaml", opts) }
 * catch (err) { if (err instanceof SopsError && err.code === "ERR_MAC_MISMATCH") ... }
 * ```
 */
export class SopsError extends Error {
  /** Stable, machine-readable code. */
  readonly code: SopsErrorCode
  /** Structured, secret-free details. */
  readonly details: Readonly<Record<string, unknown>> | undefined

  /**
   * @param code - the stable error code
   * @param message - a human message; must not contain secrets
   * @param options - cause and details
   */
  constructor(code: SopsErrorCode, message: string, options?: SopsErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = "SopsError"
    this.code = code
    this.details = options?.details
  }
}

/**
 * Raised by a key service when the key is not one it can open: no matching identity, no
 * credentials configured. The core treats it like a `null` result from
 * {@link KeyService.decrypt} but keeps the reason for its error report.
 */
export class KeyUnavailableError extends SopsError {
  /** @param message - why this service cannot open the key (no secrets) */
  constructor(message: string, options?: SopsErrorOptions) {
    super("ERR_KEY_UNAVAILABLE", message, options)
    this.name = "KeyUnavailableError"
  }
}

/** True when `err` is a {@link SopsError}, optionally with the given code. */
export function isSopsError(err: unknown, code?: SopsErrorCode): err is SopsError {
  return err instanceof SopsError && (code === undefined || err.code === code)
}
