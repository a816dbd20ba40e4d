/**
 * The binary store (format spec 1.5): any file is one `data` value; its encrypted form is a
 * JSON file written by the JSON store code.
 *
 * The payload is kept as the caller's bytes from load to emit: never decoded (it need not be
 * UTF-8, trap 7) and never copied, so large files cost no more memory than necessary.
 * @module
 */
import { SopsError } from "../errors.js"
import { TreeBranch, type TreeBranches, type TreeValue } from "../tree.js"
import { extractYamlMetadata } from "./extract-metadata.js"
import { createJsonStore } from "./json/index.js"
import { parseJsonObject } from "./json/parse.js"
import type { LoadedEncrypted, Store, StoreOptions } from "./store.js"

/** The single key of a binary store tree. */
const DATA_KEY = "data"

const HINT = "This is likely not an encrypted binary file? If not, use --output-type to select the correct output type."

const encoder = new TextEncoder()

function emitPlainError(reason: string): SopsError {
  return new SopsError("ERR_UNSUPPORTED_VALUE", `error emitting binary store: ${reason}. ${HINT}`)
}

/**
 * Creates the binary store.
 *
 * @param options - `indent` of the encrypted JSON envelope (`stores.json_binary` in
 *   `.sops.yaml`), with the JSON store's meaning
 * @returns a {@link Store} for `format: "binary"`
 *
 * @example
 * ```ts
 * const store = createBinaryStore()
 * const [doc] = store.loadPlain(fileBytes) // one item: data = fileBytes (same array)
 * ```
 */
export function createBinaryStore(options: StoreOptions = {}): Store {
  const json = createJsonStore(options)
  return {
    format: "binary",
    /** One branch `{data: input}`; `input` is used as is, not copied. */
    loadPlain(input: Uint8Array): TreeBranches {
      return [new TreeBranch([{ key: DATA_KEY, value: input }])]
    },
    loadEncrypted: json.loadEncrypted,
    /** The bytes of the first `data` item, verbatim (the same array when it holds bytes). */
    emitPlain(branches: TreeBranches): Uint8Array {
      if (branches.length !== 1) throw emitPlainError("there must be exactly one tree branch")
      for (const item of branches[0]!.items) {
        if (item.key !== DATA_KEY) continue
        const v = item.value
        if (v instanceof Uint8Array) return v
        if (typeof v === "string") return encoder.encode(v)
        throw emitPlainError("'data' key in tree does not have a string value")
      }
      throw emitPlainError("no binary data found in tree")
    },
    emitEncrypted: json.emitEncrypted,
    emitValue(_value: TreeValue): Uint8Array {
      throw new SopsError(
        "ERR_UNSUPPORTED_VALUE",
        "Binary files are not structured and extracting a single value is not possible",
      )
    },
    hasSopsTopLevelKey: json.hasSopsTopLevelKey,
  }
}

/**
 * The binary store's `loadEncrypted` for the decrypt path: the same result, except that the
 * `data` value (when plain ASCII, as sops writes it) is a `Uint8Array` view of `input` holding
 * the `ENC[...]` text, not a string. The cipher then decodes and decrypts it from the bytes,
 * so a large file never exists as a string as well; the caller must turn a view that was not
 * decrypted back into a string (see `decrypt`).
 *
 * @param input - the encrypted file; it must stay unchanged while the tree is in use
 */
export function loadEncryptedPayloadView(input: Uint8Array): LoadedEncrypted {
  return extractYamlMetadata([parseJsonObject(input, { rawTopLevelString: DATA_KEY })])
}

/** The payload views of a tree loaded by {@link loadEncryptedPayloadView} (a Go file may repeat `data`). */
export function payloadViews(branches: TreeBranches): Set<Uint8Array> {
  const views = new Set<Uint8Array>()
  for (const item of branches[0]?.items ?? []) {
    if (item.key === DATA_KEY && item.value instanceof Uint8Array) views.add(item.value)
  }
  return views
}

/**
 * Undoes {@link loadEncryptedPayloadView} for payloads that were not decrypted (e.g. excluded
 * by `unencrypted_regex`): a `data` item still holding one of `views` gets its text back as a
 * string, so callers see the tree the JSON store would have produced.
 */
export function restorePayloadText(branches: TreeBranches, views: Set<Uint8Array>): void {
  if (views.size === 0) return
  for (const item of branches[0]?.items ?? []) {
    const v = item.value
    if (v instanceof Uint8Array && views.has(v)) item.value = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("latin1")
  }
}
