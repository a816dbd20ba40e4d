/**
 * age plugins through the key service and the core API, with testkit's `age-plugin-sopstest`
 * (a real executable on PATH speaking the plugin protocol): round trips, identity order and
 * discovery, and every way a plugin session can go wrong (missing binary, plugin errors,
 * prompts with and without a handler, malformed output, crashes, timeouts, aborts).
 */
import { randomBytes } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { generateHybridIdentity, identityToRecipient } from "age-encryption"
import { KeyUnavailableError, decrypt, encrypt, type AgeMasterKey } from "@sops-ts/core"
import {
  encodePluginIdentity,
  encodePluginRecipient,
  installSopstestPlugin,
  sopstestKeyPair,
  withSopstestMode,
  SOPSTEST_PIN,
  type InstalledAgePlugin,
  type SopstestMode,
} from "@sops-ts/testkit"
import { ageKeyService, ageRecipientOf, generateAgeIdentity, parseAgeIdentities, parseAgeRecipient, type AgePluginPrompt } from "@sops-ts/age"
import { decodeArmor, parseHeader } from "../src/internal/format.js"
import { findOnPath } from "../src/internal/plugin-process.js"
import { ageKey, tempDir, text } from "./helpers.js"
import { mockEncryptedKey, mockIdentity, mockRecipient } from "./sops-vectors.js"

const YAML = "# secrets\ndatabase:\n    password: hunter2\n    port: 5432\nlist:\n    - a\n    - b\n"
const dataKey = (): Uint8Array => new Uint8Array(randomBytes(32))

let plugin: InstalledAgePlugin
const originalPath = process.env["PATH"]
const tmp = tempDir()

beforeAll(() => {
  plugin = installSopstestPlugin()
  process.env["PATH"] = plugin.pathWith(originalPath)
})
afterAll(() => {
  process.env["PATH"] = originalPath
  plugin.cleanup()
  tmp.cleanup()
})

/** A fresh key pair of the test plugin (its mode byte selects the plugin behaviour). */
function pair(mode: SopstestMode = "normal"): { recipient: string; identity: string } {
  return sopstestKeyPair(mode)
}

/** Wraps a data key for a (normal-mode) plugin recipient; returns the key and its enc. */
async function wrapped(recipient: string): Promise<{ key: Uint8Array; master: AgeMasterKey }> {
  const key = dataKey()
  const enc = await ageKeyService().encrypt(ageKey(recipient), key)
  if (typeof enc !== "string") throw new Error("expected an enc string")
  return { key, master: ageKey(recipient, enc) }
}

/** Collects the plugin's stderr lines. */
function logger(): { lines: string[]; log: (plugin: string, line: string) => void } {
  const lines: string[] = []
  return { lines, log: (name, line) => lines.push(`${name}: ${line}`) }
}

describe("plugin recipients and identities: round trips", () => {
  it("a YAML file encrypted to a plugin and a native recipient opens with either identity alone", async () => {
    const plug = pair()
    const native = await generateAgeIdentity()
    const encrypted = await encrypt(YAML, {
      format: "yaml",
      keys: [ageKey(plug.recipient), ageKey(native.recipient)],
      keyServices: [ageKeyService()],
    })
    const file = new TextDecoder().decode(encrypted)
    expect(file).toContain(`recipient: ${plug.recipient}`)
    expect(file).not.toContain("hunter2")

    const withPlugin = await decrypt(encrypted, { format: "yaml", keyServices: [ageKeyService({ identities: [plug.identity] })] })
    expect(text(withPlugin)).toBe(YAML)
    const withNative = await decrypt(encrypted, { format: "yaml", keyServices: [ageKeyService({ identities: [native.identity] })] })
    expect(text(withNative)).toBe(YAML)
  })

  it("the enc is an ordinary armored age file whose header holds the plugin's stanza", async () => {
    const plug = pair()
    const { key, master } = await wrapped(plug.recipient)
    expect(master.enc).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]*\n-----END AGE ENCRYPTED FILE-----\n$/)
    const header = parseHeader(decodeArmor(master.enc))
    expect(header.stanzas.map((s) => s.args[0])).toEqual(["sopstest"])
    expect(header.stanzas[0]!.args).toHaveLength(2)
    expect(header.stanzas[0]!.body).toHaveLength(32)
    const svc = ageKeyService({ identities: [plug.identity] })
    expect(Buffer.from((await svc.decrypt(master))!).equals(Buffer.from(key))).toBe(true)
  })

  it("parses plugin recipients and identities (kind, plugin name)", () => {
    const plug = pair()
    expect(parseAgeRecipient(plug.recipient)).toMatchObject({ kind: "plugin", plugin: "sopstest", text: plug.recipient })
    expect(parseAgeIdentities(`# a plugin key\n${plug.identity}\n${mockIdentity}\n`, "keys.txt", { multiplePerLine: false })).toEqual([
      { kind: "plugin", source: "keys.txt", identity: plug.identity, plugin: "sopstest" },
      { kind: "X25519", source: "keys.txt", identity: mockIdentity },
    ])
  })

  it("ageRecipientOf cannot derive a plugin identity's recipient (only the plugin knows it)", async () => {
    await expect(ageRecipientOf(pair().identity)).rejects.toMatchObject({
      code: "ERR_INVALID_ARGUMENT",
      message: "the recipient of an age plugin identity is known only to its plugin",
    })
  })

  it("another plugin identity of the same plugin declines, and the next one opens the key", async () => {
    const plug = pair()
    const other = pair()
    const { key, master } = await wrapped(plug.recipient)
    const svc = ageKeyService({ identities: [other.identity, plug.identity] })
    expect(Buffer.from((await svc.decrypt(master))!).equals(Buffer.from(key))).toBe(true)
    await expect(ageKeyService({ identities: [other.identity] }).decrypt(master)).rejects.toBeInstanceOf(KeyUnavailableError)
  })
})

