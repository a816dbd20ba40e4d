import { chmodSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { decrypt, encrypt, parseEncrypted, type KeyService } from "@sops-ts/core"
import { rekey, type RekeyProgress } from "@sops-ts/rekey"
import { ageService, decryptText, fakeService, newAgeId, plainYaml, tempDir, vaultKey, writeEncrypted, type AgeId } from "./helpers.js"

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

const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p))
const meta = (p: string) => parseEncrypted(read(p), "yaml").metadata

async function repo(n: number, services: KeyService[] = [ageService(alice)]): Promise<string[]> {
  const files: string[] = []
  for (let i = 0; i < n; i++) {
    const p = join(dir, "secrets", `s${i}.yaml`)
    await writeEncrypted(p, i, [alice.key], services)
    files.push(p)
  }
  return files
}

describe("rekey add", () => {
  it("adds a recipient to every sops file, keeping values, MAC and lastmodified, and skips other files", async () => {
    const files = await repo(5)
    writeFileSync(join(dir, "secrets", "README.md"), "not a secret\n")
    writeFileSync(join(dir, "secrets", "plain.yaml"), "a: 1\n")
    const before = files.map((f) => meta(f))
    const progress: RekeyProgress[] = []
    const result = await rekey({
      files: [join(dir, "secrets")],
      operation: "add",
      addKeys: [bob.key],
      keyServices: [ageService(alice)],
      onProgress: (p) => progress.push(p),
      useGit: false,
    })
    expect(result.totals.updated).toBe(5)
    expect(result.totals["not-sops"]).toBe(2)
    expect(result.totals.failed).toBe(0)
    for (const [i, f] of files.entries()) {
      const m = meta(f)
      expect(m.keyGroups[0]!.map((k) => k.type === "age" && k.recipient)).toEqual([alice.recipient, bob.recipient])
      // Same data key: alice's wrapped key, the MAC and lastmodified are untouched.
      expect(m.keyGroups[0]![0]!.enc).toBe(before[i]!.keyGroups[0]![0]!.enc)
      expect(m.mac).toBe(before[i]!.mac)
      expect(m.lastModified).toBe(before[i]!.lastModified)
      expect(await decryptText(read(f), [ageService(bob)])).toBe(plainYaml(i))
    }
    expect(readFileSync(join(dir, "secrets", "plain.yaml"), "utf8")).toBe("a: 1\n")
    const out = result.files.find((f) => f.path.endsWith("s0.yaml"))!
    expect(out.added).toEqual([{ group: 0, type: "age", id: bob.recipient }])
    expect(out.hashAfter).not.toBe(out.hashBefore)
    // First call announces the run, then one call per file.
    expect(progress[0]).toMatchObject({ total: 7, done: 0 })
    expect(progress.at(-1)).toMatchObject({ total: 7, done: 7, failed: 0 })
    expect(progress.filter((p) => p.last).length).toBe(7)
  })

  it("re-keys JSON, dotenv, INI and binary-store files too", async () => {
    const plain: Record<string, string> = {
      "a.json": '{"k": "v", "n": 1}',
      "b.env": "K=v\nN=1\n",
      "c.ini": "[s]\nk = v\n",
      "d.txt": "raw bytes\n",
    }
    const fmt = { "a.json": "json", "b.env": "dotenv", "c.ini": "ini", "d.txt": "binary" } as const
    for (const [name, text] of Object.entries(plain)) {
      const f = fmt[name as keyof typeof fmt]
      writeFileSync(join(dir, name), await encrypt(text, { format: f, keys: [alice.key], keyServices: [ageService(alice)] }))
    }
    const r = await rekey({ files: [dir], operation: "add", addKeys: [bob.key], keyServices: [ageService(alice)], useGit: false })
    expect(r.totals.updated).toBe(4)
    for (const [name, text] of Object.entries(plain)) {
      const f = fmt[name as keyof typeof fmt]
      const out = new TextDecoder().decode(await decrypt(read(join(dir, name)), { format: f, keyServices: [ageService(bob)] }))
      expect(out.replace(/\s+/g, "")).toBe(text.replace(/\s+/g, ""))
    }
  })

  it("keeps the file mode and rewrites the target of a symbolic link, not the link", async () => {
    const [f] = await repo(1)
    chmodSync(f!, 0o640)
    const link = join(dir, "link.yaml")
    symlinkSync(f!, link)
    const r = await rekey({ files: [link], operation: "add", addKeys: [bob.key], keyServices: [ageService(alice)] })
    expect(r.files[0]).toMatchObject({ path: f, status: "updated" })
    expect(statSync(f!).mode & 0o777).toBe(0o640)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(meta(f!).keyGroups[0]!.length).toBe(2)
  })

  it("leaves a file that already has the key unchanged, byte for byte", async () => {
    const [f] = await repo(1)
    const bytes = read(f!)
    const result = await rekey({ files: [f!], operation: "add", addKeys: [alice.key], keyServices: [ageService(alice)] })
    expect(result.files[0]!.status).toBe("unchanged")
    expect(read(f!)).toEqual(bytes)
  })

  it("unwraps the data key once per file", async () => {
    const stats = { active: 0, maxActive: 0, calls: 0 }
    const kms = fakeService("kms", 0, stats)
    const p = join(dir, "one.yaml")
    await writeEncrypted(p, 1, [{ type: "kms", arn: "arn:aws:kms:us-east-1:111122223333:key/k", role: "", context: {}, awsProfile: "", createdAt: "2024-01-01T00:00:00Z", enc: "" }], [kms])
    stats.calls = 0
    await rekey({ files: [p], operation: "add", addKeys: [bob.key], keyServices: [kms, ageService()] })
    expect(stats.calls).toBe(1)
  })
})

