// The chunked path for large byte values (binary payloads): same results and same errors as
// the string path, in place over an owned file, and a tree that looks as before to callers.
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { decrypt, decryptFile, decryptToObject, openEncrypted } from "../src/api/decrypt.js"
import { encrypt } from "../src/api/encrypt.js"
import { ValueCipher } from "../src/cipher.js"
import { LARGE_VALUE_BYTES } from "../src/cipher-large.js"
import { SopsError } from "../src/errors.js"
import type { KeyService } from "../src/keys/key-service.js"
import type { MasterKey } from "../src/metadata/model.js"
import { parseJsonObject } from "../src/stores/json/parse.js"

const KEY = new Uint8Array(32).fill(9)
const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s)

/** A key service that "wraps" the data key as base64 (no crypto; enough to drive the pipeline). */
const plainKeys: KeyService = {
  name: "test",
  supports: (key: MasterKey) => key.type === "age",
  encrypt: async (_key, dataKey) => Buffer.from(dataKey).toString("base64"),
  decrypt: async (key) => new Uint8Array(Buffer.from(key.enc, "base64")),
}
const keys: MasterKey[] = [{ type: "age", recipient: "age1test", enc: "" }]

function failure(fn: () => unknown): SopsError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SopsError)
    return err as SopsError
  }
  throw new Error("expected a SopsError")
}

describe("large byte values", () => {
  const cipher = new ValueCipher(KEY)
  const payload = randomBytes(LARGE_VALUE_BYTES + 12345)
  const text = cipher.encrypt(new Uint8Array(payload), "data:")

  it("decrypt to the same bytes and MAC input as the string path, copied or in place", () => {
    const viaString = cipher.decryptForMac(text, "data:")
    const copied = bytesOf(text)
    const viaBytes = cipher.decryptBytesForMac(copied, "data:")
    expect(Buffer.from(viaBytes.value as Uint8Array).equals(payload)).toBe(true)
    expect(Buffer.from(viaBytes.macBytes).equals(Buffer.from(viaString.macBytes))).toBe(true)
    expect(new TextDecoder().decode(copied)).toBe(text) // not in place: input untouched

    const owned = bytesOf(text)
    const inPlace = cipher.decryptBytesForMac(owned, "data:", "data", true)
    expect(Buffer.from(inPlace.value as Uint8Array).equals(payload)).toBe(true)
    expect((inPlace.value as Uint8Array).buffer).toBe(owned.buffer)
    // Callers get plain Uint8Arrays on every path, as before (not the Buffers used inside).
    for (const r of [viaString, viaBytes, inPlace]) expect(Object.getPrototypeOf(r.value)).toBe(Uint8Array.prototype)
  })

  it("fail like the string path: wrong AAD, bad base64, a line break in the data", () => {
    const cases: [string, string][] = [
      [text, "other:"],
      [text.slice(0, 1000) + "*" + text.slice(1001), "data:"],
      [text.slice(0, 1000) + "\n" + text.slice(1001), "data:"],
      [text.slice(0, 1000) + "=" + text.slice(1001), "data:"],
    ]
    for (const [value, aad] of cases) {
      const expected = failure(() => cipher.decryptForMac(value, aad, "data"))
      for (const inPlace of [false, true]) {
        const got = failure(() => cipher.decryptBytesForMac(bytesOf(value), aad, "data", inPlace))
        expect([got.code, got.message]).toEqual([expected.code, expected.message])
      }
    }
  })
})

describe("binary files keep the payload as bytes while decrypting", () => {
  const dir = mkdtempSync(join(tmpdir(), "sops-large-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("decryptFile (in place) and decrypt (copy) return the payload; the input is untouched by decrypt", async () => {
    const payload = randomBytes(LARGE_VALUE_BYTES * 2 + 7)
    const enc = await encrypt(payload, { format: "binary", keys, keyServices: [plainKeys] })
    const file = join(dir, "blob.bin")
    writeFileSync(file, enc)
    const before = Buffer.from(enc)
    const out = await decrypt(enc, { format: "binary", keyServices: [plainKeys] })
    expect(Buffer.from(out).equals(payload)).toBe(true)
    expect(Buffer.from(enc).equals(before)).toBe(true)
    const fromFile = await decryptFile(file, { keyServices: [plainKeys] })
    expect(Buffer.from(fromFile).equals(payload)).toBe(true)
  })

  it("a payload left in clear comes back as a string, as the JSON store would give it", async () => {
    // sops never writes this (binary files ignore the selection options), but a hand-edited
    // file can say it; the MAC is then stale, hence ignoreMac.
    const file = JSON.parse(new TextDecoder().decode(await encrypt("x", { format: "binary", keys, keyServices: [plainKeys] })))
    const enc = bytesOf(JSON.stringify({ data: "hello", sops: { ...file.sops, unencrypted_regex: "^data$" } }))
    const options = { format: "binary", keyServices: [plainKeys], ignoreMac: true } as const
    const opened = await openEncrypted(enc, options)
    expect(opened.branches[0]!.items[0]!.value).toBe("hello")
    expect(await decryptToObject(enc, options)).toEqual({ data: "hello" })
  })
})

describe("JSON rawTopLevelString", () => {
  it("returns plain ASCII of that top-level member as a view, anything else as usual", () => {
    const input = bytesOf('{"data": "abc", "x": {"data": "n"}, "data": "é", "data": "a\\"b"}')
    const [a, x, b, c] = parseJsonObject(input, { rawTopLevelString: "data" }).items
    expect(a!.value).toBeInstanceOf(Uint8Array)
    expect((a!.value as Uint8Array).buffer).toBe(input.buffer)
    expect(new TextDecoder().decode(a!.value as Uint8Array)).toBe("abc")
    expect((x!.value as { items: { value: unknown }[] }).items[0]!.value).toBe("n")
    expect(b!.value).toBe("é")
    expect(c!.value).toBe('a"b')
  })
})
