/**
 * age plugins against the real `age` CLI (filippo.io/age, which has spoken the plugin protocol
 * since v1.0): a data key wrapped here for a plugin recipient opens with
 * `age -d -i <plugin identity file>`, and files `age` encrypts to a plugin recipient open
 * here. `age` and our client both drive testkit's `age-plugin-sopstest`, so this also checks
 * the test plugin against the reference client.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { describeWithTool, installSopstestPlugin, sopstestKeyPair, type InstalledAgePlugin } from "@sops-ts/testkit"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { decodeArmor, parseHeader } from "../src/internal/format.js"
import { ageKey, tempDir } from "./helpers.js"

describeWithTool("age", "age plugins: interop with the age CLI", () => {
  const tmp = tempDir()
  let plugin: InstalledAgePlugin
  let env: NodeJS.ProcessEnv
  const originalPath = process.env["PATH"]

  beforeAll(() => {
    plugin = installSopstestPlugin()
    env = { ...process.env, PATH: plugin.pathWith(originalPath) }
    // Our client finds the plugin on the process PATH, as sops does.
    process.env["PATH"] = env["PATH"]
  })
  afterAll(() => {
    process.env["PATH"] = originalPath
    plugin.cleanup()
    tmp.cleanup()
  })

  function identityFile(name: string, identity: string): string {
    const file = join(tmp.dir, name)
    writeFileSync(file, `# age-plugin-sopstest\n${identity}\n`, { mode: 0o600 })
    return file
  }

  function ageDecrypt(file: string, armored: string): Buffer {
    return execFileSync("age", ["-d", "-i", file], { input: armored, env })
  }

  function ageEncrypt(args: string[], data: Uint8Array): string {
    return execFileSync("age", ["-a", ...args], { input: data, env }).toString("utf8")
  }

  it("a data key wrapped here for a plugin recipient opens with `age -d -i <plugin identity>`", async () => {
    const { recipient, identity } = sopstestKeyPair()
    const dataKey = new Uint8Array(randomBytes(32))
    const enc = await ageKeyService().encrypt(ageKey(recipient), dataKey)
    expect(ageDecrypt(identityFile("wrap.txt", identity), enc as string).equals(Buffer.from(dataKey))).toBe(true)
  })

  it("a file `age -r age1sopstest1…` encrypts opens with the plugin identity here", async () => {
    const { recipient, identity } = sopstestKeyPair()
    const dataKey = new Uint8Array(randomBytes(32))
    const armored = ageEncrypt(["-r", recipient], dataKey)
    expect(parseHeader(decodeArmor(armored)).stanzas.map((s) => s.args[0])).toEqual(["sopstest"])
    const out = await ageKeyService({ identities: [identity] }).decrypt(ageKey(recipient, armored))
    expect(Buffer.from(out!).equals(Buffer.from(dataKey))).toBe(true)
  })

  it("a file `age` encrypts to a native and a plugin recipient: the plugin gets every stanza and finds its own", async () => {
    const plug = sopstestKeyPair()
    const native = await generateAgeIdentity()
    const dataKey = new Uint8Array(randomBytes(33))
    const armored = ageEncrypt(["-r", native.recipient, "-r", plug.recipient], dataKey)
    expect(parseHeader(decodeArmor(armored)).stanzas.map((s) => s.args[0])).toEqual(["X25519", "sopstest"])
    for (const id of [plug.identity, native.identity]) {
      const out = await ageKeyService({ identities: [id] }).decrypt(ageKey(plug.recipient, armored))
      expect(Buffer.from(out!).equals(Buffer.from(dataKey))).toBe(true)
    }
  })

  it("`age` refuses what our plugin client refuses: a key the plugin reports an error for", () => {
    const { recipient } = sopstestKeyPair("error")
    expect(() => execFileSync("age", ["-a", "-r", recipient], { input: "x", env, stdio: "pipe" })).toThrow(/this sopstest key is disabled/)
  })
})
