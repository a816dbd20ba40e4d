/**
 * `exec-env` and `exec-file` as processes of the built executable: the plaintext reaches the
 * child only through its environment or a FIFO (or, with --no-fifo, a 0600 file that is
 * removed), never the working directory, $TMPDIR or /dev/shm; the child's status passes through.
 */
import { spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { built, bin, runBin } from "./bin-helpers.js"
import { ageKeyPair, tempDir } from "./helpers.js"

if (!built) console.warn(`[skipped] exec process tests: ${bin} is not built (run \`npx tsc -b\`)`)

let root: string
let cleanup: () => void
let cwd: string
let tmp: string
let kp: { identity: string; recipient: string }
const secret = `sEcReT-${randomBytes(12).toString("hex")}`

/** Where plaintext must never appear. */
const watched = (): string[] => [cwd, tmp, "/dev/shm"]
/**
 * A shell snippet printing every file under the watched places that contains $NEEDLE, the
 * secret handed to the process by the test (FIFOs are skipped, not opened).
 */
const grepWatched = `test -n "$NEEDLE" && grep -rlsF -D skip -e "$NEEDLE" "$PWD" "$TMPDIR" /dev/shm; echo "grep-done"`

/** Files under the watched places whose content includes the secret (checked from the test side). */
function leaks(): string[] {
  const r = spawnSync("grep", ["-rlsF", "-D", "skip", "-e", secret, ...watched()], { encoding: "utf8" })
  return r.stdout.split("\n").filter((l) => l !== "")
}

function sopsTs(args: string[], env: Record<string, string> = {}) {
  return runBin(cwd, args, { TMPDIR: tmp, SOPS_AGE_KEY: kp.identity, NEEDLE: secret, ...env })
}

describe.skipIf(!built)("exec-env / exec-file processes", () => {
  beforeAll(async () => {
    ;({ dir: root, cleanup } = tempDir())
    cwd = join(root, "cwd")
    tmp = join(root, "tmp")
    mkdirSync(cwd)
    mkdirSync(tmp)
    kp = await ageKeyPair()
    writeFileSync(join(cwd, "secrets.yaml"), `SECRET: ${secret}\nOTHER: x\n`)
    const enc = runBin(cwd, ["encrypt", "-i", "--age", kp.recipient, "secrets.yaml"])
    expect(enc.code, enc.err).toBe(0)
    expect(leaks()).toEqual([])
  })
  afterAll(() => cleanup?.())

  it("exec-env: the secret is in the child's environment and on no disk, during and after the run", () => {
    const r = sopsTs(["exec-env", "secrets.yaml", `test "$SECRET" = "$NEEDLE" && echo same; ${grepWatched}; ls -A "$TMPDIR"`])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toBe("same\ngrep-done\n")
    expect(leaks()).toEqual([])
    expect(readdirSync(tmp)).toEqual([])
  })

  it("exec-file: {} is a FIFO while the child runs; nothing readable holds the secret; all is removed", () => {
    const r = sopsTs(["exec-file", "secrets.yaml", `test -p {} && echo fifo; ${grepWatched}; echo "path={}"; cat {}`])
    expect(r.code, r.err).toBe(0)
    const [fifo, grepDone, pathLine, ...content] = r.out.split("\n")
    expect([fifo, grepDone]).toEqual(["fifo", "grep-done"])
    expect(content.join("\n")).toBe(`SECRET: ${secret}\nOTHER: x\n`)
    const path = pathLine!.slice("path=".length)
    expect(path.startsWith(join(tmp, ".sops"))).toBe(true)
    expect(existsSync(path)).toBe(false)
    expect(readdirSync(tmp)).toEqual([])
    expect(leaks()).toEqual([])
  })

  it("exec-file --no-fifo: a 0600 regular file in a private directory, removed afterwards", () => {
    const r = sopsTs(["exec-file", "--no-fifo", "secrets.yaml", 'test -f {} && ! test -p {} && stat -c "%a" {} "$(dirname {})"; echo "path={}"'])
    expect(r.code, r.err).toBe(0)
    const [fileMode, dirMode, pathLine] = r.out.trim().split("\n")
    expect(fileMode).toBe("600")
    expect(dirMode).toBe("700")
    expect(existsSync(pathLine!.slice("path=".length))).toBe(false)
    expect(readdirSync(tmp)).toEqual([])
    expect(leaks()).toEqual([])
  })

  it("passes the child's exit status through, 128 + signal when it was killed", () => {
    expect(sopsTs(["exec-env", "secrets.yaml", "exit 42"]).code).toBe(42)
    expect(sopsTs(["exec-file", "secrets.yaml", "exit 42"]).code).toBe(42)
    expect(sopsTs(["exec-file", "--no-fifo", "secrets.yaml", "exit 3"]).code).toBe(3)
    expect(sopsTs(["exec-env", "secrets.yaml", "kill -KILL $$"]).code).toBe(128 + 9)
    expect(readdirSync(tmp)).toEqual([])
  })

  it("fails with sops' codes before running anything", () => {
    expect(sopsTs(["exec-env", "secrets.yaml"]).code).toBe(1)
    expect(sopsTs(["exec-env", "missing.yaml", "touch ran"]).code).toBe(2)
    expect(sopsTs(["exec-file", "secrets.yaml", "touch ran"], { SOPS_AGE_KEY: "" }).code).toBe(128)
    expect(sopsTs(["exec-env", "--background", "--same-process", "secrets.yaml", "touch ran"]).code).toBe(8)
    expect(existsSync(join(cwd, "ran"))).toBe(false)
  })
})
