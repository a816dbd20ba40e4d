/**
 * YAML output with sops' exact bytes: sops builds go-yaml v3 nodes from the tree
 * (`stores/yaml/store.go`) and go-yaml v3.0.4 prints them. This module runs the same pipeline:
 * tree → nodes with sops' comment placement (`emit-nodes.ts`) → go-yaml's event stream
 * (`emit-events.ts`) → go-yaml's emitter behaviour (`emit-writer.ts`).
 * @module
 */
import { utf8 } from "../../bytes.js"
import { SopsError } from "../../errors.js"
import type { TreeBranches, TreeValue } from "../../tree.js"
import { EventType, plainEvent, serializeNode, type YamlEvent } from "./emit-events.js"
import { mappingNode, valueNode } from "./emit-nodes.js"
import { writeEvents } from "./emit-writer.js"

/** sops' YAML indentation when none is configured (`IndentDefault`). */
export const YAML_DEFAULT_INDENT = 4

/** Options of {@link emitYamlBranches}. */
export interface YamlEmitOptions {
  /** Spaces per level: 0 or absent = 4; go-yaml turns values below 2 or above 9 into 2. */
  readonly indent?: number
}

function resolveIndent(indent: number | undefined): number {
  if (indent === undefined || indent === 0) return YAML_DEFAULT_INDENT
  if (!Number.isInteger(indent)) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "YAML indentation must be an integer")
  }
  if (indent < 0) throw new SopsError("ERR_INVALID_ARGUMENT", "YAML Negative indentation not accepted")
  return indent
}

/**
 * Emits branches as a YAML stream, one document per branch, byte for byte as sops does
 * (`YamlStore.EmitPlainFile`): `---` before every document but the first, `{}` for an empty
 * branch, nothing at all for zero branches.
 *
 * @param branches - the documents; for an encrypted file, the caller has already appended the
 *   `sops` metadata item to each of them
 * @param options - indentation (default 4)
 * @returns UTF-8 bytes
 * @throws SopsError `ERR_INVALID_ARGUMENT` for a negative or fractional indent;
 *   `ERR_UNSUPPORTED_VALUE` for a value that is not part of the tree model
 *
 * @example
 * ```ts
 * emitYamlBranches([new TreeBranch([{ key: "a", value: 1n }])]) // "a: 1\n"
 * ```
 */
export function emitYamlBranches(branches: TreeBranches, options?: YamlEmitOptions): Uint8Array {
  const indent = resolveIndent(options?.indent)
  if (branches.length === 0) return new Uint8Array(0)
  const events: YamlEvent[] = [plainEvent(EventType.StreamStart)]
  for (const branch of branches) {
    events.push(plainEvent(EventType.DocumentStart))
    serializeNode(mappingNode(branch), "", events)
    events.push(plainEvent(EventType.DocumentEnd))
  }
  events.push(plainEvent(EventType.StreamEnd))
  return utf8(writeEvents(events, indent))
}

/**
 * Emits one value as its own YAML document, as sops' `YamlStore.EmitValue` does
 * (`yaml.Marshal` of the value's node, default go-yaml indentation 4): `5` → `5\n`,
 * a string that needs quoting → `"true"\n`, a mapping → block YAML.
 *
 * @param value - any tree value except a bare comment
 * @returns UTF-8 bytes
 * @throws SopsError `ERR_UNSUPPORTED_VALUE` for a comment or a value outside the tree model
 */
export function emitYamlValue(value: TreeValue): Uint8Array {
  const events: YamlEvent[] = [plainEvent(EventType.StreamStart), plainEvent(EventType.DocumentStart)]
  serializeNode(valueNode(value), "", events)
  events.push(plainEvent(EventType.DocumentEnd), plainEvent(EventType.StreamEnd))
  return utf8(writeEvents(events, YAML_DEFAULT_INDENT))
}
