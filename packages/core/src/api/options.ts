/**
 * Options shared by the library API.
 * @module
 */
import type { KeyService } from "../keys/key-service.js"
import type { KeyAttempt } from "../keys/data-key.js"
import type { Format } from "../stores/store.js"

/** How the API reaches key services. */
export interface KeyServiceOptions {
  /** Key services to use (default: those added with `registerKeyService`). */
  readonly keyServices?: readonly KeyService[]
  /** Key type order within a group, e.g. `["age", "pgp"]` (the default). */
  readonly decryptionOrder?: readonly string[]
  /** Aborts key-service calls. */
  readonly signal?: AbortSignal
  /** Observes every key attempt (for logging; no secrets in it). */
  readonly onKeyAttempt?: (attempt: KeyAttempt & { readonly ok: boolean }) => void
}

/** Options for reading an encrypted document. */
export interface ReadOptions extends KeyServiceOptions {
  /** The encrypted file's format (files: default from the extension). */
  readonly format?: Format
  /** Skip MAC verification. Only for recovery: a tampered file would go unnoticed. */
  readonly ignoreMac?: boolean
  /** Indentation of emitted YAML/JSON (see `.sops.yaml` `stores:`). */
  readonly indent?: number
}
