/**
 * The age plugin protocol's stanza framing and plugin names: encoding (64-column base64
 * lines, a last line shorter than 64, possibly empty), incremental parsing of a plugin's
 * output, and strict rejection of malformed framing.
 */
import { randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { encodePluginIdentity, encodePluginRecipient } from "@sops-ts/testkit"
import { PluginNameError, pluginBinaryName, pluginNameOfIdentity, pluginNameOfRecipient } from "../src/internal/plugin-names.js"
import {
  PluginProtocolError,
  StanzaReader,
  describePluginError,
  encodePluginStanza,
  parseFileIndex,
  type PluginStanza,
} from "../src/internal/plugin-stanza.js"

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString("latin1")

function readAll(text: string, chunkSize = text.length): PluginStanza[] {
  const r = new StanzaReader()
  const out: PluginStanza[] = []
  for (let i = 0; i < text.length; i += chunkSize) {
    r.push(Buffer.from(text.slice(i, i + chunkSize), "latin1"))
    for (let s = r.next(); s !== null; s = r.next()) out.push(s)
  }
  expect(r.midStanza).toBe(false)
  return out
}

describe("encodePluginStanza", () => {
  it("writes a command without body as its line and an empty body line", () => {
    expect(latin1(encodePluginStanza("done"))).toBe("-> done\n\n")
    expect(latin1(encodePluginStanza("ok", ["yes"]))).toBe("-> ok yes\n\n")
  })

  it("wraps the body at 64 columns; the last line is shorter than 64, empty when the body fills it", () => {
    const lines = (n: number): number[] =>
      latin1(encodePluginStanza("x", [], new Uint8Array(n)))
        .split("\n")
        .slice(1, -1)
        .map((l) => l.length)
    expect(lines(16)).toEqual([22])
    expect(lines(47)).toEqual([63])
    expect(lines(48)).toEqual([64, 0])
    expect(lines(49)).toEqual([64, 2])
    expect(lines(96)).toEqual([64, 64, 0])
  })
})

describe("StanzaReader", () => {
  it("parses what the encoder writes, whatever the chunking", () => {
    const bodies = [0, 1, 16, 47, 48, 49, 200].map((n) => new Uint8Array(randomBytes(n)))
    const text = bodies.map((b, i) => latin1(encodePluginStanza(`cmd-${i}`, [String(i), "arg"], b))).join("")
    for (const chunk of [1, 3, 64, text.length]) {
      const got = readAll(text, chunk)
      expect(got.map((s) => s.type)).toEqual(bodies.map((_, i) => `cmd-${i}`))
      expect(got.map((s) => s.args)).toEqual(bodies.map((_, i) => [String(i), "arg"]))
      expect(got.map((s) => Buffer.from(s.body).toString("hex"))).toEqual(bodies.map((b) => Buffer.from(b).toString("hex")))
    }
  })

  it("waits for more bytes mid-stanza", () => {
    const r = new StanzaReader()
    r.push(Buffer.from("-> file-key 0\n"))
    expect(r.next()).toBeNull()
    expect(r.midStanza).toBe(true)
    r.push(Buffer.from("AAAAAAAAAAAAAAAAAAAAAA\n"))
    expect(r.next()).toMatchObject({ type: "file-key", args: ["0"] })
  })

  it.each([
    ["a body line over 64 columns", `-> msg\n${"A".repeat(65)}\n\n`],
    ["a full-length last line without the empty line after it", `-> msg\n${"A".repeat(64)}\n-> done\n\n`],
    ["non-canonical base64 (stray low bits)", "-> msg\nAB\n"],
    ["padding in a body line", "-> msg\nAA==\n"],
    ["a line that is not a stanza", "ok\n\n"],
    ["a stanza line without a type", "->\n\n"],
    ["an empty argument", "-> ok  yes\n\n"],
    ["a carriage return", "-> ok\r\n\n"],
    ["a non-ASCII byte", "-> ok \u00e9\n\n"],
  ])("rejects %s", (_label, text) => {
    const r = new StanzaReader()
    expect(() => {
      r.push(Buffer.from(text, "latin1"))
      while (r.next() !== null);
    }).toThrow(PluginProtocolError)
  })

  it("bounds a line without newline, and a body", () => {
    const r = new StanzaReader()
    expect(() => r.push(Buffer.alloc(64 * 1024 + 1, 0x41))).toThrow(/line too long/)
    const big = new StanzaReader()
    big.push(Buffer.from(`-> msg\n${`${"A".repeat(64)}\n`.repeat(22_000)}`))
    expect(() => big.next()).toThrow(/too large/)
  })

  it("never quotes the offending line in its errors (a file-key body is secret)", () => {
    const secret = "c2VjcmV0IGZpbGUga2V5IGJ5dGVzIHRoYXQgbXVzdCBub3QgbGVhay4uLi4uLi4uLi4uLi4u"
    const r = new StanzaReader()
    r.push(Buffer.from(`-> file-key 0\n${secret}\n`))
    let message = ""
    try {
      r.next()
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toMatch(/malformed stanza body line/)
    expect(message).not.toContain(secret.slice(0, 12))
  })
})

describe("protocol fields", () => {
  it("file indices are decimal without sign or leading zeros", () => {
    expect(parseFileIndex("0")).toBe(0)
    expect(parseFileIndex("12")).toBe(12)
    for (const bad of ["", "-1", "+1", "01", "1.0", "0x1", " 1"]) expect(parseFileIndex(bad)).toBeNull()
  })

  it("describes an error command with its variant, without control characters", () => {
    const s = { type: "error", args: ["identity", "0"], body: new TextEncoder().encode("no\u001b[31m key\r\nhere") }
    expect(describePluginError(s)).toBe("reported an error (identity 0): no [31m key here")
    expect(describePluginError({ type: "error", args: [], body: new Uint8Array(0) })).toBe("reported an error: no message")
  })
})

describe("plugin names", () => {
  const data = new Uint8Array([1, 2, 3])

  it("come from the Bech32 prefix, lowercase", () => {
    expect(pluginNameOfRecipient(encodePluginRecipient("yubikey", data))).toBe("yubikey")
    expect(pluginNameOfIdentity(encodePluginIdentity("yubikey", data))).toBe("yubikey")
    expect(pluginNameOfIdentity(encodePluginIdentity("fido2-hmac", data))).toBe("fido2-hmac")
    expect(pluginNameOfRecipient(encodePluginRecipient("a.b_c+d-1", data))).toBe("a.b_c+d-1")
    expect(pluginBinaryName("yubikey")).toBe("age-plugin-yubikey")
  })

  it("refuse names that could name a path, and malformed encodings", () => {
    expect(() => pluginNameOfRecipient(encodePluginRecipient("pwn/pwn", data))).toThrow(PluginNameError)
    expect(() => pluginNameOfRecipient(encodePluginRecipient("..\\x", data))).toThrow(PluginNameError)
    expect(() => pluginNameOfIdentity(encodePluginIdentity("PWN/PWN", data))).toThrow(PluginNameError)
    expect(() => pluginBinaryName("../x")).toThrow(PluginNameError)
    // Identities must be uppercase, recipients lowercase, and the identity prefix end in "-".
    expect(() => pluginNameOfIdentity(encodePluginIdentity("x", data).toLowerCase())).toThrow(PluginNameError)
    expect(() => pluginNameOfIdentity(encodePluginRecipient("x", data).toUpperCase())).toThrow(PluginNameError)
    const r = encodePluginRecipient("x", data)
    expect(() => pluginNameOfRecipient(r.slice(0, -1) + (r.endsWith("q") ? "p" : "q"))).toThrow(/checksum/)
  })
})
