/**
 * The JSON store (format spec 1.4): a top-level object per file, members in order, metadata as
 * a trailing `sops` member.
 * @module
 */
import { SopsError } from "../../errors.js"
import type { TreeBranch, TreeBranches, TreeValue } from "../../tree.js"
import { extractYamlMetadata, SOPS_METADATA_KEY } from "../extract-metadata.js"
import type { LoadedEncrypted, Store, StoreOptions } from "../store.js"
import { emitJsonDocument, emitJsonValue, jsonIndentString } from "./emit.js"
import { parseJsonObject } from "./parse.js"

export { parseJsonObject } from "./parse.js"
export { emitJsonDocument, emitJsonValue, jsonIndentString } from "./emit.js"

/**
 * The one document sops writes to JSON: `branches[0]` (later YAML documents are dropped).
 * @throws SopsError `ERR_NO_DOCUMENT` when there is none
 */
function firstJsonDocument(branches: TreeBranches): TreeBranch {
  const first = branches[0]
  if (first === undefined) throw new SopsError("ERR_NO_DOCUMENT", "There is no document to write as JSON")
  return first
}

/**
 * Creates the JSON store.
 *
 * @param options - `indent`: absent or -1 = one tab per level, 0 = line breaks only, n = n
 *   spaces; values below -1 make every emit fail with `ERR_INVALID_ARGUMENT`, as in sops
 * @returns a {@link Store} for `format: "json"`
 *
 * @example
 * ```ts
 * const store = createJsonStore({ indent: 2 })
 * const [doc] = store.loadPlain(new TextEncoder().encode('{"a": 1}'))
 * ```
 */
export function createJsonStore(options: StoreOptions = {}): Store {
  const indentSetting = options.indent
  // Resolved per emit so that a bad setting fails the emit (as in sops), not the load.
  const indent = (): string => jsonIndentString(indentSetting)
  return {
    format: "json",
    loadPlain(input: Uint8Array): TreeBranches {
      return [parseJsonObject(input)]
    },
    loadEncrypted(input: Uint8Array): LoadedEncrypted {
      return extractYamlMetadata([parseJsonObject(input)])
    },
    emitPlain(branches: TreeBranches): Uint8Array {
      return emitJsonDocument(firstJsonDocument(branches), indent())
    },
    emitEncrypted(branches: TreeBranches, metadata: TreeBranch): Uint8Array {
      return emitJsonDocument(firstJsonDocument(branches), indent(), { key: SOPS_METADATA_KEY, value: metadata })
    },
    emitValue(value: TreeValue): Uint8Array {
      return emitJsonValue(value, indent())
    },
    hasSopsTopLevelKey(branch: TreeBranch): boolean {
      return branch.has(SOPS_METADATA_KEY)
    },
  }
}
