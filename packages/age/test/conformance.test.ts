/**
 * Real sops files with age keys from the shared conformance corpus (read in place from
 * `../shared/conformance`): every `enc` whose identity is known must unwrap to a 32-byte data
 * key, and every other one must be reported as "not my key".
 */
import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { KeyUnavailableError } from "@sops-ts/core"
import { ageKeyService } from "@sops-ts/age"
import { ageKey } from "./helpers.js"

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))
const corpus = resolve(repoRoot, "../shared/conformance")
const present = existsSync(resolve(corpus, "manifest.json"))
if (!present) console.warn(`[skipped] age conformance vectors: ${corpus} not found`)

interface Check {
  readonly type: string
  readonly recipient?: string
  readonly identity?: string | null
  readonly verified?: boolean
}
interface Entry {
  readonly file: string
  readonly keys: readonly string[]
  readonly data_key_checks?: readonly Check[]
}

/**
 * Pulls every armored age file out of a sops file of any format: YAML block scalars
 * (indented lines), JSON strings and dotenv/INI values (escaped `\n`).
 */
function extractEncs(content: string): string[] {
  const re = /-----BEGIN AGE ENCRYPTED FILE-----([\s\S]*?)-----END AGE ENCRYPTED FILE-----/g
  const out: string[] = []
  for (const m of content.matchAll(re)) {
    const lines = m[1]!
      .replaceAll("\\n", "\n")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
    out.push(["-----BEGIN AGE ENCRYPTED FILE-----", ...lines, "-----END AGE ENCRYPTED FILE-----", ""].join("\n"))
  }
  return out
}

const entries: Entry[] = present
  ? (JSON.parse(readFileSync(resolve(corpus, "manifest.json"), "utf8")) as Entry[]).filter((e) => e.keys.includes("age"))
  : []

describe.skipIf(!present)("age conformance vectors", () => {
  it("the corpus has age vectors", () => {
    expect(entries.length).toBeGreaterThan(0)
  })

  for (const entry of entries) {
    it(`unwraps the data keys of ${entry.file}`, async () => {
      const checks = (entry.data_key_checks ?? []).filter((c) => c.type === "age")
      const identityFiles = [...new Set(checks.filter((c) => c.verified && c.identity).map((c) => c.identity!))]
      expect(identityFiles.length).toBeGreaterThan(0)
      const svc = ageKeyService({ identities: identityFiles.map((f) => readFileSync(resolve(corpus, f), "utf8")) })
      const encs = extractEncs(readFileSync(resolve(corpus, entry.file), "utf8"))
      expect(encs.length).toBe(checks.length)

      let opened = 0
      let notMine = 0
      for (const enc of encs) {
        try {
          const key = await svc.decrypt(ageKey("age1-from-conformance", enc))
          expect(key).toHaveLength(32)
          opened++
        } catch (err) {
          expect(err).toBeInstanceOf(KeyUnavailableError)
          notMine++
        }
      }
      expect(opened).toBe(checks.filter((c) => c.verified).length)
      expect(notMine).toBe(checks.filter((c) => !c.verified).length)
    })
  }
})
