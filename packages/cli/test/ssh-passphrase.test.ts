/**
 * Passphrase-protected SSH keys in the CLI: the passphrase is asked on the controlling
 * terminal as sops asks it (`Enter passphrase for "<path>": `), only when the file is
 * addressed to the key; without a terminal the key does not open and the error names it. The
 * last test runs the built binary on a real pseudo-terminal (util-linux `script`).
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describeWithTool } from "@sops-ts/testkit"
import { afterAll, describe, expect, it } from "vitest"
import { sshPassphraseQuestion, terminalSshPassphrase } from "../src/ssh-passphrase-prompt.js"
import { bin, built } from "./bin-helpers.js"
import { fakeTerminal } from "./fake-terminal.js"
import { ageKeyPair, run, tempDir } from "./helpers.js"

const PASSPHRASE = "correct horse battery"

describe("terminalSshPassphrase", () => {
  const request = { path: "/home/u/.ssh/id_ed25519", publicKey: "ssh-ed25519 AAAA" }

  it("asks as sops does, without echo, and returns what was typed", async () => {
    const term = fakeTerminal(`${PASSPHRASE}\r`)
    expect(await terminalSshPassphrase({ openTerminal: () => term })(request)).toBe(PASSPHRASE)
    expect(term.shown()).toBe('Enter passphrase for "/home/u/.ssh/id_ed25519": \n')
    expect(term.rawModes).toEqual([true])
    expect(term.closed).toBe(true)
  })

  it("returns null without a terminal and when cancelled", async () => {
    expect(await terminalSshPassphrase({ openTerminal: () => null })(request)).toBeNull()
    expect(await terminalSshPassphrase({ openTerminal: () => fakeTerminal("abc\u0003") })(request)).toBeNull()
  })

  it("quotes the path like Go's %q, so a file name cannot drive the terminal", () => {
    expect(sshPassphraseQuestion({ path: 'a"b\\c\u001b[2J\u0085é', publicKey: "x" })).toBe('Enter passphrase for "a\\"b\\\\c\\x1b[2J\\u0085é": ')
    expect(sshPassphraseQuestion({ path: null, publicKey: "ssh-ed25519 AAAA" })).toBe('Enter passphrase for "ssh-ed25519 AAAA": ')
  })
})

describeWithTool("ssh-keygen", "sops-ts with a passphrase-protected ~/.ssh/id_ed25519", () => {
  const dirs: (() => void)[] = []
  afterAll(() => {
    for (const d of dirs) d()
  })

  /** A home directory with an encrypted ~/.ssh/id_ed25519, and a file encrypted to that key (and to `also`). */
  async function setup(also?: string): Promise<{ dir: string; file: string; keyPath: string }> {
    const { dir, cleanup } = tempDir()
    dirs.push(cleanup)
    mkdirSync(join(dir, ".ssh"), { mode: 0o700 })
    const keyPath = join(dir, ".ssh", "id_ed25519")
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", PASSPHRASE, "-C", "test", "-f", keyPath], { stdio: "pipe" })
    const recipient = readFileSync(`${keyPath}.pub`, "utf8").trim()
    const file = join(dir, "secret.yaml")
    writeFileSync(file, "password: hunter2\n")
    const recipients = also === undefined ? recipient : `${recipient},${also}`
    const enc = await run(["encrypt", "--age", recipients, "--in-place", file], { cwd: dir })
    expect(enc.code, enc.stderr).toBe(0)
    return { dir, file, keyPath }
  }

  it("in process (no terminal): decryption fails and the error names the key that needs a passphrase", async () => {
    const { dir, file, keyPath } = await setup()
    const r = await run(["decrypt", file], { cwd: dir })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(`${keyPath} is a passphrase-protected SSH key addressed by this file, but no passphrase was given`)
    expect(r.out).not.toContain("hunter2")
  })

  it("in process (no terminal): another identity still opens the file", async () => {
    const other = await ageKeyPair()
    const { dir, file } = await setup(other.recipient)
    const r = await run(["decrypt", file], { cwd: dir, env: { SOPS_AGE_KEY: other.identity } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.out).toBe("password: hunter2\n")
  })

  const hasScript = spawnSync("script", ["--version"]).status === 0
  it.skipIf(!built || !hasScript)("on a real terminal: the passphrase typed there opens the file (built binary under `script`)", async () => {
    const { dir, file, keyPath } = await setup()
    const out = join(dir, "plain.yaml")
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} decrypt --output ${JSON.stringify(out)} ${JSON.stringify(file)}`
    const r = spawnSync("script", ["-qec", command, "/dev/null"], {
      cwd: dir,
      input: `${PASSPHRASE}\r`,
      env: { PATH: process.env["PATH"] ?? "", HOME: dir, TERM: "dumb" },
      timeout: 30_000,
    })
    const transcript = r.stdout.toString()
    expect(r.status, transcript).toBe(0)
    // (The transcript does show the passphrase: `script` types it before the prompt turns
    // echo off. That the prompt reads in raw mode is checked with the fake terminal above.)
    expect(transcript).toContain(`Enter passphrase for "${keyPath}": `)
    expect(existsSync(out)).toBe(true)
    expect(readFileSync(out, "utf8")).toBe("password: hunter2\n")
  })
})