describe("when plugins run", () => {
  it("native identities are tried first: a native key opens without starting the plugin", async () => {
    const plug = pair()
    const log = logger()
    const svc = ageKeyService({ identities: [plug.identity, mockIdentity], pluginLog: log.log })
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
    expect(log.lines).toEqual([])
  })

  it("post-quantum files (decrypted by typage) also try native identities first", async () => {
    const plug = pair()
    const log = logger()
    const pq = await generateHybridIdentity()
    const pqRecipient = await identityToRecipient(pq)
    const key = dataKey()
    const enc = (await ageKeyService().encrypt(ageKey(pqRecipient), key)) as string
    const svc = ageKeyService({ identities: [plug.identity, pq], pluginLog: log.log })
    expect(Buffer.from((await svc.decrypt(ageKey(pqRecipient, enc)))!).equals(Buffer.from(key))).toBe(true)
    const other = ageKeyService({ identities: [plug.identity, await generateHybridIdentity()], pluginLog: log.log })
    await expect(other.decrypt(ageKey(pqRecipient, enc))).rejects.toBeInstanceOf(KeyUnavailableError)
    expect(log.lines).toEqual([])
  })

  it("no plugin starts for X25519 stanzas that a configured X25519 identity already declined", async () => {
    const plug = pair()
    const log = logger()
    const { identity } = await generateAgeIdentity()
    const svc = ageKeyService({ identities: [plug.identity, identity], pluginLog: log.log })
    await expect(svc.decrypt(ageKey(mockRecipient, mockEncryptedKey))).rejects.toBeInstanceOf(KeyUnavailableError)
    expect(log.lines).toEqual([])
  })

  it("without native identities of that type, the plugin gets the X25519 stanzas too (it may be an agent)", async () => {
    const plug = pair()
    const log = logger()
    const svc = ageKeyService({ identities: [plug.identity], pluginLog: log.log })
    await expect(svc.decrypt(ageKey(mockRecipient, mockEncryptedKey))).rejects.toBeInstanceOf(KeyUnavailableError)
    expect(log.lines).toEqual(["sopstest: sopstest: identity-v1 started (normal)"])
  })

  it("plugin identities come from discovery: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and keys.txt", async () => {
    const a = pair()
    const b = pair()
    const c = pair()
    const home = join(tmp.dir, "home")
    const keyFile = join(tmp.dir, "age-key.txt")
    mkdirSync(join(home, ".config", "sops", "age"), { recursive: true })
    writeFileSync(keyFile, `# plugin\n${b.identity}\n`)
    writeFileSync(join(home, ".config", "sops", "age", "keys.txt"), `${mockIdentity}\n${c.identity}\n`)
    // The plugin is found on the PATH of the injected environment.
    const env = { SOPS_AGE_KEY: a.identity, SOPS_AGE_KEY_FILE: keyFile, PATH: plugin.pathWith("/usr/bin:/bin") }
    const svc = ageKeyService({ discover: { env, homeDir: home, platform: "linux" } })
    for (const p of [a, b, c]) {
      const { key, master } = await wrapped(p.recipient)
      expect(Buffer.from((await svc.decrypt(master))!).equals(Buffer.from(key))).toBe(true)
    }
    // Without the plugin on that PATH, the key is unavailable and the message says why.
    const bare = ageKeyService({ discover: { env: { SOPS_AGE_KEY: a.identity, PATH: "/usr/bin:/bin" }, homeDir: home, platform: "linux" } })
    const { master } = await wrapped(a.recipient)
    const err = await bare.decrypt(master).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyUnavailableError)
    expect((err as Error).message).toContain("age-plugin-sopstest was not found on PATH")
  })

  it("a malformed plugin identity is a load error that does not echo the identity", async () => {
    const { identity } = pair()
    const typo = identity.slice(0, -1) + (identity.endsWith("Q") ? "P" : "Q")
    expect(() => parseAgeIdentities(typo, "SOPS_AGE_KEY")).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT", message: "SOPS_AGE_KEY, line 1: malformed age plugin identity (bad checksum)" }),
    )
    const svc = ageKeyService({ discover: { env: { SOPS_AGE_KEY: typo }, homeDir: tmp.dir, platform: "linux" } })
    const err = await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
    expect((err as Error).message).not.toContain(typo.slice(20))
  })

  it("plugin names that could name a path are refused before anything runs", () => {
    const bytes = new Uint8Array(33)
    expect(() => parseAgeRecipient(encodePluginRecipient("pwn/pwn", bytes))).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT", message: expect.stringContaining("invalid age plugin name") }),
    )
    expect(() => parseAgeIdentities(encodePluginIdentity("PWN/PWN", bytes), "x")).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARGUMENT", message: "x, line 1: malformed age plugin identity (invalid plugin name or prefix)" }),
    )
  })

  it("only absolute PATH entries are searched", async () => {
    expect(await findOnPath("age-plugin-sopstest", plugin.binDir)).toBe(join(plugin.binDir, "age-plugin-sopstest"))
    expect(await findOnPath("age-plugin-sopstest", relative(process.cwd(), plugin.binDir))).toBeNull()
    expect(await findOnPath("age-plugin-sopstest", "")).toBeNull()
  })

  it("the pluginPath option overrides PATH", async () => {
    const plug = pair()
    const { master } = await wrapped(plug.recipient)
    const svc = ageKeyService({ identities: [plug.identity], pluginPath: "/nonexistent" })
    await expect(svc.decrypt(master)).rejects.toThrow(/age-plugin-sopstest was not found on PATH/)
    const found = ageKeyService({ identities: [plug.identity], pluginPath: plugin.binDir })
    expect(await found.decrypt(master)).toHaveLength(32)
  })
})

