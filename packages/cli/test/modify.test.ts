import { readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageKeyPair, run, tempDir } from "./helpers.js"

let dir: string
let cleanup: () => void
let kp: { identity: string; recipient: string }
let kp2: { identity: string; recipient: string }
const both = (): Record<string, string> => ({ SOPS_AGE_KEY: `${kp.identity}\n${kp2.identity}` })
const read = (name: string): string => readFileSync(join(dir, name), "utf8")

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  kp = await ageKeyPair()
  kp2 = await ageKeyPair()
})
afterAll(() => cleanup())

async function makeEncrypted(name: string, plain: string): Promise<void> {
  writeFileSync(join(dir, name), plain)
  const r = await run(["encrypt", "-i", "--age", kp.recipient, name], { cwd: dir })
  expect(r.code, r.stderr).toBe(0)
}

async function decrypted(name: string, env = both()): Promise<string> {
  const r = await run(["decrypt", name], { cwd: dir, env })
  expect(r.code, r.stderr).toBe(0)
  return r.out
}

const encOf = (text: string, key: string): string => new RegExp(`^${key}: (ENC\\[.*\\])$`, "m").exec(text)?.[1] ?? ""

describe("rotate", () => {
  it("re-encrypts every value with a new data key and adds/removes age keys", async () => {
    await makeEncrypted("rot.yaml", "a: b\n")
    const before = read("rot.yaml")
    const add = await run(["rotate", "-i", "--add-age", kp2.recipient, "rot.yaml"], { cwd: dir, env: both() })
    expect(add.code, add.stderr).toBe(0)
    const after = read("rot.yaml")
    expect(encOf(after, "a")).not.toBe(encOf(before, "a"))
    expect(after).toContain(kp2.recipient)
    expect(await decrypted("rot.yaml", { SOPS_AGE_KEY: kp2.identity })).toBe("a: b\n")
    const rm = await run(["rotate", "-i", "--rm-age", kp.recipient, "rot.yaml"], { cwd: dir, env: both() })
    expect(rm.code).toBe(0)
    expect(read("rot.yaml")).not.toContain(kp.recipient)
    const denied = await run(["decrypt", "rot.yaml"], { cwd: dir, env: { SOPS_AGE_KEY: kp.identity } })
    expect(denied.code).toBe(128)
  })

  it("prints to stdout without -i; 49 for --add-* on a missing file", async () => {
    await makeEncrypted("rot2.yaml", "a: b\n")
    const r = await run(["rotate", "rot2.yaml"], { cwd: dir, env: both() })
    expect(r.code).toBe(0)
    expect(r.out).toContain("sops:")
    expect((await run(["rotate", "--add-age", kp2.recipient, "gone.yaml"], { cwd: dir })).code).toBe(49)
    expect((await run(["rotate", "gone.yaml"], { cwd: dir })).code).toBe(100)
  })
})

