/**
 * Access to the shared conformance corpus (`../shared/conformance`): real files written by
 * sops, the keys that open them and their expected plaintext. Read in place, never copied.
 * @module
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

/** One entry of `manifest.json` (the fields the tests use). */
export interface ConformanceVector {
  readonly file: string
  readonly format: "yaml" | "json" | "dotenv" | "ini" | "binary"
  readonly sops_version: string | null
  readonly keys: readonly string[]
  readonly identity: string
  readonly plaintext: string | null
  readonly expected_sops_decrypt: string
  readonly mac_verified: boolean | null
  readonly derived_plaintext?: string | null
  readonly notes: string
}

/** The repository root (three levels above this file, in src or dist). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")

/** Where the corpus lives, or null when this checkout has none beside it. */
export function conformanceDir(): string | null {
  const dir = process.env["SOPS_TS_CONFORMANCE_DIR"] ?? resolve(REPO_ROOT, "../shared/conformance")
  return existsSync(join(dir, "manifest.json")) ? dir : null
}

/** The vectors, or [] when the corpus is absent. */
export function loadManifest(): ConformanceVector[] {
  const dir = conformanceDir()
  if (dir === null) return []
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ConformanceVector[]
}

/** Absolute path of a corpus file. */
export function corpusPath(relative: string): string {
  const dir = conformanceDir()
  if (dir === null) throw new Error("the conformance corpus is not available")
  return join(dir, relative)
}

/** Whether a vector's identity is an age key file (else an armored PGP key). */
export function isAgeIdentity(v: ConformanceVector): boolean {
  const head = readFileSync(corpusPath(v.identity), "utf8").slice(0, 4096)
  return head.includes("AGE-SECRET-KEY-") && !head.includes("BEGIN PGP")
}

/** The expected outcome of decrypting a vector, as a small enum. */
export function expectedOutcome(v: ConformanceVector): "success" | "no-mac" | "value-fails" | "mac-mismatch" {
  const e = v.expected_sops_decrypt
  if (e === "success") return "success"
  if (e.includes("no MAC")) return "no-mac"
  if (e.includes("value decryption")) return "value-fails"
  if (e.includes("MAC mismatch")) return "mac-mismatch"
  throw new Error(`unknown expectation: ${e}`)
}
