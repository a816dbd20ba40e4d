/**
 * The YAML loader and metadata extraction against real sops files, read in place from the
 * shared conformance corpus.
 */
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { isSopsError } from "../src/errors.js"
import { extractYamlMetadata } from "../src/stores/extract-metadata.js"
import { loadYamlBranches } from "../src/stores/yaml/load.js"
import { Comment, TreeBranch, type TreeValue } from "../src/tree.js"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const corpus = path.resolve(repoRoot, "../shared/conformance")
const present = existsSync(path.join(corpus, "manifest.json"))
if (!present) console.warn(`yaml-load conformance skipped: ${corpus} not found`)

interface Vector {
  file: string
  format: string
  documents: number | null
  derived_plaintext: string | null
}

const vectors: Vector[] = present
  ? (JSON.parse(readFileSync(path.join(corpus, "manifest.json"), "utf8")) as Vector[]).filter((v) => v.format === "yaml")
  : []

const read = (rel: string): Uint8Array => new Uint8Array(readFileSync(path.join(corpus, rel)))

/** Keys, nesting and comment positions, without values. */
function shape(v: TreeValue): unknown {
  if (v instanceof TreeBranch) {
    return v.items.map((it) => (it.key instanceof Comment ? (it.key.inline ? "#~" : "#") : [String(it.key), shape(it.value)]))
  }
  if (Array.isArray(v)) return v.map((x) => (x instanceof Comment ? (x.inline ? "#~" : "#") : shape(x)))
  return "v"
}

/** Keys only, in order, as a decrypted JSON rendering of the tree has them. */
function keys(v: TreeValue): unknown {
  if (v instanceof TreeBranch) return v.items.filter((it) => !(it.key instanceof Comment)).map((it) => [String(it.key), keys(it.value)])
  if (Array.isArray(v)) return v.filter((x) => !(x instanceof Comment)).map(keys)
  return "v"
}

function jsonKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonKeys)
  if (v !== null && typeof v === "object") return Object.entries(v).map(([k, x]) => [k, jsonKeys(x)])
  return "v"
}

function comments(v: TreeValue, out: Comment[] = []): Comment[] {
  if (v instanceof TreeBranch) {
    for (const it of v.items) {
      if (it.key instanceof Comment) out.push(it.key)
      else comments(it.value, out)
    }
  } else if (Array.isArray(v)) {
    for (const x of v) {
      if (x instanceof Comment) out.push(x)
      else comments(x, out)
    }
  }
  return out
}

describe.skipIf(!present)("YAML conformance vectors", () => {
  it.each(vectors.map((v) => [v.file, v] as const))("%s loads and has metadata", (_name, vector) => {
    const branches = loadYamlBranches(read(vector.file))
    expect(branches.length).toBe(vector.documents ?? 1)
    const { branches: data, metadata } = extractYamlMetadata(branches)
    expect(metadata.has("mac") || metadata.has("lastmodified")).toBe(true)
    expect(data[0]!.has("sops")).toBe(false)
    if (vector.derived_plaintext !== null) {
      const plain = JSON.parse(readFileSync(path.join(corpus, vector.derived_plaintext), "utf8")) as unknown
      const derived = Array.isArray(plain) ? plain : [plain]
      // Key order and nesting must match what sops decrypted (JSON keys that look like
      // integers reorder in JS objects; the corpus has none at top level).
      expect(keys(data[0]!)).toEqual(jsonKeys(derived[0]))
    }
  })

  const res = "getsops-sops/functional-tests/res"
  it("comments.yaml and its sops encryption have the same keys and comment positions", () => {
    const plain = loadYamlBranches(read(`${res}/comments.yaml`))
    const { branches: enc } = extractYamlMetadata(loadYamlBranches(read(`${res}/comments.enc.yaml`)))
    expect(shape(enc[0]!)).toEqual(shape(plain[0]!))
    const encComments = comments(enc[0]!)
    expect(encComments.length).toBe(comments(plain[0]!).length)
    expect(encComments.length).toBeGreaterThan(0)
    for (const c of encComments) expect(c.value.startsWith("ENC[")).toBe(true)
  })

  it("comments_list.yaml keeps the comment as a list element", () => {
    const [b] = loadYamlBranches(read(`${res}/comments_list.yaml`))
    expect(shape(b!)).toEqual([["lorem", ["v", "#", "v"]]])
    expect(comments(b!).map((c) => c.value)).toEqual(["this-is-a-comment"])
  })

  it("plainfile.yaml has no metadata", () => {
    const branches = loadYamlBranches(read(`${res}/plainfile.yaml`))
    expect(branches.length).toBe(1)
    try {
      extractYamlMetadata(branches)
      expect.unreachable()
    } catch (err) {
      expect(isSopsError(err, "ERR_METADATA_MISSING")).toBe(true)
    }
  })
})
