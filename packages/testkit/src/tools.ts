/**
 * Gating of tests that need an external program (`age`, `gpg`, `psql`...).
 *
 * Locally a missing tool skips the suite with a visible note; in CI (`CI=true`) a missing tool
 * is a failure, so interop suites cannot silently stop running.
 * @module
 */
import { accessSync, constants, statSync } from "node:fs"
import { delimiter, join } from "node:path"
import { describe, it } from "vitest"

/** External programs that tests may depend on. */
export type ToolName = "age" | "age-keygen" | "ssh-keygen" | "gpg" | "psql" | "chromium"

/** Result of {@link requireTool}. */
export interface ToolCheck {
  /** Whether an executable of that name is on `PATH`. */
  readonly available: boolean
  /** Why it is not available (only when `available` is false). */
  readonly reason?: string
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Looks `name` up on `PATH` (and `PATHEXT` on Windows) without running it.
 * @param name - the program name
 * @param env - the environment to read `PATH` from (default `process.env`)
 */
export function requireTool(name: ToolName, env: Record<string, string | undefined> = process.env): ToolCheck {
  const path = env["PATH"] ?? env["Path"] ?? ""
  const exts = process.platform === "win32" ? (env["PATHEXT"] ?? ".EXE;.CMD;.BAT").split(";") : [""]
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue
    for (const ext of exts) {
      if (isExecutableFile(join(dir, name + ext))) return { available: true }
    }
  }
  return { available: false, reason: `\`${name}\` was not found on PATH` }
}

/**
 * A `describe` block that runs only when `name` is installed.
 *
 * When the tool is missing, the suite is skipped and a note is printed; but when
 * `process.env.CI === "true"` a failing test is registered instead, because CI must run it.
 * @param name - the required program
 * @param title - the suite title
 * @param fn - the suite body
 */
export function describeWithTool(name: ToolName, title: string, fn: () => void): void {
  const check = requireTool(name)
  if (check.available) {
    describe(title, fn)
    return
  }
  const reason = check.reason ?? `\`${name}\` is not available`
  if (process.env["CI"] === "true") {
    describe(title, () => {
      it(`requires \`${name}\` in CI`, () => {
        throw new Error(`${reason}; CI must install it so that "${title}" runs`)
      })
    })
    return
  }
  console.warn(`[skipped] ${title}: ${reason}`)
  describe.skip(`${title} (skipped: ${reason})`, fn)
}
