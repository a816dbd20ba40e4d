/**
 * The INI store: sops' mapping between go-ini documents and trees.
 *
 * Each section (the implicit `DEFAULT` first, even when empty) is a top-level item whose value
 * is a branch. In that branch the section comment, if any, comes first, and each key comment
 * comes right AFTER its key, though the file has it before the key. Writing reverses this: a
 * leading comment item is the section comment and any later one belongs to the key before it.
 * The comment-based encryption rules therefore see INI comments shifted by one key, exactly
 * as sops does.
 *
 * Metadata lives in a final `[sops]` section, flattened, with newlines in values written as
 * `\n`; the older real-newline form (`"""…"""` values from 3.13.0/3.13.1) is read too.
 * @module
 */
import { SopsError } from "../../errors.js"
import { flattenMetadata, unflattenMetadata } from "../../metadata/flatten.js"
import { Comment, TreeBranch, type TreeBranches, type TreeItem, type TreeValue } from "../../tree.js"
import type { LoadedEncrypted, Store } from "../store.js"
import { valToString } from "../val-to-string.js"
import { byteStringToValue, fromByteString, toByteString, valueToByteString } from "./bytestr.js"
import { goJsonMarshal } from "./json-value.js"
import { type IniKey, IniSection } from "./model.js"
import { parseIni } from "./parse.js"
import { writeIni } from "./write.js"

/** The name of the metadata section. */
export const INI_SOPS_SECTION = "sops"

/** A name or comment must be a JS string in the tree; reject bytes that are not UTF-8. */
function textOf(s: string, what: string): string {
  const v = byteStringToValue(s)
  if (typeof v !== "string") throw new SopsError("ERR_FORMAT", `invalid INI input: a ${what} is not valid UTF-8`)
  return v
}

/** sops' `stripCommentChar`: drops a leading run of `;`/space (or `#`/space). */
function stripCommentMarker(comment: string): string {
  if (comment.startsWith(";")) return comment.replace(/^[; ]+/, "")
  if (comment.startsWith("#")) return comment.replace(/^[# ]+/, "")
  return comment
}

function sectionToItem(section: IniSection): TreeItem {
  const items: TreeItem[] = []
  if (section.comment !== "") {
    items.push({ key: new Comment(stripCommentMarker(textOf(section.comment, "comment"))), value: null })
  }
  for (const key of section.keys) {
    items.push({ key: textOf(key.name, "key name"), value: byteStringToValue(key.value) })
    if (key.comment !== "") {
      items.push({ key: new Comment(stripCommentMarker(textOf(key.comment, "comment"))), value: null })
    }
  }
  return { key: textOf(section.name, "section name"), value: new TreeBranch(items) }
}

function loadPlain(input: Uint8Array): TreeBranches {
  const sections = parseIni(toByteString(input))
  return [new TreeBranch(sections.map(sectionToItem))]
}

function unsupported(message: string): SopsError {
  return new SopsError("ERR_UNSUPPORTED_VALUE", message)
}

/** Builds the go-ini sections for a tree, as sops' `encodeTree` does. */
function treeToSections(branches: TreeBranches): IniSection[] {
  const sections: IniSection[] = []
  for (const branch of branches) {
    for (const item of branch.items) {
      if (item.key instanceof Comment) continue
      if (typeof item.key !== "string") throw unsupported("INI section names must be strings")
      if (item.key === "") throw unsupported("cannot encode an INI section with an empty name")
      if (!(item.value instanceof TreeBranch)) {
        throw unsupported(`cannot encode INI section ${JSON.stringify(item.key)}: section values must be mappings`)
      }
      const section = new IniSection(valueToByteString(item.key))
      sections.push(section)
      const entries = item.value.items
      let start = 0
      const head = entries[0]
      if (head !== undefined && head.key instanceof Comment) {
        section.comment = valueToByteString(head.key.value)
        start = 1
      }
      let lastKey: IniKey | undefined
      for (let i = start; i < entries.length; i++) {
        const entry = entries[i]!
        if (entry.key instanceof Comment) {
          // A comment describes the key before it; one before any key has nowhere to go.
          if (lastKey !== undefined) lastKey.comment = valueToByteString(entry.key.value)
          continue
        }
        if (typeof entry.key !== "string") throw unsupported(`INI keys must be strings (section ${JSON.stringify(item.key)})`)
        if (entry.key === "") throw unsupported(`cannot encode an INI key with an empty name (section ${JSON.stringify(item.key)})`)
        lastKey = section.setKey(valueToByteString(entry.key), valueToByteString(valToString(entry.value)))
      }
    }
  }
  return sections
}

function emitPlain(branches: TreeBranches): Uint8Array {
  return fromByteString(writeIni(treeToSections(branches)))
}

function loadEncrypted(input: Uint8Array): LoadedEncrypted {
  const [branch] = loadPlain(input)
  const data: TreeItem[] = []
  let meta: TreeBranch | undefined
  for (const item of branch!.items) {
    if (item.key !== INI_SOPS_SECTION) {
      data.push(item)
      continue
    }
    if (meta !== undefined) throw new SopsError("ERR_METADATA_INVALID", "found more than one [sops] section")
    meta = item.value as TreeBranch
  }
  // An empty [sops] section counts as missing, as in sops (its branch is nil there).
  if (meta === undefined || meta.items.length === 0) {
    throw new SopsError("ERR_METADATA_MISSING", "sops metadata not found: the INI file has no [sops] section")
  }
  const entries: [string, TreeValue][] = []
  for (const item of meta.items) if (typeof item.key === "string") entries.push([item.key, item.value])
  return { branches: [new TreeBranch(data)], metadata: unflattenMetadata(entries, { escapeNewlines: true }) }
}

function emitEncrypted(branches: TreeBranches, metadata: TreeBranch): Uint8Array {
  const flat = new TreeBranch(flattenMetadata(metadata, { escapeNewlines: true }))
  const withMeta = branches.map((branch) => {
    if (branch.has(INI_SOPS_SECTION)) {
      throw new SopsError("ERR_UNSUPPORTED_VALUE", `the section name "${INI_SOPS_SECTION}" is reserved for sops metadata`)
    }
    return new TreeBranch([...branch.items, { key: INI_SOPS_SECTION, value: flat }])
  })
  return emitPlain(withMeta)
}

/**
 * Creates the INI store.
 *
 * @example
 * ```ts
 * const store = createIniStore()
 * const out = store.emitPlain([new TreeBranch([{ key: "db", value: new TreeBranch([{ key: "user", value: "app" }]) }])])
 * // "[db]\nuser = app\n"
 * ```
 */
export function createIniStore(): Store {
  return {
    format: "ini",
    loadPlain,
    loadEncrypted,
    emitPlain,
    emitEncrypted,
    emitValue: goJsonMarshal,
    hasSopsTopLevelKey: (branch) => branch.has(INI_SOPS_SECTION),
  }
}
