/**
 * The YAML store: go-yaml v3 semantics for reading (comments, multi-document) and its exact
 * output layout for writing.
 * @module
 */
import { TreeBranch, type TreeBranches } from "../../tree.js"
import { extractYamlMetadata } from "../extract-metadata.js"
import type { Store, StoreOptions } from "../store.js"
import { emitYamlBranches, emitYamlValue } from "./emit.js"
import { loadYamlBranches } from "./load.js"

/** Creates the YAML store. `indent` (from `.sops.yaml` or `--indent`): 0/absent = 4. */
export function createYamlStore(options: StoreOptions = {}): Store {
  const emitOptions = options.indent === undefined ? {} : { indent: options.indent }
  return {
    format: "yaml",
    loadPlain: (input) => loadYamlBranches(input),
    loadEncrypted: (input) => extractYamlMetadata(loadYamlBranches(input)),
    emitPlain: (branches) => emitYamlBranches(branches, emitOptions),
    emitEncrypted(branches: TreeBranches, metadata: TreeBranch): Uint8Array {
      // sops appends the metadata to every document.
      const docs = branches.map((b) => new TreeBranch([...b.items, { key: "sops", value: metadata }]))
      return emitYamlBranches(docs, emitOptions)
    },
    emitValue: (value) => emitYamlValue(value),
    hasSopsTopLevelKey: (branch) => branch.has("sops"),
  }
}
