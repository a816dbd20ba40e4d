/**
 * sops' identity discovery, run against a temporary HOME and injected environments (the real
 * user's files and variables are never read).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { KeyUnavailableError } from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity, userConfigDir } from "@sops-ts/age"
import { encodePluginIdentity } from "@sops-ts/testkit"
import { WireWriter } from "../src/internal/ssh-wire.js"
import { ageKey, tempDir, text } from "./helpers.js"
import {
  mockEncryptedKey,
  mockEncryptedSshKey,
  mockIdentity,
  mockOtherIdentity,
  mockRecipient,
  mockSshIdentity,
  mockSshRecipient,
} from "./sops-vectors.js"

const tmp = tempDir()
afterAll(() => tmp.cleanup())
let n = 0
/** A fresh, empty home directory. */
function home(): string {
  const dir = join(tmp.dir, `home${n++}`)
  mkdirSync(dir, { recursive: true })
  return dir
}
function write(path: string, content: string): string {
  mkdirSync(join(path, ".."), { recursive: true })
  writeFileSync(path, content, { mode: 0o600 })
  return path
}
const PATH = process.env["PATH"]

describe("userConfigDir", () => {
  const h = "/home/u"
  it("Linux: $XDG_CONFIG_HOME, else ~/.config; a relative XDG path is an error", () => {
    expect(userConfigDir({ env: { XDG_CONFIG_HOME: "/x" }, homeDir: h, platform: "linux" })).toEqual({ dir: "/x" })
    expect(userConfigDir({ env: {}, homeDir: h, platform: "linux" })).toEqual({ dir: join(h, ".config") })
    expect(userConfigDir({ env: { XDG_CONFIG_HOME: "" }, homeDir: h, platform: "linux" })).toEqual({ dir: join(h, ".config") })
    expect(userConfigDir({ env: { XDG_CONFIG_HOME: "rel" }, homeDir: h, platform: "linux" })).toHaveProperty("error")
    expect(userConfigDir({ env: { HOME: "/h2" }, platform: "linux" })).toEqual({ dir: join("/h2", ".config") })
  })
  it("macOS: $XDG_CONFIG_HOME if set (sops' addition), else ~/Library/Application Support", () => {
    expect(userConfigDir({ env: { XDG_CONFIG_HOME: "/x" }, homeDir: h, platform: "darwin" })).toEqual({ dir: "/x" })
    expect(userConfigDir({ env: {}, homeDir: h, platform: "darwin" })).toEqual({ dir: join(h, "Library", "Application Support") })
  })
  it("Windows: %AppData%", () => {
    expect(userConfigDir({ env: { AppData: "C:\\Users\\u\\AppData\\Roaming" }, platform: "win32" })).toEqual({
      dir: "C:\\Users\\u\\AppData\\Roaming",
    })
    expect(userConfigDir({ env: {}, platform: "win32" })).toHaveProperty("error")
  })
})

