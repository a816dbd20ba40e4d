/**
 * The store interface: one implementation per file format, mirroring sops' `Store`.
 * Stores know nothing about key types: they hand the raw `sops` section to the core as a
 * {@link TreeBranch} and write back whatever branch the core gives them.
 * @module
 */
import type { TreeBranch, TreeBranches, TreeValue } from "../tree.js"

/** The formats sops supports. */
export type Format = "yaml" | "json" | "dotenv" | "ini" | "binary"

/** All formats, for validation of `--input-type`/`--output-type`. */
export const FORMATS: readonly Format[] = ["yaml", "json", "dotenv", "ini", "binary"]

/** What a store returns for an encrypted file. */
export interface LoadedEncrypted {
  /** The data, with the `sops` entries removed. */
  readonly branches: TreeBranches
  /** The raw metadata section (for dotenv/INI: already un-flattened). */
  readonly metadata: TreeBranch
}

/** Store settings from `.sops.yaml` `stores:` and `--indent`. */
export interface StoreOptions {
  /** YAML: 0 or absent = 4. JSON: -1 or absent = one tab per level; 0 = newlines only. */
  readonly indent?: number
}

/** One file format. */
export interface Store {
  readonly format: Format
  /** Parses a plaintext file into branches (one per YAML document). Throws `ERR_FORMAT`. */
  loadPlain(input: Uint8Array): TreeBranches
  /** Parses an encrypted file. Throws `ERR_METADATA_MISSING` when there is no `sops` section. */
  loadEncrypted(input: Uint8Array): LoadedEncrypted
  /** Emits plaintext branches (a decrypted file). */
  emitPlain(branches: TreeBranches): Uint8Array
  /** Emits an encrypted file: the data branches plus `metadata` as the `sops` section. */
  emitEncrypted(branches: TreeBranches, metadata: TreeBranch): Uint8Array
  /** Emits a single value (`--extract` of a non-string, non-mapping value). */
  emitValue(value: TreeValue): Uint8Array
  /** Whether the first document already holds sops metadata (`sops` key; dotenv: `sops_*`). */
  hasSopsTopLevelKey(branch: TreeBranch): boolean
}
