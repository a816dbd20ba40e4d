/**
 * Bad input never crashes and never leaks: every malformed, tampered or mismatched file gets a
 * SopsError with a stable code, and no message carries a plaintext value.
 */
import { beforeAll, describe, expect, it } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { decrypt, encrypt, SopsError, type Format, type KeyService } from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"

const SECRETS = ["hunter2-very-secret", "s3cr3t-token-value", "list-secret-one", "list-secret-two"]
const PLAIN_YAML = `db:
    password: ${SECRETS[0]}
    user_unencrypted: admin
token: ${SECRETS[1]}
list:
    - ${SECRETS[2]}
    - ${SECRETS[3]}
`
let services: KeyService[] = []
let other: KeyService[] = []
let recipient = ""
let encYaml = ""
let encJson = ""

beforeAll(async () => {
  const me = await generateAgeIdentity()
  const stranger = await generateAgeIdentity()
  recipient = me.recipient
  services = [ageKeyService({ identities: [me.identity] })]
  other = [ageKeyService({ identities: [stranger.identity] })]
  const keys = [{ type: "age" as const, recipient, enc: "" }]
  encYaml = Buffer.from(await encrypt(PLAIN_YAML, { format: "yaml", keys, keyServices: services })).toString()
  const json = JSON.stringify({ password: SECRETS[0], nested: { token: SECRETS[1] } })
  encJson = Buffer.from(await encrypt(json, { format: "json", keys, keyServices: services })).toString()
})

async function failure(text: string, format: Format = "yaml", keyServices = services): Promise<SopsError> {
  try {
    await decrypt(text, { format, keyServices })
  } catch (err) {
    expect(err).toBeInstanceOf(SopsError)
    for (const s of SECRETS) expect((err as Error).message).not.toContain(s)
    return err as SopsError
  }
  throw new Error("expected decryption to fail")
}

/** Replaces the n-th `ENC[...]` data field's first base64 character. */
function flipValue(text: string, key: string): string {
  return text.replace(new RegExp(`(${key}: ENC\\[AES256_GCM,data:)(.)`), (_m, p: string, c: string) => p + (c === "A" ? "B" : "A"))
}

describe("tampering and damage", () => {
  it("decrypts the untouched file (control)", async () => {
    expect(Buffer.from(await decrypt(encYaml, { format: "yaml", keyServices: services })).toString()).toBe(PLAIN_YAML)
  })

  it.each(["password", "token"])("a flipped byte in the value of %s fails authentication", async (key) => {
    expect((await failure(flipValue(encYaml, key))).code).toBe("ERR_DECRYPT_FAILED")
  })

  it("a flipped byte in the MAC is a MAC mismatch", async () => {
    expect((await failure(flipValue(encYaml, "mac"))).code).toBe("ERR_MAC_MISMATCH")
  })

  it("an edited clear value breaks the MAC", async () => {
    expect((await failure(encYaml.replace("user_unencrypted: admin", "user_unencrypted: root"))).code).toBe("ERR_MAC_MISMATCH")
  })

  it("values swapped between keys fail authentication (the key path is the AAD)", async () => {
    const pw = /password: (ENC\[[^\n]+\])/.exec(encYaml)![1]!
    const tok = /token: (ENC\[[^\n]+\])/.exec(encYaml)![1]!
    const swapped = encYaml.replace(pw, "@@PW@@").replace(tok, pw).replace("@@PW@@", tok)
    expect((await failure(swapped)).code).toBe("ERR_DECRYPT_FAILED")
  })

  it("list elements swapped within a list are caught by the MAC", async () => {
    const m = /list:\n {4}- (ENC\[[^\n]+\])\n {4}- (ENC\[[^\n]+\])/.exec(encYaml)!
    const swapped = encYaml.replace(m[0], `list:\n    - ${m[2]}\n    - ${m[1]}`)
    expect((await failure(swapped)).code).toBe("ERR_MAC_MISMATCH")
  })

  it("a malformed ENC value is reported as such", async () => {
    expect((await failure(encYaml.replace(/token: ENC\[AES256_GCM,data:/, "token: ENC[AES256_GCM,dat:"))).code).toBe("ERR_VALUE_INVALID")
  })

  it("a wrong key gets one error listing the key tried", async () => {
    const err = await failure(encYaml, "yaml", other)
    expect(err.code).toBe("ERR_NO_DATA_KEY")
    expect(err.message).toContain(recipient)
  })

  it("a file without metadata, and one with invalid metadata, are told apart", async () => {
    expect((await failure("a: b\n")).code).toBe("ERR_METADATA_MISSING")
    expect((await failure(encYaml.replace(/lastmodified: "[^"]+"/, 'lastmodified: "yesterday"'))).code).toBe("ERR_METADATA_INVALID")
    expect((await failure(encYaml.replace(/\nsops:\n[\s\S]*$/, "\nsops: nope\n"))).code).toBe("ERR_METADATA_INVALID")
  })

  it("an unsupported version is refused", async () => {
    expect((await failure(encYaml.replace(/version: [^\n]+/, "version: 4.0.0"))).code).toBe("ERR_VERSION_UNSUPPORTED")
    expect((await failure(encYaml.replace(/version: [^\n]+/, 'version: ""'))).code).toBe("ERR_VERSION_UNSUPPORTED")
  })

  it("duplicate keys are refused", async () => {
    expect((await failure(encYaml.replace("token:", "db:"))).code).toBe("ERR_DUPLICATE_KEY")
  })

  it("a value that does not fit its explicit tag is refused without quoting it", async () => {
    const err = await failure(`a: !!float ${SECRETS[0]}\n`)
    expect(err.code).toBe("ERR_FORMAT")
  })

  it("broken syntax is a format error", async () => {
    expect((await failure("a: [b\n")).code).toBe("ERR_FORMAT")
    expect((await failure("{", "json")).code).toBe("ERR_FORMAT")
  })

  it("every truncation of a YAML or JSON file fails cleanly", async () => {
    for (const [text, format] of [[encYaml, "yaml"], [encJson, "json"]] as const) {
      for (let cut = 0; cut < text.length - 1; cut += Math.max(1, Math.floor(text.length / 60))) {
        await failure(text.slice(0, cut), format)
      }
    }
  })

  test.prop([fc.nat(), fc.integer({ min: 1, max: 255 })], { numRuns: 150 })(
    "any single-byte corruption either fails with a SopsError or leaves every encrypted value intact",
    async (pos, xor) => {
      const bytes = Buffer.from(encYaml)
      const i = pos % bytes.length
      bytes[i] = bytes[i]! ^ xor
      try {
        const out = Buffer.from(await decrypt(bytes, { format: "yaml", keyServices: services })).toString()
        // sops' MAC covers values, not key names or layout: a flip in the indentation of a
        // clear key can move it and still verify. Encrypted values cannot change silently.
        for (const s of SECRETS) expect(out).toContain(s)
      } catch (err) {
        if (!(err instanceof SopsError)) throw err
        for (const s of SECRETS) expect(err.message).not.toContain(s)
      }
    },
  )
})
