/**
 * The dotenv store, byte for byte as sops' `stores/dotenv`: one `key=value` per line, split
 * at the first `=` with no trimming, quoting or expansion; `#` as the first byte makes a
 * comment; the two characters `\n` in a value stand for a newline. Metadata is flattened into
 * `sops_*` keys after the data.
 *
 * Work happens on bytes: values that are not UTF-8 stay raw byte strings, and a `\r` before
 * the line feed stays part of the value, so CRLF files round-trip exactly.
 * @module
 */
import { bytesToStringValue, concatBytes, utf8, utf8DecodeStrict } from "../bytes.js"
import { SopsError } from "../errors.js"
import { flattenMetadata, unflattenMetadata } from "../metadata/flatten.js"
import { Comment, TreeBranch, type TreeBranches, type TreeItem, type TreeValue } from "../tree.js"
import type { LoadedEncrypted, Store } from "./store.js"
import { valToString } from "./val-to-string.js"

/** The prefix of every flattened metadata key in a dotenv file. */
export const DOTENV_SOPS_PREFIX = "sops_"

const LF = 0x0a
const HASH = 0x23
const EQUALS = 0x3d
const BACKSLASH = 0x5c
const LOWER_N = 0x6e

function formatError(message: string): SopsError {
  return new SopsError("ERR_FORMAT", message)
}

/** Replaces each two-byte sequence `\n` with a line feed. */
function unescapeNewlines(bytes: Uint8Array): Uint8Array {
  let i = bytes.indexOf(BACKSLASH)
  while (i !== -1 && bytes[i + 1] !== LOWER_N) i = bytes.indexOf(BACKSLASH, i + 1)
  if (i === -1) return bytes
  const out = new Uint8Array(bytes.length)
  let o = 0
  for (let j = 0; j < bytes.length; j++) {
    if (bytes[j] === BACKSLASH && bytes[j + 1] === LOWER_N) {
      out[o++] = LF
      j++
    } else {
      out[o++] = bytes[j]!
    }
  }
  return out.subarray(0, o)
}

/** Writes each line feed as the two bytes `\n`. */
function escapeNewlineBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.indexOf(LF) === -1) return bytes
  const parts: Uint8Array[] = []
  let start = 0
  for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, start)) {
    parts.push(bytes.subarray(start, i), utf8("\\n"))
    start = i + 1
  }
  parts.push(bytes.subarray(start))
  return concatBytes(parts)
}

function decodeName(bytes: Uint8Array, what: string, line: number): string {
  const s = utf8DecodeStrict(bytes)
  if (s === null) throw formatError(`invalid dotenv input: the ${what} on line ${line} is not valid UTF-8`)
  return s
}

/**
 * Parses dotenv bytes into one branch.
 * @throws SopsError `ERR_FORMAT` for a non-empty line without `=` (the message gives the line
 *   number, never its content) or a key/comment that is not UTF-8
 */
function parseDotenv(input: Uint8Array): TreeBranch {
  const items: TreeItem[] = []
  let start = 0
  let lineNo = 0
  while (start <= input.length) {
    let end = input.indexOf(LF, start)
    if (end === -1) end = input.length
    lineNo++
    const line = input.subarray(start, end)
    start = end + 1
    if (line.length === 0) continue
    if (line[0] === HASH) {
      items.push({ key: new Comment(decodeName(line.subarray(1), "comment", lineNo)), value: null })
      continue
    }
    const eq = line.indexOf(EQUALS)
    if (eq === -1) throw formatError(`invalid dotenv input line ${lineNo}: expected key=value`)
    items.push({
      key: decodeName(line.subarray(0, eq), "key", lineNo),
      value: bytesToStringValue(unescapeNewlines(line.subarray(eq + 1))),
    })
  }
  return new TreeBranch(items)
}

function keyName(key: TreeItem["key"]): string {
  return typeof key === "string" ? key : key instanceof Comment ? "#" + key.value : "<non-string key>"
}

