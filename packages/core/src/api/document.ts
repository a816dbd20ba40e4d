/**
 * The document pipeline shared by every API call and the CLI: parse an encrypted file,
 * recover its data key, decrypt and verify the MAC; and the reverse.
 * @module
 */
import { constantTimeEqual, utf8 } from "../bytes.js"
import { ValueCipher } from "../cipher.js"
import { SopsError } from "../errors.js"
import { DEFAULT_DECRYPTION_ORDER, recoverDataKey, type KeyAttempt } from "../keys/data-key.js"
import type { KeyService } from "../keys/key-service.js"
import { metadataFromBranch, metadataToBranch } from "../metadata/codec.js"
import type { Metadata } from "../metadata/model.js"
import { compileSelection } from "../selection.js"
import { loadEncryptedPayloadView } from "../stores/binary.js"
import { storeFor } from "../stores/index.js"
import type { Format, StoreOptions } from "../stores/store.js"
import { canonicalRFC3339, formatRFC3339Utc } from "../time.js"
import { decryptTree, encryptTree, type WalkReport } from "../tree-crypto.js"
import type { TreeBranches } from "../tree.js"
import { checkSupportedVersion } from "./version.js"

/** A parsed encrypted file: values still `ENC[...]`. */
export interface EncryptedDocument {
  branches: TreeBranches
  metadata: Metadata
}

/** A decrypted file, with what is needed to write it back. */
export interface OpenedDocument {
  /** The plaintext values (the tree was decrypted in place). */
  branches: TreeBranches
  metadata: Metadata
  /** The recovered data key. Wipe it when done (best effort). */
  dataKey: Uint8Array
  /** The cipher used, which remembers IVs when `reuseIvs` was set. */
  cipher: ValueCipher
  /** Comments that looked encrypted but were kept in clear (legacy files). */
  report: WalkReport
}

/** Options of {@link parseEncrypted} that change how values are held, not what they are. */
export interface ParseEncryptedOptions {
  /**
   * Binary store: keep the encrypted payload as a `Uint8Array` view of `input` (the bytes of
   * its `ENC[...]` text) so a large file is never copied into a string. The caller must turn
   * the view back into a string if it is not decrypted (see `restorePayloadText`).
   */
  readonly payloadView?: boolean
}

/** Parses an encrypted file with the given store. */
export function parseEncrypted(
  input: Uint8Array,
  format: Format,
  storeOptions: StoreOptions = {},
  options: ParseEncryptedOptions = {},
): EncryptedDocument {
  const loaded =
    format === "binary" && options.payloadView === true
      ? loadEncryptedPayloadView(input)
      : storeFor(format, storeOptions).loadEncrypted(input)
  return { branches: loaded.branches, metadata: metadataFromBranch(loaded.metadata) }
}

/** Emits an encrypted document with the given store. */
export function emitEncrypted(doc: EncryptedDocument, format: Format, storeOptions: StoreOptions = {}): Uint8Array {
  return storeFor(format, storeOptions).emitEncrypted(doc.branches, metadataToBranch(doc.metadata))
}

/** Options for {@link openDocument}. */
export interface OpenOptions {
  /** Key services to unwrap the data key with. */
  readonly keyServices: readonly KeyService[]
  /** Key type order within a group (default `age,pgp`). */
  readonly decryptionOrder?: readonly string[]
  /** Skip MAC verification (the CLI's `--ignore-mac`). Value authentication still applies. */
  readonly ignoreMac?: boolean
  /** Remember IVs so unchanged values re-encrypt to identical text (edit, set, unset). */
  readonly reuseIvs?: boolean
  /** Use this data key instead of asking the key services (e.g. cached by a bulk job). */
  readonly dataKey?: Uint8Array
  /** Aborts the key-service calls. */
  readonly signal?: AbortSignal
  /** Observes each key attempt. */
  readonly onKeyAttempt?: (attempt: KeyAttempt & { readonly ok: boolean }) => void
  /**
   * The caller owns the bytes the document was parsed from and will not read them again:
   * byte-string values may be decrypted over themselves (saves a copy of a large payload).
   */
  readonly inPlace?: boolean
}

