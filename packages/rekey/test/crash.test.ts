/**
 * Crash safety: a child process runs a rotation over ~50 files and is killed with SIGKILL at a
 * random moment. Afterwards every file must decrypt to its original plaintext and be either
 * its old bytes or a complete new version; a rerun with the journal must finish the job
 * without rotating again the files the killed run had already replaced.
 *
 * The child imports the built packages (`dist/`, produced by `tsc -b`, which `npm test` runs
 * first). Without them the suite is skipped with a note.
 */
import { spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { parseEncrypted } from "@sops-ts/core"
import { ageService, decryptText, newAgeId, plainYaml, tempDir, writeEncrypted, type AgeId } from "./helpers.js"

const repoRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..")
const dist = (pkg: string): string => join(repoRoot, "packages", pkg, "dist", "index.js")
const built = ["rekey", "core", "age"].every((p) => existsSync(dist(p)))
if (!built) console.warn("[rekey crash tests] skipped: packages are not built (run `npx tsc -b` or `npm test`)")

const CHILD = `
import { rekey } from ${JSON.stringify(dist("rekey"))}
import { ageKeyService } from ${JSON.stringify(dist("age"))}
const cfg = JSON.parse(process.env.REKEY_CRASH_CONFIG)
const result = await rekey({
  files: [cfg.dir],
  operation: "rotate",
  keyServices: [ageKeyService({ identities: [cfg.identity] })],
  journal: cfg.journal,
  concurrency: 4,
  useGit: false,
  // One "." per finished file lets the parent pick its moment.
  onProgress: (p) => { if (p.last) process.stdout.write(".") },
})
process.stdout.write("\\n" + JSON.stringify(result.totals))
`

interface ChildRun {
  killed: boolean
  stdout: string
}

/**
 * Runs the child; with `kill`, sends SIGKILL `kill.delayMs` after `kill.afterFiles` files have
 * finished (so the kill lands mid-run however long the child takes to start).
 */
function runChild(config: object, kill: { afterFiles: number; delayMs: number } | null): Promise<ChildRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], {
      env: { ...process.env, REKEY_CRASH_CONFIG: JSON.stringify(config) },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    let timer: NodeJS.Timeout | null = null
    const arm = (): void => {
      if (kill && timer === null && stdout.split(".").length - 1 >= kill.afterFiles) {
        timer = setTimeout(() => child.kill("SIGKILL"), kill.delayMs)
      }
    }
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString()
      arm()
    })
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    arm()
    child.on("error", fail)
    child.on("exit", (code, signal) => {
      if (timer) clearTimeout(timer)
      if (signal === "SIGKILL") return done({ killed: true, stdout })
      if (code !== 0) return fail(new Error(`child exited ${code}: ${stderr}`))
      done({ killed: false, stdout })
    })
  })
}

describe.skipIf(!built)("crash safety (child process killed with SIGKILL)", () => {
  const N = 50
  let dir: string
  let cleanup: () => void
  let alice: AgeId

  beforeEach(async () => {
    ;({ dir, cleanup } = tempDir())
    alice = await newAgeId()
  })
  afterEach(() => cleanup())

  async function makeFiles(sub: string): Promise<{ files: string[]; old: Buffer[] }> {
    const files: string[] = []
    for (let i = 0; i < N; i++) {
      const p = join(dir, sub, `f${String(i).padStart(2, "0")}.yaml`)
      await writeEncrypted(p, i, [alice.key], [ageService(alice)])
      files.push(p)
    }
    return { files, old: files.map((f) => readFileSync(f)) }
  }

  it("leaves every file old or new and decryptable, at any kill point, and resumes from the journal", async () => {
    // Kill points: before the first file finishes, then after a random number of files plus
    // a random few milliseconds (inside a write, a journal sync, a key unwrap...).
    const kills = [{ afterFiles: 0, delayMs: 0 }, ...Array.from({ length: 5 }, () => ({
      afterFiles: 1 + Math.floor(Math.random() * (N - 5)),
      delayMs: Math.floor(Math.random() * 4),
    }))]
    let killedMidRun = 0
    for (const [run, kill] of kills.entries()) {
      const sub = `run${run}`
      const { files, old } = await makeFiles(sub)
      const journal = join(dir, `${sub}.jsonl`)
      const config = { dir: join(dir, sub), identity: alice.identity, journal }
      const first = await runChild(config, kill)

      const replaced = new Set<string>()
      for (const [i, f] of files.entries()) {
        const now = readFileSync(f)
        // Old or new, and in both cases a complete file that decrypts to the same values.
        expect(await decryptText(new Uint8Array(now), [ageService(alice)])).toBe(plainYaml(i))
        if (!now.equals(old[i]!)) {
          replaced.add(f)
          expect(parseEncrypted(new Uint8Array(now), "yaml").metadata.mac).not.toBe(parseEncrypted(new Uint8Array(old[i]!), "yaml").metadata.mac)
        }
      }
      if (first.killed && replaced.size > 0 && replaced.size < N) killedMidRun++

      // Resume: the rerun finishes every file and does not rotate the replaced ones again.
      const snapshot = new Map([...replaced].map((f) => [f, readFileSync(f)]))
      const second = await runChild(config, null)
      const totals = JSON.parse(second.stdout.split("\n").at(-1)!) as Record<string, number>
      expect(totals["failed"]).toBe(0)
      expect(totals["updated"]! + totals["done-earlier"]!).toBe(N)
      for (const [f, bytes] of snapshot) expect(readFileSync(f).equals(bytes)).toBe(true)
      for (const [i, f] of files.entries()) {
        expect(readFileSync(f).equals(old[i]!)).toBe(false)
        expect(await decryptText(new Uint8Array(readFileSync(f)), [ageService(alice)])).toBe(plainYaml(i))
      }
      // Only temp files of an interrupted write may be left beside the secrets, never partial targets.
      const extra = readdirSync(join(dir, sub)).filter((n) => !/^f\d\d\.yaml$/.test(n))
      for (const n of extra) expect(n).toMatch(/^\.f\d\d\.yaml\.[0-9a-f]+\.tmp$/)
    }
    // The random delays must actually have hit the middle of a run at least once.
    expect(killedMidRun).toBeGreaterThan(0)
  }, 180_000)
})