describe("discovery sources", () => {
  it("nothing configured → not my key, listing where it looked", async () => {
    const h = home()
    const err = await ageKeyService({ discover: { env: {}, homeDir: h, platform: "linux" } })
      .decrypt(ageKey(mockRecipient, mockEncryptedKey))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyUnavailableError)
    const msg = (err as Error).message
    for (const where of ["SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", join(h, ".ssh", "id_ed25519"), join(h, ".config", "sops", "age", "keys.txt")]) {
      expect(msg).toContain(where)
    }
  })

  it("SOPS_AGE_KEY: several identities separated by whitespace, # lines skipped", async () => {
    const env = { SOPS_AGE_KEY: `# comment\n${mockOtherIdentity}   ${mockIdentity}\n` }
    const svc = ageKeyService({ discover: { env, homeDir: home() } })
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
  })

  it("SOPS_AGE_KEY_FILE", async () => {
    const file = write(join(tmp.dir, "kf", "keys.txt"), `# created: now\n\n${mockIdentity}\n`)
    const svc = ageKeyService({ discover: { env: { SOPS_AGE_KEY_FILE: file }, homeDir: home() } })
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
  })

  it("default keys.txt under $XDG_CONFIG_HOME and under ~/.config (Linux), ~/Library/Application Support (macOS)", async () => {
    const h1 = home()
    write(join(h1, "xdg", "sops", "age", "keys.txt"), `${mockIdentity}\n`)
    const viaXdg = ageKeyService({ discover: { env: { XDG_CONFIG_HOME: join(h1, "xdg") }, homeDir: h1, platform: "linux" } })
    expect(text(await viaXdg.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")

    const h2 = home()
    write(join(h2, ".config", "sops", "age", "keys.txt"), `${mockIdentity}\n`)
    const viaHome = ageKeyService({ discover: { env: {}, homeDir: h2, platform: "linux" } })
    expect(text(await viaHome.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")

    const h3 = home()
    write(join(h3, "Library", "Application Support", "sops", "age", "keys.txt"), `${mockIdentity}\n`)
    const mac = ageKeyService({ discover: { env: {}, homeDir: h3, platform: "darwin" } })
    expect(text(await mac.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
  })

  it("~/.ssh/id_ed25519", async () => {
    const h = home()
    write(join(h, ".ssh", "id_ed25519"), mockSshIdentity)
    const svc = ageKeyService({ discover: { env: {}, homeDir: h } })
    expect(text(await svc.decrypt(ageKey(mockSshRecipient, mockEncryptedSshKey)))).toBe("data")
  })

  it("SOPS_AGE_SSH_PRIVATE_KEY_FILE", async () => {
    const file = write(join(tmp.dir, "sshf", "key"), mockSshIdentity)
    const svc = ageKeyService({ discover: { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: file }, homeDir: home() } })
    expect(text(await svc.decrypt(ageKey(mockSshRecipient, mockEncryptedSshKey)))).toBe("data")
  })

  it("all sources are combined, not first-wins", async () => {
    const h = home()
    write(join(h, ".ssh", "id_ed25519"), mockSshIdentity)
    const other = await generateAgeIdentity()
    write(join(h, ".config", "sops", "age", "keys.txt"), `${mockIdentity}\n`)
    const svc = ageKeyService({ discover: { env: { SOPS_AGE_KEY: other.identity }, homeDir: h, platform: "linux" } })
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
    expect(text(await svc.decrypt(ageKey(mockSshRecipient, mockEncryptedSshKey)))).toBe("data")
    const unrelated = await generateAgeIdentity()
    const enc = await ageKeyService().encrypt(ageKey(unrelated.recipient), new Uint8Array(32))
    const err = await svc.decrypt(ageKey(unrelated.recipient, enc)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyUnavailableError)
    expect((err as Error).message).toContain(
      `(3 identities loaded from ${join(h, ".ssh", "id_ed25519")}, SOPS_AGE_KEY, ${join(h, ".config", "sops", "age", "keys.txt")})`,
    )
  })

  it("explicit identities: the environment is not read", async () => {
    vi.stubEnv("SOPS_AGE_KEY", mockIdentity)
    try {
      const svc = ageKeyService({ identities: [mockOtherIdentity] })
      await expect(svc.decrypt(ageKey(mockRecipient, mockEncryptedKey))).rejects.toBeInstanceOf(KeyUnavailableError)
    } finally {
      vi.unstubAllEnvs()
    }
  })
})

describe("lazy loading and caching", () => {
  it("reads sources on the first decrypt, then reuses them", async () => {
    const file = join(tmp.dir, "lazy", "keys.txt")
    const svc = ageKeyService({ discover: { env: { SOPS_AGE_KEY_FILE: file }, homeDir: home() } })
    write(file, `${mockIdentity}\n`) // created after the service: proves nothing was read yet
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
    rmSync(file)
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
  })
})

describe("key commands", () => {
  let script = ""
  let log = ""
  beforeAll(() => {
    log = join(tmp.dir, "cmd.log")
    writeFileSync(log, "")
    script = write(
      join(tmp.dir, "cmd", "print-key.mjs"),
      [
        `import { appendFileSync } from "node:fs"`,
        `appendFileSync(${JSON.stringify(log)}, (process.env.SOPS_AGE_RECIPIENT ?? "<unset>") + "\\n")`,
        `const [kind] = process.argv.slice(2)`,
        `if (kind === "fail") { process.stdout.write("AGE-SECRET-KEY-1LEAKED"); process.exit(3) }`,
        `process.stdout.write(kind === "ssh" ? ${JSON.stringify(mockSshIdentity)} : ${JSON.stringify(mockIdentity + "\n")})`,
      ].join("\n"),
    )
  })
  const cmd = (arg: string): string => `'${process.execPath}' "${script}" ${arg}`

  it("SOPS_AGE_KEY_CMD runs with SOPS_AGE_RECIPIENT, once per recipient", async () => {
    writeFileSync(log, "")
    const svc = ageKeyService({ discover: { env: { PATH, SOPS_AGE_KEY_CMD: cmd("age") }, homeDir: home() } })
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
    await expect(svc.decrypt(ageKey("age1other", mockEncryptedKey))).resolves.toBeDefined()
    expect(readFileSync(log, "utf8")).toBe(`${mockRecipient}\nage1other\n`)
  })

  it("SOPS_AGE_SSH_PRIVATE_KEY_CMD", async () => {
    writeFileSync(log, "")
    const svc = ageKeyService({ discover: { env: { PATH, SOPS_AGE_SSH_PRIVATE_KEY_CMD: cmd("ssh") }, homeDir: home() } })
    expect(text(await svc.decrypt(ageKey(mockSshRecipient, mockEncryptedSshKey)))).toBe("data")
    expect(readFileSync(log, "utf8")).toBe(`${mockSshRecipient}\n`)
  })

  it("a failing command is reported by name and status, without its output", async () => {
    const svc = ageKeyService({ discover: { env: { PATH, SOPS_AGE_KEY_CMD: cmd("fail") }, homeDir: home() } })
    const err = await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
    expect((err as Error).message).toContain("SOPS_AGE_KEY_CMD: the command exited with status 3")
    expect((err as Error).message).not.toContain("LEAKED")
  })

  it("an unparsable or missing command is a load error", async () => {
    for (const [c, expected] of [
      [`'unterminated`, "cannot parse the command"],
      ["/nonexistent/sops-ts-test-command", "could not be started"],
    ] as const) {
      const svc = ageKeyService({ discover: { env: { PATH, SOPS_AGE_KEY_CMD: c }, homeDir: home() } })
      const err = await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
      expect((err as Error).message).toContain(expected)
    }
  })
})

describe("broken sources", () => {
  it("a malformed key file is an error naming the file and line, not its content", async () => {
    const file = write(join(tmp.dir, "bad", "keys.txt"), `# ok\nAGE-SECRET-KEY-1SECRETGARBAGE\n`)
    const svc = ageKeyService({ discover: { env: { SOPS_AGE_KEY_FILE: file }, homeDir: home() } })
    const err = await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
    expect((err as Error).message).toContain(`SOPS_AGE_KEY_FILE (${file}), line 2`)
    expect((err as Error).message).not.toContain("SECRETGARBAGE")
  })

  it("a broken source does not prevent another source from opening the key (as in sops)", async () => {
    const svc = ageKeyService({
      discover: { env: { SOPS_AGE_KEY_FILE: join(tmp.dir, "missing.txt"), SOPS_AGE_KEY: mockIdentity }, homeDir: home() },
    })
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
  })

  it("when nothing matches, load errors turn 'not my key' into a failure that names them", async () => {
    const missing = join(tmp.dir, "missing.txt")
    const svc = ageKeyService({ discover: { env: { SOPS_AGE_KEY_FILE: missing, SOPS_AGE_KEY: mockOtherIdentity }, homeDir: home() } })
    const err = await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
    expect((err as Error).message).toContain(`SOPS_AGE_KEY_FILE (${missing}): cannot read the file (ENOENT)`)
  })

  it("a passphrase-protected OpenSSH key is kept locked; its passphrase is not asked for a file not addressed to it", async () => {
    // Was "reported as unsupported" before passphrase-protected SSH keys were supported (sops 3.10+).
    const pub = new WireWriter().string("ssh-ed25519").string(new Uint8Array(32).fill(1)).bytes()
    const body = new WireWriter()
      .string("aes256-ctr")
      .string("bcrypt")
      .string(new WireWriter().string(new Uint8Array(16)).uint32(16).bytes())
      .uint32(1)
      .string(pub)
      .string(new Uint8Array(64))
      .bytes()
    const blob = Buffer.concat([Buffer.from("openssh-key-v1\0", "latin1"), body]).toString("base64")
    const pem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${blob.replace(/(.{70})/g, "$1\n")}\n-----END OPENSSH PRIVATE KEY-----\n`
    const h = home()
    write(join(h, ".ssh", "id_ed25519"), pem)
    const asked: unknown[] = []
    const svc = ageKeyService({
      discover: { env: {}, homeDir: h },
      onSshPassphrase: (r) => {
        asked.push(r)
        return null
      },
    })
    const err = await svc.decrypt(ageKey(mockSshRecipient, mockEncryptedSshKey)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyUnavailableError)
    expect((err as Error).message).toContain(`1 identity loaded from ${join(h, ".ssh", "id_ed25519")}`)
    expect(asked).toEqual([])
  })

  it("a passphrase-protected SSH key with an unsupported cipher or too many KDF rounds is a load error", async () => {
    const pub = new WireWriter().string("ssh-ed25519").string(new Uint8Array(32).fill(1)).bytes()
    const key = (cipher: string, rounds: number): string => {
      const body = new WireWriter()
        .string(cipher)
        .string("bcrypt")
        .string(new WireWriter().string(new Uint8Array(16)).uint32(rounds).bytes())
        .uint32(1)
        .string(pub)
        .string(new Uint8Array(64))
        .bytes()
      const blob = Buffer.concat([Buffer.from("openssh-key-v1\0", "latin1"), body]).toString("base64")
      return `-----BEGIN OPENSSH PRIVATE KEY-----\n${blob}\n-----END OPENSSH PRIVATE KEY-----\n`
    }
    for (const [cipher, rounds, expected] of [
      ["chacha20-poly1305@openssh.com", 16, `unsupported cipher "chacha20-poly1305@openssh.com"`],
      ["aes256-ctr", 100_000, "100000 bcrypt KDF rounds, more than the 2048 accepted"],
      ["constructor", 17, `unsupported cipher "constructor"`],
    ] as const) {
      const file = write(join(tmp.dir, "locked", `${rounds}`), key(cipher, rounds))
      const svc = ageKeyService({ discover: { env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: file }, homeDir: home() }, onSshPassphrase: () => "x" })
      const err = await svc.decrypt(ageKey(mockSshRecipient, mockEncryptedSshKey)).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
      expect((err as Error).message).toContain(`SOPS_AGE_SSH_PRIVATE_KEY_FILE (${file}): invalid SSH identity: `)
      expect((err as Error).message).toContain(expected)
    }
  })

  it("plugin identities are kept; without their plugin on PATH the key is unavailable, with a note", async () => {
    const identity = encodePluginIdentity("yubikey", new Uint8Array(33).fill(1))
    const svc = ageKeyService({ discover: { env: { SOPS_AGE_KEY: identity, PATH: "/nonexistent" }, homeDir: home() } })
    const err = await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyUnavailableError)
    expect((err as Error).message).toContain("1 identity loaded from SOPS_AGE_KEY")
    expect((err as Error).message).toContain("age-plugin-yubikey was not found on PATH (needed by the plugin identity from SOPS_AGE_KEY)")
  })

  it("a malformed plugin identity is a load error", async () => {
    const svc = ageKeyService({ discover: { env: { SOPS_AGE_KEY: "AGE-PLUGIN-YUBIKEY-1QQQQQQ" }, homeDir: home() } })
    const err = await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: "ERR_KEY_FAILED" })
    expect((err as Error).message).toContain("SOPS_AGE_KEY, line 1: malformed age plugin identity")
  })
})

describe("aborting a key command", () => {
  it("reports ERR_ABORTED and does not cache the aborted attempt", async () => {
    const script = write(join(tmp.dir, "slow", "slow.mjs"), `setTimeout(() => process.stdout.write(${JSON.stringify(mockIdentity)}), 300)`)
    const svc = ageKeyService({ discover: { env: { PATH, SOPS_AGE_KEY_CMD: `'${process.execPath}' '${script}'` }, homeDir: home() } })
    const ac = new AbortController()
    const pending = svc.decrypt(ageKey(mockRecipient, mockEncryptedKey), { signal: ac.signal })
    setTimeout(() => ac.abort(), 50)
    await expect(pending).rejects.toMatchObject({ code: "ERR_ABORTED" })
    expect(text(await svc.decrypt(ageKey(mockRecipient, mockEncryptedKey)))).toBe("data")
  })
})
