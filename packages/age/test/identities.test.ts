import { describe, expect, it } from "vitest"
import { ageRecipientOf, generateAgeIdentity, isEncryptedIdentityFile, parseAgeIdentities } from "@sops-ts/age"
import { shlexSplit } from "../src/internal/shlex.js"
import { mockEncryptedIdentity, mockHybridIdentity, mockIdentity, mockOtherIdentity, mockSshIdentity } from "./sops-vectors.js"

describe("parseAgeIdentities", () => {
  it("reads key files: comments, blank lines, CRLF", () => {
    const ids = parseAgeIdentities(`# created: x\r\n# public key: age1...\r\n\r\n${mockIdentity}\r\n${mockHybridIdentity}\n`, "keys.txt")
    expect(ids.map((i) => [i.kind, i.source])).toEqual([
      ["X25519", "keys.txt"],
      ["mlkem768x25519", "keys.txt"],
    ])
  })

  it("accepts several identities per line unless told otherwise", () => {
    expect(parseAgeIdentities(`${mockIdentity} ${mockOtherIdentity}`, "env")).toHaveLength(2)
    expect(() => parseAgeIdentities(`${mockIdentity} ${mockOtherIdentity}`, "file", { multiplePerLine: false })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }),
    )
  })

  it("reads an OpenSSH private key as one identity", () => {
    expect(parseAgeIdentities(mockSshIdentity, "ssh").map((i) => i.kind)).toEqual(["ssh-ed25519"])
  })

  it("keeps a mistyped identity out of the message and the cause chain", async () => {
    // One flipped character: the Bech32 decoder's own error quotes the whole key.
    const last = mockIdentity.at(-1) === "Q" ? "P" : "Q"
    const typo = mockIdentity.slice(0, -1) + last
    const chain = (err: unknown): string => {
      const parts: string[] = []
      for (let e: unknown = err; e !== undefined; e = (e as { cause?: unknown }).cause) parts.push(String(e), String((e as Error).stack))
      return parts.join("\n")
    }
    const errs: unknown[] = []
    try {
      parseAgeIdentities(typo, "SOPS_AGE_KEY")
    } catch (err) {
      errs.push(err)
    }
    await ageRecipientOf(typo).catch((err: unknown) => errs.push(err))
    expect(errs).toHaveLength(2)
    for (const err of errs) {
      expect(err).toMatchObject({ code: "ERR_INVALID_ARGUMENT", message: expect.stringContaining("bad checksum") })
      expect(chain(err)).not.toContain(typo.slice(20))
    }
  })

  it("names source and line of a bad identity without quoting it", () => {
    const bad = "AGE-SECRET-KEY-1ZZZZZZZZZZ"
    try {
      parseAgeIdentities(`${mockIdentity}\n\n${bad}\n`, "SOPS_AGE_KEY")
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({ code: "ERR_INVALID_ARGUMENT" })
      expect((err as Error).message).toContain("SOPS_AGE_KEY, line 3")
      expect((err as Error).message).not.toContain(bad)
    }
    expect(() => parseAgeIdentities("hello", "x")).toThrow(expect.objectContaining({ message: expect.stringContaining("not an age identity") }))
  })

  it("detects passphrase-encrypted identity files", () => {
    expect(isEncryptedIdentityFile(mockEncryptedIdentity)).toBe(true)
    expect(isEncryptedIdentityFile("age-encryption.org/v1\n...")).toBe(true)
    expect(isEncryptedIdentityFile(mockIdentity)).toBe(false)
    expect(() => parseAgeIdentities(mockEncryptedIdentity, "f")).toThrow(
      expect.objectContaining({ message: expect.stringContaining("passphrase-encrypted") }),
    )
  })

  it("reports malformed SSH keys", () => {
    const broken = mockSshIdentity.replace("b3BlbnNzaC1rZXktdjEA", "b3BlbnNzaC1rZXktdjFA")
    expect(() => parseAgeIdentities(broken, "id")).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
    const truncated = mockSshIdentity.split("\n").filter((_l, i) => i !== 3).join("\n")
    expect(() => parseAgeIdentities(truncated, "id")).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })
})

describe("generateAgeIdentity / ageRecipientOf", () => {
  it("generates X25519 pairs whose recipient matches", async () => {
    const a = await generateAgeIdentity()
    expect(a.identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/)
    expect(a.recipient).toMatch(/^age1[0-9a-z]{58}$/)
    expect(await ageRecipientOf(a.identity)).toBe(a.recipient)
    expect((await generateAgeIdentity()).identity).not.toBe(a.identity)
  })

  it("derives hybrid recipients and rejects junk", async () => {
    expect(await ageRecipientOf(mockHybridIdentity)).toMatch(/^age1pq1/)
    await expect(ageRecipientOf("nope")).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" })
    await expect(ageRecipientOf("AGE-SECRET-KEY-1XYZ")).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT" })
  })
})

describe("shlexSplit (google/shlex rules used by sops for *_CMD)", () => {
  it.each([
    ["cat /tmp/key", ["cat", "/tmp/key"]],
    ["  a   b\tc\n", ["a", "b", "c"]],
    [`sh -c 'echo "$SOPS_AGE_RECIPIENT"'`, ["sh", "-c", 'echo "$SOPS_AGE_RECIPIENT"']],
    [`say "a \\"quoted\\" word" x\\ y`, ["say", 'a "quoted" word', "x y"]],
    [`pass show age # trailing comment`, ["pass", "show", "age"]],
    [`a'b'"c"d`, ["abcd"]],
    ["", []],
  ])("%s", (input, expected) => {
    expect(shlexSplit(input)).toEqual(expected)
  })

  it("rejects unterminated quotes and escapes", () => {
    expect(() => shlexSplit("'open")).toThrow()
    expect(() => shlexSplit('"open')).toThrow()
    expect(() => shlexSplit("trailing\\")).toThrow()
  })
})