/**
 * Recovers the data key, decrypts every value in place and verifies the MAC.
 * @throws SopsError `ERR_NO_DATA_KEY`, `ERR_DECRYPT_FAILED`, `ERR_MAC_MISMATCH`, `ERR_VERSION_UNSUPPORTED`
 */
export async function openDocument(doc: EncryptedDocument, options: OpenOptions): Promise<OpenedDocument> {
  checkSupportedVersion(doc.metadata.version)
  const dataKey =
    options.dataKey ??
    (await recoverDataKey(doc.metadata.keyGroups, doc.metadata.shamirThreshold, {
      keyServices: options.keyServices,
      decryptionOrder: options.decryptionOrder ?? DEFAULT_DECRYPTION_ORDER,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onKeyAttempt ? { onAttempt: options.onKeyAttempt } : {}),
    }))
  try {
    const cipher = new ValueCipher(dataKey, { reuseIvs: options.reuseIvs === true })
    const selection = compileSelection(doc.metadata.options)
    const { mac, report } = decryptTree(doc.branches, cipher, selection, { inPlace: options.inPlace === true })
    if (!options.ignoreMac) verifyMac(doc.metadata, cipher, mac)
    return { branches: doc.branches, metadata: doc.metadata, dataKey, cipher, report }
  } catch (err) {
    // The caller never sees a key it did not pass in when opening fails: wipe it (best effort).
    if (options.dataKey === undefined) dataKey.fill(0)
    throw err
  }
}

function verifyMac(metadata: Metadata, cipher: ValueCipher, computed: string): void {
  if (!metadata.hasMac || metadata.mac === "") {
    throw new SopsError(
      "ERR_MAC_MISMATCH",
      "the file has no MAC, so its integrity cannot be verified; if you trust it, decrypt with --ignore-mac",
    )
  }
  const aad = canonicalRFC3339(metadata.lastModified)
  if (aad === null) throw new SopsError("ERR_METADATA_INVALID", "invalid sops metadata: lastmodified is not an RFC 3339 time")
  let stored: unknown
  try {
    stored = cipher.decrypt(metadata.mac, aad, "the MAC")
  } catch (cause) {
    throw new SopsError(
      "ERR_MAC_MISMATCH",
      "the MAC cannot be decrypted: the file's lastmodified or MAC was changed, or the MAC belongs to another data key",
      { cause },
    )
  }
  const ok = typeof stored === "string" && constantTimeEqual(utf8(stored), utf8(computed))
  if (!ok) {
    throw new SopsError(
      "ERR_MAC_MISMATCH",
      "MAC mismatch: the file's values do not match its MAC; it was modified without sops (values edited, reordered or removed). If you trust the file, decrypt with --ignore-mac",
    )
  }
}

/** Options for {@link sealDocument}. */
export interface SealOptions {
  /** The cipher to encrypt with (pass the one from {@link openDocument} to keep IVs). */
  readonly cipher?: ValueCipher
  /** The clock for `lastmodified`. */
  readonly now?: () => Date
}

/**
 * Encrypts plaintext branches in place with `dataKey`, computes the MAC and sets
 * `lastmodified` and `mac` on the metadata (whose key groups must already be wrapped).
 */
export function sealDocument(
  branches: TreeBranches,
  metadata: Metadata,
  dataKey: Uint8Array,
  options: SealOptions = {},
): EncryptedDocument {
  const cipher = options.cipher ?? new ValueCipher(dataKey)
  const mac = encryptTree(branches, cipher, compileSelection(metadata.options))
  const lastModified = formatRFC3339Utc((options.now ?? (() => new Date()))())
  const sealed: Metadata = { ...metadata, lastModified, mac: cipher.encrypt(mac, lastModified), hasMac: true }
  return { branches, metadata: sealed }
}
