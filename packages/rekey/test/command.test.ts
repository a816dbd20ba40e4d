import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { parseEncrypted, type KeyService } from "@sops-ts/core"
import { runRekeyCommand, type RekeyCommandIo } from "@sops-ts/rekey"
import { ageService, newAgeId, tempDir, writeEncrypted, type AgeId } from "./helpers.js"

let dir: string
let cleanup: () => void
let alice: AgeId
let bob: AgeId
let files: string[]

beforeEach(async () => {
  ;({ dir, cleanup } = tempDir())
  alice = await newAgeId()
  bob = await newAgeId()
  files = []
  for (let i = 0; i < 3; i++) {
    const p = join(dir, "secrets", `s${i}.yaml`)
    await writeEncrypted(p, i, [alice.key], [ageService(alice)])
    files.push(p)
  }
})
afterEach(() => cleanup())

function io(extra: Partial<RekeyCommandIo> = {}, services: KeyService[] = [ageService(alice)]) {
  const out = { stdout: "", stderr: "" }
  const value: RekeyCommandIo = {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    env: {},
    cwd: dir,
    isTTY: false,
    keyServices: services,
    signal: new AbortController().signal,
    ...extra,
  }
  return { io: value, out }
}

const keysOf = (p: string) => parseEncrypted(new Uint8Array(readFileSync(p)), "yaml").metadata.keyGroups[0]!.length

describe("runRekeyCommand", () => {
  it("--dry-run prints each planned change and a summary, and writes nothing", async () => {
    const before = files.map((f) => readFileSync(f))
    const { io: i, out } = io()
    const code = await runRekeyCommand(["--operation", "add", "--add-age", bob.recipient, "--dry-run", "--no-git", "secrets"], i)
    expect(code).toBe(0)
    expect(out.stdout).toContain(`planned      secrets/s0.yaml: +age ${bob.recipient}`)
    expect(out.stdout).toMatch(/\| planned +\| +3 \|/)
    files.forEach((f, n) => expect(readFileSync(f).equals(before[n]!)).toBe(true))
  })

  it("refuses to change files without -y when it cannot ask", async () => {
    const { io: i, out } = io()
    expect(await runRekeyCommand(["--operation", "add", "--add-age", bob.recipient, "secrets"], i)).toBe(2)
    expect(out.stderr).toContain("-y")
    expect(keysOf(files[0]!)).toBe(1)
  })

  it("asks for confirmation when it can", async () => {
    const questions: string[] = []
    const { io: i } = io({ confirm: async (q) => (questions.push(q), true) })
    expect(await runRekeyCommand(["--operation", "add", "--add-age", bob.recipient, "secrets"], i)).toBe(0)
    expect(questions).toEqual(["Re-key 3 file(s)?"])
    expect(keysOf(files[0]!)).toBe(2)
  })

  it("exits 1 listing a failed file, writes the JSON report, and re-keys the rest", async () => {
    writeFileSync(files[1]!, readFileSync(files[1]!, "utf8").replace(/mac: ENC\[AES256_GCM,data:./, "mac: ENC[AES256_GCM,data:#"))
    const { io: i, out } = io()
    const code = await runRekeyCommand(["--operation=add", `--add-age=${bob.recipient}`, "-y", "--report", "report.json", "secrets/*.yaml"], i)
    expect(code).toBe(1)
    expect(out.stderr).toContain("1 file(s) failed")
    expect(out.stderr).toContain("secrets/s1.yaml")
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"))
    expect(report.version).toBe(1)
    expect(report.totals).toMatchObject({ updated: 2, failed: 1 })
    const failed = report.files.find((f: { status: string }) => f.status === "failed")
    expect(failed.path).toBe(files[1])
    expect(failed.error.code).toMatch(/^ERR_/)
    expect(keysOf(files[0]!)).toBe(2)
  })

  it("migrates with --from/--to-*", async () => {
    const { io: i } = io()
    expect(await runRekeyCommand(["--operation", "migrate", "--from", "age", "--to-age", bob.recipient, "-y", "secrets"], i)).toBe(0)
    const groups = parseEncrypted(new Uint8Array(readFileSync(files[2]!)), "yaml").metadata.keyGroups
    expect(groups).toEqual([[expect.objectContaining({ recipient: bob.recipient })]])
  })

  it("exits 130 and cancels when stopped before starting", async () => {
    const c = new AbortController()
    c.abort()
    const { io: i, out } = io({ signal: c.signal })
    expect(await runRekeyCommand(["--operation", "rotate", "-y", "secrets"], i)).toBe(130)
    expect(out.stdout).toContain("(interrupted)")
  })

  it.each([
    [["--operation", "nope", "x"], "unknown operation"],
    [["--operation", "add", "x"], "--add-"],
    [["--concurrency", "0", "x"], "positive integer"],
    [["--add-age", "not-a-recipient", "--operation", "add", "x"], "age"],
    [[], "no path"],
    [["--frobnicate", "x"], "unknown flag"],
  ])("usage error %j → exit 2", async (argv, msg) => {
    const { io: i, out } = io()
    expect(await runRekeyCommand(argv, i)).toBe(2)
    expect(out.stderr).toContain(msg)
  })

  it("draws a progress bar on a TTY and plain lines otherwise", async () => {
    const tty = io({ isTTY: true })
    expect(await runRekeyCommand(["--operation", "add", "--add-age", bob.recipient, "-y", "secrets"], tty.io)).toBe(0)
    expect(tty.out.stderr).toMatch(/\r\x1b\[K\[#+\] 3\/3 {2}failed 0 {2}[\d.]+ files\/s {2}ETA \d+s/)
    const plain = io({ isTTY: false })
    expect(await runRekeyCommand(["--operation", "remove", "--rm-age", bob.recipient, "-y", "secrets"], plain.io)).toBe(0)
    expect(plain.out.stderr).not.toContain("\x1b")
    expect(plain.out.stdout.split("\n").filter((l) => l.startsWith("updated "))).toHaveLength(3)
  })

  it("prints help", async () => {
    const { io: i, out } = io()
    expect(await runRekeyCommand(["--help"], i)).toBe(0)
    expect(out.stdout).toContain("Usage: sops-ts rekey")
  })
})