const SIGINT_CHILD = `
import { runRekeyCommand } from ${JSON.stringify(dist("rekey"))}
import { ageKeyService } from ${JSON.stringify(dist("age"))}
const cfg = JSON.parse(process.env.REKEY_SIGINT_CONFIG)
const age = ageKeyService({ identities: [cfg.identity] })
// A slow key service, so that Ctrl-C lands while files are in flight.
const slow = {
  name: "slow-age",
  supports: (k) => age.supports(k),
  encrypt: (k, d, o) => age.encrypt(k, d, o),
  decrypt: async (k, o) => { await new Promise((r) => setTimeout(r, 40)); return age.decrypt(k, o) },
}
const sink = (s) => ({ write: (c) => s.write(c) })
process.exitCode = await runRekeyCommand(
  ["--operation", "rotate", "-y", "--concurrency", "4", "--no-git", "--report", cfg.report, cfg.dir],
  { stdout: sink(process.stdout), stderr: sink(process.stderr), env: {}, cwd: cfg.dir, isTTY: false, keyServices: [slow] },
)
`

describe.skipIf(!built)("Ctrl-C (SIGINT) on the command", () => {
  it("finishes the files in flight, writes the report and exits 130", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const alice = await newAgeId()
      const files: string[] = []
      for (let i = 0; i < 40; i++) {
        const p = join(dir, "s", `f${String(i).padStart(2, "0")}.yaml`)
        await writeEncrypted(p, i, [alice.key], [ageService(alice)])
        files.push(p)
      }
      const old = files.map((f) => readFileSync(f))
      const report = join(dir, "report.json")
      const code = await new Promise<number | null>((done, fail) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", SIGINT_CHILD], {
          env: { ...process.env, REKEY_SIGINT_CONFIG: JSON.stringify({ dir: join(dir, "s"), identity: alice.identity, report }) },
          stdio: ["ignore", "pipe", "pipe"],
        })
        let out = ""
        let sent = false
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString()
          if (!sent && (out.match(/^updated /gm) ?? []).length >= 3) {
            sent = true
            child.kill("SIGINT")
          }
        })
        child.on("error", fail)
        child.on("exit", (c) => done(c))
      })
      expect(code).toBe(130)
      const r = JSON.parse(readFileSync(report, "utf8")) as { interrupted: boolean; files: { path: string; status: string }[] }
      expect(r.interrupted).toBe(true)
      const statuses = new Map(r.files.map((f) => [f.path, f.status]))
      expect([...statuses.values()].filter((s) => s === "cancelled").length).toBeGreaterThan(0)
      expect([...statuses.values()].every((s) => s === "updated" || s === "cancelled")).toBe(true)
      for (const [i, f] of files.entries()) {
        const now = readFileSync(f)
        expect(now.equals(old[i]!)).toBe(statuses.get(f) === "cancelled")
        expect(await decryptText(new Uint8Array(now), [ageService(alice)])).toBe(plainYaml(i))
      }
    } finally {
      cleanup()
    }
  }, 60_000)
})