describe("a missing plugin binary", () => {
  const bytes = new Uint8Array(33).fill(7)

  it("encrypt: ERR_KEY_WRAP naming the binary", async () => {
    const err = await ageKeyService()
      .encrypt(ageKey(encodePluginRecipient("sopsmissing", bytes)), dataKey())
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_WRAP" })
    expect((err as Error).message).toContain("age-plugin-sopsmissing was not found on PATH")
  })

  it("decrypt: not my key, so other keys of the file are tried", async () => {
    const plug = pair()
    const native = await generateAgeIdentity()
    const encrypted = await encrypt(YAML, {
      format: "yaml",
      keys: [ageKey(plug.recipient), ageKey(native.recipient)],
      keyServices: [ageKeyService()],
    })
    const missing = encodePluginIdentity("sopsmissing", bytes)
    const { master } = await wrapped(plug.recipient)
    const err = await ageKeyService({ identities: [missing] })
      .decrypt(master)
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyUnavailableError)
    expect((err as Error).message).toContain("age-plugin-sopsmissing was not found on PATH (needed by the plugin identity from identities[0])")
    const out = await decrypt(encrypted, { format: "yaml", keyServices: [ageKeyService({ identities: [missing, native.identity] })] })
    expect(text(out)).toBe(YAML)
  })
})

