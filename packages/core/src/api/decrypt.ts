/**
 * Decryption entry points for apps: to bytes, to text, to a plain object.
 * @module
 */
import { SopsError } from "../errors.js"
import { readFileBytes } from "../fs.js"
import { resolveKeyServices } from "../keys/registry.js"
import { payloadViews, restorePayloadText } from "../stores/binary.js"
import { formatForPath, storeFor } from "../stores/index.js"
import type { Format } from "../stores/store.js"
import { TreeBranch, type TreeBranches } from "../tree.js"
import { openDocument, parseEncrypted, type OpenedDocument } from "./document.js"
import { treeToObject, type ToObjectOptions } from "./object.js"
import type { ReadOptions } from "./options.js"
import { getAtPath, type PathComponent } from "./tree-path.js"
import { emitDecryptEvent, timed } from "../events.js"

/** Options of {@link decrypt}. */
export interface DecryptOptions extends ReadOptions {
  /** Output format (default: the input format). */
  readonly outputFormat?: Format
  /** Only this value (sops `--extract`). */
  readonly extract?: readonly PathComponent[]
  /** A name for the event log (files: the path). */
  readonly fileName?: string
}

function toBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === "string" ? new TextEncoder().encode(input) : input
}

function requireFormat(format: Format | undefined): Format {
  if (format === undefined) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "format is required when decrypting data that is not a file path")
  }
  return format
}

/**
 * Parses, unwraps the data key and decrypts, verifying the MAC. The lower-level form of every
 * decrypt call: returns the decrypted tree with its metadata.
 */
export async function openEncrypted(input: Uint8Array | string, options: ReadOptions & { readonly format: Format; readonly fileName?: string }): Promise<OpenedDocument> {
  return openEncryptedBytes(input, options, false)
}

/**
 * {@link openEncrypted}; `owned`: the input bytes belong to this call (read from a file) and
 * may be overwritten, so a large binary payload is decrypted over its own bytes.
 */
async function openEncryptedBytes(
  input: Uint8Array | string,
  options: ReadOptions & { readonly format: Format; readonly fileName?: string },
  owned: boolean,
): Promise<OpenedDocument> {
  const tried: string[] = []
  let used: string | null = null
  const onKeyAttempt: NonNullable<ReadOptions["onKeyAttempt"]> = (attempt) => {
    tried.push(attempt.key)
    if (attempt.ok) used = attempt.key
    options.onKeyAttempt?.(attempt)
  }
  return timed(
    (outcome) => emitDecryptEvent(options.fileName, options.format, { ...outcome, keysTried: tried, keyUsed: used }),
    async () => {
      // Binary payloads stay bytes (never a string copy of the whole file); see payloadViews.
      const doc = parseEncrypted(toBytes(input), options.format, options.indent === undefined ? {} : { indent: options.indent }, { payloadView: true })
      const views = options.format === "binary" ? payloadViews(doc.branches) : null
      const opened = await openDocument(doc, {
        keyServices: resolveKeyServices(options.keyServices),
        ...(options.decryptionOrder ? { decryptionOrder: options.decryptionOrder } : {}),
        ...(options.ignoreMac ? { ignoreMac: true } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(owned ? { inPlace: true } : {}),
        onKeyAttempt,
      })
      if (views !== null) restorePayloadText(opened.branches, views)
      return opened
    },
  )
}

/** Emits decrypted branches (or one extracted value) as sops `decrypt` prints them. */
export function emitDecrypted(branches: TreeBranches, options: { readonly outputFormat: Format; readonly extract?: readonly PathComponent[]; readonly indent?: number }): Uint8Array {
  const store = storeFor(options.outputFormat, options.indent === undefined ? {} : { indent: options.indent })
  if (options.extract && options.extract.length > 0) {
    const v = getAtPath(branches[0] ?? new TreeBranch(), options.extract)
    if (typeof v === "string") return new TextEncoder().encode(v)
    if (v instanceof Uint8Array) return v
    if (v instanceof TreeBranch) {
      // sops emits the mapping as a document (other YAML documents come along).
      return store.emitPlain([v, ...branches.slice(1)])
    }
    return store.emitValue(v)
  }
  return store.emitPlain(branches)
}

/**
 * Decrypts an encrypted document held in memory and returns the plaintext file bytes.
 * @example
 * ```ts
 * const plain = await decrypt(bytes, { format: "yaml", keyServices: [ageKeyService({ identities })] })
 * ```
 */
export async function decrypt(input: Uint8Array | string, options: DecryptOptions): Promise<Uint8Array> {
  return decryptBytes(input, options, false)
}

async function decryptBytes(input: Uint8Array | string, options: DecryptOptions, owned: boolean): Promise<Uint8Array> {
  const format = requireFormat(options.format)
  const opened = await openEncryptedBytes(input, { ...options, format }, owned)
  try {
    return emitDecrypted(opened.branches, {
      outputFormat: options.outputFormat ?? format,
      ...(options.extract ? { extract: options.extract } : {}),
      ...(options.indent === undefined ? {} : { indent: options.indent }),
    })
  } finally {
    opened.dataKey.fill(0)
  }
}

/** Decrypts a file (format from its extension unless given). */
export async function decryptFile(path: string, options: Omit<DecryptOptions, "fileName"> = {}): Promise<Uint8Array> {
  // The bytes are ours alone: a large binary payload may be decrypted over them.
  return decryptBytes(await readFileBytes(path), { ...options, format: options.format ?? formatForPath(path), fileName: path }, true)
}

/** Decrypts to a UTF-8 string. */
export async function decryptToText(input: Uint8Array | string, options: DecryptOptions): Promise<string> {
  return new TextDecoder().decode(await decrypt(input, options))
}

/** Decrypts the first document to a plain JS object (see {@link treeToObject}). */
export async function decryptToObject<T = Record<string, unknown>>(
  input: Uint8Array | string,
  options: ReadOptions & ToObjectOptions & { readonly format: Format; readonly fileName?: string },
): Promise<T> {
  const opened = await openEncrypted(input, options)
  opened.dataKey.fill(0)
  return treeToObject(opened.branches[0] ?? new TreeBranch(), options) as T
}

/** Decrypts a file's first document to a plain JS object. */
export async function decryptFileToObject<T = Record<string, unknown>>(
  path: string,
  options: ReadOptions & ToObjectOptions = {},
): Promise<T> {
  const bytes = await readFileBytes(path)
  return decryptToObject<T>(bytes, { ...options, format: options.format ?? formatForPath(path), fileName: path })
}
