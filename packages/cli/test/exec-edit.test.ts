import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageKeyPair, run, tempDir } from "./helpers.js"

let dir: string
let cleanup: () => void
let kp: { identity: string; recipient: string }
const key = (): Record<string, string> => ({ SOPS_AGE_KEY: kp.identity })
const read = (name: string): string => readFileSync(join(dir, name), "utf8")

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  kp = await ageKeyPair()
})
afterAll(() => cleanup())

async function makeEncrypted(name: string, plain: string): Promise<void> {
  writeFileSync(join(dir, name), plain)
  const r = await run(["encrypt", "-i", "--age", kp.recipient, name], { cwd: dir })
  expect(r.code, r.stderr).toBe(0)
}

describe("exec-env", () => {
  it("gives the child the decrypted values in its environment and passes its exit status through", async () => {
    await makeEncrypted("env.yaml", "SECRET: s3cret\nNUM: 42\n")
    const r = await run(["exec-env", "env.yaml", 'echo "$SECRET-$NUM-$OUTER"'], { cwd: dir, env: { ...key(), OUTER: "o" } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.out).toBe("s3cret-42-o\n")
    const pristine = await run(["exec-env", "--pristine", "env.yaml", 'echo "$SECRET-${OUTER:-none}"'], { cwd: dir, env: { ...key(), OUTER: "o" } })
    expect(pristine.out).toBe("s3cret-none\n")
    const status = await run(["exec-env", "env.yaml", "exit 7"], { cwd: dir, env: key() })
    expect(status.code).toBe(7)
    expect(status.stderr).toBe("")
  })

  it("refuses nested values and needs exactly two arguments", async () => {
    await makeEncrypted("nested.yaml", "a:\n    b: c\n")
    expect((await run(["exec-env", "nested.yaml", "true"], { cwd: dir, env: key() })).code).toBe(1)
    expect((await run(["exec-env", "nested.yaml"], { cwd: dir, env: key() })).code).toBe(1)
  })
})

describe("exec-file", () => {
  it("substitutes {} with a FIFO holding the plaintext, removed afterwards", async () => {
    await makeEncrypted("file.yaml", "a: b\n")
    const r = await run(["exec-file", "file.yaml", 'cat {}; echo "path={}"'], { cwd: dir, env: key() })
    expect(r.code, r.stderr).toBe(0)
    const [content, pathLine] = [r.out.slice(0, r.out.indexOf("path=")), r.out.slice(r.out.indexOf("path="))]
    expect(content).toBe("a: b\n")
    const path = pathLine.trim().slice("path=".length)
    expect(path.startsWith(join(tmpdir(), ".sops"))).toBe(true)
    expect(path.endsWith("/tmp-file")).toBe(true)
    expect(existsSync(path)).toBe(false)
  })

  it("uses a 0600 regular file with --no-fifo and --filename, and --output-type", async () => {
    await makeEncrypted("file2.yaml", "a: b\n")
    const r = await run(["exec-file", "--no-fifo", "--filename", "x.json", "--output-type", "json", "file2.yaml", "stat -c %a {}; cat {}"], { cwd: dir, env: key() })
    expect(r.code, r.stderr).toBe(0)
    expect(r.out).toBe('600\n{\n\t"a": "b"\n}\n')
    expect((await run(["exec-file", "--filename", "../x", "file2.yaml", "true"], { cwd: dir, env: key() })).code).toBe(1)
  })

  it("does not hang when the command never reads the FIFO", async () => {
    await makeEncrypted("file3.yaml", "a: b\n")
    const r = await run(["exec-file", "file3.yaml", "exit 3"], { cwd: dir, env: key() })
    expect(r.code).toBe(3)
  })
})

describe("edit", () => {
  // The editor is a shell snippet: $0 is the temp file.
  const editor = (script: string): string => `sh -c '${script}'`

  it("re-encrypts the edited file, keeping the ciphertext of unchanged values", async () => {
    await makeEncrypted("ed.yaml", "keep: v\nchange: old\n")
    const keepBefore = /^keep: (.*)$/m.exec(read("ed.yaml"))![1]
    const r = await run(["edit", "ed.yaml"], { cwd: dir, env: { ...key(), EDITOR: editor('sed -i s/old/new/ "$0"') } })
    expect(r.code, r.stderr).toBe(0)
    expect(/^keep: (.*)$/m.exec(read("ed.yaml"))![1]).toBe(keepBefore)
    expect((await run(["decrypt", "ed.yaml"], { cwd: dir, env: key() })).out).toBe("keep: v\nchange: new\n")
  })

  it("writes the plaintext to a 0600 file in a private directory that is removed", async () => {
    await makeEncrypted("ed2.yaml", "a: b\n")
    const r = await run(["edit", "ed2.yaml"], {
      cwd: dir,
      env: { ...key(), SOPS_EDITOR: editor('stat -c "%a $0" "$0" "$(dirname "$0")"; echo "c: d" >> "$0"') },
    })
    expect(r.code, r.stderr).toBe(0)
    const [fileLine, dirLine] = r.out.trim().split("\n")
    const [mode, path] = fileLine!.split(" ")
    expect(mode).toBe("600")
    expect(dirLine!.split(" ")[0]).toBe("700")
    expect(existsSync(path!)).toBe(false)
  })

  it("exits 200 when nothing changed and 201 when the editor fails; the file is untouched", async () => {
    await makeEncrypted("ed3.yaml", "a: b\n")
    const before = read("ed3.yaml")
    expect((await run(["edit", "ed3.yaml"], { cwd: dir, env: { ...key(), EDITOR: "true" } })).code).toBe(200)
    expect((await run(["edit", "ed3.yaml"], { cwd: dir, env: { ...key(), EDITOR: "false" } })).code).toBe(201)
    expect((await run(["edit", "ed3.yaml"], { cwd: dir, env: { ...key(), EDITOR: "/nonexistent/editor" } })).code).toBe(201)
    expect(read("ed3.yaml")).toBe(before)
  })

  it("offers to reopen an invalid edit and leaves the original alone when the user gives up", async () => {
    await makeEncrypted("ed4.yaml", "a: b\n")
    const before = read("ed4.yaml")
    const r = await run(["edit", "ed4.yaml"], { cwd: dir, env: { ...key(), EDITOR: editor('echo "a: [unclosed" > "$0"') } })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain("Press enter to return to the editor")
    expect(read("ed4.yaml")).toBe(before)
    // With an answer on stdin, the editor runs again; the second run fixes the file.
    const marker = join(dir, "ran-once")
    const fix = await run(["edit", "ed4.yaml"], {
      cwd: dir,
      env: { ...key(), EDITOR: editor(`if [ -e ${marker} ]; then echo "a: fixed" > "$0"; else touch ${marker}; echo "a: [x" > "$0"; fi`) },
      stdin: "\n",
    })
    expect(fix.code, fix.stderr).toBe(0)
    expect((await run(["decrypt", "ed4.yaml"], { cwd: dir, env: key() })).out).toBe("a: fixed\n")
  })

  it("creates a new file from the example document with the config's keys", async () => {
    const r = await run(["edit", "--age", kp.recipient, "new.yaml"], { cwd: dir, env: { ...key(), EDITOR: editor('echo "fresh: value" > "$0"') } })
    expect(r.code, r.stderr).toBe(0)
    expect((await run(["decrypt", "new.yaml"], { cwd: dir, env: key() })).out).toBe("fresh: value\n")
    expect(statSync(join(dir, "new.yaml")).isFile()).toBe(true)
  })

  it("is the legacy form's default mode", async () => {
    await makeEncrypted("ed5.yaml", "a: b\n")
    const r = await run(["ed5.yaml"], { cwd: dir, env: { ...key(), EDITOR: editor('echo "a: c" > "$0"') } })
    expect(r.code, r.stderr).toBe(0)
    expect((await run(["-d", "ed5.yaml"], { cwd: dir, env: key() })).out).toBe("a: c\n")
  })

  it("leaves no sops-edit temp directories behind", () => {
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith("sops-edit-")).length).toBe(0)
  })
})