/** Serialises `branches[0]`; only the first branch exists in dotenv. */
function emitDotenv(branches: TreeBranches): Uint8Array {
  const parts: (string | Uint8Array)[] = []
  const branch = branches[0]
  if (branch === undefined) return new Uint8Array(0)
  for (const item of branch.items) {
    if (item.value instanceof TreeBranch || Array.isArray(item.value)) {
      throw new SopsError(
        "ERR_UNSUPPORTED_VALUE",
        `cannot use complex value in dotenv file; offending key ${keyName(item.key)}`,
      )
    }
    if (item.key instanceof Comment) {
      parts.push("#", item.key.value, "\n")
      continue
    }
    if (typeof item.key !== "string") {
      throw new SopsError("ERR_UNSUPPORTED_VALUE", "cannot use a non-string key in a dotenv file")
    }
    let value: string | Uint8Array
    if (typeof item.value === "string") value = item.value.replaceAll("\n", "\\n")
    else if (item.value instanceof Uint8Array) value = escapeNewlineBytes(item.value)
    else value = valToString(item.value)
    parts.push(item.key, "=", value, "\n")
  }
  if (parts.every((p) => typeof p === "string")) return utf8(parts.join(""))
  return concatBytes(parts.map((p) => (typeof p === "string" ? utf8(p) : p)))
}

function hasSopsPrefix(item: TreeItem): item is TreeItem & { key: string } {
  return typeof item.key === "string" && item.key.startsWith(DOTENV_SOPS_PREFIX)
}

function loadEncrypted(input: Uint8Array): LoadedEncrypted {
  const branch = parseDotenv(input)
  const data: TreeItem[] = []
  const meta: [string, TreeValue][] = []
  for (const item of branch.items) {
    if (hasSopsPrefix(item)) meta.push([item.key.slice(DOTENV_SOPS_PREFIX.length), item.value])
    else data.push(item)
  }
  if (meta.length === 0) {
    throw new SopsError("ERR_METADATA_MISSING", "sops metadata not found: the dotenv file has no sops_* keys")
  }
  return { branches: [new TreeBranch(data)], metadata: unflattenMetadata(meta) }
}

function emitEncrypted(branches: TreeBranches, metadata: TreeBranch): Uint8Array {
  const flat = flattenMetadata(metadata, { prefix: DOTENV_SOPS_PREFIX })
  const out = branches.map((branch) => {
    for (const item of branch.items) {
      if (hasSopsPrefix(item)) {
        throw new SopsError(
          "ERR_UNSUPPORTED_VALUE",
          `key ${JSON.stringify(item.key)} starts with the prefix "${DOTENV_SOPS_PREFIX}", which is reserved for sops metadata`,
        )
      }
    }
    return new TreeBranch([...branch.items, ...flat])
  })
  return emitDotenv(out)
}

function emitValue(value: TreeValue): Uint8Array {
  if (typeof value === "string") return utf8(value)
  if (value instanceof Uint8Array) return value
  throw new SopsError(
    "ERR_UNSUPPORTED_VALUE",
    `the dotenv store only supports emitting strings, got ${describeType(value)}`,
  )
}

function describeType(v: TreeValue): string {
  if (v === null) return "null"
  if (v instanceof TreeBranch) return "a mapping"
  if (Array.isArray(v)) return "a list"
  if (typeof v === "object") return v.constructor.name
  return typeof v
}

/**
 * Creates the dotenv store.
 *
 * @example
 * ```ts
 * const store = createDotenvStore()
 * const [branch] = store.loadPlain(new TextEncoder().encode("A=1\n# note\nB=x\\ny\n"))
 * // branch.items: A="1", Comment(" note"), B="x\ny"
 * ```
 */
export function createDotenvStore(): Store {
  return {
    format: "dotenv",
    loadPlain: (input) => [parseDotenv(input)],
    loadEncrypted,
    emitPlain: emitDotenv,
    emitEncrypted,
    emitValue,
    hasSopsTopLevelKey: (branch) => branch.items.some(hasSopsPrefix),
  }
}