describe("rekey --dry-run", () => {
  it("reports what would change and writes nothing", async () => {
    const files = await repo(3)
    const snap = files.map((f) => ({ bytes: read(f), mtime: statSync(f).mtimeMs }))
    const stats = { active: 0, maxActive: 0, calls: 0 }
    const result = await rekey({
      files: files,
      operation: "rotate",
      addKeys: [bob.key],
      keyServices: [fakeService("age", 0, stats)],
      dryRun: true,
      journal: join(dir, "journal.jsonl"),
    })
    expect(result.totals.planned).toBe(3)
    expect(result.files[0]).toMatchObject({ status: "planned", rotated: true, added: [{ group: 0, type: "age", id: bob.recipient }] })
    files.forEach((f, i) => {
      expect(read(f)).toEqual(snap[i]!.bytes)
      expect(statSync(f).mtimeMs).toBe(snap[i]!.mtime)
    })
    expect(stats.calls).toBe(0)
    expect(() => statSync(join(dir, "journal.jsonl"))).toThrow()
  })
})

describe("failures", () => {
  it("reports a corrupt file and re-keys the others", async () => {
    const files = await repo(4)
    const text = readFileSync(files[2]!, "utf8")
    // Flip one character inside the first encrypted value's ciphertext.
    const corrupt = text.replace(/ENC\[AES256_GCM,data:(.)/, (_m, c: string) => `ENC[AES256_GCM,data:${c === "A" ? "B" : "A"}`)
    writeFileSync(files[2]!, corrupt)
    const broken = join(dir, "secrets", "broken.yaml")
    writeFileSync(broken, "sops:\n    lastmodified: x\n  : bad: [\n")
    const result = await rekey({ files: [join(dir, "secrets")], operation: "add", addKeys: [bob.key], keyServices: [ageService(alice)], useGit: false })
    expect(result.totals.updated).toBe(3)
    expect(result.totals.failed).toBe(2)
    const bad = result.files.find((f) => f.path === files[2])!
    expect(bad.status).toBe("failed")
    expect(["ERR_DECRYPT_FAILED", "ERR_MAC_MISMATCH"]).toContain(bad.error!.code)
    expect(readFileSync(files[2]!, "utf8")).toBe(corrupt)
    expect(result.files.find((f) => f.path === broken)!.error!.code).toMatch(/^ERR_/)
  })

  it("reports a file whose data key cannot be recovered", async () => {
    const files = await repo(2)
    const result = await rekey({ files, operation: "add", addKeys: [bob.key], keyServices: [ageService(bob)] })
    expect(result.files.map((f) => f.error?.code)).toEqual(["ERR_NO_DATA_KEY", "ERR_NO_DATA_KEY"])
  })

  it("leaves a file alone when it is edited while its key is being fetched", async () => {
    const [f] = await repo(1)
    const real = ageService(alice)
    const edited = readFileSync(f!, "utf8") + "# edited meanwhile\n"
    const svc: KeyService = {
      ...real,
      decrypt: async (k, o) => {
        writeFileSync(f!, edited)
        return real.decrypt(k, o)
      },
    }
    const r = await rekey({ files: [f!], operation: "add", addKeys: [bob.key], keyServices: [svc] })
    expect(r.files[0]).toMatchObject({ status: "failed", error: { code: "ERR_IO" } })
    expect(r.files[0]!.error!.message).toContain("changed while")
    expect(readFileSync(f!, "utf8")).toBe(edited)
  })

  it("refuses to remove the last key of a group", async () => {
    const [f] = await repo(1)
    const result = await rekey({ files: [f!], operation: "remove", removeKeys: [alice.key], keyServices: [ageService(alice)] })
    expect(result.files[0]).toMatchObject({ status: "failed", error: { code: "ERR_KEY_GROUPS" } })
  })
})

describe("foreign key types", () => {
  async function withVault(): Promise<{ file: string; vaultBlock: string }> {
    const file = join(dir, "v.yaml")
    await writeEncrypted(file, 7, [alice.key, vaultKey()], [ageService(alice), fakeService("hc_vault")])
    const vaultBlock = /    hc_vault:\n(?:        .*\n)+/.exec(readFileSync(file, "utf8"))![0]
    return { file, vaultBlock }
  }

  it("keeps a key whose provider is not installed, byte for byte, in add and remove", async () => {
    const { file, vaultBlock } = await withVault()
    let r = await rekey({ files: [file], operation: "add", addKeys: [bob.key], keyServices: [ageService(alice)] })
    expect(r.files[0]!.status).toBe("updated")
    expect(readFileSync(file, "utf8")).toContain(vaultBlock)
    r = await rekey({ files: [file], operation: "remove", removeKeys: [alice.key], keyServices: [] })
    expect(r.files[0]!.status).toBe("updated")
    expect(readFileSync(file, "utf8")).toContain(vaultBlock)
    expect(await decryptText(read(file), [ageService(bob)])).toBe(plainYaml(7))
  })

  it("keeps it in updatekeys when the rule still lists it", async () => {
    const { file, vaultBlock } = await withVault()
    writeFileSync(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - age: ${alice.recipient},${bob.recipient}\n    hc_vault_transit_uri: https://vault.example.com:8200/v1/transit/keys/sops\n`,
    )
    const r = await rekey({ files: [file], operation: "updatekeys", keyServices: [ageService(alice)], cwd: dir })
    expect(r.files[0]).toMatchObject({ status: "updated", added: [{ type: "age", id: bob.recipient }], removed: [] })
    expect(readFileSync(file, "utf8")).toContain(vaultBlock)
  })

  it("fails rotate clearly instead of dropping the key, and leaves the file alone", async () => {
    const { file } = await withVault()
    const bytes = read(file)
    const r = await rekey({ files: [file], operation: "rotate", keyServices: [ageService(alice)] })
    expect(r.files[0]!.status).toBe("failed")
    expect(r.files[0]!.error!.code).toBe("ERR_KEY_WRAP")
    expect(r.files[0]!.error!.message).toContain("hc_vault")
    expect(read(file)).toEqual(bytes)
  })
})

describe("rotate, remove, migrate, updatekeys", () => {
  it("rotate replaces the data key and re-encrypts every value", async () => {
    const [f] = await repo(1)
    const before = readFileSync(f!, "utf8")
    const r = await rekey({ files: [f!], operation: "rotate", keyServices: [ageService(alice)] })
    expect(r.files[0]).toMatchObject({ status: "updated", rotated: true })
    const after = readFileSync(f!, "utf8")
    const encOf = (s: string) => /password: (ENC\[[^\]]+\])/.exec(s)![1]
    expect(encOf(after)).not.toBe(encOf(before))
    expect(await decryptText(read(f!), [ageService(alice)])).toBe(plainYaml(0))
  })

  it("remove with rotate drops the key and the old data key", async () => {
    const [f] = await repo(1)
    await rekey({ files: [f!], operation: "add", addKeys: [bob.key], keyServices: [ageService(alice)] })
    const oldMac = meta(f!).mac
    const r = await rekey({ files: [f!], operation: "remove", removeKeys: [bob.key], rotate: true, keyServices: [ageService(alice)] })
    expect(r.files[0]).toMatchObject({ status: "updated", rotated: true, removed: [{ type: "age", id: bob.recipient }] })
    expect(meta(f!).keyGroups[0]!.length).toBe(1)
    expect(meta(f!).mac).not.toBe(oldMac)
    await expect(decryptText(read(f!), [ageService(bob)])).rejects.toMatchObject({ code: "ERR_NO_DATA_KEY" })
  })

  it("migrate replaces every key of a type by the new keys, only in files that have one", async () => {
    const pgp = fakeService("pgp")
    const pgpKey = { type: "pgp" as const, fp: "85D77543B3D624B63CEA9E6DBC17301B491B3F21", createdAt: "2024-01-01T00:00:00Z", enc: "" }
    const a = join(dir, "a.yaml")
    const b = join(dir, "b.yaml")
    await writeEncrypted(a, 1, [pgpKey], [pgp])
    await writeEncrypted(b, 2, [alice.key], [ageService(alice)])
    const bBytes = read(b)
    const r = await rekey({ files: [a, b], operation: "migrate", migrate: { from: ["pgp"], to: [bob.key] }, keyServices: [pgp, ageService()] })
    expect(r.files.map((f) => f.status)).toEqual(["updated", "unchanged"])
    expect(meta(a).keyGroups).toEqual([[expect.objectContaining({ type: "age", recipient: bob.recipient })]])
    expect(await decryptText(read(a), [ageService(bob)])).toBe(plainYaml(1))
    expect(read(b)).toEqual(bBytes)
  })

  it("updatekeys follows .sops.yaml and reports the diff", async () => {
    const files = await repo(2)
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: s0\\.yaml$\n    age: ${bob.recipient}\n  - age: ${alice.recipient}\n`)
    const r = await rekey({ files: [join(dir, "secrets")], operation: "updatekeys", keyServices: [ageService(alice)], cwd: dir, useGit: false })
    expect(r.files.map((f) => f.status)).toEqual(["updated", "unchanged"])
    expect(r.files[0]).toMatchObject({ added: [{ id: bob.recipient }], removed: [{ id: alice.recipient }] })
    expect(await decryptText(read(files[0]!), [ageService(bob)])).toBe(plainYaml(0))
  })

  it("updatekeys without a .sops.yaml is an error before any file is touched", async () => {
    const files = await repo(1)
    await expect(rekey({ files, operation: "updatekeys", keyServices: [ageService(alice)], cwd: dir })).rejects.toMatchObject({ code: "ERR_CONFIG" })
  })

  it("adds a key to a Shamir group without touching the other group's share", async () => {
    const carol = await newAgeId()
    const f = join(dir, "shamir.yaml")
    await writeEncrypted(f, 3, [], [ageService(alice, bob)], [[alice.key], [bob.key]])
    const before = meta(f)
    const r = await rekey({ files: [f], operation: "add", addKeys: [carol.key], keyServices: [ageService(alice, bob)] })
    expect(r.files[0]!.status).toBe("updated")
    const after = meta(f)
    expect(after.keyGroups[1]![0]!.enc).toBe(before.keyGroups[1]![0]!.enc)
    expect(await decryptText(read(f), [ageService(carol, bob)])).toBe(plainYaml(3))
  })
})

describe("journal and stopping", () => {
  it("a rerun with the journal skips files already done (rotate is not repeated)", async () => {
    const files = await repo(4)
    const journal = join(dir, "j.jsonl")
    const first = await rekey({ files, operation: "rotate", keyServices: [ageService(alice)], journal })
    expect(first.totals.updated).toBe(4)
    const after = files.map(read)
    const second = await rekey({ files, operation: "rotate", keyServices: [ageService(alice)], journal })
    expect(second.totals["done-earlier"]).toBe(4)
    files.forEach((f, i) => expect(read(f)).toEqual(after[i]))
    // A different job does not reuse the journal's entries.
    const third = await rekey({ files, operation: "add", addKeys: [bob.key], keyServices: [ageService(alice)], journal })
    expect(third.totals.updated).toBe(4)
  })

  it("a journal of updatekeys is not reused after .sops.yaml changes", async () => {
    const files = await repo(2)
    const journal = join(dir, "j.jsonl")
    const cfg = join(dir, ".sops.yaml")
    writeFileSync(cfg, `creation_rules:\n  - age: ${alice.recipient}\n`)
    const opts = { files, operation: "updatekeys" as const, keyServices: [ageService(alice)], journal, cwd: dir }
    expect((await rekey(opts)).totals.unchanged).toBe(2)
    expect((await rekey(opts)).totals["done-earlier"]).toBe(2)
    writeFileSync(cfg, `creation_rules:\n  - age: ${alice.recipient},${bob.recipient}\n`)
    expect((await rekey(opts)).totals.updated).toBe(2)
  })

  it("stops scheduling on abort; files in flight finish and the rest are cancelled", async () => {
    const files = await repo(12)
    const controller = new AbortController()
    const slow = fakeService("age", 20)
    const real = ageService(alice)
    // Unwrap with the real service but slowly, so the abort lands mid-run.
    const svc: KeyService = { ...real, name: "slow-age", decrypt: async (k, o) => (await slow.decrypt({ ...k, enc: "x" }), real.decrypt(k, o)) }
    const r = await rekey({
      files,
      operation: "add",
      addKeys: [bob.key],
      keyServices: [svc],
      concurrency: 3,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 2) controller.abort()
      },
    })
    expect(r.interrupted).toBe(true)
    expect(r.totals.cancelled).toBeGreaterThan(0)
    expect(r.totals.updated + r.totals.cancelled).toBe(12)
    // Everything reported updated really is; nothing is half-written.
    for (const o of r.files) {
      const keys = meta(o.path).keyGroups[0]!.length
      expect(keys).toBe(o.status === "updated" ? 2 : 1)
    }
  })
})

describe("limits", () => {
  it("honours the per-provider limit across files", async () => {
    const stats = { active: 0, maxActive: 0, calls: 0 }
    const kms = fakeService("kms", 15, stats)
    const kmsKey = { type: "kms" as const, arn: "arn:aws:kms:us-east-1:111122223333:key/k", role: "", context: {}, awsProfile: "", createdAt: "2024-01-01T00:00:00Z", enc: "" }
    const files: string[] = []
    for (let i = 0; i < 20; i++) {
      const p = join(dir, `k${i}.yaml`)
      await writeEncrypted(p, i, [kmsKey], [kms])
      files.push(p)
    }
    stats.maxActive = 0
    const r = await rekey({ files, operation: "add", addKeys: [bob.key], keyServices: [kms, ageService()], concurrency: 16, providerLimits: { kms: 3 } })
    expect(r.totals.updated).toBe(20)
    expect(stats.maxActive).toBe(3)
  })
})

describe("event log", () => {
  it("reports one event per re-keyed file to the core's listeners, none for a dry run", async () => {
    const { onSopsEvent } = await import("@sops-ts/core")
    const { generateAgeIdentity, ageKeyService } = await import("@sops-ts/age")
    const { mkdtemp, writeFile } = await import("node:fs/promises")
    const { tmpdir } = await import("node:os")
    const run = rekey
    const a = await generateAgeIdentity()
    const b = await generateAgeIdentity()
    const svc = [ageKeyService({ identities: [a.identity] })]
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-rekey-events-"))
    for (const n of ["one", "two"]) {
      await writeFile(join(dir, `${n}.enc.yaml`), await encrypt(`k: ${n}\n`, { format: "yaml", keys: [{ type: "age", recipient: a.recipient, enc: "" }], keyServices: svc }))
    }
    const events: { operation: string; outcome: string; file: string | null }[] = []
    const off = onSopsEvent((e) => events.push(e))
    try {
      const add = { files: [dir], operation: "add" as const, addKeys: [{ type: "age" as const, recipient: b.recipient, enc: "" }], keyServices: svc }
      await run({ ...add, dryRun: true })
      expect(events.filter((e) => e.operation === "rekey")).toHaveLength(0)
      await run(add)
    } finally {
      off()
    }
    const rekeyed = events.filter((e) => e.operation === "rekey")
    expect(rekeyed.map((e) => e.outcome)).toEqual(["success", "success"])
    expect(rekeyed.map((e) => e.file?.endsWith(".enc.yaml"))).toEqual([true, true])
  })
})