describe("set", () => {
  it("sets JSON values: numbers become floats, objects keep order, unchanged values keep their ciphertext", async () => {
    await makeEncrypted("set.yaml", "keep: same\nx: 1\n")
    const keep = encOf(read("set.yaml"), "keep")
    expect((await run(["set", "set.yaml", '["x"]', "2"], { cwd: dir, env: both() })).code).toBe(0)
    expect(read("set.yaml")).toMatch(/^x: ENC\[.*type:float\]$/m)
    expect(encOf(read("set.yaml"), "keep")).toBe(keep)
    expect((await run(["set", "set.yaml", '["obj"]', '{"b": 1, "a": "s"}'], { cwd: dir, env: both() })).code).toBe(0)
    expect((await run(["set", "set.yaml", '["nothing"]', "null"], { cwd: dir, env: both() })).code).toBe(0)
    expect(await decrypted("set.yaml")).toBe("keep: same\nx: 2\nobj:\n    b: 1\n    a: s\nnothing: null\n")
  })

  it("rejects arrays, bad JSON and bad paths with exit 7; wrong arity with 100", async () => {
    await makeEncrypted("set2.yaml", "a: b\n")
    expect((await run(["set", "set2.yaml", '["a"]', "[1,2]"], { cwd: dir, env: both() })).code).toBe(7)
    expect((await run(["set", "set2.yaml", '["a"]', "{bad"], { cwd: dir, env: both() })).code).toBe(7)
    expect((await run(["set", "set2.yaml", "a", '"v"'], { cwd: dir, env: both() })).code).toBe(7)
    expect((await run(["set", "set2.yaml", '["a"]'], { cwd: dir, env: both() })).code).toBe(100)
  })

  it("reads the value from stdin or a file; --idempotent leaves an unchanged file alone", async () => {
    await makeEncrypted("set3.yaml", "a: b\n")
    expect((await run(["set", "--value-stdin", "set3.yaml", '["a"]'], { cwd: dir, env: both(), stdin: '"from-stdin"' })).code).toBe(0)
    writeFileSync(join(dir, "value.json"), '"from-file"')
    expect((await run(["set", "--value-file", "set3.yaml", '["c"]', "value.json"], { cwd: dir, env: both() })).code).toBe(0)
    expect(await decrypted("set3.yaml")).toBe("a: from-stdin\nc: from-file\n")
    // The file is replaced by rename when written, so its inode tells whether it was.
    const ino = statSync(join(dir, "set3.yaml")).ino
    expect((await run(["set", "--idempotent", "set3.yaml", '["a"]', '"from-stdin"'], { cwd: dir, env: both() })).code).toBe(0)
    expect(statSync(join(dir, "set3.yaml")).ino).toBe(ino)
    expect((await run(["set", "set3.yaml", '["a"]', '"from-stdin"'], { cwd: dir, env: both() })).code).toBe(0)
    expect(statSync(join(dir, "set3.yaml")).ino).not.toBe(ino)
  })

  it("supports the legacy --set form", async () => {
    await makeEncrypted("set4.yaml", "a: b\n")
    const r = await run(["--set", '["a"] "z"', "set4.yaml"], { cwd: dir, env: both() })
    expect(r.code, r.stderr).toBe(0)
    expect(await decrypted("set4.yaml")).toBe("a: z\n")
    expect((await run(["--set", "nospace", "set4.yaml"], { cwd: dir, env: both() })).code).toBe(7)
  })
})

describe("unset", () => {
  it("removes a key; a missing key fails unless --idempotent", async () => {
    await makeEncrypted("unset.yaml", "a: b\nc: d\n")
    expect((await run(["unset", "unset.yaml", '["a"]'], { cwd: dir, env: both() })).code).toBe(0)
    expect(await decrypted("unset.yaml")).toBe("c: d\n")
    expect((await run(["unset", "unset.yaml", '["a"]'], { cwd: dir, env: both() })).code).toBe(1)
    const ino = statSync(join(dir, "unset.yaml")).ino
    expect((await run(["unset", "--idempotent", "unset.yaml", '["a"]'], { cwd: dir, env: both() })).code).toBe(0)
    expect(statSync(join(dir, "unset.yaml")).ino).toBe(ino)
    expect((await run(["unset", "unset.yaml"], { cwd: dir })).code).toBe(100)
    expect((await run(["unset", "unset.yaml", "bad"], { cwd: dir })).code).toBe(7)
  })
})

describe("filestatus", () => {
  it("reports encrypted and plain files", async () => {
    await makeEncrypted("fs.yaml", "a: b\n")
    writeFileSync(join(dir, "plain.yaml"), "a: b\n")
    expect((await run(["filestatus", "fs.yaml"], { cwd: dir })).out).toBe('{"encrypted":true}\n')
    expect((await run(["filestatus", "plain.yaml"], { cwd: dir })).out).toBe('{"encrypted":false}\n')
    expect((await run(["filestatus", "missing.yaml"], { cwd: dir })).code).toBe(1)
    expect((await run(["filestatus"], { cwd: dir })).code).toBe(100)
  })
})

