/**
 * Encryption entry points for tools that embed sops: keys are passed in, nothing is read
 * from the environment.
 * @module
 */
import { SopsError } from "../errors.js"
import { generateDataKey, wrapDataKey } from "../keys/data-key.js"
import { resolveKeyServices } from "../keys/registry.js"
import { SOPS_VERSION, type EncryptionOptions, type KeyGroup, type MasterKey, type Metadata } from "../metadata/model.js"
import { checkExclusiveOptions, withDefaultSuffix } from "../selection.js"
import { storeFor } from "../stores/index.js"
import type { Format } from "../stores/store.js"
import { TreeBranch, type TreeBranches } from "../tree.js"
import { emitEncrypted, sealDocument } from "./document.js"
import { objectToTree } from "./object.js"
import type { KeyServiceOptions } from "./options.js"
import { emitSopsEvent, timed } from "../events.js"

/** Options of {@link encrypt}. */
export interface EncryptOptions extends KeyServiceOptions {
  /** Format of the plaintext input. */
  readonly format: Format
  /** Format of the encrypted output (default: the input format). */
  readonly outputFormat?: Format
  /** The master keys, as key groups. Give either this or `keys`. */
  readonly keyGroups?: readonly KeyGroup[]
  /** Shorthand for one key group. */
  readonly keys?: readonly MasterKey[]
  /** With two or more groups: how many are needed (default: all). */
  readonly shamirThreshold?: number
  /** Which values to encrypt (default: all but keys ending in `_unencrypted`). */
  readonly selection?: EncryptionOptions
  /** Clock for `lastmodified` and `created_at` (tests, reproducible output). */
  readonly now?: () => Date
  /** Output indentation. */
  readonly indent?: number
  /** A name for the event log. */
  readonly fileName?: string
}

function groupsOf(options: EncryptOptions): KeyGroup[] {
  if (options.keyGroups && options.keys) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "pass either keyGroups or keys, not both")
  }
  const groups = options.keyGroups ? options.keyGroups.map((g) => [...g]) : options.keys ? [[...options.keys]] : []
  if (groups.length === 0) {
    throw new SopsError("ERR_KEY_GROUPS", "no master keys given: pass keys or keyGroups (e.g. an age recipient)")
  }
  return groups
}

/**
 * Encrypts plaintext branches into an encrypted file. The branches are modified in place.
 * @throws SopsError `ERR_NO_DOCUMENT`, `ERR_ALREADY_ENCRYPTED`, `ERR_KEY_GROUPS`, `ERR_KEY_WRAP`, `ERR_CONFLICTING_OPTIONS`
 */
export async function encryptBranches(branches: TreeBranches, options: EncryptOptions): Promise<Uint8Array> {
  return timed(
    (o) => emitSopsEvent("encrypt", options.fileName, options.format, o),
    async () => {
      const store = storeFor(options.format)
      if (branches.length === 0) {
        throw new SopsError("ERR_NO_DOCUMENT", "the file has no document to encrypt (it is empty)")
      }
      if (store.hasSopsTopLevelKey(branches[0]!)) {
        throw new SopsError("ERR_ALREADY_ENCRYPTED", "the file already has sops metadata: it is already encrypted")
      }
      const selection = options.selection ?? {}
      checkExclusiveOptions(selection)
      // The binary store encrypts its single value whatever the options say; sops writes none.
      const stored: EncryptionOptions = options.format === "binary" ? {} : withDefaultSuffix(selection)
      const dataKey = generateDataKey()
      try {
        const wrapped = await wrapDataKey(groupsOf(options), dataKey, options.shamirThreshold ?? 0, {
          keyServices: resolveKeyServices(options.keyServices),
          ...(options.signal ? { signal: options.signal } : {}),
        })
        const metadata: Metadata = {
          keyGroups: wrapped.keyGroups,
          shamirThreshold: wrapped.shamirThreshold,
          lastModified: "",
          mac: "",
          hasMac: true,
          options: stored,
          version: SOPS_VERSION,
        }
        const sealed = sealDocument(branches, metadata, dataKey, options.now ? { now: options.now } : {})
        return emitEncrypted(sealed, options.outputFormat ?? options.format, options.indent === undefined ? {} : { indent: options.indent })
      } finally {
        dataKey.fill(0)
      }
    },
  )
}

/**
 * Encrypts a plaintext file held in memory.
 * @example
 * ```ts
 * const enc = await encrypt("password: hunter2\n", {
 *   format: "yaml",
 *   keys: [ageKey("age1...")],
 *   keyServices: [ageKeyService()],
 * })
 * ```
 */
export async function encrypt(input: Uint8Array | string, options: EncryptOptions): Promise<Uint8Array> {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input
  let branches: TreeBranches
  try {
    branches = storeFor(options.format).loadPlain(bytes)
  } catch (err) {
    throw err
  }
  return encryptBranches(branches, options)
}

/** Encrypts a plain JS object (one document). */
export async function encryptObject(value: Record<string, unknown>, options: EncryptOptions): Promise<Uint8Array> {
  const tree = objectToTree(value)
  if (!(tree instanceof TreeBranch)) throw new SopsError("ERR_INVALID_ARGUMENT", "encryptObject needs an object")
  return encryptBranches([tree], options)
}
