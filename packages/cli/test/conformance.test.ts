/**
 * Real sops files (../shared/conformance) decrypted through the CLI, in process. PGP vectors
 * use a throw-away GNUPGHOME; age vectors point SOPS_AGE_KEY_FILE at the identity.
 */
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describeWithTool } from "@sops-ts/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { run, tempDir } from "./helpers.js"

const repoRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..")
const conformance = resolve(repoRoot, "../shared/conformance")
const present = existsSync(join(conformance, "manifest.json"))
if (!present) console.warn(`[skipped] CLI conformance: ${conformance} not found`)

interface Vector {
  file: string
  format: string
  keys: string[]
  identity: string | null
  plaintext: string | null
  expected_sops_decrypt: string
  notes?: string
}

/** The expected output; one upstream plaintext lacks the newline sops writes (see its notes). */
function expectedPlain(v: Vector): string {
  const text = readFileSync(join(conformance, v.plaintext!), "utf8")
  return v.notes?.includes("sops output would end with one") ? text + "\n" : text
}

const vectors: Vector[] = present ? (JSON.parse(readFileSync(join(conformance, "manifest.json"), "utf8")) as Vector[]) : []

function expectedCode(v: Vector): number {
  const e = v.expected_sops_decrypt
  if (e === "success") return 0
  if (e.includes("MAC")) return 51
  if (e.includes("value decryption")) return 25
  return 1
}

describe.skipIf(!present)("conformance vectors via the CLI", () => {
  describeWithTool("gpg", "PGP vectors", () => {
    let home: { dir: string; cleanup: () => void }
    beforeAll(() => {
      home = tempDir("sops-ts-gpg-")
      const keys = [...new Set(vectors.filter((v) => v.keys.includes("pgp") && v.identity).map((v) => v.identity!))]
      for (const k of keys) {
        const r = spawnSync("gpg", ["--batch", "--homedir", home.dir, "--import", join(conformance, k)], { stdio: "ignore" })
        expect(r.status).toBe(0)
      }
    })
    afterAll(() => {
      spawnSync("gpgconf", ["--homedir", home.dir, "--kill", "gpg-agent"], { stdio: "ignore" })
      home.cleanup()
    })
    for (const v of vectors.filter((x) => x.keys.includes("pgp") && !x.keys.includes("age"))) {
      it(`${v.file} → ${v.expected_sops_decrypt}`, async () => {
        const r = await run(["decrypt", "--input-type", v.format, "--output-type", v.format, join(conformance, v.file)], {
          cwd: home.dir,
          env: { GNUPGHOME: home.dir, HOME: home.dir },
        })
        expect(r.code, r.stderr).toBe(expectedCode(v))
        if (v.plaintext && r.code === 0) expect(r.out).toBe(expectedPlain(v))
      })
    }
  })

  describe("age vectors", () => {
    for (const v of vectors.filter((x) => x.keys.includes("age"))) {
      it(`${v.file} → ${v.expected_sops_decrypt}`, async () => {
        const { dir, cleanup } = tempDir()
        try {
          const r = await run(["decrypt", "--input-type", v.format, "--output-type", v.format, join(conformance, v.file)], {
            cwd: dir,
            env: { SOPS_AGE_KEY_FILE: join(conformance, v.identity!) },
          })
          expect(r.code, r.stderr).toBe(expectedCode(v))
          if (v.plaintext && r.code === 0) expect(r.out).toBe(expectedPlain(v))
        } finally {
          cleanup()
        }
      })
    }
  })
})