describe("updatekeys", () => {
  it("replaces the keys with the creation rule's, keeping values and MAC", async () => {
    const { dir: d, cleanup: c } = tempDir()
    try {
      writeFileSync(join(d, "u.yaml"), "a: b\n")
      expect((await run(["encrypt", "-i", "--age", kp.recipient, "u.yaml"], { cwd: d })).code).toBe(0)
      const before = readFileSync(join(d, "u.yaml"), "utf8")
      writeFileSync(join(d, ".sops.yaml"), `creation_rules:\n  - age: ${kp2.recipient}\n`)
      const r = await run(["updatekeys", "-y", "u.yaml"], { cwd: d, env: both() })
      expect(r.code, r.stderr).toBe(0)
      expect(r.out).toContain(`+++ ${kp2.recipient}`)
      expect(r.out).toContain(`--- ${kp.recipient}`)
      const after = readFileSync(join(d, "u.yaml"), "utf8")
      expect(encOf(after, "a")).toBe(encOf(before, "a"))
      expect(after).not.toContain(kp.recipient)
      const again = await run(["updatekeys", "-y", "u.yaml"], { cwd: d, env: both() })
      expect(again.stderr).toContain("already up to date")
      const dec = await run(["decrypt", "u.yaml"], { cwd: d, env: { SOPS_AGE_KEY: kp2.identity } })
      expect(dec.out).toBe("a: b\n")
    } finally {
      c()
    }
  })

  it("asks before changing and leaves the file alone on 'n'", async () => {
    const { dir: d, cleanup: c } = tempDir()
    try {
      writeFileSync(join(d, "u.yaml"), "a: b\n")
      await run(["encrypt", "-i", "--age", kp.recipient, "u.yaml"], { cwd: d })
      const before = readFileSync(join(d, "u.yaml"), "utf8")
      writeFileSync(join(d, ".sops.yaml"), `creation_rules:\n  - age: ${kp2.recipient}\n`)
      const r = await run(["updatekeys", "u.yaml"], { cwd: d, env: both(), stdin: "n\n" })
      expect(r.code).toBe(0)
      expect(r.out).toContain("Is this okay? (y/n)")
      expect(readFileSync(join(d, "u.yaml"), "utf8")).toBe(before)
      expect((await run(["updatekeys", "u.yaml"], { cwd: join(d, "..") })).code).not.toBe(0)
    } finally {
      c()
    }
  })
})

describe("groups", () => {
  it("adds a group (Shamir) and deletes it again", async () => {
    await makeEncrypted("g.yaml", "a: b\n")
    const add = await run(["groups", "add", "--file", "g.yaml", "-i", "--age", kp2.recipient], { cwd: dir, env: both() })
    expect(add.code, add.stderr).toBe(0)
    const two = read("g.yaml")
    expect(two).toContain("key_groups:")
    // Two groups, threshold defaults to 2: one key alone is not enough.
    expect(await decrypted("g.yaml", both())).toBe("a: b\n")
    expect((await run(["decrypt", "g.yaml"], { cwd: dir, env: { SOPS_AGE_KEY: kp.identity } })).code).toBe(128)
    // Deleting a group below the threshold is refused.
    expect((await run(["groups", "delete", "--file", "g.yaml", "-i", "1"], { cwd: dir, env: both() })).code).toBe(1)
    const del = await run(["groups", "delete", "--file", "g.yaml", "-i", "--shamir-secret-sharing-threshold", "1", "1"], { cwd: dir, env: both() })
    expect(del.code, del.stderr).toBe(0)
    expect(read("g.yaml")).not.toContain(kp2.recipient)
    expect(await decrypted("g.yaml", { SOPS_AGE_KEY: kp.identity })).toBe("a: b\n")
    expect((await run(["groups", "delete", "--file", "g.yaml"], { cwd: dir, env: both() })).code).toBe(1)
  })
})
