/**
 * Shared helpers for the dotenv, INI and flattened-metadata tests: the conformance corpus
 * (read in place, never copied), byte helpers and a plain view of trees.
 */
import { existsSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { expect } from "vitest"
import { SopsError, type SopsErrorCode } from "../src/errors.js"
import { Comment, TreeBranch, type TreeKey, type TreeValue } from "../src/tree.js"

const repoRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..")

/** The shared conformance corpus, outside the repository. */
export const conformanceDir = resolve(repoRoot, "../shared/conformance")
/** Whether the corpus is present; suites that need it skip (with a note) when it is not. */
export const hasConformance = existsSync(join(conformanceDir, "manifest.json"))
if (!hasConformance) console.warn(`[skipped] dotenv/INI conformance vectors: ${conformanceDir} is missing`)

/** Reads a corpus file as bytes. */
export function vector(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(join(conformanceDir, rel)))
}

/** Manifest entries of one format. */
export function manifestFiles(format: string): { file: string; sops_version: string | null }[] {
  if (!hasConformance) return []
  const all = JSON.parse(readFileSync(join(conformanceDir, "manifest.json"), "utf8")) as {
    file: string
    format: string
    sops_version: string | null
  }[]
  return all.filter((v) => v.format === format)
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** UTF-8 bytes of a string. */
export const enc = (s: string): Uint8Array => encoder.encode(s)
/** A string from UTF-8 bytes. */
export const dec = (b: Uint8Array): string => decoder.decode(b)
/** Bytes from a "binary" string, one char per byte (for non-UTF-8 inputs). */
export const bin = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))

/** Plain JS view of a tree: branches become [key, value] pairs, comments `#text`. */
export function view(v: TreeValue): unknown {
  if (v instanceof TreeBranch) return v.items.map((i) => [viewKey(i.key), view(i.value)])
  if (Array.isArray(v)) return v.map(view)
  if (v instanceof Comment) return { comment: v.value }
  return v
}

function viewKey(k: TreeKey): unknown {
  return k instanceof Comment ? `#${k.value}` : k
}

/** Runs `fn`, asserts it throws a SopsError with `code`, and returns it. */
export function expectSopsError(fn: () => unknown, code: SopsErrorCode): SopsError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SopsError)
    expect((err as SopsError).code).toBe(code)
    return err as SopsError
  }
  throw new Error(`expected a SopsError ${code}`)
}

/** A branch from [key, value] pairs; a key starting with `#` becomes a comment. */
export function branch(...pairs: [string, TreeValue][]): TreeBranch {
  return new TreeBranch(
    pairs.map(([k, v]) => (k.startsWith("#") ? { key: new Comment(k.slice(1)), value: null } : { key: k, value: v })),
  )
}
