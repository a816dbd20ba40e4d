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
import { createJsonStore } from "./json/index.js"
import type { Store, StoreOptions } from "./store.js"

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
