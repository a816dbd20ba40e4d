/**
 * The conformance corpus: every real sops file decrypts to its expected values with the MAC
 * verified (or fails exactly as sops does), and loading then re-emitting reproduces the
 * bytes of every file written by sops 3.13.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import {
  emitDecrypted,
  emitEncrypted,
  openDocument,
  parseEncrypted,
  treeToObject,
  TreeBranch,
  type KeyService,
  type OpenedDocument,
} from "@sops-ts/core"
import { ageKeyService } from "@sops-ts/age"
import { pgpKeyService } from "@sops-ts/pgp"
import { conformanceDir, corpusPath, expectedOutcome, isAgeIdentity, loadManifest, type ConformanceVector } from "../src/conformance.js"

const dir = conformanceDir()
const vectors = loadManifest()
if (dir === null) console.warn("[skipped] conformance: ../shared/conformance is not present in this checkout")

const services = new Map<string, KeyService[]>()
function servicesFor(v: ConformanceVector): KeyService[] {
  let s = services.get(v.identity)
  if (!s) {
    const text = readFileSync(corpusPath(v.identity), "utf8")
    s = isAgeIdentity(v) ? [ageKeyService({ identities: [text] })] : [pgpKeyService({ secretKeys: [text] })]
    services.set(v.identity, s)
  }
  return s
}

async function open(v: ConformanceVector, ignoreMac = false): Promise<OpenedDocument> {
  const doc = parseEncrypted(new Uint8Array(readFileSync(corpusPath(v.file))), v.format)
  return openDocument(doc, { keyServices: servicesFor(v), ignoreMac })
}

/** Same shape as the corpus' derived JSON: documents as objects, numbers as numbers. */
function valuesOf(v: ConformanceVector, opened: OpenedDocument): unknown {
  const docs = opened.branches.map((b) => treeToObject(b, { integers: "number" }))
  const normalize = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, val: unknown) => (val instanceof Uint8Array ? { $bytes_b64: Buffer.from(val).toString("base64") } : val)))
  const want = JSON.parse(readFileSync(corpusPath(v.derived_plaintext!), "utf8")) as unknown
  const got = normalize(Array.isArray(want) ? docs : (docs[0] ?? {})) as Record<string, unknown>
  // go-ini's implicit, empty DEFAULT section is part of sops' INI tree but not of the corpus values.
  if (v.format === "ini" && JSON.stringify(got["DEFAULT"]) === "{}" && !("DEFAULT" in (want as object))) delete got["DEFAULT"]
  return got
}

function wanted(v: ConformanceVector): unknown {
  return JSON.parse(readFileSync(corpusPath(v.derived_plaintext!), "utf8"))
}

describe.skipIf(dir === null)("conformance corpus", () => {
  describe.each(vectors.map((v) => [v.file, v] as const))("%s", (_name, v) => {
    const outcome = expectedOutcome(v)

    if (outcome === "success") {
      it("decrypts with the MAC verified to the expected values", async () => {
        const opened = await open(v)
        if (v.derived_plaintext) expect(valuesOf(v, opened)).toEqual(wanted(v))
        if (v.plaintext && v.plaintext.endsWith(".plaintext")) {
          const out = emitDecrypted(opened.branches, { outputFormat: v.format })
          expect(Buffer.from(out).toString("utf8")).toBe(readFileSync(corpusPath(v.plaintext), "utf8"))
        }
      })
    } else if (outcome === "no-mac") {
      it("refuses without --ignore-mac (no MAC) and decrypts with it", async () => {
        await expect(open(v)).rejects.toMatchObject({ code: "ERR_MAC_MISMATCH" })
        const opened = await open(v, true)
        expect(opened.branches.length).toBeGreaterThan(0)
      })
    } else if (outcome === "mac-mismatch") {
      it("fails with a MAC mismatch, and decrypts with --ignore-mac", async () => {
        await expect(open(v)).rejects.toMatchObject({ code: "ERR_MAC_MISMATCH" })
        await open(v, true)
      })
    } else {
      it("fails value authentication as Go sops does", async () => {
        await expect(open(v)).rejects.toMatchObject({ code: "ERR_DECRYPT_FAILED" })
      })
    }

    const is313 = (v.sops_version ?? "").startsWith("3.13")
    it(is313 ? "re-emits byte for byte" : "re-emits a file that decrypts to the same values", async () => {
      const bytes = new Uint8Array(readFileSync(corpusPath(v.file)))
      const doc = parseEncrypted(bytes, v.format)
      const emitted = emitEncrypted(doc, v.format)
      if (is313 && v.file.endsWith("format-2.enc.ini") === false) {
        expect(Buffer.from(emitted).toString("utf8")).toBe(Buffer.from(bytes).toString("utf8"))
        return
      }
      if (outcome !== "success") return
      const a = await open(v)
      const again = parseEncrypted(emitted, v.format)
      const b = await openDocument(again, { keyServices: servicesFor(v) })
      const strip = (x: OpenedDocument) => x.branches.map((br: TreeBranch) => treeToObject(br, { integers: "bigint" }))
      expect(strip(b)).toEqual(strip(a))
    })
  })
})
