/** sops' ExtractMetadata rules for nested-metadata formats (YAML, JSON). */
import { describe, expect, it } from "vitest"
import { isSopsError, type SopsErrorCode } from "../src/errors.js"
import { extractYamlMetadata } from "../src/stores/extract-metadata.js"
import { loadYamlBranches } from "../src/stores/yaml/load.js"
import { TreeBranch } from "../src/tree.js"

const load = (s: string) => loadYamlBranches(new TextEncoder().encode(s))

function code(fn: () => unknown): SopsErrorCode | undefined {
  try {
    fn()
  } catch (err) {
    return isSopsError(err) ? err.code : undefined
  }
  return undefined
}

describe("extractYamlMetadata", () => {
  it("takes the sops mapping of document 0 and removes sops from every document", () => {
    const input = load("a: 1\nsops:\n  version: 3.13.2\n---\nb: 2\nsops: whatever\n")
    const { branches, metadata } = extractYamlMetadata(input)
    expect(metadata.get("version")).toBe("3.13.2")
    expect(branches.map((b) => b.items.map((i) => i.key))).toEqual([["a"], ["b"]])
    // The caller's branches are left as they were.
    expect(input[0]!.has("sops")).toBe(true)
  })

  it("accepts an empty sops mapping and keeps comments of the data", () => {
    const { branches, metadata } = extractYamlMetadata(load("# c\na: 1\nsops: {}\n"))
    expect(metadata).toBeInstanceOf(TreeBranch)
    expect(metadata.items).toEqual([])
    expect(branches[0]!.items.length).toBe(2)
  })

  it("rejects missing, non-mapping and duplicated metadata with stable codes", () => {
    expect(code(() => extractYamlMetadata(load("a: 1\n")))).toBe("ERR_METADATA_MISSING")
    expect(code(() => extractYamlMetadata(load("a: 1\n---\nsops: {}\n")))).toBe("ERR_METADATA_MISSING")
    expect(code(() => extractYamlMetadata([]))).toBe("ERR_METADATA_MISSING")
    expect(code(() => extractYamlMetadata(load("sops: [1]\n")))).toBe("ERR_METADATA_INVALID")
    // Duplicate keys are a load error in document 0, so build that tree by hand.
    const dup = new TreeBranch([
      { key: "sops", value: new TreeBranch() },
      { key: "sops", value: new TreeBranch() },
    ])
    expect(code(() => extractYamlMetadata([dup]))).toBe("ERR_METADATA_INVALID")
  })
})
