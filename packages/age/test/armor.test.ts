import { randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { ageKey } from "./helpers.js"

describe("enc format (armored age file, as sops writes it)", () => {
  it("uses the exact armor layout: header line, 64-column base64, footer with a trailing newline", async () => {
    const { recipient } = await generateAgeIdentity()
    const enc = await ageKeyService().encrypt(ageKey(recipient), new Uint8Array(randomBytes(32)))
    expect(enc.startsWith("-----BEGIN AGE ENCRYPTED FILE-----\n")).toBe(true)
    expect(enc.endsWith("\n-----END AGE ENCRYPTED FILE-----\n")).toBe(true)
    const lines = enc.split("\n")
    expect(lines.at(-1)).toBe("") // the trailing newline
    const body = lines.slice(1, -2)
    expect(body.length).toBeGreaterThan(1)
    for (const l of body.slice(0, -1)) expect(l).toMatch(/^[A-Za-z0-9+/]{64}$/)
    expect(body.at(-1)!).toMatch(/^[A-Za-z0-9+/]{1,64}={0,2}$/)
    expect(body.at(-1)!.length % 4).toBe(0)
    expect(enc).not.toContain("\r")
    // The payload decodes to an age v1 file with one X25519 stanza.
    const raw = Buffer.from(body.join(""), "base64").toString("latin1")
    expect(raw.startsWith("age-encryption.org/v1\n-> X25519 ")).toBe(true)
    expect(raw.match(/\n-> /g)).toHaveLength(1)
  })

  it("wraps a fresh file key every time", async () => {
    const { recipient } = await generateAgeIdentity()
    const svc = ageKeyService()
    const dataKey = new Uint8Array(32)
    expect(await svc.encrypt(ageKey(recipient), dataKey)).not.toBe(await svc.encrypt(ageKey(recipient), dataKey))
  })

  it("round-trips data keys and Shamir shares", async () => {
    const { identity, recipient } = await generateAgeIdentity()
    const svc = ageKeyService({ identities: [identity] })
    for (const n of [32, 33]) {
      const dataKey = new Uint8Array(randomBytes(n))
      const enc = await svc.encrypt(ageKey(recipient), dataKey)
      expect(await svc.decrypt(ageKey(recipient, enc))).toEqual(dataKey)
    }
  })

  it("accepts an enc without the trailing newline or with CRLF line ends", async () => {
    const { identity, recipient } = await generateAgeIdentity()
    const svc = ageKeyService({ identities: [identity] })
    const dataKey = new Uint8Array(randomBytes(32))
    const enc = await svc.encrypt(ageKey(recipient), dataKey)
    expect(await svc.decrypt(ageKey(recipient, enc.trimEnd()))).toEqual(dataKey)
    expect(await svc.decrypt(ageKey(recipient, enc.replaceAll("\n", "\r\n")))).toEqual(dataKey)
  })
})
