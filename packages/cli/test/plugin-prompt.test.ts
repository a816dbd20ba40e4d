/**
 * age plugin prompts in the CLI: messages on stderr, questions (PIN, confirmation) on the
 * controlling terminal, and no terminal meaning the request fails. The last block runs the
 * built binary on a real pseudo-terminal (util-linux `script`), as a user with a YubiKey would.
 */
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { installSopstestPlugin, sopstestKeyPair, SOPSTEST_PIN, withSopstestMode, type InstalledAgePlugin } from "@sops-ts/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { terminalPluginPrompt } from "../src/plugin-prompt.js"
import { bin, built } from "./bin-helpers.js"
import { fakeTerminal } from "./fake-terminal.js"
import { run, tempDir } from "./helpers.js"

function messages(): { write(t: string): void; text: () => string } {
  const parts: string[] = []
  return { write: (t) => void parts.push(t), text: () => parts.join("") }
}

describe("terminalPluginPrompt", () => {
  it("reads a secret in raw mode (nothing echoed), with backspace editing", async () => {
    const term = fakeTerminal("12x\u007f34\r")
    const ask = terminalPluginPrompt({ messages: messages(), openTerminal: () => term })
    expect(await ask({ type: "request-secret", plugin: "yubikey", message: "Enter PIN" })).toBe("1234")
    expect(term.rawModes).toEqual([true])
    expect(term.shown()).toBe("[age-plugin-yubikey] Enter PIN: \n")
    expect(term.shown()).not.toContain("1234")
    expect(term.closed).toBe(true)
  })

  it("cancels on Ctrl-C and on end of input", async () => {
    const ask = terminalPluginPrompt({ messages: messages(), openTerminal: () => fakeTerminal("12\u0003") })
    expect(await ask({ type: "request-secret", plugin: "p", message: "PIN" })).toBeNull()
    const ended = fakeTerminal("")
    setImmediate(() => ended.input.end())
    expect(await terminalPluginPrompt({ messages: messages(), openTerminal: () => ended })({ type: "request-public", plugin: "p", message: "Slot" })).toBeNull()
  })

  it("reads a public answer without raw mode", async () => {
    const term = fakeTerminal("slot 2\n")
    const ask = terminalPluginPrompt({ messages: messages(), openTerminal: () => term })
    expect(await ask({ type: "request-public", plugin: "p", message: "Slot" })).toBe("slot 2")
    expect(term.rawModes).toEqual([])
  })

  it("confirms only for the plugin's yes label (or y/yes)", async () => {
    const confirm = (typed: string) =>
      terminalPluginPrompt({ messages: messages(), openTerminal: () => fakeTerminal(typed) })({
        type: "confirm",
        plugin: "p",
        message: "Use the key in slot 1?",
        yes: "Use",
        no: "Skip",
      })
    expect(await confirm("use\n")).toBe(true)
    expect(await confirm("y\n")).toBe(true)
    expect(await confirm("skip\n")).toBe(false)
    expect(await confirm("\n")).toBe(false)
  })

  it("shows messages on the message stream, and fails questions without a terminal", async () => {
    const m = messages()
    const ask = terminalPluginPrompt({ messages: m, openTerminal: () => null })
    await ask({ type: "msg", plugin: "tpm", message: "Touch the key" })
    expect(m.text()).toBe("[age-plugin-tpm] Touch the key\n")
    expect(await ask({ type: "request-secret", plugin: "tpm", message: "PIN" })).toBeNull()
  })
})

describe("sops-ts with an age plugin that asks questions", () => {
  let plugin: InstalledAgePlugin
  const dirs: (() => void)[] = []
  beforeAll(() => {
    plugin = installSopstestPlugin()
  })
  afterAll(() => {
    plugin.cleanup()
    for (const d of dirs) d()
  })

  async function encryptedFile(): Promise<{ dir: string; file: string; identity: string }> {
    const { dir, cleanup } = tempDir()
    dirs.push(cleanup)
    const keys = sopstestKeyPair("interactive")
    const file = join(dir, "secret.yaml")
    writeFileSync(file, "password: hunter2\n")
    // Encrypting with the interactive plugin asks for the PIN too: answer it via a normal-mode recipient.
    const recipient = withSopstestMode(keys.recipient, "normal")
    const env = { PATH: plugin.pathWith() }
    const enc = await run(["encrypt", "--age", recipient, "--in-place", file], { cwd: dir, env })
    expect(enc.code, enc.stderr).toBe(0)
    return { dir, file, identity: withSopstestMode(keys.identity, "interactive") }
  }

  it("in process (no terminal): the plugin's message is shown and its PIN request fails with the plugin's error", async () => {
    const { dir, file, identity } = await encryptedFile()
    const r = await run(["decrypt", file], { cwd: dir, env: { PATH: plugin.pathWith(), SOPS_AGE_KEY: identity } })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain("[age-plugin-sopstest] touch the imaginary sopstest key")
    expect(r.stderr).toContain("client answered fail to request-secret")
    expect(r.out).not.toContain("hunter2")
  })

  const hasScript = spawnSync("script", ["--version"]).status === 0
  it.skipIf(!built || !hasScript)("on a real terminal: the PIN typed there opens the file (built binary under `script`)", async () => {
    const { dir, file, identity } = await encryptedFile()
    const out = join(dir, "plain.yaml")
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} decrypt --output ${JSON.stringify(out)} ${JSON.stringify(file)}`
    const r = spawnSync("script", ["-qec", command, "/dev/null"], {
      cwd: dir,
      input: `${SOPSTEST_PIN}\r`,
      env: { PATH: plugin.pathWith(), HOME: dir, SOPS_AGE_KEY: identity, TERM: "dumb" },
      timeout: 30_000,
    })
    const transcript = r.stdout.toString()
    expect(r.status, transcript).toBe(0)
    expect(transcript).toContain("[age-plugin-sopstest] sopstest PIN: ")
    expect(existsSync(out)).toBe(true)
    expect(readFileSync(out, "utf8")).toBe("password: hunter2\n")
  })
})
