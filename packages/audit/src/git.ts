/**
 * A thin wrapper around the `git` program (no library: the audit only needs a handful of
 * plumbing commands, and running git keeps `.gitignore` semantics exact).
 * @module
 */
import { execFile } from "node:child_process"
import { SopsError } from "@sops-ts/core"

/** Output of a git command. */
export interface GitResult {
  readonly stdout: Uint8Array
  readonly code: number
}

/**
 * Runs `git args...` in `cwd`.
 * @throws SopsError `ERR_IO` when git cannot be started
 */
export function git(cwd: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      ["-c", "core.quotePath=false", ...args],
      { cwd, encoding: "buffer", maxBuffer: 512 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" } },
      (err, stdout) => {
        if (err && typeof (err as { code?: unknown }).code !== "number") {
          reject(new SopsError("ERR_IO", `could not run git: ${err.message}`, { cause: err }))
          return
        }
        const code = err ? ((err as { code?: number }).code ?? 1) : 0
        resolve({ stdout: new Uint8Array(stdout), code })
      },
    )
  })
}

/** Runs git and returns stdout as text, throwing `ERR_IO` on a non-zero exit. */
export async function gitText(cwd: string, args: readonly string[]): Promise<string> {
  const r = await git(cwd, args)
  if (r.code !== 0) throw new SopsError("ERR_IO", `git ${args[0] ?? ""} failed (exit ${r.code})`, { details: { args } })
  return new TextDecoder().decode(r.stdout)
}

/** Whether `dir` is inside a git work tree. */
export async function isGitWorkTree(dir: string): Promise<boolean> {
  try {
    const r = await git(dir, ["rev-parse", "--is-inside-work-tree"])
    return r.code === 0 && new TextDecoder().decode(r.stdout).trim() === "true"
  } catch {
    return false
  }
}

/** Splits NUL-separated git output. */
export function splitZ(text: string): string[] {
  return text.split("\0").filter((s) => s !== "")
}
