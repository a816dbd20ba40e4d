/**
 * Running the built executable (`dist/bin.js`, produced by `tsc -b`) as a separate process,
 * the way helm-secrets and shell scripts run it.
 */
import { spawnSync } from "node:child_process"
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
