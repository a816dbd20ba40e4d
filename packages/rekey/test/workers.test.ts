import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { parseEncrypted } from "@sops-ts/core"
import { rekey as rekeyInProcess } from "@sops-ts/rekey"
import { ageService, decryptText, newAgeId, tempDir, writeEncrypted, type AgeId } from "./helpers.js"

// Worker threads run plain Node, so they load the built package (dist), not these sources.
const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url))
const built = existsSync(fileURLToPath(new URL("../dist/worker.js", import.meta.url)))
if (!built) console.warn("workers.test: packages/rekey/dist is not built (npx tsc -b packages/rekey); skipping")
const servicesModule = fileURLToPath(new URL("./fixtures/worker-key-services.mjs", import.meta.url))

let dir: string
let cleanup: () => void
let alice: AgeId
let bob: AgeId
beforeEach(async () => {
  ;({ dir, cleanup } = tempDir())
  alice = await newAgeId()
  bob = await newAgeId()
})
afterEach(() => cleanup())

async function repo(n: number): Promise<string[]> {
  const files: string[] = []
  for (let i = 0; i < n; i++) {
    const p = join(dir, "secrets", `s${i}.yaml`)
    await writeEncrypted(p, i, [alice.key], [ageService(alice)])
    files.push(p)
  }
  return files
}

describe.skipIf(!built)("rekey on worker threads", () => {
  it("re-keys every file like the in-process run, journal included, and the new key opens them", async () => {
    const { rekey } = (await import(dist)) as { rekey: typeof rekeyInProcess }
    const files = await repo(12)
    const result = await rekey({
      files: [dir],
      operation: "add",
      addKeys: [bob.key],
      cwd: dir,
      useGit: false,
      workers: 2,
      concurrency: 4,
      keyServicesModule: servicesModule,
      keyServicesOptions: { identities: [alice.identity] },
      journal: "j.jsonl",
    })
    expect(result.totals.updated).toBe(12)
    expect(result.files.map((f) => f.path)).toEqual([...files].sort())
    for (let i = 0; i < files.length; i++) {
      const m = parseEncrypted(new Uint8Array(readFileSync(files[i]!)), "yaml").metadata
      expect(m.keyGroups[0]!.map((k) => (k.type === "age" ? k.recipient : ""))).toEqual([alice.recipient, bob.recipient])
      expect(await decryptText(new Uint8Array(readFileSync(files[i]!)), [ageService(bob)])).toContain(`secret-${i}\n`)
    }
    const journal = readFileSync(join(dir, "j.jsonl"), "utf8").trim().split("\n")
    expect(journal.filter((l) => JSON.parse(l).state === "done")).toHaveLength(12)
    // The rerun sees every file as done through the journal the workers wrote to.
    const again = await rekey({
      files: [dir],
      operation: "add",
      addKeys: [bob.key],
      cwd: dir,
      useGit: false,
      workers: 2,
      keyServicesModule: servicesModule,
      keyServicesOptions: { identities: [alice.identity] },
      journal: "j.jsonl",
    })
    expect(again.totals["done-earlier"]).toBe(12)
  })

  it("reports per-file failures from workers as outcomes", async () => {
    const { rekey } = (await import(dist)) as { rekey: typeof rekeyInProcess }
    await repo(3)
    const carol = await newAgeId()
    const result = await rekey({
      files: [dir],
      operation: "add",
      addKeys: [bob.key],
      cwd: dir,
      useGit: false,
      workers: 1,
      keyServicesModule: servicesModule,
      keyServicesOptions: { identities: [carol.identity] },
    })
    expect(result.totals.failed).toBe(3)
    expect(result.files[0]!.error?.code).toBe("ERR_NO_DATA_KEY")
  })

  it("throws before touching any file when the key-services module fails", async () => {
    const { rekey } = (await import(dist)) as { rekey: typeof rekeyInProcess }
    const files = await repo(2)
    const before = files.map((f) => readFileSync(f, "utf8"))
    await expect(
      rekey({ files: [dir], operation: "add", addKeys: [bob.key], cwd: dir, useGit: false, workers: 2, keyServicesModule: servicesModule, keyServicesOptions: { fail: true } }),
    ).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: expect.stringContaining("factory refused") })
    expect(files.map((f) => readFileSync(f, "utf8"))).toEqual(before)
  })
})

describe("worker options", () => {
  it("are validated", async () => {
    const base = { files: [dir], operation: "add" as const, addKeys: [bob.key], cwd: dir }
    await expect(rekeyInProcess({ ...base, workers: 2 })).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" })
    await expect(rekeyInProcess({ ...base, workers: -1, keyServicesModule: servicesModule })).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" })
    await expect(
      rekeyInProcess({ ...base, workers: 2, keyServicesModule: servicesModule, keyServices: [ageService(alice)] }),
    ).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" })
  })
})
