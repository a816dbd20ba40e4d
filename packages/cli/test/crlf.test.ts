/**
 * Files with CRLF line endings (spec 12.2): YAML is normalised to LF, dotenv keeps the `\r`
 * inside the encrypted values so it round-trips byte for byte, JSON ignores it, INI trims it.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageKeyPair, run, tempDir } from "./helpers.js"

let dir: string
let cleanup: () => void
let kp: { identity: string; recipient: string }
const key = (): Record<string, string> => ({ SOPS_AGE_KEY: kp.identity })

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  kp = await ageKeyPair()
})
afterAll(() => cleanup())

async function encryptFile(name: string, plain: string): Promise<string> {
  writeFileSync(join(dir, name), plain)
  const r = await run(["encrypt", "--age", kp.recipient, "--output", `${name}.enc`, "--input-type", formatOf(name), "--output-type", formatOf(name), name], { cwd: dir })
  expect(r.code, r.stderr).toBe(0)
  return readFileSync(join(dir, `${name}.enc`), "utf8")
}

function formatOf(name: string): string {
  return name.endsWith(".env") ? "dotenv" : name.split(".").pop()!
}

interface RunOut {
  out: string
  bytes: Uint8Array
}

async function decrypt(name: string): Promise<RunOut> {
  const r = await run(["decrypt", "--input-type", formatOf(name.replace(/\.enc$/, "")), "--output-type", formatOf(name.replace(/\.enc$/, "")), name], { cwd: dir, env: key() })
  expect(r.code, r.stderr).toBe(0)
  return { out: r.out, bytes: r.stdout }
}

describe("CRLF input", () => {
  it("YAML: encrypts, and decrypts with LF line endings, comments and lists intact", async () => {
    const enc = await encryptFile("crlf.yaml", "a: b\r\n# note\r\nlist:\r\n    - x\r\n    - 'y z'\r\n")
    expect(enc).not.toContain("\r")
    expect(enc).toMatch(/^a: ENC\[AES256_GCM,data:[^,]+,iv:/m)
    expect((await decrypt("crlf.yaml.enc")).out).toBe("a: b\n# note\nlist:\n    - x\n    - y z\n")
  })

  it("YAML: an encrypted file whose line endings were converted to CRLF still decrypts and reports encrypted", async () => {
    const enc = await encryptFile("lf.yaml", "secret: v\n")
    writeFileSync(join(dir, "converted.yaml"), enc.replaceAll("\n", "\r\n"))
    expect((await decrypt("converted.yaml")).out).toBe("secret: v\n")
    const status = await run(["filestatus", "converted.yaml"], { cwd: dir })
    expect(status.out).toBe('{"encrypted":true}\n')
  })

  it("dotenv: keeps each `\\r` inside the encrypted value and round-trips byte for byte", async () => {
    const plain = "A=b\r\n#comment\r\nB=x y\r\n"
    const enc = await encryptFile("crlf.env", plain)
    expect(enc).not.toContain("\r")
    // "b\r" is two bytes of ciphertext: base64 of 2 bytes is 4 characters ending in one "=".
    expect(enc).toMatch(/^A=ENC\[AES256_GCM,data:[A-Za-z0-9+/]{3}=,/m)
    const dec = await decrypt("crlf.env.enc")
    expect(dec.out).toBe(plain)
  })

  it("JSON and INI: the `\\r` is not part of any value", async () => {
    await encryptFile("crlf.json", '{\r\n  "a": "b"\r\n}\r\n')
    expect((await decrypt("crlf.json.enc")).out).toBe('{\n\t"a": "b"\n}\n')
    await encryptFile("crlf.ini", "[s]\r\na = b\r\n")
    expect((await decrypt("crlf.ini.enc")).out).toBe("[s]\na = b\n")
  })
})
