/**
 * Running the built executable (`dist/bin.js`, produced by `tsc -b`) as a separate process,
 * the way helm-secrets and shell scripts run it.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

/** The package root. */
export const pkgRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "..")
/** The built entry point. */
export const bin = join(pkgRoot, "dist", "bin.js")
/** Whether the CLI is built (process tests skip with a note otherwise). */
export const built = existsSync(join(pkgRoot, "dist", "main.js"))

/** What one process run produced. */
export interface ProcResult {
  readonly code: number | null
  readonly out: string
  readonly err: string
  readonly stdout: Uint8Array
}

/**
 * Runs `sops-ts args` in `cwd` with only PATH, HOME=`cwd` and `env` in its environment (so the
 * developer's keys and config never leak in).
 */
export function runBin(cwd: string, args: readonly string[], env: Record<string, string> = {}, input?: string | Uint8Array): ProcResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    env: { PATH: process.env["PATH"] ?? "", HOME: cwd, ...env },
    ...(input === undefined ? { stdio: ["ignore", "pipe", "pipe"] } : { input }),
  })
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString(), stdout: new Uint8Array(r.stdout) }
}

/**
 * {@link runBin} without blocking the event loop, for runs that talk to an emulator served
 * by the test process itself.
 */
export function runBinAsync(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<ProcResult> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { PATH: process.env["PATH"] ?? "", HOME: cwd, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    p.stdout.on("data", (d: Buffer) => out.push(d))
    p.stderr.on("data", (d: Buffer) => err.push(d))
    p.on("error", reject)
    p.on("close", (code) => {
      const stdout = Buffer.concat(out)
      resolvePromise({ code, out: stdout.toString(), err: Buffer.concat(err).toString(), stdout: new Uint8Array(stdout) })
    })
  })
}
