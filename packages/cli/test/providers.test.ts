import { writeFileSync } from "node:fs"
import { join } from "node:path"
import type { KeyService, MasterKey } from "@sops-ts/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageKeyPair, run, tempDir } from "./helpers.js"

const ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"

/** A stand-in KMS provider: "wraps" by base64 (tests only). */
function fakeKms(calls: string[]): KeyService {
  return {
    name: "fake-kms",
    supports: (k: MasterKey) => k.type === "kms",
    async encrypt(_k, dataKey) {
      calls.push("encrypt")
      return Buffer.from(dataKey).toString("base64")
    },
    async decrypt(k) {
      calls.push("decrypt")
      return new Uint8Array(Buffer.from(k.enc, "base64"))
    },
  }
}

let dir: string
let cleanup: () => void
let kp: { identity: string; recipient: string }
beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  kp = await ageKeyPair()
})
afterAll(() => cleanup())

describe("lazy cloud providers", () => {
  it("imports a provider package only when a key of its type is used", async () => {
    const imported: string[] = []
    const calls: string[] = []
    const importer = async (spec: string): Promise<Record<string, unknown>> => {
      imported.push(spec)
      if (spec === "@sops-ts/aws-kms") return { keyServiceFromEnv: () => fakeKms(calls) }
      throw new Error(`Cannot find package '${spec}'`)
    }
    writeFileSync(join(dir, "k.yaml"), "a: b\n")
    const enc = await run(["encrypt", "--kms", ARN, "--age", kp.recipient, "k.yaml"], { cwd: dir, importer })
    expect(enc.code, enc.stderr).toBe(0)
    expect(imported).toEqual(["@sops-ts/aws-kms"])
    writeFileSync(join(dir, "k.enc.yaml"), enc.stdout)

    // age comes first in the decryption order, so the KMS package is not even imported.
    imported.length = 0
    const viaAge = await run(["decrypt", "k.enc.yaml"], { cwd: dir, importer, env: { SOPS_AGE_KEY: kp.identity } })
    expect(viaAge.code).toBe(0)
    expect(imported).toEqual([])

    // Without an age identity the KMS provider opens it.
    const viaKms = await run(["decrypt", "k.enc.yaml"], { cwd: dir, importer })
    expect(viaKms.code, viaKms.stderr).toBe(0)
    expect(viaKms.out).toBe("a: b\n")
    expect(calls).toContain("decrypt")
  })

  it("reports a missing provider package as exit 128 with the package to install", async () => {
    const calls: string[] = []
    const withKms = async (spec: string): Promise<Record<string, unknown>> => {
      if (spec === "@sops-ts/aws-kms") return { keyServiceFromEnv: () => fakeKms(calls) }
      throw new Error("not installed")
    }
    writeFileSync(join(dir, "only-kms.yaml"), "a: b\n")
    const enc = await run(["encrypt", "--kms", ARN, "only-kms.yaml"], { cwd: dir, importer: withKms })
    expect(enc.code).toBe(0)
    writeFileSync(join(dir, "only-kms.enc.yaml"), enc.stdout)
    const none = async (): Promise<Record<string, unknown>> => {
      throw new Error("not installed")
    }
    const r = await run(["decrypt", "only-kms.enc.yaml"], { cwd: dir, importer: none })
    expect(r.code).toBe(128)
    expect(r.stderr).toContain("no provider installed for kms keys (install @sops-ts/aws-kms)")
  })
})
