/**
 * The library API as the three kinds of users call it: decrypt at startup, encrypt with keys
 * passed in, and modify files (rotate, keys, set/unset, extract).
 */
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import {
  decrypt,
  decryptToObject,
  decryptToText,
  encrypt,
  loadSecrets,
  loadSecretsIntoEnv,
  onSopsEvent,
  parseEncrypted,
  registerKeyService,
  rotate,
  setValue,
  unsetValue,
  updateKeys,
  type AgeMasterKey,
  type KeyService,
  type MasterKey,
  type SopsEvent,
} from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"

type Id = { identity: string; recipient: string }
let a: Id, b: Id, c: Id
const svc = (...ids: Id[]): KeyService[] => [ageKeyService({ identities: ids.map((i) => i.identity) })]
const key = (id: Id): AgeMasterKey => ({ type: "age", recipient: id.recipient, enc: "" })
const text = (u: Uint8Array): string => Buffer.from(u).toString()
const PLAIN = "db:\n    password: pw\n    port: 5432\nlist:\n    - one\n    - two\n"

beforeAll(async () => {
  ;[a, b, c] = await Promise.all([generateAgeIdentity(), generateAgeIdentity(), generateAgeIdentity()])
})

describe("encrypt and decrypt", () => {
  it("encrypts to several recipients; each opens it alone", async () => {
    const enc = await encrypt(PLAIN, { format: "yaml", keys: [key(a), key(b)], keyServices: svc() })
    expect(await decryptToText(enc, { format: "yaml", keyServices: svc(a) })).toBe(PLAIN)
    expect(await decryptToText(enc, { format: "yaml", keyServices: svc(b) })).toBe(PLAIN)
    await expect(decrypt(enc, { format: "yaml", keyServices: svc(c) })).rejects.toMatchObject({ code: "ERR_NO_DATA_KEY" })
  })

  it("converts between formats and extracts a value by path", async () => {
    const enc = await encrypt(PLAIN, { format: "yaml", keys: [key(a)], keyServices: svc() })
    const json = text(await decrypt(enc, { format: "yaml", outputFormat: "json", keyServices: svc(a) }))
    expect(JSON.parse(json)).toEqual({ db: { password: "pw", port: 5432 }, list: ["one", "two"] })
    expect(text(await decrypt(enc, { format: "yaml", extract: ["db", "password"], keyServices: svc(a) }))).toBe("pw")
    expect(text(await decrypt(enc, { format: "yaml", extract: ["list", 1], keyServices: svc(a) }))).toBe("two")
    await expect(decrypt(enc, { format: "yaml", extract: ["nope"], keyServices: svc(a) })).rejects.toMatchObject({ code: "ERR_PATH_NOT_FOUND" })
  })

  it("returns plain objects with numbers and nested values", async () => {
    const enc = await encrypt(PLAIN, { format: "yaml", keys: [key(a)], keyServices: svc() })
    expect(await decryptToObject(enc, { format: "yaml", keyServices: svc(a) })).toEqual({
      db: { password: "pw", port: 5432 },
      list: ["one", "two"],
    })
  })

  it("uses key groups with a Shamir threshold", async () => {
    const enc = await encrypt(PLAIN, { format: "yaml", keyGroups: [[key(a)], [key(b)], [key(c)]], shamirThreshold: 2, keyServices: svc() })
    expect(text(enc)).toContain("shamir_threshold: 2")
    expect(text(enc)).toContain("key_groups:")
    expect(await decryptToText(enc, { format: "yaml", keyServices: svc(a, c) })).toBe(PLAIN)
    const err = await decrypt(enc, { format: "yaml", keyServices: svc(b) }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_NO_DATA_KEY" })
    expect((err as Error).message).toContain("1 of 2 required key groups")
  })

  it("refuses empty key groups, a threshold above the group count, and files already encrypted", async () => {
    await expect(encrypt(PLAIN, { format: "yaml", keyGroups: [[]], keyServices: svc() })).rejects.toMatchObject({ code: "ERR_KEY_GROUPS" })
    await expect(
      encrypt(PLAIN, { format: "yaml", keyGroups: [[key(a)], [key(b)]], shamirThreshold: 3, keyServices: svc() }),
    ).rejects.toMatchObject({ code: "ERR_KEY_GROUPS" })
    const enc = await encrypt(PLAIN, { format: "yaml", keys: [key(a)], keyServices: svc() })
    await expect(encrypt(enc, { format: "yaml", keys: [key(a)], keyServices: svc() })).rejects.toMatchObject({ code: "ERR_ALREADY_ENCRYPTED" })
    await expect(encrypt("", { format: "yaml", keys: [key(a)], keyServices: svc() })).rejects.toMatchObject({ code: "ERR_NO_DOCUMENT" })
  })

  it("uses services registered once at startup", async () => {
    const enc = await encrypt(PLAIN, { format: "yaml", keys: [key(a)], keyServices: svc() })
    const unregister = registerKeyService(svc(a)[0]!)
    try {
      expect(await decryptToText(enc, { format: "yaml" })).toBe(PLAIN)
    } finally {
      unregister()
    }
  })
})

describe("modifying files", () => {
  it("rotate: new data key, every value re-encrypted, keys added and removed", async () => {
    const enc = await encrypt(PLAIN, { format: "yaml", keys: [key(a), key(b)], keyServices: svc() })
    const rotated = await rotate(enc, { format: "yaml", keyServices: svc(a), addKeys: [key(c)], removeKeys: [key(b)] })
    const before = /password: (ENC\[[^\n]+\])/.exec(text(enc))![1]
    expect(text(rotated)).not.toContain(before)
    expect(await decryptToText(rotated, { format: "yaml", keyServices: svc(c) })).toBe(PLAIN)
    await expect(decrypt(rotated, { format: "yaml", keyServices: svc(b) })).rejects.toMatchObject({ code: "ERR_NO_DATA_KEY" })
  })

  it("updateKeys: same data key and values, only the key list changes", async () => {
    const enc = await encrypt(PLAIN, { format: "yaml", keys: [key(a)], keyServices: svc() })
    const { output, changed, diff } = await updateKeys(enc, { format: "yaml", keyGroups: [[key(a), key(b)]], keyServices: svc(a) })
    expect(changed).toBe(true)
    expect(diff[0]!.added).toEqual([`age ${b.recipient}`])
    const values = (s: string) => s.split("\nsops:")[0]
    expect(values(text(output))).toBe(values(text(enc)))
    expect(await decryptToText(output, { format: "yaml", keyServices: svc(b) })).toBe(PLAIN)
    const again = await updateKeys(output, { format: "yaml", keyGroups: [[key(a), key(b)]], keyServices: svc(a) })
    expect(again.changed).toBe(false)
  })

  it("keeps a master key whose provider is not installed, byte for byte", async () => {
    const vault: MasterKey = {
      type: "hc_vault",
      vaultAddress: "https://vault.example.com:8200",
      enginePath: "transit",
      keyName: "team",
      createdAt: "2024-01-01T00:00:00Z",
      enc: "vault:v1:opaque-ciphertext",
    }
    const enc = await encrypt(PLAIN, { format: "yaml", keys: [key(a)], keyServices: svc() })
    // Add a foreign key by hand, as a teammate with Vault would have.
    const doc = text(enc).replace(
      "    lastmodified:",
      "    hc_vault:\n        - created_at: \"2024-01-01T00:00:00Z\"\n          enc: vault:v1:opaque-ciphertext\n          engine_path: transit\n          key_name: team\n          vault_address: https://vault.example.com:8200\n    lastmodified:",
    )
    const block = /    hc_vault:\n(?: {8}.*\n)+/.exec(doc)![0]
    const { output } = await updateKeys(doc, { format: "yaml", keyGroups: [[key(a), vault, key(b)]], keyServices: svc(a) })
    expect(text(output)).toContain(block)
    const set = await setValue(output, ["db", "password"], "new", { format: "yaml", keyServices: svc(b) })
    expect(text(set.output)).toContain(block)
  })

  it("set and unset keep the IVs of unchanged values (minimal diffs)", async () => {
    const enc = text(await encrypt(PLAIN, { format: "yaml", keys: [key(a)], keyServices: svc() }))
    const { output, changed } = await setValue(enc, ["db", "password"], "rotated-pw", { format: "yaml", keyServices: svc(a) })
    expect(changed).toBe(true)
    const port = /port: (ENC\[[^\n]+\])/.exec(enc)![1]!
    expect(text(output)).toContain(port)
    expect(await decryptToObject(output, { format: "yaml", keyServices: svc(a) })).toMatchObject({ db: { password: "rotated-pw" } })
    const same = await setValue(output, ["db", "password"], "rotated-pw", { format: "yaml", keyServices: svc(a) })
    expect(same.changed).toBe(false)
    const unset = await unsetValue(output, ["list", 0], { format: "yaml", keyServices: svc(a) })
    expect(await decryptToObject(unset.output, { format: "yaml", keyServices: svc(a) })).toMatchObject({ list: ["two"] })
    await expect(unsetValue(output, ["missing"], { format: "yaml", keyServices: svc(a) })).rejects.toMatchObject({ code: "ERR_PATH_NOT_FOUND" })
  })
})

describe("startup helpers and events", () => {
  it("loads a typed object and flat values into an environment", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-api-"))
    const file = join(dir, "app.enc.env")
    await writeFile(file, await encrypt("API_KEY=abc\nPORT=8080\n", { format: "dotenv", keys: [key(a)], keyServices: svc() }))
    const env: Record<string, string | undefined> = { PORT: "1" }
    const vars = await loadSecretsIntoEnv(file, { keyServices: svc(a), target: env })
    expect(vars).toEqual({ API_KEY: "abc", PORT: "8080" })
    expect(env).toEqual({ API_KEY: "abc", PORT: "1" })
    const typed = await loadSecrets(file, {
      keyServices: svc(a),
      validate: (v) => {
        const o = v as { API_KEY?: unknown }
        if (typeof o.API_KEY !== "string") throw new Error("API_KEY")
        return { apiKey: o.API_KEY }
      },
    })
    expect(typed).toEqual({ apiKey: "abc" })
  })

  it("emits an event per decrypt with the keys tried, never a value", async () => {
    // A secret no bech32 recipient, timestamp or path can contain by chance ("pw" could:
    // recipients are random lowercase alphanumerics).
    const secret = "Sup3r-S3cret!"
    const enc = await encrypt(PLAIN.replace("pw", secret), { format: "yaml", keys: [key(c), key(a)], keyServices: svc() })
    const events: SopsEvent[] = []
    const off = onSopsEvent((e) => events.push(e))
    try {
      await decrypt(enc, { format: "yaml", keyServices: svc(a), fileName: "x.enc.yaml" })
      await decrypt(enc, { format: "yaml", keyServices: svc(b) }).catch(() => undefined)
    } finally {
      off()
    }
    const decrypts = events.filter((e) => e.operation === "decrypt")
    expect(decrypts.map((e) => e.outcome)).toEqual(["success", "failure"])
    expect(decrypts[0]!.keyUsed).toBe(`age ${a.recipient}`)
    expect(decrypts[0]!.keysTried).toContain(`age ${c.recipient}`)
    expect(decrypts[1]!.errorCode).toBe("ERR_NO_DATA_KEY")
    expect(JSON.stringify(events)).not.toContain(secret)
  })

  it("parses without keys (inventory use)", async () => {
    const enc = await encrypt(PLAIN, { format: "yaml", keys: [key(a)], keyServices: svc() })
    const doc = parseEncrypted(enc, "yaml")
    expect(doc.metadata.keyGroups[0]![0]).toMatchObject({ type: "age", recipient: a.recipient })
    expect(doc.metadata.version).toBe("3.13.2")
  })
})
