/**
 * sops' `ExtractMetadata` for formats whose metadata is a nested `sops` mapping (YAML, JSON).
 * @module
 */
import { SopsError } from "../errors.js"
import { TreeBranch, type TreeBranches } from "../tree.js"

/** The top-level key that holds sops metadata. */
export const SOPS_METADATA_KEY = "sops"

/**
 * Removes the `sops` entries from every document and returns the first one of document 0 as
 * the metadata. `sops` entries in later documents are dropped silently, as sops does (it
 * writes the same metadata into every document).
 *
 * The input array and its first-level branches are not modified; new branches are returned.
 * @throws SopsError `ERR_METADATA_INVALID` when the entry is not a mapping or appears twice in
 *   document 0, `ERR_METADATA_MISSING` when document 0 has none
 */
export function extractYamlMetadata(branches: TreeBranches): { branches: TreeBranches; metadata: TreeBranch } {
  let metadata: TreeBranch | null = null
  const out: TreeBranches = branches.map((branch, index) => {
    const kept = branch.items.filter((item) => {
      if (item.key !== SOPS_METADATA_KEY) return true
      if (index === 0) {
        if (metadata !== null) {
          throw new SopsError("ERR_METADATA_INVALID", `Found duplicate ${SOPS_METADATA_KEY} entry`)
        }
        if (!(item.value instanceof TreeBranch)) {
          throw new SopsError("ERR_METADATA_INVALID", `Found ${SOPS_METADATA_KEY} entry that is not a mapping`)
        }
        metadata = item.value
      }
      return false
    })
    return new TreeBranch(kept)
  })
  if (metadata === null) throw new SopsError("ERR_METADATA_MISSING", "sops metadata not found")
  return { branches: out, metadata }
}