describe("plugin errors and misbehaviour", () => {
  it("an error from the plugin: ERR_KEY_WRAP / ERR_KEY_FAILED with its message", async () => {
    const plug = pair()
    const wrapErr = await ageKeyService()
      .encrypt(ageKey(withSopstestMode(plug.recipient, "error")), dataKey())
      .catch((e: unknown) => e)
    expect(wrapErr).toMatchObject({ code: "ERR_KEY_WRAP" })
    expect((wrapErr as Error).message).toContain(
      "age-plugin-sopstest reported an error (recipient 0): sopstest: this sopstest key is disabled",
    )

    const { master } = await wrapped(plug.recipient)
    const err = await ageKeyService({ identities: [withSopstestMode(plug.identity, "error")] })
      .decrypt(master)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
    expect((err as Error).message).toContain("age-plugin-sopstest reported an error (identity 0): sopstest: this sopstest key is disabled")
  })

  it("a failing plugin identity does not stop the next one", async () => {
    const plug = pair()
    const { key, master } = await wrapped(plug.recipient)
    const svc = ageKeyService({ identities: [withSopstestMode(plug.identity, "error"), plug.identity] })
    expect(Buffer.from((await svc.decrypt(master))!).equals(Buffer.from(key))).toBe(true)
  })

  it("a malformed stanza from the plugin is a protocol error", async () => {
    const plug = pair()
    const wrapErr = await ageKeyService()
      .encrypt(ageKey(withSopstestMode(plug.recipient, "malformed")), dataKey())
      .catch((e: unknown) => e)
    expect(wrapErr).toMatchObject({ code: "ERR_KEY_WRAP" })
    expect((wrapErr as Error).message).toContain("age-plugin-sopstest broke the plugin protocol: malformed stanza body line")
    const { master } = await wrapped(plug.recipient)
    const err = await ageKeyService({ identities: [withSopstestMode(plug.identity, "malformed")] })
      .decrypt(master)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
    expect((err as Error).message).toContain("broke the plugin protocol: malformed stanza body line")
  })

  it("a plugin that exits early: its status in the error, its stderr to the logger", async () => {
    const plug = pair()
    const { master } = await wrapped(plug.recipient)
    const log = logger()
    const err = await ageKeyService({ identities: [withSopstestMode(plug.identity, "crash")], pluginLog: log.log })
      .decrypt(master)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
    expect((err as Error).message).toContain("age-plugin-sopstest exited with status 3 before finishing")
    expect(log.lines).toContain("sopstest: sopstest: crashing on purpose")
  })

  it("a plugin that hangs is stopped after pluginTimeoutMs", async () => {
    const plug = pair()
    const { master } = await wrapped(plug.recipient)
    const started = Date.now()
    const err = await ageKeyService({ identities: [withSopstestMode(plug.identity, "hang")], pluginTimeoutMs: 700 })
      .decrypt(master)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
    expect((err as Error).message).toContain("age-plugin-sopstest did not finish within 0.7 s")
    expect(Date.now() - started).toBeLessThan(10_000)

    const wrapErr = await ageKeyService({ pluginTimeoutMs: 700 })
      .encrypt(ageKey(withSopstestMode(plug.recipient, "hang")), dataKey())
      .catch((e: unknown) => e)
    expect(wrapErr).toMatchObject({ code: "ERR_KEY_WRAP" })
    expect((wrapErr as Error).message).toContain("did not finish within 0.7 s")
  })

  it("the caller's AbortSignal stops a plugin: ERR_ABORTED, also through the core API", async () => {
    const plug = pair()
    const { master } = await wrapped(plug.recipient)
    const svc = ageKeyService({ identities: [withSopstestMode(plug.identity, "hang")] })
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 300)
    await expect(svc.decrypt(master, { signal: ac.signal })).rejects.toMatchObject({ code: "ERR_ABORTED" })

    const ac2 = new AbortController()
    setTimeout(() => ac2.abort(), 300)
    await expect(ageKeyService().encrypt(ageKey(withSopstestMode(plug.recipient, "hang")), dataKey(), { signal: ac2.signal })).rejects.toMatchObject({
      code: "ERR_ABORTED",
    })

    const encrypted = await encrypt(YAML, { format: "yaml", keys: [ageKey(plug.recipient)], keyServices: [ageKeyService()] })
    const ac3 = new AbortController()
    setTimeout(() => ac3.abort(), 300)
    await expect(decrypt(encrypted, { format: "yaml", keyServices: [svc], signal: ac3.signal })).rejects.toMatchObject({ code: "ERR_ABORTED" })
  })

  it("rejects a non-positive pluginTimeoutMs", () => {
    expect(() => ageKeyService({ pluginTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })
})

describe("plugin prompts", () => {
  it("without a handler, msg and request-secret are answered `fail`, and the plugin's error says so", async () => {
    const plug = pair()
    const { master } = await wrapped(plug.recipient)
    const err = await ageKeyService({ identities: [withSopstestMode(plug.identity, "interactive")] })
      .decrypt(master)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
    expect((err as Error).message).toContain("sopstest: client answered fail to request-secret")

    const wrapErr = await ageKeyService()
      .encrypt(ageKey(withSopstestMode(plug.recipient, "interactive")), dataKey())
      .catch((e: unknown) => e)
    expect((wrapErr as Error).message).toContain("client answered fail to request-secret")
  })

  it("onPluginPrompt sees each request and its answer goes back to the plugin", async () => {
    const plug = pair()
    const { key, master } = await wrapped(plug.recipient)
    const prompts: AgePluginPrompt[] = []
    const svc = ageKeyService({
      identities: [withSopstestMode(plug.identity, "interactive")],
      onPluginPrompt: (p) => {
        prompts.push(p)
        return p.type === "request-secret" ? SOPSTEST_PIN : undefined
      },
    })
    expect(Buffer.from((await svc.decrypt(master))!).equals(Buffer.from(key))).toBe(true)
    expect(prompts).toEqual([
      { type: "msg", plugin: "sopstest", message: "touch the imaginary sopstest key" },
      { type: "request-secret", plugin: "sopstest", message: "sopstest PIN" },
    ])

    const wrongPin = ageKeyService({
      identities: [withSopstestMode(plug.identity, "interactive")],
      onPluginPrompt: async (p) => (p.type === "request-secret" ? "0000" : undefined),
    })
    await expect(wrongPin.decrypt(master)).rejects.toThrow(/sopstest: wrong PIN/)

    const throwing = ageKeyService({
      identities: [withSopstestMode(plug.identity, "interactive")],
      onPluginPrompt: () => {
        throw new Error("no terminal")
      },
    })
    await expect(throwing.decrypt(master)).rejects.toThrow(/client answered fail to request-secret/)
  })

  it("a prompt answered for encryption too", async () => {
    const plug = pair()
    const svc = ageKeyService({ onPluginPrompt: (p) => (p.type === "request-secret" ? SOPSTEST_PIN : undefined) })
    const key = dataKey()
    const enc = await svc.encrypt(ageKey(withSopstestMode(plug.recipient, "interactive")), key)
    const back = await ageKeyService({ identities: [plug.identity] }).decrypt(ageKey(plug.recipient, enc as string))
    expect(Buffer.from(back!).equals(Buffer.from(key))).toBe(true)
  })

  it("confirm: yes goes on, no declines (not my key), no handler fails", async () => {
    const plug = pair()
    const { key, master } = await wrapped(plug.recipient)
    const confirmId = withSopstestMode(plug.identity, "confirm")
    const seen: AgePluginPrompt[] = []
    const yes = ageKeyService({ identities: [confirmId], onPluginPrompt: (p) => (seen.push(p), true) })
    expect(Buffer.from((await yes.decrypt(master))!).equals(Buffer.from(key))).toBe(true)
    expect(seen).toEqual([{ type: "confirm", plugin: "sopstest", message: "use the sopstest key?", yes: "Use it", no: "Skip" }])
    const no = ageKeyService({ identities: [confirmId], onPluginPrompt: () => false })
    await expect(no.decrypt(master)).rejects.toBeInstanceOf(KeyUnavailableError)
    const none = ageKeyService({ identities: [confirmId] })
    await expect(none.decrypt(master)).rejects.toThrow(/client answered fail to confirm/)
  })

  it("time spent in the prompt handler does not count against pluginTimeoutMs", async () => {
    const plug = pair()
    const { master } = await wrapped(plug.recipient)
    const svc = ageKeyService({
      identities: [withSopstestMode(plug.identity, "interactive")],
      pluginTimeoutMs: 1500,
      onPluginPrompt: async (p) => {
        await new Promise((r) => setTimeout(r, 1000))
        return p.type === "request-secret" ? SOPSTEST_PIN : undefined
      },
    })
    expect(await svc.decrypt(master)).toHaveLength(32)
  })

  it("an abort while the handler waits for the user ends the session", async () => {
    const plug = pair()
    const { master } = await wrapped(plug.recipient)
    const svc = ageKeyService({
      identities: [withSopstestMode(plug.identity, "interactive")],
      onPluginPrompt: () => new Promise<string>(() => {}),
    })
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 500)
    await expect(svc.decrypt(master, { signal: ac.signal })).rejects.toMatchObject({ code: "ERR_ABORTED" })
  })
})
